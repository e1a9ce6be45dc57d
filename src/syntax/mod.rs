//! Stage 1: text → [`PolicyFile`] with spans on every node.
//!
//! Parsing never fails for the user: [`parse`] always returns the declarations it could read
//! and a diagnostic for each one it could not. The file is split at every line that starts in
//! the first column with something other than a comment, and each such declaration is parsed on
//! its own, so one typo does not hide the mistakes after it.

mod ast;
mod parser;

pub use ast::*;
pub use parser::parse_expression;
pub(crate) use parser::{unescape, unexpected};
/// The parse tree itself, for `fmt`, which lays out every token as written.
pub(crate) use parser::{PolicyParser, Rule};

use crate::diagnostic::Diagnostic;

/// The declarations that parsed, and one diagnostic for each that did not.
pub fn parse(source: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let mut file = PolicyFile::default();
    let mut diagnostics = Vec::new();
    if only_comments(source) {
        diagnostics.push(
            Diagnostic::error("syntax::empty-file", "the policy file is empty", Span::new(0, 0), "nothing here")
                .with_help("start with a `policy \"title\"` declaration, then entities, parameters, rules and awards"),
        );
        return (file, diagnostics);
    }
    for (start, end) in declaration_chunks(source) {
        let Some(chunk) = source.get(start..end) else {
            continue;
        };
        if let Some(diagnostic) = too_deep(chunk, start) {
            diagnostics.push(diagnostic);
            file.unparsed.push(unparsed_declaration(chunk, start));
            continue;
        }
        match parser::parse_declaration(chunk, start) {
            Ok(declaration) => file.declarations.push(declaration),
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                file.unparsed.push(unparsed_declaration(chunk, start));
            }
        }
    }
    (file, diagnostics)
}

/// How deep one declaration may nest: parentheses and brackets, `not`s in a row, and operators
/// in one chain (`a + b + …`, which becomes a chain of that depth). Far beyond any real policy,
/// and well within what every later stage can walk without running out of stack.
const MOST_NESTING: usize = 100;
const MOST_OPERATORS: usize = 1_000;

/// A diagnostic for a declaration nested beyond [`MOST_NESTING`] or chaining more than
/// [`MOST_OPERATORS`] operators, found by scanning its text before it is parsed (the parser
/// itself would recurse that deep).
fn too_deep(chunk: &str, start: usize) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut deepest = (0usize, 0usize);
    let mut nots_in_a_row = 0usize;
    let mut operators = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut word = String::new();
    for (offset, character) in chunk.char_indices() {
        if in_comment {
            in_comment = character != '\n';
            continue;
        }
        if in_string {
            in_string = character != '"';
            continue;
        }
        if character.is_alphanumeric() || character == '_' {
            word.push(character);
            continue;
        }
        if !word.is_empty() {
            match word.as_str() {
                "not" => nots_in_a_row += 1,
                "and" | "or" | "of" => operators += 1,
                _ => nots_in_a_row = 0,
            }
            if nots_in_a_row > deepest.0 {
                deepest = (nots_in_a_row, offset);
            }
            word.clear();
        }
        match character {
            '"' => in_string = true,
            '#' => in_comment = true,
            '(' | '[' => {
                depth += 1;
                if depth > deepest.0 {
                    deepest = (depth, offset);
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '×' | '/' | '÷' | '<' | '>' | '=' | '≤' | '≥' | '≠' => operators += 1,
            _ => {}
        }
    }
    let (nesting, at) = deepest;
    let span = Span::new(start + at, start + at + 1);
    if nesting > MOST_NESTING {
        return Some(
            Diagnostic::error(
                "syntax::too-deep",
                format!("this declaration nests {nesting} levels deep; at most {MOST_NESTING} are read"),
                span,
                "too deep",
            )
            .with_help("name the inner parts: a `rule` or `value` for each, used by name"),
        );
    }
    if operators > MOST_OPERATORS {
        return Some(
            Diagnostic::error(
                "syntax::too-long",
                format!("this declaration chains {operators} operators; at most {MOST_OPERATORS} are read"),
                Span::new(start, start + chunk.find('\n').unwrap_or(chunk.len())),
                "too long",
            )
            .with_help("split it into named `rule`s or `value`s, or a `table`"),
        );
    }
    None
}

/// What can still be read of a declaration that did not parse: its keyword and name, so that
/// the checker neither reports uses of it as unknown names nor misses it as a header.
fn unparsed_declaration(chunk: &str, start: usize) -> Unparsed {
    let code: String = chunk.lines().filter(|line| !line.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let mut words = code.split_whitespace();
    let keyword = words.next().unwrap_or("").to_string();
    let keyword = if keyword == "output" { words.next().unwrap_or("").to_string() } else { keyword };
    let name = words.next().map(|name| name.trim_end_matches(':').to_string());
    Unparsed { keyword, name, span: Span::new(start, start + chunk.trim_end().len()) }
}

/// Whether the text holds nothing but blank lines and comments (the file is empty).
pub(crate) fn only_comments(source: &str) -> bool {
    source.lines().all(|line| {
        let line = line.trim_start_matches('\u{FEFF}').trim();
        line.is_empty() || line.starts_with('#')
    })
}

/// Byte ranges of the declarations: each starts at a line beginning in the first column with
/// anything but a comment or blank, and runs to the next such line. Test files (`.test`) are
/// laid out the same way.
pub(crate) fn declaration_chunks(source: &str) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        // The byte-order mark some editors write before the first line is not indentation.
        let code = if offset == 0 { line.trim_start_matches('\u{FEFF}') } else { line };
        let starts_declaration = code.chars().next().is_some_and(|first| !first.is_whitespace() && first != '#');
        if starts_declaration {
            starts.push(offset);
        }
        offset += line.len();
    }
    // Leading comments belong to the first declaration.
    if let Some(first) = starts.first_mut() {
        *first = 0;
    }
    let mut chunks = Vec::new();
    for (index, start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(source.len());
        chunks.push((*start, end));
    }
    if chunks.is_empty() {
        chunks.push((0, source.len()));
    }
    chunks
}
