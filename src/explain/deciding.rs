//! The deciding explanation `eval --explain` adds to every line (schema 2), and its writer.
//!
//! [`Explaining::deciding`] defines it: for each decision, award and benefit, the leaf
//! conditions that decide its outcome (listed by their own outcome), their margins, the blank
//! columns of an unknown, the amount's computation and the values used; then the inputs read,
//! once for the record. It is made from the items' deciding node trees (`Detail::Deciding`).
//!
//! [`Explaining::write_deciding`] writes the same JSON, byte for byte, straight into the line
//! from the same pieces — the item's head ([`Explainer::item_head`]), the deciding leaves
//! ([`Explainer::deciding_leaf_codes`]), each leaf's margin and details
//! ([`Explainer::leaf_findings`]), the inputs read ([`Explainer::collect_reads`]) — without
//! building the tree, and copies a run of items' JSON written for an earlier record with the
//! same inputs. Over a whole register that is most of the cost of `eval --explain`;
//! `tests/explain.rs` checks that both give the same bytes on every sample record.

use super::{blank_columns, note_blank, Detail, Explainer, Explaining, Input, Node, NodeKind, Reading, Verdict};
use crate::compile::{Code, Operation, Program};
use crate::eval::{EvalError, Outcome};
use crate::value::Value;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::HashMap;

/// The version of the deciding explanation's schema (`docs/explain-json.md`). Schema 1 is the
/// whole explanation `explain --format json` prints; until schema 2, `eval --explain` wrote a
/// cut-down schema 1 tree, which repeated the inputs under every item and the document's
/// structure on every line.
pub const DECIDING_SCHEMA_VERSION: u32 = 2;

/// Why one record was decided as it was, in brief: what `eval --explain` adds to its line.
#[derive(Debug, Clone, Serialize)]
pub struct Deciding<'a> {
    pub schema: u32,
    /// One per decision, then award, then benefit of the entity, in declaration order.
    pub nodes: Vec<DecidingNode<'a>>,
    /// Every input the nodes read (data columns by their header, values by id, `as_of`), once,
    /// in the order first read; in JSON an object from column to value.
    #[serde(serialize_with = "reads_as_map")]
    pub reads: Vec<Reading<'a>>,
}

/// One decision, award or benefit, and what decides it. In JSON an empty field is left out.
#[derive(Debug, Clone, Serialize)]
pub struct DecidingNode<'a> {
    /// The declaration's id.
    pub name: Cow<'a, str>,
    pub outcome: Verdict,
    /// For an award paid or superseded: the amount in 元.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// The policy text of each leaf condition that decides the outcome, by the leaf's own
    /// outcome: the failing ones of a `no`, the unknown ones of an unknown, the ones that hold
    /// for a yes. `not` a condition is one leaf; a leaf of `not` a group has the opposite outcome
    /// of the group. Another decision, award or benefit is named. Each text once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub yes: Vec<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub no: Vec<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<Cow<'a, str>>,
    /// For those leaves that compare two known values: how far each passed or failed, by the
    /// leaf's text. In JSON an object.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "pairs_as_map")]
    pub margins: Vec<(Cow<'a, str>, String)>,
    /// For an unknown: the blank columns it depends on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blank: Vec<String>,
    /// The amount's computation, the award that superseded this one, then the leaves' details
    /// (the time elapsed since a date, the bounds of an unknown side), each line once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// The values and tables the item used, in the order computed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<DecidingValue<'a>>,
}

