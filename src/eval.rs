//! Stage 4: deciding one record with a compiled [`Program`].
//!
//! Logic is three-valued (Kleene): a blank input is `Unknown`, anything computed from it is
//! unknown, `all of` is no as soon as one part is no and yes only when all parts are yes, `any
//! of` the reverse. Arithmetic is exact and checked: an overflow is an error on that record,
//! never a wrong amount; a division by zero is unknown.

use crate::compile::{Code, CompiledPattern, Operation, Program, StepKind};
use crate::syntax::{BinaryOperator, CompareOperator, Connective, Function, Span};
use crate::value::{Period, Value};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Why a record could not be decided. Everything else, blanks included, is an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The policy leaves this parameter without a value and the run did not `--set` it.
    MissingParameter { parameter: usize, span: Span },
    /// A result beyond the exact decimal range (about 7.9 × 10²⁸).
    Overflow { span: Span },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwardStatus {
    Paid(Decimal),
    /// Eligible, but a higher award of the same no-stacking group is paid instead.
    Superseded {
        amount: Decimal,
        by: usize,
        group: usize,
    },
    NotEligible,
    /// The condition or the amount depends on a blank input.
    Unknown,
    /// Eligible, but the amount comes to zero.
    NothingToPay,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardResult {
    /// Index of the award in the model.
    pub item: usize,
    pub condition: Option<bool>,
    /// The amount before the cap, when it was computed.
    pub amount: Option<Decimal>,
    pub cap: Option<Decimal>,
    pub status: AwardStatus,
}

/// Everything decided about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The value of every step of the program, by slot.
    pub slots: Vec<Value>,
    /// One per award of the entity, in declaration order.
    pub awards: Vec<AwardResult>,
    /// The sum of what is paid.
    pub total: Decimal,
}

impl Outcome {
    pub fn slot(&self, program: &Program, item: usize) -> &Value {
        static UNKNOWN: Value = Value::Unknown;
        program.slot_of_item.get(item).copied().flatten().and_then(|slot| self.slots.get(slot)).unwrap_or(&UNKNOWN)
    }
}

pub fn truth(value: &Value) -> Option<bool> {
    value.as_bool()
}

/// Decides every decision, award and benefit of one record (`record` holds its field values
/// in the order of the entity's fields).
pub fn decide(program: &Program, record: &[Value]) -> Result<Outcome, EvalError> {
    let mut slots: Vec<Value> = Vec::with_capacity(program.steps.len());
    let mut awards = Vec::with_capacity(program.awards.len());
    for step in &program.steps {
        let value = match &step.kind {
            StepKind::Condition(code) | StepKind::Value(code) => evaluate(code, record, &slots)?,
            StepKind::Table { keys, rows } => lookup(keys, rows, record, &slots)?.0,
            StepKind::Award { condition, up_to: _, amount, cap } => {
                let holds = match condition {
                    Some(condition) => truth(&evaluate(condition, record, &slots)?),
                    None => Some(true),
                };
                let mut result = AwardResult {
                    item: step.item,
                    condition: holds,
                    amount: None,
                    cap: None,
                    status: AwardStatus::NotEligible,
                };
                match holds {
                    Some(false) => {}
                    None => result.status = AwardStatus::Unknown,
                    Some(true) => {
                        result.amount = evaluate(amount, record, &slots)?.as_number();
                        result.cap = match cap {
                            Some(cap) => evaluate(cap, record, &slots)?.as_number(),
                            None => None,
                        };
                        let cap_unknown = cap.is_some() && result.cap.is_none();
                        result.status = match (result.amount, cap_unknown) {
                            (None, _) | (_, true) => AwardStatus::Unknown,
                            (Some(amount), false) => {
                                let paid = result.cap.map_or(amount, |cap| amount.min(cap));
                                if paid > Decimal::ZERO {
                                    AwardStatus::Paid(paid)
                                } else {
                                    AwardStatus::NothingToPay
                                }
                            }
                        };
                    }
                }
                awards.push(result);
                holds.map(Value::Bool).unwrap_or(Value::Unknown)
            }
        };
        slots.push(value);
    }
    awards.sort_by_key(|award| award.item);
    apply_no_stacking(program, &mut awards);
    let mut total = Decimal::ZERO;
    for award in &awards {
        if let AwardStatus::Paid(amount) = award.status {
            total = total.checked_add(amount).ok_or(EvalError::Overflow { span: Span::default() })?;
        }
    }
    Ok(Outcome { slots, awards, total })
}

