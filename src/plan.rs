//! Stage 3b: a compiled [`Program`]'s expressions lowered for deciding many records quickly.
//!
//! [`crate::eval::evaluate`] walks a [`Code`] tree and returns a [`Value`] for every node; that
//! is what explanations need, since they show every node's value. Deciding a record needs only
//! each step's result, so the plan lowers each step once, when the program is compiled:
//! conditions become [`Test`]s that return yes, no or unknown without building values;
//! constant sub-expressions (parameters, `as_of`, lists of constants) are folded; membership in
//! a constant list becomes a hashed lookup or a bit test.
//!
//! Invariant: the plan decides exactly as the tree evaluator does. Every fast path handles only
//! the value shapes it knows and hands anything else to the tree evaluator's own functions
//! ([`crate::eval::compare`], [`crate::eval::evaluate_borrowed`]), so the semantics live in one
//! place; `tests/properties.rs` checks every step of generated policies against
//! [`crate::eval::evaluate`].

use crate::compile::{Code, Operation, Program, StepKind};
use crate::eval::{arithmetic, compare, evaluate_borrowed, EvalError};
use crate::syntax::{BinaryOperator, CompareOperator, Connective};
use crate::value::Value;
use chrono::{Datelike, NaiveDate};
use std::cmp::Ordering;
use std::sync::Arc;

/// One lowered step per step of the program, in the same order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub(crate) steps: Vec<PlannedStep>,
    /// The no-stacking groups with their awards as positions in [`Program::awards`] (the order
    /// of an outcome's awards): model group index, positions.
    pub(crate) no_stacking: Vec<(usize, Vec<usize>)>,
    /// Whether the award steps come in the order of [`Program::awards`]: an outcome's awards,
    /// pushed step by step, then need no sorting.
    pub(crate) awards_in_order: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum PlannedStep {
    Condition(Test),
    Value(Operand),
    Award {
        condition: Option<Test>,
        amount: Operand,
        cap: Option<Operand>,
    },
    /// Tables are looked up by [`crate::eval::lookup`] on the step's own code.
    Table,
}

/// An expression whose value is yes, no or unknown.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Constant(Option<bool>),
    /// A yes/no slot (a rule used): its value as a truth.
    Slot(usize),
    /// A yes/no field.
    Field(usize),
    /// Anything not lowered further: its value as a truth.
    Read(Operand),
    /// `all of` (or `any of`) over rules used, the commonest shape of a decision.
    Slots {
        deciding: bool,
        slots: Box<[usize]>,
    },
    /// `"text" in list` with a list from the record (`"独角兽企业" in new_honours`), or `not in`.
    Includes {
        inside: bool,
        text: Arc<str>,
        list: Operand,
    },
    Not(Box<Test>),
    Connective {
        /// The value that settles the connective whatever the other parts are: no for `all of`.
        deciding: bool,
        parts: Vec<Test>,
    },
    Compare {
        operator: CompareOperator,
        left: Operand,
        right: Operand,
    },
    /// `element in [constants]` (or `not in`).
    Member {
        inside: bool,
        element: Operand,
        set: Box<ConstantSet>,
    },
    /// A data date shifted by a constant duration and compared with a constant date
    /// (`registered_on + 2 years <= as_of`). The shift never decreases a date, so the test is
    /// the date itself within a window worked out once (`registered_on <= 2022-06-30`): it holds
    /// for `after < day <= until` (days of the common era), or outside that when `inside` is
    /// false. A date outside [`DATA_DAYS`], or anything but a date, goes the `general` way.
    DateWindow {
        field: usize,
        after: i32,
        until: i32,
        inside: bool,
        general: Box<Test>,
    },
}

/// The days a data date can take (years 0000 to 9999, as cells are read), as days of the
/// common era. A window is only made when the shift is defined on all of them.
const DATA_DAYS: std::ops::RangeInclusive<i32> = -365..=3_652_059;

/// An expression lowered only as far as where its value comes from.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Constant(Value),
    Field(usize),
    Slot(usize),
    /// Evaluated by the tree evaluator.
    /// Boxed: a `Code` is 72 bytes, and every `Test` holding an operand would be as large.
    General(Box<Code>),
}

