//! The README's key table lists every default binding's description, so it cannot drift from the table
//! the help popup and footer are built from.
use watchpost::app::keymap::KeyMap;

#[test]
fn readme_lists_every_default_action() {
    let readme = include_str!("../../README.md");
    for b in KeyMap::default().bindings {
        assert!(readme.contains(b.action.desc()), "README lacks `{}` ({})", b.action.desc(), b.action.name());
    }
    assert!(readme.contains("scripts/test.sh") && readme.contains("cargo run --release"));
}
