//! Keys are data: one table of (context, key, action); the help popup and the footer are built from it.
use crate::config::keys::{Key, KeyOverride, KeySpec, KeyTable, Mods};
use crate::screens::Screen;
use crossterm::event::{KeyCode, KeyEvent};
use std::str::FromStr;

/// Where a binding applies: everywhere, a screen (named by its `View::keys`), or a form or popup.
/// `Global` bindings apply everywhere except while typing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Screen(Screen),
    /// Typing in a form field or a prompt.
    Form,
    /// Typing a query: printable keys go to the input, only these bindings are looked up.
    Editing,
    /// The help popup, while open.
    Help,
    /// The command palette, while open (typing is its query).
    Palette,
}

impl Context {
    const FIXED: [Context; 5] = [Context::Global, Context::Form, Context::Editing, Context::Help, Context::Palette];

    /// Every context, each once (screens that share their keys share a context).
    pub fn all() -> Vec<Context> {
        let screens = Screen::ALL.iter().map(|s| Context::Screen(*s));
        Context::FIXED.into_iter().chain(screens).filter(|c| c.name().parse() == Ok(*c)).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Screen(s) => s.view().keys(),
            Context::Form => "form",
            Context::Editing => "editing",
            Context::Help => "help",
            Context::Palette => "palette",
        }
    }

    /// Typing: printable keys are text, and only the context's own bindings are looked up.
    pub fn is_typing(self) -> bool {
        matches!(self, Context::Editing | Context::Form | Context::Palette)
    }
}

impl FromStr for Context {
    type Err = ();
    /// A screen's context is its key name; screens sharing one (the incident list and timeline) parse
    /// as the first listed.
    fn from_str(s: &str) -> Result<Self, ()> {
        let screens = Screen::ALL.iter().map(|s| Context::Screen(*s));
        Context::FIXED.into_iter().chain(screens).find(|c| c.name() == s).ok_or(())
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal,)*) => {
        /// Everything a key can do. Names are what the key table and the config's `[keys]` tables use;
        /// what each does is written in the key table (`assets/keys.toml`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }
        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];
            pub fn name(self) -> &'static str { match self { $(Action::$variant => $name),* } }
        }
    };
}

actions! {
    Quit => "quit",
    Help => "help",
    NextScreen => "next_screen",
    PrevScreen => "prev_screen",
    Up => "up",
    Down => "down",
    PageUp => "page_up",
    PageDown => "page_down",
    Top => "top",
    Bottom => "bottom",
    Open => "open",
    Back => "back",
    Refresh => "refresh",
    NextRange => "next_range",
    PrevRange => "prev_range",
    Explorer => "explorer",
    Edit => "edit",
    RunQuery => "run_query",
    StopEditing => "stop_editing",
    Complete => "complete",
    HistoryPrev => "history_prev",
    HistoryNext => "history_next",
    ToggleRangeQuery => "toggle_range_query",
    ToggleView => "toggle_view",
    Drills => "drills",
    NextEnvironment => "next_environment",
    Environments => "environments",
    Across => "across",
    Alerts => "alerts",
    Silences => "silences",
    Kpis => "kpis",
    Incidents => "incidents",
    Acknowledge => "acknowledge",
    Resolve => "resolve",
    AddNote => "add_note",
    Reassign => "reassign",
    Escalate => "escalate",
    SilenceAlert => "silence_alert",
    Runbook => "runbook",
    Filter => "filter",
    FilterServices => "filter_services",
    SortServices => "sort_services",
    GroupServices => "group_services",
    ClearFilter => "clear_filter",
    NewSilence => "new_silence",
    ExtendSilence => "extend_silence",
    ExpireSilence => "expire_silence",
    Submit => "submit",
    Cancel => "cancel",
    NextField => "next_field",
    PrevField => "prev_field",
    StartDrill => "start_drill",
    StartDrillRandom => "start_drill_random",
    Mitigate => "mitigate",
    AbortDrill => "abort_drill",
    Logs => "logs",
    Traces => "traces",
    Follow => "follow",
    LineFilter => "line_filter",
    Highlight => "highlight",
    Wrap => "wrap",
    ScrollLeft => "scroll_left",
    ScrollRight => "scroll_right",
    JumpTime => "jump_time",
    LineContext => "line_context",
    Copy => "copy",
    ErrorsOnly => "errors_only",
    MinDuration => "min_duration",
    Collapse => "collapse",
    LiveTraces => "live_traces",
    Search => "search",
    OpenTrace => "open_trace",
    Audit => "audit",
    Home => "home",
    Palette => "palette",
    AuditFilter => "audit_filter",
    Runbooks => "runbooks",
    StartRunbook => "start_runbook",
    RunStep => "run_step",
    SkipStep => "skip_step",
    AbortRun => "abort_run",
    RunRest => "run_rest",
    PauseRun => "pause_run",
    TickItem => "tick_item",
    OpenRollback => "rollback",
    RollbackNext => "rollback_next",
    AbortRollback => "abort_rollback",
    Changes => "changes",
    ChangesScope => "changes_scope",
    NewWindow => "new_window",
    CancelWindow => "cancel_window",
    ToggleDryRun => "toggle_dry_run",
}

