//! Checking declarations: names, clauses, entities and fields, parameters, items, groups,
//! cycles and usage.

use super::model::*;
use super::{closest, Checker, Symbol};
use crate::diagnostic::Diagnostic;
use crate::syntax::{ClauseKind, Declaration, DeclarationKind, MoneyUnit, PolicyFile, Span, TypeExpr, TypeExprKind};
use crate::value::Value;

/// Which clauses each kind of declaration takes.
fn allowed_clauses(kind: DeclarationKind) -> &'static [&'static str] {
    match kind {
        DeclarationKind::Policy => &["label", "cite", "reading", "document", "issued", "in force"],
        DeclarationKind::Enum => &["label", "cite", "reading", "values"],
        DeclarationKind::Entity => &["label", "cite", "reading", "key", "field"],
        DeclarationKind::Parameter => &["label", "cite", "reading"],
        DeclarationKind::Rule | DeclarationKind::Decision | DeclarationKind::Benefit => {
            &["label", "cite", "reading", "when"]
        }
        DeclarationKind::Award => &["label", "cite", "reading", "when", "pays"],
        DeclarationKind::Table => &["label", "cite", "reading", "by", "a table row (… => …)"],
        DeclarationKind::Value => &["label", "cite", "reading"],
        DeclarationKind::NoStacking => &["label", "cite", "reading", "among"],
    }
}

/// `a rule`, `an award`, `an enum`.
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {noun}")
}

/// Clauses that may appear more than once.
fn repeatable(keyword: &str) -> bool {
    matches!(keyword, "field" | "a table row (… => …)")
}

fn kinds_taking(clause: &str) -> Vec<&'static str> {
    let all = [
        DeclarationKind::Policy,
        DeclarationKind::Enum,
        DeclarationKind::Entity,
        DeclarationKind::Parameter,
        DeclarationKind::Rule,
        DeclarationKind::Decision,
        DeclarationKind::Award,
        DeclarationKind::Benefit,
        DeclarationKind::Table,
        DeclarationKind::Value,
        DeclarationKind::NoStacking,
    ];
    all.into_iter().filter(|kind| allowed_clauses(*kind).contains(&clause)).map(|kind| kind.keyword()).collect()
}

fn provenance(declaration: &Declaration) -> Provenance {
    let mut provenance = Provenance { span: declaration.name.span, ..Provenance::default() };
    for clause in &declaration.clauses {
        match &clause.kind {
            ClauseKind::Label(text) => provenance.label = Some(text.text.clone()),
            ClauseKind::Cite { section, quote } => {
                provenance.citation = Some(section.text.clone());
                provenance.quote = quote.as_ref().map(|quote| quote.text.clone());
            }
            ClauseKind::Reading(text) => provenance.reading = Some(text.text.clone()),
            _ => {}
        }
    }
    provenance
}

fn when_clause(declaration: &Declaration) -> Option<&crate::syntax::Expr> {
    declaration.clauses.iter().find_map(|clause| match &clause.kind {
        ClauseKind::When(expr) => Some(expr),
        _ => None,
    })
}

impl Checker {
    pub(super) fn declare_unparsed(&mut self, file: &PolicyFile) {
        // What a declaration that did not parse uses is unknown: do not call anything unused.
        self.skip_usage = !file.unparsed.is_empty();
        for unparsed in &file.unparsed {
            if unparsed.keyword == "policy" {
                self.header_unparsed = true;
            }
            if let Some(name) = &unparsed.name {
                self.symbols.entry(name.clone()).or_insert((Symbol::Unparsed, unparsed.span));
            }
        }
    }

    /// Pass 1: every name, so that declarations may refer to ones written after them.
    pub(super) fn declare_all(&mut self, file: &PolicyFile) {
        for declaration in &file.declarations {
            let symbol = self.declare(declaration);
            self.declared.push(symbol);
        }
        self.used_parameters = vec![false; self.model.parameters.len()];
        self.used_items = vec![false; self.model.items.len()];
    }

