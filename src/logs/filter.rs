//! The view's filter and highlight: a regex over the sanitized text (what the operator sees), compiled
//! with size limits so a pathological pattern is refused instead of stalling the UI.
use regex::{Regex, RegexBuilder};

#[derive(Clone, Debug)]
pub struct LineFilter {
    pub pattern: String,
    re: Regex,
}

impl LineFilter {
    /// Case-insensitive unless the pattern has an upper-case letter (as `less` and most pagers do).
    pub fn new(pattern: &str) -> Result<LineFilter, String> {
        let re = RegexBuilder::new(pattern)
            .case_insensitive(!pattern.chars().any(char::is_uppercase))
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|e| match e {
                regex::Error::Syntax(s) => s.lines().last().unwrap_or("invalid pattern").trim().to_string(),
                other => other.to_string(),
            })?;
        Ok(LineFilter { pattern: pattern.to_string(), re })
    }

    pub fn matches(&self, text: &str) -> bool {
        self.re.is_match(text)
    }

    /// Byte ranges of the matches, for highlighting (empty matches skipped).
    pub fn ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        self.re.find_iter(text).filter(|m| !m.is_empty()).map(|m| m.range()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn smart_case_and_errors() {
        let f = LineFilter::new("timeout").unwrap();
        assert!(f.matches("upstream TIMEOUT after 5s"));
        assert!(!LineFilter::new("Timeout").unwrap().matches("timeout"));
        assert_eq!(f.ranges("a timeout, another timeout"), vec![2..9, 19..26]);
        let e = LineFilter::new("(unclosed").unwrap_err();
        assert!(e.contains("unclosed"), "{e}");
    }
}
