//! Tier tables: typing their keys and rows, and the warnings about brackets that overlap or
//! leave gaps (a value that falls in no row decides nothing).

use super::expressions::constant_value;
use super::model::*;
use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::syntax::{ClauseKind, Declaration, Expr, ExprKind, RowPattern, Span};
use crate::value::Value;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// One end of a bracket with a known limit; `None` in a bracket means unbounded.
#[derive(Debug, Clone, Copy)]
struct End {
    limit: Decimal,
    inclusive: bool,
}

#[derive(Debug, Clone, Copy)]
struct Bracket {
    lower: Option<End>,
    upper: Option<End>,
    span: Span,
}

impl Checker {
    pub(super) fn check_table(
        &mut self,
        declaration: &Declaration,
        entity: usize,
        result_type: &Type,
    ) -> (Vec<TypedExpr>, Vec<Row>, bool) {
        let mut keys = Vec::new();
        let mut rows = Vec::new();
        for clause in &declaration.clauses {
            if let ClauseKind::By(expressions) = &clause.kind {
                keys = expressions.iter().map(|expr| self.infer(expr, entity, None)).collect();
            }
        }
        // Only key and bracket rows look something up; condition rows stand on their own.
        let looks_up = declaration.clauses.iter().any(|clause| {
            matches!(&clause.kind, ClauseKind::Row(row) if matches!(row.pattern, RowPattern::Key(_) | RowPattern::Range { .. }))
        });
        if keys.is_empty() && looks_up {
            self.error(
                Diagnostic::error(
                    "check::missing-key-expression",
                    format!("the table `{}` does not say what it looks up", declaration.name.text),
                    declaration.name.span,
                    "needs `by`",
                )
                .with_help("add `by FIELD` (or `by FIELD, FIELD` for a two-way table) before the rows"),
            );
            return (keys, rows, false);
        }
        let key_types: Vec<Type> = keys.iter().map(|key| key.expr_type.clone()).collect();
        let mut otherwise_span: Option<Span> = None;
        for clause in &declaration.clauses {
            let ClauseKind::Row(row) = &clause.kind else { continue };
            if let Some(otherwise) = otherwise_span {
                self.error(
                    Diagnostic::warning(
                        "check::unreachable-row",
                        "this row comes after `otherwise` and never applies",
                        clause.span,
                        "never used",
                    )
                    .with_label(otherwise, "every value left stops here")
                    .with_help("move `otherwise` to the end of the table"),
                );
            }
            let pattern = match &row.pattern {
                RowPattern::Otherwise => {
                    otherwise_span = Some(clause.span);
                    Pattern::Otherwise
                }
                RowPattern::Condition(condition) => {
                    Pattern::Condition(self.expect_type(condition, entity, &Type::Bool, "a row's condition"))
                }
                RowPattern::Key(literals) => {
                    if literals.len() != keys.len() {
                        self.error(
                            Diagnostic::error(
                                "check::row-arity",
                                format!("this row gives {} values but the table is looked up by {}", literals.len(), keys.len()),
                                clause.span,
                                "wrong number of values",
                            )
                            .with_help("write one value per `by` expression, in the same order: `(\"特色产业集群\", \"省级\") => 50万元`"),
                        );
                        continue;
                    }
                    let mut values = Vec::new();
                    for (literal, key_type) in literals.iter().zip(&key_types) {
                        let expr = Expr { kind: ExprKind::Literal(literal.clone()), span: literal.span };
                        let typed = self.expect_type(&expr, entity, key_type, "a row's key");
                        values.push(constant_value(&typed).unwrap_or(Value::Unknown));
                    }
                    Pattern::Key(values)
                }
                RowPattern::Range { lower, upper } => {
                    let key_type = key_types.first().cloned().unwrap_or(Type::Error);
                    if keys.len() != 1 {
                        self.error(
                            Diagnostic::error(
                                "check::row-arity",
                                "a bracket row needs a table looked up by one value",
                                clause.span,
                                "bracket",
                            )
                            .with_help("look bracket tables up by a single number, amount, percent or date"),
                        );
                        continue;
                    }
                    if !(key_type.is_numeric() || key_type == Type::Date || key_type.is_error()) {
                        let name = self.model.type_name(&key_type);
                        self.error(
                            Diagnostic::error(
                                "check::type-mismatch",
                                format!("brackets need an ordered key, but the table is looked up by {name}"),
                                clause.span,
                                "bracket",
                            )
                            .with_help("use key rows (`\"A\" => …`) for text and enums"),
                        );
                        continue;
                    }
                    let mut bound = |bound: &Option<crate::syntax::Bound>| {
                        bound.as_ref().map(|bound| TypedBound {
                            inclusive: bound.inclusive,
                            limit: self.expect_type(&bound.limit, entity, &key_type, "a bracket bound"),
                        })
                    };
                    let lower = bound(lower);
                    let upper = bound(upper);
                    Pattern::Range { lower, upper }
                }
            };
            let result = self.expect_type(&row.result, entity, result_type, "a row's result");
            rows.push(Row { pattern, result, span: clause.span });
        }
        if rows.is_empty() {
            self.error(
                Diagnostic::error(
                    "check::empty-table",
                    format!("the table `{}` has no rows", declaration.name.text),
                    declaration.name.span,
                    "no rows",
                )
                .with_help("add rows such as `\"省级\" => 20万元`, `at least 5% => 20` or `when FIELD >= 1 => 20`"),
            );
        }
        let key_type = key_types.first().cloned().unwrap_or(Type::Error);
        let has_otherwise = otherwise_span.is_some();
        let brackets_complete = self.check_brackets(&rows, has_otherwise, declaration.name.span, &key_type);
        let keys_complete = self.check_key_rows(&rows, &key_types, has_otherwise, declaration.name.span);
        (keys, rows, has_otherwise || brackets_complete || keys_complete)
    }