    fn declare(&mut self, declaration: &Declaration) -> Option<Symbol> {
        self.check_clauses(declaration);
        let name = &declaration.name;
        let symbol = match declaration.kind {
            DeclarationKind::Policy => {
                if let Some((Symbol::Policy, first)) =
                    self.symbols.values().find(|(symbol, _)| *symbol == Symbol::Policy).copied()
                {
                    self.error(
                        Diagnostic::error(
                            "check::duplicate-policy",
                            "a file holds one policy header",
                            name.span,
                            "second header",
                        )
                        .with_label(first, "first header")
                        .with_help("put each policy in its own file"),
                    );
                    return None;
                }
                self.symbols.insert(String::from("policy"), (Symbol::Policy, name.span));
                return Some(Symbol::Policy);
            }
            DeclarationKind::Enum => {
                self.model.enums.push(EnumDefinition {
                    name: name.text.clone(),
                    labels: Vec::new(),
                    provenance: provenance(declaration),
                });
                Symbol::Enum(self.model.enums.len() - 1)
            }
            DeclarationKind::Entity => {
                self.model.entities.push(Entity {
                    name: name.text.clone(),
                    fields: Vec::new(),
                    key: 0,
                    provenance: provenance(declaration),
                });
                Symbol::Entity(self.model.entities.len() - 1)
            }
            DeclarationKind::Parameter => {
                self.model.parameters.push(Parameter {
                    name: name.text.clone(),
                    parameter_type: Type::Error,
                    value: None,
                    provenance: provenance(declaration),
                });
                Symbol::Parameter(self.model.parameters.len() - 1)
            }
            DeclarationKind::NoStacking => {
                self.model.groups.push(StackingGroup {
                    name: name.text.clone(),
                    entity: 0,
                    awards: Vec::new(),
                    provenance: provenance(declaration),
                });
                Symbol::Group(self.model.groups.len() - 1)
            }
            DeclarationKind::Rule
            | DeclarationKind::Decision
            | DeclarationKind::Award
            | DeclarationKind::Benefit
            | DeclarationKind::Table
            | DeclarationKind::Value => {
                let placeholder = TypedExpr::error(name.span);
                let kind = match declaration.kind {
                    DeclarationKind::Rule => ItemKind::Rule,
                    DeclarationKind::Decision => ItemKind::Decision,
                    DeclarationKind::Benefit => ItemKind::Benefit,
                    DeclarationKind::Award => ItemKind::Award { up_to: false, amount: placeholder, cap: None },
                    DeclarationKind::Table => ItemKind::Table { keys: Vec::new(), rows: Vec::new(), complete: false },
                    _ => ItemKind::Value { output: declaration.output, expr: placeholder },
                };
                let item_type = if kind.is_conditional() { Type::Bool } else { Type::Error };
                self.model.items.push(Item {
                    name: name.text.clone(),
                    entity: 0,
                    kind,
                    item_type,
                    condition: None,
                    provenance: provenance(declaration),
                });
                Symbol::Item(self.model.items.len() - 1)
            }
        };
        if let Some((existing, first)) = self.symbols.get(&name.text).copied() {
            if existing == Symbol::Unparsed {
                self.symbols.insert(name.text.clone(), (symbol, name.span));
                return Some(symbol);
            }
            self.rejected.push(symbol);
            self.error(
                Diagnostic::error("check::duplicate-name", format!("`{}` is declared twice", name.text), name.span, "declared again here")
                    .with_label(first, "first declared here")
                    .with_help("give each declaration its own name; names are shared by rules, awards, parameters, tables, entities and enums"),
            );
            return None;
        }
        self.symbols.insert(name.text.clone(), (symbol, name.span));
        Some(symbol)
    }