impl FromStr for Action {
    type Err = ();
    /// By its name in the key table (config checks a file's names against the table first).
    fn from_str(s: &str) -> Result<Self, ()> {
        Action::ALL.iter().copied().find(|a| a.name() == s).ok_or(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub context: Context,
    pub key: KeySpec,
    pub action: Action,
}

/// What a binding does where it is bound, and its footer label.
#[derive(Clone, Debug, PartialEq)]
struct Text {
    help: String,
    footer: Option<String>,
}

/// One line of help (or of the README's table): the keys, and what they do. Keys come in groups of
/// alternatives (`j`, `↓`) or of pairs (`j/k`: down and up).
#[derive(Clone, Debug, PartialEq)]
pub struct HelpRow {
    pub keys: Vec<Vec<KeySpec>>,
    pub help: String,
    /// What the keys do (one action, or the movements the row joins).
    pub actions: Vec<Action>,
}

impl HelpRow {
    /// The keys as help writes them, each through `key`: `j/k, ↓/↑`.
    pub fn keys_with(&self, key: impl Fn(&KeySpec) -> String) -> String {
        self.keys.iter().map(|g| g.iter().map(&key).collect::<Vec<_>>().join("/")).collect::<Vec<_>>().join(", ")
    }
}

/// The movement actions, which help lists on one line per context (`j/k, ↓/↑, pgdn/pgup, g/G`).
const MOVES: [(Action, Action, &str); 3] = [
    (Action::Down, Action::Up, "down/up"),
    (Action::PageDown, Action::PageUp, "a page at a time"),
    (Action::Top, Action::Bottom, "to the first/last row"),
];

#[derive(Clone, Debug)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
    /// Each action's own words, from the key table's `[actions]`.
    actions: std::collections::HashMap<Action, Text>,
    /// What an action does in a context, where the key table says more than its own words.
    texts: std::collections::HashMap<(Context, Action), Text>,
    /// Contexts in the key table's order, with how the README names them.
    contexts: Vec<(Context, String)>,
}

impl Default for KeyMap {
    /// The shipped key table (`assets/keys.toml`).
    fn default() -> Self {
        KeyMap::with_overrides(&[])
    }
}

impl KeyMap {
    /// The shipped table with the config's overrides applied (an override replaces that key in that
    /// context; `None` unbinds it). Names were checked against the table when the config was read.
    pub fn with_overrides(overrides: &[KeyOverride]) -> Self {
        let table = KeyTable::shipped();
        let action = |name: &str| name.parse::<Action>().expect("the key table's actions are the console's");
        let actions = table
            .actions
            .iter()
            .map(|(name, t)| (action(name), Text { help: t.help.clone(), footer: t.footer.clone() }))
            .collect();
        let mut map = KeyMap { bindings: Vec::new(), actions, texts: Default::default(), contexts: Vec::new() };
        for c in &table.contexts {
            let context: Context = c.name.parse().expect("the key table's contexts are the console's");
            map.contexts.push((context, c.title.clone().unwrap_or_else(|| c.name.clone())));
            for b in &c.bind {
                let a = action(&b.action);
                if b.help.is_some() || b.footer.is_some() {
                    let own = &map.actions[&a];
                    let help = b.help.clone().unwrap_or_else(|| own.help.clone());
                    let footer = b.footer.clone().or_else(|| own.footer.clone());
                    map.texts.insert((context, a), Text { help, footer });
                }
                map.bindings.extend(b.keys.iter().map(|&key| Binding { context, key, action: a }));
            }
        }
        for o in overrides {
            let (Ok(context), action) = (o.context.parse::<Context>(), o.action.as_deref().map(str::parse::<Action>))
            else {
                continue;
            };
            map.bindings.retain(|b| !(b.context == context && b.key == o.key));
            if let Some(Ok(action)) = action {
                map.bindings.push(Binding { context, key: o.key, action });
            }
        }
        map
    }

