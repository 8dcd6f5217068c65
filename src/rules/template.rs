//! Annotation and label templates of alerting rules: the part of Go's text/template that rule files use.
//!
//! Written by hand: no maintained Rust crate implements Go templates, and rules need only a small, fixed
//! subset: `{{ $labels.name }}`, `{{ $value }}`, `{{ $externalLabels.name }}` (and their `.Labels` /
//! `.Value` forms), `index`, `printf`, pipelines into `humanize`, `humanize1024`, `humanizePercentage`,
//! `humanizeDuration`, `humanizeTimestamp`, `toUpper`, `toLower`, `title`, and `{{-`/`-}}` trimming.
//! Anything else (`if`, `range`, `with`, `query`, …) is refused when the rule file is loaded, by name.
use crate::engine::Labels;

/// A parsed template: literal text and actions.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(String),
    /// Commands joined by `|`: each one's result is the last argument of the next.
    Pipeline(Vec<Command>),
}

#[derive(Clone, Debug, PartialEq)]
enum Command {
    Operand(Operand),
    Call(Func, Vec<Operand>),
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Label(String),
    Labels,
    External(String),
    Value,
    Str(String),
    Num(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    Humanize,
    Humanize1024,
    HumanizePercentage,
    HumanizeDuration,
    HumanizeTimestamp,
    Printf,
    Index,
    ToUpper,
    ToLower,
    Title,
}

const FUNCS: [(&str, Func); 10] = [
    ("humanize", Func::Humanize),
    ("humanize1024", Func::Humanize1024),
    ("humanizePercentage", Func::HumanizePercentage),
    ("humanizeDuration", Func::HumanizeDuration),
    ("humanizeTimestamp", Func::HumanizeTimestamp),
    ("printf", Func::Printf),
    ("index", Func::Index),
    ("toUpper", Func::ToUpper),
    ("toLower", Func::ToLower),
    ("title", Func::Title),
];

const KEYWORDS: [&str; 9] = ["if", "range", "with", "else", "end", "define", "template", "block", "query"];

/// What a template is expanded with.
pub struct Data<'a> {
    pub labels: &'a Labels,
    pub external: &'a Labels,
    pub value: f64,
}

#[derive(Clone, Debug)]
enum Val {
    Str(String),
    Num(f64),
    Map,
}

/// A template error: the message and the byte offset in the template text.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateError {
    pub message: String,
    pub offset: usize,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            let mut literal = rest[..open].to_string();
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or(TemplateError { message: "unclosed action: expected `}}`".into(), offset: offset + open })?;
            let mut inner = &after[..close];
            if let Some(trimmed) = inner.strip_prefix('-') {
                literal.truncate(literal.trim_end().len());
                inner = trimmed;
            }
            let trim_after = inner.ends_with('-') && inner.len() > 1;
            if trim_after {
                inner = &inner[..inner.len() - 1];
            }
            if !literal.is_empty() {
                parts.push(Part::Text(literal));
            }
            let at = offset + open + 2;
            if !inner.trim().starts_with("/*") {
                parts.push(Part::Pipeline(pipeline(inner, at)?));
            }
            let consumed = open + 2 + close + 2;
            rest = &rest[consumed..];
            offset += consumed;
            if trim_after {
                let t = rest.trim_start();
                offset += rest.len() - t.len();
                rest = t;
            }
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The text with every action expanded. A failing action (a missing label) expands to nothing, and
    /// the error is returned with the text, as Prometheus reports it and still sends the alert.
    pub fn expand(&self, data: &Data) -> Result<String, (String, String)> {
        let mut out = String::new();
        let mut error = None;
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Pipeline(cmds) => match run(cmds, data) {
                    Ok(v) => out.push_str(&show(&v)),
                    Err(e) => error = error.or(Some(e)),
                },
            }
        }
        match error {
            None => Ok(out),
            Some(e) => Err((out, e)),
        }
    }
}

