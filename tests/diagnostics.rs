//! Snapshot tests of the diagnostics a policy drafter sees.
//!
//! Every `tests/diagnostics/*.policy` file shows one mistake (a few show two related ones). Its
//! first line is a comment `# expect: CODE — what is wrong`; the test checks that the file
//! produces at least one diagnostic, that every code named on that line is among them, and
//! snapshots the rendered text (label under the span, message, help) in `tests/snapshots/`.

use policy::diagnostic::{render, Diagnostic};
use std::path::Path;

/// Parse diagnostics first, then the checker's, as `policy check` reports them.
fn diagnose(source: &str) -> Vec<Diagnostic> {
    let (file, mut diagnostics) = policy::syntax::parse(source);
    diagnostics.extend(policy::check::check(&file).diagnostics);
    diagnostics
}

fn file_name(path: &Path) -> String {
    path.file_name().expect("a file name").to_string_lossy().into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The codes named on the file's first line, `# expect: check::cycle — …`. A file that is empty
/// (it has no room for the comment) expects `syntax::empty-file`.
fn expected_codes(name: &str, source: &str) -> Vec<String> {
    if source.trim().is_empty() {
        return vec!["syntax::empty-file".to_string()];
    }
    let first = source.lines().next().unwrap_or("");
    let comment = first
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{name}: the first line must be a `# expect: CODE — …` comment, found {first:?}"));
    let (_, after) = comment
        .split_once("expect:")
        .unwrap_or_else(|| panic!("{name}: the first comment line has no `expect:`: {first:?}"));
    let codes: Vec<String> = after
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| word.contains("::"))
        .map(str::to_string)
        .collect();
    assert!(!codes.is_empty(), "{name}: `expect:` names no diagnostic code: {first:?}");
    codes
}

#[test]
fn diagnostics_snapshots() {
    insta::glob!("diagnostics/*.policy", |path| {
        let name = file_name(path);
        let source = read(path);
        let diagnostics = diagnose(&source);
        let rendered = render(&diagnostics, &name, &source, false);
        assert!(!diagnostics.is_empty(), "{name}: no diagnostic at all; every input shows a mistake");
        assert!(!rendered.trim().is_empty(), "{name}: diagnostics rendered as nothing");
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn diagnostics_match_expect_line() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&directory)
        .expect("tests/diagnostics exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "policy"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 22, "expected at least 22 inputs, found {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let name = file_name(path);
        let source = read(path);
        let produced: Vec<&'static str> = diagnose(&source).iter().map(|diagnostic| diagnostic.code).collect();
        for code in expected_codes(&name, &source) {
            if !produced.contains(&code.as_str()) {
                failures.push(format!("{name}: expected {code}, produced {produced:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "diagnostics do not match the `# expect:` lines:\n{}", failures.join("\n"));
}