    /// Warns about overlaps and gaps; true when the brackets certainly cover every value.
    fn check_brackets(&mut self, rows: &[Row], has_otherwise: bool, table_span: Span, key_type: &Type) -> bool {
        let show = |limit: Decimal| limit_text(limit, key_type);
        let mut brackets = Vec::new();
        for row in rows {
            let Pattern::Range { lower, upper } = &row.pattern else { continue };
            let end = |bound: &Option<TypedBound>| -> Result<Option<End>, ()> {
                match bound {
                    None => Ok(None),
                    Some(bound) => match constant_value(&bound.limit) {
                        Some(Value::Number(limit)) => Ok(Some(End { limit, inclusive: bound.inclusive })),
                        _ => Err(()),
                    },
                }
            };
            // Bounds that are not constants (parameters, dates) are not analysed.
            let (Ok(lower), Ok(upper)) = (end(lower), end(upper)) else { return false };
            brackets.push(Bracket { lower, upper, span: row.span });
        }
        if brackets.is_empty() {
            return false;
        }
        for (index, first) in brackets.iter().enumerate() {
            for second in brackets.iter().skip(index + 1) {
                if let Some(shared) = overlap(first, second) {
                    let shared = match shared {
                        (Some(lower), Some(upper)) if lower.limit == upper.limit => {
                            format!("{} falls in both", show(lower.limit))
                        }
                        (Some(lower), Some(upper)) => {
                            format!("values from {} to {} fall in both", show(lower.limit), show(upper.limit))
                        }
                        (Some(lower), None) => format!("values from {} up fall in both", show(lower.limit)),
                        (None, Some(upper)) => format!("values up to {} fall in both", show(upper.limit)),
                        (None, None) => "every value falls in both".to_string(),
                    };
                    self.error(
                        Diagnostic::warning("check::overlapping-brackets", format!("these brackets overlap: {shared}; the first row wins"), second.span, "overlaps an earlier row")
                            .with_label(first.span, "earlier row")
                            .with_help("make the boundary explicit: one row `at least X`, the next `below X` (or `at most X` and `above X`)"),
                    );
                }
            }
        }
        if has_otherwise {
            return true;
        }
        let mut sorted = brackets.clone();
        sorted.sort_by(|left, right| compare_lower(left.lower, right.lower));
        let mut covered: Option<Option<End>> = None; // None = nothing yet; Some(None) = up to +∞
        let mut gaps = Vec::new();
        for bracket in &sorted {
            match covered {
                None => {
                    if let Some(lower) = bracket.lower {
                        gaps.push(format!(
                            "{} {}",
                            if lower.inclusive { "below" } else { "at most" },
                            show(lower.limit)
                        ));
                    }
                }
                Some(None) => {}
                Some(Some(reach)) => {
                    if let Some(gap) = gap_between(reach, bracket.lower, &show) {
                        gaps.push(gap);
                    }
                }
            }
            covered = Some(match (covered, bracket.upper) {
                (Some(None), _) | (_, None) => None,
                (None, Some(upper)) => Some(upper),
                (Some(Some(reach)), Some(upper)) => Some(further(reach, upper)),
            });
        }
        if let Some(Some(reach)) = covered {
            gaps.push(format!("{} {}", if reach.inclusive { "above" } else { "at least" }, show(reach.limit)));
        }
        if !gaps.is_empty() {
            self.error(
                Diagnostic::warning(
                    "check::bracket-gap",
                    format!("no row covers values {}", gaps.join(", ")),
                    table_span,
                    "brackets leave a gap",
                )
                .with_help("such a value decides nothing (unknown): add a row for it, or an `otherwise` row"),
            );
        }
        gaps.is_empty()
            && brackets.len() == rows.iter().filter(|row| matches!(row.pattern, Pattern::Range { .. })).count()
    }

