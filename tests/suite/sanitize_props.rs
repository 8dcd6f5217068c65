//! Properties of the one sanitizer all untrusted text passes.
use proptest::prelude::*;
use watchpost::text::sanitize::{is_unsafe, sanitize};

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        (0u32..0x20).prop_map(|u| char::from_u32(u).unwrap()),
        (0x7fu32..0xa0).prop_map(|u| char::from_u32(u).unwrap()),
        prop::sample::select(vec![
            '\u{202a}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{200f}',
            '\u{feff}',
            '\u{2028}',
            // Found by category, not by a list: deprecated format controls, tags, variation selectors.
            '\u{206a}',
            '\u{206f}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{fe0f}',
            '\u{e0100}',
            '\u{3164}',
            '\u{180b}',
            // Combining marks, for runs of them.
            '\u{301}',
            '\u{489}',
            '\u{93f}',
        ]),
    ]
}

proptest! {
    #[test]
    fn output_never_holds_an_unsafe_code_point(chars in prop::collection::vec(hostile_char(), 0..200)) {
        let s: String = chars.into_iter().collect();
        let out = sanitize(&s);
        prop_assert!(!out.chars().any(is_unsafe), "{out:?}");
    }

    #[test]
    fn safe_text_is_unchanged(s in "[a-zA-Z0-9 _.:/{}=\",é漢字-]{0,100}") {
        prop_assert_eq!(sanitize(&s), s.as_str());
    }

    #[test]
    fn every_unsafe_code_point_leaves_a_visible_trace(prefix in "[a-z]{0,5}", c in hostile_char(), suffix in "[a-z]{0,5}") {
        let s = format!("{prefix}{c}{suffix}");
        let out = sanitize(&s);
        prop_assert!(out.starts_with(&prefix) && out.ends_with(&suffix));
        if is_unsafe(c) {
            prop_assert!(out.len() > s.len() - c.len_utf8(), "{c:?} vanished");
            prop_assert!(out.contains('\\'));
        }
    }

    #[test]
    fn sanitizing_twice_changes_nothing_more(chars in prop::collection::vec(hostile_char(), 0..100)) {
        let s: String = chars.into_iter().collect();
        let once = sanitize(&s).into_owned();
        prop_assert_eq!(sanitize(&once), once.as_str());
    }

    /// However many marks are stacked, a drawn character carries at most a few.
    #[test]
    fn runs_of_marks_are_bounded(base in "[a-z]", n in 0usize..3000, mark in prop::sample::select(vec!['\u{301}', '\u{489}', '\u{93f}'])) {
        let s = format!("{base}{}", mark.to_string().repeat(n));
        let out = sanitize(&s);
        let run = out.chars().filter(|c| watchpost::text::sanitize::is_mark(*c)).count();
        prop_assert!(run <= watchpost::text::sanitize::MAX_MARKS, "{run}");
        prop_assert!(out.len() < 64, "{}", out.len());
    }

    /// What is drawn is escaped; what names things is the value itself.
    #[test]
    fn clean_text_keeps_its_raw_value(chars in prop::collection::vec(hostile_char(), 0..100)) {
        let s: String = chars.into_iter().collect();
        let c = watchpost::text::Clean::new(&s);
        prop_assert_eq!(c.raw(), s.as_str());
        prop_assert!(!c.as_str().chars().any(is_unsafe));
    }

    /// Matchers written as text (the silence form, the audit trail) read back to the same raw values.
    #[test]
    fn matchers_as_text_parse_back(values in prop::collection::vec(prop::collection::vec(hostile_char(), 0..20), 1..4)) {
        use watchpost::alerts::matcher::{Matcher, Op, parse, to_text};
        let ms: Vec<Matcher> = values
            .iter()
            .enumerate()
            .map(|(i, v)| Matcher::new(&format!("l{i}"), Op::Equal, &v.iter().collect::<String>()).unwrap())
            .collect();
        let text = to_text(&ms);
        prop_assert!(!text.chars().any(is_unsafe), "{text:?}");
        prop_assert_eq!(parse(&text).unwrap(), ms);
    }

    #[test]
    fn invalid_utf8_is_shown_not_passed(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let out = watchpost::text::Clean::from_bytes(&bytes);
        prop_assert!(!out.as_str().chars().any(is_unsafe));
    }
}

proptest! {
    /// Log lines and their labels, whatever bytes a store sends (invalid UTF-8 included), hold nothing
    /// unsafe once read, and a cut long line stays on a character boundary.
    #[test]
    fn log_lines_are_clean_where_they_enter(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        chars in prop::collection::vec(hostile_char(), 0..100),
        repeat in 0usize..400,
    ) {
        let text: String = chars.into_iter().collect();
        let raw = format!("{}{}", String::from_utf8_lossy(&bytes), text.repeat(repeat / 40 + 1));
        let l = watchpost::logs::LogLine::new(1, &raw, &[("service", text.as_str()), (text.as_str(), "v")]);
        prop_assert!(!l.text.as_str().chars().any(is_unsafe));
        prop_assert!(!l.service.as_str().chars().any(is_unsafe));
        prop_assert!(l.labels.iter().all(|(k, v)| !k.as_str().chars().chain(v.as_str().chars()).any(is_unsafe)));
    }

    /// Span names and attributes from a Jaeger answer are clean in the trace the waterfall draws.
    #[test]
    fn span_text_is_clean_where_it_enters(chars in prop::collection::vec(hostile_char(), 0..80)) {
        let s: String = chars.into_iter().collect();
        let v = serde_json::json!({"traceID": "1", "spans": [{"spanID": "a", "operationName": s, "startTime": 1, "duration": 2,
            "tags": [{"key": s, "value": s}], "logs": [{"timestamp": 1, "fields": [{"key": "event", "value": s}]}], "processID": "p"}],
            "processes": {"p": {"serviceName": s}}});
        let t = watchpost::sources::traces::jaeger::trace(&v);
        let sp = &t.spans[0];
        let all = [sp.operation.as_str(), sp.service.as_str(), sp.attributes[0].0.as_str(), sp.attributes[0].1.as_str(), sp.events[0].1.as_str()];
        prop_assert!(all.iter().all(|x| !x.chars().any(is_unsafe)), "{all:?}");
    }
}
