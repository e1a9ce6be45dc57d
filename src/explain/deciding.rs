//! The deciding explanation (`eval --explain`) written straight into a JSON line.
//!
//! [`Explaining::explain`] with [`Detail::Deciding`] builds a tree of [`Node`]s that serde then
//! writes; for a whole register that is most of the cost (a node is hundreds of bytes, and the
//! leaves, their reads and the tree are allocated and freed for every record). This writes the
//! same JSON, byte for byte, from the same pieces — the item's head ([`Explainer::item_head`]),
//! the deciding leaves ([`Explainer::deciding_leaf_codes`]), each leaf's margin and details
//! ([`Explainer::leaf_findings`]), the inputs read ([`Explainer::collect_reads`]) — without
//! building the leaves. The node tree stays the definition: `tests/explain.rs` checks that both
//! give the same bytes on every sample record.

use super::{blank_columns, Detail, Explainer, Explaining, Node, NodeKind, Reading, Verdict, SCHEMA_VERSION};
use crate::compile::{Code, Operation, Program};
use crate::eval::{EvalError, Outcome};
use crate::output::BLANK;
use crate::value::Value;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// The item explanations already written in this run, to copy when an item's inputs come again.
///
/// An item's deciding explanation depends only on the values of the data fields it can read —
/// through the steps it uses and, for an award in a no-stacking group, through the group's
/// other awards — and on the policy, its parameters, the evaluation date and the language,
/// which are the same for the whole run. Registers repeat those values (most enterprises hold
/// no new honour; a blank cell is blank), so most items' fragments are written many times over.
/// The key is the item and the exact values (a decimal with its scale: `1.0` is not `1.00`).
/// An item whose inputs rarely repeat (a revenue) is soon not remembered at all.
#[derive(Debug)]
pub(super) struct Memories {
    /// For each item of the model, the fields its explanation can read.
    inputs: Vec<Vec<usize>>,
    /// One memory per thread at work: lent for a record, given back after it.
    idle: crate::pool::Pool<Memory>,
    /// What every explanation of the run starts with, up to its key, and what follows the key
    /// up to the first item: the same for every record.
    opening: Box<[u8]>,
    after_id: Box<[u8]>,
}

/// What one thread remembers; bounded by [`MEMORY_BYTES`].
#[derive(Debug, Default)]
pub(super) struct Memory {
    fragments: HashMap<Box<[u8]>, Box<[u8]>, foldhash::fast::RandomState>,
    bytes: usize,
    key: Vec<u8>,
    /// For each item: how often its key was found, and not found.
    counts: Vec<(u32, u32)>,
}

/// A thread's memory of fragments stops growing there (keys and fragments, with their boxes).
const MEMORY_BYTES: usize = 4 << 20;

/// After this many misses, an item is remembered only while at least one lookup in five finds it:
/// below that, making the key costs more than the copies save.
const MISSES_BEFORE_GIVING_UP: u32 = 1_000;

impl Memories {
    pub(super) fn new(model: &crate::check::Model, program: &crate::compile::Program, lang: super::Lang) -> Memories {
        let slot_codes = |slot: Option<usize>| {
            slot.and_then(|slot| program.steps.get(slot)).map(|step| step.kind.codes()).unwrap_or_default()
        };
        let inputs = (0..model.items.len())
            .map(|item| {
                let mut codes = slot_codes(program.slot_of_item.get(item).copied().flatten());
                for (_, members) in program.groups.iter().filter(|(_, members)| members.contains(&item)) {
                    for member in members {
                        codes.extend(slot_codes(program.slot_of_item.get(*member).copied().flatten()));
                    }
                }
                let mut fields = program.fields_read(codes);
                fields.sort_unstable();
                fields
            })
            .collect();
        let mut opening = format!("{{\"schema\":{SCHEMA_VERSION},\"policy\":").into_bytes();
        json_str(&mut opening, &model.header.title);
        opening.extend_from_slice(b",\"id\":");
        let mut after_id = b",\"entity\":".to_vec();
        json_str(
            &mut after_id,
            model.entities.get(program.entity).map(|entity| entity.name.as_str()).unwrap_or_default(),
        );
        after_id.extend_from_slice(format!(",\"as_of\":\"{}\",\"lang\":", program.as_of).as_bytes());
        json(&mut after_id, &lang);
        after_id.extend_from_slice(b",\"nodes\":[");
        Memories { inputs, idle: crate::pool::Pool::default(), opening: opening.into(), after_id: after_id.into() }
    }

