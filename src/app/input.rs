//! Terminal events to actions, and what each action does to state.
use super::keymap::{Action, Context};
use super::screen::{RANGES, Screen};
use super::state::App;
use super::textinput::edit;
use crate::sources::prometheus::poller::Command;
use crossterm::event::{Event, KeyEvent, KeyEventKind};

impl App {
    /// The key context of what has focus now.
    pub fn context(&self) -> Context {
        let form_open = self.alerts.editor.is_some() || self.alerts.filter.is_some();
        if self.palette.is_some() {
            return Context::Form;
        }
        match self.screen {
            Screen::Incidents | Screen::Incident if self.incidents.prompt.is_some() => Context::Form,
            Screen::Incidents | Screen::Incident => Context::Incidents,
            Screen::Alerts | Screen::Silences if form_open => Context::Form,
            Screen::Alerts => Context::Alerts,
            Screen::Silences => Context::Silences,
            Screen::Kpis => Context::Kpis,
            Screen::Overview if self.overview.filter.is_some() => Context::Form,
            Screen::Overview => Context::Overview,
            Screen::Detail => Context::Detail,
            Screen::Explorer if self.explorer.editing => Context::Editing,
            Screen::Explorer => Context::Explorer,
            Screen::Drills => Context::Drills,
            Screen::Logs if self.logs.prompt.is_some() => Context::Form,
            Screen::Logs => Context::Logs,
            Screen::Traces if self.traces.prompt.is_some() => Context::Form,
            Screen::Traces => Context::Traces,
            Screen::Trace => Context::Trace,
            Screen::Audit if self.audit.filter.is_some() => Context::Form,
            Screen::Audit => Context::Audit,
            Screen::Runbooks if self.runbooks.form.is_some() => Context::Form,
            Screen::Runbooks => Context::Runbooks,
            Screen::Run if self.runbooks.runs.get(self.runbooks.current).is_some_and(|r| r.prompt.is_some()) => {
                Context::Form
            }
            Screen::Run => Context::Run,
            Screen::Rollback if self.rollback.as_ref().is_some_and(|r| r.input.is_some()) => Context::Form,
            Screen::Rollback => Context::Rollback,
            Screen::Changes if self.changes.form.is_some() || self.changes.cancel.is_some() => Context::Form,
            Screen::Changes => Context::Changes,
        }
    }

