//! Why a record was decided as it was: each decision, award and benefit as a tree down to the
//! leaf conditions, with the label, citation and quoted words of the document, the data
//! columns read and their values, and the outcome of every node.
//!
//! The tree is built by evaluating the compiled program's nodes with the evaluator itself, so
//! an explanation can never disagree with the decision it explains. On top of the tree:
//! - a comparison's margin (`short by 0.01万元`) and, when it failed on a threshold, the
//!   smallest change of one input that would make it pass (`whatif`);
//! - for a `no`, the failing conditions first (why not); for an unknown, the blank columns and,
//!   for each, which values would settle it, found by deciding the record again with them;
//! - under each item, the values and tables it used (a scorecard's indicators and sub-totals),
//!   in the order they are computed, with the row of each table that applied.
//!
//! The JSON form of [`Explanation`] is a stable schema, documented in `docs/explain-json.md`.

mod deciding;
mod html;
mod text;
mod whatif;
mod words;

pub use deciding::{Deciding, DecidingNode, DecidingValue, DecidingWriter, DECIDING_SCHEMA_VERSION};
pub(crate) use html::{escape, PAGE_BASE};
pub use html::{record_page, report_page};
pub use text::render_text;
pub use words::Lang;

use crate::check::{ItemKind, Model, Provenance, Type};
use crate::compile::{Code, CompiledPattern, Operation, Program, StepKind};
use crate::eval::{evaluate, evaluate_borrowed, lookup, AwardStatus, EvalError, Outcome};
use crate::output::{date_text, money_text, value_text, yuan_string, BLANK};
use crate::syntax::{BinaryOperator, Connective};
use crate::value::Value;
use serde::Serialize;
use std::borrow::Cow;

/// The version of the JSON schema; bumped on any change that is not an addition.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Decision,
    Award,
    Benefit,
    Rule,
    /// An award's condition used by another item (`when unicorn`).
    AwardCondition,
    AllOf,
    AnyOf,
    Not,
    /// A leaf: a comparison, a yes/no field, any other condition.
    Condition,
    /// The values and tables an item used, listed under it.
    ComputedValues,
    Value,
    Table,
}

/// The outcome of a node, as a code other systems can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Yes,
    No,
    Unknown,
    Paid,
    /// Eligible, but a higher award of the same no-stacking group is paid instead.
    Superseded,
    NotEligible,
    NothingToPay,
    /// A value or table with a known result.
    Known,
}

impl Verdict {
    /// The condition behind an outcome: an award paid, superseded or paying nothing was eligible.
    pub fn as_condition(self) -> Verdict {
        match self {
            Verdict::Paid | Verdict::Superseded | Verdict::NothingToPay | Verdict::Known => Verdict::Yes,
            Verdict::NotEligible => Verdict::No,
            other => other,
        }
    }

    /// The outcome of `not` a condition with this outcome.
    fn negated(self) -> Verdict {
        match self {
            Verdict::Yes => Verdict::No,
            Verdict::No => Verdict::Yes,
            other => other,
        }
    }

    fn of_value(value: &Value) -> Verdict {
        match value {
            Value::Bool(true) => Verdict::Yes,
            Value::Bool(false) => Verdict::No,
            _ => Verdict::Unknown,
        }
    }
}

/// One input a node read: a data column (or a parameter, a value, `as_of`) and its value.
#[derive(Debug, Clone, Serialize)]
pub struct Reading<'a> {
    pub column: Cow<'a, str>,
    pub value: Cow<'a, str>,
    /// The cell was blank (or the value is unknown); left out when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blank: bool,
    /// What was read, to tell two reads of the same input apart from two that share a name.
    #[serde(skip)]
    input: Input,
}

/// An input a node can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Field(usize),
    Parameter(usize),
    /// The value of a step: a value, a table, a rule.
    Slot(usize),
    AsOf,
}

/// For an unknown outcome and one of its blank columns: the outcome each value would give.
#[derive(Debug, Clone, Serialize)]
pub struct Settling {
    pub column: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The values, as people write them: `≥ 900万元`, `是`, `A、B`.
    pub when: String,
    pub outcome: Verdict,
}

/// In JSON, a field that is `None` or empty is left out.
#[derive(Debug, Clone, Serialize)]
pub struct Node<'a> {
    pub kind: NodeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<Cow<'a, str>>,
    /// The policy text of a leaf condition or a value's formula, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Cow<'a, str>>,
    pub outcome: Verdict,
    /// The outcome in words of the chosen language: `否`, `发放 50万元`, `15`, `未知，0–20`.
    /// Left out below the top of a deciding explanation (`eval --explain`), where `outcome` says it.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub text: Cow<'a, str>,
    /// For an award paid or superseded: the amount in 元.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<Reading<'a>>,
    /// For a comparison with both sides known: how far it passed or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<String>,
    /// For a failed condition: the smallest change of one input that would make it pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterfactual: Option<String>,
    /// For an unknown item: each blank column and what its values would decide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settle: Vec<Settling>,
    /// Other lines: why not, the amount's computation, the row of a table, bounds, dates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node<'a>>,
    /// For a leaf: its code among the explainer's leaves, to find counterfactuals afterwards.
    #[serde(skip)]
    leaf: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation<'a> {
    pub schema: u32,
    pub policy: Cow<'a, str>,
    pub id: Option<String>,
    pub entity: Cow<'a, str>,
    pub as_of: String,
    pub lang: Lang,
    /// One per decision, award and benefit of the entity, in declaration order.
    pub nodes: Vec<Node<'a>>,
}