/// A constant list prepared for membership tests.
#[derive(Debug, Clone)]
pub(crate) struct ConstantSet {
    /// The list itself: what a value of another shape is compared with.
    list: Value,
    /// The list's texts, when every element is a text: hashed, since texts that share a
    /// beginning (`新材料`, `新装备`) made a sorted search compare many bytes.
    texts: Option<std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>>,
    /// The list's enum labels as bits, when every element is a label below 64.
    labels: Option<u64>,
}

impl Plan {
    /// Lowers every step of a compiled program.
    pub fn new(program: &Program) -> Plan {
        let steps = program
            .steps
            .iter()
            .map(|step| match &step.kind {
                StepKind::Condition(code) => PlannedStep::Condition(Test::lower(code)),
                StepKind::Value(code) => PlannedStep::Value(Operand::lower(code)),
                StepKind::Award { condition, amount, cap, .. } => PlannedStep::Award {
                    condition: condition.as_ref().map(Test::lower),
                    amount: Operand::lower(amount),
                    cap: cap.as_ref().map(Operand::lower),
                },
                StepKind::Table { .. } => PlannedStep::Table,
            })
            .collect();
        let no_stacking = program
            .groups
            .iter()
            .map(|(group, members)| {
                let positions = members
                    .iter()
                    .filter_map(|member| program.awards.iter().position(|award| award == member))
                    .collect();
                (*group, positions)
            })
            .collect();
        let award_items: Vec<usize> = program
            .steps
            .iter()
            .filter(|step| matches!(step.kind, StepKind::Award { .. }))
            .map(|step| step.item)
            .collect();
        let awards_in_order = award_items.is_sorted();
        Plan { steps, no_stacking, awards_in_order }
    }
}

impl Test {
    pub(crate) fn lower(code: &Code) -> Test {
        match &code.operation {
            Operation::Not(inner) => Test::Not(Box::new(Test::lower(inner))),
            Operation::Connective { connective, parts } => {
                let deciding = *connective == Connective::Any;
                let parts: Vec<Test> = parts.iter().map(Test::lower).collect();
                let slots: Option<Vec<usize>> =
                    parts.iter().map(|part| if let Test::Slot(slot) = part { Some(*slot) } else { None }).collect();
                match slots {
                    Some(slots) => Test::Slots { deciding, slots: slots.into() },
                    None => Test::Connective { deciding, parts },
                }
            }
            Operation::Compare { operator, left: left_code, right: right_code } => {
                let (left, right) = (Operand::lower(left_code), Operand::lower(right_code));
                let window = match (&left, &right) {
                    (Operand::General(shifted), Operand::Constant(Value::Date(limit))) => {
                        DateWindow::of(*operator, shifted, *limit)
                    }
                    (Operand::Constant(Value::Date(limit)), Operand::General(shifted)) => {
                        DateWindow::of(operator.flipped(), shifted, *limit)
                    }
                    _ => None,
                };
                if let Some(DateWindow { field, after, until, inside }) = window {
                    let general = Box::new(Test::Compare { operator: *operator, left, right });
                    return Test::DateWindow { field, after, until, inside, general };
                }
                let inside = *operator == CompareOperator::In;
                match (operator, left, right) {
                    (CompareOperator::In | CompareOperator::NotIn, left, Operand::Constant(list @ Value::List(_))) => {
                        Test::Member { inside, element: left, set: Box::new(ConstantSet::new(list)) }
                    }
                    (
                        CompareOperator::In | CompareOperator::NotIn,
                        Operand::Constant(Value::Text(text)),
                        list @ (Operand::Field(_) | Operand::Slot(_)),
                    ) => Test::Includes { inside, text, list },
                    (_, left, right) => Test::Compare { operator: *operator, left, right },
                }
            }
            _ => match Operand::lower(code) {
                Operand::Constant(Value::Bool(truth)) => Test::Constant(Some(truth)),
                Operand::Constant(Value::Unknown) => Test::Constant(None),
                Operand::Slot(slot) => Test::Slot(slot),
                Operand::Field(field) => Test::Field(field),
                operand => Test::Read(operand),
            },
        }
    }

