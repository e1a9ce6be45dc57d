//! What a new version does to real records: every record decided under both versions, the
//! moves counted per decision and award, each affected record with the changes that moved it,
//! and, for a change that moves nobody in the data, a constructed record that it does move.

use super::{Action, Change};
use crate::check::{Model, Type};
use crate::compile::{Code, CompiledPattern, Operation, Program, StepKind};
use crate::data::Record;
use crate::eval::{decide, evaluate, AwardStatus, Outcome};
use crate::inverse::{step, Inverse};
use crate::output::{money_text, truth_word, value_text, yuan_string};
use crate::value::Value;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many records of the data are tried as the base of a witness, and this many
/// changed records are listed in full.
const MOST_WITNESS_BASES: usize = 200;
const MOST_LISTED_RECORDS: usize = 1_000;

/// One version of the policy compiled for the data's entity, with the data read for it.
pub struct Run<'a> {
    pub model: &'a Model,
    pub program: &'a Program,
    /// One per data row, in order.
    pub records: &'a [Result<Record, crate::data::RowError>],
}

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub entity: String,
    pub as_of: String,
    pub rows: usize,
    /// Rows that either version could not read or decide.
    pub rejected: usize,
    pub decisions: Vec<DecisionImpact>,
    pub awards: Vec<AwardImpact>,
    pub benefits: Vec<DecisionImpact>,
    /// Amounts in 元.
    pub total_old: String,
    pub total_new: String,
    pub total_difference: String,
    /// How many records changed in any decision, award, benefit or total.
    pub affected: usize,
    /// The affected records (the first thousand), in data order.
    pub records: Vec<AffectedRecord>,
    /// For each change that moved no record of the data: a record it would move, if one was found.
    pub witnesses: Vec<Witness>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionImpact {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `"yes → no": 3`, only for moves that happened.
    pub moves: BTreeMap<String, usize>,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct AwardImpact {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Records paid under the new version and not under the old.
    pub gaining: usize,
    /// Records paid under the old version and not under the new.
    pub losing: usize,
    /// Records paid under both, a different amount.
    pub changing: usize,
    /// The award's total in 元 under each version.
    pub amount_old: String,
    pub amount_new: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AffectedRecord {
    pub row: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `cultivation_pool: yes → no`, `provincial_specialized: 20万元 → 30万元`.
    pub moves: Vec<String>,
    /// The changed declarations whose outcome on this record differs: what moved it.
    pub causes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Witness {
    /// The change (`kind name`) that moved no record of the data.
    pub change: String,
    /// Whether a record was found that the two versions decide differently.
    pub found: bool,
    /// The data row the witness was made from, and its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_key: Option<String>,
    /// The cells changed from that row, in the data's own columns and forms.
    pub cells: Vec<(String, String)>,
    /// What the two versions decide differently on it.
    pub moves: Vec<String>,
}

/// Decides every record under both versions and compares.
pub fn impact(old: &Run, new: &Run, changes: &[Change]) -> Impact {
    let mut decisions = outcome_counters(new.model, &new.program.decisions);
    let mut benefits = outcome_counters(new.model, &new.program.benefits);
    let mut awards: Vec<AwardImpact> = new
        .program
        .awards
        .iter()
        .chain(old.program.awards.iter().filter(|item| !has_item(new.model, &new.program.awards, old.model, **item)))
        .filter_map(|item| {
            let model = if new.program.awards.contains(item) { new.model } else { old.model };
            model.items.get(*item).map(|definition| AwardImpact {
                name: definition.name.clone(),
                label: definition.provenance.label.clone(),
                gaining: 0,
                losing: 0,
                changing: 0,
                amount_old: String::new(),
                amount_new: String::new(),
            })
        })
        .collect();
    let mut award_totals = vec![(Decimal::ZERO, Decimal::ZERO); awards.len()];
    let (mut total_old, mut total_new) = (Decimal::ZERO, Decimal::ZERO);
    let mut rejected = 0;
    let mut affected = 0;
    let mut records = Vec::new();
    let mut moved_by: BTreeMap<String, usize> = BTreeMap::new();
    let rows = new.records.len().max(old.records.len());
    for index in 0..rows {
        let (Some((_, old_outcome)), Some((new_record, new_outcome))) = (decided(old, index), decided(new, index))
        else {
            rejected += 1;
            continue;
        };
        total_old = total_old.saturating_add(old_outcome.total);
        total_new = total_new.saturating_add(new_outcome.total);
        let mut moves = Vec::new();
        for (counters, list) in [(&mut decisions, Kind::Decision), (&mut benefits, Kind::Benefit)] {
            for counter in counters.iter_mut() {
                let before = truth(old, &old_outcome, &counter.name);
                let after = truth(new, &new_outcome, &counter.name);
                if before == after {
                    counter.unchanged += 1;
                } else {
                    let transition = format!("{before} → {after}");
                    moves.push(format!("{}{}: {transition}", list.prefix(), counter.name));
                    *counter.moves.entry(transition).or_default() += 1;
                }
            }
        }
        for (award, totals) in awards.iter_mut().zip(award_totals.iter_mut()) {
            let before = paid(old, &old_outcome, &award.name);
            let after = paid(new, &new_outcome, &award.name);
            totals.0 = totals.0.saturating_add(before.unwrap_or_default());
            totals.1 = totals.1.saturating_add(after.unwrap_or_default());
            let words = |amount: Option<Decimal>| amount.map(money_text).unwrap_or_else(|| "not paid".to_string());
            match (before, after) {
                (None, Some(_)) => award.gaining += 1,
                (Some(_), None) => award.losing += 1,
                (Some(before_amount), Some(after_amount)) if before_amount != after_amount => award.changing += 1,
                _ => continue,
            }
            moves.push(format!("award {}: {} → {}", award.name, words(before), words(after)));
        }
        if old_outcome.total != new_outcome.total {
            moves.push(format!("total: {} → {}", money_text(old_outcome.total), money_text(new_outcome.total)));
        }
        if !moves.is_empty() {
            let causes = causes(old, new, &old_outcome, &new_outcome, changes);
            for cause in &causes {
                *moved_by.entry(cause.clone()).or_default() += 1;
            }
            affected += 1;
            if records.len() < MOST_LISTED_RECORDS {
                records.push(AffectedRecord { row: new_record.row, key: new_record.key.clone(), moves, causes });
            }
        }
    }
    for (award, (before, after)) in awards.iter_mut().zip(award_totals) {
        award.amount_old = yuan_string(before);
        award.amount_new = yuan_string(after);
    }
    let witnesses = changes
        .iter()
        .filter(|change| is_record_level(change) && !moved_by.contains_key(&cause_name(change)))
        .map(|change| witness(old, new, change, changes))
        .collect();
    Impact {
        entity: new.model.entities.get(new.program.entity).map(|entity| entity.name.clone()).unwrap_or_default(),
        as_of: new.program.as_of.to_string(),
        rows,
        rejected,
        decisions,
        awards,
        benefits,
        total_old: yuan_string(total_old),
        total_new: yuan_string(total_new),
        total_difference: yuan_string(total_new.saturating_sub(total_old)),
        affected,
        records,
        witnesses,
    }
}

/// Row `index` of a run, decided; `None` when it cannot be read or decided.
fn decided<'a>(run: &Run<'a>, index: usize) -> Option<(&'a Record, Outcome)> {
    let record = run.records.get(index)?.as_ref().ok()?;
    decide(run.program, &record.values).ok().map(|outcome| (record, outcome))
}

#[derive(Clone, Copy)]
enum Kind {
    Decision,
    Benefit,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Decision => "",
            Kind::Benefit => "benefit ",
        }
    }
}