    /// The action for a key in a context; the screen's own table first, then global (not while typing,
    /// nor in the help popup).
    pub fn lookup(&self, context: Context, ev: &KeyEvent) -> Option<Action> {
        let find = |ctx: Context| self.bindings.iter().find(|b| b.context == ctx && matches(&b.key, ev));
        find(context)
            .or_else(|| (!context.is_typing() && context != Context::Help).then(|| find(Context::Global)).flatten())
            .map(|b| b.action)
    }

    /// The key table's words for an action in a context, else the action's own.
    fn text(&self, context: Context, action: Action) -> Option<&Text> {
        self.texts.get(&(context, action)).or_else(|| self.actions.get(&action))
    }

    /// What an action does in a context.
    pub fn help(&self, context: Context, action: Action) -> &str {
        self.text(context, action).map_or("", |t| t.help.as_str())
    }

    /// An action's label in a context's footer; `None` keeps it out of the footer (it is in help).
    pub fn footer(&self, context: Context, action: Action) -> Option<&str> {
        self.text(context, action).and_then(|t| t.footer.as_deref())
    }

    /// The contexts in the key table's order, with how the README names each.
    pub fn contexts(&self) -> impl Iterator<Item = (Context, &str)> {
        self.contexts.iter().map(|(c, t)| (*c, t.as_str()))
    }

    /// Bindings for a context, one entry per action (in the table's order) with all its keys.
    pub fn actions(&self, context: Context) -> Vec<(String, Action)> {
        self.keys_by_action(context).into_iter().map(|(a, keys)| (join(&keys), a)).collect()
    }

    fn keys_by_action(&self, context: Context) -> Vec<(Action, Vec<KeySpec>)> {
        let mut out: Vec<(Action, Vec<KeySpec>)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.context == context) {
            match out.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) => keys.push(b.key),
                None => out.push((b.action, vec![b.key])),
            }
        }
        out
    }

    /// Help for a context, one row per action with all its keys, the movement keys on one row
    /// (`j/k, ↓/↑, pgdn/pgup, g/G`) where the first of them is.
    pub fn rows(&self, context: Context) -> Vec<HelpRow> {
        let by_action = self.keys_by_action(context);
        let keys_of = |a: Action| by_action.iter().find(|(x, _)| *x == a).map(|(_, k)| k.clone()).unwrap_or_default();
        let moves: Vec<Action> = MOVES.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
        let mut out = Vec::new();
        for (action, keys) in &by_action {
            if !moves.contains(action) {
                let keys = keys.iter().map(|k| vec![*k]).collect();
                out.push(HelpRow { keys, help: self.help(context, *action).to_string(), actions: vec![*action] });
                continue;
            }
            if out.iter().any(|r: &HelpRow| r.actions.contains(action)) {
                continue;
            }
            let mut keys = Vec::new();
            let mut what = Vec::new();
            let mut actions = Vec::new();
            for (a, b, name) in MOVES {
                let (ka, kb) = (keys_of(a), keys_of(b));
                if ka.is_empty() && kb.is_empty() {
                    continue;
                }
                what.push(name);
                actions.extend([a, b]);
                // Down and up in pairs by position (`j/k`, `↓/↑`); a key without its partner alone.
                for i in 0..ka.len().max(kb.len()) {
                    keys.push(ka.get(i).into_iter().chain(kb.get(i)).copied().collect());
                }
            }
            // The key table may say more about moving here (the logs pause when the cursor leaves the
            // newest line).
            let said = self.texts.get(&(context, Action::Down)).map(|t| t.help.clone());
            let help = said.unwrap_or_else(|| format!("move: {}", what.join(", ")));
            out.push(HelpRow { keys, help, actions });
        }
        out
    }

    /// Help for a context, one entry per row with its keys (`j, ↓  move down`), leaving out the actions
    /// that do not apply where the console is.
    pub fn describe_applying(&self, context: Context, applies: impl Fn(Action) -> bool) -> Vec<(String, String)> {
        let rows = self.rows(context).into_iter();
        rows.filter(|r| r.actions.iter().any(|a| applies(*a)))
            .map(|r| (r.keys_with(ToString::to_string), r.help))
            .collect()
    }

    /// The footer's entries for a context: one per label, with its first key and its action, in the
    /// table's order.
    pub fn describe_for_footer(&self, context: Context) -> Vec<(String, Action, String)> {
        let mut out: Vec<(String, Action, String)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.context == context) {
            let Some(label) = self.footer(context, b.action) else { continue };
            if !out.iter().any(|(_, _, l)| l == label) {
                out.push((b.key.to_string(), b.action, label.to_string()));
            }
        }
        out
    }
}

