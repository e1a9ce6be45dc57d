//! `policy fmt`: the one canonical layout of a policy file (rules in `docs/fmt.md`).
//!
//! Formatting only moves whitespace, commas that the grammar leaves optional, and comments
//! between lines; every token is written as it was (`1,000万元`, `≥`, `"…"` stay as they are).
//! Three invariants, each checked by the tests on every policy of the repository and on
//! generated ones:
//!
//! - **meaning kept** — [`format`] itself parses what it wrote and compares it with the input:
//!   the same parse tree token for token, the same comments in the same order. If they differ
//!   (a bug), it gives a `fmt::internal` diagnostic instead of the text;
//! - **comments kept** — every comment comes out once, its text unchanged, next to what it was
//!   next to: on its own line before the same clause, list part or declaration, or at the end of
//!   the same line of code;
//! - **idempotent** — formatting formatted text changes nothing.
//!
//! A file with a syntax error is not formatted: its diagnostics are returned instead.

mod layout;
mod printer;

pub use printer::WIDTH;

use crate::diagnostic::Diagnostic;
use crate::syntax::{self, PolicyParser, Rule, Span};
use pest::Parser as _;

/// `source` in the canonical layout, or why it cannot be formatted (its syntax errors).
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let starts = declaration_starts(source)?;
    let comments = layout::comments(source);
    let doc = layout::layout(source, &comments, &starts).map_err(|problem| vec![internal(&problem)])?;
    let formatted = printer::print(&doc);
    let unchanged = match (shape(source), shape(&formatted)) {
        (Ok(before), Ok(after)) => before == after,
        _ => false,
    };
    if !unchanged {
        return Err(vec![internal("the formatted text does not read as the original")]);
    }
    Ok(formatted)
}

/// A unified diff from `old` to `new` (both named `path`), three lines of context: what
/// `policy fmt --check` shows for a file that is not formatted.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{path} (as written)"), &format!("{path} (formatted)"))
        .to_string()
}

/// Where each declaration starts, or the syntax errors that keep the file from being formatted.
fn declaration_starts(source: &str) -> Result<Vec<usize>, Vec<Diagnostic>> {
    let (file, diagnostics) = syntax::parse(source);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(file.declarations.iter().map(|declaration| declaration.span.start).collect())
}

/// One step of a walk over the parse tree: what the meaning of a file depends on.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'s> {
    Open(Rule),
    Token(Rule, std::borrow::Cow<'s, str>),
    Close,
}

/// The parse tree of every declaration, token by token, and the comments' text: two files with
/// the same shape mean the same and say the same to a reader.
fn shape(source: &str) -> Result<(Vec<Piece<'_>>, Vec<String>), Vec<Diagnostic>> {
    let starts = declaration_starts(source)?;
    let mut pieces = Vec::new();
    for (index, start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(source.len());
        let text = source.get(*start..end).ok_or_else(|| vec![internal("a declaration outside the file")])?;
        let pairs =
            PolicyParser::parse(Rule::declaration_alone, text).map_err(|error| vec![internal(&error.to_string())])?;
        // Walked with a stack, not recursion: the tree is as deep as the grammar nests.
        let mut stack = vec![pairs];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                    pieces.push(Piece::Close);
                }
                Some(pair) if layout::is_token(&pair) => {
                    pieces.push(Piece::Token(pair.as_rule(), layout::token_text(&pair)))
                }
                Some(pair) => {
                    pieces.push(Piece::Open(pair.as_rule()));
                    stack.push(pair.into_inner());
                }
            }
        }
    }
    let comments = layout::comments(source).into_iter().map(|comment| comment.text).collect();
    Ok((pieces, comments))
}

fn internal(problem: &str) -> Diagnostic {
    Diagnostic::error(
        "fmt::internal",
        format!("this file could not be formatted safely ({problem}); it was left as it is"),
        Span::new(0, 0),
        "here",
    )
    .with_help("this is a bug in `policy fmt`; please report it with the file")
}