    /// Yes, no or unknown for one record; `slots` holds the steps decided so far. An error
    /// (an overflow, a parameter without a value) is kept in `failure` and the test goes on
    /// as unknown: the caller stops at the step. The first error in evaluation order is kept,
    /// so it is the one the tree evaluator reports. A small return value is what keeps this fast.
    #[inline(always)]
    pub(crate) fn truth(&self, record: &[Value], slots: &[Value], failure: &Failure) -> Option<bool> {
        match self {
            Test::Constant(truth) => *truth,
            Test::Slot(slot) => slots.get(*slot).and_then(Value::as_bool),
            Test::Field(field) => record.get(*field).and_then(Value::as_bool),
            Test::Read(operand) => match operand.at_hand(record, slots) {
                Some(value) => value.as_bool(),
                None => self.truth_evaluating(record, slots, failure),
            },
            Test::Slots { deciding, slots: parts } => {
                connective(*deciding, parts.iter().map(|part| slots.get(*part).and_then(Value::as_bool)))
            }
            Test::Includes { inside, text, list } => match list.at_hand(record, slots) {
                Some(list) => includes(*inside, text, list),
                None => self.truth_evaluating(record, slots, failure),
            },
            Test::Not(_) | Test::Connective { .. } => self.truth_nested(record, slots, failure),
            Test::Compare { operator, left, right } => {
                match (left.at_hand(record, slots), right.at_hand(record, slots)) {
                    (Some(left), Some(right)) => compare_known(*operator, left, right),
                    _ => self.truth_evaluating(record, slots, failure),
                }
            }
            Test::Member { inside, element, set } => match element.at_hand(record, slots) {
                Some(element) => set.contains(element).map(|found| found == *inside),
                None => self.truth_evaluating(record, slots, failure),
            },
            Test::DateWindow { field, after, until, inside, general } => match record.get(*field) {
                Some(Value::Date(date)) if DATA_DAYS.contains(&date.num_days_from_ce()) => {
                    let day = date.num_days_from_ce();
                    Some((*after < day && day <= *until) == *inside)
                }
                _ => general.truth(record, slots, failure),
            },
        }
    }

    /// [`Test::truth`] of a `not` or a connective, out of line: the leaves, the commonest
    /// tests, are then worked out in place in the connective's loop rather than by a call each.
    #[inline(never)]
    fn truth_nested(&self, record: &[Value], slots: &[Value], failure: &Failure) -> Option<bool> {
        match self {
            Test::Not(inner) => inner.truth(record, slots, failure).map(|truth| !truth),
            Test::Connective { deciding, parts } => {
                connective(*deciding, parts.iter().map(|part| part.truth(record, slots, failure)))
            }
            leaf => leaf.truth(record, slots, failure),
        }
    }

    /// [`Test::truth`] of the leaves whose operands the tree evaluator must work out: out of
    /// line, so that `truth` itself, which runs for every part of every condition, stays small.
    #[inline(never)]
    fn truth_evaluating(&self, record: &[Value], slots: &[Value], failure: &Failure) -> Option<bool> {
        match self {
            Test::Read(operand) => operand.with_value(record, slots, failure, Value::as_bool),
            Test::Includes { inside, text, list } => {
                list.with_value(record, slots, failure, |list| includes(*inside, text, list))
            }
            Test::Compare { operator, left, right } => left.with_value(record, slots, failure, |left| {
                right.with_value(record, slots, failure, |right| compare_known(*operator, left, right))
            }),
            Test::Member { inside, element, set } => element
                .with_value(record, slots, failure, |element| set.contains(element).map(|found| found == *inside)),
            other => other.truth(record, slots, failure),
        }
    }
}

/// Whether a known list holds `text` (`inside`) or not; anything else as [`compare`] says.
fn includes(inside: bool, text: &Arc<str>, list: &Value) -> Option<bool> {
    match list {
        Value::List(items) => {
            Some(items.iter().any(|item| matches!(item, Value::Text(item) if **item == **text)) == inside)
        }
        other => {
            let operator = if inside { CompareOperator::In } else { CompareOperator::NotIn };
            compare(operator, &Value::Text(text.clone()), other).as_bool()
        }
    }
}

/// `all of` (`deciding` no) or `any of` (`deciding` yes) in three-valued logic: the first part
/// that is `deciding` settles it, and the later parts are not worked out (their errors are not
/// met, as in the tree evaluator); otherwise unknown if a part is.
#[inline]
fn connective(deciding: bool, parts: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for truth in parts {
        match truth {
            Some(truth) if truth == deciding => return Some(truth),
            Some(_) => {}
            None => unknown = true,
        }
    }
    if unknown {
        None
    } else {
        Some(!deciding)
    }
}

