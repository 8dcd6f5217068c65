//! Alertmanager's matcher syntax: `severity="critical",service=~"pay.*"` (braces optional), with `=`,
//! `!=`, `=~` and `!~`; regexes match the whole value. Used for the alert filter and for silences.
//!
//! Written by hand: there is no Rust crate for Alertmanager's matchers, and the grammar is a few lines;
//! errors carry the byte offset of the offending character so the input can be marked there.
use crate::engine::Labels;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Regex => "=~",
            Op::NotRegex => "!~",
        }
    }
    pub fn is_regex(self) -> bool {
        matches!(self, Op::Regex | Op::NotRegex)
    }
    pub fn is_equal(self) -> bool {
        matches!(self, Op::Equal | Op::Regex)
    }
    pub fn from_api(is_regex: bool, is_equal: bool) -> Self {
        match (is_regex, is_equal) {
            (false, true) => Op::Equal,
            (false, false) => Op::NotEqual,
            (true, true) => Op::Regex,
            (true, false) => Op::NotRegex,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    re: Option<regex::Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.op == o.op && self.value == o.value
    }
}

/// A parse error and the byte offset where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct MatcherError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl Matcher {
    pub fn new(name: &str, op: Op, value: &str) -> Result<Self, String> {
        let re = if op.is_regex() {
            Some(regex::Regex::new(&format!("^(?:{value})$")).map_err(|e| format!("invalid regex `{value}`: {e}"))?)
        } else {
            None
        };
        Ok(Matcher { name: name.to_string(), op, value: value.to_string(), re })
    }

    /// Whether a label set satisfies this matcher (a missing label is the empty string).
    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get(&self.name).map_or("", String::as_str);
        match (&self.op, &self.re) {
            (Op::Equal, _) => v == self.value,
            (Op::NotEqual, _) => v != self.value,
            (Op::Regex, Some(re)) => re.is_match(v),
            (Op::NotRegex, Some(re)) => !re.is_match(v),
            _ => false,
        }
    }

    /// Whether it matches the empty value too (so it would match alerts that lack the label).
    pub fn matches_empty(&self) -> bool {
        self.matches(&Labels::new())
    }

    /// Whether it would match any value (`=~".*"`, `=~".+"`, `!=""`…): it selects nothing in particular.
    pub fn matches_any_value(&self) -> bool {
        ["", "x", "zz-probe-7", "Q9"].iter().filter(|v| self.matches_value(v)).count() >= 3
    }

    /// Whether a label of this matcher's name with this value satisfies it.
    pub fn matches_value(&self, value: &str) -> bool {
        self.matches(&[(self.name.clone(), value.to_string())].into())
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.as_str(), crate::text::quote::quoted(&self.value))
    }
}

/// All matchers must hold.
pub fn matches_all(ms: &[Matcher], labels: &Labels) -> bool {
    ms.iter().all(|m| m.matches(labels))
}