fn has_item(new_model: &Model, new_items: &[usize], old_model: &Model, old_item: usize) -> bool {
    let name = old_model.items.get(old_item).map(|item| item.name.as_str());
    new_items.iter().any(|item| new_model.items.get(*item).map(|item| item.name.as_str()) == name)
}

fn outcome_counters(model: &Model, items: &[usize]) -> Vec<DecisionImpact> {
    items
        .iter()
        .filter_map(|item| model.items.get(*item))
        .map(|definition| DecisionImpact {
            name: definition.name.clone(),
            label: definition.provenance.label.clone(),
            moves: BTreeMap::new(),
            unchanged: 0,
        })
        .collect()
}

fn item_index(run: &Run, name: &str) -> Option<usize> {
    run.model.items.iter().position(|item| item.name == name)
}

/// `yes`, `no`, `unknown`, or `absent` when the version has no such declaration.
fn truth(run: &Run, outcome: &Outcome, name: &str) -> &'static str {
    match item_index(run, name) {
        Some(item) => truth_word(outcome.slot(run.program, item)),
        None => "absent",
    }
}

fn paid(run: &Run, outcome: &Outcome, name: &str) -> Option<Decimal> {
    let item = item_index(run, name)?;
    outcome.awards.iter().find(|award| award.item == item).and_then(|award| match award.status {
        AwardStatus::Paid(amount) => Some(amount),
        _ => None,
    })
}