    /// Whether an action of a context does anything where the console is: a form's keys that belong to
    /// another kind of form (the runbook form's dry run, a second field) are left out of its footer and
    /// help.
    pub fn applies(&self, context: Context, action: Action) -> bool {
        if context != Context::Form {
            return true;
        }
        let runbook_form = self.screen == Screen::Runbooks && self.runbooks.form.is_some();
        match action {
            Action::ToggleDryRun => runbook_form,
            Action::NextField | Action::PrevField => {
                let log_query = self.logs.prompt.as_ref().is_some_and(|(k, _)| *k == super::logs::LogPrompt::Query)
                    && self.screen == Screen::Logs;
                (runbook_form && self.runbooks.form.as_ref().is_some_and(|f| f.fields.len() > 1))
                    || (self.screen == Screen::Changes && self.changes.form.is_some())
                    || (matches!(self.screen, Screen::Alerts | Screen::Silences) && self.alerts.editor.is_some())
                    || (action == Action::NextField && log_query)
            }
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
            match self.keys.lookup(Context::Help, &key) {
                Some(Action::Down) => return self.help_scroll += 1,
                Some(Action::Up) => return self.help_scroll = self.help_scroll.saturating_sub(1),
                _ => {}
            }
            self.help = false;
            self.help_scroll = 0;
            if !matches!(self.keys.lookup(ctx, &key), Some(Action::Quit)) {
                return;
            }
        }
        self.notice = None;
        match self.keys.lookup(ctx, &key) {
            Some(action) => self.act(action),
            None if ctx == Context::Editing => {
                if edit(&mut self.explorer.input, key) {
                    self.explorer.candidates.clear();
                    self.explorer.notice = None;
                }
                self.dirty = true;
            }
            None if ctx == Context::Form => {
                let current = self.runbooks.current;
                let rollback_input = self.rollback.as_mut().filter(|_| self.screen == Screen::Rollback);
                if let Some(t) = self.overview.filter.as_mut().filter(|_| self.screen == Screen::Overview) {
                    if edit(t, key) {
                        self.overview_filter_typed();
                    }
                } else if let Some(t) = rollback_input.and_then(|r| r.input.as_mut()) {
                    edit(t, key);
                } else if let Some(t) = self.changes.cancel.as_mut().filter(|_| self.screen == Screen::Changes) {
                    edit(t, key);
                } else if let Some(form) = self.changes.form.as_mut().filter(|_| self.screen == Screen::Changes) {
                    let f = form.focus;
                    if edit(&mut form.fields[f], key) {
                        form.error = None;
                    }
                } else if let Some(form) = &mut self.runbooks.form {
                    let f = form.focus;
                    if let Some((_, t)) = form.fields.get_mut(f) {
                        edit(t, key);
                    }
                    form.errors.clear();
                } else if let Some((_, t)) = self.runbooks.runs.get_mut(current).and_then(|r| r.prompt.as_mut()) {
                    edit(t, key);
                } else if let Some(t) = &mut self.audit.filter {
                    if edit(t, key) {
                        self.audit.filter_text = t.lines().join("");
                        self.audit.selected = 0;
                    }
                } else if let Some(t) = &mut self.traces.prompt {
                    if edit(t, key) {
                        self.traces.prompt_error = None;
                    }
                } else if let Some((_, t)) = &mut self.logs.prompt {
                    if edit(t, key) {
                        self.logs.prompt_error = None;
                    }
                } else if let Some((_, t)) = &mut self.incidents.prompt {
                    edit(t, key);
                } else if let Some(ed) = &mut self.alerts.editor {
                    let f = ed.focus;
                    if edit(&mut ed.fields[f], key) {
                        ed.error = None;
                        ed.confirm_broad = false;
                        ed.confirm_suspicious = false;
                    }
                } else if let Some(filter) = &mut self.alerts.filter
                    && edit(filter, key)
                {
                    self.update_filter();
                }
                self.dirty = true;
            }
            None => {}
        }
    }

