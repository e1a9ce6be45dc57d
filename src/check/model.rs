//! The checked policy: every name resolved, every expression typed. This is what `check`
//! produces and what `compile`, `explain` and the output formats read.

use crate::syntax::{BinaryOperator, CompareOperator, Connective, Function, MoneyUnit, Span};
use crate::value::Value;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Integer,
    Decimal,
    Money,
    Percent,
    Date,
    Duration,
    Text,
    Enum(usize),
    List(Box<Type>),
    /// `[]`, before the context says what it is a list of.
    EmptyList,
    /// The type of an expression that already has an error: it matches everything, so one
    /// mistake gives one diagnostic.
    Error,
}

impl Type {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal | Type::Money | Type::Percent)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }
}

/// Where a declaration comes from in the document, for explanations and diffs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub label: Option<String>,
    pub citation: Option<String>,
    pub quote: Option<String>,
    pub reading: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Header {
    pub title: String,
    pub document: Option<String>,
    pub issued: Option<NaiveDate>,
    /// First and last day in force, both included.
    /// First and last day in force; no last day for a policy in force until repealed.
    pub window: Option<(NaiveDate, Option<NaiveDate>)>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone)]
pub struct EnumDefinition {
    pub name: String,
    pub labels: Vec<String>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub field_type: Type,
    /// Declared `count`: an integer that a data cell may not give as negative.
    pub count: bool,
    pub column: String,
    /// The unit the column is written in, for money.
    pub unit: Option<MoneyUnit>,
    pub optional: bool,
    pub when_blank: Value,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub name: String,
    pub fields: Vec<Field>,
    /// Index of the key field in `fields`.
    pub key: usize,
    pub provenance: Provenance,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub parameter_type: Type,
    /// `None` when the document leaves the number open: it must be given with `--set`.
    pub value: Option<Value>,
    pub provenance: Provenance,
}

/// Rules, decisions, awards, benefits, tables and values: the declarations evaluated per record.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub entity: usize,
    pub kind: ItemKind,
    pub item_type: Type,
    /// The `when` clause; `None` means always (an award with no condition).
    pub condition: Option<TypedExpr>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone)]
pub enum ItemKind {
    Rule,
    Decision,
    Award {
        up_to: bool,
        amount: TypedExpr,
        cap: Option<TypedExpr>,
    },
    Benefit,
    /// `complete`: some row matches every key (an `otherwise` row, or brackets and enum rows
    /// the checker found without gaps), so a blank key still gives one of the rows' results.
    Table {
        keys: Vec<TypedExpr>,
        rows: Vec<Row>,
        complete: bool,
    },
    Value {
        output: bool,
        expr: TypedExpr,
    },
}

impl ItemKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            ItemKind::Rule => "rule",
            ItemKind::Decision => "decision",
            ItemKind::Award { .. } => "award",
            ItemKind::Benefit => "benefit",
            ItemKind::Table { .. } => "table",
            ItemKind::Value { .. } => "value",
        }
    }

    /// Items whose outcome is a condition (yes / no / unknown).
    pub fn is_conditional(&self) -> bool {
        matches!(self, ItemKind::Rule | ItemKind::Decision | ItemKind::Award { .. } | ItemKind::Benefit)
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub pattern: Pattern,
    pub result: TypedExpr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Pattern {
    Otherwise,
    Key(Vec<Value>),
    Range { lower: Option<TypedBound>, upper: Option<TypedBound> },
    Condition(TypedExpr),
}

#[derive(Debug, Clone)]
pub struct TypedBound {
    pub inclusive: bool,
    pub limit: TypedExpr,
}

#[derive(Debug, Clone)]
pub struct StackingGroup {
    pub name: String,
    pub entity: usize,
    /// Item indices of the awards, in the order written (the first wins a tie).
    pub awards: Vec<usize>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone)]