/// A value or table an item used.
#[derive(Debug, Clone, Serialize)]
pub struct DecidingValue<'a> {
    pub name: Cow<'a, str>,
    /// For people: `15`, `≈7.73%`, `未知，0–20`.
    pub value: Cow<'a, str>,
    /// The row of a table that applied, or why none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl<'a> Explaining<'a> {
    /// The deciding explanation of one decided record: the definition of what
    /// [`Explaining::write_deciding`] writes.
    pub fn deciding(&self, record: &[Value], outcome: &Outcome) -> Result<Deciding<'a>, EvalError> {
        let explainer = self.explainer(record, outcome, Detail::Deciding);
        let (mut nodes, mut reads) = (Vec::new(), Vec::new());
        for item in self.items() {
            let mut node = explainer.item_node(*item, outcome)?;
            if let Some(computed) = explainer.computed_values(*item)? {
                node.children.push(computed);
            }
            nodes.push(DecidingNode::of(node, &mut reads));
        }
        Ok(Deciding { schema: DECIDING_SCHEMA_VERSION, nodes, reads })
    }

    /// Appends the JSON of [`Explaining::deciding`] for one decided record to `out`; for many
    /// records, [`Explaining::deciding_writer`].
    pub fn write_deciding(&self, record: &[Value], outcome: &Outcome, out: &mut Vec<u8>) -> Result<(), EvalError> {
        self.deciding_writer().write(record, outcome, out)
    }

    /// A writer of deciding explanations for one thread's records (a chunk of rows): what it
    /// remembers is lent to it until it is dropped.
    pub fn deciding_writer(&self) -> DecidingWriter<'_, 'a> {
        DecidingWriter { explaining: self, memory: self.memories.idle.lend(), leaves: Vec::new() }
    }

    /// The decisions, awards and benefits of the entity, in the order explained.
    fn items(&self) -> impl Iterator<Item = &'a usize> {
        let program = self.program;
        program.decisions.iter().chain(&program.awards).chain(&program.benefits)
    }
}

/// Writes deciding explanations (see [`Explaining::deciding_writer`]).
pub struct DecidingWriter<'e, 'a> {
    explaining: &'e Explaining<'a>,
    memory: crate::pool::Lent<'e, Memory>,
    /// The deciding leaves of the item being written, kept for the room they have made.
    leaves: Vec<(&'a Code, Verdict)>,
}

/// How the JSON of [`Deciding`] starts.
const OPENING: &[u8] = b"{\"schema\":2,\"nodes\":[";

impl DecidingWriter<'_, '_> {
    /// Appends the JSON of [`Explaining::deciding`] for one decided record to `out`.
    pub fn write(&mut self, record: &[Value], outcome: &Outcome, out: &mut Vec<u8>) -> Result<(), EvalError> {
        let explaining = self.explaining;
        let explainer = explaining.explainer(record, outcome, Detail::Deciding);
        out.extend_from_slice(OPENING);
        let memory = &mut *self.memory;
        let leaves = &mut self.leaves;
        memory.record_reads.start(explaining.memories.read_names.len());
        for (index, run) in explaining.memories.runs.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            let remembered = explaining.memories.make_key(index, record, &mut memory.runs);
            if remembered {
                if let Some(fragment) = memory.runs.get(index) {
                    out.extend_from_slice(&fragment.node);
                    memory.record_reads.add(&fragment.reads);
                    continue;
                }
            }
            let start = out.len();
            memory.work.item.reads.clear();
            for (position, item) in run.items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                leaves.clear();
                explainer.write_item(*item, outcome, leaves, &mut memory.work, out)?;
            }
            memory.record_reads.add(&memory.work.item.reads);
            if remembered {
                let nodes = out.get(start..).unwrap_or_default();
                let reads = &memory.work.item.reads;
                let size = nodes.len() + reads.bytes.len() + 8 * reads.ends.len();
                let fragment = || Fragment { node: nodes.into(), reads: reads.clone() };
                memory.runs.remember(index, fragment, size);
            }
        }
        out.extend_from_slice(b"],\"reads\":{");
        out.extend_from_slice(&memory.record_reads.bytes);
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

impl<'a> DecidingNode<'a> {
    /// The brief form of an item's deciding node (its children the deciding leaves, then the
    /// values computed), adding what it read to the record's `reads`.
    fn of(node: Node<'a>, reads: &mut Vec<Reading<'a>>) -> DecidingNode<'a> {
        let mut blank = Vec::new();
        blank_columns(&node, &mut blank);
        let mut deciding = DecidingNode {
            name: node.name.unwrap_or_default(),
            outcome: node.outcome,
            amount: node.amount,
            yes: Vec::new(),
            no: Vec::new(),
            unknown: Vec::new(),
            margins: Vec::new(),
            blank,
            details: node.details,
            values: Vec::new(),
        };
        note_reads(node.reads, reads);
        let mut sources: Vec<Cow<'a, str>> = Vec::new();
        for child in node.children {
            if child.kind == NodeKind::ComputedValues {
                for value in child.children {
                    note_reads(value.reads, reads);
                    deciding.values.push(DecidingValue {
                        name: value.name.unwrap_or_default(),
                        value: value.text,
                        details: value.details,
                    });
                }
                continue;
            }
            let source = child.source.unwrap_or_default();
            if sources.contains(&source) {
                continue;
            }
            sources.push(source.clone());
            note_reads(child.reads, reads);
            match child.outcome {
                Verdict::Yes => deciding.yes.push(source.clone()),
                Verdict::No => deciding.no.push(source.clone()),
                _ => deciding.unknown.push(source.clone()),
            }
            if let Some(margin) = child.margin {
                deciding.margins.push((source, margin));
            }
            add_details(&mut deciding.details, &child.details);
        }
        deciding
    }
}

