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

use crate::diagnostic::Diagnostic;

/// The declarations that parsed, and one diagnostic for each that did not.
pub fn parse(source: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let mut file = PolicyFile::default();
    let mut diagnostics = Vec::new();
    let only_comments = source.lines().all(|line| {
        let line = line.trim_start_matches('\u{FEFF}').trim();
        line.is_empty() || line.starts_with('#')
    });
    if only_comments {
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

/// Byte ranges of the declarations: each starts at a line beginning in the first column with
/// anything but a comment or blank, and runs to the next such line.
fn declaration_chunks(source: &str) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let starts_declaration =
            line.chars().next().is_some_and(|first| !first.is_whitespace() && first != '#' && first != '\u{FEFF}');
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
