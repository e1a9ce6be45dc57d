//! Why a record was decided as it was: each decision, award and benefit as a tree down to the
//! leaf conditions, with the label, citation and quoted words of the document, the data
//! columns read and their values, and the outcome of every node.
//!
//! The tree is built by evaluating the compiled program's nodes with the evaluator itself, so
//! an explanation can never disagree with the decision it explains.
//!
//! The values and tables a decision uses (a scorecard's indicators and sub-totals) are listed
//! under it in a `computed values` node, in the order they are computed: each with the inputs
//! it read, the row of its table that applied, and its result — or, for an unknown, the blank
//! columns and the bounds within which it must lie.

use crate::check::{ItemKind, Model, Provenance, Type};
use crate::compile::{Code, CompiledPattern, Operation, Program, StepKind};
use crate::eval::{evaluate, lookup, AwardStatus, EvalError, Outcome};
use crate::output::{money_text, truth_word, value_text, BLANK};
use crate::syntax::{CompareOperator, Connective};
use crate::value::Value;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    pub column: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// `decision`, `award`, `benefit`, `rule`, `all of`, `any of`, `not`, `condition`,
    /// `computed values`, `value`, `table`.
    pub kind: String,
    pub name: Option<String>,
    pub label: Option<String>,
    pub citation: Option<String>,
    pub quote: Option<String>,
    pub reading: Option<String>,
    /// The policy text of a leaf condition, as written.
    pub source: Option<String>,
    /// yes / no / unknown; for awards: paid / superseded / not eligible / unknown; for values
    /// and tables: the value as people write it (`15`, `5.2%`, `unknown, 0–20`).
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
        if let Some(computed) = explainer.computed_values(*item)? {
            node.children.push(computed);
        }
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

    /// The values and tables `item` uses, directly or through the rules it uses, as one node
    /// listing them in the order they are computed; `None` when it uses none.
    fn computed_values(&self, item: usize) -> Result<Option<Node>, EvalError> {
        let mut used = vec![false; self.program.steps.len()];
        let mut pending: Vec<usize> = self.program.slot_of_item.get(item).copied().flatten().into_iter().collect();
        while let Some(slot) = pending.pop() {
            let Some(step) = self.program.steps.get(slot) else { continue };
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
        let mut entries = Vec::new();
        for (slot, step) in self.program.steps.iter().enumerate() {
            let is_computed =
                self.model.items.get(step.item).is_some_and(|definition| !definition.kind.is_conditional());
            if is_computed && used.get(slot).copied().unwrap_or(false) {
                entries.push(self.computed_node(slot)?);
            }
        }
        if entries.is_empty() {
            return Ok(None);
        }
        let unknown = entries.iter().any(|entry| entry.outcome.starts_with("unknown"));
        let mut node = self.node("computed values", None, None, if unknown { "unknown" } else { "known" }.into());
        node.children = entries;
        Ok(Some(node))
    }

    /// One value or table: what it read, the row that applied, its result.
    fn computed_node(&self, slot: usize) -> Result<Node, EvalError> {
        let step = self.program.steps.get(slot);
        let definition = step.and_then(|step| self.model.items.get(step.item));
        let (Some(step), Some(definition)) = (step, definition) else {
            return Ok(self.node("value", None, None, "unknown".into()));
        };
        let value = self.slots.get(slot).cloned().unwrap_or_default();
        let mut node = self.node(
            definition.kind.keyword(),
            Some(&definition.provenance),
            Some(&definition.name),
            self.computed_text(&definition.item_type, &value),
        );
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
                    Some(row) => node.details.push(format!("row: {}", self.snippet(row.span))),
                    None => {
                        let mut blanks = Vec::new();
                        self.blank_inputs(slot, &mut blanks, &mut vec![false; self.program.steps.len()]);
                        let verdict = match &value {
                            Value::Between(_) => {
                                format!("any row may apply: worth {}", node.outcome.replacen("unknown, ", "", 1))
                            }
                            _ => "no row certainly applies".to_string(),
                        };
                        node.details.push(if blanks.is_empty() {
                            verdict
                        } else {
                            format!("{}: {verdict}", blank_phrase(&blanks))
                        });
                    }
                }
            }
            _ => {}
        }
        node.reads = reads;
        Ok(node)
    }

    /// A computed value for people: `15`, `5.2%`, `unknown, 0–20`, or `unknown`.
    fn computed_text(&self, value_type: &Type, value: &Value) -> String {
        match value {
            Value::Unknown => "unknown".to_string(),
            _ => value_text(self.model, value_type, value),
        }
    }

    /// The blank data columns an unknown step depends on, through the values it uses.
    fn blank_inputs(&self, slot: usize, blanks: &mut Vec<String>, visited: &mut Vec<bool>) {
        match visited.get_mut(slot) {
            Some(seen) if !*seen => *seen = true,
            _ => return,
        }
        let Some(step) = self.program.steps.get(slot) else { return };
        for code in step.kind.codes() {
            code.walk(&mut |node| match node.operation {
                Operation::Field(index) => self.blank_field(index, blanks),
                Operation::Slot(used) if self.slots.get(used).is_none_or(Value::is_unknown) => {
                    self.blank_inputs(used, blanks, visited)
                }
                _ => {}
            });
        }
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
        if let Operation::Compare { operator, left, right } = &code.operation {
            node.details.extend(self.bounds_detail(*operator, left, right));
        }
        node
    }

    /// For a comparison with a bounded unknown side: the bounds, the blanks that leave it
    /// open, and what it is compared with — `score = 55–95 while 上年度营业收入（万元） is blank;
    /// needs ≥ 60`.
    fn bounds_detail(&self, operator: CompareOperator, left: &Code, right: &Code) -> Option<String> {
        let left_value = evaluate(left, self.record, self.slots).ok()?;
        let right_value = evaluate(right, self.record, self.slots).ok()?;
        let (side, side_value, other, other_value, operator) = match (&left_value, &right_value) {
            (Value::Between(_), _) => (left, &left_value, right, &right_value, operator),
            (_, Value::Between(_)) => (right, &right_value, left, &left_value, operator.flipped()),
            _ => return None,
        };
        let side_type = self.code_type(side);
        let mut text = format!("{} = {}", self.snippet(side.span), value_text(self.model, &side_type, side_value));
        text = text.replacen("unknown, ", "", 1);
        let mut blanks = Vec::new();
        let mut visited = vec![false; self.program.steps.len()];
        side.walk(&mut |node| match node.operation {
            Operation::Slot(slot) => self.blank_inputs(slot, &mut blanks, &mut visited),
            Operation::Field(index) => self.blank_field(index, &mut blanks),
            _ => {}
        });
        if !blanks.is_empty() {
            text.push_str(&format!(" while {}", blank_phrase(&blanks)));
        }
        if !other_value.is_unknown() {
            let other_type = self.code_type(other);
            text.push_str(&format!(
                "; needs {} {}",
                operator.symbol(),
                value_text(self.model, &other_type, other_value)
            ));
        }
        Some(text)
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
            Operation::Field(index) => self
                .model
                .entities
                .get(self.program.entity)
                .and_then(|entity| entity.fields.get(*index))
                .map(|field| field.field_type.clone())
                .unwrap_or(Type::Decimal),
            Operation::Parameter { parameter, .. } | Operation::MissingParameter(parameter) => self
                .model
                .parameters
                .get(*parameter)
                .map(|definition| definition.parameter_type.clone())
                .unwrap_or(Type::Decimal),
            Operation::Negate(inner) => self.code_type(inner),
            Operation::Binary { operand_types, .. } => match operand_types {
                (Type::Money, _) | (_, Type::Money) => Type::Money,
                (Type::Percent, Type::Percent) => Type::Percent,
                (left, _) => left.clone(),
            },
            _ => Type::Decimal,
        }
    }

    fn blank_field(&self, index: usize, blanks: &mut Vec<String>) {
        if self.record.get(index).is_none_or(Value::is_unknown) {
            if let Some(field) =
                self.model.entities.get(self.program.entity).and_then(|entity| entity.fields.get(index))
            {
                if !blanks.contains(&field.column) {
                    blanks.push(field.column.clone());
                }
            }
        }
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
                        push(definition.name.clone(), self.computed_text(value_type, &value));
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

fn mark(node: &Node) -> &'static str {
    let outcome = node.outcome.as_str();
    if matches!(node.kind.as_str(), "computed values" | "value" | "table") {
        return if outcome.starts_with("unknown") { "?" } else { "•" };
    }
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
    if let (Some(source), Some(_)) = (&node.source, &node.name) {
        // A named value: its formula after the name, `innovation_score = ip_points + rd_points`.
        let named = title.trim_end().strip_suffix(source.as_str()).unwrap_or(&title).trim_end().to_string();
        title = format!("{named} = {source}");
    }
    if let Some(citation) = &node.citation {
        title.push_str(&format!(" [{citation}]"));
    }
    if node.kind == "computed values" {
        out.push_str(&format!("{indent}{} computed values\n", mark(node)));
    } else {
        out.push_str(&format!("{indent}{} {}: {}\n", mark(node), title.trim(), node.outcome));
    }
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

/// `X is blank`, `X and Y are blank`, `X, Y and Z are blank`.
fn blank_phrase(columns: &[String]) -> String {
    match columns {
        [] => String::new(),
        [only] => format!("{only} is blank"),
        [rest @ .., last] => format!("{} and {last} are blank", rest.join(", ")),
    }
}