fn join(keys: &[KeySpec]) -> String {
    keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Whether a terminal key event is this key. Shift is implied by an upper-case or symbol character.
pub fn matches(spec: &KeySpec, ev: &KeyEvent) -> bool {
    use crossterm::event::KeyModifiers as M;
    let shift_implied = matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab);
    let mods = Mods {
        ctrl: ev.modifiers.contains(M::CONTROL),
        alt: ev.modifiers.contains(M::ALT),
        shift: ev.modifiers.contains(M::SHIFT) && !shift_implied,
    };
    let code = match ev.code {
        KeyCode::Char(c) if mods.ctrl => Key::Char(c.to_ascii_lowercase()),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::F(n) => Key::F(n),
        _ => return false,
    };
    code == spec.code && mods == spec.mods
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;
    #[test]
    fn overrides_replace_and_unbind() {
        let o = |key, action: Option<&str>| KeyOverride {
            context: "global".into(),
            key,
            action: action.map(str::to_string),
        };
        let map = KeyMap::with_overrides(&[o(KeySpec::ch('x'), Some("quit")), o(KeySpec::ch('q'), None)]);
        let ev = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(map.lookup(Context::Screen(Screen::Overview), &ev('x')), Some(Action::Quit));
        assert_eq!(map.lookup(Context::Screen(Screen::Overview), &ev('q')), None);
        assert_eq!(map.lookup(Context::Editing, &ev('x')), None, "typing is not a key binding");
        assert!(matches(&KeySpec::ch('G'), &KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        assert!(matches(&KeySpec::ctrl('r'), &KeyEvent::new(KeyCode::Char('R'), KeyModifiers::CONTROL)));
    }
    #[test]
    fn the_key_table_names_every_action_and_context_and_nothing_else() {
        let table = KeyTable::shipped();
        let named: Vec<&str> = table.action_names().collect();
        let ours: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(named.len(), ours.len(), "the key table's [actions] and the console's differ");
        assert!(ours.iter().all(|a| named.contains(a)));
        let contexts: Vec<&str> = table.context_names().collect();
        assert!(Context::all().iter().all(|c| contexts.contains(&c.name())), "{contexts:?}");
        assert_eq!(contexts.len(), Context::all().len());
    }
    #[test]
    fn screens_that_share_keys_share_the_first_one_s_context() {
        assert_eq!("incidents".parse(), Ok(Context::Screen(Screen::Incidents)));
        let config = crate::config::Config::from_env(Some("http://127.0.0.1:9")).expect("config");
        let app = crate::app::App::new(&config, chrono::Utc::now());
        assert_eq!(Screen::Incident.view().context(&app), Context::Screen(Screen::Incidents));
        assert!(!Context::all().contains(&Context::Screen(Screen::Incident)));
    }
    #[test]
    fn a_binding_says_what_it_does_where_it_is() {
        let map = KeyMap::default();
        assert_eq!(map.help(Context::Screen(Screen::Incidents), Action::Open), "the incident's timeline");
        assert_eq!(map.help(Context::Screen(Screen::Kpis), Action::Open), "open the service");
        let rows = map.rows(Context::Screen(Screen::Overview));
        assert!(rows[0].help.starts_with("move"), "{rows:?}");
        assert_eq!(rows[0].keys_with(ToString::to_string), "j/k, ↓/↑, pgdn/pgup, g/G");
    }
}
