//! The sanitizer for untrusted text (labels, annotations, error bodies, log lines, span attributes).
//!
//! Written by hand because no maintained crate does exactly this: terminal-escape strippers remove
//! sequences (hiding that they were there) and work on bytes, while an operator must *see* that a label
//! carried an escape, and the decision must be made per code point (a C1 control is two bytes in UTF-8).
//! Every control, bidi and zero-width code point is replaced by a visible escape such as `\e`, `\x07`,
//! `\u{202e}`; ESC itself becomes `\e`, so the rest of a sequence is inert printable text.

use std::borrow::Cow;
use std::fmt;

/// Text that has passed [`sanitize`]: safe to hand to the terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Clean(String);

impl Clean {
    pub fn new(raw: &str) -> Self {
        Clean(sanitize(raw).into_owned())
    }
    /// Invalid UTF-8 is shown as U+FFFD, then sanitized.
    pub fn from_bytes(raw: &[u8]) -> Self {
        Clean::new(&String::from_utf8_lossy(raw))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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

/// True for code points that must never reach the terminal as themselves.
pub fn is_unsafe(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..=0x9f).contains(&u)
        // bidi embeddings, overrides and isolates, and the marks
        || matches!(u, 0x061c | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
        // zero-width and invisible formatting characters
        || matches!(u, 0x00ad | 0x180e | 0x200b..=0x200d | 0x2060..=0x2064 | 0xfeff)
        // line and paragraph separators, interlinear annotation
        || matches!(u, 0x2028 | 0x2029 | 0xfff9..=0xfffb)
}

/// Replace every unsafe code point with a visible escape. Borrowed when nothing needed escaping.
pub fn sanitize(raw: &str) -> Cow<'_, str> {
    if !raw.chars().any(is_unsafe) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\x1b' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
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
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("checkout-7f9c é 漢字"), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(Clean::from_bytes(b"ok\xff\x1b").as_str(), "ok\u{fffd}\\e");
    }
}
