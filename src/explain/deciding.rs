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

use super::{blank_columns, Detail, Explainer, Explaining, Node, Reading, Verdict, SCHEMA_VERSION};
use crate::compile::Code;
use crate::eval::{EvalError, Outcome};
use crate::output::BLANK;
use crate::value::Value;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The JSON text of every expression's source (`"registered_in = \"日照市\""`), keyed by the
/// address of its compiled node, which lives as long as the program.
#[derive(Debug, Default)]
pub(super) struct LeafSources(HashMap<usize, Box<[u8]>, BuildHasherDefault<AddressHasher>>);

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

fn address(code: &Code) -> usize {
    std::ptr::from_ref(code) as usize
}

/// Addresses are already well spread but for their low bits (alignment): a multiplication
/// mixes them, at a fraction of SipHash's cost.
#[derive(Debug, Default)]
pub(super) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, value: usize) {
        self.0 = (value as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
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
        let (model, program) = (self.model, self.program);
        let explainer = self.explainer(record, outcome, Detail::Deciding);
        out.extend_from_slice(format!("{{\"schema\":{SCHEMA_VERSION},\"policy\":").as_bytes());
        json_str(out, &model.header.title);
        out.extend_from_slice(b",\"id\":");
        json(out, &key);
        out.extend_from_slice(b",\"entity\":");
        json_str(out, model.entities.get(program.entity).map(|entity| entity.name.as_str()).unwrap_or_default());
        out.extend_from_slice(format!(",\"as_of\":\"{}\",\"lang\":", program.as_of).as_bytes());
        json(out, &self.lang);
        out.extend_from_slice(b",\"nodes\":[");
        let mut leaves = Vec::new();
        let mut leaf_reads = Vec::new();
        for (index, item) in program.decisions.iter().chain(&program.awards).chain(&program.benefits).enumerate() {
            if index > 0 {
                out.push(b',');
            }
            leaves.clear();
            explainer.write_item(*item, outcome, &mut leaves, &mut leaf_reads, out)?;
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
                json(out, verdict);
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
    json(out, &node.kind);
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
    json(out, &node.outcome);
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

/// A JSON string. Most text needs no escaping (Chinese is written as it is): that is checked
/// in one pass the compiler can vectorise and copied whole; anything else goes through serde.
fn json_str(out: &mut Vec<u8>, text: &str) {
    let needs_escaping =
        text.bytes().fold(false, |found, byte| found | (byte < 0x20) | (byte == b'"') | (byte == b'\\'));
    if needs_escaping {
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
