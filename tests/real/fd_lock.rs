//! Every test in this binary holds the fd-table lock (`support::fds_shared` or
//! `fds_exclusive`). One that forgets it races the fd-counting tests: a loop it drops while
//! `echo` counts `/proc/self/fd` shows up there as "closed: fd 6 -> anon_inode:[eventpoll]",
//! a failure of a test that did nothing wrong (CI saw exactly that). This reads the sources
//! rather than trusting each new test to remember.

use std::collections::BTreeSet;
use std::path::Path;

const LOCKS: [&str; 2] = ["fds_shared()", "fds_exclusive()"];

/// Names of the free functions of `src` whose text takes the lock (a test may reach the lock
/// through one, as `cancel_dial`'s tests do through their shared scenario).
fn locking_helpers(src: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in src.match_indices("\nfn ") {
        let rest = &src[at + 4..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // A top-level function ends where the next item begins.
        let end = rest.find("\n}\n").map_or(rest.len(), |e| e + 3);
        if LOCKS.iter().any(|lock| rest[..end].contains(lock)) {
            names.insert(name);
        }
    }
    names
}

/// `(file, test)` for each `#[test]` of `src` whose body neither takes the lock nor calls a
/// helper that does.
fn unlocked_tests(file: &str, src: &str) -> Vec<String> {
    let helpers = locking_helpers(src);
    let mut missing = Vec::new();
    for (at, _) in src.match_indices("#[test]\n") {
        let rest = &src[at..];
        let end = rest.find("\n}\n").map_or(rest.len(), |e| e + 3);
        let body = &rest[..end];
        let locked = LOCKS.iter().any(|lock| body.contains(lock))
            || helpers.iter().any(|h| body.contains(&format!("{h}(")));
        if !locked {
            let name = body
                .split("fn ")
                .nth(1)
                .and_then(|s| s.split('(').next())
                .unwrap_or("?");
            missing.push(format!("{file}: {name}"));
        }
    }
    missing
}

#[test]
fn every_test_in_this_binary_holds_the_fd_table_lock() {
    let _fds = crate::support::fds_shared();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut tests = 0;
    let mut missing = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        tests += src.matches("#[test]\n").count();
        let file = path.file_name().unwrap().to_string_lossy();
        missing.extend(unlocked_tests(&file, &src));
    }
    // The binary has dozens of tests; finding none would mean the scan itself broke.
    assert!(
        tests >= 30,
        "found only {tests} #[test]s in {}",
        dir.display()
    );
    assert!(
        missing.is_empty(),
        "tests that neither take fds_shared() nor fds_exclusive() (add `let _fds = \
         crate::support::fds_shared();` as their first line):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_scan_finds_a_test_without_the_lock_and_accepts_one_through_a_helper() {
    let _fds = crate::support::fds_shared();
    let src = "\nfn scenario() {\n    let _g = fds_exclusive();\n}\n\n#[test]\nfn through_helper() {\n    scenario();\n}\n\n#[test]\nfn forgot() {\n    work();\n}\n";
    assert_eq!(
        unlocked_tests("x.rs", src),
        vec!["x.rs: forgot".to_string()]
    );
}
