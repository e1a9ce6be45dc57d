//! Tests of `policy test`, driven by the files they run:
//! - every `.test` file under `policies/` passes: this is what runs the real policies' suites
//!   in CI, and their coverage leaves nothing unexercised;
//! - every `tests/policy-test/*.test` file ends as its name says — `passing-*` with exit 0,
//!   `failing-*` with 1 (expected and actual side by side, the explanation), `errors-*` with 2
//!   (diagnostics) — and its output is snapshotted;
//! - the JUnit XML is snapshotted, read back as well-formed XML, and its counts checked against
//!   its elements; the coverage report with gaps is snapshotted; the ways of naming files.

mod common;

use common::{policy, scratch};
use quick_xml::events::Event;
use std::path::Path;

/// The test files directly in `directory`, sorted, as paths relative to the package.
fn test_files(directory: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "test"))
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// The part of `policy test --coverage` output after the results.
fn coverage_part(out: &str) -> &str {
    let start = out.find("\ncoverage of ").expect("a coverage report");
    &out[start + 1..]
}

#[test]
fn the_real_suites_pass() {
    let files = test_files("policies");
    assert!(files.len() >= 2, "policies/ holds the Rizhao and innovative-SME suites: {files:?}");
    let (code, out, err) = policy(&["test", "policies"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.is_empty(), "no diagnostic: {err}");
    assert!(!out.contains('✗'), "every case passes:\n{out}");
    for file in &files {
        assert!(out.contains(&format!("{file} (")), "{file} was run:\n{out}");
    }
    let summary = out.lines().find(|line| line.contains(" passed, ")).expect("a summary line");
    assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
    let cases = out.lines().filter(|line| line.starts_with("  ✓ ")).count();
    assert!(summary.starts_with(&format!("{cases} cases in {} files", files.len())), "{summary}");
}

/// Both outcomes of every rule and decision, every award paid and refused, no stacking
/// deciding, every table row: for every policy that has a suite.
#[test]
fn the_real_suites_exercise_everything() {
    let (code, out, err) = policy(&["test", "--coverage", "policies"]);
    assert_eq!(code, 0, "{err}");
    let coverage = coverage_part(&out);
    let reports: Vec<&str> = coverage.split("\ncoverage of ").collect();
    assert_eq!(reports.len(), test_files("policies").len(), "one report per policy:\n{coverage}");
    for report in reports {
        assert!(report.trim_end().ends_with("table row exercised"), "something not exercised:\n{report}");
    }
    insta::assert_snapshot!(coverage);
}

#[test]
fn fixtures() {
    insta::glob!("policy-test/*.test", |path| {
        let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_string_lossy().into_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = match name.split('-').next() {
            Some("passing") => 0,
            Some("failing") => 1,
            Some("errors") => 2,
            _ => panic!("{name}: a fixture's name starts with passing-, failing- or errors-"),
        };
        let (code, out, err) = policy(&["test", &relative]);
        assert_eq!(code, expected, "{name}:\n{out}\n{err}");
        match expected {
            0 => assert!(!out.contains('✗') && err.is_empty(), "{name}:\n{out}\n{err}"),
            1 => {
                assert!(out.contains("expected") && out.contains("actual"), "{name}: side by side:\n{out}");
                assert!(err.is_empty(), "{name}: no diagnostic:\n{err}");
            }
            _ => assert!(err.contains('×') && out.contains("not run"), "{name}: diagnostics:\n{out}\n{err}"),
        }
        insta::assert_snapshot!(format!("exit {code}\n--- standard output\n{out}--- standard error\n{err}"));
    });
}

/// Counts of one `testsuite` (or of `testsuites`): the attributes and the elements found.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
}