/// Counts of a whole file, for the top of an HTML report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub policy: String,
    pub entity: String,
    pub as_of: String,
    pub lang: Lang,
    pub rows: usize,
    /// Rows that could not be read or decided: row number, key, message.
    pub rejected: Vec<(usize, Option<String>, String)>,
    pub decisions: Vec<DecisionCount>,
    pub awards: Vec<AwardCount>,
    pub benefits: Vec<BenefitCount>,
    /// The sum of all amounts paid, in 元.
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionCount {
    pub name: String,
    pub label: Option<String>,
    pub yes: usize,
    pub no: usize,
    pub unknown: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct AwardCount {
    pub name: String,
    pub label: Option<String>,
    /// Records to which it is paid.
    pub paid: usize,
    /// The amount paid in all, in 元.
    pub amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenefitCount {
    pub name: String,
    pub label: Option<String>,
    pub granted: usize,
}

/// Counts per decision, award and benefit over the decided records of a file, for a report.
pub fn summarize(
    model: &Model,
    program: &Program,
    lang: Lang,
    rows: usize,
    rejected: Vec<(usize, Option<String>, String)>,
    outcomes: &[Outcome],
) -> Summary {
    let mut tally = crate::output::Tally::new(program);
    for outcome in outcomes {
        tally.add(program, outcome);
    }
    summary_of(model, program, lang, rows, rejected, &tally)
}

/// The summary of a report from the counts of a run.
fn summary_of(
    model: &Model,
    program: &Program,
    lang: Lang,
    rows: usize,
    rejected: Vec<(usize, Option<String>, String)>,
    tally: &crate::output::Tally,
) -> Summary {
    let label = |item: usize| model.items.get(item).and_then(|definition| definition.provenance.label.clone());
    let name = |item: usize| model.items.get(item).map(|definition| definition.name.clone()).unwrap_or_default();
    let decisions = tally
        .decisions
        .iter()
        .map(|(item, [yes, no, unknown])| DecisionCount {
            name: name(*item),
            label: label(*item),
            yes: *yes,
            no: *no,
            unknown: *unknown,
        })
        .collect();
    let awards = tally
        .awards
        .iter()
        .map(|(item, paid, amount)| AwardCount {
            name: name(*item),
            label: label(*item),
            paid: *paid,
            amount: yuan_string(*amount),
        })
        .collect();
    let benefits = tally
        .benefits
        .iter()
        .map(|(item, granted)| BenefitCount { name: name(*item), label: label(*item), granted: *granted })
        .collect();
    let total = tally.total;
    Summary {
        policy: model.header.title.clone(),
        entity: model.entities.get(program.entity).map(|entity| entity.name.clone()).unwrap_or_default(),
        as_of: program.as_of.to_string(),
        lang,
        rows,
        rejected,
        decisions,
        awards,
        benefits,
        total: yuan_string(total),
    }
}

/// How much an explanation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every node, with the document's labels, quotes and readings (`policy explain`).
    Full,
    /// Only the leaf conditions that decide each outcome (the failing parts of a `no`, the
    /// unknown parts of an unknown), without the document's text, which is the same on every
    /// record: the tree [`Explaining::deciding`] makes the brief form of `eval --explain` from.
    Deciding,
}

/// Explains every decision, award and benefit of one decided record, in full.
pub fn explain<'a>(
    model: &'a Model,
    program: &'a Program,
    source: &'a str,
    key: Option<&str>,
    record: &[Value],
    outcome: &Outcome,
    lang: Lang,
) -> Result<Explanation<'a>, EvalError> {
    Explaining::new(model, program, source, lang, Detail::Full).explain(key, record, outcome)
}

/// Explaining the records of one run: the policy, its program, and what is worked out once and
/// kept for every record (the values each item uses).
pub struct Explaining<'a> {
    model: &'a Model,
    program: &'a Program,
    source: &'a str,
    lang: Lang,
    detail: Detail,
    /// For each item of the model, the slots of the values and tables it uses, in the order
    /// computed (empty for other entities' items).
    computed_slots: Vec<Vec<usize>>,
    /// What `write_deciding` needs of each leaf on every record (its source's JSON, the number
    /// of its text), by the leaf's address, made on first use.
    leaves: std::sync::OnceLock<deciding::Leaves>,
    /// Each part of a condition lowered as the plan lowers steps, by the part's address, made on
    /// first use: finding the deciding leaves asks each part's outcome.
    part_tests: std::sync::OnceLock<deciding::PartTests>,
    /// The item explanations `write_deciding` wrote, by the values they depend on.
    memories: deciding::Memories,
}

impl<'a> Explaining<'a> {
    pub fn new(model: &'a Model, program: &'a Program, source: &'a str, lang: Lang, detail: Detail) -> Self {
        let computed_slots = (0..model.items.len()).map(|item| computed_slots(model, program, item)).collect();
        let memories = deciding::Memories::new(model, program);
        Explaining {
            model,
            program,
            source,
            lang,
            detail,
            computed_slots,
            leaves: Default::default(),
            part_tests: Default::default(),
            memories,
        }
    }