    /// Makes the key of `item`'s fragment for this record in `memory`; false when the item is
    /// not worth remembering.
    fn make_key(&self, item: usize, record: &[Value], memory: &mut Memory) -> bool {
        let Some(inputs) = self.inputs.get(item) else { return false };
        if memory.counts.len() <= item {
            memory.counts.resize(self.inputs.len().max(item + 1), (0, 0));
        }
        let (found, missed) = memory.counts.get(item).copied().unwrap_or_default();
        if missed >= MISSES_BEFORE_GIVING_UP && found.saturating_mul(4) < missed {
            return false;
        }
        memory.key.clear();
        memory.key.extend_from_slice(&(item as u64).to_le_bytes());
        for field in inputs {
            encode_value(record.get(*field).unwrap_or(&Value::Unknown), &mut memory.key);
        }
        true
    }
}

impl Memory {
    fn found(&mut self, item: usize) {
        if let Some((found, _)) = self.counts.get_mut(item) {
            *found = found.saturating_add(1);
        }
    }

    /// Keeps `fragment` under the key just made for `item`, while there is room.
    fn remember(&mut self, item: usize, fragment: &[u8]) {
        if let Some((_, missed)) = self.counts.get_mut(item) {
            *missed = missed.saturating_add(1);
        }
        let size = self.key.len() + fragment.len() + 64;
        if self.bytes + size <= MEMORY_BYTES {
            self.bytes += size;
            self.fragments.insert(self.key.as_slice().into(), fragment.into());
        }
    }
}

/// Appends an encoding of `value` that two values share only if they are written the same way.
fn encode_value(value: &Value, key: &mut Vec<u8>) {
    match value {
        Value::Unknown => key.push(0),
        Value::Bool(truth) => key.extend_from_slice(&[1, u8::from(*truth)]),
        Value::Number(number) => {
            key.push(2);
            key.extend_from_slice(&number.serialize());
        }
        Value::Date(date) => {
            key.push(3);
            key.extend_from_slice(&chrono::Datelike::num_days_from_ce(date).to_le_bytes());
        }
        Value::Duration(period) => {
            key.push(4);
            for part in [period.years, period.months, period.days] {
                key.extend_from_slice(&part.to_le_bytes());
            }
        }
        Value::Text(text) => {
            key.push(5);
            key.extend_from_slice(&(text.len() as u64).to_le_bytes());
            key.extend_from_slice(text.as_bytes());
        }
        Value::Enum(label) => {
            key.push(6);
            key.extend_from_slice(&label.to_le_bytes());
        }
        Value::List(values) => {
            key.push(7);
            key.extend_from_slice(&(values.len() as u64).to_le_bytes());
            for value in values.iter() {
                encode_value(value, key);
            }
        }
        Value::Between(interval) => {
            key.push(8);
            key.extend_from_slice(&interval.low.serialize());
            key.extend_from_slice(&interval.high.serialize());
        }
    }
}

/// The JSON text of every expression's source (`"registered_in = \"日照市\""`), keyed by the
/// address of its compiled node, which lives as long as the program.
#[derive(Debug, Default)]
pub(super) struct LeafSources(HashMap<usize, Box<[u8]>, foldhash::fast::RandomState>);

impl LeafSources {
    fn new(explainer: &Explainer) -> LeafSources {
        let mut sources = HashMap::default();
        for step in &explainer.program.steps {
            for code in step.kind.codes() {
                code.walk(&mut |node| {
                    let mut text = Vec::new();
                    json_str(&mut text, &explainer.snippet(node.span));
                    sources.insert(address(node), text.into_boxed_slice());
                });
            }
        }
        LeafSources(sources)
    }
}

