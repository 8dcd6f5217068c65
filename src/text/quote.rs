//! Double-quoted string literals as PromQL, LogQL and Alertmanager's matchers write them (Go's escapes:
//! `\"`, `\\`, `\n`, `\t`, `\uXXXX`, …). Quoting writes every unsafe code point as an escape, so a value
//! put into a query or a form is plain visible text that reads back to exactly the raw value.
//!
//! Written here: the grammar is a few lines, and each parser it feeds has its own (Prometheus's and
//! Loki's in Go, `promql-parser`'s in Rust); this is the common subset they all read.
use super::sanitize::is_unsafe;

/// The body of a double-quoted literal for `raw` (without the quotes).
pub fn body(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if is_unsafe(c) => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `raw` as a double-quoted literal.
pub fn quoted(raw: &str) -> String {
    format!("\"{}\"", body(raw))
}

/// Read the escape that follows a backslash from `chars`: the character it stands for, or why not.
pub fn unescape(chars: &mut impl Iterator<Item = char>) -> Result<char, String> {
    let hex = |chars: &mut dyn Iterator<Item = char>, n: usize| -> Result<char, String> {
        let digits: String = chars.take(n).collect();
        if digits.len() != n || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("expected {n} hex digits after the escape, found `{digits}`"));
        }
        let u = u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())?;
        char::from_u32(u).ok_or_else(|| format!("U+{u:X} is not a character"))
    };
    Ok(match chars.next() {
        Some('n') => '\n',
        Some('t') => '\t',
        Some('r') => '\r',
        Some('a') => '\x07',
        Some('b') => '\x08',
        Some('f') => '\x0c',
        Some('v') => '\x0b',
        Some(c @ ('\\' | '"' | '\'')) => c,
        Some('x') => match hex(chars, 2)? {
            c if c.is_ascii() => c,
            c => return Err(format!("`\\x{:02x}` is a byte, not a character: write `\\u{:04x}`", c as u32, c as u32)),
        },
        Some('u') => hex(chars, 4)?,
        Some('U') => hex(chars, 8)?,
        Some(c) => return Err(format!("unknown escape `\\{c}` (a backslash itself is `\\\\`)")),
        None => return Err("a backslash at the end".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut it = body.chars();
        while let Some(c) = it.next() {
            out.push(if c == '\\' { unescape(&mut it)? } else { c });
        }
        Ok(out)
    }

    #[test]
    fn quoting_reads_back_and_shows_every_unsafe_code_point() {
        for raw in ["plain", "web\u{200b}-1", "pay\u{202e}evil", "tab\there", "q\"uote\\", "nl\n", "\u{e0041}", "é漢"]
        {
            let b = body(raw);
            assert_eq!(read(&b).unwrap(), raw);
            assert!(!b.chars().any(is_unsafe), "{b:?}");
        }
        assert_eq!(body("web\u{200b}-1"), "web\\u200b-1");
        assert_eq!(body("\u{e0041}"), "\\U000e0041");
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn bad_escapes_are_named() {
        assert!(read("\\d+").unwrap_err().contains("unknown escape `\\d`"));
        assert!(read("\\u12").unwrap_err().contains("4 hex digits"));
        assert!(read("\\xff").unwrap_err().contains("byte"));
        assert_eq!(read("\\x41\\u00e9\\U0001F642").unwrap(), "Aé🙂");
    }
}
