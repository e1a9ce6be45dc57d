//! Stage 3b: a compiled [`Program`]'s expressions lowered for deciding many records quickly.
//!
//! [`crate::eval::evaluate`] walks a [`Code`] tree and returns a [`Value`] for every node; that
//! is what explanations need, since they show every node's value. Deciding a record needs only
//! each step's result, so the plan lowers each step once, when the program is compiled:
//! conditions become [`Test`]s that return yes, no or unknown without building values;
//! constant sub-expressions (parameters, `as_of`, lists of constants) are folded; membership in
//! a constant list becomes a hashed lookup or a bit test; a field compared with a constant is
//! a leaf of its own kind (a number compared on mantissas of the same scale).
//!
//! A step's condition is a [`Condition`]: the parts of its `all of` or `any of`, in segments.
//! The parts that are yes/no fields, their `not`s, rules used and texts looked for in a list
//! field are read from bit masks of the record ([`Masks`]) a few at once; a part that can fail keeps its place (see
//! [`Condition`]), so errors are met as the tree evaluator meets them.
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
    /// The yes/no fields that conditions read through [`Masks`], with their bits.
    mask_fields: Box<[(usize, u64)]>,
    /// The list fields whose texts conditions look for, with the texts' bits.
    mask_includes: Box<[Includes]>,
    /// For each step, its bit in [`Masks`]; none when no condition reads it there.
    pub(crate) slot_bits: Box<[u64]>,
}

/// A step's condition flattened for deciding: the parts of its `all of` (or `any of`; a lone
/// test is `all of` itself), in segments worked out in order.
///
/// Within a segment no part can fail, so the order of its parts does not matter: Kleene's
/// `all of` is the smallest of its parts' values (no < unknown < yes), whatever the order, and
/// only which error is met first depends on it. So the parts that are a yes/no field, its `not`,
/// a rule used, or a text looked for in a list field are decided together with bit masks, a few
/// instructions for all of them, and the other parts one by one after them. A part that can fail (it works something out with the
/// tree evaluator) is a segment of its own, in its place, so that the errors met are those the
/// tree evaluator meets.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    /// The value that settles it: no for `all of`, yes for `any of`.
    deciding: bool,
    /// The first segment, and the others: most conditions have one.
    first: Segment,
    rest: Box<[Segment]>,
    /// Whether a part can fail.
    pub(crate) can_fail: bool,
}

#[derive(Debug, Clone, Default)]
struct Segment {
    /// The parts read from [`Masks`]: yes/no fields, their `not`s, rules used, texts in lists.
    masked: MaskParts,
    /// The other parts.
    tests: Vec<Test>,
}

/// Parts of a segment that are bits of a mask: a part settles the condition when its bit is
/// yes (the plain parts of an `any of`, the `not`s of an `all of`) or when it is no (the
/// others). A field may be both (`a and not a`).
#[derive(Debug, Clone, Copy, Default)]
struct MaskParts {
    settle_on_yes: u64,
    settle_on_no: u64,
}

/// Yes/no values as bits, whether each is known and whether it is yes: the record's fields
/// and the steps decided so far that conditions read as parts, a bit each, given as the plan
/// meets them ([`MaskBits`]; the first 64).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Masks {
    known: u64,
    yes: u64,
}

impl Masks {
    /// Notes the truth of a field or a decided step (whose bit is in [`Plan::slot_bits`]).
    #[inline(always)]
    pub(crate) fn note(&mut self, bit: u64, truth: bool) {
        self.known |= bit;
        self.yes |= bit & u64::from(truth).wrapping_neg();
    }
}

/// The bits of [`Masks`] given so far, while a plan is made.
#[derive(Debug, Default)]
struct MaskBits {
    fields: Vec<(usize, u64)>,
    slots: Vec<(usize, u64)>,
    includes: Vec<Includes>,
}

/// The texts whose presence in a list field conditions test (`"独角兽企业" in new_honours`),
/// a bit each: the list is read once a record for all of them.
#[derive(Debug, Clone)]
struct Includes {
    field: usize,
    texts: Vec<(Arc<str>, u64)>,
}

impl MaskBits {
    fn given(&self) -> usize {
        self.fields.len() + self.slots.len() + self.includes.iter().map(|includes| includes.texts.len()).sum::<usize>()
    }

    /// The bit of a field (or a slot), given now if it has none; none when all 64 are given.
    fn of(&mut self, index: usize, slot: bool) -> Option<usize> {
        let given = self.given();
        bit_of(if slot { &mut self.slots } else { &mut self.fields }, index, given)
    }