/// Each part of a connective and each `not`'s operand in the program's conditions, lowered as
/// [`crate::plan::Plan`] lowers a step, by the part's address: its outcome without building
/// values (the plan decides as the tree evaluator does, errors included).
#[derive(Debug, Default)]
pub(super) struct PartTests(HashMap<usize, crate::plan::Test, foldhash::fast::RandomState>);

impl PartTests {
    fn new(program: &Program) -> PartTests {
        let mut tests = HashMap::default();
        for step in &program.steps {
            for code in step.kind.codes() {
                code.walk(&mut |node| match &node.operation {
                    Operation::Connective { parts, .. } => {
                        for part in parts {
                            tests.entry(address(part)).or_insert_with(|| crate::plan::Test::lower(part));
                        }
                    }
                    Operation::Not(inner) => {
                        tests.entry(address(inner)).or_insert_with(|| crate::plan::Test::lower(inner));
                    }
                    _ => {}
                });
            }
        }
        PartTests(tests)
    }
}

impl Explainer<'_, '_> {
    /// The outcome of one part of a condition for this record.
    pub(super) fn part_verdict(&self, part: &Code) -> Result<Verdict, EvalError> {
        let tests = self.context.part_tests.get_or_init(|| PartTests::new(self.program));
        match tests.0.get(&address(part)) {
            Some(test) => {
                let failure = crate::plan::Failure::default();
                let truth = test.truth(self.record, self.slots, &failure);
                failure.take()?;
                Ok(match truth {
                    Some(true) => Verdict::Yes,
                    Some(false) => Verdict::No,
                    None => Verdict::Unknown,
                })
            }
            None => Ok(Verdict::of_value(&*crate::eval::evaluate_borrowed(part, self.record, self.slots)?)),
        }
    }
}

fn address(code: &Code) -> usize {
    std::ptr::from_ref(code) as usize
}

impl Explaining<'_> {
    /// Appends the JSON of the deciding explanation of one decided record to `out`: what
    /// `serde_json::to_writer` writes for [`Explaining::explain`] with [`Detail::Deciding`].
    pub fn write_deciding(
        &self,
        key: Option<&str>,
        record: &[Value],
        outcome: &Outcome,
        out: &mut Vec<u8>,
    ) -> Result<(), EvalError> {
        let program = self.program;
        let explainer = self.explainer(record, outcome, Detail::Deciding);
        out.extend_from_slice(&self.memories.opening);
        json(out, &key);
        out.extend_from_slice(&self.memories.after_id);
        let mut memory = self.memories.idle.lend();
        let memory = &mut *memory;
        let mut leaves = Vec::new();
        let mut leaf_reads = Vec::new();
        let items = program.decisions.iter().chain(&program.awards).chain(&program.benefits);
        for (index, item) in items.enumerate() {
            if index > 0 {
                out.push(b',');
            }
            if !self.memories.make_key(*item, record, memory) {
                leaves.clear();
                explainer.write_item(*item, outcome, &mut leaves, &mut leaf_reads, out)?;
                continue;
            }
            if let Some(fragment) = memory.fragments.get(memory.key.as_slice()) {
                out.extend_from_slice(fragment);
                memory.found(*item);
                continue;
            }
            let start = out.len();
            leaves.clear();
            explainer.write_item(*item, outcome, &mut leaves, &mut leaf_reads, out)?;
            memory.remember(*item, out.get(start..).unwrap_or_default());
        }
        out.extend_from_slice(b"]}");
        Ok(())
    }
}

