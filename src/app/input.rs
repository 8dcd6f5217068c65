//! Terminal events to actions, and what each action does to state.
use super::keymap::{Action, Context};
use super::screen::{RANGES, Screen};
use super::state::App;
use crate::sources::prometheus::poller::Command;
use crossterm::event::{Event, KeyEvent, KeyEventKind};

impl App {
    /// The key context of what has focus now: the palette's, else the screen's (or its form's).
    pub fn context(&self) -> Context {
        if self.palette.is_some() {
            return Context::Palette;
        }
        self.screen.view().context(self)
    }

    /// Whether an action of a context does anything where the console is: the screen says, for its own
    /// keys and its form's (a one-field form takes no Tab); the footer and help offer only those.
    pub fn applies(&self, context: Context, action: Action) -> bool {
        if matches!(action, Action::NextEnvironment | Action::Environments | Action::Across) {
            return self.environments.len() > 1;
        }
        match context {
            Context::Form | Context::Screen(_) => self.screen.view().applies(self, action),
            _ => true,
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
        if self.confirm.is_some() {
            return self.confirm_key(key);
        }
        if self.palette.is_some() {
            return self.palette_key(key);
        }
        let ctx = self.context();
        if self.help {
            self.dirty = true;
            // The help popup's own keys scroll it and close it; any other key closes it too, and the
            // quit key still quits.
            let own = self.keys.lookup(Context::Help, &key);
            match own {
                Some(Action::Down) => return self.help_scroll += 1,
                Some(Action::Up) => return self.help_scroll = self.help_scroll.saturating_sub(1),
                _ => {}
            }
            self.help = false;
            self.help_scroll = 0;
            // Its own close keys (`q` among them, as in a pager) only close it.
            if own.is_some() || !matches!(self.keys.lookup(ctx, &key), Some(Action::Quit)) {
                return;
            }
        }
        self.notice = None;
        match self.keys.lookup(ctx, &key) {
            Some(action) => self.act(action),
            // Typing: the key goes to the open form's field, the same way in every one.
            None if ctx.is_typing() => {
                let view = self.screen.view();
                if view.form(self).is_some_and(|f| f.type_key(key)) {
                    view.typed(self);
                }
                // The cursor moves even when the text does not change.
                self.dirty = true;
            }
            None => {}
        }
    }

    /// Do an action: the screen's own first (its unit decides), movement on its cursor, else the
    /// console's global handling.
    pub fn act(&mut self, action: Action) {
        self.dirty = true;
        // Read-only: an action is refused when asked for, before its form is filled in. Runbooks
        // (a dry run changes nothing) and rollbacks (the versions and the plan are worth reading) are
        // refused where they would start.
        if let Some(what) = acts(action)
            && let Some(why) = self.read_only_refusal(what)
        {
            self.report(why);
            return;
        }
        let view = self.screen.view();
        if view.act(self, action) {
            return;
        }
        if crate::screens::is_move(action) {
            if let Some((pos, rows)) = view.cursor(self) {
                *pos = step(*pos, rows, action);
            }
            return;
        }
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => self.help = !self.help,
            Action::NextScreen | Action::PrevScreen => {
                let to = self.screen.tab(action == Action::PrevScreen);
                self.go(to, false);
            }
            Action::Back => {
                let back = self.nav.pop().unwrap_or(Screen::Overview);
                self.screen = back;
            }
            // Where there is no filter to clear, the key goes back (the screen's own Esc first).
            Action::ClearFilter => self.act(Action::Back),
            Action::Refresh => {
                self.commands.push(Command::RefreshNow);
                if self.detail_on_screen() {
                    self.request_detail();
                }
            }
            Action::NextRange | Action::PrevRange => {
                self.range = if action == Action::NextRange {
                    (self.range + 1).min(RANGES.len() - 1)
                } else {
                    self.range.saturating_sub(1)
                };
                if self.detail_on_screen() {
                    self.request_detail();
                }
            }
            Action::Explorer => {
                self.go(Screen::Explorer, true);
                self.explorer.editing = true;
            }
            Action::Drills => self.go(Screen::Drills, true),
            Action::NextEnvironment => self.ask_switch(),
            Action::Environments => self.go(Screen::Environments, true),
            Action::Across => self.open_across(),
            Action::Alerts => self.go(Screen::Alerts, true),
            Action::Silences => self.go(Screen::Silences, true),
            Action::Kpis => self.go(Screen::Kpis, true),
            Action::Incidents => self.go(Screen::Incidents, true),
            Action::Audit => self.go(Screen::Audit, true),
            Action::Home => self.go(Screen::Overview, true),
            Action::Runbooks => self.go(Screen::Runbooks, true),
            Action::Changes => self.open_changes(),
            Action::Palette => self.open_palette(),
            Action::OpenRollback => self.open_rollback(),
            // The selected service's, over the range shown (a screen with its own meaning says first).
            Action::Logs => {
                let range = chrono::Duration::from_std(self.range()).unwrap_or_default();
                let service = self.selected_service().map(|v| v.service.name.clone());
                self.open_logs(service.as_deref(), self.now - range, self.now, true);
            }
            Action::Traces => {
                let range = chrono::Duration::from_std(self.range()).unwrap_or_default();
                let service = self.selected_service().map(|v| v.service.name.clone());
                self.open_traces(service.as_deref(), self.now - range, self.now);
            }
            // The open form's: Enter and Esc are its screen's to say; Tab moves between its fields.
            Action::Submit => view.submit(self),
            Action::Cancel => view.cancel(self),
            Action::NextField | Action::PrevField => {
                if let Some(form) = view.form(self) {
                    form.next_field(action == Action::PrevField);
                }
            }
            // Another screen's action, bound here by a config override: nothing to do here.
            _ => {}
        }
    }

