//! An explanation as an indented tree for a terminal: ✓ ✗ ? marks (• for computed values),
//! every detail line aligned under its node's title, colour only when asked for (a TTY).

use super::{Explanation, Node, NodeKind, Verdict};

/// The mark of a node: ✓ yes / paid, ✗ no / not paid, ? unknown, • a computed value.
pub fn mark(node: &Node) -> &'static str {
    match node.outcome {
        Verdict::Yes | Verdict::Paid => "✓",
        Verdict::No | Verdict::NotEligible | Verdict::Superseded | Verdict::NothingToPay => "✗",
        Verdict::Unknown => "?",
        Verdict::Known => "•",
    }
}

pub fn render_text(explanation: &Explanation, colour: bool) -> String {
    let lang = explanation.lang;
    let mut out = format!(
        "{} {} — {} {}\n",
        explanation.entity,
        explanation.id.as_deref().unwrap_or(lang.no_key()),
        lang.as_of(),
        explanation.as_of
    );
    for node in &explanation.nodes {
        out.push('\n');
        render_node(explanation, node, 0, colour, &mut out);
    }
    out
}

fn paint(text: &str, node: &Node, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let code = match node.outcome {
        Verdict::Yes | Verdict::Paid => "32",
        Verdict::No | Verdict::NotEligible | Verdict::Superseded | Verdict::NothingToPay => "31",
        Verdict::Unknown => "33",
        Verdict::Known => "36",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

fn render_node(explanation: &Explanation, node: &Node, depth: usize, colour: bool, out: &mut String) {
    let lang = explanation.lang;
    let indent = "  ".repeat(depth);
    let mut title = String::new();
    if depth == 0 {
        title.push_str(lang.kind(node.kind));
        title.push(' ');
    }
    if let Some(name) = &node.name {
        title.push_str(name);
    }
    if let Some(label) = &node.label {
        title.push_str(&format!(" {label}"));
    }
    match (&node.source, &node.name) {
        // A named value: its formula after the name, `innovation_score = ip_points + rd_points`.
        (Some(source), Some(_)) => title.push_str(&format!(" = {source}")),
        (Some(source), None) => title.push_str(source),
        (None, None) if depth > 0 => title.push_str(lang.kind(node.kind)),
        _ => {}
    }
    if let Some(citation) = &node.citation {
        title.push_str(&format!(" [{citation}]"));
    }
    let mark = paint(super::text::mark(node), node, colour);
    if node.kind == NodeKind::ComputedValues {
        out.push_str(&format!("{indent}{mark} {}\n", node.text));
    } else {
        out.push_str(&format!("{indent}{mark} {}{}{}\n", title.trim(), lang.colon(), node.text));
    }
    let detail_indent = format!("{indent}    ");
    if let Some(quote) = &node.quote {
        out.push_str(&format!("{detail_indent}“{quote}”\n"));
    }
    if !node.reads.is_empty() {
        let reads: Vec<String> = node.reads.iter().map(|read| format!("{} = {}", read.column, read.value)).collect();
        out.push_str(&format!("{detail_indent}{}{}{}\n", lang.read(), lang.colon(), reads.join(lang.separator())));
    }
    if let Some(margin) = &node.margin {
        out.push_str(&format!("{detail_indent}{margin}\n"));
    }
    if let Some(counterfactual) = &node.counterfactual {
        out.push_str(&format!("{detail_indent}→ {counterfactual}\n"));
    }
    for detail in &node.details {
        out.push_str(&format!("{detail_indent}{detail}\n"));
    }
    for settling in &node.settle {
        let cases: Vec<String> = settling
            .cases
            .iter()
            .map(|case| match case.outcome {
                Verdict::Unknown if settling.cases.len() == 1 => case.when.clone(),
                outcome => format!("{} → {}", case.when, lang.verdict(outcome)),
            })
            .collect();
        out.push_str(&format!(
            "{detail_indent}  {}{}{}\n",
            settling.column,
            lang.colon(),
            cases.join(lang.separator())
        ));
    }
    for child in &node.children {
        render_node(explanation, child, depth + 1, colour, out);
    }
}