impl<'a> Explainer<'a, '_> {
    /// One item's node, as `Explaining::explain` makes it for a deciding explanation: the head,
    /// the inputs of the head and of every deciding leaf (each column once), for an unknown the
    /// blank columns first among the details, then the leaves and the values computed.
    fn write_item(
        &self,
        item: usize,
        outcome: &Outcome,
        leaves: &mut Vec<(&'a crate::compile::Code, Verdict)>,
        leaf_reads: &mut Vec<Reading<'a>>,
        out: &mut Vec<u8>,
    ) -> Result<(), EvalError> {
        let mut node = self.item_head(item, outcome)?;
        if let Some(condition) = self.item_condition(item) {
            // The step's slot holds its condition's value (an award's slot, whether it holds).
            let verdict = Verdict::of_value(outcome.slot(self.program, item));
            self.deciding_leaf_codes(condition, verdict, leaves)?;
        }
        let computed = self.computed_values(item)?;
        let unknown = node.outcome == Verdict::Unknown;
        // Blank columns as `blank_columns` finds them in the tree: the head's reads, then each
        // unknown leaf's, then the values computed.
        let mut blanks = Vec::new();
        let note_blanks = |reads: &[Reading], blanks: &mut Vec<String>| {
            for read in reads {
                if read.blank && read.value == BLANK && !blanks.iter().any(|blank| *blank == read.column) {
                    blanks.push(read.column.to_string());
                }
            }
        };
        if unknown {
            note_blanks(&node.reads, &mut blanks);
        }
        for (code, verdict) in leaves.iter() {
            leaf_reads.clear();
            self.collect_reads(code, leaf_reads);
            if unknown && *verdict == Verdict::Unknown {
                note_blanks(leaf_reads, &mut blanks);
            }
            for read in leaf_reads.drain(..) {
                if !node.reads.iter().any(|existing| existing.column == read.column) {
                    node.reads.push(read);
                }
            }
        }
        if unknown {
            if let Some(computed) = &computed {
                blank_columns(computed, &mut blanks);
            }
            if !blanks.is_empty() {
                node.details.insert(0, self.lang.blank_columns(&blanks.join(self.lang.list_separator())));
            }
        }
        node.text = Cow::Borrowed("");
        write_head(&node, out);
        if !leaves.is_empty() || computed.is_some() {
            out.extend_from_slice(b",\"children\":[");
            for (index, (code, verdict)) in leaves.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"kind\":\"condition\",\"source\":");
                let sources = self.context.leaf_sources.get_or_init(|| LeafSources::new(self));
                match sources.0.get(&address(code)) {
                    Some(source) => out.extend_from_slice(source),
                    None => json_str(out, &self.snippet(code.span)),
                }
                out.extend_from_slice(b",\"outcome\":");
                out.extend_from_slice(verdict_json(*verdict));
                let (margin, details) = self.leaf_findings(code, *verdict);
                if let Some(margin) = margin {
                    out.extend_from_slice(b",\"margin\":");
                    json_str(out, &margin);
                }
                if !details.is_empty() {
                    out.extend_from_slice(b",\"details\":");
                    json_strings(out, &details);
                }
                out.push(b'}');
            }
            if let Some(computed) = computed {
                if !leaves.is_empty() {
                    out.push(b',');
                }
                write_node(&computed, out);
            }
            out.push(b']');
        }
        out.push(b'}');
        Ok(())
    }
}

