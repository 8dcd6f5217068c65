//! Keys are data: one table of (context, key, action); the help popup and the footer are built from it.
use crate::config::keys::{Key, KeySpec, Mods};
use crossterm::event::{KeyCode, KeyEvent};
use std::str::FromStr;

/// Where a binding applies. `Global` bindings apply everywhere except while typing in the explorer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Overview,
    Detail,
    Explorer,
    Alerts,
    Silences,
    Incidents,
    Drills,
    Logs,
    Traces,
    Trace,
    Audit,
    Runbooks,
    Run,
    Rollback,
    Changes,
    Kpis,
    /// Typing in a form field: the alert filter or the silence editor.
    Form,
    /// Typing a query: printable keys go to the input, only these bindings are looked up.
    Editing,
}

impl Context {
    pub const ALL: [Context; 19] = [
        Context::Changes,
        Context::Kpis,
        Context::Rollback,
        Context::Runbooks,
        Context::Run,
        Context::Audit,
        Context::Logs,
        Context::Traces,
        Context::Trace,
        Context::Incidents,
        Context::Global,
        Context::Overview,
        Context::Detail,
        Context::Explorer,
        Context::Alerts,
        Context::Silences,
        Context::Drills,
        Context::Form,
        Context::Editing,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Overview => "overview",
            Context::Detail => "detail",
            Context::Explorer => "explorer",
            Context::Drills => "drills",
            Context::Alerts => "alerts",
            Context::Silences => "silences",
            Context::Incidents => "incidents",
            Context::Form => "form",
            Context::Logs => "logs",
            Context::Traces => "traces",
            Context::Trace => "trace",
            Context::Audit => "audit",
            Context::Runbooks => "runbooks",
            Context::Run => "run",
            Context::Rollback => "rollback",
            Context::Changes => "changes",
            Context::Kpis => "kpis",
            Context::Editing => "editing",
        }
    }
}

impl FromStr for Context {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Context::ALL.into_iter().find(|c| c.name() == s).ok_or(())
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// Everything a key can do. Names are what the config's `[keys]` tables use.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }
        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];
            pub fn name(self) -> &'static str { match self { $(Action::$variant => $name),* } }
            pub fn desc(self) -> &'static str { match self { $(Action::$variant => $desc),* } }
        }
    };
}