/// Each input once: the first read of a column names it.
fn note_reads<'a>(new: Vec<Reading<'a>>, reads: &mut Vec<Reading<'a>>) {
    for read in new {
        if !reads.iter().any(|existing| existing.column == read.column) {
            reads.push(read);
        }
    }
}

/// Adds the lines not already there: two leaves reading the same date say the same.
fn add_details(details: &mut Vec<String>, new: &[String]) {
    for line in new {
        if !details.contains(line) {
            details.push(line.clone());
        }
    }
}

fn reads_as_map<S: Serializer>(reads: &[Reading], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(reads.iter().map(|read| (&read.column, &read.value)))
}

fn pairs_as_map<S: Serializer>(pairs: &[(Cow<str>, String)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(key, value)| (key, value)))
}

/// The item explanations already written in this run, to copy when an item's inputs come again.
///
/// An item's deciding explanation depends only on the values of the data fields it can read —
/// through the steps it uses and, for an award in a no-stacking group, through the group's
/// other awards — and on the policy, its parameters, the evaluation date and the language,
/// which are the same for the whole run. Registers repeat those values (most enterprises hold
/// no new honour; a blank cell is blank), so most items' fragments are written many times over.
/// Consecutive items that read the same fields (the awards of a no-stacking group) are
/// remembered together, under one key: the run of items and the exact values (a decimal with
/// its scale: `1.0` is not `1.00`). A run whose inputs rarely repeat (a revenue) is soon not
/// remembered at all.
#[derive(Debug)]
pub(super) struct Memories {
    /// The decisions, awards and benefits in the order explained, in runs that read the same.
    runs: Vec<Run>,
    /// One memory per thread at work: lent to a `DecidingWriter` (a chunk of records), given
    /// back when it is dropped.
    idle: crate::pool::Pool<Memory>,
    /// For each input a node can read, numbered by [`Memories::read_number`], the number of the
    /// first input with the same name: a record's `reads` has each name once.
    read_names: Vec<u32>,
    fields: usize,
    slots: usize,
}

/// Consecutive items whose explanations read the same fields.
#[derive(Debug)]
struct Run {
    items: Vec<usize>,
    /// The fields, in order.
    inputs: Vec<usize>,
}

/// What one thread remembers, and what it works with.
#[derive(Debug, Default)]
pub(super) struct Memory {
    runs: Remembered,
    work: ItemWork,
    /// What the record being written read so far, each name once.
    record_reads: RecordReads,
}

/// Runs' fragments by the values they depend on, up to [`ITEM_MEMORY_BYTES`]; with, for each
/// run, how often its key was found and not found, to stop making keys that are never found.
#[derive(Debug, Default)]
struct Remembered {
    found: HashMap<Box<[u8]>, Fragment, foldhash::fast::RandomState>,
    bytes: usize,
    counts: Vec<(u32, u32)>,
    /// The key being made.
    key: Vec<u8>,
}

impl Remembered {
    /// Starts the key of run `index` (of `count`); false when that run is not worth remembering:
    /// after [`MISSES_BEFORE_GIVING_UP`] misses, while fewer than one lookup in five finds it,
    /// making the key costs more than the copies save.
    fn start_key(&mut self, index: usize, count: usize) -> bool {
        if self.counts.len() <= index {
            self.counts.resize(count.max(index + 1), (0, 0));
        }
        let (found, missed) = self.counts.get(index).copied().unwrap_or_default();
        if missed >= MISSES_BEFORE_GIVING_UP && found.saturating_mul(4) < missed {
            return false;
        }
        self.key.clear();
        self.key.extend_from_slice(&(index as u64).to_le_bytes());
        true
    }