    /// The bit of "`text` is in the list `field`", given now if it has none.
    fn of_text_in(&mut self, field: usize, text: &Arc<str>) -> Option<usize> {
        let given = self.given();
        let position = match self.includes.iter().position(|includes| includes.field == field) {
            Some(position) => position,
            None => {
                self.includes.push(Includes { field, texts: Vec::new() });
                self.includes.len() - 1
            }
        };
        bit_of(&mut self.includes.get_mut(position)?.texts, text.clone(), given)
    }
}

/// The bit `key` has in `bits`, or the next one (`given` are taken) while there is one.
fn bit_of<Key: PartialEq>(bits: &mut Vec<(Key, u64)>, key: Key, given: usize) -> Option<usize> {
    if let Some((_, bit)) = bits.iter().find(|(known, _)| *known == key) {
        return Some(bit.trailing_zeros() as usize);
    }
    if given >= 64 {
        return None;
    }
    bits.push((key, 1 << given));
    Some(given)
}

impl MaskParts {
    fn add(&mut self, bit: usize, settles_on_yes: bool) {
        if settles_on_yes {
            self.settle_on_yes |= 1 << bit;
        } else {
            self.settle_on_no |= 1 << bit;
        }
    }

    fn bits(&self) -> u64 {
        self.settle_on_yes | self.settle_on_no
    }

    /// The parts that settle the condition, and those that are unknown.
    #[inline(always)]
    fn read(&self, masks: &Masks) -> (u64, u64) {
        let settling = masks.known & ((masks.yes & self.settle_on_yes) | (!masks.yes & self.settle_on_no));
        (settling, self.bits() & !masks.known)
    }
}

#[derive(Debug, Clone)]
#[repr(u8)]
pub(crate) enum PlannedStep {
    Condition(Condition),
    Value(Operand),
    Award {
        condition: Option<Condition>,
        amount: Operand,
        cap: Option<Operand>,
        /// Whether working the award out can meet an error.
        can_fail: bool,
        /// Its place among an outcome's awards: in [`Program::awards`], declaration order,
        /// which the steps need not follow (an award may use one declared after it).
        position: usize,
    },
    /// Tables are looked up by [`crate::eval::lookup`] on the step's own code.
    Table,
}

/// An expression whose value is yes, no or unknown.
///
/// `repr(u8)` here and on [`PlannedStep`] and [`Operand`]: a tag byte of their own, which a
/// `match` reads in one load, where the tag hidden in a nested `Value`'s took arithmetic
/// (2 % of the instructions deciding a record).
#[derive(Debug, Clone)]
#[repr(u8)]
pub(crate) enum Test {
    Constant(Option<bool>),
    /// A yes/no slot (a rule used): its value as a truth.
    Slot(usize),
    /// A yes/no field.
    Field(usize),
    /// `not` of a yes/no field.
    FieldNot(usize),
    /// A field compared with a constant (`registered_on < 2020-01-01`), the constant on the
    /// right (a constant on the left is moved there, the operator flipped).
    FieldCompare {
        operator: CompareOperator,
        field: usize,
        constant: Value,
    },
    /// A field compared with a constant number (`revenue_last_year >= revenue_floor`).
    FieldNumber {
        operator: CompareOperator,
        field: usize,
        limit: Box<ScaledNumber>,
    },
    /// A field `=` (`equal`) or `≠` a constant text (`registered_in = "日照市"`).
    FieldText {
        field: usize,
        text: Arc<str>,
        equal: bool,
    },
    /// An enum field in (`inside`) or not in a constant list of labels, as bits.
    FieldLabels {
        field: usize,
        bits: u64,
        inside: bool,
        /// What a value that is not a label below 64 is looked up in.
        set: Box<ConstantSet>,
    },
    /// `"text" in field` (`inside`) or `not in`, the field a list.
    FieldIncludes {
        field: usize,
        text: Arc<str>,
        inside: bool,
    },
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
#[repr(u8)]
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
        let mut bits = MaskBits::default();
        let steps = program
            .steps
            .iter()
            .map(|step| match &step.kind {
                StepKind::Condition(code) => PlannedStep::Condition(Condition::lower(code, &mut bits)),
                StepKind::Value(code) => PlannedStep::Value(Operand::lower(code)),
                StepKind::Award { condition, amount, cap, .. } => {
                    let (condition, amount, cap) = (
                        condition.as_ref().map(|condition| Condition::lower(condition, &mut bits)),
                        Operand::lower(amount),
                        cap.as_ref().map(Operand::lower),
                    );
                    let can_fail = condition.as_ref().is_some_and(|condition| condition.can_fail)
                        || amount.can_fail()
                        || cap.as_ref().is_some_and(Operand::can_fail);
                    let position = program.awards.iter().position(|award| *award == step.item).unwrap_or(usize::MAX);
                    PlannedStep::Award { condition, amount, cap, can_fail, position }
                }
                StepKind::Table { .. } => PlannedStep::Table,
            })
            .collect::<Vec<_>>();
        let mut slot_bits = vec![0; steps.len()];
        for (slot, bit) in &bits.slots {
            if let Some(slot_bit) = slot_bits.get_mut(*slot) {
                *slot_bit = *bit;
            }
        }
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
        Plan {
            steps,
            no_stacking,
            mask_fields: bits.fields.into(),
            mask_includes: bits.includes.into(),
            slot_bits: slot_bits.into(),
        }
    }

    /// The masks of a record's yes/no fields, before any step is decided.
    #[inline]
    pub(crate) fn masks(&self, record: &[Value]) -> Masks {
        let mut masks = Masks::default();
        for (field, bit) in self.mask_fields.iter() {
            if let Some(Value::Bool(truth)) = record.get(*field) {
                masks.note(*bit, *truth);
            }
        }
        // As `includes` says: known for a list, whose text items are compared by content.
        for Includes { field, texts } in self.mask_includes.iter() {
            if let Some(Value::List(items)) = record.get(*field) {
                for (text, bit) in texts {
                    let found = items.iter().any(|item| matches!(item, Value::Text(item) if **item == **text));
                    masks.note(*bit, found);
                }
            }
        }
        masks
    }
}

