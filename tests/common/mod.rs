//! What the command-line tests share: running `policy` in-process and a scratch directory.

use std::path::PathBuf;

/// Runs `policy ARGS…` in-process; returns the exit code, standard output and standard error.
pub fn policy(arguments: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let arguments = arguments.iter().map(Into::into).collect();
    let code = policy::cli::run(arguments, &mut out, &mut err, false);
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

/// A path for a file of this test run, in a directory of its own.
pub fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("policy-tests-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display()));
    directory.join(name)
}