    /// Open the selected alert's service on the detail screen, with a range that covers the alert.
    pub(crate) fn open_alert(&mut self) {
        let Some(a) = self.alerts.selected_alert() else { return };
        let (service, since) = (a.service().map(str::to_string), a.starts_at);
        let Some(i) = service
            .as_ref()
            .and_then(|s| self.services.iter().position(|v| &v.service.name == s || &v.service.job == s))
        else {
            self.alerts.notice =
                Some((false, "This alert names no service watchpost knows (no `service` or `job` label).".into()));
            return;
        };
        let age = (self.now - since).to_std().unwrap_or_default() + std::time::Duration::from_secs(600);
        self.range = RANGES.iter().position(|(d, _)| *d >= age).unwrap_or(RANGES.len() - 1);
        self.selected = i;
        self.go(Screen::Detail, true);
    }

    /// The selected alert's service and window: from five minutes before it started to its end (or now),
    /// and whether it is still firing.
    pub(crate) fn alert_window(
        &mut self,
    ) -> Option<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, bool)> {
        let Some(a) = self.alerts.selected_alert() else {
            self.alerts.notice = Some((false, "No alert selected.".into()));
            return None;
        };
        let active = a.state == crate::alerts::model::AlertState::Active;
        let from = a.starts_at - chrono::Duration::minutes(5);
        let to = if active { self.now } else { a.ends_at.unwrap_or(self.now).min(self.now) };
        let Some(service) = a.service().map(str::to_string) else {
            self.alerts.notice = Some((
                false,
                "This alert names no service (no `service` or `job` label): no logs or traces to open.".into(),
            ));
            return None;
        };
        let service = self
            .services
            .iter()
            .find(|v| v.service.name == service || v.service.job == service)
            .map_or(service, |v| v.service.name.clone());
        Some((service, from, to, active))
    }

    pub(crate) fn go_incident(&mut self) {
        self.go(Screen::Incident, true);
    }

    /// Show a screen. A drill-down (`push`, to a screen that is not top-level) remembers where it came
    /// from, so Esc walks the path back (alert → service → logs → trace); a top-level screen, or Tab
    /// (`push` false), starts a new path, and Esc from it goes to the overview.
    pub(crate) fn go(&mut self, to: Screen, push: bool) {
        if to == self.screen {
            return;
        }
        if push && !to.is_top_level() {
            self.nav.push(self.screen);
        } else {
            self.nav.clear();
        }
        self.screen = to;
        to.view().shown(self);
    }
}

pub(crate) fn step(pos: usize, rows: usize, action: Action) -> usize {
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

/// The actions that change something outside the console, by the name a refusal gives them.
fn acts(action: Action) -> Option<&'static str> {
    Some(match action {
        Action::Acknowledge | Action::Resolve | Action::AddNote | Action::Reassign | Action::Escalate => "incident",
        Action::SilenceAlert | Action::NewSilence | Action::ExtendSilence | Action::ExpireSilence => "silence",
        Action::NewWindow | Action::CancelWindow => "maintenance window",
        _ => return None,
    })
}
