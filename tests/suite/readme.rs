//! The README's key table is the one `watchpost keys --markdown` makes from the shipped key table, so it
//! cannot drift from the help popup and the footer, which are made from the same table.
use watchpost::app::keymap::KeyMap;

#[test]
fn readme_key_table_is_the_generated_one() {
    let readme = include_str!("../../README.md");
    let generated = watchpost::cli::key_markdown(&KeyMap::default());
    let start = readme.find("| Where | Keys | What it does |").expect("the README has the key table");
    let end = readme[start..].find("<!-- end of the key table -->").expect("the key table ends") + start;
    assert!(
        readme[start..end] == generated,
        "README's key table differs from `watchpost keys --markdown`; replace it with that command's output"
    );
    assert!(readme.contains("scripts/test.sh") && readme.contains("cargo run --release"));
}
