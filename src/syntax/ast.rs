//! The abstract syntax tree of a policy file, as written: names are not resolved yet, and every
//! node carries the span of the text it came from.

use crate::value::Period;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Byte offsets into the policy source, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub text: String,
    pub span: Span,
}

/// A whole file: the declarations that parsed, in source order.
#[derive(Debug, Clone, Default)]
pub struct PolicyFile {
    pub declarations: Vec<Declaration>,
    /// Declarations that did not parse (each already has a diagnostic).
    pub unparsed: Vec<Unparsed>,
}

#[derive(Debug, Clone)]
pub struct Unparsed {
    /// The first word (`rule`, `award`, `policy`, …), whatever it is.
    pub keyword: String,
    pub name: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclarationKind {
    Policy,
    Enum,
    Entity,
    Parameter,
    Rule,
    Decision,
    Award,
    Benefit,
    Table,
    Value,
    NoStacking,
}

impl DeclarationKind {
    pub fn keyword(self) -> &'static str {
        match self {
            DeclarationKind::Policy => "policy",
            DeclarationKind::Enum => "enum",
            DeclarationKind::Entity => "entity",
            DeclarationKind::Parameter => "parameter",
            DeclarationKind::Rule => "rule",
            DeclarationKind::Decision => "decision",
            DeclarationKind::Award => "award",
            DeclarationKind::Benefit => "benefit",
            DeclarationKind::Table => "table",
            DeclarationKind::Value => "value",
            DeclarationKind::NoStacking => "no stacking",
        }
    }
}

/// `KIND NAME [for ENTITY] [: TYPE] [= EXPR]` followed by clauses.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub kind: DeclarationKind,
    pub output: bool,
    pub name: Name,
    pub entity: Option<Name>,
    pub declared_type: Option<TypeExpr>,
    pub value: Option<Expr>,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Clause {
    pub kind: ClauseKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ClauseKind {
    Label(Text),
    Cite {
        section: Text,
        quote: Option<Text>,
    },
    Reading(Text),
    Document(Text),
    Issued(NaiveDate),
    /// `to` is absent for a policy in force until repealed.
    InForce {
        from: NaiveDate,
        to: Option<NaiveDate>,
    },
    Key(Name),
    Field(FieldDeclaration),
    Values(Vec<Text>),
    When(Expr),
    Pays {
        up_to: bool,
        amount: Expr,
        cap: Option<Expr>,
    },
    By(Vec<Expr>),
    Among(Vec<Name>),
    Row(TableRow),
}

impl ClauseKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::Label(_) => "label",
            ClauseKind::Cite { .. } => "cite",
            ClauseKind::Reading(_) => "reading",
            ClauseKind::Document(_) => "document",
            ClauseKind::Issued(_) => "issued",
            ClauseKind::InForce { .. } => "in force",
            ClauseKind::Key(_) => "key",
            ClauseKind::Field(_) => "field",
            ClauseKind::Values(_) => "values",
            ClauseKind::When(_) => "when",
            ClauseKind::Pays { .. } => "pays",
            ClauseKind::By(_) => "by",
            ClauseKind::Among(_) => "among",
            ClauseKind::Row(_) => "a table row (… => …)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FieldDeclaration {
    pub name: Name,
    pub field_type: TypeExpr,
    pub column: Text,
    pub optional: bool,
    pub blank_means: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypeExprKind {
    /// A built-in type name (`bool`, `date`, …) or an enum's name.
    Named(String),
    /// `money`, or `money in 万元` for a column written in another unit.
    Money {
        unit: Option<MoneyUnit>,
    },
    List(Box<TypeExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MoneyUnit {
    Yuan,
    TenThousandYuan,
    HundredMillionYuan,
}

impl MoneyUnit {
    pub fn yuan(self) -> Decimal {
        match self {
            MoneyUnit::Yuan => Decimal::ONE,
            MoneyUnit::TenThousandYuan => Decimal::from(10_000),
            MoneyUnit::HundredMillionYuan => Decimal::from(100_000_000),
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::TenThousandYuan => "万元",
            MoneyUnit::HundredMillionYuan => "亿元",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TableRow {
    pub pattern: RowPattern,
    pub result: Expr,
}

#[derive(Debug, Clone)]
pub enum RowPattern {
    Otherwise,
    Key(Vec<Literal>),
    Range {
        lower: Option<Bound>,
        upper: Option<Bound>,
    },
    /// `when CONDITION => …`: the row applies when the condition holds.
    Condition(Expr),
}

/// One end of a bracket: `at least X` / `at most X` include X, `above X` / `below X` do not.
#[derive(Debug, Clone)]
pub struct Bound {
    pub inclusive: bool,
    pub limit: Expr,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Literal(Literal),
    Name(String),
    AsOf,
    List(Vec<Expr>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    /// `and` / `or` chains and `all of (…)` / `any of (…)`: the same connective, written two ways.
    Connective {
        connective: Connective,
        parts: Vec<Expr>,
    },
    Binary {
        operator: BinaryOperator,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Compare {
        operator: CompareOperator,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Call {
        function: Function,
        arguments: Vec<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Connective {
    All,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinaryOperator {
    Add,
    Subtract,
    Multiply,
    Divide,
    /// `50% of amount`.
    Of,
}

impl BinaryOperator {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOperator::Add => "+",
            BinaryOperator::Subtract => "-",
            BinaryOperator::Multiply => "×",
            BinaryOperator::Divide => "÷",
            BinaryOperator::Of => "of",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompareOperator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    NotIn,
}

impl CompareOperator {
    /// The operator with its sides swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CompareOperator {
        match self {
            CompareOperator::Less => CompareOperator::Greater,
            CompareOperator::LessOrEqual => CompareOperator::GreaterOrEqual,
            CompareOperator::Greater => CompareOperator::Less,
            CompareOperator::GreaterOrEqual => CompareOperator::LessOrEqual,
            other => other,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CompareOperator::Equal => "=",
            CompareOperator::NotEqual => "≠",
            CompareOperator::Less => "<",
            CompareOperator::LessOrEqual => "≤",
            CompareOperator::Greater => ">",
            CompareOperator::GreaterOrEqual => "≥",
            CompareOperator::In => "in",
            CompareOperator::NotIn => "not in",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Function {
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralKind {
    Bool(bool),
    /// A plain number; `integer` says whether it was written without a decimal point.
    Number {
        value: Decimal,
        integer: bool,
    },
    /// Always in 元, whatever unit it was written in.
    Money(Decimal),
    /// As a fraction: `50%` is 0.5.
    Percent(Decimal),
    Date(NaiveDate),
    Duration(Period),
    Text(String),
}