    /// The explainer of one decided record.
    fn explainer<'r>(&'r self, record: &'r [Value], outcome: &'r Outcome, detail: Detail) -> Explainer<'a, 'r> {
        Explainer {
            model: self.model,
            program: self.program,
            source: self.source,
            record,
            slots: &outcome.slots,
            lang: self.lang,
            detail,
            context: self,
            leaves: Default::default(),
        }
    }

    /// Explains every decision, award and benefit of one decided record.
    pub fn explain(
        &self,
        key: Option<&str>,
        record: &[Value],
        outcome: &Outcome,
    ) -> Result<Explanation<'a>, EvalError> {
        let (model, program, lang, detail) = (self.model, self.program, self.lang, self.detail);
        let explainer = self.explainer(record, outcome, detail);
        let mut nodes = Vec::new();
        for item in program.decisions.iter().chain(&program.awards).chain(&program.benefits) {
            let mut node = explainer.item_node(*item, outcome)?;
            if let Some(computed) = explainer.computed_values(*item)? {
                node.children.push(computed);
            }
            match node.outcome.as_condition() {
                // The children are the deciding leaves and `Deciding` lists the blank columns;
                // what would turn each is `explain`'s work.
                _ if detail == Detail::Deciding => {}
                Verdict::No => {
                    explainer.counterfactuals(&mut node);
                    let mut failing = Vec::new();
                    deciding_conditions(model, &node, lang, &mut failing);
                    if !failing.is_empty() {
                        node.details.insert(0, lang.why_not(&failing.join(lang.separator())));
                    }
                }
                Verdict::Unknown => {
                    let mut blanks = Vec::new();
                    blank_columns(&node, &mut blanks);
                    if !blanks.is_empty() {
                        node.details.insert(0, lang.blank_columns(&blanks.join(lang.list_separator())));
                    }
                    node.settle = explainer.settle(*item)?;
                }
                _ => {}
            }
            nodes.push(node);
        }
        Ok(Explanation {
            schema: SCHEMA_VERSION,
            policy: Cow::Borrowed(model.header.title.as_str()),
            id: key.map(str::to_string),
            entity: Cow::Borrowed(
                model.entities.get(program.entity).map(|entity| entity.name.as_str()).unwrap_or_default(),
            ),
            as_of: program.as_of.to_string(),
            lang,
            nodes,
        })
    }
}

/// The leaf conditions that decide `node`'s outcome (the failing ones of a `no`), with their
/// margins: `revenue_last_year >= revenue_floor（差 0.01万元）`.
fn deciding_conditions(model: &Model, node: &Node, lang: Lang, found: &mut Vec<String>) {
    let wanted = node.outcome.as_condition();
    for child in &node.children {
        match child.kind {
            NodeKind::ComputedValues => {}
            NodeKind::Condition if child.outcome == wanted => {
                let text = child.source.as_deref().unwrap_or_default().to_string();
                found.push(match &child.margin {
                    Some(margin) => format!("{text}{}", lang.parenthesized(margin)),
                    None => text,
                });
            }
            NodeKind::Not => {
                if let Some(inner) = child.children.first() {
                    if child.outcome == wanted {
                        let text = inner.source.clone().map(|source| format!("{} {source}", lang.kind(NodeKind::Not)));
                        found.extend(text);
                    }
                }
            }
            // A route of alternatives that all failed is one reason: name it, not each alternative.
            NodeKind::AnyOf if child.outcome == Verdict::No && wanted == Verdict::No => {
                let mut alternatives = Vec::new();
                for alternative in &child.children {
                    alternatives.push(match (&alternative.name, &alternative.source) {
                        (Some(name), _) => name.to_string(),
                        (None, Some(source)) => source.to_string(),
                        (None, None) => lang.kind(alternative.kind).to_string(),
                    });
                }
                found.push(format!(
                    "{}{}",
                    lang.kind(NodeKind::AnyOf),
                    lang.parenthesized(&alternatives.join(lang.list_separator()))
                ));
            }
            NodeKind::Rule | NodeKind::Decision | NodeKind::Benefit | NodeKind::AwardCondition
                if wanted == Verdict::No
                    && child.outcome == Verdict::No
                    && child.children.first().is_some_and(|inner| inner.kind == NodeKind::AnyOf) =>
            {
                let name = child.name.as_deref().unwrap_or_default().to_string();
                let label =
                    model.items.iter().find(|item| item.name == name).and_then(|item| item.provenance.label.as_ref());
                found.push(match label {
                    Some(label) => format!("{name} {label}"),
                    None => name,
                });
            }
            _ if child.outcome.as_condition() == wanted => deciding_conditions(model, child, lang, found),
            _ => {}
        }
    }
}

/// The columns read blank under the unknown parts of `node`.
fn blank_columns(node: &Node, blanks: &mut Vec<String>) {
    if node.outcome != Verdict::Unknown {
        return;
    }
    for read in &node.reads {
        note_blank(read, blanks);
    }
    for child in &node.children {
        blank_columns(child, blanks);
    }
}

/// A read's column, if it was read blank, among `blanks` (each once).
fn note_blank(read: &Reading, blanks: &mut Vec<String>) {
    if read.blank && read.value == BLANK && !blanks.iter().any(|blank| *blank == read.column) {
        blanks.push(read.column.to_string());
    }
}

/// Explaining one record: the policy's parts live for `'a` (the explanation borrows their
/// text), the record's values only for `'r`.
/// The two sides of a comparison and their values.
struct Sides<'c, 'v> {
    left: &'c Code,
    right: &'c Code,
    values: (&'v Value, &'v Value),
}

struct Explainer<'a, 'r> {
    model: &'a Model,
    program: &'a Program,
    source: &'a str,
    record: &'r [Value],
    slots: &'r [Value],
    lang: Lang,
    detail: Detail,
    context: &'r Explaining<'a>,
    /// The code of every leaf node built so far, indexed by `Node::leaf`.
    leaves: std::cell::RefCell<Vec<&'a Code>>,
}