    /// What was remembered under the key just made for run `index`.
    fn get(&mut self, index: usize) -> Option<&Fragment> {
        let value = self.found.get(self.key.as_slice())?;
        if let Some((found, _)) = self.counts.get_mut(index) {
            *found = found.saturating_add(1);
        }
        Some(value)
    }

    /// Keeps `value` (about `size` bytes) under the key just made for run `index`, while there
    /// is room.
    fn remember(&mut self, index: usize, value: impl FnOnce() -> Fragment, size: usize) {
        if let Some((_, missed)) = self.counts.get_mut(index) {
            *missed = missed.saturating_add(1);
        }
        let size = size + self.key.len() + 96;
        if self.bytes + size <= ITEM_MEMORY_BYTES {
            self.bytes += size;
            self.found.insert(self.key.as_slice().into(), value());
        }
    }
}

/// The JSON of a run's items, and what they read.
#[derive(Debug)]
struct Fragment {
    node: Box<[u8]>,
    reads: Reads,
}

/// What a deciding leaf adds to its item's explanation.
#[derive(Debug, Default)]
struct LeafPart {
    margin: Option<String>,
    details: Vec<String>,
    reads: Reads,
    /// The columns it read blank.
    blanks: Vec<String>,
}

/// What writing items uses, kept from one item to the next for the room it has made.
#[derive(Debug, Default)]
struct ItemWork {
    /// The part of the leaf being written.
    part: LeafPart,
    item: ItemParts,
}

/// The pieces of the item being written, gathered from its head and its deciding leaves.
#[derive(Debug, Default)]
struct ItemParts {
    unknown: bool,
    /// What the items being written read (a run's items, one after the other).
    reads: Reads,
    /// The numbers of the texts of the leaves written, to write each text once.
    texts: Vec<u32>,
    /// The leaves' sources' JSON one after the other, and each leaf's outcome and source.
    sources: Vec<u8>,
    leaves: Vec<(Verdict, std::ops::Range<usize>)>,
    /// The JSON of the margins written so far, without the braces.
    margins: Vec<u8>,
    blanks: Vec<String>,
    details: Vec<String>,
}

impl ItemParts {
    /// Starts an item: its reads are added to those of the run so far.
    fn start(&mut self, unknown: bool, details: &mut Vec<String>) {
        self.unknown = unknown;
        self.texts.clear();
        self.sources.clear();
        self.leaves.clear();
        self.margins.clear();
        self.blanks.clear();
        self.details.clear();
        self.details.append(details);
    }

    /// Adds what a leaf with the source at `source_start` in `sources` adds.
    fn add(&mut self, part: &LeafPart, verdict: Verdict, source_start: usize) {
        self.reads.add(&part.reads);
        if self.unknown && verdict == Verdict::Unknown {
            for blank in &part.blanks {
                if !self.blanks.contains(blank) {
                    self.blanks.push(blank.clone());
                }
            }
        }
        add_details(&mut self.details, &part.details);
        if let Some(margin) = &part.margin {
            if !self.margins.is_empty() {
                self.margins.push(b',');
            }
            self.margins.extend_from_slice(self.sources.get(source_start..).unwrap_or_default());
            self.margins.push(b':');
            json_str(&mut self.margins, margin);
        }
    }
}

/// Inputs read, as `"column":"value"` one after the other, each with its name's number.
#[derive(Debug, Default, Clone)]
struct Reads {
    bytes: Vec<u8>,
    /// For each read: its name's number and where it ends in `bytes`.
    ends: Vec<(u32, u32)>,
}

impl Reads {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn add(&mut self, reads: &Reads) {
        for (name, pair) in reads.each() {
            self.bytes.extend_from_slice(pair);
            self.ends.push((name, u32::try_from(self.bytes.len()).unwrap_or(u32::MAX)));
        }
    }