fn pipeline(src: &str, at: usize) -> Result<Vec<Command>, TemplateError> {
    let mut cmds = Vec::new();
    let mut start = 0;
    for piece in split_outside_quotes(src, '|') {
        let lead = piece.len() - piece.trim_start().len();
        let words = words(piece).map_err(|m| TemplateError { message: m, offset: at + start + lead })?;
        if words.is_empty() {
            return Err(TemplateError { message: "empty command in the action".into(), offset: at + start });
        }
        let first = &words[0];
        let err = |m: String| TemplateError { message: m, offset: at + start + lead };
        let cmd = if let Some(&(_, f)) = FUNCS.iter().find(|(n, _)| n == first) {
            let args = words[1..].iter().map(|w| operand(w)).collect::<Result<Vec<_>, _>>().map_err(err)?;
            Command::Call(f, args)
        } else if words.len() == 1 || KEYWORDS.contains(&first.as_str()) {
            Command::Operand(operand(first).map_err(err)?)
        } else {
            return Err(err(format!("`{first}` is not a function watchpost's rule templates support")));
        };
        cmds.push(cmd);
        start += piece.len() + 1;
    }
    Ok(cmds)
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut last) = (false, 0);
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quoted => {
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[last..]);
    out
}

fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut w = String::from("\"");
            loop {
                match chars.next() {
                    None => return Err("unterminated string: expected a closing `\"`".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => w.push('\n'),
                        Some('t') => w.push('\t'),
                        Some(o) => w.push(o),
                        None => return Err("unterminated string".into()),
                    },
                    Some(o) => w.push(o),
                }
            }
            out.push(w);
        } else {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
            out.push(w);
        }
    }
    Ok(out)
}

fn operand(w: &str) -> Result<Operand, String> {
    if let Some(s) = w.strip_prefix('"') {
        return Ok(Operand::Str(s.to_string()));
    }
    if let Ok(n) = w.parse::<f64>() {
        return Ok(Operand::Num(n));
    }
    for (prefix, external) in
        [("$labels.", false), (".Labels.", false), ("$externalLabels.", true), (".ExternalLabels.", true)]
    {
        if let Some(name) = w.strip_prefix(prefix) {
            return Ok(if external { Operand::External(name.into()) } else { Operand::Label(name.into()) });
        }
    }
    match w {
        "$value" | ".Value" => Ok(Operand::Value),
        "$labels" | ".Labels" => Ok(Operand::Labels),
        w if KEYWORDS.contains(&w) => {
            Err(format!("`{w}` is not supported in watchpost's rule templates (labels, value, printf, humanize*)"))
        }
        _ => Err(format!("unknown name `{w}`: expected $labels.NAME, $value, $externalLabels.NAME or a function")),
    }
}

fn value(o: &Operand, d: &Data) -> Result<Val, String> {
    Ok(match o {
        Operand::Label(n) => Val::Str(d.labels.get(n).cloned().unwrap_or_default()),
        Operand::External(n) => Val::Str(d.external.get(n).cloned().unwrap_or_default()),
        Operand::Labels => Val::Map,
        Operand::Value => Val::Num(d.value),
        Operand::Str(s) => Val::Str(s.clone()),
        Operand::Num(n) => Val::Num(*n),
    })
}

fn run(cmds: &[Command], d: &Data) -> Result<Val, String> {
    let mut piped: Option<Val> = None;
    for c in cmds {
        let v = match c {
            Command::Operand(o) => value(o, d)?,
            Command::Call(f, args) => {
                let mut vals = args.iter().map(|a| value(a, d)).collect::<Result<Vec<_>, _>>()?;
                vals.extend(piped.take());
                call(*f, &vals, d)?
            }
        };
        piped = Some(v);
    }
    piped.ok_or_else(|| "empty action".into())
}

fn num(v: &Val) -> Result<f64, String> {
    match v {
        Val::Num(n) => Ok(*n),
        Val::Str(s) => s.trim().parse().map_err(|_| format!("cannot read `{s}` as a number")),
        Val::Map => Err("expected a number, found the label map".into()),
    }
}

