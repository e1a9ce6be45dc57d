//! Stage 4: deciding one record with a compiled [`Program`].
//!
//! Logic is three-valued (Kleene): a blank input is `Unknown`, anything computed from it is
//! unknown, `all of` is no as soon as one part is no and yes only when all parts are yes, `any
//! of` the reverse. Arithmetic is exact and checked: an overflow is an error on that record,
//! never a wrong amount; a division by zero is unknown.
//!
//! Unknown numbers may carry bounds ([`Value::Between`]): a table whose key is blank gives any
//! of its rows' results, so its value lies between the smallest and the largest of them. Sums,
//! differences, products, `min`/`max` and comparisons carry the bounds along, which is what lets
//! a scorecard say *yes* when the known points already reach the threshold, and *no* when even
//! the best of the unknown ones cannot. Bounds are always sound (every completion of the blanks
//! lies within them) but may be wider than necessary when one blank feeds two summands.

use crate::compile::{Code, CompiledPattern, Operation, Program, StepKind};
use crate::plan::{Failure, Masks, Operand, PlannedStep};
use crate::syntax::{BinaryOperator, CompareOperator, Connective, Function, Span};
use crate::value::{Period, Value};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

/// Why a record could not be decided. Everything else, blanks included, is an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalError {
    /// The policy leaves this parameter without a value and the run did not `--set` it.
    MissingParameter { parameter: usize, span: Span },
    /// A result beyond the exact decimal range (about 7.9 × 10²⁸).
    Overflow { span: Span },
}

