//! The Alerts and Silences screens' state: what the Alertmanagers report, the filter, the grouping, the
//! selection, attention for new critical alerts, and the silence editor. No I/O: changes go out as
//! commands the loop sends to the Alertmanager task.
use crate::alerts::matcher::{self, Matcher, MatcherError};
use crate::alerts::model::{Alert, AlertState, NewSilence, Silence, SilenceState};
use crate::app::state::App;
use crate::sources::SourceHealth;
use crate::sources::alertmanager::{AlertCommand, AlertUpdate};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;
use std::collections::HashSet;
use std::time::Duration;

/// A silence ending sooner than this while its alerts still fire is flagged.
pub const EXPIRING_SOON: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
pub struct AlertsView {
    /// Whether any Alertmanager is configured.
    pub configured: bool,
    pub health: Option<SourceHealth>,
    pub alerts: Vec<Alert>,
    pub silences: Vec<Silence>,
    pub at: Option<DateTime<Utc>>,
    /// Servers that did not answer the last poll (the others' answer is shown).
    pub errors: Vec<Clean>,
    /// No server answered the last poll: what is shown is older.
    pub unreachable: Option<Clean>,
    pub group_by: Vec<String>,
    /// What is shown, in order: (group key, index into `alerts`); see [`AlertsView::reorder`].
    pub(crate) order: Vec<(String, usize)>,
    pub filter: Option<TextArea<'static>>,
    pub filter_matchers: Vec<Matcher>,
    pub filter_error: Option<MatcherError>,
    pub selected: usize,
    pub silence_selected: usize,
    /// Fingerprints of critical alerts already seen, so only new ones call for attention.
    pub(crate) seen_critical: HashSet<String>,
    /// New critical alerts since the Alerts screen was last looked at.
    pub attention: usize,
    pub bell_enabled: bool,
    pub(crate) bell: bool,
    pub editor: Option<SilenceEditor>,
    pub notice: Option<(bool, String)>,
    pub author: String,
    pub silence_duration: Duration,
    pub(crate) commands: Vec<AlertCommand>,
}

/// The silence form: matchers (prefilled from an alert), duration or end time, comment; a live preview
/// of the alerts it would match; a second confirmation for a silence that would match everything.
#[derive(Debug)]
pub struct SilenceEditor {
    pub fields: [TextArea<'static>; 3],
    pub focus: usize,
    /// Updating this silence rather than creating one.
    pub id: Option<String>,
    pub error: Option<String>,
    /// The silence is broad and the next submit is its second confirmation.
    pub confirm_broad: bool,
    /// Values do not read as what they are (see [`SilenceEditor::warnings`]) and the next submit sends
    /// them anyway.
    pub confirm_suspicious: bool,
}

pub const FIELD_NAMES: [&str; 3] = ["matchers", "duration or end", "comment"];

impl crate::app::textinput::Form for SilenceEditor {
    fn field(&mut self) -> Option<&mut TextArea<'static>> {
        self.fields.get_mut(self.focus)
    }
    fn fields(&self) -> usize {
        self.fields.len()
    }
    fn focus(&mut self) -> Option<&mut usize> {
        Some(&mut self.focus)
    }
    /// New text is asked about again: its error, and the confirmations given for the old text, go.
    fn edited(&mut self) {
        self.error = None;
        self.confirm_broad = false;
        self.confirm_suspicious = false;
    }
}