impl Condition {
    fn lower(code: &Code, bits: &mut MaskBits) -> Condition {
        let (deciding, parts) = match &code.operation {
            Operation::Connective { connective, parts } => (*connective == Connective::Any, parts.as_slice()),
            _ => (false, std::slice::from_ref(code)),
        };
        let mut segments: Vec<Segment> = Vec::new();
        let mut current = Segment::default();
        for part in parts {
            let test = Test::lower(part);
            let masked = match test {
                Test::Field(field) => bits.of(field, false).map(|bit| (bit, deciding)),
                Test::FieldNot(field) => bits.of(field, false).map(|bit| (bit, !deciding)),
                Test::Slot(slot) => bits.of(slot, true).map(|bit| (bit, deciding)),
                // `not in` is the `not` of `in`.
                Test::FieldIncludes { field, ref text, inside } => {
                    bits.of_text_in(field, text).map(|bit| (bit, inside == deciding))
                }
                _ => None,
            };
            if let Some((bit, settles_on_yes)) = masked {
                current.masked.add(bit, settles_on_yes);
            } else if test.can_fail() {
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
                segments.push(Segment { tests: vec![test], ..Segment::default() });
            } else {
                current.tests.push(test);
            }
        }
        if !current.is_empty() {
            segments.push(current);
        }
        let can_fail = segments.iter().flat_map(|segment| &segment.tests).any(Test::can_fail);
        let mut segments = segments.into_iter();
        let first = segments.next().unwrap_or_default();
        Condition { deciding, first, rest: segments.collect(), can_fail }
    }

    /// Yes, no or unknown for one record, as [`Test::truth`] says of the whole condition;
    /// `masks` holds the record's yes/no fields and the steps decided so far.
    #[inline(always)]
    pub(crate) fn truth(&self, record: &[Value], slots: &[Value], masks: &Masks, failure: &Failure) -> Option<bool> {
        let deciding = self.deciding;
        let mut unknown = false;
        if self.first.settles(deciding, record, slots, masks, failure, &mut unknown) {
            return Some(deciding);
        }
        for segment in self.rest.iter() {
            if segment.settles(deciding, record, slots, masks, failure, &mut unknown) {
                return Some(deciding);
            }
        }
        if unknown {
            None
        } else {
            Some(!deciding)
        }
    }
}

