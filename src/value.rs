//! Runtime values shared by the data reader, the evaluator and the output formats.
//!
//! The checker guarantees that every expression has one static type, so values do not carry
//! their type: decimals, money (always in 元) and percents (as a fraction, `50%` is `0.5`) share
//! one exact `Decimal` representation. Money is never a float.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// One value of a record, a parameter or an intermediate result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Value {
    /// A blank input, or anything computed from one: never false, never zero.
    #[default]
    Unknown,
    Bool(bool),
    /// Integers, decimals, money in 元 and percents as fractions.
    Number(Decimal),
    Date(NaiveDate),
    Duration(Period),
    Text(Arc<str>),
    /// The index of a label in its enum declaration.
    Enum(u32),
    List(Arc<[Value]>),
    /// An unknown number known to lie within bounds, e.g. the score a bracket table gives for a
    /// blank key: any of its rows' results. It is unknown everywhere a plain unknown is, except
    /// that sums and comparisons use its bounds (`0–20` + `35` ≥ `60` is still unknown; ≥ `30` is yes).
    /// Boxed so that the common values stay small.
    Between(Box<Interval>),
}

/// Inclusive bounds of an unknown number; `low < high` always (equal bounds are a known number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    pub low: Decimal,
    pub high: Decimal,
}

impl Value {
    /// Blank or computed from a blank, bounded or not.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown | Value::Between(_))
    }

    /// A number whose bounds are `low` and `high`: known when they are equal.
    pub fn between(low: Decimal, high: Decimal) -> Value {
        match low.cmp(&high) {
            std::cmp::Ordering::Equal => Value::Number(low),
            std::cmp::Ordering::Less => Value::Between(Box::new(Interval { low, high })),
            std::cmp::Ordering::Greater => Value::Between(Box::new(Interval { low: high, high: low })),
        }
    }

    /// The bounds of a number, known (both bounds equal) or not; `None` for anything else,
    /// an unbounded unknown included.
    pub fn bounds(&self) -> Option<(Decimal, Decimal)> {
        match self {
            Value::Number(number) => Some((*number, *number)),
            Value::Between(interval) => Some((interval.low, interval.high)),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Decimal> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// A calendar period: years and months are added as calendar months, days as days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Period {
    pub years: i32,
    pub months: i32,
    pub days: i32,
}

impl Period {
    pub fn total_months(&self) -> i64 {
        i64::from(self.years) * 12 + i64::from(self.months)
    }

    /// The date `self` after `date`, or `None` when it leaves chrono's calendar.
    pub fn after(&self, date: NaiveDate) -> Option<NaiveDate> {
        let months = self.total_months();
        let shifted = if months >= 0 {
            date.checked_add_months(chrono::Months::new(u32::try_from(months).ok()?))?
        } else {
            date.checked_sub_months(chrono::Months::new(u32::try_from(-months).ok()?))?
        };
        shifted.checked_add_signed(chrono::TimeDelta::try_days(i64::from(self.days))?)
    }

    pub fn negated(&self) -> Period {
        Period { years: -self.years, months: -self.months, days: -self.days }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = |count: i32, singular: &str| {
            if count.abs() == 1 {
                format!("{count} {singular}")
            } else {
                format!("{count} {singular}s")
            }
        };
        let mut parts = Vec::new();
        if self.years != 0 {
            parts.push(unit(self.years, "year"));
        }
        if self.months != 0 {
            parts.push(unit(self.months, "month"));
        }
        if self.days != 0 || parts.is_empty() {
            parts.push(unit(self.days, "day"));
        }
        write!(f, "{}", parts.join(" "))
    }
}
