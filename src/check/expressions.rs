//! Typing expressions in the scope of one entity.
//!
//! Types flow from the context into literals: a quoted label compared with an enum field (or
//! listed against one) becomes that enum's value here, so evaluation never compares label
//! strings, and a misspelt label is a diagnostic with a suggestion.

use super::model::*;
use super::{closest, Checker, Symbol};
use crate::diagnostic::Diagnostic;
use crate::syntax::{BinaryOperator, CompareOperator, Expr, ExprKind, Function, LiteralKind, Span};
use crate::value::Value;
use std::sync::Arc;

impl Checker {
    /// Types `expr` and reports a mismatch with `expected`; `what` names the place for the message.
    pub(super) fn expect_type(&mut self, expr: &Expr, entity: usize, expected: &Type, what: &str) -> TypedExpr {
        let typed = self.infer(expr, entity, Some(expected));
        if !self.compatible(&typed.expr_type, expected) {
            let found = self.model.type_name(&typed.expr_type);
            let wanted = self.model.type_name(expected);
            let help = match (expected, &typed.expr_type) {
                (Type::Bool, Type::Money | Type::Integer | Type::Decimal | Type::Percent) => {
                    "compare it with something, e.g. `revenue_last_year >= revenue_floor`".to_string()
                }
                (Type::Money, Type::Percent) => "take the percent of an amount: `50% of contract_amount`".to_string(),
                (Type::Money, Type::Integer | Type::Decimal) => {
                    "write the unit: `300万元`, `1.5亿元` or `500元`".to_string()
                }
                _ => format!("{what} must be {wanted}"),
            };
            self.error(
                Diagnostic::error(
                    "check::type-mismatch",
                    format!("{what} must be {wanted}, but this is {found}"),
                    expr.span,
                    format!("this is {found}"),
                )
                .with_help(help),
            );
            return TypedExpr { expr_type: Type::Error, ..typed };
        }
        // An empty list takes the type the context gives it.
        if typed.expr_type == Type::EmptyList {
            return TypedExpr { expr_type: expected.clone(), ..typed };
        }
        typed
    }

    fn compatible(&self, found: &Type, expected: &Type) -> bool {
        match (found, expected) {
            (Type::Error, _) | (_, Type::Error) => true,
            (Type::EmptyList, Type::List(_)) => true,
            (Type::Integer, Type::Decimal) => true,
            (found, expected) => found == expected,
        }
    }

    /// A constant (a parameter's value, a field's `blank means`): literals and lists of them.
    pub(super) fn constant(&mut self, expr: &Expr, expected: &Type, what: &str) -> Value {
        let typed = self.expect_type(expr, usize::MAX, expected, what);
        match constant_value(&typed) {
            Some(value) => value,
            None => {
                if !typed.expr_type.is_error() {
                    self.error(
                        Diagnostic::error(
                            "check::not-constant",
                            format!("{what} must be a constant"),
                            expr.span,
                            "computed from other things",
                        )
                        .with_help("write a literal such as `900万元`, `50%`, `2 years` or `[\"A\", \"B\"]`"),
                    );
                }
                Value::Unknown
            }
        }
    }

