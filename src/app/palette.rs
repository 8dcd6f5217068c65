//! The command palette (`ctrl-p`): any screen or action that applies where you are, found by a fuzzy
//! match on what it does, with its key shown so the next time is one key.
use super::keymap::{Action, Context, KeyMap};
use super::state::App;
use crossterm::event::KeyEvent;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui_textarea::TextArea;

/// One thing the palette can do.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub action: Action,
    /// Its keys where the palette was opened (`j, ↓`).
    pub keys: String,
    pub desc: String,
}

#[derive(Debug)]
pub struct Palette {
    pub input: TextArea<'static>,
    /// The context of the screen it was opened on: what its actions mean.
    pub context: Context,
    pub selected: usize,
}

impl Palette {
    pub fn query(&self) -> String {
        self.input.lines().concat()
    }
}

/// The actions of `context` and then the global ones (a global key the screen uses for something else
/// is the screen's), once each, best match first. An empty query lists them all in the table's order.
pub fn entries(keys: &KeyMap, context: Context, query: &str) -> Vec<Entry> {
    let mut all: Vec<Entry> = Vec::new();
    // A key the screen binds is the screen's: the global action on the same key is not listed with it.
    let mut taken = std::collections::HashSet::new();
    for ctx in [context, Context::Global] {
        for b in keys.bindings.iter().filter(|b| b.context == ctx) {
            if matches!(b.action, Action::Palette) || !taken.insert(b.key) {
                continue;
            }
            match all.iter_mut().find(|e| e.action == b.action) {
                Some(e) => e.keys = format!("{}, {}", e.keys, b.key),
                None => {
                    all.push(Entry { action: b.action, keys: b.key.to_string(), desc: keys.help(ctx, b.action).into() })
                }
            }
        }
    }
    if query.trim().is_empty() {
        return all;
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize, Entry)> = all
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let text = format!("{} {}", e.desc, e.action.name());
            let score = pattern.score(Utf32Str::new(&text, &mut buf), &mut matcher)?;
            Some((score, i, e))
        })
        .collect();
    // Best first; equal scores keep the table's order.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, e)| e).collect()
}

impl App {
    pub(crate) fn open_palette(&mut self) {
        let mut input = TextArea::default();
        input.set_placeholder_text("a screen or an action: logs, silence, rollback…");
        self.palette = Some(Palette { input, context: self.context(), selected: 0 });
        self.dirty = true;
    }

    /// A key while the palette is open: its own bindings (the key table's `palette`: Esc closes it,
    /// enter does the chosen entry, ↑/↓ or ctrl-p/n choose); anything else edits the query.
    pub(crate) fn palette_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        let Some(p) = self.palette.as_mut() else { return };
        let found = entries(&self.keys, p.context, &p.query());
        match self.keys.lookup(Context::Palette, &key) {
            Some(Action::Cancel) => self.palette = None,
            Some(Action::Submit) => {
                let chosen = found.get(p.selected).map(|e| e.action);
                self.palette = None;
                if let Some(action) = chosen {
                    self.act(action);
                }
            }
            Some(Action::Down) => p.selected = (p.selected + 1).min(found.len().saturating_sub(1)),
            Some(Action::Up) => p.selected = p.selected.saturating_sub(1),
            _ => {
                if super::textinput::edit(&mut p.input, key) {
                    p.selected = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_finds_by_what_it_does_and_shows_the_key() {
        let keys = KeyMap::default();
        let found = entries(&keys, Context::Screen(crate::app::Screen::Overview), "silences");
        assert!(!found.is_empty());
        assert!(found[0].desc.to_lowercase().contains("silence"), "{:?}", found[0]);
        assert!(!found[0].keys.is_empty());
        let all = entries(&keys, Context::Screen(crate::app::Screen::Overview), "");
        assert!(all.iter().any(|e| e.action == Action::Home), "the global actions are there too");
        assert!(all.iter().all(|e| e.action != Action::Palette), "not itself");
        let unique: std::collections::HashSet<Action> = all.iter().map(|e| e.action).collect();
        assert_eq!(all.len(), unique.len(), "each action once");
    }
}