    /// Clauses that do not belong to the kind of declaration, clauses given twice, and the
    /// header parts that only some kinds take.
    fn check_clauses(&mut self, declaration: &Declaration) {
        let kind = declaration.kind;
        let allowed = allowed_clauses(kind);
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for clause in &declaration.clauses {
            let keyword = clause.kind.keyword();
            if !allowed.contains(&keyword) {
                let takers = kinds_taking(keyword);
                self.error(
                    Diagnostic::error(
                        "check::misplaced-clause",
                        format!("{} has no `{}` clause", with_article(kind.keyword()), keyword),
                        clause.span,
                        "not allowed here",
                    )
                    .with_help(format!(
                        "`{}` belongs to: {}; a {} takes: {}",
                        keyword,
                        takers.join(", "),
                        kind.keyword(),
                        allowed.join(", ")
                    )),
                );
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(seen_keyword, _)| *seen_keyword == keyword) {
                if !repeatable(keyword) {
                    let first = *first;
                    self.error(
                        Diagnostic::error(
                            "check::duplicate-clause",
                            format!("`{keyword}` is given twice"),
                            clause.span,
                            "second one",
                        )
                        .with_label(first, "first one")
                        .with_help("keep one; to combine conditions write `when all of (…)`"),
                    );
                }
            }
            seen.push((keyword, clause.span));
        }
        let name_span = declaration.name.span;
        let takes_entity = matches!(
            kind,
            DeclarationKind::Rule
                | DeclarationKind::Decision
                | DeclarationKind::Award
                | DeclarationKind::Benefit
                | DeclarationKind::Table
                | DeclarationKind::Value
        );
        if takes_entity && declaration.entity.is_none() {
            self.error(
                Diagnostic::error(
                    "check::missing-entity",
                    format!("the {} `{}` does not say what records it decides", kind.keyword(), declaration.name.text),
                    name_span,
                    "needs `for ENTITY`",
                )
                .with_help(format!(
                    "write `{} {} for enterprise` (or another entity)",
                    kind.keyword(),
                    declaration.name.text
                )),
            );
        }
        if let (false, Some(entity)) = (takes_entity, &declaration.entity) {
            self.error(
                Diagnostic::error(
                    "check::unexpected-entity",
                    format!("{} is not for one entity", with_article(kind.keyword())),
                    entity.span,
                    "remove this",
                )
                .with_help("only rules, decisions, awards, benefits, tables and values are declared `for` an entity"),
            );
        }
        let takes_type = matches!(kind, DeclarationKind::Parameter | DeclarationKind::Table | DeclarationKind::Value);
        match (&declaration.declared_type, takes_type) {
            (Some(declared), false) => self.error(
                Diagnostic::error(
                    "check::unexpected-type",
                    format!("{} has no declared type", with_article(kind.keyword())),
                    declared.span,
                    "remove this",
                )
                .with_help("rules, decisions and benefits are conditions; awards are money"),
            ),
            (None, true) => self.error(
                Diagnostic::error(
                    "check::missing-type",
                    format!("the {} `{}` needs a type", kind.keyword(), declaration.name.text),
                    name_span,
                    "add `: TYPE`",
                )
                .with_help(format!(
                    "e.g. `{} {}: money = 900万元`",
                    kind.keyword(),
                    declaration.name.text
                )),
            ),
            _ => {}
        }
        let takes_value = matches!(kind, DeclarationKind::Parameter | DeclarationKind::Value);
        if let (false, Some(value)) = (takes_value, &declaration.value) {
            let help = if matches!(
                kind,
                DeclarationKind::Rule | DeclarationKind::Decision | DeclarationKind::Benefit | DeclarationKind::Award
            ) {
                "write the condition as `when …`"
            } else {
                "only parameters and values are given with `= …`"
            };
            self.error(
                Diagnostic::error(
                    "check::unexpected-value",
                    format!("{} is not given with `=`", with_article(kind.keyword())),
                    value.span,
                    "not here",
                )
                .with_help(help),
            );
        }
        if kind == DeclarationKind::Value && declaration.value.is_none() {
            self.error(
                Diagnostic::error(
                    "check::missing-value",
                    format!("the value `{}` has no `= …`", declaration.name.text),
                    name_span,
                    "needs `= EXPRESSION`",
                )
                .with_help("write what it is computed from, e.g. `= innovation_score + growth_score`"),
            );
        }
        if declaration.output && kind != DeclarationKind::Value {
            self.error(
                Diagnostic::error(
                    "check::unexpected-output",
                    "only values can be marked `output`",
                    declaration.span,
                    "remove `output`",
                )
                .with_help("decisions, awards and benefits are always in the output"),
            );
        }
        let needs_when = matches!(kind, DeclarationKind::Rule | DeclarationKind::Decision | DeclarationKind::Benefit);
        if needs_when && when_clause(declaration).is_none() {
            self.error(
                Diagnostic::error(
                    "check::missing-condition",
                    format!("the {} `{}` has no condition", kind.keyword(), declaration.name.text),
                    name_span,
                    "needs a `when` clause",
                )
                .with_help("add `when CONDITION` on an indented line below"),
            );
        }
        let needs_citation = !matches!(kind, DeclarationKind::Enum | DeclarationKind::Entity | DeclarationKind::Value);
        if needs_citation && !declaration.clauses.iter().any(|clause| matches!(clause.kind, ClauseKind::Cite { .. })) {
            self.error(
                Diagnostic::warning(
                    "check::missing-citation",
                    format!("the {} `{}` cites no part of the document", kind.keyword(), declaration.name.text),
                    name_span,
                    "no `cite`",
                )
                .with_help(
                    "add `cite \"二.2(三)\" \"the quoted words\"` so that explanations and reviewers can trace it",
                ),
            );
        }
    }

