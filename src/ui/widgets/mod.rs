//! Small drawing helpers shared by screens.
pub mod spark;
pub use spark::spark;

/// `✖ failing: why` for a store that is down, to put beside its name; nothing while it answers.
pub fn failure(
    t: &crate::ui::theme::Theme,
    h: Option<&crate::sources::SourceHealth>,
) -> Option<ratatui::text::Span<'static>> {
    let h = h.filter(|h| h.is_down())?;
    let why = h.last_error.as_ref().map_or(String::new(), |e| format!(": {e}"));
    Some(ratatui::text::Span::styled(format!("✖ {}{why} ", h.state.label()), t.bad()))
}
