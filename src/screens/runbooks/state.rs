//! The Runbooks screens' state: the runbooks found, the parameter form, and the runs in progress (several
//! at once), each driven a step at a time — the screen asks for the service name before a destructive
//! step and for a reason before a skip. No I/O: runs start and step through commands the loop sends.
use crate::app::state::App;
use crate::config::error::Located;
use crate::ops::runbook_tasks::{RunCommand, RunUpdate, Start};
use crate::runbooks::exec::Value;
use crate::runbooks::run::resolve;
use crate::runbooks::{Param, ParamKind, Runbook, StepKind};
use ratatui_textarea::TextArea;
use std::collections::{BTreeMap, VecDeque};

/// Output lines a run view keeps.
pub const OUTPUT: usize = 2000;

#[derive(Clone, Debug, PartialEq)]
pub enum StepState {
    Pending,
    Running,
    Ok,
    Failed(String),
    Skipped(String),
    /// It was running when the run stopped (a crash, a lost session): it may or may not have done its
    /// work. Enter runs it again, `s` skips it.
    Unknown,
}

impl StepState {
    /// Ran well or was skipped: nothing left to do for it.
    pub fn is_done(&self) -> bool {
        matches!(self, StepState::Ok | StepState::Skipped(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunPrompt {
    /// Type the service name to run a destructive step.
    Confirm,
    /// Why this step is skipped.
    SkipReason,
}

#[derive(Debug)]
pub struct ParamForm {
    pub book: usize,
    pub fields: Vec<(Param, TextArea<'static>)>,
    pub focus: usize,
    pub errors: Vec<String>,
    pub dry_run: bool,
}

impl crate::app::textinput::Form for ParamForm {
    /// A runbook without parameters has a form of none (enter runs it).
    fn field(&mut self) -> Option<&mut TextArea<'static>> {
        self.fields.get_mut(self.focus).map(|(_, t)| t)
    }
    fn fields(&self) -> usize {
        self.fields.len()
    }
    fn focus(&mut self) -> Option<&mut usize> {
        Some(&mut self.focus)
    }
    fn edited(&mut self) {
        self.errors.clear();
    }
}

#[derive(Debug)]
pub struct RunView {
    pub id: u64,
    pub runbook: Runbook,
    pub values: Vec<Value>,
    pub states: Vec<StepState>,
    pub selected: usize,
    pub output: VecDeque<String>,
    pub prompt: Option<(RunPrompt, TextArea<'static>)>,
    pub journal: Option<std::path::PathBuf>,
    pub notice: Option<String>,
    pub dry_run: bool,
    pub aborted: bool,
    /// An interrupted run taken up again: its journal.
    pub resumed: Option<std::path::PathBuf>,
    /// A drill: its steps act on the built-in estate.
    pub drill: bool,
    /// Running the rest: each step starts when the one before ends well, until one fails, needs the
    /// service name or a checklist, or the operator pauses.
    pub auto: bool,
    /// A manual step's checklist being ticked.
    pub checklist: Option<Checklist>,
    /// When the running step was started (a wait step counts down from it).
    pub step_started: Option<chrono::DateTime<chrono::Utc>>,
    /// How the running check step stands.
    pub check: Option<crate::runbooks::run::CheckState>,
}

/// The items of a manual step, ticked one at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Checklist {
    pub step: usize,
    pub items: Vec<String>,
    pub ticked: Vec<bool>,
    pub cursor: usize,
}

impl RunView {
    pub fn busy(&self) -> bool {
        self.running_step().is_some()
    }
    /// The step running now.
    pub fn running_step(&self) -> Option<usize> {
        self.states.iter().position(|s| *s == StepState::Running)
    }
    /// The steps a run goes through, by index: every step but the undo ones, which run only when asked
    /// for (a run is finished without them).
    fn way(&self) -> impl Iterator<Item = usize> + '_ {
        self.runbook.steps().enumerate().filter(|(_, s)| !self.runbook.is_undo(&s.id)).map(|(i, _)| i)
    }
    /// The first step of the way not done.
    fn next_open(&self) -> Option<usize> {
        self.way().find(|&i| !self.states[i].is_done())
    }
    /// The run's state in a few words. Undo steps that never ran do not count: a run whose steps of the
    /// way are all done is done.
    pub fn summary(&self) -> String {
        let n = self.way().count();
        let done = self.way().filter(|&i| self.states[i].is_done()).count();
        let failed = self.states.iter().position(|s| matches!(s, StepState::Failed(_)));
        let unknown = self.states.iter().position(|s| *s == StepState::Unknown);
        match (self.aborted, failed, self.busy()) {
            _ if self.dry_run => format!("DRY RUN: {} steps shown, none run", self.states.len()),
            (true, ..) => format!("aborted after {done}/{n} steps"),
            (_, Some(i), _) => format!("{done}/{n} steps, {} failed", self.step_id(i)),
            (_, None, true) => format!("{done}/{n} steps, running"),
            _ if unknown.is_some() => {
                format!("{done}/{n} steps, {} of unknown outcome", self.step_id(unknown.unwrap_or_default()))
            }
            _ if done == n => "done".into(),
            _ => format!("{done}/{n} steps"),
        }
    }

    /// Whether every step of the way is done (ok or skipped).
    pub fn finished(&self) -> bool {
        self.next_open().is_none()
    }
    pub fn step_id(&self, i: usize) -> String {
        self.runbook.steps().nth(i).map(|s| s.id.clone()).unwrap_or_default()
    }
    fn say(&mut self, line: String) {
        if self.output.len() == OUTPUT {
            self.output.pop_front();
        }
        self.output.push_back(line);
    }
}

#[derive(Debug, Default)]
pub struct RunbooksView {
    pub books: Vec<Runbook>,
    pub problems: Vec<Located>,
    pub selected: usize,
    pub form: Option<ParamForm>,
    pub runs: Vec<RunView>,
    /// The run shown on the Run screen (an index into `runs`).
    pub current: usize,
    pub(crate) next_id: u64,
    /// The alert's labels the form's `from_label` defaults come from.
    pub labels: BTreeMap<String, String>,
    pub(crate) starts: Vec<(Runbook, Vec<Value>, u64, Option<std::path::PathBuf>)>,
    pub(crate) commands: Vec<(u64, RunCommand)>,
    pub notice: Option<String>,
    /// Where runs are journalled (and interrupted ones found).
    pub journal_dir: std::path::PathBuf,
    /// The operator's runbook directories, read beside the built-in runbooks (said when none load).
    pub dirs: Vec<std::path::PathBuf>,
}

impl App {
    /// Open the parameter form of runbook `book`, defaults filled from the alert's labels.
    pub(crate) fn runbook_form(&mut self, book: usize, labels: BTreeMap<String, String>) {
        let Some(rb) = self.runbooks.books.get(book) else { return };
        let fields = rb
            .params
            .iter()
            .map(|p| {
                let v = p.from_label.as_ref().and_then(|l| labels.get(l)).cloned().or_else(|| p.default.clone());
                let mut t = TextArea::new(vec![v.unwrap_or_default()]);
                let hint = match &p.kind {
                    ParamKind::Enum(a) => a.join(" | "),
                    ParamKind::Secret => "env:NAME, file:/path or vault:mount/path#key".into(),
                    k => format!("{k:?}").to_lowercase(),
                };
                t.set_placeholder_text(hint);
                t.move_cursor(ratatui_textarea::CursorMove::End);
                (p.clone(), t)
            })
            .collect();
        self.runbooks.labels = labels;
        self.runbooks.form = Some(ParamForm { book, fields, focus: 0, errors: Vec::new(), dry_run: false });
        self.go(crate::app::Screen::Runbooks, true);
    }

    /// The form's values checked; a run (or a dry run) starts when they all pass.
    pub(crate) fn submit_runbook_form(&mut self) {
        let Some(form) = self.runbooks.form.take() else { return };
        let Some(rb) = self.runbooks.books.get(form.book).cloned() else { return };
        let given: Vec<(String, String)> = form
            .fields
            .iter()
            .map(|(p, t)| (p.name.clone(), t.lines().join("")))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        match resolve(&rb, &given, &self.runbooks.labels) {
            Err(problems) => {
                let errors = problems.iter().map(ToString::to_string).collect();
                self.runbooks.form = Some(ParamForm { errors, ..form });
            }
            Ok(values) => {
                if !form.dry_run
                    && let Some(why) = self.read_only_refusal("runbook run")
                {
                    self.runbooks.form = Some(ParamForm { errors: vec![why], ..form });
                    return;
                }
                if let Some(service) = values.iter().find(|v| v.name == "service") {
                    self.drill_saw(&service.value, "a runbook run");
                }
                let v = &mut self.runbooks;
                v.next_id += 1;
                let id = v.next_id;
                let n = rb.steps().count();
                if !form.dry_run {
                    v.starts.push((rb.clone(), values.clone(), id, None));
                    if self.estate_api.is_some()
                        && let Some(d) = self.drills.run.as_mut()
                    {
                        d.used_runbook(&rb.id);
                    }
                }
                v.runs.push(RunView {
                    id,
                    runbook: rb,
                    values,
                    states: vec![StepState::Pending; n],
                    selected: 0,
                    output: VecDeque::new(),
                    prompt: None,
                    journal: None,
                    notice: form.dry_run.then(|| "Dry run: every step with its values; nothing runs.".into()),
                    dry_run: form.dry_run,
                    aborted: false,
                    resumed: None,
                    drill: self.estate_api.is_some(),
                    auto: false,
                    checklist: None,
                    step_started: None,
                    check: None,
                });
                v.current = v.runs.len() - 1;
                self.go(crate::app::Screen::Run, true);
            }
        }
    }

    /// Offer the runs a crash, a killed session or a power cut interrupted: each shows what was done,
    /// the step that was running as "outcome unknown" (enter runs it again, s skips it), and goes on in
    /// the same journal. Runs with secret parameters are not offered (their values are not journalled).
    pub fn offer_interrupted(&mut self, found: Vec<(std::path::PathBuf, crate::runbooks::journal::Replay)>) {
        for (path, r) in found {
            let Some(rb) = self.runbooks.books.iter().find(|b| b.id == r.runbook).cloned() else { continue };
            if rb.params.iter().any(|p| p.kind == ParamKind::Secret) {
                continue;
            }
            let given: Vec<(String, String)> = r.params.clone().into_iter().collect();
            let Ok(values) = resolve(&rb, &given, &BTreeMap::new()) else { continue };
            let states: Vec<StepState> = rb
                .steps()
                .map(|s| match (r.done.get(&s.id), r.unknown.as_deref() == Some(s.id.as_str())) {
                    (Some(res), _) if res.starts_with("skipped") => StepState::Skipped(res.clone()),
                    (Some(res), _) if res == "ok" => StepState::Ok,
                    (Some(res), _) => StepState::Failed(res.clone()),
                    (None, true) => StepState::Unknown,
                    (None, false) => StepState::Pending,
                })
                .collect();
            let v = &mut self.runbooks;
            v.next_id += 1;
            let id = v.next_id;
            v.starts.push((rb.clone(), values.clone(), id, Some(path.clone())));
            v.runs.push(RunView {
                id,
                runbook: rb,
                values,
                states,
                selected: 0,
                output: VecDeque::new(),
                prompt: None,
                journal: Some(path.clone()),
                notice: Some(format!("Interrupted run {} taken up again: done steps are not run again.", r.run)),
                dry_run: false,
                aborted: false,
                resumed: Some(path),
                drill: r.drill,
                auto: false,
                checklist: None,
                step_started: None,
                check: None,
            });
            // The cursor goes where the run stopped: the step of unknown outcome, else the first step of
            // the way not done — never an undo step.
            if let Some(r) = v.runs.last_mut() {
                r.selected = r.states.iter().position(|s| *s == StepState::Unknown).or(r.next_open()).unwrap_or(0);
            }
        }
    }

    /// Show the current run's screen.
    pub fn go_run(&mut self) {
        self.go(crate::app::Screen::Run, true);
    }

    /// Interrupted runs offered and not finished yet.
    pub fn interrupted_runs(&self) -> usize {
        self.runbooks.runs.iter().filter(|r| r.resumed.is_some() && !r.aborted && !r.finished()).count()
    }

    pub fn take_run_starts(&mut self) -> Vec<(Runbook, Vec<Value>, u64, Option<std::path::PathBuf>)> {
        std::mem::take(&mut self.runbooks.starts)
    }

    pub fn take_run_commands(&mut self) -> Vec<(u64, RunCommand)> {
        std::mem::take(&mut self.runbooks.commands)
    }

    /// What a run's task needs, given the app's knowledge of who and where.
    pub fn run_start(
        &self,
        runbook: Runbook,
        values: Vec<Value>,
        run: u64,
        resume: Option<std::path::PathBuf>,
    ) -> Start {
        Start {
            run,
            runbook,
            values,
            who: self.who(),
            audit_path: self.audit.path.clone(),
            prometheus: None,
            vault: None,
            policy: None,
            resume,
            journal_dir: self.runbooks.journal_dir.clone(),
            drill: self.estate_api.clone(),
        }
    }

    pub fn current_run(&mut self) -> Option<&mut RunView> {
        let i = self.runbooks.current;
        self.runbooks.runs.get_mut(i)
    }

    /// Enter on a step: run it (after the service name, when destructive; a manual step is ticked).
    pub(crate) fn run_selected_step(&mut self) {
        let Some(r) = self.current_run() else { return };
        if r.dry_run || r.aborted || r.busy() {
            r.notice = Some(
                if r.dry_run { "A dry run runs nothing." } else { "Not now: a step is running or the run is over." }
                    .into(),
            );
            return;
        }
        let i = r.selected;
        let Some(step) = r.runbook.steps().nth(i).cloned() else { return };
        if r.states[i].is_done() {
            r.notice = Some(format!("{} is done already.", step.id));
            return;
        }
        if step.destructive {
            let mut t = TextArea::new(vec![String::new()]);
            t.set_placeholder_text("the service name");
            r.prompt = Some((RunPrompt::Confirm, t));
            return;
        }
        if let StepKind::Manual { checklist } = &step.kind {
            match r.checklist.take() {
                Some(c) if c.step == i && c.ticked.iter().all(|t| *t) => {}
                Some(c) if c.step == i => {
                    let left = c.ticked.iter().filter(|t| !**t).count();
                    r.notice = Some(format!("{left} item(s) not ticked yet: space ticks the one under the cursor."));
                    r.checklist = Some(c);
                    return;
                }
                _ => {
                    let n = checklist.len();
                    r.checklist =
                        Some(Checklist { step: i, items: checklist.clone(), ticked: vec![false; n], cursor: 0 });
                    r.notice = Some("Tick each item (space), then enter; esc puts the checklist away.".into());
                    r.auto = false;
                    if n > 0 {
                        return;
                    }
                    r.checklist = None;
                }
            }
        }
        self.send_step(i);
    }

    /// Space in a checklist: tick (or untick) the item under the cursor, and move to the next.
    pub(crate) fn tick_item(&mut self) {
        let Some(r) = self.current_run() else { return };
        let Some(c) = r.checklist.as_mut() else { return };
        if let Some(t) = c.ticked.get_mut(c.cursor) {
            *t = !*t;
            c.cursor = (c.cursor + 1).min(c.items.len().saturating_sub(1));
        }
    }

    /// `r`: run this step and the ones after it, each when the one before ends well.
    pub(crate) fn run_rest(&mut self) {
        let Some(r) = self.current_run() else { return };
        if r.dry_run || r.aborted {
            return;
        }
        // A step whose outcome is unknown is the operator's to decide: enter runs it again, s skips it.
        if r.states.get(r.selected) == Some(&StepState::Unknown) {
            r.notice = Some(format!("Stopped at {}: enter runs it again, s skips it.", r.step_id(r.selected)));
            return;
        }
        r.auto = true;
        r.notice = Some("Running the rest: p pauses after the current step.".into());
        if !r.busy() {
            self.run_selected_step();
        }
    }

    /// `p`: stop running the rest once the current step ends.
    pub(crate) fn pause_run(&mut self) {
        let Some(r) = self.current_run() else { return };
        if r.auto {
            r.auto = false;
            r.notice = Some("Paused: the current step finishes; enter runs the next, r runs the rest.".into());
        }
    }

    /// After a step ended well in a run that runs the rest: the next pending step.
    fn advance_auto(&mut self, run_index: usize) {
        let Some(r) = self.runbooks.runs.get_mut(run_index) else { return };
        if !r.auto || r.aborted || r.busy() {
            return;
        }
        // A step that is another's rollback runs only when asked for: running the rest passes it by. A
        // step that failed or whose outcome is unknown stops it: the operator decides (enter, s).
        match r.next_open() {
            Some(stop) if r.states[stop] != StepState::Pending => {
                r.auto = false;
                r.selected = stop;
                r.notice = Some(format!("Stopped at {}: enter runs it again, s skips it.", r.step_id(stop)));
            }
            Some(next) => {
                r.selected = next;
                let current = std::mem::replace(&mut self.runbooks.current, run_index);
                self.run_selected_step();
                self.runbooks.current = current;
            }
            None => {
                r.auto = false;
                r.notice = Some("Every step has run.".into());
            }
        }
    }

    fn send_step(&mut self, i: usize) {
        let now = self.now;
        // A run offered again after a crash is refused here as a new one would be.
        let refused = self.read_only_refusal("runbook step");
        let Some(r) = self.current_run() else { return };
        if let Some(why) = refused {
            (r.auto, r.notice) = (false, Some(why));
            return;
        }
        r.states[i] = StepState::Running;
        r.checklist = None;
        r.check = None;
        r.step_started = Some(now);
        if !r.auto {
            r.notice = None;
        }
        let id = r.id;
        self.runbooks.commands.push((id, RunCommand::Step(i)));
    }

    pub(crate) fn skip_selected_step(&mut self) {
        let Some(r) = self.current_run() else { return };
        if r.dry_run || r.aborted || r.busy() {
            return;
        }
        let mut t = TextArea::new(vec![String::new()]);
        t.set_placeholder_text("why (recorded)");
        r.prompt = Some((RunPrompt::SkipReason, t));
        r.auto = false;
    }

    /// Abort the run `id` (asked first: [`App::ask_abort_run`]).
    pub(crate) fn abort_run(&mut self, id: u64) {
        let Some(r) = self.runbooks.runs.iter_mut().find(|r| r.id == id) else { return };
        if r.aborted || r.dry_run {
            return;
        }
        r.aborted = true;
        r.auto = false;
        r.checklist = None;
        self.runbooks.commands.push((id, RunCommand::Abort));
    }

    pub(crate) fn submit_run_prompt(&mut self) {
        let word = {
            let Some(r) = self.current_run() else { return };
            let service =
                r.values.iter().find(|v| v.name == "service").map_or(r.runbook.id.clone(), |v| v.value.clone());
            self.confirm_word(&service)
        };
        let Some(r) = self.current_run() else { return };
        let Some((kind, t)) = r.prompt.take() else { return };
        let text = t.lines().join("").trim().to_string();
        let i = r.selected;
        match kind {
            RunPrompt::Confirm => {
                if text == word {
                    self.send_step(i);
                } else {
                    r.auto = false;
                    r.notice = Some(format!("Not run: type `{word}` exactly to run this destructive step."));
                }
            }
            RunPrompt::SkipReason if text.is_empty() => {
                r.notice = Some("A skip needs a reason.".into());
                r.prompt = Some((kind, t));
            }
            RunPrompt::SkipReason => {
                let id = r.id;
                self.runbooks.commands.push((id, RunCommand::Skip(i, text)));
            }
        }
    }

    pub fn on_run_update(&mut self, u: RunUpdate) {
        self.dirty = true;
        let run_id = match &u {
            RunUpdate::Started { run, .. }
            | RunUpdate::Line { run, .. }
            | RunUpdate::Check { run, .. }
            | RunUpdate::Ended { run, .. }
            | RunUpdate::Skipped { run, .. }
            | RunUpdate::Refused { run, .. }
            | RunUpdate::Aborted { run, .. } => *run,
        };
        let Some(index) = self.runbooks.runs.iter().position(|r| r.id == run_id) else { return };
        let r = &mut self.runbooks.runs[index];
        let mut next = false;
        match u {
            RunUpdate::Started { journal, .. } => r.journal = Some(journal),
            RunUpdate::Line { text, .. } => r.say(text),
            RunUpdate::Check { state, .. } => r.check = r.busy().then_some(state),
            RunUpdate::Ended { step, result, .. } => {
                r.states[step] = match result {
                    Ok(()) => StepState::Ok,
                    Err(e) => StepState::Failed(e),
                };
                if r.states[step] == StepState::Ok && r.selected == step {
                    r.selected = (step + 1).min(r.states.len().saturating_sub(1));
                }
                next = r.states[step] == StepState::Ok;
                if !next && r.auto {
                    r.auto = false;
                    r.notice = Some(format!("{} failed: stopped running the rest.", r.step_id(step)));
                }
            }
            RunUpdate::Skipped { step, reason, .. } => {
                r.states[step] = StepState::Skipped(format!("skipped: {reason}"));
                r.selected = (step + 1).min(r.states.len().saturating_sub(1));
                next = true;
            }
            RunUpdate::Refused { step, error, .. } => {
                if let Some(i) = step {
                    r.states[i] = StepState::Pending;
                }
                r.auto = false;
                r.notice = Some(format!("Not run: {error}"));
            }
            RunUpdate::Aborted { step, .. } => {
                r.aborted = true;
                r.auto = false;
                if let Some(i) = step {
                    r.states[i] = StepState::Failed("killed: the run was aborted while it ran".into());
                }
            }
        }
        if next {
            self.advance_auto(index);
        }
    }

    /// `b` on an alert: the runbook that handles it (by alert name, and service when it says), with its
    /// labels for the defaults; else its `runbook_url`.
    pub(crate) fn runbook_for_alert(&mut self) -> bool {
        let Some(a) = self.alerts.selected_alert() else { return false };
        self.drills.saw_alert(self.now, &a.raw_labels, "the runbook");
        let name = a.name().to_string();
        let service = a.service().map(str::to_string);
        let labels: BTreeMap<String, String> = a.raw_labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let found = self.runbooks.books.iter().position(|b| {
            b.alerts.contains(&name) && service.as_ref().is_none_or(|s| b.services.is_empty() || b.services.contains(s))
        });
        match found {
            Some(i) => {
                self.runbook_form(i, labels);
                true
            }
            None => false,
        }
    }

    /// A step's description as a dry run gives it.
    pub fn describe_step(r: &RunView, i: usize) -> String {
        let Some(step) = r.runbook.steps().nth(i) else { return String::new() };
        let run = crate::runbooks::run::Run {
            runbook: &r.runbook,
            values: r.values.clone(),
            journal: None,
            audit: None,
            who: crate::ops::who::Who { user: String::new(), host: String::new(), ssh_client: None, environment: None },
            prometheus: None,
            vault: None,
            dry_run: true,
            done: Default::default(),
            drill: r.drill.then(|| url::Url::parse("http://estate.invalid/").expect("a valid URL")),
        };
        let mut text = run.describe(step);
        if let StepKind::Manual { checklist } = &step.kind
            && r.checklist.as_ref().is_none_or(|c| c.step != i)
        {
            let done = r.states.get(i) == Some(&StepState::Ok);
            let mark = if done { "[x]" } else { "[ ]" };
            text.push_str(&checklist.iter().map(|c| format!("\n  {mark} {c}")).collect::<String>());
        }
        text
    }
}
