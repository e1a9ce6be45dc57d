//! `policy fmt`: the repository's policies and the badly laid-out inputs of `tests/fmt/`
//! (comments in every place the grammar allows one) formatted, as snapshots; on every `.policy`
//! file of the repository and every policy example of the documentation, the formatter's
//! promises: formatting again changes nothing, every comment is kept, the meaning is kept;
//! and the command line: in place, standard input, `--check`, syntax errors.

mod common;
#[path = "common/meaning.rs"]
mod meaning;

use common::{policy, scratch};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn formatted(path: &Path) -> String {
    policy::fmt::format(&read(path)).unwrap_or_else(|diagnostics| panic!("{}: {diagnostics:#?}", path.display()))
}

#[test]
fn the_policies_formatted() {
    insta::glob!("..", "policies/*.policy", |path| {
        insta::assert_snapshot!(formatted(path));
    });
}

#[test]
fn badly_laid_out_inputs_formatted() {
    insta::glob!("fmt/*.policy", |path| {
        insta::assert_snapshot!(formatted(path));
    });
}

/// Every `.policy` file under these directories of the repository.
fn policy_files() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut directories: Vec<PathBuf> = ["policies", "tests", "examples", "fuzz/seeds"].map(PathBuf::from).to_vec();
    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                directories.push(path);
            } else if path.extension().is_some_and(|extension| extension == "policy") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The ```policy blocks of the documentation.
fn documented_policies() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for document in ["README.md", "docs/language.md", "docs/fmt.md"] {
        let text = read(Path::new(document));
        // A block inside a list item is indented as a whole, fence included.
        let mut block: Option<(usize, String)> = None;
        for (number, line) in text.lines().enumerate() {
            let fence = line.trim_start();
            match &mut block {
                None if fence.starts_with("```policy") => block = Some((line.len() - fence.len(), String::new())),
                Some((_, lines)) if fence.starts_with("```") => {
                    found.push((format!("{document}:{number}"), std::mem::take(lines)));
                    block = None;
                }
                Some((indent, lines)) => {
                    lines.push_str(line.get(*indent..).unwrap_or(""));
                    lines.push('\n');
                }
                None => {}
            }
        }
    }
    found
}

/// On each file that parses: formatting it again changes nothing, and its comments and meaning
/// are kept. A file that does not parse is refused with exactly its syntax diagnostics.
fn keeps_its_promises(name: &str, source: &str) {
    let (_, syntax) = policy::syntax::parse(source);
    match policy::fmt::format(source) {
        Ok(once) => {
            assert!(syntax.is_empty(), "{name}: formatted despite {syntax:?}");
            assert_eq!(policy::fmt::format(&once).as_ref(), Ok(&once), "{name}: formatting it again changes it");
            assert_eq!(meaning::comments(source), meaning::comments(&once), "{name}: the comments changed");
            meaning::assert_same_meaning(name, source, &once);
        }
        Err(diagnostics) => {
            assert!(!syntax.is_empty(), "{name}: refused without a syntax error: {diagnostics:#?}");
            assert_eq!(diagnostics, syntax, "{name}: refused with other diagnostics than its syntax errors");
        }
    }
}

#[test]
fn every_policy_file_keeps_its_meaning_and_comments() {
    let files = policy_files();
    assert!(files.len() > 40, "found only {files:?}");
    for path in files {
        keeps_its_promises(&path.display().to_string(), &read(&path));
    }
}

#[test]
fn every_documented_policy_keeps_its_meaning_and_comments() {
    let blocks = documented_policies();
    assert!(blocks.len() > 10, "found only {} blocks", blocks.len());
    for (name, source) in blocks {
        keeps_its_promises(&name, &source);
    }
}