/// Within each group only the highest paid award stays paid; the first listed wins a tie.
fn apply_no_stacking(program: &Program, awards: &mut [AwardResult]) {
    for (group, members) in &program.groups {
        let mut winner: Option<(usize, Decimal)> = None;
        for member in members {
            let Some(award) = awards.iter().find(|award| award.item == *member) else { continue };
            if let AwardStatus::Paid(amount) = award.status {
                if winner.is_none_or(|(_, best)| amount > best) {
                    winner = Some((*member, amount));
                }
            }
        }
        let Some((winning_item, _)) = winner else { continue };
        for award in awards.iter_mut() {
            if award.item != winning_item && members.contains(&award.item) {
                if let AwardStatus::Paid(amount) = award.status {
                    award.status = AwardStatus::Superseded { amount, by: winning_item, group: *group };
                }
            }
        }
    }
}

/// The value of a table for a record, and the index of the row that matched.
pub fn lookup(
    keys: &[Code],
    rows: &[crate::compile::CompiledRow],
    record: &[Value],
    slots: &[Value],
) -> Result<(Value, Option<usize>), EvalError> {
    let mut key_values = Vec::with_capacity(keys.len());
    for key in keys {
        let value = evaluate(key, record, slots)?;
        if value.is_unknown() {
            return Ok((Value::Unknown, None));
        }
        key_values.push(value);
    }
    for (index, row) in rows.iter().enumerate() {
        let matched = match &row.pattern {
            CompiledPattern::Otherwise => Some(true),
            CompiledPattern::Key(values) => Some(*values == key_values),
            CompiledPattern::Range { lower, upper } => {
                let Some(key) = key_values.first() else { return Ok((Value::Unknown, None)) };
                let mut inside = Some(true);
                if let Some((inclusive, limit)) = lower {
                    let limit = evaluate(limit, record, slots)?;
                    inside = and(
                        inside,
                        order(key, &limit).map(|ordering| {
                            ordering == Ordering::Greater || (*inclusive && ordering == Ordering::Equal)
                        }),
                    );
                }
                if let Some((inclusive, limit)) = upper {
                    let limit = evaluate(limit, record, slots)?;
                    inside = and(
                        inside,
                        order(key, &limit)
                            .map(|ordering| ordering == Ordering::Less || (*inclusive && ordering == Ordering::Equal)),
                    );
                }
                inside
            }
        };
        match matched {
            Some(true) => return Ok((evaluate(&row.result, record, slots)?, Some(index))),
            Some(false) => {}
            None => return Ok((Value::Unknown, None)),
        }
    }
    Ok((Value::Unknown, None))
}

fn and(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn order(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => Some(left.cmp(right)),
        (Value::Date(left), Value::Date(right)) => Some(left.cmp(right)),
        _ => None,
    }
}

