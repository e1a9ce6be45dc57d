//! `.test` text → [`TestFile`], with a span on every part. The grammar is `grammar/test.pest`,
//! read together with `grammar/policy.pest` for strings, dates, names and literals.
//!
//! Like [`crate::syntax::parse`], parsing never fails for the user: the file is split at lines
//! that start in the first column, each declaration is parsed alone, and each one that does not
//! parse is a diagnostic.

use crate::diagnostic::Diagnostic;
use crate::syntax::{declaration_chunks, only_comments, unescape, unexpected, Name, Span, Text};
use chrono::NaiveDate;
use pest::iterators::Pair;
use pest::Parser as _;

/// A parsed test file.
#[derive(Debug, Clone, Default)]
pub struct TestFile {
    /// The `policy "FILE"` line and what every case shares.
    pub header: Option<Header>,
    pub records: Vec<RecordDeclaration>,
    pub cases: Vec<Case>,
    /// The names of `record` declarations that did not parse: cases starting from them are
    /// not reported again.
    pub unparsed_records: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Header {
    /// The tested policy's path, relative to the test file.
    pub policy: Text,
    pub clauses: Vec<CaseClause>,
    pub span: Span,
}

/// `record NAME` and its cells: a starting point for cases (`given NAME`).
#[derive(Debug, Clone)]
pub struct RecordDeclaration {
    pub name: Name,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: Text,
    pub clauses: Vec<CaseClause>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CaseClause {
    pub kind: ClauseKind,
    /// The clause's keyword, where a duplicate clause is reported.
    pub keyword: Span,
}

#[derive(Debug, Clone)]
pub enum ClauseKind {
    For(Name),
    AsOf(NaiveDate),
    /// `set NAME = VALUE`: the value as written, for `compile::parse_override`.
    Set {
        name: Name,
        value: Text,
    },
    Given {
        record: Option<Name>,
        cells: Vec<Cell>,
    },
    Expect(Vec<Expectation>),
}

/// `"column" = "cell text"`.
#[derive(Debug, Clone)]
pub struct Cell {
    pub column: Text,
    pub value: Text,
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub kind: ExpectationKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExpectationKind {
    Item {
        item: Name,
        expected: Expected,
    },
    /// The record cannot be decided; the words, when given, are part of the message.
    Error(Option<Text>),
}

#[derive(Debug, Clone)]
pub enum Expected {
    /// `= yes`, `= no`, `= unknown` (`None`).
    Verdict(Option<bool>),
    /// `= VALUE`, the value as written.
    Value(Text),
    Pays(Text),
    PaysNothing,
    NotEligible,
    Superseded(Option<Name>),
}

/// The declarations that parsed, and one diagnostic for each that did not (and one for a file
/// without a case).
pub fn parse(source: &str) -> (TestFile, Vec<Diagnostic>) {
    let mut file = TestFile::default();
    let mut diagnostics = Vec::new();
    let no_case = || {
        Diagnostic::error("test::empty-file", "the test file has no case", Span::new(0, 0), "nothing here")
            .with_help("write a case: `case \"…\"`, then `given` cells and `expect` outcomes (docs/testing.md)")
    };
    if only_comments(source) {
        diagnostics.push(no_case());
        return (file, diagnostics);
    }
    for (start, end) in declaration_chunks(source) {
        let Some(chunk) = source.get(start..end) else { continue };
        match parse_declaration(chunk, start) {
            Ok(Declaration::Header(header)) => {
                if let Some(first) = &file.header {
                    diagnostics.push(
                        Diagnostic::error(
                            "test::duplicate-policy",
                            "a test file tests one policy; this is its second `policy` line",
                            header.policy.span,
                            "second policy",
                        )
                        .with_label(first.policy.span, "first named here")
                        .with_help("put the cases of another policy in a test file of their own"),
                    );
                } else {
                    file.header = Some(header);
                }
            }
            Ok(Declaration::Record(record)) => file.records.push(record),
            Ok(Declaration::Case(case)) => file.cases.push(case),
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                let mut words = first_words(chunk);
                if words.next() == Some("record") {
                    file.unparsed_records.extend(words.next().map(str::to_string));
                }
            }
        }
    }
    if file.cases.is_empty() && diagnostics.is_empty() {
        diagnostics.push(no_case());
    }
    (file, diagnostics)
}

/// The words of a declaration's text, comments left out: its keyword first.
fn first_words(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|line| !line.trim_start().starts_with('#')).flat_map(str::split_whitespace)
}

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
#[grammar = "../grammar/test.pest"]
struct TestParser;

enum Declaration {
    Header(Header),
    Record(RecordDeclaration),
    Case(Case),
}

type Built<T> = Result<T, Diagnostic>;

fn parse_declaration(text: &str, offset: usize) -> Built<Declaration> {
    let pairs = TestParser::parse(Rule::test_declaration_alone, text).map_err(|error| {
        let diagnostic = unexpected(&error, text, offset, describe);
        let help = match first_words(text).next() {
            _ if diagnostic.primary_span().start == offset => {
                "a declaration starts in the first column with `case`, `record` or `policy`; its clauses are indented"
            }
            Some("record") => "a record is a name and its cells, one a line: `\"column\" = \"text\"`",
            Some("policy") => {
                "the `policy` line names the tested policy (`policy \"FILE\"`) and may give `as of` and `set` for every case"
            }
            _ => "a case has the clauses for, as of, set, given (cells `\"column\" = \"text\"`) and expect (`name = yes`, `award pays 20万元`, …); text is quoted; `#` starts a comment",
        };
        Diagnostic { code: "test::syntax", ..diagnostic }.with_help(help)
    })?;
    let builder = Builder { offset };
    let declaration = pairs
        .flat_map(|pair| pair.into_inner())
        .find(|pair| pair.as_rule() == Rule::test_declaration)
        .and_then(|pair| pair.into_inner().next())
        .ok_or_else(|| builder.internal(offset, "no declaration"))?;
    builder.declaration(declaration)
}

/// A reader's name for what the grammar wanted.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::test_declaration | Rule::tested_policy | Rule::record_declaration | Rule::case_declaration => {
            "`case`, `record` or `policy`"
        }
        Rule::case_clause | Rule::shared_clause => "a clause (for, as of, set, given, expect)",
        Rule::for_clause => "`for`",
        Rule::as_of_clause => "`as of`",
        Rule::set_clause => "`set`",
        Rule::given_clause => "`given`",
        Rule::expect_clause => "`expect`",
        Rule::cell => "a cell (`\"column\" = \"text\"`)",
        Rule::expectation | Rule::item_expectation | Rule::error_expectation => {
            "an expectation (`name = yes`, `award pays 20万元`, …)"
        }
        Rule::expected
        | Rule::is_verdict
        | Rule::is_value
        | Rule::pays_nothing
        | Rule::pays_amount
        | Rule::not_eligible
        | Rule::superseded => "`=`, `pays`, `not eligible` or `superseded`",
        Rule::verdict => "yes, no or unknown",
        Rule::constant | Rule::literal | Rule::list => "a value as in a policy (`75`, `300万元`, `30%`, …)",
        Rule::string | Rule::string_content => "quoted text",
        Rule::identifier => "a name",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::kw_of => "`of`",
        Rule::kw_by => "`by`",
        Rule::kw_nothing => "`nothing`",
        Rule::kw_eligible => "`eligible`",
        Rule::EOI => "the end of the declaration",
        _ => "something else",
    }
}

