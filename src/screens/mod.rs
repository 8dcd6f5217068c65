//! Screens as units. Each screen is a module here: what has focus on it (its key context), the rows its
//! movement keys step through, the actions that are its own, what it asks for when it is shown, and its
//! drawing — behind one small trait, [`View`]. The console's state holds what each screen shows; the
//! app's key handling asks the screen first and does only the global actions itself.
//!
//! Adding a screen: a module here with its [`View`], and one line in [`screens!`] below. Its keys go in
//! the key table (`assets/keys.toml`) under its [`View::keys`] name.
use crate::app::App;
use crate::app::keymap::{Action, Context};
use crate::app::textinput::Form;
use ratatui::Frame;
use ratatui::layout::Rect;

pub mod alerts;
pub mod audit;
pub mod changes;
pub mod detail;
pub mod drills;
pub mod environments;
pub mod explorer;
pub mod incidents;
pub mod kpis;
pub mod logs;
pub mod overview;
pub mod rollback;
pub mod runbooks;
pub mod silences;
pub mod traces;

/// One screen of the console. Every method but [`title`](View::title), [`keys`](View::keys),
/// [`context`](View::context) and [`draw`](View::draw) has a default that does nothing.
pub trait View: Sync {
    /// Its name in the header, help and the command palette.
    fn title(&self) -> &'static str;
    /// The key table's name for its bindings (`[[context]] name`, and `[keys.NAME]` in the config).
    fn keys(&self) -> &'static str;
    /// Opened by a global key or Tab rather than drilled into: going to it starts a new path, so Esc
    /// from it returns to the overview rather than back through every screen visited before. Tab and
    /// Shift-Tab step through these.
    fn top_level(&self) -> bool {
        false
    }
    /// The key context of what has focus on it now: its own bindings, or a form's while one is open.
    fn context(&self, app: &App) -> Context;
    /// The position its movement keys move, and how many rows there are; `None`: they do nothing here.
    fn cursor<'a>(&self, _app: &'a mut App) -> Option<(&'a mut usize, usize)> {
        None
    }
    /// Do `action` if it is this screen's own (or means something of its own here); `false` leaves it
    /// to the console's global handling.
    fn act(&self, _app: &mut App, _action: Action) -> bool {
        false
    }
    /// It has just been shown: ask for what it draws.
    fn shown(&self, _app: &mut App) {}
    /// The form or prompt open on it, if any: what typing edits (the same way in every one).
    fn form<'a>(&self, _app: &'a mut App) -> Option<&'a mut dyn Form> {
        None
    }
    /// Typing changed its form's text (a filter narrows as it is typed; a stale error goes).
    fn typed(&self, _app: &mut App) {}
    /// Enter in its form.
    fn submit(&self, _app: &mut App) {}
    /// Esc in its form: the form closes (a filter left unfinished is cleared).
    fn cancel(&self, _app: &mut App) {}
    /// Whether a key of its own (or of its form) does anything here: Tab only where the form has another
    /// field, the dry-run switch only in the runbook form. The footer and help leave out what does not.
    fn applies(&self, _app: &App, action: Action) -> bool {
        !matches!(action, Action::NextField | Action::PrevField | Action::ToggleDryRun)
    }
    /// Draw it in `area` (below the header, above the footer).
    fn draw(&self, app: &App, f: &mut Frame, area: Rect);
}

macro_rules! screens {
    ($($(#[$doc:meta])* $variant:ident => $unit:path,)*) => {
        /// Which screen is shown. Listed in Tab's order (Tab stops at the top-level ones).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Screen { $($(#[$doc])* $variant),* }
        impl Screen {
            /// Every screen, as listed (Tab steps through the top-level ones in this order).
            pub const ALL: &'static [Screen] = &[$(Screen::$variant),*];
            /// The screen's unit: its keys, actions and drawing.
            pub fn view(self) -> &'static dyn View {
                match self { $(Screen::$variant => &$unit),* }
            }
        }
    };
}

// The one list of screens.
screens! {
    Overview => overview::Overview,
    Alerts => alerts::Alerts,
    Silences => silences::Silences,
    Incidents => incidents::Incidents,
    /// One incident's timeline.
    Incident => incidents::Incident,
    Logs => logs::Logs,
    Traces => traces::Traces,
    /// One trace's waterfall.
    Trace => traces::Trace,
    Kpis => kpis::Kpis,
    Detail => detail::Detail,
    Explorer => explorer::Explorer,
    Drills => drills::Drills,
    Runbooks => runbooks::Runbooks,
    /// One runbook run.
    Run => runbooks::Run,
    /// A service's gated rollback.
    Rollback => rollback::Rollback,
    /// What changed (deploys, rollbacks, runbooks, silences, windows) and what is coming.
    Changes => changes::Changes,
    Audit => audit::Audit,
    /// Every environment at once: its sources, services' health, alerts and worst burn.
    Environments => environments::Environments,
    /// One service in every environment.
    Across => environments::Across,
}

impl Screen {
    pub fn title(self) -> &'static str {
        self.view().title()
    }
    pub fn is_top_level(self) -> bool {
        self.view().top_level()
    }
    /// Where Tab (Shift-Tab: `back`) goes from here: the next top-level screen in the list, round; from a
    /// drilled-into screen, the next after it.
    pub fn tab(self, back: bool) -> Screen {
        let n = Screen::ALL.len();
        let at = Screen::ALL.iter().position(|s| *s == self).unwrap_or(0);
        (1..=n)
            .map(|i| Screen::ALL[if back { (at + n - i) % n } else { (at + i) % n }])
            .find(|s| s.is_top_level())
            .unwrap_or(Screen::Overview)
    }
}

/// Its own context, or the form's while `typing`.
pub(crate) fn own(screen: Screen, typing: bool) -> Context {
    if typing { Context::Form } else { Context::Screen(screen) }
}

/// Is this a movement key's action?
pub(crate) fn is_move(action: Action) -> bool {
    matches!(action, Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom)
}
