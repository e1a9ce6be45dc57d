//! Why a record was decided as it was: each decision, award and benefit as a tree down to the
//! leaf conditions, with the label, citation and quoted words of the document, the data
//! columns read and their values, and the outcome of every node.
//!
//! The tree is built by evaluating the compiled program's nodes with the evaluator itself, so
//! an explanation can never disagree with the decision it explains.

use crate::check::{ItemKind, Model, Provenance, Type};
use crate::compile::{Code, Operation, Program, StepKind};
use crate::eval::{evaluate, AwardStatus, EvalError, Outcome};
use crate::output::{money_text, truth_word, value_text, BLANK};
use crate::syntax::Connective;
use crate::value::Value;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    pub column: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// `decision`, `award`, `benefit`, `rule`, `all of`, `any of`, `not`, `condition`.
    pub kind: String,
    pub name: Option<String>,
    pub label: Option<String>,
    pub citation: Option<String>,
    pub quote: Option<String>,
    pub reading: Option<String>,
    /// The policy text of a leaf condition, as written.
    pub source: Option<String>,
    /// yes / no / unknown, or for awards: paid / superseded / not eligible / unknown.
    pub outcome: String,
    pub reads: Vec<Reading>,
    pub details: Vec<String>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub id: Option<String>,
    pub entity: String,
    pub as_of: String,
    pub nodes: Vec<Node>,
}

pub fn explain(
    model: &Model,
    program: &Program,
    source: &str,
    key: Option<&str>,
    record: &[Value],
    outcome: &Outcome,
) -> Result<Explanation, EvalError> {
    let explainer = Explainer { model, program, source, record, slots: &outcome.slots };
    let mut nodes = Vec::new();
    for item in program.decisions.iter().chain(&program.awards).chain(&program.benefits) {
        let mut node = explainer.item_node(*item, outcome)?;
        if node.outcome.starts_with("unknown") {
            let mut blanks = Vec::new();
            blank_columns(&node, &mut blanks);
            if !blanks.is_empty() {
                node.details.push(format!("blank columns that would settle it: {}", blanks.join(", ")));
            }
        }
        nodes.push(node);
    }
    Ok(Explanation {
        id: key.map(str::to_string),
        entity: model.entities.get(program.entity).map(|entity| entity.name.clone()).unwrap_or_default(),
        as_of: program.as_of.to_string(),
        nodes,
    })
}

/// The columns read blank by the unknown conditions under `node`.
fn blank_columns(node: &Node, blanks: &mut Vec<String>) {
    if !node.outcome.starts_with("unknown") {
        return;
    }
    for read in &node.reads {
        if read.value == BLANK && !blanks.contains(&read.column) {
            blanks.push(read.column.clone());
        }
    }
    for child in &node.children {
        blank_columns(child, blanks);
    }
}

struct Explainer<'a> {
    model: &'a Model,
    program: &'a Program,
    source: &'a str,
    record: &'a [Value],
    slots: &'a [Value],
}