    /// Warns about repeated keys and enum combinations no row lists; true when the rows list
    /// every combination.
    fn check_key_rows(&mut self, rows: &[Row], key_types: &[Type], has_otherwise: bool, table_span: Span) -> bool {
        let mut seen: Vec<(&Vec<Value>, Span)> = Vec::new();
        for row in rows {
            let Pattern::Key(values) = &row.pattern else { continue };
            if let Some((_, first)) = seen.iter().find(|(existing, _)| *existing == values) {
                self.error(
                    Diagnostic::warning(
                        "check::overlapping-rows",
                        "two rows have the same key: the second never applies",
                        row.span,
                        "repeated key",
                    )
                    .with_label(*first, "first row")
                    .with_help("remove one of them"),
                );
            }
            seen.push((values, row.span));
        }
        if has_otherwise || seen.is_empty() {
            return false;
        }
        // With enum and yes/no keys every combination can be listed; report the ones no row covers.
        let mut label_counts = Vec::new();
        for key_type in key_types {
            let count = match key_type {
                Type::Bool => 2,
                Type::Enum(index) => match self.model.enums.get(*index) {
                    Some(definition) => definition.labels.len(),
                    None => return false,
                },
                _ => return false,
            };
            label_counts.push(count);
        }
        let mut missing = Vec::new();
        let total = label_counts.iter().fold(1usize, |product, count| product.saturating_mul(*count));
        for combination in 0..total.min(10_000) {
            let mut rest = combination;
            let mut values = Vec::new();
            for (count, key_type) in label_counts.iter().zip(key_types) {
                let count = (*count).max(1);
                let position = rest % count;
                values.push(match key_type {
                    Type::Bool => Value::Bool(position == 1),
                    _ => Value::Enum(u32::try_from(position).unwrap_or(0)),
                });
                rest /= count;
            }
            if !seen.iter().any(|(existing, _)| **existing == values) {
                missing.push(self.describe_key(&values, key_types));
            }
        }
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(5).cloned().collect();
            let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
            self.error(
                Diagnostic::warning(
                    "check::table-gap",
                    format!("no row for {}{}", shown.join(", "), more),
                    table_span,
                    "rows leave a gap",
                )
                .with_help("a record with such a key decides nothing (unknown): add its row, or an `otherwise` row"),
            );
        }
        missing.is_empty() && total <= 10_000
    }

    fn describe_key(&self, values: &[Value], key_types: &[Type]) -> String {
        let labels: Vec<String> = values
            .iter()
            .zip(key_types)
            .map(|(value, key_type)| match (value, key_type) {
                (Value::Enum(label), Type::Enum(index)) => self
                    .model
                    .enums
                    .get(*index)
                    .and_then(|definition| definition.labels.get(*label as usize))
                    .map(|label| format!("\"{label}\""))
                    .unwrap_or_default(),
                (Value::Bool(value), _) => value.to_string(),
                _ => String::new(),
            })
            .collect();
        format!("({})", labels.join(", "))
    }
}