    fn push(&mut self, name: u32, read: &Reading) {
        json_str(&mut self.bytes, &read.column);
        self.bytes.push(b':');
        json_str(&mut self.bytes, &read.value);
        self.ends.push((name, u32::try_from(self.bytes.len()).unwrap_or(u32::MAX)));
    }

    /// Each read with its name's number and its `"column":"value"`.
    fn each(&self) -> impl Iterator<Item = (u32, &[u8])> {
        let mut start = 0;
        self.ends.iter().map(move |&(name, end)| {
            let end = end as usize;
            let pair = self.bytes.get(start..end).unwrap_or_default();
            start = end;
            (name, pair)
        })
    }
}

/// The JSON of a record's `reads` as it grows, and which names it has: the record that last
/// wrote each name, by a number that changes with every record (nothing to clear between them).
#[derive(Debug, Default)]
struct RecordReads {
    bytes: Vec<u8>,
    written: Vec<u32>,
    record: u32,
}

impl RecordReads {
    fn start(&mut self, names: usize) {
        self.bytes.clear();
        self.record = self.record.wrapping_add(1);
        if self.record == 0 {
            self.written.fill(0);
            self.record = 1;
        }
        self.written.resize(names, 0);
    }

    fn add(&mut self, reads: &Reads) {
        for (name, pair) in reads.each() {
            let Some(written) = self.written.get_mut(name as usize) else { continue };
            if *written != self.record {
                *written = self.record;
                if !self.bytes.is_empty() {
                    self.bytes.push(b',');
                }
                self.bytes.extend_from_slice(pair);
            }
        }
    }
}

/// A thread's memory of item fragments stops growing there (keys and fragments, with their boxes).
const ITEM_MEMORY_BYTES: usize = 4 << 20;

/// See [`Remembered::start_key`].
const MISSES_BEFORE_GIVING_UP: u32 = 1_000;

impl Memories {
    pub(super) fn new(model: &crate::check::Model, program: &Program) -> Memories {
        let slot_codes = |slot: Option<usize>| {
            slot.and_then(|slot| program.steps.get(slot)).map(|step| step.kind.codes()).unwrap_or_default()
        };
        let mut runs: Vec<Run> = Vec::new();
        for item in program.decisions.iter().chain(&program.awards).chain(&program.benefits) {
            let mut codes = slot_codes(program.slot_of_item.get(*item).copied().flatten());
            for (_, members) in program.groups.iter().filter(|(_, members)| members.contains(item)) {
                for member in members {
                    codes.extend(slot_codes(program.slot_of_item.get(*member).copied().flatten()));
                }
            }
            let mut inputs = program.fields_read(codes);
            inputs.sort_unstable();
            match runs.last_mut() {
                Some(run) if run.inputs == inputs => run.items.push(*item),
                _ => runs.push(Run { items: vec![*item], inputs }),
            }
        }
        // The name of every input, in the order of `read_number`.
        let fields = model.entities.get(program.entity).map(|entity| entity.fields.as_slice()).unwrap_or_default();
        let names =
            (fields.iter().map(|field| field.column.as_str()))
                .chain(["as_of"])
                .chain(program.steps.iter().map(|step| {
                    model.items.get(step.item).map(|definition| definition.name.as_str()).unwrap_or_default()
                }))
                .chain(model.parameters.iter().map(|parameter| parameter.name.as_str()));
        let mut first_of_name = HashMap::new();
        let read_names = names
            .enumerate()
            .map(|(number, name)| *first_of_name.entry(name).or_insert(u32::try_from(number).unwrap_or(u32::MAX)))
            .collect();
        Memories {
            runs,
            idle: crate::pool::Pool::default(),
            read_names,
            fields: fields.len(),
            slots: program.steps.len(),
        }
    }

    /// The number of an input among all a node can read: the fields, `as_of`, the steps, the
    /// parameters.
    fn read_number(&self, input: Input) -> usize {
        match input {
            Input::Field(index) => index,
            Input::AsOf => self.fields,
            Input::Slot(slot) => self.fields + 1 + slot,
            Input::Parameter(parameter) => self.fields + 1 + self.slots + parameter,
        }
    }