actions! {
    Quit => "quit", "quit";
    Help => "help", "show or hide this help";
    NextScreen => "next_screen", "next screen";
    PrevScreen => "prev_screen", "previous screen";
    Up => "up", "move up";
    Down => "down", "move down";
    PageUp => "page_up", "page up";
    PageDown => "page_down", "page down";
    Top => "top", "first row";
    Bottom => "bottom", "last row";
    Open => "open", "open the selected service";
    Back => "back", "go back";
    Refresh => "refresh", "refresh now";
    NextRange => "next_range", "longer time range";
    PrevRange => "prev_range", "shorter time range";
    Explorer => "explorer", "PromQL explorer";
    Edit => "edit", "edit the query";
    RunQuery => "run_query", "run the query";
    StopEditing => "stop_editing", "stop editing";
    Complete => "complete", "complete metric / label";
    HistoryPrev => "history_prev", "previous query";
    HistoryNext => "history_next", "next query";
    ToggleRangeQuery => "toggle_range_query", "instant ↔ range query";
    ToggleView => "toggle_view", "table ↔ chart";
    Drills => "drills", "drills: incident rehearsal";
    Alerts => "alerts", "alerts";
    Silences => "silences", "silences";
    Kpis => "kpis", "on-call KPIs: incidents, MTTR, MTBF, error rate";
    Incidents => "incidents", "incidents (PagerDuty)";
    Acknowledge => "acknowledge", "acknowledge the incident";
    Resolve => "resolve", "resolve the incident";
    AddNote => "add_note", "add a note";
    Reassign => "reassign", "reassign to a user";
    Escalate => "escalate", "escalate one level";
    SilenceAlert => "silence_alert", "silence the selected alert";
    Runbook => "runbook", "the alert's runbook";
    Filter => "filter", "filter alerts (Alertmanager matchers)";
    FilterServices => "filter_services", "show only services whose name contains a text";
    SortServices => "sort_services", "sort: name, worst first, errors, p95, burn";
    GroupServices => "group_services", "group rows by the configured label (team, namespace)";
    ClearFilter => "clear_filter", "clear the service filter";
    NewSilence => "new_silence", "new silence";
    ExtendSilence => "extend_silence", "extend the silence by an hour";
    ExpireSilence => "expire_silence", "expire the silence";
    Submit => "submit", "submit";
    Cancel => "cancel", "cancel";
    NextField => "next_field", "next field";
    PrevField => "prev_field", "previous field";
    StartDrill => "start_drill", "start the selected drill now";
    StartDrillRandom => "start_drill_random", "start it at a random time (not shown)";
    Mitigate => "mitigate", "apply the mitigation (ends the fault)";
    AbortDrill => "abort_drill", "abort the drill";
    Logs => "logs", "logs of the selected service (or alert, or span)";
    Traces => "traces", "traces of the selected service (or alert)";
    Follow => "follow", "follow new lines / pause";
    LineFilter => "line_filter", "show only lines matching a regex";
    Highlight => "highlight", "highlight a regex";
    Wrap => "wrap", "wrap long lines";
    ScrollLeft => "scroll_left", "scroll left";
    ScrollRight => "scroll_right", "scroll right";
    JumpTime => "jump_time", "jump to a time";
    LineContext => "line_context", "the lines around this one (unfiltered)";
    Copy => "copy", "copy the line (OSC 52, if enabled)";
    ErrorsOnly => "errors_only", "only failing traces";
    MinDuration => "min_duration", "step the minimum duration";
    Collapse => "collapse", "collapse / expand the subtree";
    LiveTraces => "live_traces", "move into the live traces";
    Search => "search", "edit the search (service, operation, tags, min duration)";
    OpenTrace => "open_trace", "open the trace (the one selected, or the one the line names)";
    Audit => "audit", "the audit trail: who did what, and whether the chain verifies";
    Home => "home", "go to the overview, from any screen";
    Palette => "palette", "find a screen or an action by what it does";
    AuditFilter => "audit_filter", "filter entries by text";
    Runbooks => "runbooks", "runbooks: run one, or see the runs in progress";
    StartRunbook => "start_runbook", "fill in the runbook's parameters and run it";
    RunStep => "run_step", "run the selected step (again, if it failed)";
    SkipStep => "skip_step", "skip the selected step (with a reason)";
    AbortRun => "abort_run", "abort the run (a running step is killed)";
    RunRest => "run_rest", "run the rest: each step when the one before ends well";
    PauseRun => "pause_run", "pause: stop running the rest after the current step";
    TickItem => "tick_item", "tick the checklist item (manual steps)";
    OpenRollback => "rollback", "roll the selected service back (its versions, checks, plan, watch)";
    RollbackNext => "rollback_next", "choose the version / confirm the plan";
    AbortRollback => "abort_rollback", "abort the rollback (the running command is killed)";
    Changes => "changes", "what changed (deploys, rollbacks, runbooks, silences, windows) and what is coming";
    ChangesScope => "changes_scope", "the selected service's changes ↔ the whole estate's";
    NewWindow => "new_window", "schedule a maintenance window (written to the team's file, audited)";
    CancelWindow => "cancel_window", "cancel a maintenance window by its id (its silences are expired)";
    ToggleDryRun => "toggle_dry_run", "dry run ↔ real run";
}

