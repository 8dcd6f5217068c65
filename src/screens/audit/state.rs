//! The Audit screen's state: the trail's newest entries (read off the UI's turn), whether the chain
//! verifies, a text filter, and the selection.
use crate::app::state::App;
use crate::ops::audit::{Entry, Tamper};
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;

/// Entries the screen holds (the newest).
pub const SHOWN: usize = 5000;

#[derive(Debug, Default)]
pub struct AuditView {
    pub path: std::path::PathBuf,
    pub entries: Vec<Entry>,
    /// Entries in the trail in all, and what verification found.
    pub total: usize,
    pub tampered: Vec<Tamper>,
    pub at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub loading: bool,
    pub filter: Option<TextArea<'static>>,
    pub filter_text: String,
    pub selected: usize,
    /// Set when the screen wants a (re)read; the loop takes it.
    pub(crate) wanted: bool,
}

/// What the loop's reader sends back.
#[derive(Debug)]
pub struct AuditRead {
    pub at: DateTime<Utc>,
    pub result: Result<(Vec<Entry>, usize, Vec<Tamper>), String>,
}

impl AuditView {
    /// The entries the filter lets through, newest first.
    pub fn visible(&self) -> Vec<&Entry> {
        let f = self.filter_text.to_lowercase();
        self.entries
            .iter()
            .rev()
            .filter(|e| {
                f.is_empty()
                    || [&e.action, &e.target, &e.user, &e.host, &e.result, &e.values]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&f))
            })
            .collect()
    }
}

/// Read the trail: its newest entries and the whole chain's verification.
pub fn read(path: &std::path::Path) -> Result<(Vec<Entry>, usize, Vec<Tamper>), String> {
    if !path.exists() {
        return Ok((Vec::new(), 0, Vec::new()));
    }
    let a = crate::ops::audit::Audit::open(path)?;
    let all = a.entries()?;
    let (n, mut tampered) = crate::ops::audit::verify_entries(&all);
    tampered.extend(crate::ops::audit::check_head(&all, crate::ops::audit::read_head(path)?.as_ref()));
    let skip = all.len().saturating_sub(SHOWN);
    Ok((all.into_iter().skip(skip).collect(), n, tampered))
}

impl App {
    pub fn on_audit_read(&mut self, r: AuditRead) {
        self.dirty = true;
        let v = &mut self.audit;
        v.loading = false;
        v.at = Some(r.at);
        match r.result {
            Ok((entries, total, tampered)) => {
                (v.entries, v.total, v.tampered) = (entries, total, tampered);
                v.error = None;
                v.selected = v.selected.min(v.visible().len().saturating_sub(1));
            }
            Err(e) => v.error = Some(e),
        }
    }

    pub(crate) fn request_audit(&mut self) {
        self.audit.wanted = true;
        self.audit.loading = true;
    }

    /// The loop asks whether to read the trail now.
    pub fn take_audit_request(&mut self) -> bool {
        std::mem::take(&mut self.audit.wanted)
    }

    pub(crate) fn audit_filter(&mut self) {
        let mut t = TextArea::new(vec![self.audit.filter_text.clone()]);
        t.set_placeholder_text("text in the action, target, user, values or result");
        t.move_cursor(ratatui_textarea::CursorMove::End);
        self.audit.filter = Some(t);
    }
}