impl EvalError {
    /// The error in words, naming the parameter (with its citation) and how to give it.
    pub fn message(&self, model: &crate::check::Model) -> String {
        match self {
            EvalError::MissingParameter { parameter, .. } => {
                let definition = model.parameters.get(*parameter);
                let name = definition.map(|definition| definition.name.as_str()).unwrap_or("?");
                let citation = definition
                    .and_then(|definition| definition.provenance.citation.clone())
                    .map(|citation| format!(" [{citation}]"))
                    .unwrap_or_default();
                format!("the parameter `{name}`{citation} has no value in the policy and this record needs it; give it with --set {name}=VALUE")
            }
            EvalError::Overflow { .. } => {
                "an amount on this record is beyond the exact decimal range (overflow)".to_string()
            }
        }
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    let mut outcome = Outcome::default();
    decide_into(program, record, &mut outcome)?;
    Ok(outcome)
}

/// [`decide`] into an outcome whose vectors are reused from record to record (a worker decides
/// thousands with one). On an error the outcome is no decision: it holds what was decided up
/// to the step that failed, its later slots unknown and its later awards not eligible.
pub fn decide_into(program: &Program, record: &[Value], outcome: &mut Outcome) -> Result<(), EvalError> {
    let Outcome { slots, awards, total: outcome_total } = outcome;
    // Every slot is there from the start, unknown, and a step writes its own: a truth is then
    // two bytes written in place, not a whole value put together and copied (which the
    // processor cannot forward from the small writes that made it: a stall at every step).
    // A step reads only the slots of the steps before it.
    slots.clear();
    slots.resize_with(program.steps.len(), || Value::Unknown);
    // Likewise every award is there from the start, not eligible, and its step changes that.
    awards.clear();
    awards.extend(program.awards.iter().map(|item| AwardResult::not_eligible(*item)));
    *outcome_total = Decimal::ZERO;
    let failure = Failure::default();
    let mut masks = program.plan.masks(record);
    let plan = &program.plan;
    for (index, ((step, planned), slot_bit)) in
        program.steps.iter().zip(&plan.steps).zip(plan.slot_bits.iter()).enumerate()
    {
        // Whether the step may have met an error: checked only then, a step being a few
        // instructions when its condition reads masks.
        let can_fail = match planned {
            PlannedStep::Condition(condition) => {
                let truth = condition.truth(record, slots, &masks, &failure);
                set_truth(slots, &mut masks, index, *slot_bit, truth);
                condition.can_fail
            }
            PlannedStep::Value(operand) => {
                let value = operand.with_value(record, slots, &failure, Value::clone);
                set_value(slots, &mut masks, index, *slot_bit, value);
                true
            }
            PlannedStep::Table => {
                if let StepKind::Table { keys, rows, complete } = &step.kind {
                    let value = lookup(keys, rows, *complete, record, slots)?.0;
                    set_value(slots, &mut masks, index, *slot_bit, value);
                }
                false
            }
            PlannedStep::Award { condition, amount, cap, can_fail, position } => {
                // Errors wait for the end of the step: the first one met is what it reports.
                let holds = match condition {
                    Some(condition) => condition.truth(record, slots, &masks, &failure),
                    None => Some(true),
                };
                if let (Some(result), false) = (awards.get_mut(*position), holds == Some(false)) {
                    *result = decide_award(step.item, holds, amount, cap.as_ref(), record, slots, &failure);
                }
                set_truth(slots, &mut masks, index, *slot_bit, holds);
                *can_fail
            }
        };
        if can_fail {
            failure.take()?;
        }
    }
    apply_no_stacking(program, awards);
    let mut total = Decimal::ZERO;
    for award in awards.iter() {
        if let AwardStatus::Paid(amount) = award.status {
            total = total.checked_add(amount).ok_or(EvalError::Overflow { span: Span::default() })?;
        }
    }
    *outcome_total = total;
    Ok(())
}

/// An award whose condition holds or is unknown (`holds`): its amount, cap and status.
fn decide_award(
    item: usize,
    holds: Option<bool>,
    amount: &Operand,
    cap: Option<&Operand>,
    record: &[Value],
    slots: &[Value],
    failure: &Failure,
) -> AwardResult {
    if holds.is_none() {
        return AwardResult { status: AwardStatus::Unknown, condition: None, ..AwardResult::not_eligible(item) };
    }
    let amount = amount.with_value(record, slots, failure, Value::as_number);
    let (cap, cap_unknown) = match cap {
        Some(cap) => {
            let cap = cap.with_value(record, slots, failure, Value::as_number);
            (cap, cap.is_none())
        }
        None => (None, false),
    };
    let status = match (amount, cap_unknown) {
        (None, _) | (_, true) => AwardStatus::Unknown,
        (Some(amount), false) => {
            let paid = cap.map_or(amount, |cap| amount.min(cap));
            if paid > Decimal::ZERO {
                AwardStatus::Paid(paid)
            } else {
                AwardStatus::NothingToPay
            }
        }
    };
    AwardResult { item, condition: Some(true), amount, cap, status }
}

impl AwardResult {
    fn not_eligible(item: usize) -> AwardResult {
        AwardResult { item, condition: Some(false), amount: None, cap: None, status: AwardStatus::NotEligible }
    }
}

/// Writes a step's truth into its slot (unknown already there) and its mask bit.
#[inline(always)]
fn set_truth(slots: &mut [Value], masks: &mut Masks, index: usize, bit: u64, truth: Option<bool>) {
    if let (Some(truth), Some(slot @ Value::Unknown)) = (truth, slots.get_mut(index)) {
        // Known to be unknown, the slot needs nothing dropped.
        *slot = Value::Bool(truth);
        masks.note(bit, truth);
    }
}

fn set_value(slots: &mut [Value], masks: &mut Masks, index: usize, bit: u64, value: Value) {
    if let Value::Bool(truth) = value {
        set_truth(slots, masks, index, bit, Some(truth));
    } else if let Some(slot) = slots.get_mut(index) {
        *slot = value;
    }
}

/// Within each group only the highest paid award stays paid; the first listed wins a tie.
/// `awards` are in the order of [`Program::awards`].
fn apply_no_stacking(program: &Program, awards: &mut [AwardResult]) {
    for (group, members) in &program.plan.no_stacking {
        let mut winner: Option<(usize, Decimal)> = None;
        for position in members {
            if let Some(AwardResult { status: AwardStatus::Paid(amount), .. }) = awards.get(*position) {
                if winner.is_none_or(|(_, best)| *amount > best) {
                    winner = Some((*position, *amount));
                }
            }
        }
        let Some((winning_position, _)) = winner else { continue };
        let Some(winning_item) = awards.get(winning_position).map(|award| award.item) else { continue };
        for position in members {
            if *position == winning_position {
                continue;
            }
            if let Some(award) = awards.get_mut(*position) {
                if let AwardStatus::Paid(amount) = award.status {
                    award.status = AwardStatus::Superseded { amount, by: winning_item, group: *group };
                }
            }
        }
    }
}

/// The value of a table for a record, and the index of the row that matched when one
/// certainly did. With an unknown key (or an unknown row condition) several rows may apply: the
/// value is then unknown, bounded by their results when they are numbers and the table is
/// `complete` (some row matches every key) or a later row certainly matches.
pub fn lookup(
    keys: &[Code],
    rows: &[crate::compile::CompiledRow],
    complete: bool,
    record: &[Value],
    slots: &[Value],
) -> Result<(Value, Option<usize>), EvalError> {
    let mut key_values = Vec::with_capacity(keys.len());
    for key in keys {
        key_values.push(evaluate(key, record, slots)?);
    }
    // Bounds of the results of the rows that may apply; `None` once a result has no bounds.
    let mut possible: Option<Option<(Decimal, Decimal)>> = None;
    let widen = |possible: &mut Option<Option<(Decimal, Decimal)>>, result: Option<Value>| {
        let bounds = result.as_ref().and_then(Value::bounds);
        *possible = Some(match (*possible, bounds) {
            (None, bounds) => bounds,
            (Some(Some((low, high))), Some((result_low, result_high))) => {
                Some((low.min(result_low), high.max(result_high)))
            }
            _ => None,
        });
    };
    for (index, row) in rows.iter().enumerate() {
        let matched = match &row.pattern {
            CompiledPattern::Otherwise => Some(true),
            CompiledPattern::Key(values) => {
                let mut matched = Some(true);
                for (wanted, key) in values.iter().zip(&key_values) {
                    matched = and(matched, if key.is_unknown() { None } else { Some(wanted == key) });
                }
                matched
            }
            CompiledPattern::Range { lower, upper } => {
                let Some(key) = key_values.first() else { return Ok((Value::Unknown, None)) };
                let mut inside = Some(true);
                for (is_lower, bound) in [(true, lower), (false, upper)] {
                    if let Some((inclusive, limit)) = bound {
                        let limit = evaluate(limit, record, slots)?;
                        inside = and(inside, within(key, &limit, is_lower, *inclusive));
                    }
                }
                inside
            }
            CompiledPattern::Condition(condition) => truth(&evaluate(condition, record, slots)?),
        };
        match matched {
            Some(false) => {}
            Some(true) => {
                if possible.is_none() {
                    return Ok((evaluate(&row.result, record, slots)?, Some(index)));
                }
                widen(&mut possible, evaluate(&row.result, record, slots).ok());
                return Ok((bounded(possible), None));
            }
            None => {
                // A result that cannot be computed only loses the bounds: the row may not apply.
                widen(&mut possible, evaluate(&row.result, record, slots).ok());
            }
        }
    }
    Ok((if complete { bounded(possible) } else { Value::Unknown }, None))
}

fn bounded(possible: Option<Option<(Decimal, Decimal)>>) -> Value {
    match possible {
        Some(Some((low, high))) => Value::between(low, high),
        _ => Value::Unknown,
    }
}

/// Whether `key` lies on the inner side of one end of a bracket: yes or no when every value
/// the key may have agrees, otherwise unknown.
fn within(key: &Value, limit: &Value, is_lower: bool, inclusive: bool) -> Option<bool> {
    let inner_side = |ordering: Ordering| {
        let beyond = if is_lower { Ordering::Greater } else { Ordering::Less };
        ordering == beyond || (inclusive && ordering == Ordering::Equal)
    };
    if let Some(ordering) = order(key, limit) {
        return Some(inner_side(ordering));
    }
    let (low, high) = key.bounds()?;
    let limit = limit.as_number()?;
    // Every possible value is inside when the one least likely to be is; none is when the one
    // most likely to be is not.
    let (least_likely, most_likely) = if is_lower { (low, high) } else { (high, low) };
    if inner_side(least_likely.cmp(&limit)) {
        Some(true)
    } else if !inner_side(most_likely.cmp(&limit)) {
        Some(false)
    } else {
        None
    }
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
    evaluate_borrowed(code, record, slots).map(Cow::into_owned)
}

/// [`evaluate`] without copying what is already there: a field, a slot, a constant is lent,
/// not cloned, which is most of the work on a record.
pub fn evaluate_borrowed<'a>(
    code: &'a Code,
    record: &'a [Value],
    slots: &'a [Value],
) -> Result<Cow<'a, Value>, EvalError> {
    static UNKNOWN: Value = Value::Unknown;
    let owned = |value: Value| -> Result<Cow<'a, Value>, EvalError> { Ok(Cow::Owned(value)) };
    match &code.operation {
        Operation::Constant(value) | Operation::Parameter { value, .. } => Ok(Cow::Borrowed(value)),
        Operation::MissingParameter(parameter) => {
            Err(EvalError::MissingParameter { parameter: *parameter, span: code.span })
        }
        Operation::Field(index) => Ok(Cow::Borrowed(record.get(*index).unwrap_or(&UNKNOWN))),
        Operation::Slot(index) => Ok(Cow::Borrowed(slots.get(*index).unwrap_or(&UNKNOWN))),
        Operation::AsOf(date) => owned(Value::Date(*date)),
        Operation::List(parts) => {
            let mut values = Vec::with_capacity(parts.len());
            for part in parts {
                let value = evaluate_borrowed(part, record, slots)?;
                if value.is_unknown() {
                    return owned(Value::Unknown);
                }
                values.push(value.into_owned());
            }
            owned(Value::List(values.into()))
        }
        Operation::Not(inner) => owned(match *evaluate_borrowed(inner, record, slots)? {
            Value::Bool(value) => Value::Bool(!value),
            _ => Value::Unknown,
        }),
        Operation::Negate(inner) => owned(match &*evaluate_borrowed(inner, record, slots)? {
            Value::Number(value) => Value::Number(-value),
            Value::Between(interval) => Value::between(-interval.high, -interval.low),
            _ => Value::Unknown,
        }),
        Operation::Connective { connective, parts } => {
            // Kleene: the deciding value (no for all, yes for any) settles it whatever the rest.
            let deciding = *connective == Connective::Any;
            let mut unknown = false;
            for part in parts {
                match *evaluate_borrowed(part, record, slots)? {
                    Value::Bool(value) if value == deciding => return owned(Value::Bool(deciding)),
                    Value::Bool(_) => {}
                    _ => unknown = true,
                }
            }
            owned(if unknown { Value::Unknown } else { Value::Bool(!deciding) })
        }
        Operation::Compare { operator, left, right } => {
            let left = evaluate_borrowed(left, record, slots)?;
            let right = evaluate_borrowed(right, record, slots)?;
            owned(compare(*operator, &left, &right))
        }
        Operation::Binary { operator, left, right, .. } => {
            let left = evaluate_borrowed(left, record, slots)?;
            let right = evaluate_borrowed(right, record, slots)?;
            owned(arithmetic(*operator, &left, &right).map_err(|Overflow| EvalError::Overflow { span: code.span })?)
        }
        Operation::Call { function, arguments } => {
            let mut values = Vec::with_capacity(arguments.len());
            for argument in arguments {
                values.push(evaluate_borrowed(argument, record, slots)?.into_owned());
            }
            owned(extremum(*function, &values))
        }
    }
}