struct Builder {
    offset: usize,
}

impl Builder {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let span = pair.as_span();
        let written = pair.as_str().trim_end();
        Span::new(self.offset + span.start(), self.offset + span.start() + written.len())
    }

    fn internal(&self, at: usize, what: &str) -> Diagnostic {
        Diagnostic::error(
            "test::internal",
            format!("the parser could not build this declaration ({what})"),
            Span::new(at, at),
            "here",
        )
        .with_help("this is a bug in `policy`; please report it with the test file")
    }

    fn name(&self, pair: &Pair<Rule>) -> Name {
        Name { text: pair.as_str().to_string(), span: self.span(pair) }
    }

    fn text(&self, pair: &Pair<Rule>) -> Text {
        let raw = pair.clone().into_inner().next().map(|content| content.as_str()).unwrap_or("");
        Text { text: unescape(raw), span: self.span(pair) }
    }

    /// The parts of a pair that are not keywords.
    fn parts<'a>(&self, pair: Pair<'a, Rule>) -> Vec<Pair<'a, Rule>> {
        pair.into_inner().filter(|part| !format!("{:?}", part.as_rule()).starts_with("kw_")).collect()
    }

    fn declaration(&self, pair: Pair<Rule>) -> Built<Declaration> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut parts = self.parts(pair).into_iter();
        let first = parts.next().ok_or_else(|| self.internal(span.start, "declaration name"))?;
        match rule {
            Rule::tested_policy => Ok(Declaration::Header(Header {
                policy: self.text(&first),
                clauses: parts.map(|clause| self.clause(clause)).collect::<Built<_>>()?,
                span,
            })),
            Rule::record_declaration => Ok(Declaration::Record(RecordDeclaration {
                name: self.name(&first),
                cells: parts.map(|cell| self.cell(cell)).collect::<Built<_>>()?,
            })),
            Rule::case_declaration => Ok(Declaration::Case(Case {
                name: self.text(&first),
                clauses: parts.map(|clause| self.clause(clause)).collect::<Built<_>>()?,
                span,
            })),
            _ => Err(self.internal(span.start, "declaration")),
        }
    }

    fn cell(&self, pair: Pair<Rule>) -> Built<Cell> {
        let span = self.span(&pair);
        let mut strings = pair.into_inner();
        let (Some(column), Some(value)) = (strings.next(), strings.next()) else {
            return Err(self.internal(span.start, "cell"));
        };
        Ok(Cell { column: self.text(&column), value: self.text(&value) })
    }

    /// A `case_clause` or `shared_clause`.
    fn clause(&self, pair: Pair<Rule>) -> Built<CaseClause> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.internal(span.start, "clause"))?;
        let rule = inner.as_rule();
        let keyword = inner.clone().into_inner().next().map(|keyword| self.span(&keyword)).unwrap_or(span);
        let parts = self.parts(inner);
        let missing = || self.internal(span.start, "clause part");
        let kind = match rule {
            Rule::for_clause => ClauseKind::For(self.name(parts.first().ok_or_else(missing)?)),
            Rule::as_of_clause => {
                let date = parts.first().ok_or_else(missing)?;
                ClauseKind::AsOf(NaiveDate::parse_from_str(date.as_str(), "%Y-%m-%d").map_err(|_| {
                    Diagnostic::error(
                        "syntax::invalid-date",
                        format!("`{}` is not a date in the calendar", date.as_str()),
                        self.span(date),
                        "no such day",
                    )
                    .with_help("write dates as YYYY-MM-DD, e.g. 2024-06-30")
                })?)
            }
            Rule::set_clause => {
                let (Some(name), Some(value)) = (parts.first(), parts.get(1)) else { return Err(missing()) };
                ClauseKind::Set {
                    name: self.name(name),
                    value: Text { text: value.as_str().trim_end().to_string(), span: self.span(value) },
                }
            }
            Rule::given_clause => {
                let mut record = None;
                let mut cells = Vec::new();
                for part in parts {
                    match part.as_rule() {
                        Rule::identifier => record = Some(self.name(&part)),
                        _ => cells.push(self.cell(part)?),
                    }
                }
                ClauseKind::Given { record, cells }
            }
            Rule::expect_clause => {
                ClauseKind::Expect(parts.into_iter().map(|part| self.expectation(part)).collect::<Built<_>>()?)
            }
            _ => return Err(self.internal(span.start, "clause")),
        };
        Ok(CaseClause { kind, keyword })
    }

    fn expectation(&self, pair: Pair<Rule>) -> Built<Expectation> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.internal(span.start, "expectation"))?;
        let kind = match inner.as_rule() {
            Rule::error_expectation => ExpectationKind::Error(self.parts(inner).first().map(|words| self.text(words))),
            _ => {
                let parts = self.parts(inner);
                let (Some(item), Some(expected)) = (parts.first(), parts.get(1)) else {
                    return Err(self.internal(span.start, "expectation parts"));
                };
                let form = expected.clone().into_inner().next().ok_or_else(|| self.internal(span.start, "expected"))?;
                let form_rule = form.as_rule();
                let operand = self.parts(form).into_iter().next();
                let operand_text = |operand: &Pair<Rule>| Text {
                    text: operand.as_str().trim_end().to_string(),
                    span: self.span(operand),
                };
                let expected = match (form_rule, operand) {
                    (Rule::is_verdict, Some(verdict)) => Expected::Verdict(match verdict.as_str().trim_end() {
                        "yes" => Some(true),
                        "no" => Some(false),
                        _ => None,
                    }),
                    (Rule::is_value, Some(value)) => Expected::Value(operand_text(&value)),
                    (Rule::pays_amount, Some(amount)) => Expected::Pays(operand_text(&amount)),
                    (Rule::pays_nothing, _) => Expected::PaysNothing,
                    (Rule::not_eligible, _) => Expected::NotEligible,
                    (Rule::superseded, winner) => Expected::Superseded(winner.map(|winner| self.name(&winner))),
                    _ => return Err(self.internal(span.start, "expected form")),
                };
                ExpectationKind::Item { item: self.name(item), expected }
            }
        };
        Ok(Expectation { kind, span })
    }
}
