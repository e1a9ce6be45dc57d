//! Stage 3: a checked [`Model`] → one [`Program`] per entity, for one run.
//!
//! Names become slots: fields are read by position, items by their slot in a per-record
//! vector, parameters and `as_of` are folded into constants (so `--set` and `--as-of` cost
//! nothing per record), enum labels are indices. Items are ordered so that every item comes
//! after the items it uses; evaluating a record is one pass over that order.

use crate::check::{ItemKind, Model, Pattern, Type, TypedExpr, TypedExprKind};
use crate::data::{ColumnKind, ColumnSpec, RecordLayout};
use crate::diagnostic::Diagnostic;
use crate::syntax::{BinaryOperator, CompareOperator, Connective, Function, Span};
use crate::value::Value;
use chrono::NaiveDate;

/// What a run fixes before any record is read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub as_of: NaiveDate,
    /// Parameter values given on the command line (`--set NAME=VALUE`), already checked.
    pub overrides: Vec<(usize, Value)>,
}

/// One compiled expression node. It keeps its span so that explanations can quote the source.
#[derive(Debug, Clone)]
pub struct Code {
    pub operation: Operation,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Operation {
    Constant(Value),
    /// A value the policy leaves open and the run did not set: an error if evaluated.
    MissingParameter(usize),
    Field(usize),
    Slot(usize),
    /// A parameter folded to its value; kept apart from `Constant` so explanations can name it.
    Parameter {
        parameter: usize,
        value: Value,
    },
    AsOf(NaiveDate),
    List(Vec<Code>),
    Not(Box<Code>),
    Negate(Box<Code>),
    Connective {
        connective: Connective,
        parts: Vec<Code>,
    },
    Binary {
        operator: BinaryOperator,
        operand_types: (Type, Type),
        left: Box<Code>,
        right: Box<Code>,
    },
    Compare {
        operator: CompareOperator,
        left: Box<Code>,
        right: Box<Code>,
    },
    Call {
        function: Function,
        arguments: Vec<Code>,
    },
}

impl Code {
    /// Visits this node and every node under it, parents first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Code)) {
        visit(self);
        match &self.operation {
            Operation::Constant(_)
            | Operation::MissingParameter(_)
            | Operation::Field(_)
            | Operation::Slot(_)
            | Operation::Parameter { .. }
            | Operation::AsOf(_) => {}
            Operation::List(parts) | Operation::Connective { parts, .. } | Operation::Call { arguments: parts, .. } => {
                for part in parts {
                    part.walk(visit);
                }
            }
            Operation::Not(inner) | Operation::Negate(inner) => inner.walk(visit),
            Operation::Binary { left, right, .. } | Operation::Compare { left, right, .. } => {
                left.walk(visit);
                right.walk(visit);
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum StepKind {
    /// Rules, decisions and benefits: the slot holds the outcome.
    Condition(Code),
    /// The slot holds whether the award's condition holds; the amount is computed afterwards.
    Award {
        condition: Option<Code>,
        up_to: bool,
        amount: Code,
        cap: Option<Code>,
    },
    Table {
        keys: Vec<Code>,
        rows: Vec<CompiledRow>,
        /// Some row matches every key: a blank key still gives one of the rows' results.
        complete: bool,
    },
    Value(Code),
}

impl StepKind {
    /// Every expression of the step: condition, amount, cap, table keys, rows and bounds, value.
    pub fn codes(&self) -> Vec<&Code> {
        match self {
            StepKind::Condition(code) | StepKind::Value(code) => vec![code],
            StepKind::Award { condition, amount, cap, .. } => {
                condition.iter().chain(std::iter::once(amount)).chain(cap.iter()).collect()
            }
            StepKind::Table { keys, rows, .. } => {
                let mut codes: Vec<&Code> = keys.iter().collect();
                for row in rows {
                    match &row.pattern {
                        CompiledPattern::Range { lower, upper } => {
                            codes.extend(lower.iter().chain(upper.iter()).map(|(_, limit)| limit));
                        }
                        CompiledPattern::Condition(condition) => codes.push(condition),
                        CompiledPattern::Otherwise | CompiledPattern::Key(_) => {}
                    }
                    codes.push(&row.result);
                }
                codes
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct CompiledRow {
    pub pattern: CompiledPattern,
    pub result: Code,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum CompiledPattern {
    Otherwise,
    Key(Vec<Value>),
    Range { lower: Option<(bool, Code)>, upper: Option<(bool, Code)> },
    Condition(Code),
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Index of the item in the model.
    pub item: usize,
    pub kind: StepKind,
}

/// Everything needed to decide records of one entity.
#[derive(Debug, Clone)]
pub struct Program {
    pub entity: usize,
    pub layout: RecordLayout,
    pub as_of: NaiveDate,
    /// In dependency order; step `i` writes slot `i`.
    pub steps: Vec<Step>,
    /// For every item of the model, its slot in this program (`None` for other entities).
    pub slot_of_item: Vec<Option<usize>>,
    pub decisions: Vec<usize>,
    pub awards: Vec<usize>,
    pub benefits: Vec<usize>,
    pub outputs: Vec<usize>,
    /// No-stacking groups of this entity: model group index and the model items of its awards.
    pub groups: Vec<(usize, Vec<usize>)>,
    /// The steps lowered for deciding records quickly (explanations walk `steps`).
    pub plan: crate::plan::Plan,
}

impl Program {
    /// The data fields the given expressions read, directly or through the steps they use, in
    /// the order first read.
    pub fn fields_read<'a>(&'a self, codes: impl IntoIterator<Item = &'a Code>) -> Vec<usize> {
        let mut fields = Vec::new();
        let mut visited = vec![false; self.steps.len()];
        let mut pending: Vec<&Code> = codes.into_iter().collect();
        while let Some(code) = pending.pop() {
            code.walk(&mut |node| match node.operation {
                Operation::Field(index) if !fields.contains(&index) => fields.push(index),
                Operation::Slot(slot) if visited.get(slot) == Some(&false) => {
                    if let Some(flag) = visited.get_mut(slot) {
                        *flag = true;
                    }
                    if let Some(step) = self.steps.get(slot) {
                        pending.extend(step.kind.codes());
                    }
                }
                _ => {}
            });
        }
        fields
    }
}

/// The reading layout of an entity: its columns, types and blank rules.
pub fn layout(model: &Model, entity: usize) -> RecordLayout {
    let Some(definition) = model.entities.get(entity) else {
        return RecordLayout { columns: Vec::new(), key: 0 };
    };
    let columns = definition
        .fields
        .iter()
        .map(|field| {
            let kind = match column_kind(model, &field.field_type, field.unit) {
                ColumnKind::Integer if field.count => ColumnKind::Count,
                kind => kind,
            };
            ColumnSpec::new(field.column.clone(), kind)
                .with_when_blank(field.when_blank.clone())
                .with_optional(field.optional)
        })
        .collect();
    RecordLayout { columns, key: definition.key }
}

fn column_kind(model: &Model, field_type: &Type, unit: Option<crate::syntax::MoneyUnit>) -> ColumnKind {
    match field_type {
        Type::Bool => ColumnKind::Bool,
        Type::Integer => ColumnKind::Integer,
        Type::Decimal => ColumnKind::Decimal,
        Type::Money => ColumnKind::Money { yuan_per_unit: unit.unwrap_or(crate::syntax::MoneyUnit::Yuan).yuan() },
        Type::Percent => ColumnKind::Percent,
        Type::Date => ColumnKind::Date,
        Type::Duration => ColumnKind::Duration,
        Type::Enum(index) => ColumnKind::Enum {
            labels: model.enums.get(*index).map(|definition| definition.labels.clone()).unwrap_or_default(),
        },
        Type::List(element) => ColumnKind::List(Box::new(column_kind(model, element, unit))),
        Type::Text | Type::EmptyList | Type::Error => ColumnKind::Text,
    }
}

/// Compiles the items of `entity`. The model must have passed `check` without errors.
pub fn compile(model: &Model, entity: usize, settings: &Settings) -> Program {
    let order = dependency_order(model, entity);
    let mut slot_of_item = vec![None; model.items.len()];
    for (slot, item) in order.iter().enumerate() {
        if let Some(entry) = slot_of_item.get_mut(*item) {
            *entry = Some(slot);
        }
    }
    let compiler = Compiler { model, settings, slot_of_item: &slot_of_item };
    let mut steps = Vec::new();
    for item_index in &order {
        let Some(item) = model.items.get(*item_index) else { continue };
        let kind = match &item.kind {
            ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit => StepKind::Condition(
                item.condition
                    .as_ref()
                    .map(|condition| compiler.code(condition))
                    .unwrap_or(Code { operation: Operation::Constant(Value::Bool(true)), span: item.provenance.span }),
            ),
            ItemKind::Award { up_to, amount, cap } => StepKind::Award {
                condition: item.condition.as_ref().map(|condition| compiler.code(condition)),
                up_to: *up_to,
                amount: compiler.code(amount),
                cap: cap.as_ref().map(|cap| compiler.code(cap)),
            },
            ItemKind::Table { keys, rows, complete } => StepKind::Table {
                complete: *complete,
                keys: keys.iter().map(|key| compiler.code(key)).collect(),
                rows: rows
                    .iter()
                    .map(|row| CompiledRow {
                        pattern: match &row.pattern {
                            Pattern::Otherwise => CompiledPattern::Otherwise,
                            Pattern::Key(values) => CompiledPattern::Key(values.clone()),
                            Pattern::Range { lower, upper } => CompiledPattern::Range {
                                lower: lower.as_ref().map(|bound| (bound.inclusive, compiler.code(&bound.limit))),
                                upper: upper.as_ref().map(|bound| (bound.inclusive, compiler.code(&bound.limit))),
                            },
                            Pattern::Condition(condition) => CompiledPattern::Condition(compiler.code(condition)),
                        },
                        result: compiler.code(&row.result),
                        span: row.span,
                    })
                    .collect(),
            },
            ItemKind::Value { expr, .. } => StepKind::Value(compiler.code(expr)),
        };
        steps.push(Step { item: *item_index, kind });
    }
    let of_kind = |wanted: fn(&ItemKind) -> bool| -> Vec<usize> {
        model
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.entity == entity && wanted(&item.kind))
            .map(|(index, _)| index)
            .collect()
    };
    let groups = model
        .groups
        .iter()
        .enumerate()
        .filter(|(_, group)| group.entity == entity && !group.awards.is_empty())
        .map(|(index, group)| (index, group.awards.clone()))
        .collect();
    let mut program = Program {
        plan: crate::plan::Plan::default(),
        entity,
        layout: layout(model, entity),
        as_of: settings.as_of,
        steps,
        slot_of_item,
        decisions: of_kind(|kind| matches!(kind, ItemKind::Decision)),
        awards: of_kind(|kind| matches!(kind, ItemKind::Award { .. })),
        benefits: of_kind(|kind| matches!(kind, ItemKind::Benefit)),
        outputs: of_kind(|kind| matches!(kind, ItemKind::Value { output: true, .. })),
        groups,
    };
    program.plan = crate::plan::Plan::new(&program);
    program
}

/// The items of one entity, each after everything it depends on (the checker has ruled out
/// cycles), otherwise in source order.
fn dependency_order(model: &Model, entity: usize) -> Vec<usize> {
    let mut order = Vec::new();
    let mut placed = vec![false; model.items.len()];
    fn place(model: &Model, item: usize, placed: &mut Vec<bool>, order: &mut Vec<usize>, depth: usize) {
        if placed.get(item).copied().unwrap_or(true) || depth > model.items.len() {
            return;
        }
        if let Some(flag) = placed.get_mut(item) {
            *flag = true;
        }
        if let Some(definition) = model.items.get(item) {
            for dependency in Model::item_dependencies(definition) {
                place(model, dependency, placed, order, depth + 1);
            }
        }
        order.push(item);
    }
    for (index, item) in model.items.iter().enumerate() {
        if item.entity == entity {
            place(model, index, &mut placed, &mut order, 0);
        }
    }
    order
}

/// Refuses an evaluation date outside the policy's window (both days included); the message
/// names the window and its citation.
pub fn check_in_force(model: &Model, as_of: NaiveDate) -> Result<(), String> {
    let Some((from, to)) = model.header.window else { return Ok(()) };
    if as_of >= from && to.is_none_or(|to| as_of <= to) {
        return Ok(());
    }
    let window = match to {
        Some(to) => format!("from {from} to {to} (both included)"),
        None => format!("from {from}"),
    };
    let citation = model.header.provenance.citation.as_ref().map(|citation| format!(" [{citation}]"));
    Err(format!(
        "the policy is not in force on {as_of}: {} is in force {window}{}",
        model.header.title,
        citation.unwrap_or_default()
    ))
}

/// Checks `--set NAME=VALUE` against the model: the name must be a parameter and the value a
/// literal of its type, written as in a policy file (`1000万元`, `30%`, `["A", "B"]`).
pub fn parse_override(model: &Model, assignment: &str) -> Result<(usize, Value), Diagnostic> {
    let span = Span::new(0, assignment.len());
    let Some((name, text)) = assignment.split_once('=') else {
        return Err(Diagnostic::error(
            "eval::bad-set",
            format!("`--set {assignment}` has no `=`"),
            span,
            "expected NAME=VALUE",
        )
        .with_help("write `--set revenue_floor=1000万元`"));
    };
    let name = name.trim();
    let Some(index) = model.parameter_index(name) else {
        let suggestion = crate::check::closest(name, model.parameters.iter().map(|parameter| parameter.name.as_str()));
        return Err(Diagnostic::error(
            "eval::unknown-parameter",
            format!("the policy has no parameter `{name}`"),
            span,
            "unknown parameter",
        )
        .with_help(match suggestion {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => "`policy check` lists nothing by that name; see the `parameter` declarations".to_string(),
        }));
    };
    let parameter_type =
        model.parameters.get(index).map(|parameter| parameter.parameter_type.clone()).unwrap_or(Type::Error);
    let value = crate::check::constant_of_type(model, text.trim(), &parameter_type).map_err(|message| {
        Diagnostic::error(
            "eval::bad-set",
            format!("`{}` is not a value for `{name}`: {message}", text.trim()),
            span,
            "bad value",
        )
        .with_help(format!(
            "`{name}` is {}: write it as in a policy file, e.g. `900万元`, `50%`, `2 years`",
            model.type_name(&parameter_type)
        ))
    })?;
    Ok((index, value))
}

struct Compiler<'a> {
    model: &'a Model,
    settings: &'a Settings,
    slot_of_item: &'a [Option<usize>],
}

impl Compiler<'_> {
    fn code(&self, expr: &TypedExpr) -> Code {
        let operation = match &expr.kind {
            TypedExprKind::Constant(value) => Operation::Constant(value.clone()),
            TypedExprKind::Field(index) => Operation::Field(*index),
            TypedExprKind::Item(index) => match self.slot_of_item.get(*index).copied().flatten() {
                Some(slot) => Operation::Slot(slot),
                None => Operation::Constant(Value::Unknown),
            },
            TypedExprKind::Parameter(index) => {
                let overridden = self.settings.overrides.iter().rev().find(|(parameter, _)| parameter == index);
                let value = overridden
                    .map(|(_, value)| value.clone())
                    .or_else(|| self.model.parameters.get(*index).and_then(|parameter| parameter.value.clone()));
                match value {
                    Some(value) => Operation::Parameter { parameter: *index, value },
                    None => Operation::MissingParameter(*index),
                }
            }
            TypedExprKind::AsOf => Operation::AsOf(self.settings.as_of),
            TypedExprKind::List(parts) => {
                let parts: Vec<Code> = parts.iter().map(|part| self.code(part)).collect();
                // A list of constants (`size in ["微型", "小型"]`) is built once, not per record.
                let constants: Option<Vec<Value>> = parts
                    .iter()
                    .map(|part| match &part.operation {
                        Operation::Constant(value) | Operation::Parameter { value, .. } => Some(value.clone()),
                        _ => None,
                    })
                    .collect();
                match constants {
                    // As evaluating the list would: unknown when an element is.
                    Some(values) if values.iter().any(Value::is_unknown) => Operation::Constant(Value::Unknown),
                    Some(values) => Operation::Constant(Value::List(values.into())),
                    None => Operation::List(parts),
                }
            }
            TypedExprKind::Not(inner) => Operation::Not(Box::new(self.code(inner))),
            TypedExprKind::Negate(inner) => Operation::Negate(Box::new(self.code(inner))),
            TypedExprKind::Connective { connective, parts } => Operation::Connective {
                connective: *connective,
                parts: parts.iter().map(|part| self.code(part)).collect(),
            },
            TypedExprKind::Binary { operator, left, right } => Operation::Binary {
                operator: *operator,
                operand_types: (left.expr_type.clone(), right.expr_type.clone()),
                left: Box::new(self.code(left)),
                right: Box::new(self.code(right)),
            },
            TypedExprKind::Compare { operator, left, right } => Operation::Compare {
                operator: *operator,
                left: Box::new(self.code(left)),
                right: Box::new(self.code(right)),
            },
            TypedExprKind::Call { function, arguments } => Operation::Call {
                function: *function,
                arguments: arguments.iter().map(|argument| self.code(argument)).collect(),
            },
        };
        Code { operation, span: expr.span }
    }
}
