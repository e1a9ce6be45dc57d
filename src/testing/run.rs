//! Running one case: compile the policy for its entity, date and `set` values, decide its
//! record, compare every expectation with the outcome, and for a failure explain the outcome of
//! the items that failed with `explain`'s own tree.

use super::{AwardExpectation, Case, CaseReport, Expect, Mismatch, Observation, Observed};
use crate::check::{ItemKind, Model, Type};
use crate::compile::{self, StepKind};
use crate::eval::{self, AwardStatus, Outcome};
use crate::explain::{self, Explanation, Lang, Node};
use crate::output::{money_text, truth_word, value_text};
use crate::value::Value;

/// How a failed case's explanation is written.
#[derive(Debug, Clone, Copy)]
pub struct Explaining {
    pub lang: Lang,
    /// Colour codes in the explanation, for a terminal.
    pub colour: bool,
}

/// Runs one case of a policy whose text is `source`.
pub fn run_case(model: &Model, source: &str, case: &Case, explaining: Explaining) -> CaseReport {
    let program = compile::compile(model, case.entity, &case.settings);
    let values = &case.record.values;
    let mut report = CaseReport {
        name: case.name.clone(),
        line: case.line,
        mismatches: Vec::new(),
        explanation: None,
        observed: None,
    };
    let outcome = match eval::decide(&program, values) {
        Ok(outcome) => outcome,
        Err(error) => {
            let message = error.message(model);
            for expectation in &case.expectations {
                let holds = match expectation {
                    Expect::Error(words) => words.as_ref().is_none_or(|words| message.contains(words.as_str())),
                    _ => false,
                };
                if !holds {
                    report.mismatches.push(Mismatch {
                        subject: subject(model, expectation),
                        expected: expected_text(model, expectation),
                        actual: format!("error: {message}"),
                    });
                }
            }
            return report;
        }
    };
    let mut failed_items = Vec::new();
    for expectation in &case.expectations {
        if !holds(&program, &outcome, expectation) {
            report.mismatches.push(Mismatch {
                subject: subject(model, expectation),
                expected: expected_text(model, expectation),
                actual: actual_text(model, &program, &outcome, expectation),
            });
            failed_items.extend(expectation.item());
        }
    }
    if report.mismatches.is_empty() {
        let checked = super::coverage::checked_items(model, &case.expectations);
        report.observed = Some(observe(model, &program, values, &outcome, &checked));
        return report;
    }
    let key = case.record.key.as_deref();
    report.explanation =
        Some(match explain::explain(model, &program, source, key, values, &outcome, explaining.lang) {
            Ok(explanation) => {
                let names: Vec<&str> = failed_items
                    .iter()
                    .filter_map(|item| model.items.get(*item))
                    .map(|definition| definition.name.as_str())
                    .collect();
                explain::render_text(&only_items(explanation, &names), explaining.colour)
            }
            Err(error) => error.message(model),
        });
    report
}

fn holds(program: &compile::Program, outcome: &Outcome, expect: &Expect) -> bool {
    match expect {
        Expect::Condition { item, expected } => outcome.slot(program, *item).as_bool() == *expected,
        Expect::Value { item, expected } => {
            let actual = outcome.slot(program, *item);
            match expected {
                Value::Unknown => actual.is_unknown(),
                expected => actual == expected,
            }
        }
        Expect::Award { item, expected } => {
            let status = outcome.awards.iter().find(|award| award.item == *item).map(|award| &award.status);
            match (expected, status) {
                (AwardExpectation::Pays(amount), Some(AwardStatus::Paid(paid))) => paid == amount,
                (AwardExpectation::PaysNothing, status) => !matches!(status, Some(AwardStatus::Paid(_))),
                (AwardExpectation::NotEligible, Some(AwardStatus::NotEligible)) => true,
                (AwardExpectation::Superseded(None), Some(AwardStatus::Superseded { .. })) => true,
                (AwardExpectation::Superseded(Some(winner)), Some(AwardStatus::Superseded { by, .. })) => by == winner,
                _ => false,
            }
        }
        Expect::Error(_) => false,
    }
}

/// What an expectation is about: its item, or the record for an expected error.
fn subject(model: &Model, expect: &Expect) -> String {
    expect.item().map_or_else(|| "the record".to_string(), |item| item_name(model, item).to_string())
}

fn item_name(model: &Model, item: usize) -> &str {
    model.items.get(item).map(|definition| definition.name.as_str()).unwrap_or("?")
}

