//! A parsed test file against its checked policy: every case becomes a [`Case`] ready to run —
//! its entity, evaluation date and `set` values, its record read through the data reader, and
//! its expectations with every name resolved — or diagnostics saying what is wrong, with spans
//! into the test file.

use super::parse::{self, CaseClause, Cell, ClauseKind, ExpectationKind, Expected, TestFile};
use super::{AwardExpectation, Case, Expect};
use crate::check::{closest, ItemKind, Model, Type};
use crate::compile::{self, Settings};
use crate::data::{self, RawRow, Record};
use crate::diagnostic::{line_column, Diagnostic};
use crate::syntax::{Name, Span, Text};
use crate::value::Value;
use chrono::NaiveDate;

/// The cases of `file` that are ready to run, and every problem found. A file with an error
/// should not be run: a case that could not be resolved is left out.
pub fn resolve(file: &TestFile, source: &str, model: &Model) -> (Vec<Case>, Vec<Diagnostic>) {
    let mut resolver = Resolver { file, source, model, diagnostics: Vec::new() };
    resolver.check_names();
    let cases = file.cases.iter().filter_map(|case| resolver.case(case)).collect();
    let mut diagnostics = resolver.diagnostics;
    // A record's cells are read once per case that starts from it: report each mistake once.
    let mut seen = Vec::new();
    diagnostics.retain(|diagnostic| {
        let identity = (diagnostic.code, diagnostic.primary_span(), diagnostic.message.clone());
        let fresh = !seen.contains(&identity);
        seen.push(identity);
        fresh
    });
    diagnostics.sort_by_key(|diagnostic| (diagnostic.primary_span(), diagnostic.severity));
    (cases, diagnostics)
}

struct Resolver<'a> {
    file: &'a TestFile,
    source: &'a str,
    model: &'a Model,
    diagnostics: Vec<Diagnostic>,
}

/// The clauses of one case, each at most once (`set` may repeat).
#[derive(Default)]
struct Clauses<'a> {
    entity: Option<&'a Name>,
    as_of: Option<(NaiveDate, Span)>,
    sets: Vec<(&'a Name, &'a Text)>,
    given: Option<(Option<&'a Name>, &'a [Cell])>,
    expect: Option<&'a [parse::Expectation]>,
}

impl<'a> Resolver<'a> {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Two cases, or two records, of one name.
    fn check_names(&mut self) {
        let cases = self.file.cases.iter().map(|case| (case.name.text.as_str(), case.name.span));
        for (name, span, first) in repeated(cases) {
            self.error(
                Diagnostic::error(
                    "test::duplicate-case",
                    format!("two cases are called \"{name}\""),
                    span,
                    "second case of this name",
                )
                .with_label(first, "first here")
                .with_help("give every case a name of its own: reports name the case that failed"),
            );
        }
        let records = self.file.records.iter().map(|record| (record.name.text.as_str(), record.name.span));
        for (name, span, first) in repeated(records) {
            self.error(
                Diagnostic::error(
                    "test::duplicate-record",
                    format!("two records are called `{name}`"),
                    span,
                    "second record of this name",
                )
                .with_label(first, "first here")
                .with_help("rename one of them"),
            );
        }
    }

