//! A runbook as the console holds it.
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub path: std::path::PathBuf,
    pub services: Vec<String>,
    /// Alert names it handles.
    pub alerts: Vec<String>,
    /// A role the operator needs to run it (checked against the policy).
    pub role: Option<String>,
    pub params: Vec<Param>,
    /// Prose and steps, in the order written.
    pub body: Vec<Block>,
}

impl Runbook {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.body.iter().filter_map(|b| match b {
            Block::Step(s) => Some(s),
            Block::Prose(_) => None,
        })
    }
    /// Whether step `id` is only another step's undo (named by its `rollback=`): it runs when that step
    /// is undone, so a run is finished without it.
    pub fn is_undo(&self, id: &str) -> bool {
        self.steps().any(|s| s.rollback.as_deref() == Some(id))
    }
    /// The ids of the steps a run goes through: every step but the undo ones.
    pub fn forward_steps(&self) -> Vec<String> {
        self.steps().filter(|s| !self.is_undo(&s.id)).map(|s| s.id.clone()).collect()
    }
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps().find(|s| s.id == id)
    }
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Markdown shown as written.
    Prose(String),
    Step(Step),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamKind {
    String,
    Int,
    Number,
    Bool,
    Duration,
    /// One of the allowed values.
    Enum(Vec<String>),
    /// A reference (`env:NAME`, `file:/path`, `vault:path#key`), resolved at run time, never shown.
    Secret,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    pub default: Option<String>,
    /// The whole value must match (anchored).
    pub pattern: Option<String>,
    /// The default comes from this label of the alert that opened the runbook.
    pub from_label: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    /// Asks the operator to type the service name before it runs.
    pub destructive: bool,
    /// The step that undoes this one.
    pub rollback: Option<String>,
    /// Declared irreversible: a destructive step with no rollback, on purpose.
    pub irreversible: bool,
    pub timeout: Duration,
    /// In a drill, what the step does to the built-in estate instead (an action of its deploy API,
    /// or `status`/`revisions` to read); a shell or HTTP step without one is not run in a drill.
    pub drill: Option<String>,
    /// Line of the block's opening fence (1-based), for messages.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    /// A shell script; parameters are in its environment, never in its text.
    Shell {
        script: String,
    },
    /// Wait until the PromQL condition holds for `for_` (or fail after the step's timeout).
    Check {
        query: String,
        for_: Duration,
    },
    /// An HTTP request: method, URL, headers and body.
    Http {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// The operator ticks each item.
    Manual {
        checklist: Vec<String>,
    },
    Wait {
        duration: Duration,
    },
}

impl StepKind {
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Shell { .. } => "shell",
            StepKind::Check { .. } => "check",
            StepKind::Http { .. } => "http",
            StepKind::Manual { .. } => "manual",
            StepKind::Wait { .. } => "wait",
        }
    }
}

/// What a step may do to the estate in a drill: its deploy API's actions, and two reads.
pub const DRILL_ACTIONS: &[&str] =
    &["status", "revisions", "rollback", "restart", "scale", "failover", "disk-cleanup", "renew-cert"];

/// A step's default timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
