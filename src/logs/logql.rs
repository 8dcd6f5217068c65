//! The part of LogQL the built-in estate's log API answers: a stream selector and line filters
//! (`{service="checkout", level=~"warn|error"} |= "timeout" != "health" |~ "5\\d\\d"`). Parsers, label
//! formats and metric queries are refused by name. Written by hand because no maintained Rust crate
//! parses LogQL; the selector reuses the Alertmanager matcher parser (same syntax).
use crate::alerts::matcher::{self, Matcher};
use crate::engine::Labels;
use regex::Regex;

#[derive(Clone, Debug)]
pub enum LineFilter {
    Contains(String),
    NotContains(String),
    Matches(Regex),
    NotMatches(Regex),
}

#[derive(Clone, Debug)]
pub struct LogQuery {
    pub selector: Vec<Matcher>,
    pub filters: Vec<LineFilter>,
}

impl LogQuery {
    pub fn parse(q: &str) -> Result<LogQuery, String> {
        let q = q.trim();
        if !q.starts_with('{') {
            return Err("parse error at line 1, col 1: syntax error: unexpected input, expecting {".into());
        }
        let close = closing_brace(q).ok_or("parse error: syntax error: unexpected end of input, expecting }")?;
        let selector = matcher::parse(&q[..=close]).map_err(|e| format!("parse error: {e}"))?;
        if selector.is_empty() {
            return Err("queries require at least one matcher".into());
        }
        let mut filters = Vec::new();
        let mut rest = q[close + 1..].trim_start();
        while !rest.is_empty() {
            let (op, after) = ["|=", "!=", "|~", "!~"]
                .iter()
                .find_map(|op| rest.strip_prefix(op).map(|a| (*op, a.trim_start())))
                .ok_or_else(|| {
                    let word = rest.split_whitespace().next().unwrap_or(rest);
                    format!("not supported by the estate's log API: `{word}` (line filters |= != |~ !~ only)")
                })?;
            let (text, tail) = quoted(after).ok_or("expected a quoted string after the line filter")?;
            let re = || Regex::new(&text).map_err(|e| format!("invalid regex `{text}`: {e}"));
            filters.push(match op {
                "|=" => LineFilter::Contains(text.clone()),
                "!=" => LineFilter::NotContains(text.clone()),
                "|~" => LineFilter::Matches(re()?),
                _ => LineFilter::NotMatches(re()?),
            });
            rest = tail.trim_start();
        }
        Ok(LogQuery { selector, filters })
    }

    pub fn matches_stream(&self, labels: &Labels) -> bool {
        matcher::matches_all(&self.selector, labels)
    }

    pub fn matches_line(&self, line: &str) -> bool {
        self.filters.iter().all(|f| match f {
            LineFilter::Contains(s) => line.contains(s.as_str()),
            LineFilter::NotContains(s) => !line.contains(s.as_str()),
            LineFilter::Matches(r) => r.is_match(line),
            LineFilter::NotMatches(r) => !r.is_match(line),
        })
    }
}

fn closing_brace(q: &str) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in q.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '}' if !in_str => return Some(i),
            _ => {}
        }
    }
    None
}

/// A double-quoted string with Go escapes, or a backquoted raw string; and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    if let Some(raw) = s.strip_prefix('`') {
        let end = raw.find('`')?;
        return Some((raw[..end].to_string(), &raw[end + 1..]));
    }
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn selector_and_filters() {
        let q = LogQuery::parse(r#"{service="checkout", level=~"warn|error"} |= "timeout" != "health" |~ `5\d\d`"#)
            .unwrap();
        let labels: Labels = [("service".into(), "checkout".into()), ("level".into(), "error".into())].into();
        assert!(q.matches_stream(&labels));
        assert!(q.matches_line("upstream timeout status=503"));
        assert!(!q.matches_line("health timeout 503"));
        assert!(!q.matches_line("upstream timeout status=200"));
        assert!(LogQuery::parse("rate({a=\"b\"}[5m])").is_err());
        assert!(LogQuery::parse("{a=\"b\"} | json").unwrap_err().contains("`|`"));
    }
}