    /// Gathers the clauses of the file's header and then the case's: the case's `as of` wins,
    /// the header's `set`s come first so that the case's override them.
    fn clauses(&mut self, case: &'a parse::Case) -> Clauses<'a> {
        let mut clauses = Clauses::default();
        let header = self.file.header.iter().flat_map(|header| header.clauses.iter());
        // Seen so far in the header and in the case: each may give a clause once, but `set`.
        let (mut seen_in_header, mut seen_in_case): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for (in_case, clause) in
            header.map(|clause| (false, clause)).chain(case.clauses.iter().map(|clause| (true, clause)))
        {
            let CaseClause { kind, keyword } = clause;
            let (name, help) = match kind {
                ClauseKind::For(_) => ("for", "a case is about one record of one entity: keep one `for`"),
                ClauseKind::AsOf(_) => ("as of", "keep one `as of`; a case for another date is another case"),
                ClauseKind::Set { .. } => ("set", ""),
                ClauseKind::Given { .. } => ("given", "list every cell under one `given`"),
                ClauseKind::Expect(_) => ("expect", "list every expectation under one `expect`"),
            };
            let seen_here = if in_case { &mut seen_in_case } else { &mut seen_in_header };
            if name != "set" {
                if seen_here.contains(&name) {
                    let whose = if in_case { "this case" } else { "the `policy` line" };
                    self.error(
                        Diagnostic::error(
                            "test::duplicate-clause",
                            format!("{whose} has two `{name}` clauses"),
                            *keyword,
                            "second one",
                        )
                        .with_help(help),
                    );
                    continue;
                }
                seen_here.push(name);
            }
            match kind {
                ClauseKind::For(entity) => clauses.entity = Some(entity),
                ClauseKind::AsOf(date) => clauses.as_of = Some((*date, *keyword)),
                ClauseKind::Set { name, value } => clauses.sets.push((name, value)),
                ClauseKind::Given { record, cells } => clauses.given = Some((record.as_ref(), cells)),
                ClauseKind::Expect(expectations) => clauses.expect = Some(expectations),
            }
        }
        clauses
    }

    fn case(&mut self, case: &'a parse::Case) -> Option<Case> {
        let errors_before = self.error_count();
        let clauses = self.clauses(case);
        let expectations = clauses.expect.unwrap_or_default();
        if expectations.is_empty() {
            self.error(
                Diagnostic::error(
                    "test::no-expectations",
                    format!("the case \"{}\" expects nothing", case.name.text),
                    case.name.span,
                    "nothing checked",
                )
                .with_help("add `expect` and the outcomes, e.g. `cultivation_pool = yes` or `unicorn pays 300万元`"),
            );
        }
        let entity = self.entity(case, &clauses, expectations)?;
        let as_of = self.as_of(case, clauses.as_of);
        let overrides = self.overrides(&clauses.sets);
        let record = self.record(case, entity, clauses.given);
        let expectations: Vec<Expect> =
            expectations.iter().filter_map(|expectation| self.expectation(entity, expectation)).collect();
        if self.error_count() > errors_before {
            return None;
        }
        let line = line_column(self.source, case.span.start).line;
        Some(Case {
            name: case.name.text.clone(),
            line,
            entity,
            settings: Settings { as_of: as_of?, overrides },
            record: record?,
            expectations,
        })
    }

    fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count()
    }