    /// Pass 2: types of fields, parameters, tables and values; entities of items; the header.
    pub(super) fn resolve_signatures(&mut self, file: &PolicyFile) {
        for (declaration, symbol) in file.declarations.iter().zip(self.declared.clone()) {
            if let Some(Symbol::Enum(index)) = symbol {
                self.resolve_enum(declaration, index);
            }
        }
        for (declaration, symbol) in file.declarations.iter().zip(self.declared.clone()) {
            match symbol {
                Some(Symbol::Policy) => self.resolve_header(declaration),
                Some(Symbol::Entity(index)) => self.resolve_entity(declaration, index),
                Some(Symbol::Parameter(index)) => self.resolve_parameter(declaration, index),
                Some(Symbol::Item(index)) => self.resolve_item_signature(declaration, index),
                _ => {}
            }
        }
        let nothing_declared = file.declarations.is_empty();
        if !self.header_unparsed
            && !nothing_declared
            && !self.symbols.values().any(|(symbol, _)| *symbol == Symbol::Policy)
        {
            let span = file.declarations.first().map(|declaration| declaration.name.span).unwrap_or_default();
            self.error(
                Diagnostic::warning("check::missing-header", "the file has no `policy` header", span, "the file starts here")
                    .with_help("start with `policy \"title\"` and its `document`, `issued` and `in force from … to …` clauses, so that evaluation can refuse dates outside the window"),
            );
        }
    }

    fn resolve_header(&mut self, declaration: &Declaration) {
        let header = &mut self.model.header;
        header.title = declaration.name.text.clone();
        header.provenance = provenance(declaration);
        let mut window_span = None;
        for clause in &declaration.clauses {
            match &clause.kind {
                ClauseKind::Document(text) => header.document = Some(text.text.clone()),
                ClauseKind::Issued(date) => header.issued = Some(*date),
                ClauseKind::InForce { from, to } => {
                    header.window = Some((*from, *to));
                    window_span = Some(clause.span);
                }
                _ => {}
            }
        }
        if let (Some((from, Some(to))), Some(span)) = (self.model.header.window, window_span) {
            if to < from {
                self.error(
                    Diagnostic::error(
                        "check::empty-window",
                        format!("the policy ends ({to}) before it starts ({from})"),
                        span,
                        "empty window",
                    )
                    .with_help("write the first day in force, then the last: `in force from 2022-03-23 to 2025-12-31`"),
                );
            }
        }
        if self.model.header.window.is_none() {
            self.error(
                Diagnostic::warning(
                    "check::missing-window",
                    "the policy does not say when it is in force",
                    declaration.name.span,
                    "no `in force`",
                )
                .with_help("add `in force from YYYY-MM-DD to YYYY-MM-DD`; without it any evaluation date is accepted"),
            );
        }
    }

    fn resolve_enum(&mut self, declaration: &Declaration, index: usize) {
        let mut labels: Vec<(String, Span)> = Vec::new();
        for clause in &declaration.clauses {
            if let ClauseKind::Values(values) = &clause.kind {
                for value in values {
                    if let Some((_, first)) = labels.iter().find(|(label, _)| *label == value.text) {
                        let first = *first;
                        self.error(
                            Diagnostic::error(
                                "check::duplicate-label",
                                format!("the label \"{}\" is listed twice", value.text),
                                value.span,
                                "again",
                            )
                            .with_label(first, "first")
                            .with_help("each label of an enum names one value; remove the repetition"),
                        );
                    } else {
                        labels.push((value.text.clone(), value.span));
                    }
                }
            }
        }
        if labels.is_empty() {
            self.error(
                Diagnostic::error(
                    "check::empty-enum",
                    format!("the enum `{}` has no values", declaration.name.text),
                    declaration.name.span,
                    "no `values`",
                )
                .with_help("list its labels as the data writes them: `values \"微型\", \"小型\", \"中型\", \"大型\"`"),
            );
        }
        if let Some(definition) = self.model.enums.get_mut(index) {
            definition.labels = labels.into_iter().map(|(label, _)| label).collect();
        }
    }