/// A whole node (the values computed under an item), as serde writes [`Node`].
fn write_node(node: &Node, out: &mut Vec<u8>) {
    write_head(node, out);
    if !node.children.is_empty() {
        out.extend_from_slice(b",\"children\":[");
        for (index, child) in node.children.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_node(child, out);
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// The fields of a node up to its children, in the order of [`Node`] and with its rules for
/// leaving a field out, without the closing brace.
fn write_head(node: &Node, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":");
    out.extend_from_slice(kind_json(node.kind));
    let optional = [
        (&b",\"name\":"[..], &node.name),
        (b",\"label\":", &node.label),
        (b",\"citation\":", &node.citation),
        (b",\"quote\":", &node.quote),
        (b",\"reading\":", &node.reading),
        (b",\"source\":", &node.source),
    ];
    for (field, text) in optional {
        if let Some(text) = text {
            out.extend_from_slice(field);
            json_str(out, text);
        }
    }
    out.extend_from_slice(b",\"outcome\":");
    out.extend_from_slice(verdict_json(node.outcome));
    if !node.text.is_empty() {
        out.extend_from_slice(b",\"text\":");
        json_str(out, &node.text);
    }
    if let Some(amount) = &node.amount {
        out.extend_from_slice(b",\"amount\":");
        json_str(out, amount);
    }
    if !node.reads.is_empty() {
        out.extend_from_slice(b",\"reads\":[");
        for (index, read) in node.reads.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"column\":");
            json_str(out, &read.column);
            out.extend_from_slice(b",\"value\":");
            json_str(out, &read.value);
            if read.blank {
                out.extend_from_slice(b",\"blank\":true");
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    for (field, text) in [(&b",\"margin\":"[..], &node.margin), (b",\"counterfactual\":", &node.counterfactual)] {
        if let Some(text) = text {
            out.extend_from_slice(field);
            json_str(out, text);
        }
    }
    if !node.settle.is_empty() {
        out.extend_from_slice(b",\"settle\":");
        json(out, &node.settle);
    }
    if !node.details.is_empty() {
        out.extend_from_slice(b",\"details\":");
        json_strings(out, &node.details);
    }
}

/// A verdict's JSON, as serde writes it (`"not_eligible"`): written for every node, so without
/// going through serde's string escaping each time.
fn verdict_json(verdict: Verdict) -> &'static [u8] {
    match verdict {
        Verdict::Yes => b"\"yes\"",
        Verdict::No => b"\"no\"",
        Verdict::Unknown => b"\"unknown\"",
        Verdict::Paid => b"\"paid\"",
        Verdict::Superseded => b"\"superseded\"",
        Verdict::NotEligible => b"\"not_eligible\"",
        Verdict::NothingToPay => b"\"nothing_to_pay\"",
        Verdict::Known => b"\"known\"",
    }
}

/// A node kind's JSON, as serde writes it (`"award_condition"`).
fn kind_json(kind: NodeKind) -> &'static [u8] {
    match kind {
        NodeKind::Decision => b"\"decision\"",
        NodeKind::Award => b"\"award\"",
        NodeKind::Benefit => b"\"benefit\"",
        NodeKind::Rule => b"\"rule\"",
        NodeKind::AwardCondition => b"\"award_condition\"",
        NodeKind::AllOf => b"\"all_of\"",
        NodeKind::AnyOf => b"\"any_of\"",
        NodeKind::Not => b"\"not\"",
        NodeKind::Condition => b"\"condition\"",
        NodeKind::ComputedValues => b"\"computed_values\"",
        NodeKind::Value => b"\"value\"",
        NodeKind::Table => b"\"table\"",
    }
}

/// A JSON string. Most text needs no escaping (Chinese is written as it is): that is checked
/// in one pass the compiler can vectorise and copied whole; anything else goes through serde.
fn json_str(out: &mut Vec<u8>, text: &str) {
    if crate::output::needs_json_escaping(text) {
        json(out, text);
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

fn json_strings(out: &mut Vec<u8>, texts: &[String]) {
    out.push(b'[');
    for (index, text) in texts.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        json_str(out, text);
    }
    out.push(b']');
}

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing into a vector fails only for values serde cannot represent, which these are not.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::{kind_json, verdict_json, NodeKind, Verdict};

    /// The written codes are serde's, for every variant: other systems read them.
    #[test]
    fn verdicts_and_kinds_are_written_as_serde_writes_them() {
        use Verdict::*;
        for verdict in [Yes, No, Unknown, Paid, Superseded, NotEligible, NothingToPay, Known] {
            assert_eq!(Some(verdict_json(verdict).to_vec()), serde_json::to_vec(&verdict).ok());
        }
        use NodeKind::*;
        for kind in
            [Decision, Award, Benefit, Rule, AwardCondition, AllOf, AnyOf, Not, Condition, ComputedValues, Value, Table]
        {
            assert_eq!(Some(kind_json(kind).to_vec()), serde_json::to_vec(&kind).ok());
        }
    }
}