    /// The entity given with `for`, else the one the expected items belong to, else the only
    /// one that reads every column given.
    fn entity(&mut self, case: &parse::Case, clauses: &Clauses, expectations: &[parse::Expectation]) -> Option<usize> {
        let named = clauses.entity;
        let entity_name = |entity: usize| self.model.entities.get(entity).map(|entity| entity.name.clone());
        if let Some(name) = named {
            let found = self.model.entity_index(&name.text);
            if found.is_none() {
                let names = self.model.entities.iter().map(|entity| entity.name.as_str());
                let help = match closest(&name.text, names) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None => format!("the policy's entities are: {}", self.entity_names()),
                };
                self.error(
                    Diagnostic::error(
                        "test::unknown-entity",
                        format!("the policy has no entity `{}`", name.text),
                        name.span,
                        "unknown entity",
                    )
                    .with_help(help),
                );
            }
            return found;
        }
        let mut inferred: Option<(usize, &Name)> = None;
        for expectation in expectations {
            let ExpectationKind::Item { item, .. } = &expectation.kind else { continue };
            let Some(definition) = self.model.items.iter().find(|definition| definition.name == item.text) else {
                continue;
            };
            match inferred {
                None => inferred = Some((definition.entity, item)),
                Some((entity, first)) if entity != definition.entity => {
                    let (this, that) = (entity_name(definition.entity), entity_name(entity));
                    self.error(
                        Diagnostic::error(
                            "test::mixed-entities",
                            format!(
                                "`{}` is about {}, but `{}` is about {}: a case is one record",
                                item.text,
                                this.unwrap_or_default(),
                                first.text,
                                that.unwrap_or_default()
                            ),
                            item.span,
                            "another entity",
                        )
                        .with_label(first.span, "first expectation")
                        .with_help("write a case for each entity"),
                    );
                    return None;
                }
                Some(_) => {}
            }
        }
        if let Some((entity, _)) = inferred {
            return Some(entity);
        }
        let (base, own) = clauses.given.unwrap_or((None, &[]));
        let base = base.and_then(|base| self.file.records.iter().find(|record| record.name.text == base.text));
        let cells: Vec<&Cell> = base.iter().flat_map(|record| record.cells.iter()).chain(own).collect();
        let reading_every_column: Vec<usize> = (0..self.model.entities.len())
            .filter(|entity| {
                let layout = compile::layout(self.model, *entity);
                cells.iter().all(|cell| layout.columns.iter().any(|spec| spec.is_named(&cell.column.text)))
            })
            .collect();
        if let [entity] = reading_every_column.as_slice() {
            return Some(*entity);
        }
        self.error(
            Diagnostic::error(
                "test::missing-entity",
                format!("which entity is the case \"{}\" about?", case.name.text),
                case.name.span,
                "no entity",
            )
            .with_help(format!(
                "add `for ENTITY`, or name a decision, rule, award, benefit, table or value under `expect`; the policy's entities are: {}",
                self.entity_names()
            )),
        );
        None
    }

    fn entity_names(&self) -> String {
        self.model.entities.iter().map(|entity| entity.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn as_of(&mut self, case: &parse::Case, as_of: Option<(NaiveDate, Span)>) -> Option<NaiveDate> {
        let Some((date, span)) = as_of else {
            self.error(
                Diagnostic::error(
                    "test::missing-as-of",
                    format!("the case \"{}\" has no evaluation date", case.name.text),
                    case.name.span,
                    "evaluated when?",
                )
                .with_help("add `as of YYYY-MM-DD` to the case, or to the `policy` line at the top for every case"),
            );
            return None;
        };
        if let Err(message) = compile::check_in_force(self.model, date) {
            self.error(
                Diagnostic::error("test::not-in-force", message, span, "evaluated on this date")
                    .with_help("choose an evaluation date inside the policy's window"),
            );
            return None;
        }
        Some(date)
    }

    /// `set NAME = VALUE`, read as `--set NAME=VALUE` is.
    fn overrides(&mut self, sets: &[(&Name, &Text)]) -> Vec<(usize, Value)> {
        let mut overrides = Vec::new();
        for (name, value) in sets {
            match compile::parse_override(self.model, &format!("{}={}", name.text, value.text)) {
                Ok(parsed) => overrides.push(parsed),
                Err(diagnostic) => {
                    // `parse_override` points into the `--set` argument; here it is the clause.
                    let span = if diagnostic.code == "eval::unknown-parameter" { name.span } else { value.span };
                    let labels = diagnostic
                        .labels
                        .into_iter()
                        .map(|label| crate::diagnostic::Label { span, message: label.message })
                        .collect();
                    self.error(Diagnostic { labels, ..diagnostic });
                }
            }
        }
        overrides
    }

    /// The record: the cells of the `given` record, then the case's own, read by the data
    /// reader as one row of a file whose header names every column of the entity.
    fn record(
        &mut self,
        case: &parse::Case,
        entity: usize,
        given: Option<(Option<&'a Name>, &'a [Cell])>,
    ) -> Option<Record> {
        let layout = compile::layout(self.model, entity);
        let (base, own) = given.unwrap_or((None, &[]));
        let mut cells: Vec<Option<&Cell>> = vec![None; layout.columns.len()];
        if let Some(base) = base {
            match self.file.records.iter().find(|record| record.name.text == base.text) {
                Some(record) => self.place(&record.cells, &layout, entity, &mut cells, false),
                None if self.file.unparsed_records.contains(&base.text) => return None,
                None => {
                    let declared: Vec<&str> =
                        self.file.records.iter().map(|record| record.name.text.as_str()).collect();
                    let help = match closest(&base.text, declared.iter().copied()) {
                        Some(suggestion) => format!("did you mean `{suggestion}`?"),
                        None if declared.is_empty() => {
                            "declare it in this file: `record NAME` and its cells, starting in the first column"
                                .to_string()
                        }
                        None => format!("the records of this file are: {}", declared.join(", ")),
                    };
                    self.error(
                        Diagnostic::error(
                            "test::unknown-record",
                            format!("this file has no record `{}`", base.text),
                            base.span,
                            "unknown record",
                        )
                        .with_help(help),
                    );
                    return None;
                }
            }
        }
        self.place(own, &layout, entity, &mut cells, true);
        let headers: Vec<String> = layout.columns.iter().map(|spec| spec.header.clone()).collect();
        let binding = data::bind(&layout, &headers).ok()?;
        let mut texts: Vec<Option<String>> =
            cells.iter().map(|cell| cell.map(|cell| cell.value.text.clone())).collect();
        let row = line_column(self.source, case.span.start).line;
        // Each unreadable cell is reported, then read as blank to find the next one.
        let mut failed = false;
        for _ in 0..=texts.len() {
            let raw = RawRow { row, cells: Ok(texts.iter().map(Option::as_deref).collect()) };
            match data::read_record(&layout, &binding, &raw) {
                Ok(record) if !failed => return Some(record),
                Ok(_) => return None,
                Err(error) => {
                    failed = true;
                    let column = layout.columns.iter().position(|spec| Some(&spec.header) == error.column.as_ref());
                    let cell = column.and_then(|column| cells.get(column).copied().flatten());
                    let span = cell.map(|cell| cell.value.span).unwrap_or(case.name.span);
                    self.error(
                        Diagnostic::error("test::bad-cell", error.to_string(), span, "not a valid cell")
                            .with_help("write the cell as the data file has it (docs/language.md, section 8)"),
                    );
                    match column.and_then(|column| texts.get_mut(column)) {
                        Some(text) if text.is_some() => *text = None,
                        _ => return None,
                    }
                }
            }
        }
        None
    }

    /// Puts each cell under its column; a column the entity does not read is an error, and so
    /// is a column given twice in one list (a case may change a column of its record).
    fn place(
        &mut self,
        given: &'a [Cell],
        layout: &data::RecordLayout,
        entity: usize,
        cells: &mut [Option<&'a Cell>],
        own: bool,
    ) {
        let mut placed_here: Vec<usize> = Vec::new();
        for cell in given {
            let Some(column) = layout.columns.iter().position(|spec| spec.is_named(&cell.column.text)) else {
                let headers = layout.columns.iter().map(|spec| spec.header.as_str());
                let entity_name = self.model.entities.get(entity).map(|entity| entity.name.as_str()).unwrap_or("");
                let help = match closest(&cell.column.text, headers) {
                    Some(suggestion) => format!("did you mean \"{suggestion}\"?"),
                    None => format!("the `field` lines of entity `{entity_name}` in the policy name its columns"),
                };
                self.error(
                    Diagnostic::error(
                        "test::unknown-column",
                        format!("entity `{entity_name}` reads no column \"{}\"", cell.column.text),
                        cell.column.span,
                        "unknown column",
                    )
                    .with_help(help),
                );
                continue;
            };
            if placed_here.contains(&column) {
                self.error(
                    Diagnostic::error(
                        "test::duplicate-cell",
                        format!("the column \"{}\" is given twice", cell.column.text),
                        cell.column.span,
                        "second cell of this column",
                    )
                    .with_help(if own {
                        "give each column once; a case may change a column of its `given` record"
                    } else {
                        "give each column of a record once"
                    }),
                );
                continue;
            }
            placed_here.push(column);
            if let Some(slot) = cells.get_mut(column) {
                *slot = Some(cell);
            }
        }
    }

    fn expectation(&mut self, entity: usize, expectation: &parse::Expectation) -> Option<Expect> {
        let (item_name, expected) = match &expectation.kind {
            ExpectationKind::Error(words) => {
                return Some(Expect::Error(words.as_ref().map(|words| words.text.clone())))
            }
            ExpectationKind::Item { item, expected } => (item, expected),
        };
        let item = self.item(entity, item_name)?;
        let definition = self.model.items.get(item)?;
        let kind_word = definition.kind.keyword();
        let wrong = |forms: &str| {
            Diagnostic::error(
                "test::wrong-expectation",
                format!("`{}` is a {kind_word}: {forms}", item_name.text),
                expectation.span,
                "cannot be expected of a ".to_string() + kind_word,
            )
            .with_help("`pays`, `not eligible` and `superseded` are for awards, `= VALUE` for tables and values, `= yes`, `= no` and `= unknown` for the others")
        };
        let conditional = "expect it `= yes`, `= no` or `= unknown`";
        let award_forms = "expect `pays AMOUNT`, `pays nothing`, `not eligible`, `superseded [by AWARD]`, or its condition `= yes`, `= no`, `= unknown`";
        let value_forms = "expect `= VALUE` (as written in a policy) or `= unknown`";
        let expect = match (&definition.kind, expected) {
            (
                ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit | ItemKind::Award { .. },
                Expected::Verdict(verdict),
            ) => Expect::Condition { item, expected: *verdict },
            (ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit, _) => {
                self.error(wrong(conditional));
                return None;
            }
            (ItemKind::Award { .. }, Expected::Pays(amount)) => {
                let value = self.constant(item_name, amount, &Type::Money)?;
                Expect::Award { item, expected: AwardExpectation::Pays(value.as_number()?) }
            }
            (ItemKind::Award { .. }, Expected::PaysNothing) => {
                Expect::Award { item, expected: AwardExpectation::PaysNothing }
            }
            (ItemKind::Award { .. }, Expected::NotEligible) => {
                Expect::Award { item, expected: AwardExpectation::NotEligible }
            }
            (ItemKind::Award { .. }, Expected::Superseded(winner)) => {
                let winner = match winner {
                    Some(winner) => Some(self.rival(entity, item_name, winner)?),
                    None => {
                        self.rival_exists(item_name, expectation.span)?;
                        None
                    }
                };
                Expect::Award { item, expected: AwardExpectation::Superseded(winner) }
            }
            (ItemKind::Award { .. }, Expected::Value(_)) => {
                self.error(wrong(award_forms).with_help("an amount is expected with `pays`: `unicorn pays 300万元`"));
                return None;
            }
            (ItemKind::Table { .. } | ItemKind::Value { .. }, Expected::Verdict(None)) => {
                Expect::Value { item, expected: Value::Unknown }
            }
            (ItemKind::Table { .. } | ItemKind::Value { .. }, Expected::Verdict(Some(flag)))
                if definition.item_type == Type::Bool =>
            {
                Expect::Value { item, expected: Value::Bool(*flag) }
            }
            (ItemKind::Table { .. } | ItemKind::Value { .. }, Expected::Value(text)) => {
                Expect::Value { item, expected: self.constant(item_name, text, &definition.item_type)? }
            }
            (ItemKind::Table { .. } | ItemKind::Value { .. }, _) => {
                self.error(wrong(value_forms));
                return None;
            }
        };
        Some(expect)
    }

    /// The item called `name`, which must be of the case's entity.
    fn item(&mut self, entity: usize, name: &Name) -> Option<usize> {
        let model = self.model;
        let Some(item) = model.items.iter().position(|definition| definition.name == name.text) else {
            let of_entity = model.items.iter().filter(|definition| definition.entity == entity);
            let suggestion = closest(&name.text, of_entity.map(|definition| definition.name.as_str()));
            let fields = model.entities.get(entity).map(|entity| entity.fields.as_slice()).unwrap_or_default();
            let help = if let Some(field) = fields.iter().find(|field| field.name == name.text) {
                format!("`{}` is a field: give its column under `given`, \"{}\" = \"…\"", name.text, field.column)
            } else if model.parameter_index(&name.text).is_some() {
                format!("`{}` is a parameter: give it a value with `set {} = …`", name.text, name.text)
            } else if let Some(suggestion) = suggestion {
                format!("did you mean `{suggestion}`?")
            } else {
                "a case expects the outcome of a decision, rule, award, benefit, table or value of the policy"
                    .to_string()
            };
            self.error(
                Diagnostic::error(
                    "test::unknown-name",
                    format!("the policy has no decision, rule, award, benefit, table or value `{}`", name.text),
                    name.span,
                    "unknown name",
                )
                .with_help(help),
            );
            return None;
        };
        let definition = model.items.get(item)?;
        if definition.entity != entity {
            let entity_name = |index: usize| model.entities.get(index).map(|entity| entity.name.as_str()).unwrap_or("");
            self.error(
                Diagnostic::error(
                    "test::wrong-entity",
                    format!(
                        "`{}` is about {}, but this case is about {}",
                        name.text,
                        entity_name(definition.entity),
                        entity_name(entity)
                    ),
                    name.span,
                    "another entity",
                )
                .with_help("a case is one record of one entity: write a case of its own for the other entity"),
            );
            return None;
        }
        Some(item)
    }

    /// An expected value, read as `--set` reads a parameter's value.
    fn constant(&mut self, item: &Name, text: &Text, expected: &Type) -> Option<Value> {
        match crate::check::constant_of_type(self.model, &text.text, expected) {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(
                    Diagnostic::error(
                        "test::bad-value",
                        format!("`{}` is not a value of `{}`: {message}", text.text, item.text),
                        text.span,
                        format!("expected {}", self.model.type_name(expected)),
                    )
                    .with_help("write the value as in a policy file: `75`, `300万元`, `30%`, `\"A\"`, or `unknown`"),
                );
                None
            }
        }
    }

    /// The award that supersedes `award`: an award of a no-stacking group they share.
    fn rival(&mut self, entity: usize, award: &Name, winner: &Name) -> Option<usize> {
        let winner_item = self.item(entity, winner)?;
        let award_item = self.model.items.iter().position(|definition| definition.name == award.text)?;
        let shared = self
            .model
            .groups
            .iter()
            .any(|group| group.awards.contains(&award_item) && group.awards.contains(&winner_item));
        if shared && winner_item != award_item {
            return Some(winner_item);
        }
        self.error(
            Diagnostic::error(
                "test::not-rivals",
                format!("`{}` cannot supersede `{}`: no no-stacking group lists them both", winner.text, award.text),
                winner.span,
                "not a rival",
            )
            .with_help("an award is superseded by another award of a `no stacking` group it belongs to"),
        );
        None
    }

    fn rival_exists(&mut self, award: &Name, span: Span) -> Option<()> {
        let award_item = self.model.items.iter().position(|definition| definition.name == award.text)?;
        if self.model.groups.iter().any(|group| group.awards.contains(&award_item)) {
            return Some(());
        }
        self.error(
            Diagnostic::error(
                "test::not-rivals",
                format!("`{}` is in no no-stacking group, so nothing can supersede it", award.text),
                span,
                "never superseded",
            )
            .with_help("expect `pays AMOUNT`, `pays nothing` or `not eligible`"),
        );
        None
    }
}

/// Each name that was seen before, with its span and the span of its first occurrence.
fn repeated<'n>(names: impl Iterator<Item = (&'n str, Span)>) -> Vec<(&'n str, Span, Span)> {
    let mut first: Vec<(&str, Span)> = Vec::new();
    let mut repeats = Vec::new();
    for (name, span) in names {
        match first.iter().find(|(seen, _)| *seen == name) {
            Some((_, earlier)) => repeats.push((name, span, *earlier)),
            None => first.push((name, span)),
        }
    }
    repeats
}