/// Reads the XML, failing on anything that is not well formed, and returns, for the whole
/// document and for each suite, the counts its attributes give and the counts of its elements.
fn read_junit(xml: &str) -> Vec<(String, Counts, Counts)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let attribute = |element: &quick_xml::events::BytesStart, name: &str| -> String {
        let found = element.try_get_attribute(name).unwrap().unwrap_or_else(|| panic!("no {name} attribute"));
        found.normalized_value(quick_xml::XmlVersion::default()).unwrap().into_owned()
    };
    let number = |text: String| -> usize { text.parse().unwrap() };
    let mut suites: Vec<(String, Counts, Counts)> = Vec::new();
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().unwrap_or_else(|error| panic!("not well-formed XML: {error}\n{xml}"));
        let (element, opens) = match &event {
            Event::Start(element) => (Some(element), true),
            Event::Empty(element) => (Some(element), false),
            Event::End(_) => {
                depth -= 1;
                (None, false)
            }
            Event::GeneralRef(reference) => {
                let name: &str = reference;
                let known = ["amp", "lt", "gt", "quot", "apos"].contains(&name) || name.starts_with('#');
                assert!(known, "an entity XML does not define: &{name};");
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(element) = element {
            let tag = element.name().into_inner().to_string();
            match tag.as_str() {
                "testsuites" | "testsuite" => {
                    let declared = Counts {
                        tests: number(attribute(element, "tests")),
                        failures: number(attribute(element, "failures")),
                        errors: number(attribute(element, "errors")),
                    };
                    suites.push((attribute(element, "name"), declared, Counts::default()));
                }
                "testcase" | "failure" | "error" => {
                    for index in [0, suites.len() - 1] {
                        let found = &mut suites[index].2;
                        match tag.as_str() {
                            "testcase" => found.tests += 1,
                            "failure" => found.failures += 1,
                            _ => found.errors += 1,
                        }
                    }
                }
                _ => {}
            }
            if opens {
                depth += 1;
            }
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    suites
}

#[test]
fn junit_output() {
    let files = [
        "tests/policy-test/errors-rizhao.test",
        "tests/policy-test/failing-rizhao.test",
        "tests/policy-test/passing-grant.test",
    ];
    let mut arguments = vec!["test", "--format", "junit"];
    arguments.extend(files);
    let (code, xml, err) = policy(&arguments);
    assert_eq!(code, 2, "a file with errors: {err}");
    assert!(err.contains("test::unknown-column"), "diagnostics still go to standard error: {err}");
    let suites = read_junit(&xml);
    assert_eq!(suites.len(), 1 + files.len(), "testsuites and a testsuite per file");
    for (name, declared, found) in &suites {
        assert_eq!(declared, found, "{name}: the counts match the elements");
    }
    let names: Vec<&str> = suites.iter().skip(1).map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, files);
    assert_eq!(suites[0].1, Counts { tests: 10, failures: 4, errors: 1 });
    insta::assert_snapshot!(xml);

    // With -o the same document goes to the file, and nothing to standard output.
    let path = scratch("junit.xml");
    let mut arguments = vec!["test", "--format", "junit", "-o", path.to_str().unwrap()];
    arguments.extend(files);
    let (code, out, _) = policy(&arguments);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), xml);
}

/// Colour on a terminal for the text, never in XML; the coverage goes to standard error when
/// the XML is on standard output.
#[test]
fn colour_and_coverage_beside_junit() {
    let run = |arguments: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = policy::cli::run(arguments.iter().map(Into::into).collect(), &mut out, &mut err, true);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    };
    let (code, text, _) = run(&["test", "tests/policy-test/failing-rizhao.test"]);
    assert_eq!(code, 1);
    assert!(text.contains("\u{1b}[32m✓\u{1b}[0m") && text.contains("\u{1b}[31m✗\u{1b}[0m"), "{text}");
    let (code, xml, err) = run(&["test", "--format", "junit", "--coverage", "tests/policy-test/failing-rizhao.test"]);
    assert_eq!(code, 1);
    assert!(!xml.contains('\u{1b}'), "no terminal codes in XML");
    read_junit(&xml);
    assert!(err.starts_with("coverage of policies/rizhao-2022.policy"), "{err}");
}

/// A suite where most cases fail: the outcomes its one passing case leaves unexercised.
#[test]
fn coverage_with_gaps() {
    let (code, out, _) = policy(&["test", "--coverage", "tests/policy-test/failing-rizhao.test"]);
    assert_eq!(code, 1);
    let coverage = coverage_part(&out);
    assert!(coverage.contains("never no: cultivation_pool"), "{coverage}");
    insta::assert_snapshot!(coverage);
}

#[test]
fn naming_the_files() {
    // A policy stands for the test file beside it; a file named twice runs once.
    let (code, out, _) =
        policy(&["test", "policies/rizhao-2022.policy", "policies/rizhao-2022.test", "policies/../policies"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("policies/rizhao-2022.test (").count(), 1, "{out}");
    assert!(out.contains("policies/innovative-sme.test ("), "{out}");

    let refused = [
        ("tests/cases/kleene.policy", "has no test file"),
        ("tests/policy-test/nowhere.test", "no such file"),
        ("tests/cases/kleene.csv", "is not a .test file"),
        ("tests/diagnostics", "no .test files under tests/diagnostics"),
    ];
    for (path, message) in refused {
        let (code, _, err) = policy(&["test", path]);
        assert_eq!(code, 2, "{path}");
        assert!(err.contains(message), "{path}: {err}");
    }
}

/// Without a path, every test file under the current directory.
#[test]
fn no_path_means_the_current_directory() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_policy"))
        .arg("test")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"))
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("rizhao-2022.test (rizhao-2022.policy)"), "{out}");
    assert!(out.contains("innovative-sme.test (innovative-sme.policy)"), "{out}");
}