impl Segment {
    /// Whether a part of the segment is `deciding`; notes in `unknown` whether one is unknown.
    #[inline(always)]
    fn settles(
        &self,
        deciding: bool,
        record: &[Value],
        slots: &[Value],
        masks: &Masks,
        failure: &Failure,
        unknown: &mut bool,
    ) -> bool {
        let (settling, unknown_parts) = self.masked.read(masks);
        if settling != 0 {
            return true;
        }
        *unknown |= unknown_parts != 0;
        for test in &self.tests {
            match test.leaf_truth(record, slots, failure) {
                Some(truth) if truth == deciding => return true,
                Some(_) => {}
                None => *unknown = true,
            }
        }
        false
    }

    fn is_empty(&self) -> bool {
        self.masked.bits() == 0 && self.tests.is_empty()
    }
}

impl Test {
    pub(crate) fn lower(code: &Code) -> Test {
        match &code.operation {
            Operation::Not(inner) => match Test::lower(inner) {
                Test::Field(field) => Test::FieldNot(field),
                inner => Test::Not(Box::new(inner)),
            },
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
                        let set = Box::new(ConstantSet::new(list));
                        match (left, set.labels) {
                            (Operand::Field(field), Some(bits)) => Test::FieldLabels { field, bits, inside, set },
                            (element, _) => Test::Member { inside, element, set },
                        }
                    }
                    (
                        CompareOperator::In | CompareOperator::NotIn,
                        Operand::Constant(Value::Text(text)),
                        Operand::Field(field),
                    ) => Test::FieldIncludes { field, text, inside },
                    (
                        CompareOperator::In | CompareOperator::NotIn,
                        Operand::Constant(Value::Text(text)),
                        list @ Operand::Slot(_),
                    ) => Test::Includes { inside, text, list },
                    (_, Operand::Field(field), Operand::Constant(constant)) => {
                        Test::field_compare(*operator, field, constant)
                    }
                    (_, Operand::Constant(constant), Operand::Field(field)) => {
                        Test::field_compare(operator.flipped(), field, constant)
                    }
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
    ///
    /// A condition's own connective (`all of` its parts) is worked out in place, its leaves
    /// too: only a connective or a `not` within a part costs a call.
    #[inline(always)]
    pub(crate) fn truth(&self, record: &[Value], slots: &[Value], failure: &Failure) -> Option<bool> {
        match self {
            Test::Connective { deciding, parts } => {
                connective(*deciding, parts.iter().map(|part| part.leaf_truth(record, slots, failure)))
            }
            Test::Not(inner) => inner.leaf_truth(record, slots, failure).map(|truth| !truth),
            leaf => leaf.leaf_truth(record, slots, failure),
        }
    }

    /// [`Test::truth`] of a leaf worked out in place; a connective or a `not` by a call.
    #[inline(always)]
    fn leaf_truth(&self, record: &[Value], slots: &[Value], failure: &Failure) -> Option<bool> {
        match self {
            Test::Constant(truth) => *truth,
            Test::Slot(slot) => slots.get(*slot).and_then(Value::as_bool),
            Test::Field(field) => record.get(*field).and_then(Value::as_bool),
            Test::FieldNot(field) => record.get(*field).and_then(Value::as_bool).map(|truth| !truth),
            Test::FieldCompare { operator, field, constant } => {
                compare_known(*operator, record.get(*field).unwrap_or(&Value::Unknown), constant)
            }
            Test::FieldNumber { operator, field, limit } => match record.get(*field) {
                Some(Value::Number(number)) => match limit.at_scale(number.scale()) {
                    Some(scaled) => Some(ordering_holds(*operator, number.mantissa().cmp(&scaled))),
                    None => Some(ordering_holds(*operator, number.cmp(&limit.number))),
                },
                Some(Value::Unknown) | None => None,
                Some(other) => compare_known(*operator, other, &Value::Number(limit.number)),
            },
            Test::FieldText { field, text, equal } => match record.get(*field) {
                Some(Value::Text(value)) => Some((value.as_bytes() == text.as_bytes()) == *equal),
                Some(Value::Unknown) | None => None,
                Some(other) => {
                    let operator = if *equal { CompareOperator::Equal } else { CompareOperator::NotEqual };
                    compare_known(operator, other, &Value::Text(text.clone()))
                }
            },
            Test::FieldLabels { field, bits, inside, set } => match record.get(*field) {
                Some(Value::Enum(label)) if *label < 64 => Some((bits & (1u64 << label) != 0) == *inside),
                Some(Value::Unknown) | None => None,
                Some(other) => set.contains(other).map(|found| found == *inside),
            },
            Test::FieldIncludes { field, text, inside } => match record.get(*field) {
                Some(Value::List(items)) if items.is_empty() => Some(!*inside),
                Some(list) => includes(*inside, text, list),
                None => includes(*inside, text, &Value::Unknown),
            },
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
                _ => general.truth_nested(record, slots, failure),
            },
        }
    }