/// `min` or `max` of known values; of bounded numbers, bounds; otherwise unknown.
fn extremum(function: Function, values: &[Value]) -> Value {
    let pick_first = |ordering: Ordering| (ordering == Ordering::Less) == (function == Function::Min);
    if values.iter().any(Value::is_unknown) {
        let mut result: Option<(Decimal, Decimal)> = None;
        for value in values {
            let Some((low, high)) = value.bounds() else { return Value::Unknown };
            result = Some(match result {
                None => (low, high),
                Some((result_low, result_high)) => match function {
                    Function::Min => (result_low.min(low), result_high.min(high)),
                    Function::Max => (result_low.max(low), result_high.max(high)),
                },
            });
        }
        return result.map_or(Value::Unknown, |(low, high)| Value::between(low, high));
    }
    let mut best: Option<&Value> = None;
    for value in values {
        best = Some(match best {
            Some(current)
                if order(current, value).is_none_or(|ordering| ordering == Ordering::Equal || pick_first(ordering)) =>
            {
                current
            }
            _ => value,
        });
    }
    best.cloned().unwrap_or(Value::Unknown)
}

pub fn compare(operator: CompareOperator, left: &Value, right: &Value) -> Value {
    if left.is_unknown() || right.is_unknown() {
        return compare_bounds(operator, left, right);
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

/// A comparison with an unknown side: settled when every value within the bounds gives the
/// same answer (a score of 35–55 is certainly below 60), otherwise unknown.
fn compare_bounds(operator: CompareOperator, left: &Value, right: &Value) -> Value {
    let (Some((left_low, left_high)), Some((right_low, right_high))) = (left.bounds(), right.bounds()) else {
        return Value::Unknown;
    };
    let disjoint = left_high < right_low || right_high < left_low;
    let settled = match operator {
        CompareOperator::Less => settle(left_high < right_low, left_low >= right_high),
        CompareOperator::LessOrEqual => settle(left_high <= right_low, left_low > right_high),
        CompareOperator::Greater => settle(left_low > right_high, left_high <= right_low),
        CompareOperator::GreaterOrEqual => settle(left_low >= right_high, left_high < right_low),
        CompareOperator::Equal => settle(false, disjoint),
        CompareOperator::NotEqual => settle(disjoint, false),
        CompareOperator::In | CompareOperator::NotIn => None,
    };
    settled.map_or(Value::Unknown, Value::Bool)
}

fn settle(always: bool, never: bool) -> Option<bool> {
    if always {
        Some(true)
    } else if never {
        Some(false)
    } else {
        None
    }
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
        (left, right) => match (left.bounds(), right.bounds()) {
            (Some(left), Some(right)) => bounds_arithmetic(operator, left, right),
            _ => Value::Unknown,
        },
    })
}

