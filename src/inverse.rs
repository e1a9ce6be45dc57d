//! Solving a compiled expression for one input of a record: at which value of a field does a
//! comparison or a bracket change? Used by explanations (what would change an outcome) and by
//! diffs (a record on which two versions of a policy disagree).
//!
//! Solving goes through the linear forms policies use (`X`, `X + c`, `c × X`, `X / c`, `c / X`,
//! `date + duration`, a value defined by such a form, a table's bracket bounds). A solution is
//! only a candidate: callers check every claim by deciding the record again.

use crate::check::Type;
use crate::compile::{Code, CompiledPattern, Operation, Program, StepKind};
use crate::eval::{arithmetic, evaluate};
use crate::syntax::BinaryOperator;
use crate::value::Value;
use rust_decimal::Decimal;

/// One record of a program, with its computed slots.
pub struct Inverse<'a> {
    pub program: &'a Program,
    pub record: &'a [Value],
    pub slots: &'a [Value],
}

impl Inverse<'_> {
    /// Candidate values of `field` at which some comparison or bracket of the program changes.
    pub fn thresholds(&self, field: usize) -> Vec<Value> {
        let mut thresholds = Vec::new();
        for step in &self.program.steps {
            if let StepKind::Table { keys, rows, .. } = &step.kind {
                if let Some(key) = keys.first().filter(|key| self.reads_field(key, field)) {
                    for row in rows {
                        if let CompiledPattern::Range { lower, upper } = &row.pattern {
                            for (_, limit) in lower.iter().chain(upper.iter()) {
                                if let Ok(limit) = evaluate(limit, self.record, self.slots) {
                                    thresholds.extend(self.solve(key, field, limit));
                                }
                            }
                        }
                    }
                }
            }
            for code in step.kind.codes() {
                code.walk(&mut |node| {
                    if let Operation::Compare { left, right, .. } = &node.operation {
                        let (side, other) = match (self.reads_field(left, field), self.reads_field(right, field)) {
                            (true, false) => (left, right),
                            (false, true) => (right, left),
                            _ => return,
                        };
                        if let Ok(target) = evaluate(other, self.record, self.slots) {
                            thresholds.extend(self.solve(side, field, target));
                        }
                    }
                });
            }
        }
        thresholds
    }

    /// The value of `field` for which `code` equals `target`, through linear forms; `None` when
    /// `code` is not such a form of `field`.
    pub fn solve(&self, code: &Code, field: usize, target: Value) -> Option<Value> {
        if target.is_unknown() {
            return None;
        }
        let known = |value: Value| Some(value).filter(|value| !value.is_unknown());
        match &code.operation {
            Operation::Field(index) if *index == field => Some(target),
            Operation::Slot(slot) => match &self.program.steps.get(*slot)?.kind {
                StepKind::Value(inner) => self.solve(inner, field, target),
                _ => None,
            },
            Operation::Negate(inner) => {
                let negated = arithmetic(BinaryOperator::Subtract, &Value::Number(Decimal::ZERO), &target).ok()?;
                self.solve(inner, field, known(negated)?)
            }
            Operation::Binary { operator, left, right, .. } => {
                let in_left = self.reads_field(left, field);
                let in_right = self.reads_field(right, field);
                let (unknown_side, constant) = match (in_left, in_right) {
                    (true, false) => (left, right),
                    (false, true) => (right, left),
                    _ => return None,
                };
                let constant = known(evaluate(constant, self.record, self.slots).ok()?)?;
                use BinaryOperator::*;
                let inverse = match (operator, in_left) {
                    (Add, _) => arithmetic(Subtract, &target, &constant),
                    (Subtract, true) => arithmetic(Add, &target, &constant),
                    (Subtract, false) => arithmetic(Subtract, &constant, &target),
                    (Multiply | Of, _) => arithmetic(Divide, &target, &constant),
                    (Divide, true) => arithmetic(Multiply, &target, &constant),
                    (Divide, false) => arithmetic(Divide, &constant, &target),
                };
                self.solve(unknown_side, field, known(inverse.ok()?)?)
            }
            _ => None,
        }
    }

    /// Whether `code` depends on `field`, directly or through the values and tables it uses.
    pub fn reads_field(&self, code: &Code, field: usize) -> bool {
        let mut reads = false;
        code.walk(&mut |node| match node.operation {
            Operation::Field(index) if index == field => reads = true,
            Operation::Slot(slot) if !reads => {
                if let Some(step) = self.program.steps.get(slot) {
                    reads = step.kind.codes().iter().any(|inner| self.reads_field(inner, field));
                }
            }
            _ => {}
        });
        reads
    }
}

/// The smallest step of a column's type: 1 for counts, 1分 for money, one day for dates.
pub fn step(value: &Value, value_type: &Type, direction: i64) -> Option<Value> {
    match value {
        Value::Number(number) => {
            let unit = match value_type {
                Type::Integer => Decimal::ONE,
                Type::Money => Decimal::new(1, 2),
                _ => Decimal::new(1, 6),
            };
            let delta = unit.checked_mul(Decimal::from(direction))?;
            Some(Value::Number(number.checked_add(delta)?))
        }
        Value::Date(date) => Some(Value::Date(date.checked_add_signed(chrono::TimeDelta::try_days(direction)?)?)),
        _ => None,
    }
}