impl Action {
    /// The footer's short label; `None` keeps the action out of the footer (it is still in help).
    pub fn footer(self) -> Option<&'static str> {
        use Action::*;
        Some(match self {
            Quit => "quit",
            Help => "help",
            Palette => "find",
            NextScreen => "screens",
            Open => "open",
            Back => "back",
            Refresh => "refresh",
            NextRange => "range",
            Explorer => "promql",
            Edit => "edit",
            RunQuery => "run",
            StopEditing => "done",
            Complete => "complete",
            HistoryPrev => "history",
            ToggleRangeQuery => "instant/range",
            ToggleView => "table/chart",
            StartDrill => "start",
            StartDrillRandom => "start at random",
            Mitigate => "mitigate",
            AbortDrill => "abort",
            Logs => "logs",
            Traces => "traces",
            Follow => "follow/pause",
            LineFilter => "filter",
            Highlight => "highlight",
            Wrap => "wrap",
            JumpTime => "jump",
            LineContext => "context",
            Copy => "copy",
            ErrorsOnly => "errors only",
            MinDuration => "min duration",
            Collapse => "fold",
            LiveTraces => "live traces",
            Search => "search",
            OpenTrace => "trace",
            Audit => "audit",
            AuditFilter => "filter",
            Runbooks => "runbooks",
            StartRunbook => "run",
            RunStep => "run step",
            SkipStep => "skip",
            AbortRun => "abort",
            RunRest => "run the rest",
            PauseRun => "pause",
            TickItem => "tick",
            OpenRollback => "rollback",
            RollbackNext => "next",
            AbortRollback => "abort",
            Changes => "changes",
            ChangesScope => "service/estate",
            NewWindow => "new window",
            CancelWindow => "cancel window",
            SilenceAlert => "silence",
            Runbook => "runbook",
            Acknowledge => "ack",
            Resolve => "resolve",
            AddNote => "note",
            Escalate => "escalate",
            Filter => "filter",
            FilterServices => "filter",
            SortServices => "sort",
            GroupServices => "group",
            NewSilence => "new",
            ExtendSilence => "+1h",
            ExpireSilence => "expire",
            Submit => "submit",
            Cancel => "cancel",
            NextField => "next field",
            _ => return None,
        })
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Action::ALL.iter().copied().find(|a| a.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            let hint = crate::config::error::nearest(s, names.iter().copied())
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            format!("unknown action `{s}`: expected one of {} (or `none` to unbind){hint}", names.join(", "))
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub context: Context,
    pub key: KeySpec,
    pub action: Action,
}

#[derive(Clone, Debug)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        use Action::*;
        use Context::{Detail, Editing, Form, Global, Overview};
        const EXPLORE: Context = Context::Explorer;
        const DRILLS: Context = Context::Drills;
        const ALERTS: Context = Context::Alerts;
        const SILENCES: Context = Context::Silences;
        const INCIDENTS: Context = Context::Incidents;
        const LOGS: Context = Context::Logs;
        const TRACES: Context = Context::Traces;
        const TRACE: Context = Context::Trace;
        const AUDIT: Context = Context::Audit;
        const RUNBOOKS: Context = Context::Runbooks;
        const RUN: Context = Context::Run;
        const ROLLBACK: Context = Context::Rollback;
        let k = KeySpec::plain;
        let c = KeySpec::ch;
        let table: &[(Context, KeySpec, Action)] = &[
            (Global, c('q'), Quit),
            (Global, KeySpec::ctrl('c'), Quit),
            (Global, c('?'), Help),
            (Global, k(Key::Tab), NextScreen),
            (Global, k(Key::BackTab), PrevScreen),
            (Global, c('r'), Refresh),
            (Global, c('t'), NextRange),
            (Global, c('T'), PrevRange),
            (Global, c(':'), Action::Explorer),
            (Global, c('D'), Action::Drills),
            (Global, c('A'), Action::Alerts),
            (Global, c('S'), Action::Silences),
            (Global, c('K'), Action::Kpis),
            (Global, c('I'), Action::Incidents),
            (Global, c('L'), Action::Logs),
            (Global, c('W'), Action::Traces),
            (Global, c('U'), Action::Audit),
            (Global, c('H'), Action::Home),
            (Global, KeySpec::ctrl('p'), Action::Palette),
            (Global, c('B'), Action::Runbooks),
            (RUNBOOKS, c('j'), Down),
            (RUNBOOKS, k(Key::Down), Down),
            (RUNBOOKS, c('k'), Up),
            (RUNBOOKS, k(Key::Up), Up),
            (RUNBOOKS, k(Key::Enter), StartRunbook),
            (RUNBOOKS, k(Key::Esc), Back),
            (RUN, c('j'), Down),
            (RUN, k(Key::Down), Down),
            (RUN, c('k'), Up),
            (RUN, k(Key::Up), Up),
            (RUN, k(Key::Enter), RunStep),
            (RUN, c('s'), SkipStep),
            (RUN, c('x'), AbortRun),
            (RUN, c('r'), RunRest),
            (RUN, c('p'), PauseRun),
            (RUN, c(' '), TickItem),
            (ROLLBACK, c('j'), Down),
            (ROLLBACK, k(Key::Down), Down),
            (ROLLBACK, c('k'), Up),
            (ROLLBACK, k(Key::Up), Up),
            (ROLLBACK, k(Key::Enter), RollbackNext),
            (ROLLBACK, c('x'), AbortRollback),
            (ROLLBACK, k(Key::Esc), Back),
            (Global, c('C'), Action::Changes),
            (Context::Changes, c('j'), Down),
            (Context::Changes, k(Key::Down), Down),
            (Context::Changes, c('k'), Up),
            (Context::Changes, k(Key::Up), Up),
            (Context::Changes, c('s'), ChangesScope),
            (Context::Changes, c('n'), NewWindow),
            (Context::Changes, c('x'), CancelWindow),
            (Context::Changes, k(Key::Esc), Back),
            (RUN, k(Key::Esc), Back),
            (Form, KeySpec::ctrl('d'), ToggleDryRun),
            (AUDIT, c('j'), Down),
            (AUDIT, k(Key::Down), Down),
            (AUDIT, c('k'), Up),
            (AUDIT, k(Key::Up), Up),
            (AUDIT, k(Key::PageDown), PageDown),
            (AUDIT, k(Key::PageUp), PageUp),
            (AUDIT, c('g'), Top),
            (AUDIT, c('G'), Bottom),
            (AUDIT, c('/'), AuditFilter),
            (AUDIT, k(Key::Esc), Back),
            (LOGS, c('j'), Down),
            (LOGS, k(Key::Down), Down),
            (LOGS, c('k'), Up),
            (LOGS, k(Key::Up), Up),
            (LOGS, k(Key::PageDown), PageDown),
            (LOGS, k(Key::PageUp), PageUp),
            (LOGS, c('g'), Top),
            (LOGS, c('G'), Bottom),
            (LOGS, c('f'), Follow),
            (LOGS, c(' '), Follow),
            (LOGS, c('/'), LineFilter),
            (LOGS, c('h'), Highlight),
            (LOGS, c('w'), Wrap),
            (LOGS, k(Key::Left), ScrollLeft),
            (LOGS, k(Key::Right), ScrollRight),
            (LOGS, c('@'), JumpTime),
            (LOGS, c('c'), LineContext),
            (LOGS, c('y'), Copy),
            (LOGS, c('e'), Edit),
            (LOGS, k(Key::Enter), OpenTrace),
            (LOGS, k(Key::Esc), Back),
            (TRACES, c('j'), Down),
            (TRACES, k(Key::Down), Down),
            (TRACES, c('k'), Up),
            (TRACES, k(Key::Up), Up),
            (TRACES, k(Key::PageDown), PageDown),
            (TRACES, k(Key::PageUp), PageUp),
            (TRACES, k(Key::Enter), OpenTrace),
            (TRACES, c('e'), ErrorsOnly),
            (TRACES, c('m'), MinDuration),
            (TRACES, c('/'), Search),
            (TRACES, k(Key::Esc), Back),
            (TRACE, c('j'), Down),
            (TRACE, k(Key::Down), Down),
            (TRACE, c('k'), Up),
            (TRACE, k(Key::Up), Up),
            (TRACE, k(Key::PageDown), PageDown),
            (TRACE, k(Key::PageUp), PageUp),
            (TRACE, c('g'), Top),
            (TRACE, c('G'), Bottom),
            (TRACE, k(Key::Enter), Collapse),
            (TRACE, c(' '), Collapse),
            (TRACE, c('l'), Action::Logs),
            (TRACE, k(Key::Esc), Back),
            (INCIDENTS, c('j'), Down),
            (INCIDENTS, k(Key::Down), Down),
            (INCIDENTS, c('k'), Up),
            (INCIDENTS, k(Key::Up), Up),
            (INCIDENTS, k(Key::Enter), Open),
            (INCIDENTS, c('a'), Acknowledge),
            (INCIDENTS, c('R'), Resolve),
            (INCIDENTS, c('n'), AddNote),
            (INCIDENTS, c('o'), Reassign),
            (INCIDENTS, c('E'), Escalate),
            (INCIDENTS, k(Key::Esc), Back),
            (ALERTS, c('j'), Down),
            (ALERTS, k(Key::Down), Down),
            (ALERTS, c('k'), Up),
            (ALERTS, k(Key::Up), Up),
            (ALERTS, k(Key::PageDown), PageDown),
            (ALERTS, k(Key::PageUp), PageUp),
            (ALERTS, c('g'), Top),
            (ALERTS, c('G'), Bottom),
            (ALERTS, k(Key::Enter), Open),
            (ALERTS, c('s'), SilenceAlert),
            (ALERTS, c('b'), Runbook),
            (ALERTS, c('/'), Filter),
            (ALERTS, c('l'), Action::Logs),
            (ALERTS, c('t'), Action::Traces),
            (ALERTS, k(Key::Esc), Back),
            (SILENCES, c('j'), Down),
            (SILENCES, k(Key::Down), Down),
            (SILENCES, c('k'), Up),
            (SILENCES, k(Key::Up), Up),
            (SILENCES, c('n'), NewSilence),
            (SILENCES, c('e'), ExtendSilence),
            (SILENCES, c('x'), ExpireSilence),
            (SILENCES, k(Key::Esc), Back),
            (Form, k(Key::Enter), Submit),
            (Form, k(Key::Esc), Cancel),
            (Form, k(Key::Tab), NextField),
            (Form, k(Key::BackTab), PrevField),
            (Form, KeySpec::ctrl('c'), Quit),
            (DRILLS, c('j'), Down),
            (DRILLS, k(Key::Down), Down),
            (DRILLS, c('k'), Up),
            (DRILLS, k(Key::Up), Up),
            (DRILLS, k(Key::Enter), StartDrill),
            (DRILLS, c('R'), StartDrillRandom),
            (DRILLS, c('m'), Mitigate),
            (DRILLS, c('x'), AbortDrill),
            (DRILLS, k(Key::Esc), Back),
            (Context::Kpis, c('j'), Down),
            (Context::Kpis, k(Key::Down), Down),
            (Context::Kpis, c('k'), Up),
            (Context::Kpis, k(Key::Up), Up),
            (Context::Kpis, k(Key::Enter), Open),
            (Context::Kpis, c('l'), Action::Logs),
            (Context::Kpis, c('w'), Action::Traces),
            (Context::Kpis, k(Key::Esc), Back),
            (Overview, c('j'), Down),
            (Overview, k(Key::Down), Down),
            (Overview, c('k'), Up),
            (Overview, k(Key::Up), Up),
            (Overview, k(Key::PageDown), PageDown),
            (Overview, k(Key::PageUp), PageUp),
            (Overview, c('g'), Top),
            (Overview, c('G'), Bottom),
            (Overview, k(Key::Enter), Open),
            (Overview, c('l'), Action::Logs),
            (Overview, c('w'), Action::Traces),
            (Overview, c('v'), LiveTraces),
            (Overview, c('R'), OpenRollback),
            (Overview, c('/'), FilterServices),
            (Overview, k(Key::Esc), ClearFilter),
            (Overview, c('s'), SortServices),
            (Overview, c('b'), GroupServices),
            (Detail, k(Key::Esc), Back),
            (Detail, c('j'), Down),
            (Detail, k(Key::Down), Down),
            (Detail, c('k'), Up),
            (Detail, k(Key::Up), Up),
            (Detail, c('R'), OpenRollback),
            (EXPLORE, k(Key::Enter), Edit),
            (EXPLORE, c('i'), Edit),
            (EXPLORE, c('/'), Edit),
            (EXPLORE, k(Key::Esc), Back),
            (EXPLORE, c('j'), Down),
            (EXPLORE, k(Key::Down), Down),
            (EXPLORE, c('k'), Up),
            (EXPLORE, k(Key::Up), Up),
            (EXPLORE, c('v'), ToggleView),
            (EXPLORE, c('m'), ToggleRangeQuery),
            (Editing, k(Key::Enter), RunQuery),
            (Editing, k(Key::Esc), StopEditing),
            (Editing, k(Key::Tab), Complete),
            (Editing, k(Key::Up), HistoryPrev),
            (Editing, k(Key::Down), HistoryNext),
            (Editing, KeySpec::ctrl('t'), ToggleRangeQuery),
            (Editing, KeySpec::ctrl('c'), Quit),
        ];
        KeyMap { bindings: table.iter().map(|&(context, key, action)| Binding { context, key, action }).collect() }
    }
}

