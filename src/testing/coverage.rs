//! Which outcomes of a policy its passing cases exercised (`policy test --coverage`).
//!
//! An outcome is exercised when a passing case produced it for an item the case checks: an
//! item it names in `expect`, or one that item is computed from, directly or through others
//! (an award also depends on the other awards of its no-stacking groups). Rules, decisions and
//! benefits need a yes and a no; awards need paid and not eligible; a no-stacking group needs a
//! case where it superseded an award; a table needs every row to be the one that applied.

use super::{plural, Expect, Observation, Observed};
use crate::check::{ItemKind, Model};
use crate::eval::AwardStatus;
use crate::output::text_table;

/// The exercised outcomes of one policy, summed over the passing cases of its test files.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// Passing cases per entity.
    cases: Vec<usize>,
    /// Per item of the model.
    items: Vec<Counts>,
    /// Per no-stacking group: cases in which it superseded an award.
    groups: Vec<usize>,
}

/// The items a case checks, by item index: those it expects, and everything they are computed
/// from. An award's outcome also depends on the awards it competes with under no stacking.
pub fn checked_items(model: &Model, expectations: &[Expect]) -> Vec<bool> {
    let mut checked = vec![false; model.items.len()];
    let mut pending: Vec<usize> = expectations.iter().filter_map(Expect::item).collect();
    while let Some(item) = pending.pop() {
        match checked.get_mut(item) {
            Some(flag) if !*flag => *flag = true,
            _ => continue,
        }
        let Some(definition) = model.items.get(item) else { continue };
        pending.extend(Model::item_dependencies(definition));
        for group in model.groups.iter().filter(|group| group.awards.contains(&item)) {
            pending.extend(group.awards.iter().copied());
        }
    }
    checked
}

#[derive(Debug, Clone, Default)]
struct Counts {
    yes: usize,
    no: usize,
    paid: usize,
    not_eligible: usize,
    superseded: usize,
    /// Per table row: cases in which it applied.
    rows: Vec<usize>,
}

impl Coverage {
    pub fn new(model: &Model) -> Coverage {
        let items = model
            .items
            .iter()
            .map(|item| match &item.kind {
                ItemKind::Table { rows, .. } => Counts { rows: vec![0; rows.len()], ..Counts::default() },
                _ => Counts::default(),
            })
            .collect();
        Coverage { cases: vec![0; model.entities.len()], items, groups: vec![0; model.groups.len()] }
    }

    /// Counts what one passing case showed.
    pub fn add(&mut self, observed: &Observed) {
        if let Some(cases) = self.cases.get_mut(observed.entity) {
            *cases += 1;
        }
        let mut groups_seen = Vec::new();
        for (item, observation) in &observed.observations {
            let Some(counts) = self.items.get_mut(*item) else { continue };
            match observation {
                Observation::Truth(Some(true)) => counts.yes += 1,
                Observation::Truth(Some(false)) => counts.no += 1,
                Observation::Truth(None) => {}
                Observation::Award(AwardStatus::Paid(_)) => counts.paid += 1,
                Observation::Award(AwardStatus::NotEligible) => counts.not_eligible += 1,
                Observation::Award(AwardStatus::Superseded { group, .. }) => {
                    counts.superseded += 1;
                    if !groups_seen.contains(group) {
                        groups_seen.push(*group);
                    }
                }
                Observation::Award(_) => {}
                Observation::Row(Some(row)) => {
                    if let Some(count) = counts.rows.get_mut(*row) {
                        *count += 1;
                    }
                }
                Observation::Row(None) => {}
            }
        }
        for group in groups_seen {
            if let Some(count) = self.groups.get_mut(group) {
                *count += 1;
            }
        }
    }

    /// The outcomes no case exercised, one line each: `never no: registered_in_rizhao`.
    pub fn gaps(&self, model: &Model, source: &str) -> Vec<String> {
        let mut gaps = Vec::new();
        for (item, counts) in model.items.iter().zip(&self.items) {
            let name = &item.name;
            match &item.kind {
                ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit => {
                    if counts.yes == 0 {
                        gaps.push(format!("never yes: {name}"));
                    }
                    if counts.no == 0 {
                        gaps.push(format!("never no: {name}"));
                    }
                }
                ItemKind::Award { .. } => {
                    if counts.paid == 0 {
                        gaps.push(format!("never paid: {name}"));
                    }
                    if counts.not_eligible == 0 {
                        gaps.push(format!("never not eligible: {name}"));
                    }
                }
                ItemKind::Table { rows, .. } => {
                    for (index, (row, count)) in rows.iter().zip(&counts.rows).enumerate() {
                        if *count == 0 {
                            let text = source.get(row.span.start..row.span.end).unwrap_or("").trim();
                            gaps.push(format!("never applied: {name} row {} `{text}`", index + 1));
                        }
                    }
                }
                ItemKind::Value { .. } => {}
            }
        }
        for (group, count) in model.groups.iter().zip(&self.groups) {
            if *count == 0 {
                gaps.push(format!("never superseded an award: no stacking {}", group.name));
            }
        }
        gaps
    }

    /// The report: per entity, each item's exercised outcomes, then the gaps.
    pub fn text(&self, model: &Model, source: &str, path: &str) -> String {
        let total: usize = self.cases.iter().sum();
        let mut out = format!("coverage of {path} by {total} passing case{}\n", plural(total));
        let headers: Vec<String> = ["entity", "item", "cases per outcome"].map(String::from).to_vec();
        let mut rows = Vec::new();
        for (entity_index, entity) in model.entities.iter().enumerate() {
            let cases = self.cases.get(entity_index).copied().unwrap_or(0);
            rows.push(vec![entity.name.clone(), String::new(), format!("{cases} case{}", plural(cases))]);
            for (item, counts) in model.items.iter().zip(&self.items).filter(|(item, _)| item.entity == entity_index) {
                let outcomes = match &item.kind {
                    ItemKind::Rule | ItemKind::Decision | ItemKind::Benefit => {
                        format!("yes {} · no {}", counts.yes, counts.no)
                    }
                    ItemKind::Award { .. } => format!(
                        "paid {} · not eligible {} · superseded {}",
                        counts.paid, counts.not_eligible, counts.superseded
                    ),
                    ItemKind::Table { .. } => {
                        let applied = counts.rows.iter().filter(|count| **count > 0).count();
                        format!("rows applied {applied} of {}", counts.rows.len())
                    }
                    ItemKind::Value { .. } => continue,
                };
                rows.push(vec![String::new(), format!("{} {}", item.kind.keyword(), item.name), outcomes]);
            }
            for (group, count) in
                model.groups.iter().zip(&self.groups).filter(|(group, _)| group.entity == entity_index)
            {
                rows.push(vec![
                    String::new(),
                    format!("no stacking {}", group.name),
                    format!("superseded an award {count}"),
                ]);
            }
        }
        for line in text_table(&headers, &rows).lines() {
            out.push_str(&format!("  {line}\n"));
        }
        let gaps = self.gaps(model, source);
        if gaps.is_empty() {
            out.push_str("  every rule, decision, award, benefit, no-stacking group and table row exercised\n");
        } else {
            out.push_str(&format!("  {} not exercised:\n", gaps.len()));
            for gap in gaps {
                out.push_str(&format!("    {gap}\n"));
            }
        }
        out
    }
}