pub struct TypedExpr {
    pub kind: TypedExprKind,
    pub expr_type: Type,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypedExprKind {
    Constant(Value),
    Field(usize),
    Parameter(usize),
    Item(usize),
    AsOf,
    List(Vec<TypedExpr>),
    Not(Box<TypedExpr>),
    Negate(Box<TypedExpr>),
    Connective { connective: Connective, parts: Vec<TypedExpr> },
    Binary { operator: BinaryOperator, left: Box<TypedExpr>, right: Box<TypedExpr> },
    Compare { operator: CompareOperator, left: Box<TypedExpr>, right: Box<TypedExpr> },
    Call { function: Function, arguments: Vec<TypedExpr> },
}

impl TypedExpr {
    pub fn error(span: Span) -> Self {
        TypedExpr { kind: TypedExprKind::Constant(Value::Unknown), expr_type: Type::Error, span }
    }

    /// Visits this expression and every sub-expression, parents first.
    pub fn walk(&self, visit: &mut dyn FnMut(&TypedExpr)) {
        visit(self);
        match &self.kind {
            TypedExprKind::Constant(_)
            | TypedExprKind::Field(_)
            | TypedExprKind::Parameter(_)
            | TypedExprKind::Item(_)
            | TypedExprKind::AsOf => {}
            TypedExprKind::Not(inner) | TypedExprKind::Negate(inner) => inner.walk(visit),
            TypedExprKind::List(parts)
            | TypedExprKind::Connective { parts, .. }
            | TypedExprKind::Call { arguments: parts, .. } => parts.iter().for_each(|part| part.walk(visit)),
            TypedExprKind::Binary { left, right, .. } | TypedExprKind::Compare { left, right, .. } => {
                left.walk(visit);
                right.walk(visit);
            }
        }
    }
}

/// A policy that passed `check` without errors.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub header: Header,
    pub enums: Vec<EnumDefinition>,
    pub entities: Vec<Entity>,
    pub parameters: Vec<Parameter>,
    pub items: Vec<Item>,
    pub groups: Vec<StackingGroup>,
}

impl Model {
    pub fn entity_index(&self, name: &str) -> Option<usize> {
        self.entities.iter().position(|entity| entity.name == name)
    }

    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().position(|parameter| parameter.name == name)
    }

    /// Every expression of an item: condition, amount, cap, table keys and rows, value.
    pub fn item_expressions(item: &Item) -> Vec<&TypedExpr> {
        let mut expressions: Vec<&TypedExpr> = item.condition.iter().collect();
        match &item.kind {
            ItemKind::Award { amount, cap, .. } => {
                expressions.push(amount);
                expressions.extend(cap.iter());
            }
            ItemKind::Table { keys, rows, .. } => {
                expressions.extend(keys.iter());
                for row in rows {
                    expressions.push(&row.result);
                    match &row.pattern {
                        Pattern::Range { lower, upper } => {
                            expressions.extend(lower.iter().map(|bound| &bound.limit));
                            expressions.extend(upper.iter().map(|bound| &bound.limit));
                        }
                        Pattern::Condition(condition) => expressions.push(condition),
                        Pattern::Otherwise | Pattern::Key(_) => {}
                    }
                }
            }
            ItemKind::Value { expr, .. } => expressions.push(expr),
            ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit => {}
        }
        expressions
    }

    /// Items an item refers to directly.
    pub fn item_dependencies(item: &Item) -> Vec<usize> {
        let mut dependencies = Vec::new();
        for expr in Model::item_expressions(item) {
            expr.walk(&mut |node| {
                if let TypedExprKind::Item(index) = node.kind {
                    dependencies.push(index);
                }
            });
        }
        dependencies.sort_unstable();
        dependencies.dedup();
        dependencies
    }

    pub fn type_name(&self, value_type: &Type) -> String {
        match value_type {
            Type::Bool => "bool".into(),
            Type::Integer => "integer".into(),
            Type::Decimal => "decimal".into(),
            Type::Money => "money".into(),
            Type::Percent => "percent".into(),
            Type::Date => "date".into(),
            Type::Duration => "duration".into(),
            Type::Text => "text".into(),
            Type::Enum(index) => self.enums.get(*index).map(|definition| definition.name.clone()).unwrap_or_default(),
            Type::List(element) => format!("list of {}", self.type_name(element)),
            Type::EmptyList => "an empty list".into(),
            Type::Error => "unknown type".into(),
        }
    }
}
