//! Terminal events to actions, and what each action does to state.
use super::keymap::{Action, Context};
use super::screen::{RANGES, Screen};
use super::state::App;
use crate::sources::prometheus::poller::Command;
use crossterm::event::{Event, KeyEvent, KeyEventKind};

impl App {
    /// The key context of what has focus now.
    pub fn context(&self) -> Context {
        match self.screen {
            Screen::Overview => Context::Overview,
            Screen::Detail => Context::Detail,
            Screen::Explorer if self.explorer.editing => Context::Editing,
            Screen::Explorer => Context::Explorer,
            Screen::Drills => Context::Drills,
        }
    }

    pub fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Resize(..) => self.dirty = true,
            _ => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        let ctx = self.context();
        if self.help {
            // Any key closes help; the help and quit keys still do their job.
            self.help = false;
            self.dirty = true;
            if !matches!(self.keys.lookup(ctx, &key), Some(Action::Quit)) {
                return;
            }
        }
        match self.keys.lookup(ctx, &key) {
            Some(action) => self.act(action),
            None if ctx == Context::Editing => {
                if self.explorer.input.input(key) {
                    self.explorer.candidates.clear();
                    self.explorer.notice = None;
                }
                self.dirty = true;
            }
            None => {}
        }
    }

    pub fn act(&mut self, action: Action) {
        self.dirty = true;
        let rows = match self.screen {
            Screen::Overview => self.services.len(),
            Screen::Detail => self.selected_service().map_or(0, |s| s.detail.targets.len()),
            Screen::Explorer => {
                self.explorer.result.as_ref().map_or(0, |r| r.outcome.as_ref().map_or(0, |o| o.result.series().len()))
            }
            Screen::Drills => self.drills.scenarios.len(),
        };
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = !self.help,
            Action::NextScreen | Action::PrevScreen => {
                let order = Screen::ORDER;
                let i = order.iter().position(|s| *s == self.screen).unwrap_or(0);
                let n = order.len();
                let next = if action == Action::NextScreen { (i + 1) % n } else { (i + n - 1) % n };
                self.go(order[next], false);
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                let pos = match self.screen {
                    Screen::Overview => &mut self.selected,
                    Screen::Detail => &mut self.target_scroll,
                    Screen::Explorer => &mut self.explorer.scroll,
                    Screen::Drills => &mut self.drills.selected,
                };
                *pos = step(*pos, rows, action);
            }
            Action::Open => {
                if !self.services.is_empty() {
                    self.go(Screen::Detail, true);
                }
            }
            Action::Back => {
                let back = self.nav.pop().unwrap_or(Screen::Overview);
                self.screen = back;
            }
            Action::Refresh => {
                self.commands.push(Command::RefreshNow);
                if self.screen == Screen::Detail {
                    self.request_detail();
                }
            }
            Action::NextRange | Action::PrevRange => {
                self.range = if action == Action::NextRange {
                    (self.range + 1).min(RANGES.len() - 1)
                } else {
                    self.range.saturating_sub(1)
                };
                if self.screen == Screen::Detail {
                    self.request_detail();
                }
            }
            Action::Explorer => {
                self.go(Screen::Explorer, true);
                self.explorer.editing = true;
            }
            Action::Edit => self.explorer.editing = true,
            Action::StopEditing => self.explorer.editing = false,
            Action::RunQuery => {
                if let Some((id, expr)) = self.explorer.submit() {
                    let range = self.explorer.range_query.then(|| self.range());
                    self.commands.push(Command::Query { id, expr, range });
                }
            }
            Action::Complete => {
                if let Some(label) = self.explorer.complete() {
                    self.commands.push(Command::LabelValues { label });
                }
            }
            Action::HistoryPrev => self.explorer.history_prev(),
            Action::HistoryNext => self.explorer.history_next(),
            Action::ToggleRangeQuery => self.explorer.range_query = !self.explorer.range_query,
            Action::ToggleView => self.explorer.chart = !self.explorer.chart,
            Action::Drills => self.go(Screen::Drills, true),
            Action::StartDrill => self.start_drill(false),
            Action::StartDrillRandom => self.start_drill(true),
            Action::Mitigate => self.mitigate_drill(),
            Action::AbortDrill => self.abort_drill(),
        }
    }

    /// Show a screen; `push` remembers where we came from for Esc.
    fn go(&mut self, to: Screen, push: bool) {
        if to == self.screen {
            return;
        }
        if push {
            self.nav.push(self.screen);
        }
        self.screen = to;
        match to {
            Screen::Detail => {
                self.target_scroll = 0;
                self.request_detail();
                if let Some(name) = self.selected_service().map(|v| v.service.name.clone()) {
                    self.drill_saw(&name);
                }
            }
            Screen::Explorer if self.explorer.metric_names.is_empty() => {
                self.commands.push(Command::MetricNames);
                self.commands.push(Command::LabelNames);
            }
            _ => {}
        }
    }
}

fn step(pos: usize, rows: usize, action: Action) -> usize {
    let last = rows.saturating_sub(1);
    match action {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (pos + 1).min(last),
        Action::PageUp => pos.saturating_sub(10),
        Action::PageDown => (pos + 10).min(last),
        Action::Top => 0,
        _ => last,
    }
}