impl KeyMap {
    /// The defaults with the config's overrides applied (an override replaces that key in that context;
    /// `None` unbinds it).
    pub fn with_overrides(overrides: &[(Context, KeySpec, Option<Action>)]) -> Self {
        let mut map = KeyMap::default();
        for &(context, key, action) in overrides {
            map.bindings.retain(|b| !(b.context == context && b.key == key));
            if let Some(action) = action {
                map.bindings.push(Binding { context, key, action });
            }
        }
        map
    }

    /// The action for a key in a context; the screen's own table first, then global (not while editing).
    pub fn lookup(&self, context: Context, ev: &KeyEvent) -> Option<Action> {
        let find = |ctx: Context| self.bindings.iter().find(|b| b.context == ctx && matches(&b.key, ev));
        find(context)
            .or_else(|| (!matches!(context, Context::Editing | Context::Form)).then(|| find(Context::Global)).flatten())
            .map(|b| b.action)
    }

    /// Bindings for a context, one entry per action with all its keys: `j, ↓  move down`.
    pub fn describe(&self, context: Context) -> Vec<(String, &'static str)> {
        self.actions(context).into_iter().map(|(keys, a)| (keys, a.desc())).collect()
    }

    /// Bindings for a context, one entry per action (in the table's order) with all its keys.
    pub fn actions(&self, context: Context) -> Vec<(String, Action)> {
        let mut out: Vec<(Action, Vec<String>)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.context == context) {
            match out.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) => keys.push(b.key.to_string()),
                None => out.push((b.action, vec![b.key.to_string()])),
            }
        }
        out.into_iter().map(|(a, keys)| (keys.join(", "), a)).collect()
    }

    /// As [`describe`](Self::describe), without movement keys and with short labels.
    pub fn describe_for_footer(&self, context: Context) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.context == context) {
            let Some(label) = b.action.footer() else { continue };
            if !out.iter().any(|(_, l)| *l == label) {
                out.push((b.key.to_string(), label));
            }
        }
        out
    }
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
        let map = KeyMap::with_overrides(&[
            (Context::Global, KeySpec::ch('x'), Some(Action::Quit)),
            (Context::Global, KeySpec::ch('q'), None),
        ]);
        let ev = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(map.lookup(Context::Overview, &ev('x')), Some(Action::Quit));
        assert_eq!(map.lookup(Context::Overview, &ev('q')), None);
        assert_eq!(map.lookup(Context::Editing, &ev('x')), None, "typing is not a key binding");
        assert!(matches(&KeySpec::ch('G'), &KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        assert!(matches(&KeySpec::ctrl('r'), &KeyEvent::new(KeyCode::Char('R'), KeyModifiers::CONTROL)));
    }
    #[test]
    fn unknown_action_suggests() {
        assert!("refesh".parse::<Action>().unwrap_err().contains("did you mean `refresh`"));
    }
}