    pub(super) fn resolve_type(&mut self, type_expr: &TypeExpr) -> Type {
        match &type_expr.kind {
            TypeExprKind::Money { .. } => Type::Money,
            TypeExprKind::List(element) => match self.resolve_type(element) {
                Type::Error => Type::Error,
                element @ (Type::Text | Type::Enum(_)) => Type::List(Box::new(element)),
                element => {
                    self.error(
                        Diagnostic::error(
                            "check::unsupported-list",
                            format!("lists hold text or enum values, not {}", self.model.type_name(&element)),
                            type_expr.span,
                            "unsupported list",
                        )
                        .with_help("use `list of text` or `list of ENUM`"),
                    );
                    Type::Error
                }
            },
            TypeExprKind::Named(name) => match name.as_str() {
                "bool" => Type::Bool,
                // A count is an integer in every expression; only reading data tells them apart.
                "integer" | "count" => Type::Integer,
                "decimal" => Type::Decimal,
                "percent" => Type::Percent,
                "date" => Type::Date,
                "duration" => Type::Duration,
                "text" => Type::Text,
                _ => match self.symbols.get(name) {
                    Some((Symbol::Enum(index), _)) => Type::Enum(*index),
                    _ => {
                        let builtins =
                            ["bool", "integer", "count", "decimal", "money", "percent", "date", "duration", "text"];
                        let enums: Vec<&str> =
                            self.model.enums.iter().map(|definition| definition.name.as_str()).collect();
                        let suggestion = closest(name, builtins.iter().copied().chain(enums.iter().copied()));
                        let help = match suggestion {
                            Some(suggestion) => format!("did you mean `{suggestion}`?"),
                            None => "types are bool, integer, count, decimal, money, percent, date, duration, text, `list of T`, or the name of an enum".into(),
                        };
                        self.error(
                            Diagnostic::error(
                                "check::unknown-type",
                                format!("unknown type `{name}`"),
                                type_expr.span,
                                "no such type",
                            )
                            .with_help(help),
                        );
                        Type::Error
                    }
                },
            },
        }
    }

    fn resolve_entity(&mut self, declaration: &Declaration, index: usize) {
        let mut fields: Vec<Field> = Vec::new();
        let mut key = None;
        for clause in &declaration.clauses {
            match &clause.kind {
                ClauseKind::Field(field) => {
                    let field_type = self.resolve_type(&field.field_type);
                    let unit = match &field.field_type.kind {
                        TypeExprKind::Money { unit } => Some(unit.unwrap_or(MoneyUnit::Yuan)),
                        _ => None,
                    };
                    if let Some(first) = fields.iter().find(|existing| existing.name == field.name.text) {
                        self.error(
                            Diagnostic::error(
                                "check::duplicate-field",
                                format!("the field `{}` is declared twice", field.name.text),
                                field.name.span,
                                "again",
                            )
                            .with_label(first.span, "first")
                            .with_help("each field is one column; rename one of them"),
                        );
                        continue;
                    }
                    if let Some(first) = fields.iter().find(|existing| existing.column == field.column.text) {
                        self.error(
                            Diagnostic::error(
                                "check::duplicate-column",
                                format!("two fields read the column \"{}\"", field.column.text),
                                field.column.span,
                                "read again",
                            )
                            .with_label(first.span, "first read here")
                            .with_help("each column maps to one field; refer to that field wherever it is needed"),
                        );
                    }
                    let written_unit = match &field.field_type.kind {
                        TypeExprKind::Money { unit } => *unit,
                        _ => None,
                    };
                    self.check_column_fits(&field.column, &field_type, written_unit, field.field_type.span);
                    let when_blank = match &field.blank_means {
                        None => Value::Unknown,
                        Some(expr) => self.constant(expr, &field_type, "blank means"),
                    };
                    fields.push(Field {
                        name: field.name.text.clone(),
                        field_type,
                        count: matches!(&field.field_type.kind, TypeExprKind::Named(name) if name == "count"),
                        column: field.column.text.clone(),
                        unit,
                        optional: field.optional,
                        when_blank,
                        span: field.name.span,
                    });
                }
                ClauseKind::Key(name) => key = Some(name),
                _ => {}
            }
        }
        let key_index = match key {
            None => {
                self.error(
                    Diagnostic::error(
                        "check::missing-key",
                        format!("the entity `{}` has no key", declaration.name.text),
                        declaration.name.span,
                        "needs `key FIELD`",
                    )
                    .with_help("name the field that identifies a record, e.g. `key credit_code` for 统一社会信用代码"),
                );
                0
            }
            Some(name) => match fields.iter().position(|field| field.name == name.text) {
                Some(position) => {
                    if matches!(fields.get(position).map(|field| &field.field_type), Some(Type::List(_))) {
                        self.error(
                            Diagnostic::error("check::list-key", "a list cannot be the key", name.span, "list field")
                                .with_help("the key identifies one record: use a text field such as 统一社会信用代码"),
                        );
                    }
                    position
                }
                None => {
                    let suggestion = closest(&name.text, fields.iter().map(|field| field.name.as_str()));
                    self.error(
                        Diagnostic::error(
                            "check::unknown-key",
                            format!("the key `{}` is not a field of this entity", name.text),
                            name.span,
                            "no such field",
                        )
                        .with_help(match suggestion {
                            Some(suggestion) => format!("did you mean `{suggestion}`?"),
                            None => "declare it with `field NAME: text from \"COLUMN\"`".into(),
                        }),
                    );
                    0
                }
            },
        };
        if let Some(entity) = self.model.entities.get_mut(index) {
            entity.fields = fields;
            entity.key = key_index;
        }
    }