fn compare_lower(left: Option<End>, right: Option<End>) -> Ordering {
    match (left, right) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(left), Some(right)) => left.limit.cmp(&right.limit).then(right.inclusive.cmp(&left.inclusive)),
    }
}

/// The values two brackets share, as their lower and upper ends; `None` when they share none.
fn overlap(first: &Bracket, second: &Bracket) -> Option<(Option<End>, Option<End>)> {
    // The higher of the two lower ends against the lower of the two upper ends.
    let lower = match (first.lower, second.lower) {
        (None, other) | (other, None) => other,
        (Some(left), Some(right)) => Some(match left.limit.cmp(&right.limit) {
            Ordering::Greater => left,
            Ordering::Less => right,
            Ordering::Equal => End { limit: left.limit, inclusive: left.inclusive && right.inclusive },
        }),
    };
    let upper = match (first.upper, second.upper) {
        (None, other) | (other, None) => other,
        (Some(left), Some(right)) => Some(match left.limit.cmp(&right.limit) {
            Ordering::Less => left,
            Ordering::Greater => right,
            Ordering::Equal => End { limit: left.limit, inclusive: left.inclusive && right.inclusive },
        }),
    };
    let shares = match (lower, upper) {
        (None, _) | (_, None) => true,
        (Some(lower), Some(upper)) => match lower.limit.cmp(&upper.limit) {
            Ordering::Less => true,
            Ordering::Equal => lower.inclusive && upper.inclusive,
            Ordering::Greater => false,
        },
    };
    shares.then_some((lower, upper))
}

/// The values between what is covered so far (`reach`) and the next bracket's lower end.
fn gap_between(reach: End, next_lower: Option<End>, show: &dyn Fn(Decimal) -> String) -> Option<String> {
    let lower = next_lower?;
    let touches = match reach.limit.cmp(&lower.limit) {
        Ordering::Greater => true,
        Ordering::Equal => reach.inclusive || lower.inclusive,
        Ordering::Less => false,
    };
    if touches {
        return None;
    }
    if reach.limit == lower.limit {
        return Some(format!("equal to {}", show(reach.limit)));
    }
    Some(format!(
        "{} {} and {} {}",
        if reach.inclusive { "above" } else { "at least" },
        show(reach.limit),
        if lower.inclusive { "below" } else { "at most" },
        show(lower.limit)
    ))
}

/// A bracket limit as the policy writes it: `5%`, `900万元`, `20`.
fn limit_text(limit: Decimal, key_type: &Type) -> String {
    match key_type {
        Type::Percent => format!("{}%", limit.checked_mul(Decimal::ONE_HUNDRED).unwrap_or(limit).normalize()),
        Type::Money => crate::output::money_text(limit),
        _ => limit.normalize().to_string(),
    }
}

fn further(reach: End, upper: End) -> End {
    match reach.limit.cmp(&upper.limit) {
        Ordering::Greater => reach,
        Ordering::Less => upper,
        Ordering::Equal => End { limit: reach.limit, inclusive: reach.inclusive || upper.inclusive },
    }
}
