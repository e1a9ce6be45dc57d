//! Diagnostics as plain data, and the one place where they are rendered.
//!
//! Every stage (syntax, check, evaluation set-up) reports problems as [`Diagnostic`] values and
//! keeps going; nothing is printed where it is found. `render` turns them into miette reports
//! with the source line, a label under the exact span and a `help`.

use crate::syntax::Span;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable identifier such as `check::unknown-name`, for documentation and tools.
    pub code: &'static str,
    pub message: String,
    /// The first label is the primary one: where the problem is.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: vec![Label { span, message: label.into() }],
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span, label) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|label| label.span).unwrap_or_default()
    }
}

/// Where a diagnostic points, as people count: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Where each line of a source starts, to place many offsets without scanning the source from
/// its start for each (a file with thousands of diagnostics would take quadratic time).
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(source.bytes().enumerate().filter(|(_, byte)| *byte == b'\n').map(|(at, _)| at + 1));
        LineIndex { source, line_starts }
    }

    /// The 1-based line and column (in characters) of a byte offset; the end for an offset beyond it.
    pub fn position(&self, offset: usize) -> LineColumn {
        let offset = offset.min(self.source.len());
        let line = self.line_starts.partition_point(|start| *start <= offset).max(1);
        let line_start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self.source.get(line_start..offset).map(|text| text.chars().count()).unwrap_or(0) + 1;
        LineColumn { line, column }
    }
}

pub fn line_column(source: &str, offset: usize) -> LineColumn {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|position| position + 1).unwrap_or(0);
    let column = before.get(line_start..).map(|text| text.chars().count()).unwrap_or(0) + 1;
    LineColumn { line, column }
}

/// Renders diagnostics as text with the source lines they point at. `colour` is for terminals.
/// Only the first ones are drawn with their source: a person reads a few and fixes them, and
/// each drawing reads the source from its start (a generated 50 MB file with tens of thousands
/// of errors would take hours).
pub const MOST_RENDERED: usize = 50;

pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str, colour: bool) -> String {
    let theme = if colour { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    if let Some(rest) = diagnostics.len().checked_sub(MOST_RENDERED).filter(|rest| *rest > 0) {
        let mut out = render(diagnostics.get(..MOST_RENDERED).unwrap_or_default(), file_name, source, colour);
        out.push_str(&format!(
            "… and {rest} more not shown here; `policy check --format json {file_name}` lists every one\n\n"
        ));
        return out;
    }
    for diagnostic in diagnostics {
        let report = Report { diagnostic, source: NamedSource::new(file_name, source.to_string()) };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&diagnostic.message);
        }
        out.push('\n');
    }
    out
}

/// Adapts a [`Diagnostic`] to miette, which does the drawing.
#[derive(Debug)]
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diagnostic.help.as_ref().map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source_length = self.source.inner().len();
        Some(Box::new(self.diagnostic.labels.iter().enumerate().map(move |(index, label)| {
            let start = label.span.start.min(source_length);
            let length = label.span.end.min(source_length).saturating_sub(start);
            let text = Some(label.message.clone());
            if index == 0 {
                LabeledSpan::new_primary_with_span(text, (start, length))
            } else {
                LabeledSpan::new_with_span(text, (start, length))
            }
        })))
    }
}
