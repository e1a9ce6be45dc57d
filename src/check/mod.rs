//! Stage 2: names and types. [`check`] resolves every name of a parsed file, gives every
//! expression a type, and reports every mistake it finds (it keeps going after an error), plus
//! warnings for what is legal but probably wrong: missing citations, unused rules, tier tables
//! with overlapping or missing brackets.

mod declarations;
mod expressions;
pub mod model;
mod tables;

pub use model::*;

use crate::diagnostic::Diagnostic;
use crate::syntax::{PolicyFile, Span};
use std::collections::HashMap;

/// The result of checking: the model (complete only when there is no error) and every
/// diagnostic, sorted by position.
#[derive(Debug, Clone)]
pub struct Checked {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks a policy's text: the parsed file, and the model with every diagnostic, the
/// parser's first, as `policy check` and the language server report them.
pub fn check_source(source: &str) -> (PolicyFile, Checked) {
    let (file, mut diagnostics) = crate::syntax::parse(source);
    let checked = check(&file);
    diagnostics.extend(checked.diagnostics);
    (file, Checked { model: checked.model, diagnostics })
}

pub fn check(file: &PolicyFile) -> Checked {
    let mut checker = Checker::default();
    checker.declare_unparsed(file);
    checker.declare_all(file);
    checker.resolve_signatures(file);
    checker.check_bodies(file);
    checker.check_groups(file);
    checker.check_cycles();
    checker.check_usage();
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|diagnostic| (diagnostic.primary_span(), diagnostic.severity));
    Checked { model: checker.model, diagnostics }
}

/// What a top-level name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Symbol {
    Policy,
    Enum(usize),
    Entity(usize),
    Parameter(usize),
    Item(usize),
    Group(usize),
    /// A declaration that did not parse: uses of its name are not reported again.
    Unparsed,
}

#[derive(Default)]
struct Checker {
    model: Model,
    diagnostics: Vec<Diagnostic>,
    symbols: HashMap<String, (Symbol, Span)>,
    /// For each declaration of the file, in order, the symbol it declared (None if rejected).
    declared: Vec<Option<Symbol>>,
    used_parameters: Vec<bool>,
    used_items: Vec<bool>,
    /// Declarations rejected as duplicates: not reported again as unused.
    rejected: Vec<Symbol>,
    /// The `policy` header did not parse: do not also report it missing.
    header_unparsed: bool,
    /// Some declaration did not parse, so usage warnings would be guesses.
    skip_usage: bool,
}

impl Checker {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// Reads `text` as a constant of `expected` type, written as in a policy file (`900万元`,
/// `["A", "B"]`): the values of `--set`.
pub fn constant_of_type(model: &Model, text: &str, expected: &Type) -> Result<crate::value::Value, String> {
    let expr = crate::syntax::parse_expression(text).map_err(|diagnostic| diagnostic.message)?;
    let mut checker = Checker { model: model.clone(), ..Checker::default() };
    let value = checker.constant(&expr, expected, "the value");
    match checker.diagnostics.into_iter().find(Diagnostic::is_error) {
        Some(diagnostic) => Err(match diagnostic.help {
            Some(help) => format!("{} ({help})", diagnostic.message),
            None => diagnostic.message,
        }),
        None => Ok(value),
    }
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|candidate| (strsim::normalized_damerau_levenshtein(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|(left, _), (right, _)| left.total_cmp(right))
        .map(|(_, candidate)| candidate)
}