    /// The number of the name of what `read` read.
    fn read_name(&self, read: &Reading) -> u32 {
        self.read_names.get(self.read_number(read.input)).copied().unwrap_or(u32::MAX)
    }

    /// Makes the key of run `index` for this record; false when it is not worth remembering.
    fn make_key(&self, index: usize, record: &[Value], runs: &mut Remembered) -> bool {
        let Some(run) = self.runs.get(index) else { return false };
        if !runs.start_key(index, self.runs.len()) {
            return false;
        }
        for field in &run.inputs {
            encode_value(record.get(*field).unwrap_or(&Value::Unknown), &mut runs.key);
        }
        true
    }
}

/// What is known of every expression of the program before any record, by the address of its
/// compiled node (which lives as long as the program): what a deciding leaf needs on every record.
#[derive(Debug, Default)]
pub(super) struct Leaves(HashMap<usize, LeafInfo, foldhash::fast::RandomState>);

#[derive(Debug)]
struct LeafInfo {
    /// The number of its text among the distinct texts, to list each text once.
    text: u32,
    /// The JSON of its source (`"registered_in = \"日照市\""`).
    source: Box<[u8]>,
}

impl Leaves {
    fn new(explainer: &Explainer) -> Leaves {
        let mut leaves = HashMap::default();
        let mut texts: HashMap<Vec<u8>, u32> = HashMap::new();
        for step in &explainer.program.steps {
            for code in step.kind.codes() {
                code.walk(&mut |node| {
                    let mut source = Vec::new();
                    json_str(&mut source, &explainer.snippet(node.span));
                    let next = u32::try_from(texts.len()).unwrap_or(u32::MAX);
                    let text = *texts.entry(source.clone()).or_insert(next);
                    leaves.entry(address(node)).or_insert(LeafInfo { text, source: source.into() });
                });
            }
        }
        Leaves(leaves)
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
        // A rule's or a yes/no field's value is there to read: most parts are one or the other.
        match part.operation {
            Operation::Slot(slot) => return Ok(Verdict::of_value(self.slots.get(slot).unwrap_or(&Value::Unknown))),
            Operation::Field(index) => return Ok(Verdict::of_value(self.record.get(index).unwrap_or(&Value::Unknown))),
            _ => {}
        }
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

impl<'a> Explainer<'a, '_> {
    /// One item's JSON, as [`DecidingNode::of`] makes it from the deciding node tree, and its
    /// reads (added to `work.item.reads`) in the order the tree has them: the head's, each
    /// deciding leaf's, the values'.
    fn write_item(
        &self,
        item: usize,
        outcome: &Outcome,
        codes: &mut Vec<(&'a Code, Verdict)>,
        work: &mut ItemWork,
        out: &mut Vec<u8>,
    ) -> Result<(), EvalError> {
        let memories = &self.context.memories;
        let mut head = self.item_head(item, outcome)?;
        if let Some(condition) = self.item_condition(item) {
            // The step's slot holds its condition's value (an award's slot, whether it holds).
            let verdict = Verdict::of_value(outcome.slot(self.program, item));
            self.deciding_leaf_codes(condition, verdict, codes)?;
        }
        let computed = self.computed_values(item)?;
        let parts = &mut work.item;
        parts.start(head.outcome == Verdict::Unknown, &mut head.details);
        // Blank columns as `blank_columns` finds them in the tree: the head's reads, then each
        // unknown leaf's, then the values computed.
        for read in &head.reads {
            if parts.unknown {
                note_blank(read, &mut parts.blanks);
            }
            parts.reads.push(memories.read_name(read), read);
        }
        let known_leaves = self.context.leaves.get_or_init(|| Leaves::new(self));
        let mut leaf_reads = Vec::new();
        for (code, verdict) in codes.iter() {
            let known = known_leaves.0.get(&address(code));
            if let Some(known) = known {
                if parts.texts.contains(&known.text) {
                    continue;
                }
                parts.texts.push(known.text);
            }
            let source_start = parts.sources.len();
            match known {
                Some(known) => parts.sources.extend_from_slice(&known.source),
                None => json_str(&mut parts.sources, &self.snippet(code.span)),
            }
            parts.leaves.push((*verdict, source_start..parts.sources.len()));
            self.leaf_part(code, *verdict, &mut leaf_reads, &mut work.part);
            parts.add(&work.part, *verdict, source_start);
        }
        let mut values = Vec::new();
        if let Some(computed) = computed {
            if parts.unknown {
                blank_columns(&computed, &mut parts.blanks);
            }
            values = computed.children;
        }
        for value in &values {
            for read in &value.reads {
                parts.reads.push(memories.read_name(read), read);
            }
        }

        out.extend_from_slice(b"{\"name\":");
        json_str(out, head.name.as_deref().unwrap_or_default());
        out.extend_from_slice(b",\"outcome\":");
        out.extend_from_slice(verdict_json(head.outcome));
        if let Some(amount) = &head.amount {
            out.extend_from_slice(b",\"amount\":");
            json_str(out, amount);
        }
        let lists =
            [(&b",\"yes\":["[..], Verdict::Yes), (b",\"no\":[", Verdict::No), (b",\"unknown\":[", Verdict::Unknown)];
        for (field, wanted) in lists {
            let sources = parts.leaves.iter().filter(|(verdict, _)| *verdict == wanted);
            write_list(out, field, sources.map(|(_, source)| parts.sources.get(source.clone()).unwrap_or_default()));
        }
        if !parts.margins.is_empty() {
            out.extend_from_slice(b",\"margins\":{");
            out.extend_from_slice(&parts.margins);
            out.push(b'}');
        }
        write_strings(out, b",\"blank\":", &parts.blanks);
        write_strings(out, b",\"details\":", &parts.details);
        if !values.is_empty() {
            out.extend_from_slice(b",\"values\":[");
            for (index, value) in values.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"name\":");
                json_str(out, value.name.as_deref().unwrap_or_default());
                out.extend_from_slice(b",\"value\":");
                json_str(out, &value.text);
                write_strings(out, b",\"details\":", &value.details);
                out.push(b'}');
            }
            out.push(b']');
        }
        out.push(b'}');
        Ok(())
    }
}