/// Changes that can move a record: parameters and the declarations decided per record.
fn is_record_level(change: &Change) -> bool {
    change.action != Action::Added
        && matches!(change.kind.as_str(), "parameter" | "rule" | "decision" | "award" | "benefit" | "table" | "value")
}

fn cause_name(change: &Change) -> String {
    format!("{} {}", change.kind, change.name)
}

/// What a declaration is on one record, comparable across versions: a condition's or value's
/// result, and for an award what is paid (not what a superseded award would have paid).
fn standing(run: &Run, outcome: &Outcome, name: &str) -> Option<String> {
    let item = item_index(run, name)?;
    let slot = format!("{:?}", outcome.slot(run.program, item));
    let paid = outcome.awards.iter().find(|award| award.item == item).map(|award| match award.status {
        AwardStatus::Paid(amount) => format!("paid {}", amount.normalize()),
        AwardStatus::Unknown => "unknown".to_string(),
        _ => "not paid".to_string(),
    });
    Some(format!("{slot} {}", paid.unwrap_or_default()))
}

/// The named declarations and every declaration that uses them, directly or not.
fn dependents(run: &Run, names: &[String]) -> Vec<String> {
    let mut reached = vec![false; run.program.steps.len()];
    let mut found = Vec::new();
    // Steps come after what they use: one pass in program order reaches every dependent.
    for (slot, step) in run.program.steps.iter().enumerate() {
        let Some(name) = run.model.items.get(step.item).map(|item| item.name.clone()) else { continue };
        let uses_reached = step.kind.codes().iter().any(|code| {
            let mut uses = false;
            code.walk(&mut |node| {
                if let Operation::Slot(used) = node.operation {
                    uses |= reached.get(used).copied().unwrap_or(false);
                }
            });
            uses
        });
        if names.contains(&name) || uses_reached {
            if let Some(flag) = reached.get_mut(slot) {
                *flag = true;
            }
            found.push(name);
        }
    }
    found
}

/// The changed declarations that stand differently on this record, and the changed parameters
/// read by a declaration that does.
fn causes(old: &Run, new: &Run, old_outcome: &Outcome, new_outcome: &Outcome, changes: &[Change]) -> Vec<String> {
    let differs = |name: &str| standing(old, old_outcome, name) != standing(new, new_outcome, name);
    let mut causes = Vec::new();
    for change in changes.iter().filter(|change| is_record_level(change)) {
        let moved = match change.kind.as_str() {
            "parameter" => {
                readers(new, &change.name).iter().chain(readers(old, &change.name).iter()).any(|name| differs(name))
            }
            _ => differs(&change.name),
        };
        if moved && !causes.contains(&cause_name(change)) {
            causes.push(cause_name(change));
        }
    }
    causes
}