    /// A field whose declared type cannot hold what its column holds: the column names its
    /// unit (`（万元）`) or kind (`日期`), and the field must agree.
    fn check_column_fits(
        &mut self,
        column: &crate::syntax::Text,
        field_type: &Type,
        unit: Option<MoneyUnit>,
        type_span: Span,
    ) {
        let header = column.text.as_str();
        let column_unit = if header.contains("（亿元）") || header.contains("(亿元)") {
            Some(MoneyUnit::HundredMillionYuan)
        } else if header.contains("（万元）") || header.contains("(万元)") {
            Some(MoneyUnit::TenThousandYuan)
        } else if header.contains("（元）") || header.contains("(元)") {
            Some(MoneyUnit::Yuan)
        } else {
            None
        };
        if let Some(column_unit) = column_unit {
            match (field_type, unit) {
                (Type::Money, written) if written.unwrap_or(MoneyUnit::Yuan) != column_unit => {
                    let reads = match written {
                        Some(unit) => format!("the field reads it in {}", unit.symbol()),
                        None => "`money` without a unit reads it in 元".to_string(),
                    };
                    self.error(
                        Diagnostic::error(
                            "check::column-unit",
                            format!("the column is in {} but {reads}", column_unit.symbol()),
                            type_span,
                            format!("read as {}", written.unwrap_or(MoneyUnit::Yuan).symbol()),
                        )
                        .with_label(column.span, format!("written in {}", column_unit.symbol()))
                        .with_help(format!(
                            "write `money in {}` so that amounts are converted to 元 exactly",
                            column_unit.symbol()
                        )),
                    )
                }
                (Type::Money | Type::Decimal | Type::Error, _) => {}
                _ => self.error(
                    Diagnostic::error(
                        "check::column-type",
                        format!(
                            "the column holds amounts in {} but the field is {}",
                            column_unit.symbol(),
                            self.model.type_name(field_type)
                        ),
                        type_span,
                        "cannot hold an amount",
                    )
                    .with_label(column.span, "an amount column")
                    .with_help(format!("declare it `money in {}`", column_unit.symbol())),
                ),
            }
        } else if (header.ends_with("日期") || header.ends_with("时间"))
            && !matches!(field_type, Type::Date | Type::Text | Type::Error)
        {
            self.error(
                Diagnostic::error(
                    "check::column-type",
                    format!("the column holds dates but the field is {}", self.model.type_name(field_type)),
                    type_span,
                    "cannot hold a date",
                )
                .with_label(column.span, "a date column")
                .with_help("declare it `date`"),
            );
        }
    }

    fn resolve_parameter(&mut self, declaration: &Declaration, index: usize) {
        let parameter_type = match &declaration.declared_type {
            Some(declared) => self.resolve_type(declared),
            None => Type::Error,
        };
        let value = declaration.value.as_ref().map(|expr| self.constant(expr, &parameter_type, "a parameter"));
        if let Some(parameter) = self.model.parameters.get_mut(index) {
            parameter.parameter_type = parameter_type;
            parameter.value = value;
        }
    }

    fn resolve_item_signature(&mut self, declaration: &Declaration, index: usize) {
        let entity = match &declaration.entity {
            Some(name) => match self.symbols.get(&name.text) {
                Some((Symbol::Entity(entity), _)) => *entity,
                _ => {
                    let suggestion = closest(&name.text, self.model.entities.iter().map(|entity| entity.name.as_str()));
                    self.error(
                        Diagnostic::error(
                            "check::unknown-entity",
                            format!("unknown entity `{}`", name.text),
                            name.span,
                            "no such entity",
                        )
                        .with_help(match suggestion {
                            Some(suggestion) => format!("did you mean `{suggestion}`?"),
                            None => "declare it with `entity NAME` and its fields".into(),
                        }),
                    );
                    usize::MAX
                }
            },
            None => usize::MAX,
        };
        let declared = declaration.declared_type.as_ref().map(|declared| self.resolve_type(declared));
        if let Some(item) = self.model.items.get_mut(index) {
            item.entity = entity;
            if let Some(declared) = declared {
                item.item_type = declared;
            }
        }
    }

