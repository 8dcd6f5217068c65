//! Properties of the one sanitizer all untrusted text passes.
use proptest::prelude::*;
use watchpost::text::sanitize::{is_unsafe, sanitize};

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        (0u32..0x20).prop_map(|u| char::from_u32(u).unwrap()),
        (0x7fu32..0xa0).prop_map(|u| char::from_u32(u).unwrap()),
        prop::sample::select(vec![
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200f}', '\u{feff}', '\u{2028}'
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

    #[test]
    fn invalid_utf8_is_shown_not_passed(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let out = watchpost::text::Clean::from_bytes(&bytes);
        prop_assert!(!out.as_str().chars().any(is_unsafe));
    }
}
