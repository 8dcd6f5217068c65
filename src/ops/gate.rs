//! The gate every action passes on its way out: recorded in the audit trail first, sent only once the
//! record is on disk; refused (and said so on screen) when it cannot be recorded. Outcomes are recorded
//! as they come back. Runs on its own thread, so a slow disk never holds up the screen.
use super::audit::Audit;
use super::who::Who;
use crate::alerts::matcher;
use crate::sources::alertmanager::AlertCommand;
use crate::sources::alertmanager::api::matcher_json;
use crate::sources::pagerduty::poller::IncidentCommand;
use serde_json::{Value, json};
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Where a recorded action goes.
pub enum Deliver {
    Alertmanager(mpsc::Sender<AlertCommand>, AlertCommand),
    Incidents(mpsc::Sender<IncidentCommand>, IncidentCommand),
}

/// What the audit records for an action: its name, what it acts on, and its values.
pub fn describe(d: &Deliver) -> Option<(String, String, Value)> {
    Some(match d {
        Deliver::Alertmanager(_, AlertCommand::PostSilence(s)) => (
            if s.id.is_some() { "silence.update" } else { "silence.create" }.to_string(),
            s.id.clone().unwrap_or_else(|| "new".into()),
            json!({
                // As sent, in the API's own shape (raw values), and as the form showed them.
                "matchers": s.matchers.iter().map(matcher_json).collect::<Vec<_>>(),
                "shown": matcher::to_text(&s.matchers),
                "starts_at": s.starts_at.to_rfc3339(),
                "ends_at": s.ends_at.to_rfc3339(),
                "created_by": s.created_by,
                "comment": s.comment,
            }),
        ),
        Deliver::Alertmanager(_, AlertCommand::ExpireSilence { id }) => {
            ("silence.expire".into(), id.clone(), json!({}))
        }
        Deliver::Alertmanager(_, AlertCommand::RefreshNow) => return None,
        Deliver::Incidents(_, c) => match c {
            IncidentCommand::Log(_) => return None,
            IncidentCommand::SetStatus(id, st) => {
                ("incident.status".into(), id.clone(), json!({ "status": format!("{st:?}").to_lowercase() }))
            }
            IncidentCommand::Note(id, note) => ("incident.note".into(), id.clone(), json!({ "note": note })),
            IncidentCommand::Reassign(id, to) => ("incident.reassign".into(), id.clone(), json!({ "to": to })),
            IncidentCommand::Escalate(id, level) => ("incident.escalate".into(), id.clone(), json!({ "level": level })),
        },
    })
}

pub enum GateMsg {
    Action(Deliver),
    /// An outcome to record (`what` as the source reported it).
    Outcome {
        action: String,
        what: String,
        result: Outcome,
    },
}

/// The gate's word back to the screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub action: String,
    pub error: String,
}

/// How an action ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Done, with what the service said of it.
    Done(String),
    /// Refused or failed: not done.
    Failed(String),
    /// Sent, but whether it was done could not be learnt: recorded as such, so that no one reading the
    /// trail takes it for a failure and sends it again.
    Unknown(String),
}

impl Outcome {
    /// As the trail records it: `ok …`, `failed: …` or `unknown: …`.
    fn recorded(&self) -> String {
        match self {
            Outcome::Done(v) => format!("ok {v}").trim().to_string(),
            Outcome::Failed(e) => format!("failed: {e}"),
            Outcome::Unknown(why) => format!("unknown: {why}"),
        }
    }
}

/// The policy's name for an action: `silence.create` → `silence`, `incident.note` → `ack`.
fn policy_action(action: &str) -> &'static str {
    if action.starts_with("silence") { "silence" } else { "ack" }
}