    /// Pass 3: conditions, amounts, tables and values, typed in their entity's scope.
    pub(super) fn check_bodies(&mut self, file: &PolicyFile) {
        for (declaration, symbol) in file.declarations.iter().zip(self.declared.clone()) {
            let Some(Symbol::Item(index)) = symbol else { continue };
            let Some(item) = self.model.items.get(index) else { continue };
            let entity = item.entity;
            let item_type = item.item_type.clone();
            let mut kind = item.kind.clone();
            if entity == usize::MAX {
                continue;
            }
            let condition =
                when_clause(declaration).map(|expr| self.expect_type(expr, entity, &Type::Bool, "a condition"));
            match &mut kind {
                ItemKind::Award { up_to, amount, cap } => {
                    let pays = declaration.clauses.iter().find_map(|clause| match &clause.kind {
                        ClauseKind::Pays { up_to, amount, cap } => Some((*up_to, amount, cap)),
                        _ => None,
                    });
                    match pays {
                        Some((pays_up_to, pays_amount, pays_cap)) => {
                            *up_to = pays_up_to;
                            *amount = self.expect_type(pays_amount, entity, &Type::Money, "an award amount");
                            *cap = pays_cap.as_ref().map(|cap| self.expect_type(cap, entity, &Type::Money, "a cap"));
                        }
                        None => self.error(
                            Diagnostic::error(
                                "check::missing-amount",
                                format!("the award `{}` does not say what it pays", declaration.name.text),
                                declaration.name.span,
                                "needs `pays`",
                            )
                            .with_help(
                                "add `pays 300万元`, `pays up to 300万元` or `pays 50% of FIELD, at most 100万元`",
                            ),
                        ),
                    }
                }
                ItemKind::Table { keys, rows, complete } => {
                    (*keys, *rows, *complete) = self.check_table(declaration, entity, &item_type);
                }
                ItemKind::Value { expr, .. } => {
                    if let Some(value) = &declaration.value {
                        *expr = self.expect_type(value, entity, &item_type, "this value");
                    }
                }
                ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit => {}
            }
            if let Some(item) = self.model.items.get_mut(index) {
                item.condition = condition;
                item.kind = kind;
            }
        }
    }

    pub(super) fn check_groups(&mut self, file: &PolicyFile) {
        for (declaration, symbol) in file.declarations.iter().zip(self.declared.clone()) {
            let Some(Symbol::Group(index)) = symbol else { continue };
            let mut awards = Vec::new();
            let mut entity = None;
            let errors_before = self.diagnostics.len();
            for clause in &declaration.clauses {
                let ClauseKind::Among(names) = &clause.kind else { continue };
                for name in names {
                    match self.symbols.get(&name.text).copied() {
                        Some((Symbol::Item(item_index), _))
                            if matches!(
                                self.model.items.get(item_index).map(|item| &item.kind),
                                Some(ItemKind::Award { .. })
                            ) =>
                        {
                            let award_entity = self.model.items.get(item_index).map(|item| item.entity);
                            match (entity, award_entity) {
                                (None, Some(award_entity)) => entity = Some(award_entity),
                                (Some(group_entity), Some(award_entity)) if group_entity != award_entity => self.error(
                                    Diagnostic::error(
                                        "check::group-entities",
                                        "a no-stacking group mixes awards of different entities",
                                        name.span,
                                        "another entity",
                                    )
                                    .with_help(
                                        "awards are only compared for the same record: keep one entity per group",
                                    ),
                                ),
                                _ => {}
                            }
                            if awards.contains(&item_index) {
                                self.error(
                                    Diagnostic::warning(
                                        "check::duplicate-member",
                                        format!("`{}` is listed twice", name.text),
                                        name.span,
                                        "again",
                                    )
                                    .with_help("list each award once"),
                                );
                            } else {
                                awards.push(item_index);
                            }
                        }
                        Some((Symbol::Unparsed, _)) => {}
                        Some(_) => self.error(
                            Diagnostic::error(
                                "check::not-an-award",
                                format!("`{}` is not an award", name.text),
                                name.span,
                                "not an award",
                            )
                            .with_help("a no-stacking group lists awards only"),
                        ),
                        None => self.unknown_name_error(&name.text, name.span, self.award_names()),
                    }
                }
            }
            if awards.len() < 2 && self.diagnostics.len() == errors_before {
                self.error(
                    Diagnostic::warning(
                        "check::small-group",
                        "a no-stacking group needs at least two awards",
                        declaration.name.span,
                        "nothing to choose between",
                    )
                    .with_help("list the awards that may not be paid together: `among unicorn, little_giant`"),
                );
            }
            for award in &awards {
                if let Some(used) = self.used_items.get_mut(*award) {
                    *used = true;
                }
            }
            if let Some(group) = self.model.groups.get_mut(index) {
                group.awards = awards;
                group.entity = entity.unwrap_or(0);
            }
        }
    }

    fn award_names(&self) -> Vec<String> {
        self.model
            .items
            .iter()
            .filter(|item| matches!(item.kind, ItemKind::Award { .. }))
            .map(|item| item.name.clone())
            .collect()
    }

