//! How numbers are written on screen: short, fixed-width-friendly, with units.
use std::time::Duration;

pub const NONE: &str = "—";

pub fn rate(v: Option<f64>) -> String {
    match v {
        None => NONE.into(),
        Some(v) if v >= 10_000.0 => format!("{:.1}k/s", v / 1000.0),
        Some(v) if v >= 100.0 => format!("{v:.0}/s"),
        Some(v) if v >= 1.0 => format!("{v:.1}/s"),
        Some(v) => format!("{v:.2}/s"),
    }
}

/// A ratio as a percent with enough digits to tell 0.05 % from 0.1 %.
pub fn percent(v: Option<f64>) -> String {
    match v {
        None => NONE.into(),
        Some(v) => {
            let p = v * 100.0;
            if p == 0.0 {
                "0%".into()
            } else if p < 0.01 {
                "<0.01%".into()
            } else if p < 10.0 {
                format!("{p:.2}%")
            } else {
                format!("{p:.1}%")
            }
        }
    }
}

/// Availability keeps three decimals: 99.9 % and 99.95 % must look different.
pub fn availability(v: Option<f64>) -> String {
    v.map_or(NONE.into(), |v| format!("{:.3}%", v * 100.0))
}

pub fn latency(seconds: Option<f64>) -> String {
    match seconds {
        None => NONE.into(),
        Some(s) if s < 1.0 => format!("{:.0}ms", s * 1000.0),
        Some(s) => format!("{s:.2}s"),
    }
}

pub fn burn(v: Option<f64>) -> String {
    match v {
        None => NONE.into(),
        Some(b) if b >= 10.0 => format!("{b:.0}×"),
        Some(b) => format!("{b:.1}×"),
    }
}

pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a != 0.0 && !(0.001..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}").trim_end_matches('0').to_string()
    }
}

pub fn secs(s: f64) -> String {
    let sign = if s < 0.0 { "-" } else { "" };
    format!("{sign}{}", crate::time::short(Duration::from_secs_f64(s.abs())))
}

/// `s` in exactly `width` columns: cut with `…` when longer, padded with spaces when shorter.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if s.width() <= width {
        return format!("{s}{}", " ".repeat(width - s.width()));
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    w += 1;
    out + &" ".repeat(width.saturating_sub(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn forms() {
        assert_eq!(rate(Some(12.34)), "12.3/s");
        assert_eq!(rate(Some(25_000.0)), "25.0k/s");
        assert_eq!(percent(Some(0.0005)), "0.05%");
        assert_eq!(availability(Some(0.99962)), "99.962%");
        assert_eq!(latency(Some(0.1425)), "142ms");
        assert_eq!(latency(Some(1.5)), "1.50s");
        assert_eq!(burn(Some(14.4)), "14×");
        assert_eq!(burn(Some(0.45)), "0.5×");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1e-9), "1.000e-9");
        assert_eq!(secs(-90.0), "-1m30s");
    }
}
