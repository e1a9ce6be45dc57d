//! `policy test`: finds the test files, reads them and the policies they test, runs every case
//! and writes the results (text or JUnit XML) and, when asked, the coverage. What a test file
//! means, and running it, is `crate::testing`; this is the reading and writing around it.

use super::{load, read_text, Failure, Loaded};
use crate::diagnostic::{self, Diagnostic};
use crate::explain;
use crate::syntax::Span;
use crate::testing::{self, Coverage, FileErrors, FileReport, Totals};
use clap::ValueEnum;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TestFormat {
    /// ✓/✗ per case; for a failure, expected and actual side by side and the explanation.
    Text,
    /// JUnit XML for CI servers: a testsuite per file, a testcase per case.
    Junit,
}

/// What `policy test` was asked for.
pub(super) struct TestRequest<'a> {
    pub paths: &'a [PathBuf],
    pub format: TestFormat,
    pub output: Option<&'a Path>,
    pub coverage: bool,
    pub lang: explain::Lang,
}

pub(super) fn run_tests(
    request: &TestRequest,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    let files = find_test_files(request.paths)?;
    let text_colour = colour && request.output.is_none() && request.format == TestFormat::Text;
    let explaining = testing::Explaining { lang: request.lang, colour: text_colour };
    let mut policies: Vec<Tested> = Vec::new();
    let mut reports = Vec::new();
    for path in &files {
        reports.push(run_file(path, &mut policies, explaining, err, colour)?);
    }
    let totals = Totals::of(&reports);
    let mut results = match request.format {
        TestFormat::Text => {
            let mut text: String = reports.iter().map(|report| testing::file_text(report, text_colour)).collect();
            text.push_str(&totals.summary());
            text.push('\n');
            text
        }
        TestFormat::Junit => testing::junit(&reports),
    };
    let mut coverage = String::new();
    if request.coverage {
        let runnable = policies.iter().filter(|tested| !tested.loaded.diagnostics.iter().any(Diagnostic::is_error));
        for tested in runnable {
            coverage.push('\n');
            coverage.push_str(&tested.coverage.text(&tested.loaded.model, &tested.loaded.source, &tested.shown));
        }
    }
    // The coverage follows the text results; beside XML on standard output it goes to standard error.
    let coverage_on_error = request.format == TestFormat::Junit && request.output.is_none();
    if !coverage_on_error {
        results.push_str(&coverage);
    }
    match request.output {
        Some(path) => std::fs::write(path, results)
            .map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?,
        None => out.write_all(results.as_bytes())?,
    }
    if coverage_on_error {
        err.write_all(coverage.trim_start().as_bytes())?;
    }
    Ok(totals.exit_code())
}

/// A policy read once for every test file that tests it, with the coverage of their cases.
struct Tested {
    /// The policy file's canonical path: one file named two ways is read once.
    identity: PathBuf,
    /// The policy's path as shown in reports.
    shown: String,
    loaded: Loaded,
    coverage: Coverage,
}