    pub(super) fn unknown_name_error(&mut self, name: &str, span: Span, candidates: Vec<String>) {
        let suggestion = closest(name, candidates.iter().map(String::as_str)).map(str::to_string);
        let help = match suggestion {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => "declare it as a field of the entity, a parameter, a rule or a value".to_string(),
        };
        self.error(
            Diagnostic::error("check::unknown-name", format!("unknown name `{name}`"), span, "not declared")
                .with_help(help),
        );
    }

    /// Rules, values and tables may not depend on themselves, directly or through others.
    pub(super) fn check_cycles(&mut self) {
        let dependencies: Vec<Vec<usize>> = self.model.items.iter().map(Model::item_dependencies).collect();
        // 0 = not visited, 1 = on the current path, 2 = done.
        let mut state = vec![0u8; dependencies.len()];
        let mut reported = vec![false; dependencies.len()];
        for start in 0..dependencies.len() {
            let mut path = Vec::new();
            self.visit_for_cycles(start, &dependencies, &mut state, &mut path, &mut reported);
        }
    }

    fn visit_for_cycles(
        &mut self,
        node: usize,
        dependencies: &[Vec<usize>],
        state: &mut [u8],
        path: &mut Vec<usize>,
        reported: &mut [bool],
    ) {
        match state.get(node) {
            Some(2) | None => return,
            Some(1) => {
                let cycle_start = path.iter().position(|entry| *entry == node).unwrap_or(0);
                let cycle: Vec<usize> = path.get(cycle_start..).map(<[usize]>::to_vec).unwrap_or_default();
                if cycle.iter().any(|member| reported.get(*member).copied().unwrap_or(true)) {
                    return;
                }
                for member in &cycle {
                    if let Some(flag) = reported.get_mut(*member) {
                        *flag = true;
                    }
                }
                let names: Vec<String> = cycle
                    .iter()
                    .chain(std::iter::once(&node))
                    .filter_map(|member| self.model.items.get(*member).map(|item| format!("`{}`", item.name)))
                    .collect();
                let Some(first) = self.model.items.get(node) else { return };
                let mut diagnostic = Diagnostic::error(
                    "check::cycle",
                    format!("these declarations depend on each other in a cycle: {}", names.join(" → ")),
                    first.provenance.span,
                    "starts here",
                )
                .with_help("a condition cannot depend on itself; break the cycle by writing one of them from the fields directly");
                for member in cycle.iter().skip(1) {
                    if let Some(item) = self.model.items.get(*member) {
                        diagnostic = diagnostic.with_label(item.provenance.span, "part of the cycle");
                    }
                }
                self.error(diagnostic);
                return;
            }
            Some(_) => {}
        }
        if let Some(flag) = state.get_mut(node) {
            *flag = 1;
        }
        path.push(node);
        for next in dependencies.get(node).cloned().unwrap_or_default() {
            self.visit_for_cycles(next, dependencies, state, path, reported);
        }
        path.pop();
        if let Some(flag) = state.get_mut(node) {
            *flag = 2;
        }
    }

    /// Rules, tables, values and parameters nobody refers to are probably a mistake.
    pub(super) fn check_usage(&mut self) {
        if self.skip_usage {
            return;
        }
        let mut warnings = Vec::new();
        for (index, item) in self.model.items.iter().enumerate() {
            let is_root = matches!(
                item.kind,
                ItemKind::Decision | ItemKind::Award { .. } | ItemKind::Benefit | ItemKind::Value { output: true, .. }
            );
            let rejected = self.rejected.contains(&Symbol::Item(index));
            if !is_root && !rejected && !self.used_items.get(index).copied().unwrap_or(true) {
                warnings.push(
                    Diagnostic::warning(
                        "check::unused",
                        format!("the {} `{}` is never used", item.kind.keyword(), item.name),
                        item.provenance.span,
                        "not used by any decision, award, benefit or output",
                    )
                    .with_help("use it in a condition, mark a value `output`, or remove it"),
                );
            }
        }
        for (index, parameter) in self.model.parameters.iter().enumerate() {
            let rejected = self.rejected.contains(&Symbol::Parameter(index));
            if !rejected && !self.used_parameters.get(index).copied().unwrap_or(true) {
                warnings.push(
                    Diagnostic::warning(
                        "check::unused",
                        format!("the parameter `{}` is never used", parameter.name),
                        parameter.provenance.span,
                        "not used",
                    )
                    .with_help("use it in a rule or an award, or remove it"),
                );
            }
        }
        self.diagnostics.extend(warnings);
    }
}
