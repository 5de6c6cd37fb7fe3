//! Output paths, checked before the first seed runs: a run that cannot write its report or
//! its seed files is refused at once (bad input, naming the path), not discovered after
//! hours of seeds whose failures would then be lost.
//!
//! A check is a real write (creating the report file; creating and removing a probe file in
//! the seed directory), not a permission bit read: only the kernel knows whether a write will
//! succeed (read-only mounts, ACLs, a full disk of inodes, root's override).

use std::fs::File;
use std::path::Path;

/// Creates (or truncates) the report at `path`, for writing when the run ends. `flag` names
/// the option in the error.
pub fn report_file(flag: &str, path: &Path) -> Result<File, String> {
    if path.is_dir() {
        return Err(format!("{flag} {}: is a directory", path.display()));
    }
    File::create(path).map_err(|e| format!("{flag} {}: cannot write: {e}", path.display()))
}

/// Creates the directory `dir` (and its parents) and proves a file can be written in it.
pub fn writable_dir(flag: &str, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("{flag} {}: cannot create: {e}", dir.display()))?;
    let probe = dir.join(format!(".simkern-probe-{}", std::process::id()));
    File::create(&probe)
        .map_err(|e| format!("{flag} {}: cannot write in it: {e}", dir.display()))?;
    std::fs::remove_file(&probe).map_err(|e| {
        format!(
            "{flag} {}: cannot remove {}: {e}",
            dir.display(),
            probe.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_a_file_are_refused_with_the_flag_and_the_path() {
        let dir = std::env::temp_dir().join(format!("simkern-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("plain");
        std::fs::write(&file, "x").unwrap();
        let err = report_file("--report", &file.join("r.json")).unwrap_err();
        assert!(
            err.starts_with("--report ") && err.contains("plain/r.json"),
            "{err}"
        );
        let err = writable_dir("--save", &file.join("seeds")).unwrap_err();
        assert!(
            err.starts_with("--save ") && err.contains("cannot create"),
            "{err}"
        );
        assert!(report_file("--report", &dir)
            .unwrap_err()
            .contains("is a directory"));
        writable_dir("--save", &dir.join("ok")).unwrap();
        assert_eq!(std::fs::read_dir(dir.join("ok")).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