fn call(f: Func, a: &[Val], d: &Data) -> Result<Val, String> {
    let one = || a.first().ok_or_else(|| "missing argument".to_string());
    Ok(Val::Str(match f {
        Func::Humanize => humanize(num(one()?)?),
        Func::Humanize1024 => humanize1024(num(one()?)?),
        Func::HumanizePercentage => format!("{}%", go_g(num(one()?)? * 100.0, 4)),
        Func::HumanizeDuration => humanize_duration(num(one()?)?),
        Func::HumanizeTimestamp => {
            let t = num(one()?)?;
            chrono::DateTime::from_timestamp_millis((t * 1000.0) as i64)
                .map_or_else(|| go_g(t, 4), |t| t.format("%Y-%m-%d %H:%M:%S%.f +0000 UTC").to_string())
        }
        Func::ToUpper => show(one()?).to_uppercase(),
        Func::ToLower => show(one()?).to_lowercase(),
        Func::Title => title(&show(one()?)),
        Func::Index => match (a.first(), a.get(1)) {
            (Some(Val::Map), Some(k)) => d.labels.get(&show(k)).cloned().unwrap_or_default(),
            _ => return Err("index takes the label map and a name: index $labels \"name\"".into()),
        },
        Func::Printf => {
            let Some(Val::Str(fmt)) = a.first() else { return Err("printf needs a format string first".into()) };
            printf(fmt, &a[1..])?
        }
    }))
}

