//! The runbooks that ship with watchpost, compiled in so that they are there wherever the console is
//! started, and merged with the operator's own: a runbook in one of the user's directories replaces a
//! built-in one of the same id.
use super::model::Runbook;
use crate::config::error::Located;
use std::path::{Path, PathBuf};

/// Each shipped runbook: its file name in `runbooks/` and its text (a test keeps the list whole).
pub const SHIPPED: &[(&str, &str)] = &[
    ("bad-deploy-rollback.md", include_str!("../../runbooks/bad-deploy-rollback.md")),
    ("cert-expiry.md", include_str!("../../runbooks/cert-expiry.md")),
    ("db-failover.md", include_str!("../../runbooks/db-failover.md")),
    ("disk-filling.md", include_str!("../../runbooks/disk-filling.md")),
    ("high-error-rate.md", include_str!("../../runbooks/high-error-rate.md")),
    ("latency-slo-burn.md", include_str!("../../runbooks/latency-slo-burn.md")),
    ("restart-service.md", include_str!("../../runbooks/restart-service.md")),
    ("scale-out.md", include_str!("../../runbooks/scale-out.md")),
    ("target-down.md", include_str!("../../runbooks/target-down.md")),
];

/// Where a built-in runbook says it comes from (its path in the project's sources).
pub fn origin(name: &str) -> PathBuf {
    Path::new("(built in) runbooks").join(name)
}

/// The built-in runbooks, and the problems of any that does not load.
pub fn builtin() -> (Vec<Runbook>, Vec<Located>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for (name, text) in SHIPPED {
        match super::parse(&origin(name), text) {
            Ok(r) => ok.push(r),
            Err(mut e) => bad.append(&mut e),
        }
    }
    (ok, bad)
}

/// The operator's runbooks from `dirs`, then every built-in one whose id none of them takes, in order of
/// id; with the problems of those that do not load.
pub fn load_all(dirs: &[PathBuf]) -> (Vec<Runbook>, Vec<Located>) {
    let (mut ok, mut bad) = super::load_dir(dirs);
    let (shipped, mut broken) = builtin();
    ok.extend(shipped.into_iter().filter(|s| !ok.iter().any(|o| o.id == s.id)).collect::<Vec<_>>());
    bad.append(&mut broken);
    ok.sort_by(|a, b| a.id.cmp(&b.id));
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runbook_in_the_folder_ships_and_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md") && n != "README.md")
            .collect();
        files.sort();
        let listed: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, listed, "runbooks/ and the list compiled in differ");
        let (ok, bad) = builtin();
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(ok.len(), SHIPPED.len());
    }

    #[test]
    fn a_users_runbook_replaces_the_built_in_one_of_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let (shipped, _) = builtin();
        let id = &shipped[0].id;
        let mine = format!("---\nid: {id}\ntitle: Mine\n---\n```manual {{#look}}\n- [ ] look\n```\n");
        std::fs::write(dir.path().join("mine.md"), mine).unwrap();
        let (all, bad) = load_all(&[dir.path().to_path_buf()]);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(all.len(), SHIPPED.len(), "replaced, not added");
        assert_eq!(all.iter().find(|r| &r.id == id).unwrap().title, "Mine");
    }
}