fn one_line(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_string()]);
    t.set_placeholder_text(placeholder);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl SilenceEditor {
    pub fn new(matchers: &str, duration: &str, comment: &str, id: Option<String>) -> Self {
        SilenceEditor {
            fields: [
                one_line(matchers, "alertname=\"…\", service=~\"…\""),
                one_line(duration, "2h, or an end time such as 2026-11-29T06:00:00Z"),
                one_line(comment, "why (required)"),
            ],
            focus: 2,
            id,
            error: None,
            confirm_broad: false,
            confirm_suspicious: false,
        }
    }

    /// What the operator should look at twice before sending: matcher values that hold invisible
    /// characters or bidi controls, mix scripts or begin or end with a space; a comment with invisible
    /// characters or bidi controls.
    pub fn warnings(&self) -> Vec<String> {
        use crate::text::Suspicion;
        let mut out = Vec::new();
        for m in self.matchers().unwrap_or_default() {
            for s in crate::text::suspicions(&m.value) {
                out.push(format!("{}: {}", m.name, s.describe()));
            }
        }
        for s in crate::text::suspicions(&self.text(2)) {
            if matches!(s, Suspicion::Invisible | Suspicion::Bidi) {
                out.push(format!("comment: {}", s.describe()));
            }
        }
        out
    }

    pub fn text(&self, i: usize) -> String {
        self.fields[i].lines().join(" ")
    }

    pub fn matchers(&self) -> Result<Vec<Matcher>, MatcherError> {
        matcher::parse(&self.text(0))
    }

    /// The end time the second field names: a duration from `now`, or an RFC 3339 time.
    pub fn ends_at(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        let s = self.text(1);
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(t.with_timezone(&Utc));
        }
        let d = crate::time::parse_duration(s)?;
        Ok(now + chrono::Duration::from_std(d).map_err(|e| e.to_string())?)
    }
}

/// A silence is broad when it has no matcher, when every matcher would match any value (`=~".*"`,
/// `=~".+"`, `!=""`…), or when it matches every current alert and those are of different kinds.
pub fn is_broad(ms: &[Matcher], alerts: &[Alert]) -> bool {
    let kinds: HashSet<&str> = alerts.iter().map(Alert::name).collect();
    ms.is_empty()
        || ms.iter().all(Matcher::matches_any_value)
        || (kinds.len() > 1 && alerts.iter().all(|a| matcher::matches_all(ms, &a.raw_labels)))
}

impl AlertsView {
    /// The alerts that pass the filter, grouped (group key, then critical first, then oldest first).
    pub fn visible(&self) -> Vec<&Alert> {
        self.order.iter().filter_map(|(_, i)| self.alerts.get(*i)).collect()
    }

    /// As [`visible`](Self::visible), each with its group key.
    pub fn visible_grouped(&self) -> Vec<(&str, &Alert)> {
        self.order.iter().filter_map(|(g, i)| Some((g.as_str(), self.alerts.get(*i)?))).collect()
    }

    /// Recompute the order shown (after new alerts, a new filter or grouping): once per change, not
    /// once per frame or key.
    pub fn reorder(&mut self) {
        let v: Vec<(usize, &Alert)> = self
            .alerts
            .iter()
            .enumerate()
            .filter(|(_, a)| matcher::matches_all(&self.filter_matchers, &a.raw_labels))
            .collect();
        // Groups holding a firing critical alert first; within a group, critical first, then oldest.
        let keys: Vec<String> = v.iter().map(|(_, a)| self.group_key(a)).collect();
        let urgent: HashSet<&String> = v
            .iter()
            .zip(&keys)
            .filter(|((_, a), _)| a.is_critical() && a.state == AlertState::Active)
            .map(|(_, g)| g)
            .collect();
        let mut keyed: Vec<_> = v
            .iter()
            .zip(&keys)
            .map(|((i, a), g)| ((!urgent.contains(g), g.clone(), !a.is_critical(), a.starts_at, &a.fingerprint), *i))
            .collect();
        keyed.sort_by(|x, y| x.0.cmp(&y.0));
        self.order = keyed.into_iter().map(|(k, i)| (k.1, i)).collect();
    }