/// The declarations whose own expressions read the parameter `name`.
fn readers(run: &Run, name: &str) -> Vec<String> {
    let Some(parameter) = run.model.parameter_index(name) else { return Vec::new() };
    run.program
        .steps
        .iter()
        .filter(|step| {
            step.kind.codes().iter().any(|code| {
                let mut reads = false;
                code.walk(&mut |node| {
                    reads |= matches!(node.operation,
                        Operation::Parameter { parameter: index, .. } | Operation::MissingParameter(index) if index == parameter)
                });
                reads
            })
        })
        .filter_map(|step| run.model.items.get(step.item).map(|item| item.name.clone()))
        .collect()
}

/// Looks for a record that the two versions decide differently because of `change`: a record
/// of the data with a few cells set to the values where the change bites (the bounds of the
/// comparisons and brackets that read them, the labels and list elements they test). First
/// one cell that moves the changed declaration; then, if no decision, award or benefit moved
/// with it, one or two more cells among the fields those read.
fn witness(old: &Run, new: &Run, change: &Change, changes: &[Change]) -> Witness {
    let watched = touched(old, new, change);
    // The other changes must not bite on the witness, or the move could be theirs.
    let mut others: Vec<String> = changes
        .iter()
        .filter(|other| is_record_level(other) && cause_name(other) != cause_name(change))
        .flat_map(|other| touched(old, new, other))
        .filter(|name| !watched.contains(name))
        .collect();
    others.sort();
    others.dedup();
    // Only moves the change itself can cause count: decisions, awards and benefits that use
    // what it touches, not those another change of the same diff touches.
    let mut reach = dependents(new, &watched);
    reach.extend(dependents(old, &watched));
    let searcher = Searcher { old, new, watched, reach, others };
    let bases: Vec<(&Record, &Record)> = old
        .records
        .iter()
        .zip(new.records.iter())
        .filter_map(|(old_record, new_record)| Some((old_record.as_ref().ok()?, new_record.as_ref().ok()?)))
        .take(MOST_WITNESS_BASES)
        .collect();
    let watched_fields = searcher.fields(&searcher.watched);
    let top_names: Vec<String> = new
        .program
        .decisions
        .iter()
        .chain(&new.program.awards)
        .chain(&new.program.benefits)
        .filter_map(|item| new.model.items.get(*item).map(|definition| definition.name.clone()))
        .collect();
    let top_fields = searcher.fields(&top_names);
    let mut partial: Vec<Partial> = Vec::new();
    // One cell among the fields the change reads.
    for (old_base, new_base) in &bases {
        let Some(options) = searcher.options(old_base, new_base, &watched_fields) else { continue };
        for cell in options {
            let cells = vec![cell];
            match searcher.attempt(old_base, new_base, &cells) {
                Some((_, top_moves)) if !top_moves.is_empty() => {
                    return searcher.found(change, new_base, &cells, top_moves)
                }
                Some((watched_moves, _))
                    if partial.len() < 20 && !partial.iter().any(|(_, base, ..)| base.row == new_base.row) =>
                {
                    partial.push((old_base, new_base, cells, watched_moves));
                }
                _ => {}
            }
        }
    }
    // One or two more cells among the fields the decisions, awards and benefits read.
    for extra in [1, 2] {
        for (old_base, new_base, cells, _) in partial.iter().take(if extra == 1 { 20 } else { 3 }) {
            let Some(options) = searcher.options(old_base, new_base, &top_fields) else { continue };
            let options: Vec<(String, Candidate)> =
                options.into_iter().filter(|(field, _)| !cells.iter().any(|(taken, _)| taken == field)).collect();
            let combinations: Vec<Vec<(String, Candidate)>> = if extra == 1 {
                options.iter().map(|option| vec![option.clone()]).collect()
            } else {
                let mut pairs = Vec::new();
                for (index, first) in options.iter().enumerate() {
                    for second in options.iter().skip(index + 1).filter(|second| second.0 != first.0) {
                        pairs.push(vec![first.clone(), second.clone()]);
                    }
                }
                pairs.truncate(20_000);
                pairs
            };
            for combination in combinations {
                let mut trial = cells.clone();
                trial.extend(combination);
                if let Some((watched_moves, top_moves)) = searcher.attempt(old_base, new_base, &trial) {
                    if !watched_moves.is_empty() && !top_moves.is_empty() {
                        return searcher.found(change, new_base, &trial, top_moves);
                    }
                }
            }
        }
    }
    match partial.into_iter().next() {
        Some((_, new_base, cells, watched_moves)) => searcher.found(change, new_base, &cells, watched_moves),
        None => Witness {
            change: cause_name(change),
            found: false,
            base_row: None,
            base_key: None,
            cells: Vec::new(),
            moves: Vec::new(),
        },
    }
}