/// Reads one test file and its policy, resolves its cases and runs them. Diagnostics are
/// written to `err` as `policy check` writes them; a file with an error runs no case.
fn run_file(
    path: &Path,
    policies: &mut Vec<Tested>,
    explaining: testing::Explaining,
    err: &mut dyn Write,
    colour: bool,
) -> Result<FileReport, Failure> {
    let shown = tidy(path).display().to_string();
    let (source, mut diagnostics) = read_text(path, "test")?;
    let (file, parse_diagnostics) = testing::parse(&source);
    diagnostics.extend(parse_diagnostics);
    let policy_path = match &file.header {
        Some(header) => path.parent().unwrap_or(Path::new("")).join(&header.policy.text),
        None => path.with_extension("policy"),
    };
    let policy_shown = tidy(&policy_path).display().to_string();
    let mut report = FileReport { path: shown.clone(), policy: policy_shown.clone(), cases: Vec::new(), errors: None };
    // Diagnostics go to standard error as `policy check` writes them, and into the report
    // without colour; a file with an error runs no case.
    let mut fail = |groups: &[(&[Diagnostic], &str, &str)], summary: String| -> Result<(), Failure> {
        let mut rendered = String::new();
        for (diagnostics, file_name, text) in groups {
            write!(err, "{}", diagnostic::render(diagnostics, file_name, text, colour))?;
            rendered.push_str(&diagnostic::render(diagnostics, file_name, text, false));
        }
        report.errors = Some(FileErrors { summary, rendered });
        Ok(())
    };
    if !policy_path.is_file() {
        let (span, help) = match &file.header {
            Some(header) => (header.policy.span, "the path is relative to the test file's directory"),
            None => (Span::new(0, 0), "put the policy beside the test file, with the same name, or name it on the first line: `policy \"FILE\"`"),
        };
        diagnostics.push(
            Diagnostic::error(
                "test::missing-policy",
                format!("the tested policy {policy_shown} does not exist"),
                span,
                "which policy?",
            )
            .with_help(help),
        );
        let summary = errors_summary(&diagnostics, "the test file has");
        fail(&[(&diagnostics, &shown, &source)], summary)?;
        return Ok(report);
    }
    let identity = std::fs::canonicalize(&policy_path).unwrap_or_else(|_| policy_path.clone());
    let index = match policies.iter().position(|tested| tested.identity == identity) {
        Some(index) => index,
        None => {
            let loaded = load(&policy_path)?;
            let coverage = Coverage::new(&loaded.model);
            policies.push(Tested { identity, shown: policy_shown, loaded, coverage });
            policies.len() - 1
        }
    };
    let Some(tested) = policies.get_mut(index) else { return Ok(report) };
    let policy_errors: Vec<Diagnostic> =
        tested.loaded.diagnostics.iter().filter(|found| found.is_error()).cloned().collect();
    if !policy_errors.is_empty() {
        let summary = errors_summary(&policy_errors, "its policy has");
        fail(&[(&diagnostics, &shown, &source), (&policy_errors, &tested.shown, &tested.loaded.source)], summary)?;
        return Ok(report);
    }
    let (cases, resolve_diagnostics) = testing::resolve(&file, &source, &tested.loaded.model);
    diagnostics.extend(resolve_diagnostics);
    diagnostics.sort_by_key(|found| (found.primary_span(), found.severity));
    if diagnostics.iter().any(Diagnostic::is_error) {
        let summary = errors_summary(&diagnostics, "the test file has");
        fail(&[(&diagnostics, &shown, &source)], summary)?;
        return Ok(report);
    }
    write!(err, "{}", diagnostic::render(&diagnostics, &shown, &source, colour))?;
    for case in &cases {
        let case_report = testing::run_case(&tested.loaded.model, &tested.loaded.source, case, explaining);
        if let Some(observed) = &case_report.observed {
            tested.coverage.add(observed);
        }
        report.cases.push(case_report);
    }
    Ok(report)
}

/// `not run: the test file has 2 errors`.
fn errors_summary(diagnostics: &[Diagnostic], whose: &str) -> String {
    let count = diagnostics.iter().filter(|found| found.is_error()).count();
    format!("{whose} {count} error{}", if count == 1 { "" } else { "s" })
}

/// The test files the paths name, in order, each once: a `.test` file itself, a `.policy`
/// file's sibling test file, every `.test` file under a directory (hidden directories and
/// `target` left out). No path means the current directory.
fn find_test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let current = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &current[..] } else { paths };
    let mut found: Vec<PathBuf> = Vec::new();
    for path in paths {
        let extension = path.extension().and_then(|extension| extension.to_str());
        if path.is_dir() {
            let before = found.len();
            walk(path, &mut found)?;
            if found.len() == before {
                return Err(Failure(format!("no .test files under {}", path.display())));
            }
        } else if extension == Some("policy") {
            let sibling = path.with_extension("test");
            if !sibling.is_file() {
                return Err(Failure(format!(
                    "{} has no test file: its cases go in {} (see docs/testing.md)",
                    path.display(),
                    sibling.display()
                )));
            }
            found.push(sibling);
        } else if extension == Some("test") {
            if !path.is_file() {
                return Err(Failure(format!("cannot read {}: no such file", path.display())));
            }
            found.push(path.clone());
        } else if !path.exists() {
            return Err(Failure(format!("cannot read {}: no such file or directory", path.display())));
        } else {
            return Err(Failure(format!("{} is not a .test file, a .policy file or a directory", path.display())));
        }
    }
    let mut unique: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in found {
        let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !unique.iter().any(|(seen, _)| *seen == identity) {
            unique.push((identity, path));
        }
    }
    Ok(unique.into_iter().map(|(_, path)| path).collect())
}

/// Every `.test` file under `directory`, in name order; hidden directories, `target` and linked
/// directories are left out.
fn walk(directory: &Path, found: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(directory)
        .map_err(|error| Failure(format!("cannot read {}: {error}", directory.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        // A linked directory is not entered: a link to a parent would never end.
        let directory = std::fs::symlink_metadata(&path).is_ok_and(|metadata| metadata.is_dir());
        if directory {
            if !name.starts_with('.') && name != "target" {
                walk(&path, found)?;
            }
        } else if path.extension().is_some_and(|extension| extension == "test") && path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

/// The path as shown: without `.` parts, and with each `..` taking back the name before it, so
/// that `./tests/../policies/a.policy` is shown as `policies/a.policy`. (Only for showing: with
/// symbolic links the two may name different files.)
fn tidy(path: &Path) -> PathBuf {
    let mut tidied = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(tidied.components().next_back(), Some(Component::Normal(_))) => {
                tidied.pop();
            }
            other => tidied.push(other),
        }
    }
    if tidied.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidied
    }
}