    pub(super) fn infer(&mut self, expr: &Expr, entity: usize, hint: Option<&Type>) -> TypedExpr {
        let span = expr.span;
        let typed = |kind: TypedExprKind, expr_type: Type| TypedExpr { kind, expr_type, span };
        match &expr.kind {
            ExprKind::Literal(literal) => {
                let (value, literal_type) = match &literal.kind {
                    LiteralKind::Bool(value) => (Value::Bool(*value), Type::Bool),
                    LiteralKind::Number { value, integer } => {
                        (Value::Number(*value), if *integer { Type::Integer } else { Type::Decimal })
                    }
                    LiteralKind::Money(value) => (Value::Number(*value), Type::Money),
                    LiteralKind::Percent(value) => (Value::Number(*value), Type::Percent),
                    LiteralKind::Date(value) => (Value::Date(*value), Type::Date),
                    LiteralKind::Duration(value) => (Value::Duration(*value), Type::Duration),
                    LiteralKind::Text(text) => {
                        if let Some(Type::Enum(enum_index)) = hint {
                            return self.enum_label(text, *enum_index, span);
                        }
                        (Value::Text(Arc::from(text.as_str())), Type::Text)
                    }
                };
                typed(TypedExprKind::Constant(value), literal_type)
            }
            ExprKind::AsOf => typed(TypedExprKind::AsOf, Type::Date),
            ExprKind::Name(name) => self.resolve_name(name, entity, span),
            ExprKind::List(elements) => {
                let element_hint = match hint {
                    Some(Type::List(element)) => Some(element.as_ref().clone()),
                    _ => None,
                };
                let mut parts = Vec::new();
                let mut element_type: Option<Type> = element_hint.clone();
                for element in elements {
                    let part = self.infer(element, entity, element_type.as_ref());
                    match &element_type {
                        None => element_type = Some(part.expr_type.clone()),
                        Some(existing) if !self.compatible(&part.expr_type, existing) => {
                            let message = format!(
                                "a list holds values of one type: this is {}, the list holds {}",
                                self.model.type_name(&part.expr_type),
                                self.model.type_name(existing)
                            );
                            self.error(
                                Diagnostic::error("check::mixed-list", message, element.span, "different type")
                                    .with_help("make every element the same kind of value"),
                            );
                        }
                        _ => {}
                    }
                    parts.push(part);
                }
                let list_type = match element_type {
                    None => Type::EmptyList,
                    Some(Type::Error) => Type::Error,
                    Some(element) => Type::List(Box::new(element)),
                };
                typed(TypedExprKind::List(parts), list_type)
            }
            ExprKind::Not(inner) => {
                let inner = self.expect_type(inner, entity, &Type::Bool, "the operand of `not`");
                typed(TypedExprKind::Not(Box::new(inner)), Type::Bool)
            }
            ExprKind::Negate(inner) => {
                let inner = self.infer(inner, entity, hint);
                if !inner.expr_type.is_numeric() && !inner.expr_type.is_error() {
                    let found = self.model.type_name(&inner.expr_type);
                    self.error(
                        Diagnostic::error(
                            "check::type-mismatch",
                            format!("cannot negate {found}"),
                            span,
                            "not a number",
                        )
                        .with_help("only numbers, money and percents have a sign"),
                    );
                    return TypedExpr::error(span);
                }
                let result_type = inner.expr_type.clone();
                typed(TypedExprKind::Negate(Box::new(inner)), result_type)
            }
            ExprKind::Connective { connective, parts } => {
                let word = match connective {
                    crate::syntax::Connective::All => "`all of` / `and`",
                    crate::syntax::Connective::Any => "`any of` / `or`",
                };
                let parts = parts
                    .iter()
                    .map(|part| self.expect_type(part, entity, &Type::Bool, &format!("each part of {word}")))
                    .collect();
                typed(TypedExprKind::Connective { connective: *connective, parts }, Type::Bool)
            }
            ExprKind::Compare { operator, left, right } => self.compare(*operator, left, right, entity, span),
            ExprKind::Binary { operator, left, right } => self.binary(*operator, left, right, entity, span),
            ExprKind::Call { function, arguments } => {
                let mut typed_arguments: Vec<TypedExpr> = Vec::new();
                for argument in arguments {
                    let argument_hint = typed_arguments.first().map(|first| first.expr_type.clone());
                    typed_arguments.push(self.infer(argument, entity, argument_hint.as_ref().or(hint)));
                }
                let name = match function {
                    Function::Min => "min",
                    Function::Max => "max",
                };
                if typed_arguments.len() < 2 {
                    self.error(
                        Diagnostic::error(
                            "check::arity",
                            format!("`{name}` takes two or more values"),
                            span,
                            format!("{} given", typed_arguments.len()),
                        )
                        .with_help(format!("e.g. `{name}(contract_amount, 100万元)`")),
                    );
                    return TypedExpr::error(span);
                }
                let mut result_type = Type::Error;
                for argument in &typed_arguments {
                    let argument_type = &argument.expr_type;
                    if argument_type.is_error() {
                        continue;
                    }
                    if !(argument_type.is_numeric() || *argument_type == Type::Date) {
                        let found = self.model.type_name(argument_type);
                        self.error(
                            Diagnostic::error(
                                "check::type-mismatch",
                                format!("`{name}` compares numbers, money, percents or dates, not {found}"),
                                argument.span,
                                format!("this is {found}"),
                            )
                            .with_help("give it values that can be ordered"),
                        );
                        return TypedExpr::error(span);
                    }
                    result_type = match (&result_type, argument_type) {
                        (Type::Error, next) => next.clone(),
                        (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => Type::Decimal,
                        (current, next) if current == next => current.clone(),
                        (current, next) => {
                            let message = format!(
                                "`{name}` of {} and {}",
                                self.model.type_name(current),
                                self.model.type_name(next)
                            );
                            self.error(
                                Diagnostic::error(
                                    "check::type-mismatch",
                                    message,
                                    argument.span,
                                    "different kind of value",
                                )
                                .with_help("all values given to min / max must be of one kind"),
                            );
                            return TypedExpr::error(span);
                        }
                    };
                }
                typed(TypedExprKind::Call { function: *function, arguments: typed_arguments }, result_type)
            }
        }
    }

    fn enum_label(&mut self, text: &str, enum_index: usize, span: Span) -> TypedExpr {
        let Some(definition) = self.model.enums.get(enum_index) else { return TypedExpr::error(span) };
        match definition.labels.iter().position(|label| label == text) {
            Some(position) => TypedExpr {
                kind: TypedExprKind::Constant(Value::Enum(u32::try_from(position).unwrap_or(u32::MAX))),
                expr_type: Type::Enum(enum_index),
                span,
            },
            None => {
                let suggestion = closest(text, definition.labels.iter().map(String::as_str)).map(str::to_string);
                let labels = definition.labels.join("\", \"");
                let name = definition.name.clone();
                self.error(
                    Diagnostic::error(
                        "check::unknown-label",
                        format!("\"{text}\" is not a value of `{name}`"),
                        span,
                        "no such label",
                    )
                    .with_help(match suggestion {
                        Some(suggestion) => format!("did you mean \"{suggestion}\"? `{name}` is one of \"{labels}\""),
                        None => format!("`{name}` is one of \"{labels}\""),
                    }),
                );
                TypedExpr::error(span)
            }
        }
    }

    fn resolve_name(&mut self, name: &str, entity: usize, span: Span) -> TypedExpr {
        if let Some(entity_definition) = self.model.entities.get(entity) {
            if let Some(index) = entity_definition.fields.iter().position(|field| field.name == name) {
                let field_type =
                    entity_definition.fields.get(index).map(|field| field.field_type.clone()).unwrap_or(Type::Error);
                return TypedExpr { kind: TypedExprKind::Field(index), expr_type: field_type, span };
            }
        }
        match self.symbols.get(name).copied() {
            Some((Symbol::Parameter(index), _)) => {
                if let Some(used) = self.used_parameters.get_mut(index) {
                    *used = true;
                }
                let parameter_type = self
                    .model
                    .parameters
                    .get(index)
                    .map(|parameter| parameter.parameter_type.clone())
                    .unwrap_or(Type::Error);
                TypedExpr { kind: TypedExprKind::Parameter(index), expr_type: parameter_type, span }
            }
            Some((Symbol::Item(index), declared_at)) => {
                if let Some(used) = self.used_items.get_mut(index) {
                    *used = true;
                }
                let Some(item) = self.model.items.get(index) else { return TypedExpr::error(span) };
                if entity == usize::MAX {
                    return self.not_a_value(name, "a constant cannot depend on a record", span);
                }
                if item.entity != entity && item.entity != usize::MAX {
                    let item_entity =
                        self.model.entities.get(item.entity).map(|entity| entity.name.clone()).unwrap_or_default();
                    let this_entity =
                        self.model.entities.get(entity).map(|entity| entity.name.clone()).unwrap_or_default();
                    let keyword = item.kind.keyword();
                    self.error(
                        Diagnostic::error(
                            "check::wrong-entity",
                            format!("the {keyword} `{name}` decides {item_entity} records, not {this_entity} records"),
                            span,
                            format!("a {item_entity} {keyword}"),
                        )
                        .with_label(declared_at, "declared here")
                        .with_help(format!("what is declared `for {this_entity}` can only use the fields of {this_entity}, parameters and other declarations `for {this_entity}`")),
                    );
                    return TypedExpr::error(span);
                }
                TypedExpr { kind: TypedExprKind::Item(index), expr_type: item.item_type.clone(), span }
            }
            Some((Symbol::Enum(_), _)) => {
                self.not_a_value(name, "is an enum (a type), not a value; quote one of its labels", span)
            }
            Some((Symbol::Entity(_), _)) => self.not_a_value(name, "is an entity; refer to its fields by name", span),
            Some((Symbol::Group(_), _)) => self.not_a_value(name, "is a no-stacking group, not a value", span),
            Some((Symbol::Unparsed, _)) => TypedExpr::error(span),
            Some((Symbol::Policy, _)) | None => {
                let mut candidates: Vec<String> = self
                    .model
                    .entities
                    .get(entity)
                    .map(|entity| entity.fields.iter().map(|field| field.name.clone()).collect())
                    .unwrap_or_default();
                candidates.extend(self.model.parameters.iter().map(|parameter| parameter.name.clone()));
                candidates
                    .extend(self.model.items.iter().filter(|item| item.entity == entity).map(|item| item.name.clone()));
                self.unknown_name_error(name, span, candidates);
                TypedExpr::error(span)
            }
        }
    }

    fn not_a_value(&mut self, name: &str, why: &str, span: Span) -> TypedExpr {
        self.error(
            Diagnostic::error("check::not-a-value", format!("`{name}` cannot be used here"), span, "not a value")
                .with_help(format!("`{name}` {why}")),
        );
        TypedExpr::error(span)
    }

    fn compare(
        &mut self,
        operator: CompareOperator,
        left: &Expr,
        right: &Expr,
        entity: usize,
        span: Span,
    ) -> TypedExpr {
        let membership = matches!(operator, CompareOperator::In | CompareOperator::NotIn);
        // Type the side that is not a bare literal first, so that labels take its type.
        let left_is_literal = is_literal_like(left);
        let (typed_left, typed_right) = if left_is_literal && !is_literal_like(right) {
            let typed_right = self.infer(right, entity, None);
            let left_hint = match (&typed_right.expr_type, membership) {
                (Type::List(element), true) => Some(element.as_ref().clone()),
                (other, false) => Some(other.clone()),
                _ => None,
            };
            (self.infer(left, entity, left_hint.as_ref()), typed_right)
        } else {
            let typed_left = self.infer(left, entity, None);
            let right_hint = if membership {
                Type::List(Box::new(typed_left.expr_type.clone()))
            } else {
                typed_left.expr_type.clone()
            };
            let typed_right = self.infer(right, entity, Some(&right_hint));
            (typed_left, typed_right)
        };
        let left_type = typed_left.expr_type.clone();
        let right_type = typed_right.expr_type.clone();
        let result = |left: TypedExpr, right: TypedExpr| TypedExpr {
            kind: TypedExprKind::Compare { operator, left: Box::new(left), right: Box::new(right) },
            expr_type: Type::Bool,
            span,
        };
        if left_type.is_error() || right_type.is_error() {
            return result(typed_left, typed_right);
        }
        let left_name = self.model.type_name(&left_type);
        let right_name = self.model.type_name(&right_type);
        if membership {
            let fits = match &right_type {
                Type::List(element) => self.compatible(&left_type, element) || self.compatible(element, &left_type),
                Type::EmptyList => true,
                _ => false,
            };
            if !fits {
                let help = if matches!(right_type, Type::List(_) | Type::EmptyList) {
                    format!("`in` looks for a {left_name} in a list of {left_name}")
                } else {
                    format!("`in` needs a list on its right, e.g. `{} in [\"A\", \"B\"]`", snippet_hint(left))
                };
                self.error(
                    Diagnostic::error(
                        "check::type-mismatch",
                        format!("cannot look for {left_name} in {right_name}"),
                        span,
                        "mismatched `in`",
                    )
                    .with_label(typed_right.span, format!("this is {right_name}"))
                    .with_help(help),
                );
                return TypedExpr::error(span);
            }
            return result(typed_left, typed_right);
        }
        let same = self.compatible(&left_type, &right_type) || self.compatible(&right_type, &left_type);
        let ordered = matches!(
            operator,
            CompareOperator::Less
                | CompareOperator::LessOrEqual
                | CompareOperator::Greater
                | CompareOperator::GreaterOrEqual
        );
        if !same {
            let help = match (&left_type, &right_type) {
                (Type::Money, Type::Integer | Type::Decimal) | (Type::Integer | Type::Decimal, Type::Money) => {
                    "amounts need their unit: write `900万元`, not `900`".to_string()
                }
                (Type::Date, Type::Duration) | (Type::Duration, Type::Date) => {
                    "to test an age, add the duration to the date: `registered_on + 2 years <= as_of`".to_string()
                }
                (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_)) => {
                    "compare an enum with one of its quoted labels".to_string()
                }
                _ => format!("compare {left_name} with {left_name}"),
            };
            self.error(
                Diagnostic::error(
                    "check::type-mismatch",
                    format!("cannot compare {left_name} with {right_name}"),
                    span,
                    "mismatched comparison",
                )
                .with_label(typed_left.span, left_name.clone())
                .with_label(typed_right.span, right_name.clone())
                .with_help(help),
            );
            return TypedExpr::error(span);
        }
        if ordered && !(left_type.is_numeric() || left_type == Type::Date) {
            self.error(
                Diagnostic::error(
                    "check::type-mismatch",
                    format!("{left_name} values have no order"),
                    span,
                    "cannot use <, >, ≤ or ≥ here",
                )
                .with_help("use `=`, `≠` or `in` for text, enums and conditions"),
            );
            return TypedExpr::error(span);
        }
        result(typed_left, typed_right)
    }

