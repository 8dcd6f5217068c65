//! The sanitizer for untrusted text (labels, annotations, error bodies, log lines, span attributes),
//! applied where text is drawn; the raw value is kept for everything that names something.
//!
//! Which code points are unsafe is decided by their Unicode properties (general category Cc, Cf, Zl,
//! Zp, and Default_Ignorable_Code_Point), read from `icu_properties`. The escaping is written here
//! because no maintained crate does it: terminal-escape strippers remove sequences (hiding that they
//! were there) and work on bytes, while an operator must *see* that a label carried an escape. Every
//! unsafe code point is replaced by a visible escape such as `\e`, `\x07`, `\u{202e}`; ESC itself
//! becomes `\e`, so the rest of a sequence is inert printable text. A run of combining marks longer than
//! a script needs is cut and counted (`\{+5000 marks}`): one cell must not carry megabytes.

use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint, GeneralCategory, Script};
use icu_properties::{CodePointMapData, CodePointSetData};
use std::borrow::Cow;
use std::fmt;

/// Combining marks kept on one base character: enough for any script's stacked vowels and tones.
pub const MAX_MARKS: usize = 4;

/// Untrusted text as it is drawn ([`sanitize`]d), keeping the raw value beside it for every use that
/// names something (a query, a matcher, a jump to a service): [`Clean::as_str`] to draw, [`Clean::raw`]
/// to name. The raw copy is kept only when it differs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Clean {
    shown: String,
    raw: Option<Box<str>>,
}

impl Clean {
    pub fn new(raw: &str) -> Self {
        match sanitize(raw) {
            Cow::Borrowed(_) => Clean { shown: raw.to_string(), raw: None },
            Cow::Owned(shown) => Clean { shown, raw: Some(raw.into()) },
        }
    }
    /// Invalid UTF-8 is shown as U+FFFD, then sanitized.
    pub fn from_bytes(raw: &[u8]) -> Self {
        Clean::new(&String::from_utf8_lossy(raw))
    }
    /// As drawn: safe to hand to the terminal.
    pub fn as_str(&self) -> &str {
        &self.shown
    }
    /// As it came: for queries, matchers, names; never for drawing.
    pub fn raw(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.shown)
    }
    pub fn into_string(self) -> String {
        self.shown
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl From<&str> for Clean {
    fn from(s: &str) -> Self {
        Clean::new(s)
    }
}

impl From<String> for Clean {
    fn from(s: String) -> Self {
        Clean::new(&s)
    }
}

fn category(c: char) -> GeneralCategory {
    CodePointMapData::<GeneralCategory>::new().get(c)
}

/// True for code points that must never reach the terminal as themselves: controls (C0, DEL, C1),
/// format characters (bidi controls, zero-width spaces and joiners, tags, the BOM), line and paragraph
/// separators, and every default-ignorable code point (variation selectors, Hangul fillers, …).
pub fn is_unsafe(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// A combining mark: drawn on the character before it.
pub fn is_mark(c: char) -> bool {
    !c.is_ascii()
        && matches!(
            category(c),
            GeneralCategory::NonspacingMark | GeneralCategory::SpacingMark | GeneralCategory::EnclosingMark
        )
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Whether [`sanitize`] would change anything: an unsafe code point, a mark with nothing to sit on, or
/// more than [`MAX_MARKS`] marks in a row.
fn needs_work(raw: &str) -> bool {
    let mut run = 0;
    let mut first = true;
    for c in raw.chars() {
        if c.is_ascii() {
            if c.is_ascii_control() {
                return true;
            }
            run = 0;
        } else if is_unsafe(c) {
            return true;
        } else if is_mark(c) {
            run += 1;
            if first || run > MAX_MARKS {
                return true;
            }
        } else {
            run = 0;
        }
        first = false;
    }
    false
}

/// Replace every unsafe code point with a visible escape, escape a leading mark, and cut runs of marks
/// to [`MAX_MARKS`] with a count of the rest. Borrowed when nothing needed doing.
pub fn sanitize(raw: &str) -> Cow<'_, str> {
    if !needs_work(raw) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len().min(1 << 16) + 8);
    let mut run = 0usize;
    let mut dropped = 0usize;
    let flush = |out: &mut String, dropped: &mut usize| {
        if *dropped > 0 {
            out.push_str(&format!("\\{{+{dropped} marks}}"));
            *dropped = 0;
        }
    };
    for (i, c) in raw.chars().enumerate() {
        if is_mark(c) && !is_unsafe(c) {
            run += 1;
            if i == 0 {
                push_escape(&mut out, c);
            } else if run > MAX_MARKS {
                dropped += 1;
            } else {
                out.push(c);
            }
            continue;
        }
        flush(&mut out, &mut dropped);
        run = 0;
        if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    flush(&mut out, &mut dropped);
    Cow::Owned(out)
}

/// [`sanitize`], then cut to `max_chars` characters with a count of the rest, so a huge value costs a
/// bounded amount to draw (only the first `max_chars * 4` code points are even looked at).
pub fn capped(raw: &str, max_chars: usize) -> Cow<'_, str> {
    let look = raw.char_indices().nth(max_chars.saturating_mul(4)).map_or(raw.len(), |(i, _)| i);
    let head = sanitize(&raw[..look]);
    let n = head.chars().count();
    if look == raw.len() && n <= max_chars {
        return match head {
            Cow::Borrowed(_) => Cow::Borrowed(raw),
            owned => owned,
        };
    }
    let kept: String = head.chars().take(max_chars).collect();
    let rest = raw[look..].chars().count() + n.saturating_sub(max_chars);
    Cow::Owned(format!("{kept}… (+{rest} chars)"))
}

/// Why a value about to be sent deserves a second look: it does not read as what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suspicion {
    /// Holds code points that draw as nothing (zero-width, default-ignorable, controls).
    Invisible,
    /// Holds bidi controls: what is drawn is not the order of what is sent.
    Bidi,
    /// Mixes scripts that are not written together (Latin `a` and Cyrillic `а`).
    MixedScripts,
    /// Begins or ends with white space.
    EdgeSpace,
}