impl<'a> Explainer<'a, '_> {
    /// What a deciding leaf adds to its item (its reads, the blank ones, its margin and
    /// details), into `part`.
    fn leaf_part(&self, code: &Code, verdict: Verdict, leaf_reads: &mut Vec<Reading<'a>>, part: &mut LeafPart) {
        let memories = &self.context.memories;
        leaf_reads.clear();
        self.collect_reads(code, leaf_reads);
        part.reads.clear();
        part.blanks.clear();
        for read in leaf_reads.iter() {
            part.reads.push(memories.read_name(read), read);
            note_blank(read, &mut part.blanks);
        }
        (part.margin, part.details) = self.leaf_findings(code, verdict);
    }
}

/// `field` (which opens the list) and the JSON texts, unless there are none.
fn write_list<'t>(out: &mut Vec<u8>, field: &[u8], texts: impl Iterator<Item = &'t [u8]>) {
    let mut texts = texts.peekable();
    if texts.peek().is_none() {
        return;
    }
    out.extend_from_slice(field);
    for (index, text) in texts.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(text);
    }
    out.push(b']');
}

/// `field` and the list of strings, unless it is empty.
fn write_strings(out: &mut Vec<u8>, field: &[u8], texts: &[String]) {
    if texts.is_empty() {
        return;
    }
    out.extend_from_slice(field);
    out.push(b'[');
    for (index, text) in texts.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        json_str(out, text);
    }
    out.push(b']');
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

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing into a vector fails only for values serde cannot represent, which these are not.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::{verdict_json, Verdict, DECIDING_SCHEMA_VERSION, OPENING};

    #[test]
    fn the_written_opening_has_the_schema_version() {
        assert_eq!(OPENING, format!("{{\"schema\":{DECIDING_SCHEMA_VERSION},\"nodes\":[").as_bytes());
    }

    /// The written codes are serde's, for every variant: other systems read them.
    #[test]
    fn verdicts_are_written_as_serde_writes_them() {
        use Verdict::*;
        for verdict in [Yes, No, Unknown, Paid, Superseded, NotEligible, NothingToPay, Known] {
            assert_eq!(Some(verdict_json(verdict).to_vec()), serde_json::to_vec(&verdict).ok());
        }
    }
}
