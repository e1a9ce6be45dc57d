//! What would change an outcome: margins of comparisons, the one-input change that would make
//! a failed condition pass, and, for an unknown item, what each blank column's values would
//! decide.
//!
//! Thresholds are found by solving a comparison for one input through the linear forms policies
//! use (`X`, `X + c`, `c × X`, `X / c`, `c / X`, `date + duration`, a value defined by such a
//! form, a table's bracket bounds). A threshold is only a candidate: every claim is checked by
//! deciding the record again with the input changed, so a wrong candidate costs time, never a
//! wrong explanation.

use super::{Case, Explainer, Settling, Sides, Verdict};
use crate::check::Type;
use crate::compile::{Code, Operation};
use crate::eval::{decide, evaluate, AwardStatus, Outcome};
use crate::inverse::{step, Inverse};
use crate::output::{date_text, value_text};
use crate::syntax::CompareOperator;
use crate::value::{Period, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// At most this many blank columns are tried for one unknown item, and this many thresholds
/// for one column: enough for real policies, and it bounds the cost of `eval --explain`.
const MOST_BLANK_COLUMNS: usize = 8;
const MOST_THRESHOLDS: usize = 16;

impl Explainer<'_, '_> {
    /// `注册日期 2022-07-01 至评价日期 2024-06-30：1年11个月29天` for a condition that compares
    /// a date column with the evaluation date.
    pub(super) fn elapsed(&self, code: &Code) -> Option<String> {
        let mut date_field = None;
        let mut reads_as_of = false;
        code.walk(&mut |node| match node.operation {
            Operation::Field(index) if matches!(self.field(index).map(|field| &field.field_type), Some(Type::Date)) => {
                date_field = Some(index)
            }
            Operation::AsOf(_) => reads_as_of = true,
            _ => {}
        });
        let (index, true) = (date_field?, reads_as_of) else { return None };
        let Some(Value::Date(from)) = self.record.get(index) else { return None };
        let period = period_between(*from, self.program.as_of)?;
        let column = &self.field(index)?.column;
        Some(self.lang.elapsed(column, &date_text(*from), &date_text(self.program.as_of), &self.lang.period(&period)))
    }

    /// How far a comparison of two known numbers or dates passed or failed.
    pub(super) fn margin(&self, operator: CompareOperator, sides: &Sides, verdict: Verdict) -> Option<String> {
        let (left, right) = (sides.left, sides.right);
        let (left_value, right_value) = sides.values;
        let mut dates = false;
        let (difference, words) = match (left_value, right_value) {
            (Value::Number(left_number), Value::Number(right_number)) => {
                let difference = left_number.checked_sub(*right_number)?;
                let shown_type = match self.code_type(left) {
                    Type::Decimal | Type::Integer => self.code_type(right),
                    other => other,
                };
                let words = value_text(self.model, &shown_type, &Value::Number(difference.abs()));
                (difference.cmp(&Decimal::ZERO), words)
            }
            (Value::Date(left_date), Value::Date(right_date)) => {
                dates = true;
                let (earlier, later) =
                    if left_date <= right_date { (left_date, right_date) } else { (right_date, left_date) };
                (left_date.cmp(right_date), self.lang.period(&period_between(*earlier, *later)?))
            }
            _ => return None,
        };
        let lang = self.lang;
        let passed = verdict == Verdict::Yes;
        if dates && difference != Ordering::Equal && operator != CompareOperator::Equal {
            return Some(if passed { lang.to_spare(&words) } else { lang.short_by(&words) });
        }
        Some(match operator {
            CompareOperator::GreaterOrEqual | CompareOperator::Greater => match (passed, difference) {
                (true, Ordering::Equal) => lang.exactly_at().to_string(),
                (true, _) => lang.exceeds_by(&words),
                (false, Ordering::Equal) => lang.equal_but_strict().to_string(),
                (false, _) => lang.short_by(&words),
            },
            CompareOperator::LessOrEqual | CompareOperator::Less => match (passed, difference) {
                (true, Ordering::Equal) => lang.exactly_at().to_string(),
                (true, _) => lang.under_by(&words),
                (false, Ordering::Equal) => lang.equal_but_strict().to_string(),
                (false, _) => lang.over_by(&words),
            },
            _ => return None,
        })
    }

    /// For a comparison with a bounded unknown side: the bounds, the blanks that leave it open,
    /// and what it is compared with — `score = 55–95 while 上年度营业收入（万元） is blank; needs ≥ 60`.
    pub(super) fn bounds_detail(&self, operator: CompareOperator, sides: &Sides) -> Option<String> {
        let (left, right) = (sides.left, sides.right);
        let (left_value, right_value) = sides.values;
        let (side, interval, other, other_value, operator) = match (left_value, right_value) {
            (Value::Between(interval), _) => (left, **interval, right, right_value, operator),
            (_, Value::Between(interval)) => (right, **interval, left, left_value, operator.flipped()),
            _ => return None,
        };
        let side_type = self.code_type(side);
        let bounds = self.range_words(&side_type, interval.low, interval.high);
        let mut text = format!("{} = {bounds}", self.snippet(side.span));
        let mut blanks = Vec::new();
        let mut visited = vec![false; self.program.steps.len()];
        side.walk(&mut |node| match node.operation {
            Operation::Slot(slot) => self.blank_inputs(slot, &mut blanks, &mut visited),
            Operation::Field(index) => self.blank_field(index, &mut blanks),
            _ => {}
        });
        if !blanks.is_empty() {
            text = self.lang.while_blank(&text, &self.lang.blank(&blanks));
        }
        if !other_value.is_unknown() {
            let other_type = self.code_type(other);
            let requirement = format!("{} {}", operator.symbol(), value_text(self.model, &other_type, other_value));
            text.push_str(self.lang.separator());
            text.push_str(&self.lang.needs(&requirement));
        }
        Some(text)
    }

    /// The smallest change of one input that would turn a leaf condition's outcome (`passes`)
    /// the other way: `would pass with 上年度营业收入（万元） ≥ 900万元`.
    pub(super) fn counterfactual(&self, code: &Code, passes: bool) -> Option<String> {
        let lang = self.lang;
        let wanted = !passes;
        let say = |change: String| if wanted { lang.would_pass_with(&change) } else { lang.would_fail_with(&change) };
        let flag = |field: &crate::check::Field, value: bool| {
            (field.field_type == Type::Bool)
                .then(|| say(format!("{} = {}", field.column, if value { "是" } else { "否" })))
        };
        match &code.operation {
            Operation::Field(index) => flag(self.field(*index)?, wanted),
            // `"独角兽企业" in new_honours`: the list column would have to hold (or lose) the value.
            Operation::Compare { operator: operator @ (CompareOperator::In | CompareOperator::NotIn), left, right }
                if matches!(right.operation, Operation::Field(_)) =>
            {
                let Operation::Field(index) = right.operation else { return None };
                let field = self.field(index)?;
                let Type::List(element_type) = &field.field_type else { return None };
                let Ok(wanted_value) = evaluate(left, self.record, self.slots) else { return None };
                let words = value_text(self.model, element_type, &wanted_value);
                let inside = wanted == (*operator == CompareOperator::In);
                Some(say(format!("{} {} {words}", field.column, if inside { "∋" } else { "∌" })))
            }
            Operation::Compare { operator: operator @ (CompareOperator::In | CompareOperator::NotIn), left, right } => {
                let Operation::Field(index) = left.operation else { return None };
                let field = self.field(index)?;
                let Ok(Value::List(listed)) = evaluate(right, self.record, self.slots) else { return None };
                let labels: Vec<String> =
                    listed.iter().map(|value| value_text(self.model, &field.field_type, value)).collect();
                let inside = wanted == (*operator == CompareOperator::In);
                let symbol = if inside { "∈" } else { "∉" };
                Some(say(format!("{} {symbol} {{{}}}", field.column, labels.join(lang.list_separator()))))
            }
            Operation::Compare { left, right, .. } => {
                let mut changes = Vec::new();
                for field in self.fields_read(code).into_iter().take(2) {
                    if let Some(range) = self.range_giving(code, left, right, field, wanted) {
                        if let Some(definition) = self.field(field) {
                            changes.push(format!("{} {range}", definition.column));
                        }
                    }
                }
                (!changes.is_empty()).then(|| say(changes.join(lang.or())))
            }
            _ => None,
        }
    }

    /// `≥ 900万元`: the values of `field` for which the comparison `code` gives `wanted`, the
    /// other inputs as they are.
    fn range_giving(&self, code: &Code, left: &Code, right: &Code, field: usize, wanted: bool) -> Option<String> {
        let current = self.record.get(field).filter(|value| !value.is_unknown())?;
        let (side, other) = match (self.reads_field(left, field), self.reads_field(right, field)) {
            (true, false) => (left, right),
            (false, true) => (right, left),
            _ => return None,
        };
        let target = evaluate(other, self.record, self.slots).ok().filter(|value| !value.is_unknown())?;
        let field_type = self.field(field)?.field_type.clone();
        let threshold = self.solve(side, field, target)?;
        let threshold = round_for(&field_type, threshold, current);
        // A condition on the data alone is evaluated again by itself; one that uses values
        // computed from the field needs the whole record decided again.
        let uses_values = {
            let mut uses = false;
            code.walk(&mut |node| uses |= matches!(node.operation, Operation::Slot(_)));
            uses
        };
        let passes = |value: &Value| -> Option<bool> {
            let record = self.with_field(field, value.clone());
            let result = if uses_values {
                let outcome = decide(self.program, &record).ok()?;
                evaluate(code, &record, &outcome.slots).ok()?.as_bool()?
            } else {
                evaluate(code, &record, self.slots).ok()?.as_bool()?
            };
            Some(result == wanted)
        };
        let above = step(&threshold, &field_type, 1)?;
        let below = step(&threshold, &field_type, -1)?;
        let at = passes(&threshold)?;
        let shown = value_text(self.model, &field_type, &threshold);
        let integer = field_type == Type::Integer;
        match (passes(&above)?, passes(&below)?) {
            (true, false) if at => Some(format!("≥ {shown}")),
            (true, false) if integer => Some(format!("≥ {}", value_text(self.model, &field_type, &above))),
            (true, false) => Some(format!("> {shown}")),
            (false, true) if at => Some(format!("≤ {shown}")),
            (false, true) if integer => Some(format!("≤ {}", value_text(self.model, &field_type, &below))),
            (false, true) => Some(format!("< {shown}")),
            (false, false) if at => Some(format!("= {shown}")),
            _ => None,
        }
    }

    /// For an unknown item: each blank column it depends on, and the outcome its values give,
    /// the other inputs as they are.
    pub(super) fn settle(&self, item: usize) -> Result<Vec<Settling>, crate::eval::EvalError> {
        let Some(slot) = self.program.slot_of_item.get(item).copied().flatten() else { return Ok(Vec::new()) };
        let mut blank_fields = Vec::new();
        self.blank_field_indices(slot, &mut blank_fields, &mut vec![false; self.program.steps.len()]);
        let mut settlings = Vec::new();
        for field in blank_fields.into_iter().take(MOST_BLANK_COLUMNS) {
            let Some(definition) = self.field(field) else { continue };
            let field_type = definition.field_type.clone();
            let verdict_with = |value: Value| -> Option<Verdict> {
                let outcome = self.decide_with(field, value)?;
                Some(self.item_verdict(item, &outcome))
            };
            let mut cases: Vec<Case> = Vec::new();
            let mut add = |when: String, outcome: Verdict| match cases.last_mut() {
                Some(last) if last.outcome == outcome && matches!(field_type, Type::Enum(_)) => {
                    last.when.push_str(self.lang.list_separator());
                    last.when.push_str(&when);
                }
                _ => cases.push(Case { when, outcome }),
            };
            match &field_type {
                Type::Bool => {
                    let outcomes: Option<Vec<Verdict>> =
                        [true, false].into_iter().map(|value| verdict_with(Value::Bool(value))).collect();
                    for (value, outcome) in [true, false].into_iter().zip(outcomes.unwrap_or_default()) {
                        add(value_text(self.model, &field_type, &Value::Bool(value)), outcome);
                    }
                }
                Type::Enum(index) => {
                    let count = self.model.enums.get(*index).map_or(0, |definition| definition.labels.len());
                    let mut outcomes: Vec<(String, Verdict)> = Vec::new();
                    for label in 0..count {
                        let value = Value::Enum(u32::try_from(label).unwrap_or(u32::MAX));
                        match verdict_with(value.clone()) {
                            Some(outcome) => outcomes.push((value_text(self.model, &field_type, &value), outcome)),
                            None => {
                                outcomes.clear();
                                break;
                            }
                        }
                    }
                    // Labels grouped by outcome, in the order outcomes first appear.
                    outcomes.sort_by_key(|(_, outcome)| outcomes_order(*outcome));
                    for (label, outcome) in outcomes {
                        add(label, outcome);
                    }
                }
                Type::Integer | Type::Decimal | Type::Money | Type::Percent | Type::Date => {
                    for (when, outcome) in self.ranges(field, &field_type, &verdict_with) {
                        cases.push(Case { when, outcome });
                    }
                }
                _ => {}
            }
            if cases.is_empty() {
                continue;
            }
            if cases.iter().all(|case| case.outcome == Verdict::Unknown) {
                cases = vec![Case { when: self.lang.alone_cannot_settle().to_string(), outcome: Verdict::Unknown }];
            }
            settlings.push(Settling { column: definition.column.clone(), cases });
        }
        Ok(settlings)
    }

    /// The outcome over the ranges of an ordered column cut at its thresholds, adjacent ranges
    /// with the same outcome merged: `[("< 900万元", No), ("≥ 900万元", Yes)]`.
    /// Empty when a value could not be decided (a parameter left open): a partial answer
    /// would claim too much.
    fn ranges(
        &self,
        field: usize,
        field_type: &Type,
        verdict_with: &dyn Fn(Value) -> Option<Verdict>,
    ) -> Vec<(String, Verdict)> {
        let mut thresholds = self.thresholds(field);
        thresholds.sort_by(compare_values);
        thresholds.dedup();
        thresholds.truncate(MOST_THRESHOLDS);
        if thresholds.is_empty() {
            return Vec::new();
        }
        // Pieces in order: below the first threshold, each threshold, between two, above the last.
        let mut pieces: Vec<(Piece, Verdict)> = Vec::new();
        let mut previous: Option<&Value> = None;
        for threshold in &thresholds {
            let inside = match previous {
                None => step(threshold, field_type, -1),
                Some(previous) => midpoint(previous, threshold, field_type),
            };
            if let Some(inside) = inside {
                let Some(outcome) = verdict_with(inside) else { return Vec::new() };
                pieces.push((Piece::Open(previous.cloned(), Some(threshold.clone())), outcome));
            }
            let Some(outcome) = verdict_with(threshold.clone()) else { return Vec::new() };
            pieces.push((Piece::Point(threshold.clone()), outcome));
            previous = Some(threshold);
        }
        if let Some(above) = previous.and_then(|last| step(last, field_type, 1)) {
            let Some(outcome) = verdict_with(above) else { return Vec::new() };
            pieces.push((Piece::Open(previous.cloned(), None), outcome));
        }
        let mut merged: Vec<(Piece, Piece, Verdict)> = Vec::new();
        for (piece, outcome) in pieces {
            match merged.last_mut() {
                Some((_, last, last_outcome)) if *last_outcome == outcome => *last = piece,
                _ => merged.push((piece.clone(), piece, outcome)),
            }
        }
        let show = |value: &Value| value_text(self.model, field_type, value);
        merged
            .into_iter()
            .map(|(first, last, outcome)| {
                let lower = match first {
                    Piece::Point(value) => Some((value, true)),
                    Piece::Open(lower, _) => lower.map(|value| (value, false)),
                };
                let upper = match last {
                    Piece::Point(value) => Some((value, true)),
                    Piece::Open(_, upper) => upper.map(|value| (value, false)),
                };
                let when = match (lower, upper) {
                    (None, None) => "—".to_string(),
                    (Some((value, inclusive)), None) => {
                        format!("{} {}", if inclusive { "≥" } else { ">" }, show(&value))
                    }
                    (None, Some((value, inclusive))) => {
                        format!("{} {}", if inclusive { "≤" } else { "<" }, show(&value))
                    }
                    (Some((low, true)), Some((high, true))) if low == high => format!("= {}", show(&low)),
                    (Some((low, low_inclusive)), Some((high, high_inclusive))) => format!(
                        "{} {} … {} {}",
                        if low_inclusive { "≥" } else { ">" },
                        show(&low),
                        if high_inclusive { "≤" } else { "<" },
                        show(&high)
                    ),
                };
                (when, outcome)
            })
            .collect()
    }

    /// Solving this record's expressions for one of its fields.
    fn inverse(&self) -> Inverse<'_> {
        Inverse { program: self.program, record: self.record, slots: self.slots }
    }

    fn thresholds(&self, field: usize) -> Vec<Value> {
        self.inverse().thresholds(field)
    }

    fn solve(&self, code: &Code, field: usize, target: Value) -> Option<Value> {
        self.inverse().solve(code, field, target)
    }

    fn reads_field(&self, code: &Code, field: usize) -> bool {
        self.inverse().reads_field(code, field)
    }

    /// The data fields a condition depends on, directly or through values, in the order read.
    fn fields_read(&self, code: &Code) -> Vec<usize> {
        self.program.fields_read([code])
    }

    /// The blank fields a step depends on, through the unknown values it uses.
    pub(super) fn blank_field_indices(&self, slot: usize, fields: &mut Vec<usize>, visited: &mut Vec<bool>) {
        match visited.get_mut(slot) {
            Some(seen) if !*seen => *seen = true,
            _ => return,
        }
        let Some(step) = self.program.steps.get(slot) else { return };
        for code in step.kind.codes() {
            code.walk(&mut |node| match node.operation {
                Operation::Field(index)
                    if self.record.get(index).is_none_or(Value::is_unknown) && !fields.contains(&index) =>
                {
                    fields.push(index)
                }
                Operation::Slot(used) if self.slots.get(used).is_none_or(Value::is_unknown) => {
                    self.blank_field_indices(used, fields, visited)
                }
                _ => {}
            });
        }
    }

    fn with_field(&self, field: usize, value: Value) -> Vec<Value> {
        let mut record = self.record.to_vec();
        if let Some(cell) = record.get_mut(field) {
            *cell = value;
        }
        record
    }

    /// The record decided again with one field changed.
    fn decide_with(&self, field: usize, value: Value) -> Option<Outcome> {
        decide(self.program, &self.with_field(field, value)).ok()
    }

    fn item_verdict(&self, item: usize, outcome: &Outcome) -> Verdict {
        match outcome.awards.iter().find(|award| award.item == item) {
            Some(award) => match award.status {
                AwardStatus::Paid(_) => Verdict::Paid,
                AwardStatus::Superseded { .. } => Verdict::Superseded,
                AwardStatus::NotEligible => Verdict::NotEligible,
                AwardStatus::NothingToPay => Verdict::NothingToPay,
                AwardStatus::Unknown => Verdict::Unknown,
            },
            None => Verdict::of_value(outcome.slot(self.program, item)),
        }
    }
}