/// The declarations a change touches directly: itself, or for a parameter the declarations that
/// read it.
fn touched(old: &Run, new: &Run, change: &Change) -> Vec<String> {
    let mut names = match change.kind.as_str() {
        "parameter" => {
            let mut names = readers(new, &change.name);
            names.extend(readers(old, &change.name));
            names
        }
        _ => vec![change.name.clone()],
    };
    names.sort();
    names.dedup();
    names
}

/// A record on which the change moves the declarations it touches but nothing above them yet:
/// the two base records, the cells set, and the moves.
type Partial<'r> = (&'r Record, &'r Record, Vec<(String, Candidate)>, Vec<String>);

/// The search for a witness: both versions and the declarations the change touches.
struct Searcher<'a, 'b> {
    old: &'a Run<'b>,
    new: &'a Run<'b>,
    watched: Vec<String>,
    /// The declarations that use the watched ones.
    reach: Vec<String>,
    /// The declarations the other changes touch: they must stand the same on a witness.
    others: Vec<String>,
}

impl Searcher<'_, '_> {
    /// The fields (by name) the named declarations read in either version.
    fn fields(&self, names: &[String]) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        for run in [self.old, self.new] {
            for name in names {
                let slot = item_index(run, name).and_then(|item| run.program.slot_of_item.get(item).copied().flatten());
                for field in slot.map(|slot| fields_of_slot(run, slot)).unwrap_or_default() {
                    if let Some(field_name) = field_name(run, field) {
                        if !fields.contains(&field_name) {
                            fields.push(field_name);
                        }
                    }
                }
            }
        }
        fields
    }

    /// Every (field, value) worth trying on this base record.
    fn options(&self, old_base: &Record, new_base: &Record, fields: &[String]) -> Option<Vec<(String, Candidate)>> {
        let old_outcome = decide(self.old.program, &old_base.values).ok()?;
        let new_outcome = decide(self.new.program, &new_base.values).ok()?;
        let mut options = Vec::new();
        for field in fields {
            for candidate in candidates(self.old, self.new, (old_base, &old_outcome), (new_base, &new_outcome), field) {
                options.push((field.clone(), candidate));
            }
        }
        Some(options)
    }

    /// Decides the base with `cells` set under both versions: the watched declarations and the
    /// decisions, awards and benefits that differ; `None` when the watched ones do not.
    fn attempt(
        &self,
        old_base: &Record,
        new_base: &Record,
        cells: &[(String, Candidate)],
    ) -> Option<(Vec<String>, Vec<String>)> {
        let mut old_record = old_base.values.clone();
        let mut new_record = new_base.values.clone();
        for (field, candidate) in cells {
            old_record = with_field(self.old, &old_record, field, candidate)?;
            new_record = with_field(self.new, &new_record, field, candidate)?;
        }
        let old_outcome = decide(self.old.program, &old_record).ok()?;
        let new_outcome = decide(self.new.program, &new_record).ok()?;
        let watched_moves: Vec<String> = self
            .watched
            .iter()
            .filter(|name| standing(self.old, &old_outcome, name) != standing(self.new, &new_outcome, name))
            .map(|name| describe(self.old, self.new, &old_outcome, &new_outcome, name))
            .collect();
        let others_move = self
            .others
            .iter()
            .any(|name| standing(self.old, &old_outcome, name) != standing(self.new, &new_outcome, name));
        if watched_moves.is_empty() || others_move {
            return None;
        }
        let top_moves = top_level_moves(self.old, self.new, &old_outcome, &new_outcome, &self.reach);
        Some((watched_moves, top_moves))
    }

    fn found(&self, change: &Change, base: &Record, cells: &[(String, Candidate)], moves: Vec<String>) -> Witness {
        Witness {
            change: cause_name(change),
            found: true,
            base_row: Some(base.row),
            base_key: base.key.clone(),
            cells: cells.iter().map(|(field, candidate)| cell_text(self.new, field, candidate)).collect(),
            moves,
        }
    }
}