/// Arithmetic on bounds, at least one side unknown. A bound that would overflow, or a divisor
/// that may be zero, gives a plain unknown: bounds are a help, never an error.
fn bounds_arithmetic(operator: BinaryOperator, left: (Decimal, Decimal), right: (Decimal, Decimal)) -> Value {
    let ((a, b), (c, d)) = (left, right);
    let corners = |combine: fn(Decimal, Decimal) -> Option<Decimal>| -> Option<(Decimal, Decimal)> {
        let values = [combine(a, c)?, combine(a, d)?, combine(b, c)?, combine(b, d)?];
        let low = values.iter().copied().min()?;
        let high = values.iter().copied().max()?;
        Some((low, high))
    };
    let result = match operator {
        BinaryOperator::Add => a.checked_add(c).zip(b.checked_add(d)),
        BinaryOperator::Subtract => a.checked_sub(d).zip(b.checked_sub(c)),
        BinaryOperator::Multiply | BinaryOperator::Of => corners(Decimal::checked_mul),
        BinaryOperator::Divide => {
            if c <= Decimal::ZERO && d >= Decimal::ZERO {
                None
            } else {
                corners(Decimal::checked_div)
            }
        }
    };
    result.map_or(Value::Unknown, |(low, high)| Value::between(low, high))
}