impl Suspicion {
    pub fn describe(self) -> &'static str {
        match self {
            Suspicion::Invisible => "holds invisible characters (shown as \\u{…})",
            Suspicion::Bidi => "holds bidi controls: the text is not in the order shown",
            Suspicion::MixedScripts => "mixes scripts (look-alike letters?)",
            Suspicion::EdgeSpace => "begins or ends with a space",
        }
    }
}

/// The scripts a text may mix without suspicion: Japanese, Korean and Chinese writing, each with Latin
/// (the restriction levels of Unicode's security mechanisms, UTS #39).
fn mixes_allowed(scripts: &[Script]) -> bool {
    const JAPANESE: [Script; 4] = [Script::Latin, Script::Han, Script::Hiragana, Script::Katakana];
    const KOREAN: [Script; 3] = [Script::Latin, Script::Han, Script::Hangul];
    const CHINESE: [Script; 3] = [Script::Latin, Script::Han, Script::Bopomofo];
    scripts.len() <= 1
        || [&JAPANESE[..], &KOREAN[..], &CHINESE[..]].iter().any(|set| scripts.iter().all(|s| set.contains(s)))
}

/// What is suspicious about a value, in a fixed order; empty for ordinary text.
pub fn suspicions(value: &str) -> Vec<Suspicion> {
    let mut out = Vec::new();
    let bidi = CodePointSetData::new::<BidiControl>();
    if value.chars().any(|c| is_unsafe(c) && !bidi.contains(c)) {
        out.push(Suspicion::Invisible);
    }
    if value.chars().any(|c| bidi.contains(c)) {
        out.push(Suspicion::Bidi);
    }
    let scripts_of = CodePointMapData::<Script>::new();
    let mut scripts: Vec<Script> = Vec::new();
    for c in value.chars().filter(|c| !c.is_ascii() || c.is_ascii_alphabetic()) {
        let s = scripts_of.get(c);
        if !matches!(s, Script::Common | Script::Inherited | Script::Unknown) && !scripts.contains(&s) {
            scripts.push(s);
        }
    }
    if !mixes_allowed(&scripts) {
        out.push(Suspicion::MixedScripts);
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        out.push(Suspicion::EdgeSpace);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_visible() {
        assert_eq!(sanitize("a\x1b[31mred"), "a\\e[31mred");
        assert_eq!(sanitize("bell\x07"), "bell\\x07");
        assert_eq!(sanitize("c1\u{9b}2J"), "c1\\x9b2J");
        assert_eq!(sanitize("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(sanitize("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(sanitize("two\nlines"), "two\\nlines");
        assert_eq!(sanitize("para\u{2028}graph"), "para\\u{2028}graph");
    }

    #[test]
    fn invisible_code_points_the_hand_list_missed() {
        // Deprecated format controls, tags, variation selectors, Hangul fillers, the Mongolian FVS.
        for c in [
            '\u{206a}',
            '\u{206f}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}',
            '\u{fe0f}',
            '\u{e0100}',
            '\u{3164}',
            '\u{180b}',
            '\u{34f}',
        ] {
            assert!(is_unsafe(c), "U+{:04X}", c as u32);
            assert!(sanitize(&format!("a{c}b")).contains("\\u{"), "U+{:04X}", c as u32);
        }
        for c in ['a', 'é', '漢', 'д', ' ', '\u{301}', '🙂'] {
            assert!(!is_unsafe(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("checkout-7f9c é 漢字 e\u{301} ṩ\u{307}"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_combining_mark_bomb_is_cut_and_counted() {
        let bomb = format!("x{}y", "\u{301}".repeat(5000));
        let out = sanitize(&bomb);
        assert_eq!(out, format!("x{}\\{{+4996 marks}}y", "\u{301}".repeat(MAX_MARKS)));
        assert_eq!(sanitize(&out), out, "stable");
        assert_eq!(sanitize("\u{301}a"), "\\u{301}a", "a mark with nothing under it");
    }

    #[test]
    fn capped_cuts_long_values_and_counts_the_rest() {
        assert_eq!(capped("short", 10), "short");
        assert_eq!(capped("abcdefghij", 4), "abcd… (+6 chars)");
        assert_eq!(capped(&"é".repeat(100_000), 3), "ééé… (+99997 chars)");
        assert_eq!(capped("a\u{1b}b", 10), "a\\eb");
    }

    #[test]
    fn clean_text_keeps_the_raw_value_to_name_things_with() {
        let c = Clean::new("pay\u{202e}evil");
        assert_eq!((c.as_str(), c.raw()), ("pay\\u{202e}evil", "pay\u{202e}evil"));
        let plain = Clean::new("payments");
        assert_eq!((plain.as_str(), plain.raw()), ("payments", "payments"));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(Clean::from_bytes(b"ok\xff\x1b").as_str(), "ok\u{fffd}\\e");
    }

    #[test]
    fn suspicions_name_what_does_not_read_as_it_is() {
        use Suspicion::*;
        assert_eq!(suspicions("web-1"), vec![]);
        assert_eq!(suspicions("web\u{200b}-1"), vec![Invisible]);
        assert_eq!(suspicions("pay\u{202e}lave"), vec![Bidi]);
        assert_eq!(suspicions("p\u{430}yments"), vec![MixedScripts], "Cyrillic a");
        assert_eq!(suspicions("web-1 "), vec![EdgeSpace]);
        assert_eq!(suspicions("東京-tokyo-ひがし"), vec![], "Japanese with Latin");
        assert_eq!(suspicions("서울-seoul"), vec![]);
        assert_eq!(suspicions("Αθήνα"), vec![], "Greek alone");
        assert_eq!(suspicions("café-01"), vec![]);
    }
}