    pub fn group_key(&self, a: &Alert) -> String {
        self.group_by
            .iter()
            .map(|g| format!("{g}={}", a.label(g).map_or("", Clean::as_str)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        self.visible().get(self.selected).copied()
    }

    /// Silences, unexpired first, then by end.
    pub fn sorted_silences(&self) -> Vec<&Silence> {
        let mut v: Vec<&Silence> = self.silences.iter().collect();
        v.sort_by_key(|s| (s.state == SilenceState::Expired, s.ends_at));
        v
    }

    /// An active silence ending within [`EXPIRING_SOON`] while alerts it covers still fire.
    pub fn expiring_while_firing(&self, s: &Silence, now: DateTime<Utc>) -> bool {
        s.state == SilenceState::Active
            && (s.ends_at - now).to_std().is_ok_and(|left| left <= EXPIRING_SOON)
            && s.covers(&self.alerts).next().is_some()
    }

    fn apply(&mut self, update: AlertUpdate) {
        match update {
            AlertUpdate::Health(h) => self.health = Some(h),
            AlertUpdate::Unreachable(e) => self.unreachable = Some(e),
            AlertUpdate::Snapshot { at, alerts, silences, errors } => {
                let first = self.at.is_none();
                for a in alerts.iter().filter(|a| a.is_critical() && a.state == AlertState::Active) {
                    if self.seen_critical.insert(a.fingerprint.clone()) && !first {
                        self.attention += 1;
                        self.bell |= self.bell_enabled;
                    }
                }
                // Forget what is gone, so that it calls again if it comes back.
                let now: HashSet<&String> = alerts.iter().map(|a| &a.fingerprint).collect();
                self.seen_critical.retain(|f| now.contains(f));
                self.alerts = alerts;
                self.reorder();
                self.silences = silences;
                self.errors = errors;
                self.unreachable = None;
                self.at = Some(at);
                self.selected = self.selected.min(self.visible().len().saturating_sub(1));
                self.silence_selected = self.silence_selected.min(self.silences.len().saturating_sub(1));
            }
            AlertUpdate::SilenceDone { what, result } => {
                self.notice = Some(match result {
                    Ok(id) => (true, format!("{what}: {id}")),
                    Err(e) => (false, format!("{what} failed: {e}")),
                });
            }
        }
    }
}

impl App {
    pub fn on_alert_update(&mut self, u: AlertUpdate) {
        self.dirty = true;
        self.alerts.apply(u);
        if self.screen == crate::app::Screen::Alerts {
            self.alerts.attention = 0;
        }
    }

    pub fn take_alert_commands(&mut self) -> Vec<AlertCommand> {
        std::mem::take(&mut self.alerts.commands)
    }

    /// Whether to ring the terminal bell now (once per new critical alert).
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.alerts.bell)
    }

    /// Apply the filter as typed: matchers, or the error and where it is.
    pub(crate) fn update_filter(&mut self) {
        let text = self.alerts.filter.as_ref().map(|t| t.lines().join(" ")).unwrap_or_default();
        match matcher::parse(&text) {
            Ok(ms) => {
                self.alerts.filter_matchers = ms;
                self.alerts.reorder();
                self.alerts.filter_error = None;
                self.alerts.selected = 0;
            }
            Err(e) => self.alerts.filter_error = Some(e),
        }
    }

    /// Open the silence editor for the selected alert: its labels as matchers.
    pub(crate) fn silence_selected_alert(&mut self) {
        let Some(a) = self.alerts.selected_alert() else {
            self.alerts.notice = Some((false, "No alert selected.".into()));
            return;
        };
        self.drills.saw_alert(self.now, &a.raw_labels, "a silence");
        // Quoted with every unsafe code point as an escape: the form shows exactly what will be sent.
        let ms: Vec<String> =
            a.raw_labels.iter().map(|(k, v)| format!("{k}={}", crate::text::quote::quoted(v))).collect();
        let d = crate::time::short(self.alerts.silence_duration);
        let comment = format!("Silenced from watchpost while {} is handled", a.name());
        self.alerts.editor = Some(SilenceEditor::new(&ms.join(", "), &d, &comment, None));
    }

    pub(crate) fn new_silence(&mut self) {
        let d = crate::time::short(self.alerts.silence_duration);
        self.alerts.editor = Some(SilenceEditor::new("", &d, "", None));
        if let Some(e) = &mut self.alerts.editor {
            e.focus = 0;
        }
    }