/// The window of [`Test::DateWindow`] for `field ± period <operator> limit`.
struct DateWindow {
    field: usize,
    after: i32,
    until: i32,
    inside: bool,
}

impl DateWindow {
    fn of(operator: CompareOperator, shifted: &Code, limit: NaiveDate) -> Option<DateWindow> {
        let Operation::Binary { operator: arithmetic_operator, left, right, .. } = &shifted.operation else {
            return None;
        };
        let (field, period) = match (&left.operation, constant(right), constant(left), &right.operation) {
            (Operation::Field(field), Some(period @ Value::Duration(_)), _, _) => (*field, period),
            (_, _, Some(period @ Value::Duration(_)), Operation::Field(field))
                if *arithmetic_operator == BinaryOperator::Add =>
            {
                (*field, period)
            }
            _ => return None,
        };
        // The evaluator's own arithmetic; the window is made only where it never fails.
        let shift = |day: i32| -> Option<NaiveDate> {
            match arithmetic(*arithmetic_operator, &Value::Date(NaiveDate::from_num_days_from_ce_opt(day)?), &period) {
                Ok(Value::Date(date)) => Some(date),
                _ => None,
            }
        };
        let (first, last) = (*DATA_DAYS.start(), *DATA_DAYS.end());
        shift(first)?;
        shift(last)?;
        // The last day whose shifted date is before (or on) the limit; `first - 1` when none is.
        let last_day = |holds: &dyn Fn(NaiveDate) -> bool| -> Option<i32> {
            if !holds(shift(first)?) {
                return Some(first - 1);
            }
            let (mut passing, mut failing) = (first, last + 1);
            while failing - passing > 1 {
                let middle = passing + (failing - passing) / 2;
                if holds(shift(middle)?) {
                    passing = middle;
                } else {
                    failing = middle;
                }
            }
            Some(passing)
        };
        let on_or_before = last_day(&|shifted| shifted <= limit)?;
        let before = last_day(&|shifted| shifted < limit)?;
        let (after, until, inside) = match operator {
            CompareOperator::LessOrEqual => (i32::MIN, on_or_before, true),
            CompareOperator::Less => (i32::MIN, before, true),
            CompareOperator::Greater => (i32::MIN, on_or_before, false),
            CompareOperator::GreaterOrEqual => (i32::MIN, before, false),
            CompareOperator::Equal => (before, on_or_before, true),
            CompareOperator::NotEqual => (before, on_or_before, false),
            CompareOperator::In | CompareOperator::NotIn => return None,
        };
        Some(DateWindow { field, after, until, inside })
    }
}

/// The first error met while deciding a step.
#[derive(Debug, Default)]
pub(crate) struct Failure {
    /// Whether `error` holds one: a byte to test after every step rather than the whole error
    /// taken out and put back.
    failed: std::cell::Cell<bool>,
    error: std::cell::Cell<Option<EvalError>>,
}

impl Failure {
    fn record(&self, error: EvalError) {
        let first = self.error.take().unwrap_or(error);
        self.error.set(Some(first));
        self.failed.set(true);
    }

    /// The error met, if any; the failure is empty afterwards.
    #[inline]
    pub(crate) fn take(&self) -> Result<(), EvalError> {
        if !self.failed.replace(false) {
            return Ok(());
        }
        self.error.take().map_or(Ok(()), Err)
    }
}

/// Known numbers and dates compared directly; everything else as the tree evaluator compares.
fn compare_known(operator: CompareOperator, left: &Value, right: &Value) -> Option<bool> {
    let ordering = match (left, right) {
        // A blank compared with anything is unknown, as `compare` says (only bounds can settle it).
        (Value::Unknown, _) | (_, Value::Unknown) => return None,
        (Value::Number(left), Value::Number(right)) => left.cmp(right),
        (Value::Date(left), Value::Date(right)) => left.cmp(right),
        (Value::Text(left), Value::Text(right)) if operator == CompareOperator::Equal => return Some(left == right),
        (Value::Text(left), Value::Text(right)) if operator == CompareOperator::NotEqual => return Some(left != right),
        _ => return compare(operator, left, right).as_bool(),
    };
    match operator {
        CompareOperator::Equal => Some(ordering == Ordering::Equal),
        CompareOperator::NotEqual => Some(ordering != Ordering::Equal),
        CompareOperator::Less => Some(ordering == Ordering::Less),
        CompareOperator::LessOrEqual => Some(ordering != Ordering::Greater),
        CompareOperator::Greater => Some(ordering == Ordering::Greater),
        CompareOperator::GreaterOrEqual => Some(ordering != Ordering::Less),
        CompareOperator::In | CompareOperator::NotIn => compare(operator, left, right).as_bool(),
    }
}