fn show(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Num(n) => go_g(*n, -1),
        Val::Map => "map[…]".into(),
    }
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// Go's `%g` (`prec` significant digits, or the shortest exact form when negative): no trailing zeros,
/// an exponent below 1e-4 or from 1e(prec).
pub fn go_g(v: f64, prec: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let (digits, exp) = if prec < 0 {
        let s = format!("{v:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        (m.replace(['.', '-'], "").len() as i32, e.parse::<i32>().unwrap_or(0))
    } else {
        let s = format!("{:.*e}", (prec.max(1) - 1) as usize, v);
        let e = s.split_once('e').map_or(0, |(_, e)| e.parse::<i32>().unwrap_or(0));
        (prec.max(1), e)
    };
    let limit = if prec < 0 { 21 } else { digits };
    if exp < -4 || exp >= limit {
        let s = format!("{:.*e}", (digits - 1).max(0) as usize, v);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.') } else { m };
        let e: i32 = e.parse().unwrap_or(0);
        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        let decimals = (digits - 1 - exp).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    }
}

fn humanize(v: f64) -> String {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    if v.abs() >= 1.0 {
        let mut x = v;
        for prefix in ["", "k", "M", "G", "T", "P", "E", "Z"] {
            if x.abs() < 1000.0 {
                return format!("{}{prefix}", go_g(x, 4));
            }
            x /= 1000.0;
        }
        return format!("{}Y", go_g(x, 4));
    }
    let mut x = v;
    for prefix in ["", "m", "u", "n", "p", "f", "a", "z"] {
        if x.abs() >= 1.0 {
            return format!("{}{prefix}", go_g(x, 4));
        }
        x *= 1000.0;
    }
    format!("{}y", go_g(x, 4))
}

fn humanize1024(v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    let mut x = v;
    for prefix in ["", "ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"] {
        if x.abs() < 1024.0 {
            return format!("{}{prefix}", go_g(x, 4));
        }
        x /= 1024.0;
    }
    format!("{}Yi", go_g(x, 4))
}

fn humanize_duration(v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    if v == 0.0 {
        return "0s".into();
    }
    if v.abs() < 1.0 {
        let mut x = v;
        for prefix in ["", "m", "u", "n", "p", "f", "a", "z"] {
            if x.abs() >= 1.0 {
                return format!("{}{prefix}s", go_g(x, 4));
            }
            x *= 1000.0;
        }
        return format!("{}ys", go_g(x, 4));
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let v = v.abs();
    let secs = v as i64;
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    let s = v - (secs - secs % 60) as f64;
    let s = if s.fract() == 0.0 { format!("{}s", s as i64) } else { format!("{s:.3}s") };
    if d != 0 {
        format!("{sign}{d}d {h}h {m}m {s}")
    } else if h != 0 {
        format!("{sign}{h}h {m}m {s}")
    } else if m != 0 {
        format!("{sign}{m}m {s}")
    } else {
        format!("{sign}{s}")
    }
}

/// Go's printf for the verbs rule templates use: `%s %v %d %f %e %g %q %%` with width and precision.
fn printf(fmt: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() || c == '.' || c == '-' || c == '+' {
                spec.push(c);
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars.next().ok_or("printf format ends inside a verb")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let (width, prec) = match spec.trim_start_matches(['-', '+']).split_once('.') {
            Some((w, p)) => (w.parse::<usize>().ok(), p.parse::<usize>().ok()),
            None => (spec.trim_start_matches(['-', '+']).parse::<usize>().ok(), None),
        };
        let text = match verb {
            's' | 'v' => show(arg),
            'q' => format!("{:?}", show(arg)),
            'd' => format!("{}", num(arg)?.trunc() as i64),
            'f' => format!("{:.*}", prec.unwrap_or(6), num(arg)?),
            'e' => {
                let s = format!("{:.*e}", prec.unwrap_or(6), num(arg)?);
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let e: i32 = e.parse().unwrap_or(0);
                format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
            }
            'g' => go_g(num(arg)?, prec.map_or(-1, |p| p as i32)),
            other => return Err(format!("printf verb `%{other}` is not supported")),
        };
        let w = width.unwrap_or(0);
        if spec.starts_with('-') {
            out.push_str(&format!("{text:<w$}"));
        } else {
            out.push_str(&format!("{text:>w$}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(t: &str, value: f64) -> String {
        let labels: Labels = [("job".into(), "checkout".into()), ("instance".into(), "h:1".into())].into();
        let external: Labels = [("cluster".into(), "eu".into())].into();
        Template::parse(t).unwrap().expand(&Data { labels: &labels, external: &external, value }).unwrap()
    }

    #[test]
    fn labels_values_and_functions() {
        assert_eq!(expand("{{ $labels.job }} on {{ .Labels.instance }}", 0.0), "checkout on h:1");
        assert_eq!(expand("{{ $value }}", 0.25), "0.25");
        assert_eq!(expand("{{ $value | humanize }}", 12345.0), "12.35k");
        assert_eq!(expand("{{ $value | humanize }}", 0.0123), "12.3m");
        assert_eq!(expand("{{ $value | humanizePercentage }}", 0.01234), "1.234%");
        assert_eq!(expand("{{ humanizeDuration $value }}", 3725.0), "1h 2m 5s");
        assert_eq!(expand("{{ $value | humanize1024 }}", 2048.0), "2ki");
        assert_eq!(expand("{{ printf \"%.2f\" $value }}", 0.12345), "0.12");
        assert_eq!(expand("{{ $value | printf \"%.1f%%\" }}", 99.95), "100.0%");
        assert_eq!(expand("{{ index $labels \"job\" | toUpper }}", 0.0), "CHECKOUT");
        assert_eq!(expand("{{ $externalLabels.cluster }}", 0.0), "eu");
        assert_eq!(expand("a {{- \" b \" -}} c", 0.0), "a b c");
        assert_eq!(expand("{{/* note */}}x", 0.0), "x");
    }

    #[test]
    fn go_number_forms() {
        assert_eq!(go_g(1e21, -1), "1e+21");
        assert_eq!(go_g(1.5, 4), "1.5");
        assert_eq!(go_g(1234.5, 4), "1234");
        assert_eq!(go_g(0.00001234, 4), "1.234e-05");
        assert_eq!(go_g(100.0, -1), "100");
    }

    #[test]
    fn unsupported_actions_are_refused_at_parse() {
        let e = Template::parse("x {{ if $value }}y{{ end }}").unwrap_err();
        assert!(e.message.contains("`if`"), "{}", e.message);
        assert_eq!(e.offset, 5);
        let e = Template::parse("{{ $labels.job ").unwrap_err();
        assert!(e.message.contains("}}"));
        let e = Template::parse("{{ nosuch $value }}").unwrap_err();
        assert!(e.message.contains("nosuch"));
    }
}