/// Evaluates one expression of a record; `slots` holds the items computed so far.
pub fn evaluate(code: &Code, record: &[Value], slots: &[Value]) -> Result<Value, EvalError> {
    Ok(match &code.operation {
        Operation::Constant(value) | Operation::Parameter { value, .. } => value.clone(),
        Operation::MissingParameter(parameter) => {
            return Err(EvalError::MissingParameter { parameter: *parameter, span: code.span })
        }
        Operation::Field(index) => record.get(*index).cloned().unwrap_or(Value::Unknown),
        Operation::Slot(index) => slots.get(*index).cloned().unwrap_or(Value::Unknown),
        Operation::AsOf(date) => Value::Date(*date),
        Operation::List(parts) => {
            let mut values = Vec::with_capacity(parts.len());
            for part in parts {
                let value = evaluate(part, record, slots)?;
                if value.is_unknown() {
                    return Ok(Value::Unknown);
                }
                values.push(value);
            }
            Value::List(values.into())
        }
        Operation::Not(inner) => match evaluate(inner, record, slots)? {
            Value::Bool(value) => Value::Bool(!value),
            _ => Value::Unknown,
        },
        Operation::Negate(inner) => match evaluate(inner, record, slots)? {
            Value::Number(value) => Value::Number(-value),
            _ => Value::Unknown,
        },
        Operation::Connective { connective, parts } => {
            // Kleene: the deciding value (no for all, yes for any) settles it whatever the rest.
            let deciding = *connective == Connective::Any;
            let mut unknown = false;
            for part in parts {
                match evaluate(part, record, slots)? {
                    Value::Bool(value) if value == deciding => return Ok(Value::Bool(deciding)),
                    Value::Bool(_) => {}
                    _ => unknown = true,
                }
            }
            if unknown {
                Value::Unknown
            } else {
                Value::Bool(!deciding)
            }
        }
        Operation::Compare { operator, left, right } => {
            let left = evaluate(left, record, slots)?;
            let right = evaluate(right, record, slots)?;
            compare(*operator, &left, &right)
        }
        Operation::Binary { operator, left, right, .. } => {
            let left = evaluate(left, record, slots)?;
            let right = evaluate(right, record, slots)?;
            arithmetic(*operator, &left, &right).map_err(|Overflow| EvalError::Overflow { span: code.span })?
        }
        Operation::Call { function, arguments } => {
            let mut best: Option<Value> = None;
            for argument in arguments {
                let value = evaluate(argument, record, slots)?;
                if value.is_unknown() {
                    return Ok(Value::Unknown);
                }
                best = Some(match best {
                    None => value,
                    Some(current) => {
                        let keep_current = match order(&current, &value) {
                            Some(ordering) => {
                                (ordering == Ordering::Less) == (*function == Function::Min)
                                    || ordering == Ordering::Equal
                            }
                            None => true,
                        };
                        if keep_current {
                            current
                        } else {
                            value
                        }
                    }
                });
            }
            best.unwrap_or(Value::Unknown)
        }
    })
}

pub fn compare(operator: CompareOperator, left: &Value, right: &Value) -> Value {
    if left.is_unknown() || right.is_unknown() {
        return Value::Unknown;
    }
    let result = match operator {
        CompareOperator::Equal => left == right,
        CompareOperator::NotEqual => left != right,
        CompareOperator::In | CompareOperator::NotIn => {
            let Value::List(items) = right else { return Value::Unknown };
            items.contains(left) == (operator == CompareOperator::In)
        }
        CompareOperator::Less
        | CompareOperator::LessOrEqual
        | CompareOperator::Greater
        | CompareOperator::GreaterOrEqual => {
            let Some(ordering) = order(left, right) else { return Value::Unknown };
            match operator {
                CompareOperator::Less => ordering == Ordering::Less,
                CompareOperator::LessOrEqual => ordering != Ordering::Greater,
                CompareOperator::Greater => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            }
        }
    };
    Value::Bool(result)
}

/// The result left the exact decimal (or calendar) range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// Exact arithmetic; `Err` on overflow. Unknown operands and division by zero give unknown.
pub fn arithmetic(operator: BinaryOperator, left: &Value, right: &Value) -> Result<Value, Overflow> {
    Ok(match (left, right) {
        (Value::Number(left), Value::Number(right)) => {
            let result = match operator {
                BinaryOperator::Add => left.checked_add(*right),
                BinaryOperator::Subtract => left.checked_sub(*right),
                BinaryOperator::Multiply | BinaryOperator::Of => left.checked_mul(*right),
                BinaryOperator::Divide => {
                    if right.is_zero() {
                        return Ok(Value::Unknown);
                    }
                    left.checked_div(*right)
                }
            };
            Value::Number(result.ok_or(Overflow)?)
        }
        (Value::Date(date), Value::Duration(period)) | (Value::Duration(period), Value::Date(date)) => {
            let period = if operator == BinaryOperator::Subtract { period.negated() } else { *period };
            Value::Date(period.after(*date).ok_or(Overflow)?)
        }
        (Value::Duration(left), Value::Duration(right)) => {
            let sign = if operator == BinaryOperator::Subtract { -1 } else { 1 };
            let combine = |a: i32, b: i32| b.checked_mul(sign).and_then(|b| a.checked_add(b)).ok_or(Overflow);
            Value::Duration(Period {
                years: combine(left.years, right.years)?,
                months: combine(left.months, right.months)?,
                days: combine(left.days, right.days)?,
            })
        }
        _ => Value::Unknown,
    })
}