impl<'a> Explainer<'a, '_> {
    fn node(
        &self,
        kind: NodeKind,
        provenance: Option<&'a Provenance>,
        name: Option<&'a str>,
        outcome: Verdict,
    ) -> Node<'a> {
        let borrowed = |text: Option<&'a String>| text.map(|text| Cow::Borrowed(text.as_str()));
        let document = |text: Option<&'a String>| match self.detail {
            Detail::Full => borrowed(text),
            Detail::Deciding => None,
        };
        Node {
            kind,
            name: name.map(Cow::Borrowed),
            label: document(provenance.and_then(|provenance| provenance.label.as_ref())),
            citation: document(provenance.and_then(|provenance| provenance.citation.as_ref())),
            quote: document(provenance.and_then(|provenance| provenance.quote.as_ref())),
            reading: document(provenance.and_then(|provenance| provenance.reading.as_ref())),
            source: None,
            outcome,
            text: match self.detail {
                Detail::Full => Cow::Borrowed(self.lang.verdict(outcome)),
                Detail::Deciding => Cow::Borrowed(""),
            },
            amount: None,
            reads: Vec::new(),
            margin: None,
            counterfactual: None,
            settle: Vec::new(),
            details: Vec::new(),
            children: Vec::new(),
            leaf: None,
        }
    }

    /// Sets what would change each leaf that decides `node`'s outcome: the failing conditions
    /// of a `no`, the passing condition under a failing `not`.
    fn counterfactuals(&self, node: &mut Node) {
        let wanted = node.outcome.as_condition();
        for child in &mut node.children {
            match child.kind {
                NodeKind::ComputedValues => {}
                NodeKind::Condition => {
                    let code = child.leaf.and_then(|index| self.leaves.borrow().get(index).copied());
                    if let (true, Some(code)) = (child.outcome == wanted, code) {
                        child.counterfactual = self.counterfactual(code, child.outcome == Verdict::Yes);
                    }
                }
                NodeKind::Not if child.outcome == wanted => {
                    for inner in &mut child.children {
                        let code = inner.leaf.and_then(|index| self.leaves.borrow().get(index).copied());
                        match (inner.kind, code) {
                            (NodeKind::Condition, Some(code)) => {
                                inner.counterfactual = self.counterfactual(code, inner.outcome == Verdict::Yes)
                            }
                            _ => self.counterfactuals(inner),
                        }
                    }
                }
                _ if child.outcome.as_condition() == wanted => self.counterfactuals(child),
                _ => {}
            }
        }
    }

    fn step(&self, item: usize) -> Option<&'a StepKind> {
        let slot = self.program.slot_of_item.get(item).copied().flatten()?;
        self.program.steps.get(slot).map(|step| &step.kind)
    }

    /// The condition of a rule, decision, benefit or award (`None` for an award without one).
    fn item_condition(&self, item: usize) -> Option<&'a Code> {
        match self.step(item)? {
            StepKind::Condition(code) => Some(code),
            StepKind::Award { condition, .. } => condition.as_ref(),
            _ => None,
        }
    }

    fn item_node(&self, item: usize, outcome: &Outcome) -> Result<Node<'a>, EvalError> {
        let mut node = self.item_head(item, outcome)?;
        if let Some(condition) = self.item_condition(item) {
            self.push_condition(condition, &mut node.children)?;
        }
        Ok(node)
    }

    /// An item's node without its condition: outcome, and for an award its amount, how it was
    /// computed, the inputs of the computation and what superseded it.
    fn item_head(&self, item: usize, outcome: &Outcome) -> Result<Node<'a>, EvalError> {
        let lang = self.lang;
        let Some(definition) = self.model.items.get(item) else {
            return Ok(self.node(NodeKind::Rule, None, None, Verdict::Unknown));
        };
        let kind = match definition.kind {
            ItemKind::Decision => NodeKind::Decision,
            ItemKind::Award { .. } => NodeKind::Award,
            ItemKind::Benefit => NodeKind::Benefit,
            _ => NodeKind::Rule,
        };
        let verdict = Verdict::of_value(outcome.slot(self.program, item));
        let mut node = self.node(kind, Some(&definition.provenance), Some(&definition.name), verdict);
        if let Some(StepKind::Award { up_to, amount: amount_code, cap: cap_code, .. }) = self.step(item) {
            if let Some(result) = outcome.awards.iter().find(|award| award.item == item) {
                if let Some(amount) = result.amount {
                    let mut computation = self.computation(amount_code, amount);
                    if *up_to {
                        computation.push_str(lang.at_the_maximum());
                    }
                    if let Some(cap) = result.cap {
                        let cap_text = match cap_code {
                            Some(cap_code) => self.computation(cap_code, cap),
                            None => money_text(cap),
                        };
                        computation.push_str(&if cap < amount {
                            lang.capped_at(&cap_text)
                        } else {
                            lang.within_cap(&cap_text)
                        });
                    }
                    if let Some(citation) = &definition.provenance.citation {
                        computation.push_str(&format!(" [{citation}]"));
                    }
                    node.details.push(lang.amount(&computation));
                    let mut reads = Vec::new();
                    self.collect_reads(amount_code, &mut reads);
                    if let Some(cap_code) = cap_code {
                        self.collect_reads(cap_code, &mut reads);
                    }
                    node.reads = reads;
                }
                (node.outcome, node.text) = match &result.status {
                    AwardStatus::Paid(amount) => {
                        node.amount = Some(yuan_string(*amount));
                        (Verdict::Paid, Cow::Owned(lang.paid(&money_text(*amount))))
                    }
                    AwardStatus::NotEligible => {
                        (Verdict::NotEligible, Cow::Borrowed(lang.verdict(Verdict::NotEligible)))
                    }
                    AwardStatus::Unknown => (Verdict::Unknown, Cow::Borrowed(lang.unknown_not_paid())),
                    AwardStatus::NothingToPay => {
                        (Verdict::NothingToPay, Cow::Borrowed(lang.verdict(Verdict::NothingToPay)))
                    }
                    AwardStatus::Superseded { amount, by, group } => {
                        let winner = self.model.items.get(*by).map(|winner| winner.name.clone()).unwrap_or_default();
                        if let Some(group) = self.model.groups.get(*group) {
                            node.details.push(lang.superseded_by(
                                &winner,
                                &group.name,
                                group.provenance.citation.as_deref().unwrap_or_default(),
                                group.provenance.quote.as_deref().unwrap_or_default(),
                            ));
                        }
                        node.amount = Some(yuan_string(*amount));
                        (Verdict::Superseded, Cow::Owned(lang.superseded(&money_text(*amount))))
                    }
                };
            }
        }
        Ok(node)
    }

    /// An item's condition under it: the whole tree, or in a deciding explanation only the leaf
    /// conditions that decide it.
    fn push_condition(&self, code: &'a Code, children: &mut Vec<Node<'a>>) -> Result<(), EvalError> {
        let value = evaluate(code, self.record, self.slots)?;
        // Nodes are large: one allocation for the usual number of leaves, not a doubling each.
        children.reserve(4);
        match self.detail {
            Detail::Full => children.push(self.code_node_of(code, value)?),
            Detail::Deciding => self.deciding_leaves(code, Verdict::of_value(&value), children)?,
        }
        Ok(())
    }

    /// The leaf conditions under `code` whose outcome decides its `value`: the failing parts of
    /// an `all of` that fails, the passing part of an `any of` that holds, through rules.
    fn deciding_leaves(&self, code: &'a Code, verdict: Verdict, found: &mut Vec<Node<'a>>) -> Result<(), EvalError> {
        let mut leaves = Vec::new();
        self.deciding_leaf_codes(code, verdict, &mut leaves)?;
        found.extend(leaves.into_iter().map(|(leaf, verdict)| self.leaf(leaf, verdict)));
        Ok(())
    }

    /// [`Explainer::deciding_leaves`] as the leaves' code and outcome, for building nodes or
    /// writing them straight out (`deciding.rs`).
    fn deciding_leaf_codes(
        &self,
        code: &'a Code,
        verdict: Verdict,
        found: &mut Vec<(&'a Code, Verdict)>,
    ) -> Result<(), EvalError> {
        match &code.operation {
            Operation::Connective { parts, .. } => {
                for part in parts {
                    let part_verdict = self.part_verdict(part)?;
                    if part_verdict == verdict {
                        self.deciding_leaf_codes(part, part_verdict, found)?;
                    }
                }
            }
            // `not` a condition is one leaf (`not supplied_false_information`: yes); `not` a
            // group or a rule is gone through.
            Operation::Not(inner) if !self.goes_through(inner) => found.push((code, verdict)),
            Operation::Not(inner) => {
                let inner_verdict = self.part_verdict(inner)?;
                self.deciding_leaf_codes(inner, inner_verdict, found)?;
            }
            // Through rules; another decision, award or benefit is named, not gone through: its
            // own node says why.
            Operation::Slot(slot) => match self.program.steps.get(*slot).map(|step| &step.kind) {
                Some(StepKind::Condition(inner) | StepKind::Award { condition: Some(inner), .. })
                    if self.goes_through(code) =>
                {
                    self.deciding_leaf_codes(inner, verdict, found)?
                }
                _ => found.push((code, verdict)),
            },
            _ => found.push((code, verdict)),
        }
        Ok(())
    }

    /// Whether finding the deciding leaves goes into `code` rather than stopping at it: a group,
    /// a `not`, a rule's condition.
    fn goes_through(&self, code: &Code) -> bool {
        match &code.operation {
            Operation::Connective { .. } | Operation::Not(_) => true,
            Operation::Slot(slot) => self.program.steps.get(*slot).is_some_and(|step| {
                !self.has_own_node(step.item)
                    && matches!(step.kind, StepKind::Condition(_) | StepKind::Award { condition: Some(_), .. })
            }),
            _ => false,
        }
    }

    /// Whether `item` is a decision, award or benefit, which an explanation has a node for.
    fn has_own_node(&self, item: usize) -> bool {
        self.model.items.get(item).is_some_and(|definition| {
            matches!(definition.kind, ItemKind::Decision | ItemKind::Award { .. } | ItemKind::Benefit)
        })
    }

    /// How an amount was computed, with the values put in: `design_subsidy_rate of
    /// in_city_contract_amount = 50% × 250万元 = 125万元`.
    fn computation(&self, code: &Code, result: rust_decimal::Decimal) -> String {
        let written = self.snippet(code.span).into_owned();
        let filled = self.filled_in(code, false);
        let result = money_text(result);
        let mut parts = vec![written];
        for part in [filled, result] {
            if parts.last() != Some(&part) {
                parts.push(part);
            }
        }
        parts.join(" = ")
    }

    /// An expression with every input replaced by its value, for people.
    fn filled_in(&self, code: &Code, nested: bool) -> String {
        match &code.operation {
            Operation::Binary { operator, left, right, .. } => {
                let symbol = match operator {
                    BinaryOperator::Of => "×",
                    other => other.symbol(),
                };
                let text = format!("{} {symbol} {}", self.filled_in(left, true), self.filled_in(right, true));
                if nested {
                    format!("({text})")
                } else {
                    text
                }
            }
            Operation::Negate(inner) => format!("-{}", self.filled_in(inner, true)),
            Operation::Call { function, arguments } => {
                let name = match function {
                    crate::syntax::Function::Min => "min",
                    crate::syntax::Function::Max => "max",
                };
                let arguments: Vec<String> = arguments.iter().map(|argument| self.filled_in(argument, false)).collect();
                format!("{name}({})", arguments.join(", "))
            }
            // A number written in the policy (`20万元`, `50%`) as written: its value alone has
            // lost its unit (`200000`).
            Operation::Constant(_) => self.snippet(code.span).into_owned(),
            _ => match evaluate(code, self.record, self.slots) {
                Ok(value) => self.value_words(&self.code_type(code), &value),
                Err(_) => self.snippet(code.span).into_owned(),
            },
        }
    }

    /// The values and tables `item` uses, directly or through the rules it uses, as one node
    /// listing them in the order they are computed; `None` when it uses none.
    fn computed_values(&self, item: usize) -> Result<Option<Node<'a>>, EvalError> {
        let slots = self.context.computed_slots.get(item).map(Vec::as_slice).unwrap_or_default();
        if slots.is_empty() {
            return Ok(None);
        }
        let mut entries = Vec::with_capacity(slots.len());
        for slot in slots {
            entries.push(self.computed_node(*slot)?);
        }
        let unknown = entries.iter().any(|entry| entry.outcome == Verdict::Unknown);
        let mut node =
            self.node(NodeKind::ComputedValues, None, None, if unknown { Verdict::Unknown } else { Verdict::Known });
        node.text = Cow::Borrowed(self.lang.kind(NodeKind::ComputedValues));
        node.children = entries;
        Ok(Some(node))
    }

    /// One value or table: what it read, the row that applied, its result.
    fn computed_node(&self, slot: usize) -> Result<Node<'a>, EvalError> {
        let lang = self.lang;
        let step = self.program.steps.get(slot);
        let definition = step.and_then(|step| self.model.items.get(step.item));
        let (Some(step), Some(definition)) = (step, definition) else {
            return Ok(self.node(NodeKind::Value, None, None, Verdict::Unknown));
        };
        let value = self.slots.get(slot).cloned().unwrap_or_default();
        let kind = if matches!(step.kind, StepKind::Table { .. }) { NodeKind::Table } else { NodeKind::Value };
        let verdict = if value.is_unknown() { Verdict::Unknown } else { Verdict::Known };
        let mut node = self.node(kind, Some(&definition.provenance), Some(&definition.name), verdict);
        node.text = Cow::Owned(self.value_words(&definition.item_type, &value));
        let mut reads = Vec::new();
        match &step.kind {
            StepKind::Value(code) => {
                node.source = Some(self.snippet(code.span));
                self.collect_reads(code, &mut reads);
            }
            StepKind::Table { keys, rows, complete } => {
                for key in keys {
                    self.collect_reads(key, &mut reads);
                }
                let (_, matched) = lookup(keys, rows, *complete, self.record, self.slots)?;
                // The rows tried: up to the one that applied, or all of them when none certainly did.
                let tried = matched.map_or(rows.len(), |index| index + 1);
                for row in rows.iter().take(tried) {
                    if let CompiledPattern::Condition(condition) = &row.pattern {
                        self.collect_reads(condition, &mut reads);
                    }
                }
                match matched.and_then(|index| rows.get(index)) {
                    Some(row) => node.details.push(lang.row(&self.snippet(row.span))),
                    None => {
                        let mut blanks = Vec::new();
                        self.blank_inputs(slot, &mut blanks, &mut vec![false; self.program.steps.len()]);
                        let verdict = match &value {
                            Value::Between(interval) => lang.any_row_may_apply(&self.range_words(
                                &definition.item_type,
                                interval.low,
                                interval.high,
                            )),
                            _ => lang.no_row_certain().to_string(),
                        };
                        node.details.push(if blanks.is_empty() {
                            verdict
                        } else {
                            format!("{}{}{verdict}", lang.blank(&blanks), lang.separator())
                        });
                    }
                }
            }
            _ => {}
        }
        node.reads = reads;
        Ok(node)
    }

    /// A data value for people, borrowed where it can be (blank, 是, 否).
    fn value_cow(&self, value_type: &Type, value: &Value) -> Cow<'a, str> {
        match value {
            Value::Unknown => Cow::Borrowed(BLANK),
            Value::Bool(true) => Cow::Borrowed("是"),
            Value::Bool(false) => Cow::Borrowed("否"),
            _ => Cow::Owned(value_text(self.model, value_type, value)),
        }
    }

    /// A value for people: `15`, `5.2%`, `未知，0–20`, `未知`.
    fn value_words(&self, value_type: &Type, value: &Value) -> String {
        match value {
            Value::Unknown => self.lang.verdict(Verdict::Unknown).to_string(),
            Value::Between(interval) => {
                self.lang.unknown_between(&self.range_words(value_type, interval.low, interval.high))
            }
            _ => value_text(self.model, value_type, value),
        }
    }

    fn range_words(&self, value_type: &Type, low: rust_decimal::Decimal, high: rust_decimal::Decimal) -> String {
        format!(
            "{}–{}",
            value_text(self.model, value_type, &Value::Number(low)),
            value_text(self.model, value_type, &Value::Number(high))
        )
    }

    /// The blank data columns an unknown step depends on, through the values it uses.
    fn blank_inputs(&self, slot: usize, blanks: &mut Vec<String>, visited: &mut Vec<bool>) {
        let mut fields = Vec::new();
        self.blank_field_indices(slot, &mut fields, visited);
        for field in fields {
            self.blank_field(field, blanks);
        }
    }

    fn blank_field(&self, index: usize, blanks: &mut Vec<String>) {
        if self.record.get(index).is_none_or(Value::is_unknown) {
            if let Some(field) = self.field(index) {
                if !blanks.contains(&field.column) {
                    blanks.push(field.column.clone());
                }
            }
        }
    }

    fn field(&self, index: usize) -> Option<&'a crate::check::Field> {
        self.model.entities.get(self.program.entity).and_then(|entity| entity.fields.get(index))
    }

    /// The policy text of an expression on one line, borrowed when it already is one.
    fn snippet(&self, span: crate::syntax::Span) -> Cow<'a, str> {
        let text = self.source.get(span.start..span.end).unwrap_or("");
        // Bytes, not chars: this runs for every leaf of every record.
        let bytes = text.as_bytes();
        let scattered = bytes.iter().any(|byte| matches!(byte, b'\n' | b'\r' | b'\t'))
            || bytes.windows(2).any(|pair| pair == b"  ");
        if scattered {
            Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
        } else {
            Cow::Borrowed(text)
        }
    }

    fn code_node(&self, code: &'a Code) -> Result<Node<'a>, EvalError> {
        self.code_node_of(code, evaluate(code, self.record, self.slots)?)
    }

    /// The node of `code`, whose value is `value`.
    fn code_node_of(&self, code: &'a Code, value: Value) -> Result<Node<'a>, EvalError> {
        let verdict = Verdict::of_value(&value);
        Ok(match &code.operation {
            Operation::Connective { connective, parts } => {
                let kind = match connective {
                    Connective::All => NodeKind::AllOf,
                    Connective::Any => NodeKind::AnyOf,
                };
                let mut node = self.node(kind, None, None, verdict);
                for part in parts {
                    let value = evaluate(part, self.record, self.slots)?;
                    if self.detail == Detail::Deciding && Verdict::of_value(&value) != verdict {
                        continue;
                    }
                    node.children.push(self.code_node_of(part, value)?);
                }
                // Why (not): the parts with the outcome of the whole come first.
                node.children.sort_by_key(|child| child.outcome != verdict);
                node
            }
            Operation::Not(inner) => {
                let mut node = self.node(NodeKind::Not, None, None, verdict);
                node.children.push(self.code_node(inner)?);
                node
            }
            Operation::Slot(slot) => {
                let item = self.program.steps.get(*slot).map(|step| step.item).unwrap_or(usize::MAX);
                match self.model.items.get(item) {
                    Some(definition) if definition.kind.is_conditional() => {
                        let kind = if matches!(definition.kind, ItemKind::Award { .. }) {
                            NodeKind::AwardCondition
                        } else {
                            match definition.kind {
                                ItemKind::Decision => NodeKind::Decision,
                                ItemKind::Benefit => NodeKind::Benefit,
                                _ => NodeKind::Rule,
                            }
                        };
                        let mut node = self.node(kind, Some(&definition.provenance), Some(&definition.name), verdict);
                        match self.step(item) {
                            Some(StepKind::Condition(inner)) => node.children.push(self.code_node(inner)?),
                            Some(StepKind::Award { condition: Some(inner), .. }) => {
                                node.children.push(self.code_node(inner)?)
                            }
                            _ => {}
                        }
                        node
                    }
                    _ => self.leaf(code, verdict),
                }
            }
            _ => self.leaf(code, verdict),
        })
    }

    /// A comparison or any other condition: its text, the inputs it read, its margin and what
    /// would make it pass.
    fn leaf(&self, code: &'a Code, verdict: Verdict) -> Node<'a> {
        let mut node = self.node(NodeKind::Condition, None, None, verdict);
        node.source = Some(self.snippet(code.span));
        let mut reads = Vec::new();
        self.collect_reads(code, &mut reads);
        node.reads = reads;
        (node.margin, node.details) = self.leaf_findings(code, verdict);
        if self.detail == Detail::Full {
            node.leaf = Some(self.leaves.borrow().len());
            self.leaves.borrow_mut().push(code);
        }
        node
    }

    /// What a leaf condition says beyond its outcome: the margin of a comparison, and details
    /// (the time elapsed for a date condition, the bounds of an unknown side).
    fn leaf_findings(&self, code: &Code, verdict: Verdict) -> (Option<String>, Vec<String>) {
        let mut details: Vec<String> = self.elapsed(code).into_iter().collect();
        let mut margin = None;
        // A deciding leaf can be a negated comparison: its margin is the comparison's.
        let (code, verdict) = match &code.operation {
            Operation::Not(inner) => (&**inner, verdict.negated()),
            _ => (code, verdict),
        };
        if let Operation::Compare { operator, left, right } = &code.operation {
            let sides = evaluate_borrowed(left, self.record, self.slots).and_then(|left_value| {
                evaluate_borrowed(right, self.record, self.slots).map(|right_value| (left_value, right_value))
            });
            if let Ok(values) = sides {
                let sides = Sides { left, right, values: (&values.0, &values.1) };
                margin = self.margin(*operator, &sides, verdict);
                details.extend(self.bounds_detail(*operator, &sides));
            }
        }
        (margin, details)
    }

    /// The type of a compiled expression where it can be told from what it reads; numbers
    /// otherwise (compiled code keeps no types, and this only chooses how a number is shown).
    fn code_type(&self, code: &Code) -> Type {
        match &code.operation {
            Operation::Slot(slot) => self
                .program
                .steps
                .get(*slot)
                .and_then(|step| self.model.items.get(step.item))
                .map(
                    |definition| {
                        if definition.kind.is_conditional() {
                            Type::Bool
                        } else {
                            definition.item_type.clone()
                        }
                    },
                )
                .unwrap_or(Type::Decimal),
            Operation::Field(index) => {
                self.field(*index).map(|field| field.field_type.clone()).unwrap_or(Type::Decimal)
            }
            Operation::Parameter { parameter, .. } | Operation::MissingParameter(parameter) => self
                .model
                .parameters
                .get(*parameter)
                .map(|definition| definition.parameter_type.clone())
                .unwrap_or(Type::Decimal),
            Operation::Constant(Value::Date(_)) | Operation::AsOf(_) => Type::Date,
            Operation::Constant(Value::Duration(_)) => Type::Duration,
            Operation::Negate(inner) => self.code_type(inner),
            Operation::Call { arguments, .. } => {
                arguments.first().map(|argument| self.code_type(argument)).unwrap_or(Type::Decimal)
            }
            Operation::Binary { operator, operand_types, .. } => match (operator, operand_types) {
                (_, (Type::Date, _) | (_, Type::Date)) => Type::Date,
                (BinaryOperator::Divide, (Type::Money, Type::Money)) => Type::Percent,
                (_, (Type::Money, _) | (_, Type::Money)) => Type::Money,
                (_, (Type::Percent, Type::Percent)) => Type::Percent,
                (_, (left, _)) => left.clone(),
            },
            _ => Type::Decimal,
        }
    }

    fn collect_reads(&self, code: &Code, reads: &mut Vec<Reading<'a>>) {
        let mut push = |input: Input, column: Cow<'a, str>, value: Cow<'a, str>, blank: bool| {
            if !reads.iter().any(|existing| existing.column == column) {
                reads.push(Reading { column, value, blank, input });
            }
        };
        match &code.operation {
            Operation::Field(index) => {
                if let Some(field) = self.field(*index) {
                    let value = self.record.get(*index).unwrap_or(&Value::Unknown);
                    let words = self.value_cow(&field.field_type, value);
                    push(Input::Field(*index), Cow::Borrowed(&field.column), words, value.is_unknown());
                }
            }
            // A parameter is the same on every record: a deciding explanation leaves it to the policy.
            Operation::Parameter { .. } if self.detail == Detail::Deciding => {}
            Operation::Parameter { parameter, value } => {
                if let Some(definition) = self.model.parameters.get(*parameter) {
                    let words = self.value_cow(&definition.parameter_type, value);
                    push(Input::Parameter(*parameter), Cow::Borrowed(&definition.name), words, false);
                }
            }
            Operation::MissingParameter(parameter) => {
                if let Some(definition) = self.model.parameters.get(*parameter) {
                    push(
                        Input::Parameter(*parameter),
                        Cow::Borrowed(&definition.name),
                        Cow::Borrowed("（未设定）"),
                        true,
                    );
                }
            }
            Operation::AsOf(date) => push(Input::AsOf, Cow::Borrowed("as_of"), Cow::Owned(date_text(*date)), false),
            // In brief, another decision, award or benefit is not an input: its own node says it.
            // An unknown one leaves this item waiting on its blank columns too.
            Operation::Slot(slot)
                if self.detail == Detail::Deciding
                    && self.program.steps.get(*slot).is_some_and(|step| self.has_own_node(step.item)) =>
            {
                if self.slots.get(*slot).is_none_or(Value::is_unknown) {
                    let mut fields = Vec::new();
                    self.blank_field_indices(*slot, &mut fields, &mut vec![false; self.program.steps.len()]);
                    for index in fields {
                        if let Some(field) = self.field(index) {
                            let value = self.record.get(index).unwrap_or(&Value::Unknown);
                            let words = self.value_cow(&field.field_type, value);
                            push(Input::Field(index), Cow::Borrowed(&field.column), words, true);
                        }
                    }
                }
            }
            Operation::Slot(slot) => {
                if let Some(step) = self.program.steps.get(*slot) {
                    if let Some(definition) = self.model.items.get(step.item) {
                        let value = self.slots.get(*slot).unwrap_or(&Value::Unknown);
                        let value_type =
                            if definition.kind.is_conditional() { &Type::Bool } else { &definition.item_type };
                        let words = match value {
                            Value::Unknown | Value::Between(_) => Cow::Owned(self.value_words(value_type, value)),
                            _ => self.value_cow(value_type, value),
                        };
                        push(Input::Slot(*slot), Cow::Borrowed(&definition.name), words, value.is_unknown());
                    }
                }
            }
            Operation::Constant(_) => {}
            Operation::List(parts) | Operation::Connective { parts, .. } | Operation::Call { arguments: parts, .. } => {
                for part in parts {
                    self.collect_reads(part, reads);
                }
            }
            Operation::Not(inner) | Operation::Negate(inner) => self.collect_reads(inner, reads),
            Operation::Binary { left, right, .. } | Operation::Compare { left, right, .. } => {
                self.collect_reads(left, reads);
                self.collect_reads(right, reads);
            }
        }
    }
}

/// The slots of the values and tables `item` uses, directly or through the rules it uses.
fn computed_slots(model: &Model, program: &Program, item: usize) -> Vec<usize> {
    let mut used = vec![false; program.steps.len()];
    let mut pending: Vec<usize> = program.slot_of_item.get(item).copied().flatten().into_iter().collect();
    while let Some(slot) = pending.pop() {
        let Some(step) = program.steps.get(slot) else { continue };
        for code in step.kind.codes() {
            code.walk(&mut |node| {
                if let Operation::Slot(used_slot) = node.operation {
                    if let Some(flag) = used.get_mut(used_slot) {
                        if !*flag {
                            *flag = true;
                            pending.push(used_slot);
                        }
                    }
                }
            });
        }
    }
    (0..program.steps.len())
        .filter(|slot| used.get(*slot).copied().unwrap_or(false))
        .filter(|slot| {
            let item = program.steps.get(*slot).map(|step| step.item);
            item.and_then(|item| model.items.get(item)).is_some_and(|definition| !definition.kind.is_conditional())
        })
        .collect()
}