    fn binary(&mut self, operator: BinaryOperator, left: &Expr, right: &Expr, entity: usize, span: Span) -> TypedExpr {
        let typed_left = self.infer(left, entity, None);
        let typed_right = self.infer(right, entity, None);
        let (left_type, right_type) = (&typed_left.expr_type, &typed_right.expr_type);
        if left_type.is_error() || right_type.is_error() {
            return TypedExpr::error(span);
        }
        use BinaryOperator::*;
        use Type::*;
        let result_type = match (operator, left_type, right_type) {
            (Add | Subtract, Integer, Integer) => Some(Integer),
            (Add | Subtract, Integer | Decimal, Integer | Decimal) => Some(Decimal),
            (Add | Subtract, Money, Money) => Some(Money),
            (Add | Subtract, Percent, Percent) => Some(Percent),
            (Add | Subtract, Date, Duration) => Some(Date),
            (Add, Duration, Date) => Some(Date),
            (Add | Subtract, Duration, Duration) => Some(Duration),
            (Multiply, Integer, Integer) => Some(Integer),
            (Multiply, Integer | Decimal, Integer | Decimal) => Some(Decimal),
            (Multiply, Money, Integer | Decimal | Percent) | (Multiply, Integer | Decimal | Percent, Money) => {
                Some(Money)
            }
            (Multiply, Percent, Percent) => Some(Percent),
            (Multiply, Percent, Integer | Decimal) | (Multiply, Integer | Decimal, Percent) => Some(Percent),
            (Of, Percent, Money) => Some(Money),
            (Of, Percent, Integer | Decimal) => Some(Decimal),
            (Of, Percent, Percent) => Some(Percent),
            (Divide, Money, Money) => Some(Percent),
            (Divide, Money, Integer | Decimal) => Some(Money),
            (Divide, Integer | Decimal, Integer | Decimal) => Some(Decimal),
            (Divide, Percent, Percent) => Some(Decimal),
            (Divide, Percent, Integer | Decimal) => Some(Percent),
            _ => None,
        };
        match result_type {
            Some(result_type) => TypedExpr {
                kind: TypedExprKind::Binary { operator, left: Box::new(typed_left), right: Box::new(typed_right) },
                expr_type: result_type,
                span,
            },
            None => {
                let left_name = self.model.type_name(left_type);
                let right_name = self.model.type_name(right_type);
                let verb = match operator {
                    Add => "add",
                    Subtract => "subtract",
                    Multiply => "multiply",
                    Divide => "divide",
                    Of => "take",
                };
                let message = match operator {
                    Add => format!("cannot add {right_name} to {left_name}"),
                    Subtract => format!("cannot subtract {right_name} from {left_name}"),
                    Of => format!("cannot take {left_name} of {right_name}"),
                    _ => format!("cannot {verb} {left_name} by {right_name}"),
                };
                let help = match (operator, left_type, right_type) {
                    (Add | Subtract, Money, Percent) | (Add | Subtract, Percent, Money) => {
                        "a percent is a share, not an amount: write `50% of amount` for the share, or add two amounts"
                            .to_string()
                    }
                    (Of, _, _) => "`of` takes a percent of an amount: `50% of contract_amount`".to_string(),
                    (Subtract, Date, Date) => {
                        "compare dates directly, or add a duration: `registered_on + 2 years <= as_of`".to_string()
                    }
                    (Multiply, Money, Money) => {
                        "multiply an amount by a number or a percent, not by another amount".to_string()
                    }
                    _ => format!(
                        "both sides must be numbers of the same kind; this is {left_name} {} {right_name}",
                        operator.symbol()
                    ),
                };
                self.error(
                    Diagnostic::error("check::type-mismatch", message, span, "mismatched arithmetic")
                        .with_label(typed_left.span, left_name.clone())
                        .with_label(typed_right.span, right_name.clone())
                        .with_help(help),
                );
                TypedExpr::error(span)
            }
        }
    }
}

/// Literals and lists of literals take their type from the other side of a comparison.
fn is_literal_like(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Literal(_) => true,
        ExprKind::List(parts) => parts.iter().all(is_literal_like),
        _ => false,
    }
}

fn snippet_hint(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Name(name) => name.clone(),
        _ => "value".into(),
    }
}

/// The value of a constant expression, if it is one.
pub(crate) fn constant_value(expr: &TypedExpr) -> Option<Value> {
    match &expr.kind {
        TypedExprKind::Constant(value) => Some(value.clone()),
        TypedExprKind::List(parts) => {
            let values: Option<Vec<Value>> = parts.iter().map(constant_value).collect();
            values.map(|values| Value::List(Arc::from(values)))
        }
        TypedExprKind::Negate(inner) => match constant_value(inner)? {
            Value::Number(number) => Some(Value::Number(-number)),
            _ => None,
        },
        _ => None,
    }
}