/// Yes-like outcomes first, then no-like, then unknown: how enum labels are grouped.
fn outcomes_order(outcome: Verdict) -> u8 {
    match outcome.as_condition() {
        Verdict::Yes => 0,
        Verdict::No => 1,
        _ => 2,
    }
}

/// One piece of an ordered column cut at its thresholds.
#[derive(Debug, Clone)]
enum Piece {
    Point(Value),
    /// Strictly between two thresholds; `None` is unbounded.
    Open(Option<Value>, Option<Value>),
}

fn compare_values(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.cmp(right),
        (Value::Date(left), Value::Date(right)) => left.cmp(right),
        _ => Ordering::Equal,
    }
}

/// A value strictly between two thresholds, when the type has one.
fn midpoint(low: &Value, high: &Value, value_type: &Type) -> Option<Value> {
    match (low, high) {
        (Value::Number(low), Value::Number(high)) => {
            let middle = low.checked_add(*high)?.checked_div(Decimal::TWO)?;
            let middle = if *value_type == Type::Integer { middle.floor() } else { middle };
            (middle > *low && middle < *high).then_some(Value::Number(middle))
        }
        (Value::Date(low), Value::Date(high)) => {
            let days = high.signed_duration_since(*low).num_days() / 2;
            let middle = low.checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
            (middle > *low && middle < *high).then_some(Value::Date(middle))
        }
        _ => None,
    }
}

/// A threshold for an integer column falls on a whole number on the side of the current value.
fn round_for(value_type: &Type, threshold: Value, current: &Value) -> Value {
    match (value_type, &threshold, current) {
        (Type::Integer, Value::Number(number), Value::Number(now)) if !number.fract().is_zero() => {
            Value::Number(if now < number { number.ceil() } else { number.floor() })
        }
        _ => threshold,
    }
}

/// Whole years, months and days from `from` to `to` (`from <= to`), as a calendar counts them.
pub(super) fn period_between(from: NaiveDate, to: NaiveDate) -> Option<Period> {
    use chrono::Datelike;
    if to < from {
        return None;
    }
    let mut months =
        (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month()) - i64::from(from.month());
    let shifted = |months: i64| from.checked_add_months(chrono::Months::new(u32::try_from(months).ok()?));
    while months > 0 && shifted(months).is_none_or(|date| date > to) {
        months -= 1;
    }
    let anchor = shifted(months)?;
    let days = to.signed_duration_since(anchor).num_days();
    Some(Period {
        years: i32::try_from(months / 12).ok()?,
        months: i32::try_from(months % 12).ok()?,
        days: i32::try_from(days).ok()?,
    })
}
