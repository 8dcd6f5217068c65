//! Parameter values: checked against their declared type before anything runs, and refused outright
//! when they carry what no value should (controls, NUL, newlines, megabyte strings). Values reach
//! commands only as environment variables, never spliced into a command's text.
use super::model::{Param, ParamKind};

/// The longest value accepted (a secret's reference too).
pub const MAX_VALUE: usize = 1024;

/// Check `value` for `p`; the error says what was expected.
pub fn validate(p: &Param, value: &str) -> Result<(), String> {
    if value.len() > MAX_VALUE {
        return Err(format!("{}: {} bytes, longer than {MAX_VALUE}", p.name, value.len()));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() || crate::text::sanitize::is_unsafe(*c)) {
        return Err(format!("{}: holds the control character {:?}; values are one line of text", p.name, c));
    }
    let ok = match &p.kind {
        ParamKind::String => Ok(()),
        ParamKind::Int => value.parse::<i64>().map(|_| ()).map_err(|_| "an integer".to_string()),
        ParamKind::Number => value.parse::<f64>().ok().filter(|f| f.is_finite()).map(|_| ()).ok_or("a number".into()),
        ParamKind::Bool => matches!(value, "true" | "false").then_some(()).ok_or("true or false".into()),
        ParamKind::Duration => {
            crate::time::parse_duration(value).map(|_| ()).map_err(|_| "a duration such as 5m".into())
        }
        ParamKind::Enum(allowed) => {
            allowed.iter().any(|a| a == value).then_some(()).ok_or(format!("one of {}", allowed.join(", ")))
        }
        ParamKind::Secret => {
            let ok = ["env:", "file:", "vault:"].iter().any(|p| value.starts_with(p) && value.len() > p.len());
            ok.then_some(()).ok_or("a reference: env:NAME, file:/path or vault:path#key".into())
        }
    };
    ok.map_err(|want| format!("{}: `{}` is not {want}", p.name, crate::text::sanitize(value)))?;
    if let Some(pat) = &p.pattern {
        let re = regex::Regex::new(&format!("^(?:{pat})$")).map_err(|e| format!("{}: pattern: {e}", p.name))?;
        if !re.is_match(value) {
            return Err(format!("{}: `{}` does not match {pat}", p.name, crate::text::sanitize(value)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    fn param(kind: ParamKind, pattern: Option<&str>) -> Param {
        Param {
            name: "service".into(),
            kind,
            default: None,
            pattern: pattern.map(Into::into),
            from_label: None,
            description: None,
        }
    }

    #[test]
    fn hostile_values_are_refused() {
        let p = param(ParamKind::String, Some("[a-z][a-z0-9-]*"));
        assert!(validate(&p, "checkout").is_ok());
        for bad in ["$(reboot)", "; rm -rf /", "`id`", "a\nb", "a\0b", "\x1b[2J", "CHECKOUT"] {
            assert!(validate(&p, bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate(&param(ParamKind::String, None), &"x".repeat(1_000_000)).unwrap_err().contains("longer"));
        assert!(validate(&param(ParamKind::String, None), "a\u{202e}b").is_err());
    }

    #[test]
    fn types() {
        assert!(validate(&param(ParamKind::Int, None), "3").is_ok());
        assert!(validate(&param(ParamKind::Int, None), "3.5").unwrap_err().contains("integer"));
        assert!(validate(&param(ParamKind::Duration, None), "5m").is_ok());
        assert!(validate(&param(ParamKind::Enum(vec!["a".into(), "b".into()]), None), "c").is_err());
        assert!(validate(&param(ParamKind::Secret, None), "env:TOKEN").is_ok());
        assert!(validate(&param(ParamKind::Secret, None), "hunter2").is_err());
        assert!(validate(&param(ParamKind::Bool, None), "yes").is_err());
    }
}