/// Decisions, awards and benefits among `reach` that differ between the two outcomes, described.
fn top_level_moves(
    old: &Run,
    new: &Run,
    old_outcome: &Outcome,
    new_outcome: &Outcome,
    reach: &[String],
) -> Vec<String> {
    let mut moves = Vec::new();
    for item in new.program.decisions.iter().chain(&new.program.awards).chain(&new.program.benefits) {
        let Some(name) = new.model.items.get(*item).map(|definition| definition.name.as_str()) else { continue };
        if !reach.iter().any(|reached| reached == name) {
            continue;
        }
        if standing(old, old_outcome, name) != standing(new, new_outcome, name) {
            moves.push(describe(old, new, old_outcome, new_outcome, name));
        }
    }
    moves
}

/// `cultivation_pool: no → yes`, `award provincial_specialized: 20万元 → 30万元`.
fn describe(old: &Run, new: &Run, old_outcome: &Outcome, new_outcome: &Outcome, name: &str) -> String {
    let is_award = |run: &Run| item_index(run, name).is_some_and(|item| run.program.awards.contains(&item));
    if is_award(new) || is_award(old) {
        let words = |run: &Run, outcome: &Outcome| match item_index(run, name)
            .and_then(|item| outcome.awards.iter().find(|award| award.item == item))
            .map(|award| &award.status)
        {
            Some(AwardStatus::Paid(amount)) => money_text(*amount),
            Some(AwardStatus::Superseded { .. }) => "superseded".into(),
            Some(AwardStatus::Unknown) => "unknown".into(),
            Some(_) => "not paid".into(),
            None => "absent".into(),
        };
        return format!("award {name}: {} → {}", words(old, old_outcome), words(new, new_outcome));
    }
    let shown = |run: &Run, outcome: &Outcome| match item_index(run, name) {
        Some(item) => {
            let value = outcome.slot(run.program, item);
            match value {
                Value::Bool(_) | Value::Unknown => truth_word(value).to_string(),
                _ => run
                    .model
                    .items
                    .get(item)
                    .map(|definition| value_text(run.model, &definition.item_type, value))
                    .unwrap_or_default(),
            }
        }
        None => "absent".into(),
    };
    format!("{name}: {} → {}", shown(old, old_outcome), shown(new, new_outcome))
}

/// The data fields a step reads, directly or through the values and rules it uses.
fn fields_of_slot(run: &Run, slot: usize) -> Vec<usize> {
    run.program.steps.get(slot).map(|step| run.program.fields_read(step.kind.codes())).unwrap_or_default()
}

fn field_name(run: &Run, index: usize) -> Option<String> {
    run.model.entities.get(run.program.entity)?.fields.get(index).map(|field| field.name.clone())
}

fn field_of<'a>(run: &'a Run, name: &str) -> Option<(usize, &'a crate::check::Field)> {
    let entity = run.model.entities.get(run.program.entity)?;
    entity.fields.iter().enumerate().find(|(_, field)| field.name == name)
}

/// A candidate value for a field, kept as people write it so that it means the same in both
/// versions (enum labels by name).
#[derive(Debug, Clone, PartialEq)]
enum Candidate {
    Value(Value),
    Label(String),
}