/// What keeps the policies formatted: CI runs `cargo test`.
#[test]
fn the_policies_pass_check() {
    let files: Vec<String> = policy_files()
        .into_iter()
        .filter(|path| path.starts_with("policies"))
        .map(|path| path.display().to_string())
        .collect();
    let mut arguments = vec!["fmt", "--check"];
    arguments.extend(files.iter().map(String::as_str));
    let (code, out, err) = policy(&arguments);
    assert_eq!((code, err.as_str()), (0, ""), "run `cargo run -- fmt policies/*.policy`:\n{out}");
    assert_eq!(out, "");
}

#[test]
fn check_shows_the_difference_and_exits_1() {
    let (code, out, err) = policy(&["fmt", "--check", "tests/fmt/badly-laid-out.policy"]);
    assert_eq!((code, err.as_str()), (1, ""));
    insta::assert_snapshot!("check-badly-laid-out", out);
}

#[test]
fn a_syntax_error_exits_2_and_leaves_the_file_alone() {
    let original = "tests/diagnostics/syntax-stray-token.policy";
    let path = scratch("stray-token.policy");
    std::fs::copy(original, &path).unwrap();
    let path = path.to_str().unwrap();
    for arguments in [vec!["fmt", path], vec!["fmt", "--check", path]] {
        let (code, out, err) = policy(&arguments);
        assert_eq!((code, out.as_str()), (2, ""), "{arguments:?}");
        // The syntax errors, rendered as `policy check` renders them.
        let source = read(Path::new(path));
        let (_, syntax) = policy::syntax::parse(&source);
        assert!(err.starts_with(&policy::diagnostic::render(&syntax, path, &source, false)), "{err}");
        assert!(err.ends_with(&format!("{path}: not formatted (errors above)\n")), "{err}");
    }
    assert_eq!(read(Path::new(path)), read(Path::new(original)));
}

#[test]
fn in_place_only_when_it_changes_something() {
    let messy = scratch("messy.policy");
    std::fs::copy("tests/fmt/badly-laid-out.policy", &messy).unwrap();
    let clean = scratch("clean.policy");
    std::fs::copy("policies/innovative-sme.policy", &clean).unwrap();
    let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options().write(true).open(&clean).unwrap().set_modified(long_ago).unwrap();
    let (code, out, err) = policy(&["fmt", messy.to_str().unwrap(), clean.to_str().unwrap()]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    assert_eq!(read(&messy), formatted(Path::new("tests/fmt/badly-laid-out.policy")));
    assert_eq!(std::fs::metadata(&clean).unwrap().modified().unwrap(), long_ago, "a formatted file was written");
    assert_eq!(policy(&["fmt", "--check", messy.to_str().unwrap()]).0, 0);
}

#[test]
fn one_broken_file_does_not_stop_the_others() {
    let messy = scratch("messy-too.policy");
    std::fs::copy("tests/fmt/badly-laid-out.policy", &messy).unwrap();
    let (code, _, err) =
        policy(&["fmt", "tests/diagnostics/syntax-two-errors.policy", "no/such/file.policy", messy.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("error: cannot read no/such/file.policy"), "{err}");
    assert_eq!(read(&messy), formatted(Path::new("tests/fmt/badly-laid-out.policy")));
}

#[test]
fn standard_input_to_standard_output() {
    use std::io::Write;
    let run = |arguments: &[&str], input: &[u8]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_policy"))
            .args(arguments)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let messy = std::fs::read("tests/fmt/badly-laid-out.policy").unwrap();
    let expected = formatted(Path::new("tests/fmt/badly-laid-out.policy"));
    assert_eq!(run(&["fmt", "-"], &messy), (Some(0), expected.clone()));
    assert_eq!(run(&["fmt", "-"], expected.as_bytes()), (Some(0), expected.clone()));
    let (code, diff) = run(&["fmt", "--check", "-"], &messy);
    assert_eq!(code, Some(1));
    assert!(diff.starts_with("--- <standard input> (as written)\n+++ <standard input> (formatted)\n"), "{diff}");
}