    /// Edit the selected silence (its end and comment; changed matchers make a new one).
    pub(crate) fn edit_selected_silence(&mut self, extend: Option<Duration>) {
        let Some(s) = self.alerts.sorted_silences().get(self.alerts.silence_selected).map(|s| (*s).clone()) else {
            return;
        };
        if s.state == SilenceState::Expired {
            self.alerts.notice = Some((false, "That silence has expired: create a new one (n).".into()));
            return;
        }
        if let Some(more) = extend {
            let ends = s.ends_at + chrono::Duration::from_std(more).unwrap_or_default();
            self.alerts.commands.push(AlertCommand::PostSilence(NewSilence {
                id: Some(s.id.clone()),
                matchers: s.matchers.clone(),
                starts_at: s.starts_at,
                ends_at: ends,
                created_by: self.alerts.author.clone(),
                comment: s.comment.as_str().to_string(),
            }));
            self.alerts.notice = Some((true, format!("extending {} to {}", s.id, ends.format("%H:%M"))));
        }
    }

    pub(crate) fn expire_selected_silence(&mut self) {
        if let Some(s) = self.alerts.sorted_silences().get(self.alerts.silence_selected) {
            if s.state == SilenceState::Expired {
                self.alerts.notice = Some((false, "Already expired.".into()));
                return;
            }
            let id = s.id.clone();
            self.alerts.notice = Some((true, format!("expiring {id}")));
            self.alerts.commands.push(AlertCommand::ExpireSilence { id });
        }
    }

    /// Submit the editor: checked here (matchers at the character, end after now, a comment), broad
    /// silences confirmed twice, then sent.
    pub(crate) fn submit_silence(&mut self) {
        let now = self.now;
        let alerts = self.alerts.alerts.clone();
        let author = self.alerts.author.clone();
        let Some(ed) = self.alerts.editor.as_mut() else { return };
        let matchers = match ed.matchers() {
            Ok(m) => m,
            Err(e) => {
                ed.error = Some(format!("matchers: {e}"));
                ed.focus = 0;
                return;
            }
        };
        let ends_at = match ed.ends_at(now) {
            Ok(t) if t > now => t,
            Ok(_) => {
                ed.error = Some("the end must be in the future".into());
                ed.focus = 1;
                return;
            }
            Err(e) => {
                ed.error = Some(e);
                ed.focus = 1;
                return;
            }
        };
        let comment = ed.text(2).trim().to_string();
        if comment.is_empty() {
            ed.error = Some("a comment is required: say why".into());
            ed.focus = 2;
            return;
        }
        if is_broad(&matchers, &alerts) && !ed.confirm_broad {
            ed.confirm_broad = true;
            ed.error = Some("This silence matches every alert. Press enter again to create it anyway.".into());
            return;
        }
        if !ed.warnings().is_empty() && !ed.confirm_suspicious {
            ed.confirm_suspicious = true;
            ed.error = Some("Check the values marked above: press enter again to send them exactly so.".into());
            return;
        }
        let mut for_drill = false;
        for a in alerts.iter().filter(|a| matcher::matches_all(&matchers, &a.raw_labels)) {
            for_drill |= self.drills.is_drill_alert(&a.raw_labels);
            self.drills.saw_alert(now, &a.raw_labels, "a silence");
        }
        if for_drill && ed.id.is_none() {
            self.drills.silenced.push(matchers.clone());
        }
        let new = NewSilence { id: ed.id.clone(), matchers, starts_at: now, ends_at, created_by: author, comment };
        self.alerts.commands.push(AlertCommand::PostSilence(new));
        self.alerts.notice = Some((true, "sending the silence…".into()));
        self.alerts.editor = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn broad_silences() {
        let p = |s: &str| matcher::parse(s).unwrap();
        assert!(is_broad(&[], &[]));
        assert!(is_broad(&p(r#"alertname=~".+""#), &[]));
        assert!(is_broad(&p(r#"severity!="nosuch", job=~".*""#), &[]));
        assert!(!is_broad(&p(r#"alertname="TargetDown""#), &[]));
        assert!(!is_broad(&p(r#"job=~"pay.*""#), &[]));
    }
}