/// The values of `field` where the two versions may disagree.
fn candidates(
    old: &Run,
    new: &Run,
    old_base: (&Record, &Outcome),
    new_base: (&Record, &Outcome),
    field: &str,
) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = Vec::new();
    let mut add = |candidate: Candidate| {
        if !found.contains(&candidate) {
            found.push(candidate);
        }
    };
    for (run, (record, outcome)) in [(old, old_base), (new, new_base)] {
        let Some((index, definition)) = field_of(run, field) else { continue };
        match &definition.field_type {
            Type::Bool => {
                add(Candidate::Value(Value::Bool(true)));
                add(Candidate::Value(Value::Bool(false)));
            }
            Type::Enum(enum_index) => {
                for label in
                    run.model.enums.get(*enum_index).map(|definition| definition.labels.clone()).unwrap_or_default()
                {
                    add(Candidate::Label(label));
                }
            }
            Type::Integer | Type::Decimal | Type::Money | Type::Percent | Type::Date => {
                let inverse = Inverse { program: run.program, record: &record.values, slots: &outcome.slots };
                for threshold in inverse.thresholds(index) {
                    for direction in [0, -1, 1] {
                        let value = if direction == 0 {
                            Some(threshold.clone())
                        } else {
                            step(&threshold, &definition.field_type, direction)
                        };
                        if let Some(value) = value {
                            add(Candidate::Value(value));
                        }
                    }
                }
            }
            Type::Text | Type::List(_) => {
                for constant in compared_constants(run, index, &record.values, &outcome.slots) {
                    let value = match &definition.field_type {
                        Type::List(_) => Value::List(std::sync::Arc::from(vec![constant])),
                        _ => constant,
                    };
                    add(Candidate::Value(value));
                }
            }
            _ => {}
        }
    }
    found
}

/// Texts the program compares a text or list field with: `field = "X"`, `field in [..]`,
/// `field in parameter`, `"X" in field`.
fn compared_constants(run: &Run, field: usize, record: &[Value], slots: &[Value]) -> Vec<Value> {
    let mut constants = Vec::new();
    let is_field = |code: &Code| matches!(code.operation, Operation::Field(index) if index == field);
    for step in &run.program.steps {
        let mut codes = step.kind.codes();
        if let StepKind::Table { rows, .. } = &step.kind {
            codes.extend(rows.iter().filter_map(|row| match &row.pattern {
                CompiledPattern::Condition(condition) => Some(condition),
                _ => None,
            }));
        }
        for code in codes {
            code.walk(&mut |node| {
                if let Operation::Compare { left, right, .. } = &node.operation {
                    let other = if is_field(left) {
                        right
                    } else if is_field(right) {
                        left
                    } else {
                        return;
                    };
                    match evaluate(other, record, slots) {
                        Ok(Value::List(items)) => constants.extend(items.iter().cloned()),
                        Ok(Value::Text(text)) => constants.push(Value::Text(text)),
                        _ => {}
                    }
                }
            });
        }
    }
    constants
}

/// The record of `run` with the field named `name` set to `candidate`.
fn with_field(run: &Run, values: &[Value], name: &str, candidate: &Candidate) -> Option<Vec<Value>> {
    let (index, definition) = field_of(run, name)?;
    let value = match candidate {
        Candidate::Value(value) => value.clone(),
        Candidate::Label(label) => {
            let Type::Enum(enum_index) = definition.field_type else { return None };
            let position = run.model.enums.get(enum_index)?.labels.iter().position(|existing| existing == label)?;
            Value::Enum(u32::try_from(position).ok()?)
        }
    };
    let mut record = values.to_vec();
    *record.get_mut(index)? = value;
    Some(record)
}

/// A cell as the data file would hold it: `1000` in a 万元 column, `是`, a label, `2022-06-30`.
fn cell_text(run: &Run, name: &str, candidate: &Candidate) -> (String, String) {
    let Some((_, definition)) = field_of(run, name) else { return (name.to_string(), String::new()) };
    let text = match candidate {
        Candidate::Label(label) => label.clone(),
        Candidate::Value(Value::Number(amount)) if definition.field_type == Type::Money => {
            let unit = definition.unit.map(|unit| unit.yuan()).unwrap_or(Decimal::ONE);
            amount.checked_div(unit).map(|amount| amount.normalize().to_string()).unwrap_or_default()
        }
        Candidate::Value(value) => value_text(run.model, &definition.field_type, value),
    };
    (definition.column.clone(), text)
}