    pub fn act(&mut self, action: Action) {
        self.dirty = true;
        let rows = match self.screen {
            Screen::Overview => self.overview.order(&self.services).len(),
            Screen::Detail => self.selected_service().map_or(0, |s| s.detail.targets.len()),
            Screen::Explorer => {
                self.explorer.result.as_ref().map_or(0, |r| r.outcome.as_ref().map_or(0, |o| o.result.series().len()))
            }
            Screen::Drills => self.drills.scenarios.len(),
            Screen::Alerts => self.alerts.visible().len(),
            Screen::Kpis => self.services.len(),
            Screen::Incidents | Screen::Incident => self.incidents.incidents.len(),
            Screen::Silences => self.alerts.silences.len(),
            Screen::Logs => self.logs.buffer.shown_len(),
            Screen::Traces => self.traces.list.len(),
            Screen::Trace => self.traces.open.as_ref().map_or(0, |w| w.rows.len()),
            Screen::Audit => self.audit.visible().len(),
            Screen::Runbooks => self.runbooks.books.len() + self.runbooks.runs.len(),
            Screen::Run => self.runbooks.runs.get(self.runbooks.current).map_or(0, |r| r.states.len()),
            Screen::Rollback => self.rollback.as_ref().map_or(0, |r| r.history.len()),
            Screen::Changes => self.change_rows().len(),
        };
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => self.help = !self.help,
            Action::NextScreen | Action::PrevScreen => {
                let order = Screen::ORDER;
                let i = order.iter().position(|s| *s == self.screen).unwrap_or(0);
                let n = order.len();
                let next = if action == Action::NextScreen { (i + 1) % n } else { (i + n - 1) % n };
                self.go(order[next], false);
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
                if self.screen == Screen::Logs =>
            {
                match action {
                    Action::Up => self.logs.step(-1),
                    Action::Down => self.logs.step(1),
                    Action::PageUp => self.logs.step(-20),
                    Action::PageDown => self.logs.step(20),
                    Action::Top => self.logs.step(isize::MIN / 2),
                    _ => self.logs.bottom(),
                }
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
                if self.screen == Screen::Run
                    && self.runbooks.runs.get(self.runbooks.current).is_some_and(|r| r.checklist.is_some()) =>
            {
                if let Some(c) = self.current_run().and_then(|r| r.checklist.as_mut()) {
                    c.cursor = step(c.cursor, c.items.len(), action);
                }
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
                if self.screen == Screen::Overview && self.traces.live_focus.is_some() =>
            {
                let n = self.traces.live_list().len();
                if let Some(f) = &mut self.traces.live_focus {
                    *f = step(*f, n, action);
                }
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
                if self.screen == Screen::Overview =>
            {
                self.step_overview(action)
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                let pos = match self.screen {
                    Screen::Overview => return,
                    Screen::Detail => &mut self.target_scroll,
                    Screen::Explorer => &mut self.explorer.scroll,
                    Screen::Drills => &mut self.drills.selected,
                    Screen::Alerts => &mut self.alerts.selected,
                    Screen::Silences => &mut self.alerts.silence_selected,
                    Screen::Kpis => &mut self.selected,
                    Screen::Incidents | Screen::Incident => &mut self.incidents.selected,
                    Screen::Traces => &mut self.traces.selected,
                    Screen::Trace => match &mut self.traces.open {
                        Some(w) => &mut w.selected,
                        None => return,
                    },
                    Screen::Logs => return,
                    Screen::Audit => &mut self.audit.selected,
                    Screen::Runbooks => &mut self.runbooks.selected,
                    Screen::Run => match self.runbooks.runs.get_mut(self.runbooks.current) {
                        Some(r) => &mut r.selected,
                        None => return,
                    },
                    Screen::Changes => &mut self.changes.selected,
                    Screen::Rollback => {
                        match self.rollback.as_mut().filter(|r| r.phase == super::rollback::Phase::Choose) {
                            Some(r) => {
                                r.error = None;
                                &mut r.selected
                            }
                            None => return,
                        }
                    }
                };
                *pos = step(*pos, rows, action);
            }
            Action::Open if self.screen == Screen::Alerts => self.open_alert(),
            Action::Open if self.screen == Screen::Incidents => self.open_incident(),
            Action::Open if self.screen == Screen::Incident => {}
            Action::OpenTrace if self.screen == Screen::Logs => self.open_log_trace(),
            Action::OpenTrace => self.open_selected_trace(),
            Action::Open if self.screen == Screen::Overview && self.traces.live_focus.is_some() => {
                self.open_selected_trace()
            }
            Action::Open => {
                let shown =
                    self.screen != Screen::Overview || self.overview.order(&self.services).contains(&self.selected);
                if !self.services.is_empty() && shown {
                    self.go(Screen::Detail, true);
                }
            }
            Action::Back if self.screen == Screen::Logs && self.logs.context.is_some() => self.logs.context = None,
            Action::ClearFilter if self.screen == Screen::Overview => self.overview.filter_text.clear(),
            Action::ClearFilter => self.act(Action::Back),
            Action::Back
                if self.screen == Screen::Rollback
                    && self.rollback.as_ref().is_some_and(|r| r.phase == super::rollback::Phase::Confirm) =>
            {
                if let Some(r) = self.rollback.as_mut() {
                    r.phase = super::rollback::Phase::Choose;
                    r.blockers.clear();
                    r.plan.clear();
                }
            }
            Action::Back
                if self.screen == Screen::Run
                    && self.runbooks.runs.get(self.runbooks.current).is_some_and(|r| r.checklist.is_some()) =>
            {
                if let Some(r) = self.current_run() {
                    r.checklist = None;
                    r.notice = Some("Checklist put away: nothing was run.".into());
                }
            }
            Action::Back => {
                let back = self.nav.pop().unwrap_or(Screen::Overview);
                self.screen = back;
            }
            Action::Refresh => {
                if self.screen == Screen::Audit {
                    self.request_audit();
                }
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
            Action::Edit if self.screen == Screen::Logs => self.log_prompt(super::logs::LogPrompt::Query),
            Action::Edit => self.explorer.editing = true,
            Action::StopEditing => self.explorer.editing = false,
            Action::RunQuery => self.run_explorer_query(),
            Action::Complete => {
                if let Some(label) = self.explorer.complete() {
                    self.commands.push(Command::LabelValues { label });
                }
            }
            Action::HistoryPrev => self.explorer.history_prev(),
            Action::HistoryNext => self.explorer.history_next(),
            // The mode changes what is asked: the query is asked again at once, not on the next enter.
            Action::ToggleRangeQuery => {
                self.explorer.range_query = !self.explorer.range_query;
                self.run_explorer_query();
            }
            // A chart needs a range: an instant result is asked again as a range query (as the Graph tab
            // of Prometheus's own UI does), and the screen says so.
            Action::ToggleView => {
                self.explorer.chart = !self.explorer.chart;
                let instant = self.explorer.result.as_ref().is_some_and(|r| {
                    r.outcome
                        .as_ref()
                        .is_ok_and(|o| !matches!(o.result, crate::sources::prometheus::QueryResult::Matrix(_)))
                });
                if self.explorer.chart && instant && !self.explorer.range_query {
                    self.explorer.range_query = true;
                    self.run_explorer_query();
                    let range = self.range_label();
                    self.explorer.notice =
                        Some(format!("a chart needs a range: asked again over the last {range} (m: instant)"));
                }
            }
            Action::Drills => self.go(Screen::Drills, true),
            Action::StartDrill => self.start_drill(false),
            Action::StartDrillRandom => self.start_drill(true),
            Action::Mitigate => self.mitigate_drill(),
            Action::AbortDrill => self.abort_drill(),
            Action::Alerts => self.go(Screen::Alerts, true),
            Action::Silences => self.go(Screen::Silences, true),
            Action::Kpis => self.go(Screen::Kpis, true),
            Action::Incidents => self.go(Screen::Incidents, true),
            Action::Acknowledge => self.incident_status(crate::incidents::model::Status::Acknowledged),
            Action::Resolve => self.incident_status(crate::incidents::model::Status::Resolved),
            Action::AddNote => self.incident_prompt(super::incidents::PromptKind::Note),
            Action::Reassign => self.incident_prompt(super::incidents::PromptKind::Reassign),
            Action::Escalate => self.incident_escalate(),
            Action::SilenceAlert => self.silence_selected_alert(),
            Action::Runbook if self.runbook_for_alert() => {}
            Action::Runbook => {
                let msg = match self.alerts.selected_alert() {
                    None => (false, "No alert selected.".to_string()),
                    Some(a) => match a.annotation("runbook_url").or_else(|| a.annotation("runbook")) {
                        Some(url) => (true, format!("runbook: {url}")),
                        None => (false, format!("{} has no runbook_url annotation", a.name())),
                    },
                };
                self.alerts.notice = Some(msg);
            }
            Action::Filter => {
                let text = self.alerts.filter_matchers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                let mut t = ratatui_textarea::TextArea::new(vec![text]);
                t.set_placeholder_text("severity=\"critical\", service=~\"pay.*\"");
                t.move_cursor(ratatui_textarea::CursorMove::End);
                self.alerts.filter = Some(t);
            }
            Action::NewSilence => self.new_silence(),
            Action::ExtendSilence => self.edit_selected_silence(Some(std::time::Duration::from_secs(3600))),
            Action::ExpireSilence => self.expire_selected_silence(),
            Action::FilterServices if self.screen == Screen::Overview => self.overview_filter(),
            Action::SortServices if self.screen == Screen::Overview => self.cycle_sort(),
            Action::GroupServices if self.screen == Screen::Overview => self.toggle_grouping(),
            Action::FilterServices | Action::SortServices | Action::GroupServices => {}
            Action::Submit => {
                let run_prompt = self.runbooks.runs.get(self.runbooks.current).is_some_and(|r| r.prompt.is_some());
                if self.screen == Screen::Overview && self.overview.filter.is_some() {
                    self.overview.filter = None;
                } else if self.screen == Screen::Changes && self.changes.cancel.is_some() {
                    self.submit_cancel_window();
                } else if self.screen == Screen::Changes && self.changes.form.is_some() {
                    self.submit_window_form();
                } else if self.screen == Screen::Rollback && self.rollback.as_ref().is_some_and(|r| r.input.is_some()) {
                    self.submit_rollback_input();
                } else if self.runbooks.form.is_some() {
                    self.submit_runbook_form();
                } else if run_prompt && self.screen == Screen::Run {
                    self.submit_run_prompt();
                } else if self.audit.filter.is_some() {
                    self.audit.filter = None;
                } else if self.traces.prompt.is_some() {
                    self.submit_trace_prompt();
                } else if self.logs.prompt.is_some() {
                    self.submit_log_prompt();
                } else if self.incidents.prompt.is_some() {
                    self.submit_incident_prompt();
                } else if self.alerts.editor.is_some() {
                    self.submit_silence();
                } else if self.alerts.filter_error.is_none() {
                    self.alerts.filter = None;
                }
            }
            Action::Cancel => {
                // Whichever form is open closes; a filter left unfinished is cleared.
                if self.screen == Screen::Overview && self.overview.filter.take().is_some() {
                    self.overview.filter_text.clear();
                    return;
                }
                if self.audit.filter.take().is_some() {
                    self.audit.filter_text.clear();
                }
                self.runbooks.form = None;
                self.changes.form = None;
                self.changes.cancel = None;
                if let Some(r) = self.rollback.as_mut() {
                    r.input = None;
                }
                let current = self.runbooks.current;
                if let Some(r) = self.runbooks.runs.get_mut(current)
                    && r.prompt.take().is_some()
                {
                    r.auto = false;
                }
                let closed = self.traces.prompt.take().is_some()
                    || self.logs.prompt.take().is_some()
                    || self.incidents.prompt.take().is_some()
                    || self.alerts.editor.take().is_some();
                if !closed && self.alerts.filter.take().is_some() && self.alerts.filter_error.take().is_some() {
                    self.alerts.filter_matchers.clear();
                }
            }
            Action::Logs => self.logs_action(),
            Action::Traces => self.traces_action(),
            Action::Follow => self.toggle_follow(),
            Action::LineFilter => self.log_prompt(super::logs::LogPrompt::Filter),
            Action::Highlight => self.log_prompt(super::logs::LogPrompt::Highlight),
            Action::JumpTime => self.log_prompt(super::logs::LogPrompt::Jump),
            Action::Wrap => self.logs.wrap = !self.logs.wrap,
            Action::ScrollLeft => self.logs.hscroll = self.logs.hscroll.saturating_sub(8),
            Action::ScrollRight => self.logs.hscroll = (self.logs.hscroll + 8).min(crate::logs::model::MAX_LINE_BYTES),
            Action::LineContext => self.log_context(),
            Action::Copy => self.copy_log_line(),
            Action::ErrorsOnly => {
                self.traces.errors_only = !self.traces.errors_only;
                self.search_traces();
            }
            Action::MinDuration => {
                let d = &super::traces::MIN_DURATIONS;
                let i = d.iter().position(|x| *x == self.traces.min_duration_us).map_or(0, |i| (i + 1) % d.len());
                self.traces.min_duration_us = d[i];
                self.search_traces();
            }
            Action::Collapse => {
                if let Some(w) = &mut self.traces.open {
                    w.toggle();
                }
            }
            Action::LiveTraces => {
                let n = self.traces.live_list().len();
                self.traces.live_focus = match self.traces.live_focus {
                    Some(_) => None,
                    None if n > 0 => Some(0),
                    None => {
                        self.logs.notice = None;
                        None
                    }
                };
            }
            Action::Search => self.trace_prompt(),
            Action::Audit => self.go(Screen::Audit, true),
            Action::Home => self.go(Screen::Overview, true),
            Action::Palette => self.open_palette(),
            Action::Runbooks => self.go(Screen::Runbooks, true),
            Action::StartRunbook => {
                let (sel, n) = (self.runbooks.selected, self.runbooks.books.len());
                if sel < n {
                    self.runbook_form(sel, Default::default());
                } else if sel - n < self.runbooks.runs.len() {
                    self.runbooks.current = sel - n;
                    self.go_run();
                }
            }
            Action::RunStep => self.run_selected_step(),
            Action::RunRest => self.run_rest(),
            Action::PauseRun => self.pause_run(),
            Action::TickItem => self.tick_item(),
            Action::OpenRollback => self.open_rollback(),
            Action::Changes => self.open_changes(),
            Action::NewWindow => self.new_window_form(),
            Action::CancelWindow => self.cancel_window_prompt(),
            Action::ChangesScope => {
                // The selected service's changes, or back to the estate's when they are shown already.
                let selected = self.selected_service().map(|v| v.service.name.clone());
                self.scope_changes(if self.changes.service == selected { None } else { selected });
            }
            Action::RollbackNext => self.rollback_enter(),
            Action::AbortRollback => self.ask_abort_rollback(),
            Action::SkipStep => self.skip_selected_step(),
            Action::AbortRun => self.ask_abort_run(),
            Action::ToggleDryRun => {
                if let Some(f) = &mut self.runbooks.form {
                    f.dry_run = !f.dry_run;
                }
            }
            Action::AuditFilter => self.audit_filter(),
            Action::NextField
                if self.logs.prompt.as_ref().is_some_and(|(k, _)| *k == super::logs::LogPrompt::Query) =>
            {
                self.complete_log_query()
            }
            Action::NextField | Action::PrevField if self.changes.form.is_some() => {
                if let Some(form) = &mut self.changes.form {
                    let n = form.fields.len();
                    form.focus =
                        if action == Action::NextField { (form.focus + 1) % n } else { (form.focus + n - 1) % n };
                }
            }
            Action::NextField | Action::PrevField if self.runbooks.form.is_some() => {
                if let Some(form) = &mut self.runbooks.form {
                    let n = form.fields.len().max(1);
                    form.focus =
                        if action == Action::NextField { (form.focus + 1) % n } else { (form.focus + n - 1) % n };
                }
            }
            Action::NextField | Action::PrevField => {
                if let Some(ed) = &mut self.alerts.editor {
                    let n = ed.fields.len();
                    ed.focus = if action == Action::NextField { (ed.focus + 1) % n } else { (ed.focus + n - 1) % n };
                }
            }
        }
    }

    /// Open the selected alert's service on the detail screen, with a range that covers the alert.
    fn open_alert(&mut self) {
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

    /// `l`: logs of what is selected — the alert's service in its window, the span's trace, the service.
    fn logs_action(&mut self) {
        let range = chrono::Duration::from_std(self.range()).unwrap_or_default();
        match self.screen {
            Screen::Trace => self.logs_for_trace(),
            Screen::Alerts => {
                let Some((service, from, to, active)) = self.alert_window() else { return };
                self.open_logs(Some(&service), from, to, active);
            }
            Screen::Logs => {}
            _ => {
                let service = self.selected_service().map(|v| v.service.name.clone());
                self.open_logs(service.as_deref(), self.now - range, self.now, true);
            }
        }
    }

    /// `t`/`w`: traces of the alert's service in its window, or of the selected service.
    fn traces_action(&mut self) {
        let range = chrono::Duration::from_std(self.range()).unwrap_or_default();
        match self.screen {
            Screen::Alerts => {
                let Some((service, from, to, _)) = self.alert_window() else { return };
                self.open_traces(Some(&service), from, to);
            }
            Screen::Traces => {}
            _ => {
                let service = self.selected_service().map(|v| v.service.name.clone());
                self.open_traces(service.as_deref(), self.now - range, self.now);
            }
        }
    }

    /// The selected alert's service and window: from five minutes before it started to its end (or now),
    /// and whether it is still firing.
    fn alert_window(&mut self) -> Option<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, bool)> {
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
        match to {
            Screen::Detail => {
                self.target_scroll = 0;
                self.request_detail();
                if let Some(name) = self.selected_service().map(|v| v.service.name.clone()) {
                    self.drill_saw(&name, "the detail");
                }
            }
            // A service's changes follow the selection: the service chosen since, its charts as of now.
            Screen::Changes if self.changes.service.is_some() => {
                self.scope_changes(self.selected_service().map(|v| v.service.name.clone()));
            }
            Screen::Alerts => self.alerts.attention = 0,
            Screen::Audit => self.request_audit(),
            Screen::Kpis => self.request_kpis(),
            Screen::Explorer if self.explorer.metric_names.is_empty() => {
                self.commands.push(Command::MetricNames);
                self.commands.push(Command::LabelNames);
            }
            _ => {}
        }
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