/// Start the gate on its own thread with the audit trail at `path`, deciding by `policy` (none: every
/// action is allowed).
pub fn spawn(
    path: PathBuf,
    who: Who,
    policy: Option<super::policy::Policy>,
) -> (std::sync::mpsc::Sender<GateMsg>, mpsc::Receiver<Refused>) {
    let groups = super::policy::current_groups();
    let (tx, rx) = std::sync::mpsc::channel::<GateMsg>();
    let (refused_tx, refused_rx) = mpsc::channel(16);
    std::thread::Builder::new()
        .name("audit".into())
        .spawn(move || {
            let mut audit = Audit::open(&path);
            if let Err(e) = &audit {
                tracing::error!("audit trail unusable, actions will be refused: {e}");
            }
            while let Ok(msg) = rx.recv() {
                let now = chrono::Utc::now();
                match msg {
                    GateMsg::Action(d) => {
                        let Some((action, target, values)) = describe(&d) else {
                            let _ = deliver(d);
                            continue;
                        };
                        let intent = match super::policy::decide(policy.as_ref(), &who, &groups, policy_action(&action))
                        {
                            Ok(None) => "intent".to_string(),
                            Ok(Some(rule)) => format!("intent ({rule})"),
                            Err(denied) => {
                                if let Ok(a) = &mut audit {
                                    let _ =
                                        a.record(&who, now, &action, &target, &values, &format!("denied: {denied}"));
                                }
                                let _ = refused_tx.blocking_send(Refused { action, error: denied });
                                continue;
                            }
                        };
                        let recorded = match &mut audit {
                            Ok(a) => a.record(&who, now, &action, &target, &values, &intent).map(|_| ()),
                            Err(e) => Err(e.clone()),
                        };
                        match recorded {
                            Ok(()) => {
                                if let Err(e) = deliver(d)
                                    && let Ok(a) = &mut audit
                                {
                                    let _ = a.record(&who, now, &format!("{action}.result"), &target, &values, &e);
                                    let _ = refused_tx.blocking_send(Refused { action, error: e });
                                }
                            }
                            Err(error) => {
                                let _ = refused_tx.blocking_send(Refused { action, error });
                            }
                        }
                    }
                    GateMsg::Outcome { action, what, result } => {
                        let result = result.recorded();
                        if let Ok(a) = &mut audit
                            && let Err(e) = a.record(&who, now, &format!("{action}.result"), &what, &json!({}), &result)
                        {
                            tracing::error!("audit: outcome not recorded: {e}");
                        }
                    }
                }
            }
        })
        .expect("audit thread");
    (tx, refused_rx)
}

fn deliver(d: Deliver) -> Result<(), String> {
    let sent = match d {
        Deliver::Alertmanager(tx, c) => tx.try_send(c).is_ok(),
        Deliver::Incidents(tx, c) => tx.try_send(c).is_ok(),
    };
    if sent { Ok(()) } else { Err("not sent: the source is busy or not configured".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::matcher::{Matcher, Op};
    use crate::alerts::model::NewSilence;

    /// The trail keeps what was sent (raw values, in the API's shape), not the escaped form drawn.
    #[test]
    fn a_silence_is_recorded_with_its_raw_values() {
        let (tx, _rx) = mpsc::channel(1);
        let s = NewSilence {
            id: None,
            matchers: vec![Matcher::new("instance", Op::Equal, "web\u{200b}-1").unwrap()],
            starts_at: chrono::Utc::now(),
            ends_at: chrono::Utc::now(),
            created_by: "a".into(),
            comment: "c".into(),
        };
        let (_, _, v) = describe(&Deliver::Alertmanager(tx, AlertCommand::PostSilence(s))).unwrap();
        assert_eq!(v["matchers"][0]["value"], "web\u{200b}-1");
        assert_eq!(v["shown"], "instance=\"web\\u200b-1\"");
    }

    /// A change whose outcome could not be learnt is recorded as unknown, not as failed (which would
    /// invite sending it again); a failure and a success as before.
    #[test]
    fn an_unknown_outcome_is_recorded_as_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let who = Who { user: "alice".into(), host: "bastion-1".into(), ssh_client: None, environment: None };
        let (gate, _refused) = spawn(db.clone(), who, None);
        let outcomes = [
            Outcome::Unknown("request req-1 not processed after 5 reads".into()),
            Outcome::Failed("opsgenie: Alert is already closed".into()),
            Outcome::Done(String::new()),
        ];
        for result in outcomes {
            let (action, what) = ("incident".to_string(), "acknowledged a1".to_string());
            gate.send(GateMsg::Outcome { action, what, result }).unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let results = loop {
            let entries = Audit::open(&db).and_then(|a| a.entries()).unwrap_or_default();
            if entries.len() == 3 || std::time::Instant::now() > deadline {
                break entries.into_iter().map(|e| e.result).collect::<Vec<_>>();
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(
            results,
            ["unknown: request req-1 not processed after 5 reads", "failed: opsgenie: Alert is already closed", "ok"]
        );
    }
}