/// What was expected, in the words the test file uses.
fn expected_text(model: &Model, expect: &Expect) -> String {
    match expect {
        Expect::Condition { expected, .. } => truth_word(&expected.map(Value::Bool).unwrap_or(Value::Unknown)).into(),
        Expect::Value { item, expected } => shown_value(model, *item, expected),
        Expect::Award { expected, .. } => match expected {
            AwardExpectation::Pays(amount) => format!("pays {}", money_text(*amount)),
            AwardExpectation::PaysNothing => "pays nothing".into(),
            AwardExpectation::NotEligible => "not eligible".into(),
            AwardExpectation::Superseded(None) => "superseded".into(),
            AwardExpectation::Superseded(Some(winner)) => format!("superseded by {}", item_name(model, *winner)),
        },
        Expect::Error(None) => "error".into(),
        Expect::Error(Some(words)) => format!("error \"{words}\""),
    }
}

/// What the record came to, in the same words.
fn actual_text(model: &Model, program: &compile::Program, outcome: &Outcome, expect: &Expect) -> String {
    match expect {
        Expect::Condition { item, .. } => truth_word(outcome.slot(program, *item)).into(),
        Expect::Value { item, .. } => shown_value(model, *item, outcome.slot(program, *item)),
        Expect::Award { item, .. } => {
            let status = outcome.awards.iter().find(|award| award.item == *item).map(|award| &award.status);
            match status {
                Some(AwardStatus::Paid(amount)) => format!("pays {}", money_text(*amount)),
                Some(AwardStatus::Superseded { amount, by, .. }) => {
                    format!("superseded by {} ({} not paid)", item_name(model, *by), money_text(*amount))
                }
                Some(AwardStatus::NotEligible) => "not eligible".into(),
                Some(AwardStatus::Unknown) => "unknown (not paid)".into(),
                Some(AwardStatus::NothingToPay) => "pays nothing (eligible, the amount is 0)".into(),
                None => "unknown".into(),
            }
        }
        Expect::Error(_) => "decided, no error".into(),
    }
}

/// A value as people read it: `75`, `100万元`, `50%`, yes/no, `unknown` or `unknown, 55–95`.
fn shown_value(model: &Model, item: usize, value: &Value) -> String {
    let value_type = model.items.get(item).map(|definition| definition.item_type.clone()).unwrap_or(Type::Error);
    match value {
        Value::Unknown => "unknown".into(),
        Value::Bool(_) => truth_word(value).into(),
        value => value_text(model, &value_type, value),
    }
}

/// The explanation of the named items only: the top-level nodes of those that have one, and
/// for a rule, table or value its node in the tree, unless it is shown under another of them.
/// All of it when none is found.
fn only_items<'a>(explanation: Explanation<'a>, names: &[&str]) -> Explanation<'a> {
    fn find<'n, 'a>(nodes: &'n [Node<'a>], name: &str) -> Option<&'n Node<'a>> {
        nodes
            .iter()
            .find_map(|node| if node.name.as_deref() == Some(name) { Some(node) } else { find(&node.children, name) })
    }
    let found: Vec<&Node<'a>> = names.iter().filter_map(|name| find(&explanation.nodes, name)).collect();
    let shown_elsewhere = |node: &Node| {
        let name = node.name.as_deref().unwrap_or_default();
        found.iter().any(|other| other.name != node.name && find(&other.children, name).is_some())
    };
    let mut kept: Vec<Node<'a>> = Vec::new();
    for node in &found {
        if !shown_elsewhere(node) && !kept.iter().any(|other| other.name == node.name) {
            kept.push((*node).clone());
        }
    }
    if kept.is_empty() {
        return explanation;
    }
    Explanation { nodes: kept, ..explanation }
}

/// What a passing case showed of the items it checks (`checked`, by item), for coverage.
fn observe(
    model: &Model,
    program: &compile::Program,
    values: &[Value],
    outcome: &Outcome,
    checked: &[bool],
) -> Observed {
    let mut observations = Vec::new();
    for step in &program.steps {
        if checked.get(step.item) != Some(&true) {
            continue;
        }
        let Some(definition) = model.items.get(step.item) else { continue };
        let observation = match (&definition.kind, &step.kind) {
            (ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit, _) => {
                Observation::Truth(outcome.slot(program, step.item).as_bool())
            }
            (ItemKind::Award { .. }, _) => {
                let status =
                    outcome.awards.iter().find(|award| award.item == step.item).map(|award| award.status.clone());
                Observation::Award(status.unwrap_or(AwardStatus::Unknown))
            }
            (ItemKind::Table { .. }, StepKind::Table { keys, rows, complete }) => {
                let matched = eval::lookup(keys, rows, *complete, values, &outcome.slots).ok().and_then(|(_, row)| row);
                Observation::Row(matched)
            }
            _ => continue,
        };
        observations.push((step.item, observation));
    }
    Observed { entity: program.entity, observations }
}