impl Explainer<'_> {
    fn node(&self, kind: &str, provenance: Option<&Provenance>, name: Option<&str>, outcome: String) -> Node {
        Node {
            kind: kind.to_string(),
            name: name.map(str::to_string),
            label: provenance.and_then(|provenance| provenance.label.clone()),
            citation: provenance.and_then(|provenance| provenance.citation.clone()),
            quote: provenance.and_then(|provenance| provenance.quote.clone()),
            reading: provenance.and_then(|provenance| provenance.reading.clone()),
            source: None,
            outcome,
            reads: Vec::new(),
            details: Vec::new(),
            children: Vec::new(),
        }
    }

    fn step(&self, item: usize) -> Option<&StepKind> {
        let slot = self.program.slot_of_item.get(item).copied().flatten()?;
        self.program.steps.get(slot).map(|step| &step.kind)
    }

    fn item_node(&self, item: usize, outcome: &Outcome) -> Result<Node, EvalError> {
        let Some(definition) = self.model.items.get(item) else {
            return Ok(self.node("rule", None, None, "unknown".into()));
        };
        let slot_value = outcome.slot(self.program, item).clone();
        let kind = definition.kind.keyword();
        let mut node =
            self.node(kind, Some(&definition.provenance), Some(&definition.name), truth_word(&slot_value).to_string());
        match self.step(item) {
            Some(StepKind::Condition(code)) => node.children.push(self.code_node(code)?),
            Some(StepKind::Award { condition, up_to, amount: amount_code, cap: cap_code }) => {
                if let Some(condition) = condition {
                    node.children.push(self.code_node(condition)?);
                }
                if let Some(result) = outcome.awards.iter().find(|award| award.item == item) {
                    let maximum = if *up_to { "（最高, paid at the maximum）" } else { "" };
                    let amount_source = match &definition.kind {
                        ItemKind::Award { amount, .. } => self.snippet(amount.span),
                        _ => String::new(),
                    };
                    if let Some(amount) = result.amount {
                        let computed = money_text(amount);
                        let mut computation = if amount_source == computed {
                            format!("amount: {computed}{maximum}")
                        } else {
                            format!("amount: {amount_source} = {computed}{maximum}")
                        };
                        if let Some(cap) = result.cap {
                            if cap < amount {
                                computation.push_str(&format!(", capped at {}", money_text(cap)));
                            } else {
                                computation.push_str(&format!(", within the cap of {}", money_text(cap)));
                            }
                        }
                        node.details.push(computation);
                        let mut reads = Vec::new();
                        self.collect_reads(amount_code, &mut reads);
                        if let Some(cap_code) = cap_code {
                            self.collect_reads(cap_code, &mut reads);
                        }
                        node.reads = reads;
                    }
                    node.outcome = match &result.status {
                        AwardStatus::Paid(amount) => format!("paid {}", money_text(*amount)),
                        AwardStatus::NotEligible => "not eligible".to_string(),
                        AwardStatus::Unknown => "unknown (not paid)".to_string(),
                        AwardStatus::NothingToPay => "nothing to pay (amount is 0)".to_string(),
                        AwardStatus::Superseded { amount, by, group } => {
                            let winner =
                                self.model.items.get(*by).map(|winner| winner.name.clone()).unwrap_or_default();
                            if let Some(group) = self.model.groups.get(*group) {
                                node.details.push(format!(
                                    "superseded by `{winner}` under no stacking `{}` [{}] {}",
                                    group.name,
                                    group.provenance.citation.clone().unwrap_or_default(),
                                    group.provenance.quote.clone().unwrap_or_default()
                                ));
                            }
                            format!("superseded ({} not paid)", money_text(*amount))
                        }
                    };
                }
            }
            _ => {}
        }
        Ok(node)
    }

    fn snippet(&self, span: crate::syntax::Span) -> String {
        let text = self.source.get(span.start..span.end).unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn code_node(&self, code: &Code) -> Result<Node, EvalError> {
        let value = evaluate(code, self.record, self.slots)?;
        let outcome = truth_word(&value).to_string();
        Ok(match &code.operation {
            Operation::Connective { connective, parts } => {
                let kind = match connective {
                    Connective::All => "all of",
                    Connective::Any => "any of",
                };
                let mut node = self.node(kind, None, None, outcome);
                for part in parts {
                    node.children.push(self.code_node(part)?);
                }
                // Why (not): the parts with the outcome of the whole come first.
                let whole = node.outcome.clone();
                node.children.sort_by_key(|child| child.outcome != whole);
                node
            }
            Operation::Not(inner) => {
                let mut node = self.node("not", None, None, outcome);
                node.children.push(self.code_node(inner)?);
                node
            }
            Operation::Slot(slot) => {
                let item = self.program.steps.get(*slot).map(|step| step.item).unwrap_or(usize::MAX);
                match self.model.items.get(item) {
                    Some(definition) if definition.kind.is_conditional() => {
                        let mut node = self.node(
                            if matches!(definition.kind, ItemKind::Award { .. }) {
                                "award condition"
                            } else {
                                definition.kind.keyword()
                            },
                            Some(&definition.provenance),
                            Some(&definition.name),
                            outcome,
                        );
                        match self.step(item) {
                            Some(StepKind::Condition(inner)) => node.children.push(self.code_node(inner)?),
                            Some(StepKind::Award { condition: Some(inner), .. }) => {
                                node.children.push(self.code_node(inner)?)
                            }
                            _ => {}
                        }
                        node
                    }
                    _ => self.leaf(code, outcome),
                }
            }
            _ => self.leaf(code, outcome),
        })
    }

    /// A comparison or any other condition: its text and the inputs it read.
    fn leaf(&self, code: &Code, outcome: String) -> Node {
        let mut node = self.node("condition", None, None, outcome);
        node.source = Some(self.snippet(code.span));
        let mut reads = Vec::new();
        self.collect_reads(code, &mut reads);
        node.reads = reads;
        node
    }

    fn collect_reads(&self, code: &Code, reads: &mut Vec<Reading>) {
        let mut push = |column: String, value: String| {
            if !reads.iter().any(|existing: &Reading| existing.column == column) {
                reads.push(Reading { column, value });
            }
        };
        match &code.operation {
            Operation::Field(index) => {
                if let Some(field) =
                    self.model.entities.get(self.program.entity).and_then(|entity| entity.fields.get(*index))
                {
                    let value = self.record.get(*index).cloned().unwrap_or_default();
                    push(field.column.clone(), value_text(self.model, &field.field_type, &value));
                }
            }
            Operation::Parameter { parameter, value } => {
                if let Some(definition) = self.model.parameters.get(*parameter) {
                    push(definition.name.clone(), value_text(self.model, &definition.parameter_type, value));
                }
            }
            Operation::MissingParameter(parameter) => {
                if let Some(definition) = self.model.parameters.get(*parameter) {
                    push(definition.name.clone(), "（未设定）".to_string());
                }
            }
            Operation::AsOf(date) => push("as_of".to_string(), date.to_string()),
            Operation::Slot(slot) => {
                if let Some(step) = self.program.steps.get(*slot) {
                    if let Some(definition) = self.model.items.get(step.item) {
                        let value = self.slots.get(*slot).cloned().unwrap_or_default();
                        let value_type =
                            if definition.kind.is_conditional() { &Type::Bool } else { &definition.item_type };
                        push(definition.name.clone(), value_text(self.model, value_type, &value));
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

/// The explanation as an indented tree with ✓ ✗ ? marks.
pub fn render_text(explanation: &Explanation) -> String {
    let mut out = format!(
        "{} {} — as of {}\n",
        explanation.entity,
        explanation.id.as_deref().unwrap_or("(no key)"),
        explanation.as_of
    );
    for node in &explanation.nodes {
        out.push('\n');
        render_node(node, 0, &mut out);
    }
    out
}

fn mark(outcome: &str) -> &'static str {
    if outcome == "yes" || outcome.starts_with("paid") {
        "✓"
    } else if outcome == "no"
        || outcome.starts_with("not eligible")
        || outcome.starts_with("superseded")
        || outcome.starts_with("nothing")
    {
        "✗"
    } else {
        "?"
    }
}

fn render_node(node: &Node, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let mut title = String::new();
    if depth == 0 {
        title.push_str(&format!("{} ", node.kind));
    }
    if let Some(name) = &node.name {
        title.push_str(name);
    }
    if let Some(label) = &node.label {
        title.push_str(&format!(" {label}"));
    }
    if let Some(source) = &node.source {
        title.push_str(source);
    }
    if node.name.is_none() && node.source.is_none() && depth > 0 {
        title.push_str(&node.kind);
    }
    if let Some(citation) = &node.citation {
        title.push_str(&format!(" [{citation}]"));
    }
    out.push_str(&format!("{indent}{} {}: {}\n", mark(&node.outcome), title.trim(), node.outcome));
    if let Some(quote) = &node.quote {
        out.push_str(&format!("{indent}    “{quote}”\n"));
    }
    if !node.reads.is_empty() {
        let reads: Vec<String> = node.reads.iter().map(|read| format!("{} = {}", read.column, read.value)).collect();
        out.push_str(&format!("{indent}    read: {}\n", reads.join("; ")));
    }
    for detail in &node.details {
        out.push_str(&format!("{indent}    {detail}\n"));
    }
    for child in &node.children {
        render_node(child, depth + 1, out);
    }
}
