//! The results of `policy test` for people (✓/✗ per case, expected and actual side by side,
//! the explanation of a failure) and as JUnit XML for CI servers.

use super::{plural, CaseReport, FileReport};
use crate::output::text_table;

/// Passed, failed and not-run counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    /// Files whose cases did not run because the file or its policy has errors.
    pub files_with_errors: usize,
    pub files: usize,
}

impl Totals {
    pub fn of(files: &[FileReport]) -> Totals {
        let mut totals = Totals { files: files.len(), ..Totals::default() };
        for file in files {
            if file.errors.is_some() {
                totals.files_with_errors += 1;
            }
            for case in &file.cases {
                if case.passed() {
                    totals.passed += 1;
                } else {
                    totals.failed += 1;
                }
            }
        }
        totals
    }

    /// 0 when every case passed, 1 when one failed, 2 when a file could not be run.
    pub fn exit_code(&self) -> i32 {
        if self.files_with_errors > 0 {
            2
        } else {
            i32::from(self.failed > 0)
        }
    }

    pub fn summary(&self) -> String {
        let cases = self.passed + self.failed;
        let mut line = format!(
            "{cases} case{} in {} file{}: {} passed, {} failed",
            plural(cases),
            self.files,
            plural(self.files),
            self.passed,
            self.failed
        );
        if self.files_with_errors > 0 {
            let count = self.files_with_errors;
            line.push_str(&format!("; {count} file{} not run because of errors", plural(count)));
        }
        line
    }
}

/// One file's results: its name and policy, a line per case, the details of each failure.
pub fn file_text(file: &FileReport, colour: bool) -> String {
    let paint =
        |text: &str, code: &str| if colour { format!("\u{1b}[{code}m{text}\u{1b}[0m") } else { text.to_string() };
    let mut out = format!("{} ({})\n", file.path, file.policy);
    if let Some(errors) = &file.errors {
        out.push_str(&format!("  {} not run: {}\n", paint("✗", "31"), errors.summary));
        return out;
    }
    for case in &file.cases {
        if case.passed() {
            out.push_str(&format!("  {} {}\n", paint("✓", "32"), case.name));
        } else {
            out.push_str(&format!("  {} {} (line {})\n", paint("✗", "31"), case.name, case.line));
            out.push_str(&indent(&failure_text(case), "      "));
        }
    }
    out
}

/// What failed, side by side, then the explanation of the actual outcome.
pub fn failure_text(case: &CaseReport) -> String {
    let headers: Vec<String> = ["", "expected", "actual"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = case
        .mismatches
        .iter()
        .map(|mismatch| vec![mismatch.subject.clone(), mismatch.expected.clone(), mismatch.actual.clone()])
        .collect();
    let mut out = text_table(&headers, &rows);
    if let Some(explanation) = &case.explanation {
        out.push_str("why:\n");
        out.push_str(&indent(explanation, "  "));
    }
    out
}

/// A JUnit XML document: a `testsuite` per test file, a `testcase` per case, a `failure` with
/// the side-by-side text and the explanation; a file that could not run is one `error`.
pub fn junit(files: &[FileReport]) -> String {
    let totals = Totals::of(files);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"policy test\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
        totals.passed + totals.failed + totals.files_with_errors,
        totals.failed,
        totals.files_with_errors
    ));
    for file in files {
        let failures = file.cases.iter().filter(|case| !case.passed()).count();
        let errors = usize::from(file.errors.is_some());
        let class = xml(&class_name(&file.path));
        let path = xml(&file.path);
        out.push_str(&format!(
            "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" file=\"{path}\">\n",
            file.cases.len() + errors
        ));
        out.push_str(&format!(
            "    <properties>\n      <property name=\"policy\" value=\"{}\"/>\n    </properties>\n",
            xml(&file.policy)
        ));
        if let Some(file_errors) = &file.errors {
            out.push_str(&format!("    <testcase name=\"{path}\" classname=\"{class}\" file=\"{path}\">\n"));
            out.push_str(&format!(
                "      <error message=\"{}\" type=\"diagnostics\">{}</error>\n",
                xml(&file_errors.summary),
                xml(&file_errors.rendered)
            ));
            out.push_str("    </testcase>\n");
        }
        for case in &file.cases {
            let opening = format!(
                "    <testcase name=\"{}\" classname=\"{class}\" file=\"{path}\" line=\"{}\"",
                xml(&case.name),
                case.line
            );
            if case.passed() {
                out.push_str(&format!("{opening}/>\n"));
                continue;
            }
            // The message is what a CI server shows first: the first expectation that failed.
            let message = match case.mismatches.as_slice() {
                [] => String::new(),
                [first, rest @ ..] => {
                    let more = match rest.len() {
                        0 => String::new(),
                        count => format!(" (and {count} more)"),
                    };
                    format!("{}: expected {}, actual {}{more}", first.subject, first.expected, first.actual)
                }
            };
            out.push_str(&format!("{opening}>\n"));
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"expectation\">{}</failure>\n",
                xml(&message),
                xml(&failure_text(case))
            ));
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `policies/rizhao-2022.test` → `policies.rizhao-2022`, the dotted class name CI servers group by.
fn class_name(path: &str) -> String {
    path.strip_suffix(".test").unwrap_or(path).replace(['/', '\\'], ".")
}

/// Text for XML content and attribute values: escaped as HTML is (`crate::explain::escape`),
/// and without the control characters XML 1.0 does not allow at all (such as a terminal's
/// colour codes), which become U+FFFD.
fn xml(text: &str) -> String {
    let allowed = |character: char| match character {
        '\t' | '\n' | '\r' => true,
        '\u{FFFE}' | '\u{FFFF}' => false,
        other => !other.is_control(),
    };
    let cleaned: String =
        text.chars().map(|character| if allowed(character) { character } else { '\u{FFFD}' }).collect();
    crate::explain::escape(&cleaned)
}

/// Every line of `text` after `prefix`; blank lines stay blank.
fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|line| if line.is_empty() { "\n".to_string() } else { format!("{prefix}{line}\n") }).collect()
}