/// Matchers as text, the form [`parse`] reads: every value quoted, every unsafe code point escaped, so
/// the text is what a person can read and it parses back to the same values.
pub fn to_text(ms: &[Matcher]) -> String {
    ms.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Parse `a="b", c=~"d.*"` (or with braces). An empty input is no matchers.
pub fn parse(input: &str) -> Result<Vec<Matcher>, MatcherError> {
    let err = |message: String, offset: usize| Err(MatcherError { message, offset });
    let bytes = input.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    let braced = i < bytes.len() && bytes[i] == b'{';
    if braced {
        i += 1;
    }
    let mut out = Vec::new();
    loop {
        skip_ws(&mut i);
        if i >= bytes.len() {
            if braced {
                return err("expected `}` to close the matchers".into(), i);
            }
            break;
        }
        if braced && bytes[i] == b'}' {
            i += 1;
            skip_ws(&mut i);
            if i < bytes.len() {
                return err("unexpected text after `}`".into(), i);
            }
            break;
        }
        // Name.
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start || bytes[start].is_ascii_digit() {
            return err("expected a label name".into(), start);
        }
        let name = &input[start..i];
        skip_ws(&mut i);
        // Operator.
        let op_at = i;
        let rest = &input[i..];
        let op = if rest.starts_with("=~") {
            Op::Regex
        } else if rest.starts_with("!~") {
            Op::NotRegex
        } else if rest.starts_with("!=") {
            Op::NotEqual
        } else if rest.starts_with('=') {
            Op::Equal
        } else {
            return err(format!("expected =, !=, =~ or !~ after `{name}`"), op_at);
        };
        i += op.as_str().len();
        skip_ws(&mut i);
        // Value: quoted with escapes, or bare up to `,` or `}`.
        let value_at = i;
        let value = if i < bytes.len() && bytes[i] == b'"' {
            i += 1;
            let mut v = String::new();
            let mut closed = false;
            let mut chars = input[i..].char_indices();
            while let Some((k, c)) = chars.next() {
                match c {
                    '"' => {
                        i += k + 1;
                        closed = true;
                        break;
                    }
                    '\\' => {
                        let mut rest = std::iter::from_fn(|| chars.next().map(|(_, c)| c));
                        match crate::text::quote::unescape(&mut rest) {
                            Ok(c) => v.push(c),
                            Err(m) => return err(m, i + k),
                        }
                    }
                    o => v.push(o),
                }
            }
            if !closed {
                return err("unterminated string: expected a closing `\"`".into(), value_at);
            }
            v
        } else {
            let s = i;
            while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'}' {
                if bytes[i] == b'"' {
                    return err("unexpected `\"` in an unquoted value: quote the whole value".into(), i);
                }
                i += 1;
            }
            input[s..i].trim().to_string()
        };
        out.push(Matcher::new(name, op, &value).map_err(|m| MatcherError { message: m, offset: value_at })?);
        skip_ws(&mut i);
        if i < bytes.len() && bytes[i] == b',' {
            i += 1;
        } else if i < bytes.len() && !(braced && bytes[i] == b'}') {
            return err("expected `,` between matchers".into(), i);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_every_operator_with_and_without_braces() {
        let ms = parse(r#"severity="critical",service=~"pay.*", team!=ops , env!~"dev|test""#).unwrap();
        assert_eq!(ms.len(), 4);
        assert_eq!(ms[2].value, "ops");
        let l = labels(&[("severity", "critical"), ("service", "payments"), ("env", "prod")]);
        assert!(matches_all(&ms, &l));
        assert!(!matches_all(&ms, &labels(&[("severity", "critical"), ("service", "xpayments")])), "anchored");
        assert_eq!(parse(r#"{alertname="A"}"#).unwrap(), parse(r#"alertname="A""#).unwrap());
        assert!(parse("").unwrap().is_empty());
        assert_eq!(parse(r#"a="x\"y""#).unwrap()[0].value, "x\"y");
        assert_eq!(to_text(&parse(r#"a=~"b.*""#).unwrap()), r#"a=~"b.*""#);
    }

    #[test]
    fn errors_point_at_the_character() {
        assert_eq!(parse(r#"severity=="x""#).unwrap_err().offset, 10, "the stray quote");
        let e = parse(r#"severity "x""#).unwrap_err();
        assert_eq!((e.offset, e.message.contains("expected =")), (9, true));
        let e = parse(r#"a="b" c="d""#).unwrap_err();
        assert_eq!(e.offset, 6);
        let e = parse(r#"a=~"(""#).unwrap_err();
        assert!(e.message.contains("invalid regex") && e.offset == 3, "{e:?}");
        let e = parse(r#"{a="b""#).unwrap_err();
        assert!(e.message.contains('}'));
        let e = parse(r#"a="b"#).unwrap_err();
        assert!(e.message.contains("unterminated"));
        assert_eq!(parse("1a=b").unwrap_err().offset, 0);
    }

    #[test]
    fn text_parses_back_to_the_same_values() {
        let raw = ["tab\there", "web\u{200b}-1", "pay\u{202e}evil", "q\"uote\\", "line\nbreak", "é漢"];
        let ms: Vec<Matcher> = raw.iter().map(|v| Matcher::new("instance", Op::Equal, v).unwrap()).collect();
        let text = to_text(&ms);
        assert!(!text.chars().any(crate::text::sanitize::is_unsafe), "{text}");
        assert!(text.contains(r#"instance="web\u200b-1""#), "{text}");
        assert_eq!(parse(&text).unwrap(), ms);
        let e = parse(r#"a=~"\d+""#).unwrap_err();
        assert!(e.message.contains("unknown escape") && e.offset == 4, "{e:?}");
    }

    #[test]
    fn empty_matching() {
        assert!(parse(r#"a=~".*""#).unwrap()[0].matches_empty());
        assert!(!parse(r#"a="x""#).unwrap()[0].matches_empty());
    }
}