    fn field_compare(operator: CompareOperator, field: usize, constant: Value) -> Test {
        match (operator, constant) {
            (CompareOperator::In | CompareOperator::NotIn, constant) => {
                Test::FieldCompare { operator, field, constant }
            }
            (_, Value::Number(limit)) => {
                Test::FieldNumber { operator, field, limit: Box::new(ScaledNumber::new(limit)) }
            }
            (CompareOperator::Equal | CompareOperator::NotEqual, Value::Text(text)) => {
                Test::FieldText { field, text, equal: operator == CompareOperator::Equal }
            }
            (_, constant) => Test::FieldCompare { operator, field, constant },
        }
    }

    /// Whether working the test out can meet an error: only the tree evaluator's work can.
    fn can_fail(&self) -> bool {
        match self {
            Test::Constant(_)
            | Test::Slot(_)
            | Test::Field(_)
            | Test::FieldNot(_)
            | Test::FieldCompare { .. }
            | Test::FieldNumber { .. }
            | Test::FieldText { .. }
            | Test::FieldLabels { .. }
            | Test::FieldIncludes { .. }
            | Test::Slots { .. } => false,
            Test::Read(operand) | Test::Includes { list: operand, .. } | Test::Member { element: operand, .. } => {
                operand.can_fail()
            }
            Test::Compare { left, right, .. } => left.can_fail() || right.can_fail(),
            Test::Not(inner) => inner.can_fail(),
            Test::Connective { parts, .. } => parts.iter().any(Test::can_fail),
            Test::DateWindow { general, .. } => general.can_fail(),
        }
    }

    /// [`Test::truth`] of a `not` or a connective, out of line: the leaves, the commonest
    /// tests, are then worked out in place in the connective's loop rather than by a call each.
    #[inline(never)]
    fn truth_nested(&self, record: &[Value], slots: &[Value], failure: &Failure) -> Option<bool> {
        self.truth(record, slots, failure)
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
            other => other.truth_nested(record, slots, failure),
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
        CompareOperator::In | CompareOperator::NotIn => compare(operator, left, right).as_bool(),
        _ => Some(ordering_holds(operator, ordering)),
    }
}

/// Whether `left <operator> right` holds when `left` is `ordering` to `right`; never called
/// with `in` (a list is not ordered), which is no.
#[inline(always)]
fn ordering_holds(operator: CompareOperator, ordering: Ordering) -> bool {
    match operator {
        CompareOperator::Equal => ordering == Ordering::Equal,
        CompareOperator::NotEqual => ordering != Ordering::Equal,
        CompareOperator::Less => ordering == Ordering::Less,
        CompareOperator::LessOrEqual => ordering != Ordering::Greater,
        CompareOperator::Greater => ordering == Ordering::Greater,
        CompareOperator::GreaterOrEqual => ordering != Ordering::Less,
        CompareOperator::In | CompareOperator::NotIn => false,
    }
}

/// A constant number prepared for comparing with numbers of any scale: a decimal is a mantissa
/// over a power of ten, so two decimals of the same scale compare as their mantissas do. The
/// constant's mantissa at each scale it can be written at exactly (at least its own) is
/// worked out once; a number of another scale is compared as decimals are.
#[derive(Debug, Clone)]
pub(crate) struct ScaledNumber {
    number: rust_decimal::Decimal,
    by_scale: [Option<i128>; 29],
}

impl ScaledNumber {
    fn new(number: rust_decimal::Decimal) -> ScaledNumber {
        let mut by_scale = [None; 29];
        let own = number.scale() as usize;
        let mut mantissa = Some(number.mantissa());
        for (scale, slot) in by_scale.iter_mut().enumerate().skip(own) {
            if scale > own {
                mantissa = mantissa.and_then(|mantissa| mantissa.checked_mul(10));
            }
            *slot = mantissa;
        }
        ScaledNumber { number, by_scale }
    }

    #[inline(always)]
    fn at_scale(&self, scale: u32) -> Option<i128> {
        self.by_scale.get(scale as usize).copied().flatten()
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

    fn can_fail(&self) -> bool {
        matches!(self, Operand::General(_))
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
