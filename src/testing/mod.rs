//! `policy test`: test cases for a policy, written next to it in a `.test` file
//! (`docs/testing.md`), run against the checked policy.
//!
//! The stages mirror the policy's own: [`parse`] (text → [`TestFile`] with spans, grammar
//! `grammar/test.pest`), [`resolve`] (names, columns and values against the checked `Model`,
//! diagnostics with spans into the test file; each case's record is read by the data reader, so
//! a cell means what it means in a CSV file), [`run_case`] (compile, decide, compare, explain a
//! failure with `explain`'s own tree), [`Coverage`] (which outcomes the passing cases
//! exercised), and the renderings [`file_text`] and [`junit`]. Finding and reading files is
//! the command line's work (`src/cli/test_command.rs`).

mod coverage;
mod parse;
mod render;
mod resolve;
mod run;

pub use coverage::{checked_items, Coverage};
pub use parse::{parse, TestFile};
pub use render::{failure_text, file_text, junit, Totals};
pub use resolve::resolve;
pub use run::{run_case, Explaining};

use crate::compile::Settings;
use crate::data::Record;
use crate::eval::AwardStatus;
use crate::value::Value;
use rust_decimal::Decimal;

/// One case, ready to run.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// The line of `case` in the test file.
    pub line: usize,
    pub entity: usize,
    pub settings: Settings,
    pub record: Record,
    pub expectations: Vec<Expect>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// A rule, decision or benefit is yes, no or unknown (`None`); of an award, its condition.
    Condition {
        item: usize,
        expected: Option<bool>,
    },
    /// A table or value; `Value::Unknown` stands for any unknown, bounded or not.
    Value {
        item: usize,
        expected: Value,
    },
    Award {
        item: usize,
        expected: AwardExpectation,
    },
    /// The record cannot be decided, with a message containing the words when given.
    Error(Option<String>),
}

impl Expect {
    /// The item the expectation is about; `None` for an expected error.
    pub fn item(&self) -> Option<usize> {
        match self {
            Expect::Condition { item, .. } | Expect::Value { item, .. } | Expect::Award { item, .. } => Some(*item),
            Expect::Error(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwardExpectation {
    /// Paid, this amount (in 元).
    Pays(Decimal),
    /// Not paid, for whatever reason: not in the output's `awards`.
    PaysNothing,
    NotEligible,
    /// Superseded under no stacking, by this award when given.
    Superseded(Option<usize>),
}

/// What running one case found.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub name: String,
    pub line: usize,
    /// The expectations that did not hold; none when the case passed.
    pub mismatches: Vec<Mismatch>,
    /// For a failed case, the explanation of the actual outcome of the items that failed.
    pub explanation: Option<String>,
    /// For a passed case, the outcomes of the items it checks, for coverage.
    pub observed: Option<Observed>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// One expectation that did not hold, in the test file's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The item expected (`cultivation_pool`), or `the record` for an expected error.
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

/// The outcomes a passing case produced for the items it checks.
#[derive(Debug, Clone)]
pub struct Observed {
    pub entity: usize,
    /// By item index.
    pub observations: Vec<(usize, Observation)>,
}

#[derive(Debug, Clone)]
pub enum Observation {
    /// A rule, decision or benefit: yes, no, unknown (`None`).
    Truth(Option<bool>),
    Award(AwardStatus),
    /// A table: the row that applied, when one certainly did.
    Row(Option<usize>),
}

/// The results of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The test file and its policy, as the user named or found them.
    pub path: String,
    pub policy: String,
    pub cases: Vec<CaseReport>,
    /// When the test file or its policy has errors, none of its cases ran.
    pub errors: Option<FileErrors>,
}

#[derive(Debug, Clone)]
pub struct FileErrors {
    /// One line: `2 errors in the test file`.
    pub summary: String,
    /// The diagnostics as `policy check` renders them, without colour.
    pub rendered: String,
}

/// The plural ending of a count's noun: `1 case`, `2 cases`.
fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