impl Operand {
    /// The operand's value when it is at hand without working anything out: a constant, a
    /// field or a slot.
    #[inline(always)]
    fn at_hand<'a>(&'a self, record: &'a [Value], slots: &'a [Value]) -> Option<&'a Value> {
        static UNKNOWN: Value = Value::Unknown;
        match self {
            Operand::Constant(value) => Some(value),
            Operand::Field(index) => Some(record.get(*index).unwrap_or(&UNKNOWN)),
            Operand::Slot(index) => Some(slots.get(*index).unwrap_or(&UNKNOWN)),
            Operand::General(_) => None,
        }
    }

    fn lower(code: &Code) -> Operand {
        match &code.operation {
            Operation::Field(index) => Operand::Field(*index),
            Operation::Slot(index) => Operand::Slot(*index),
            _ => match constant(code) {
                Some(value) => Operand::Constant(value),
                None => Operand::General(Box::new(code.clone())),
            },
        }
    }

    /// Calls `use_value` with the operand's value for one record (unknown after an error,
    /// which goes to `failure`). A closure rather than a returned `Cow`: lending the value in
    /// place is measurably faster on the hot path.
    #[inline]
    pub(crate) fn with_value<T>(
        &self,
        record: &[Value],
        slots: &[Value],
        failure: &Failure,
        use_value: impl FnOnce(&Value) -> T,
    ) -> T {
        static UNKNOWN: Value = Value::Unknown;
        match self {
            Operand::Constant(value) => use_value(value),
            Operand::Field(index) => use_value(record.get(*index).unwrap_or(&UNKNOWN)),
            Operand::Slot(index) => use_value(slots.get(*index).unwrap_or(&UNKNOWN)),
            Operand::General(code) => match evaluate_borrowed(code, record, slots) {
                Ok(value) => use_value(&value),
                Err(error) => {
                    failure.record(error);
                    use_value(&UNKNOWN)
                }
            },
        }
    }
}

/// The value of an expression that reads no record: a constant, a parameter with a value,
/// `as_of`, or a list of those.
fn constant(code: &Code) -> Option<Value> {
    match &code.operation {
        Operation::Constant(value) | Operation::Parameter { value, .. } => Some(value.clone()),
        Operation::AsOf(date) => Some(Value::Date(*date)),
        Operation::List(parts) => {
            let values: Option<Vec<Value>> = parts.iter().map(constant).collect();
            let values = values?;
            // As the tree evaluator: a list with an unknown element is unknown.
            Some(if values.iter().any(Value::is_unknown) { Value::Unknown } else { Value::List(values.into()) })
        }
        _ => None,
    }
}

impl ConstantSet {
    fn new(list: Value) -> ConstantSet {
        let elements: &[Value] = match &list {
            Value::List(elements) => elements,
            _ => &[],
        };
        let texts = elements
            .iter()
            .map(|element| match element {
                Value::Text(text) => Some(text.clone()),
                _ => None,
            })
            .collect();
        let labels = elements.iter().try_fold(0u64, |bits, element| match element {
            Value::Enum(label) if *label < 64 => Some(bits | (1u64 << label)),
            _ => None,
        });
        ConstantSet { list, texts, labels }
    }

    /// Whether the value is in the list: unknown for an unknown value, as `compare` says.
    fn contains(&self, element: &Value) -> Option<bool> {
        match (element, &self.texts, self.labels) {
            (Value::Text(text), Some(texts), _) => Some(texts.contains(text)),
            (Value::Enum(label), _, Some(bits)) if *label < 64 => Some(bits & (1u64 << label) != 0),
            _ => compare(CompareOperator::In, element, &self.list).as_bool(),
        }
    }
}
