//! Explanations as self-contained HTML pages: one record (`explain --id KEY --format html`) or a
//! whole file with a summary at the top (`explain --all --format html`). The pages have inline
//! CSS only, no script and no external asset, read fully without JavaScript and print on A4
//! with every tree expanded and each record of a report on a new page.
//!
//! Markup other tools and tests may rely on (amounts in 元 as decimal strings, as in JSON Lines):
//! - `<html lang="zh-CN">` or `lang="en"`;
//! - report facts: `[data-rows]` (rows read), `[data-rejected]` (rows rejected), `[data-total]`
//!   (the sum of all amounts paid; one element in the page); each rejected row is
//!   `table.rejected tr[data-row][data-key]`;
//! - `table.summary.decisions tr[data-decision=NAME][data-yes][data-no][data-unknown]`, with
//!   the same counts in `td.yes`, `td.no`, `td.unknown`;
//! - `table.summary.awards tr[data-award=NAME][data-paid][data-amount]` (records paid, amount);
//! - `table.summary.benefits tr[data-benefit=NAME][data-granted]`;
//! - `table.records tr[data-record=KEY][data-record-total]`, its first cell linking to
//!   `#ID`, and each decision's cell `td[data-decision=NAME][data-outcome]`;
//! - each record: `section.record[id=ID][data-key=KEY]` (the id is `record-` and the key with
//!   every byte other than an ASCII letter, digit or `-` written `_XX`, so it is a valid
//!   fragment for any key; a repeated key gets `.2`, `.3`…, a record without a key
//!   `record.N`), and each of its items `ID.item-N` in declaration order;
//! - each node of the tree: `[data-kind][data-outcome]` with the JSON schema's codes
//!   (`decision`, `all_of`…; `yes`, `not_eligible`…), an item also `[data-name]` and, when
//!   paid or superseded, `[data-amount]`.
//!
//! A single record's page is the report's page for that record without the summary.

use super::text::mark;
use super::{Explanation, Lang, Node, NodeKind, Summary, Verdict};
use crate::output::{money_text, yuan_string};
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::str::FromStr;

/// One record's explanation as a whole page.
pub fn record_page(explanation: &Explanation) -> String {
    report_page(None, std::slice::from_ref(explanation))
}

/// A whole file: with a summary, the facts of the run and the counts at the top and a table
/// linking to each record's explanation; without one, the explanations alone.
pub fn report_page(summary: Option<&Summary>, explanations: &[Explanation]) -> String {
    let lang = summary
        .map(|summary| summary.lang)
        .or_else(|| explanations.first().map(|explanation| explanation.lang))
        .unwrap_or_default();
    let words = Words::of(lang);
    let anchors = anchors(explanations);
    let title = match (summary, explanations) {
        (Some(summary), _) => format!("{} — {}", summary.policy, words.report),
        (None, [only]) => format!("{} — {} {}", only.policy, only.entity, only.id.as_deref().unwrap_or(lang.no_key())),
        (None, [first, ..]) => first.policy.to_string(),
        (None, []) => words.report.to_string(),
    };
    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n");
    page.push_str(&format!("<html lang=\"{}\">\n<head>\n", html_lang(lang)));
    page.push_str("<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str("<meta name=\"generator\" content=\"policy explain\">\n");
    page.push_str(&format!("<title>{}</title>\n<style>{PAGE_BASE}{STYLE}</style>\n</head>\n", escape(&title)));
    let kind = if summary.is_some() { "report" } else { "records" };
    page.push_str(&format!("<body class=\"{kind}\">\n<main id=\"top\">\n"));
    if let Some(summary) = summary {
        summary_part(summary, explanations, &anchors, &mut page);
    }
    // Without a summary, each record is the page's main heading.
    let heading = if summary.is_some() { 2 } else { 1 };
    for (explanation, anchor) in explanations.iter().zip(&anchors) {
        record_section(explanation, anchor, heading, summary.is_some(), &mut page);
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// The report's head: facts of the run, rejected rows, counts, and the table of records.
fn summary_part(summary: &Summary, explanations: &[Explanation], anchors: &[String], page: &mut String) {
    let lang = summary.lang;
    let words = Words::of(lang);
    page.push_str("<header class=\"report-head\">\n");
    page.push_str(&format!("<p class=\"eyebrow\">{}</p>\n", words.report));
    page.push_str(&format!("<h1>{}</h1>\n", escape(&summary.policy)));
    page.push_str("<dl class=\"facts\">\n");
    let fact = |term: &str, attribute: &str, shown: &str| {
        format!("<div><dt>{term}</dt><dd{attribute}>{}</dd></div>\n", escape(shown))
    };
    page.push_str(&fact(words.entity, "", &summary.entity));
    page.push_str(&fact(words.as_of, "", &summary.as_of));
    let rows = summary.rows.to_string();
    page.push_str(&fact(words.rows_read, &format!(" data-rows=\"{rows}\""), &rows));
    let rejected = summary.rejected.len().to_string();
    let rejected_class = if summary.rejected.is_empty() { "" } else { " class=\"alert\"" };
    page.push_str(&fact(words.rows_rejected, &format!(" data-rejected=\"{rejected}\"{rejected_class}"), &rejected));
    page.push_str(&fact(
        words.total_paid,
        &format!(" data-total=\"{}\" class=\"money\"", escape(&summary.total)),
        &money(&summary.total),
    ));
    page.push_str("</dl>\n</header>\n");

    if !summary.rejected.is_empty() {
        page.push_str(&format!("<section class=\"part\">\n<h2>{}</h2>\n", words.rows_rejected));
        page.push_str("<table class=\"rejected\">\n<thead><tr>");
        page.push_str(&format!(
            "<th class=\"number\">{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            words.row, words.key, words.reason
        ));
        for (row, key, message) in &summary.rejected {
            let key = key.as_deref().unwrap_or("");
            page.push_str(&format!(
                "<tr data-row=\"{row}\" data-key=\"{}\"><td class=\"number\">{row}</td><td class=\"key\">{}</td><td>{}</td></tr>\n",
                escape(key),
                escape(key),
                escape(message)
            ));
        }
        page.push_str("</tbody>\n</table>\n</section>\n");
    }

    page.push_str(&format!("<section class=\"part\">\n<h2>{}</h2>\n", words.summary));
    if !summary.decisions.is_empty() {
        page.push_str("<table class=\"summary decisions\">\n<thead><tr>");
        page.push_str(&format!(
            "<th>{}</th><th class=\"number\">{}</th><th class=\"number\">{}</th><th class=\"number\">{}</th><th class=\"bar-column\"></th></tr></thead>\n<tbody>\n",
            words.decision,
            verdict_heading(lang, Verdict::Yes),
            verdict_heading(lang, Verdict::No),
            verdict_heading(lang, Verdict::Unknown),
        ));
        for decision in &summary.decisions {
            let name = escape(&decision.name);
            page.push_str(&format!(
                "<tr data-decision=\"{name}\" data-yes=\"{}\" data-no=\"{}\" data-unknown=\"{}\">",
                decision.yes, decision.no, decision.unknown
            ));
            page.push_str(&format!("<th>{}</th>", item_title(&decision.name, decision.label.as_deref())));
            page.push_str(&format!(
                "<td class=\"number yes\">{}</td><td class=\"number no\">{}</td><td class=\"number unknown\">{}</td>",
                decision.yes, decision.no, decision.unknown
            ));
            page.push_str(&format!(
                "<td class=\"bar-column\">{}</td></tr>\n",
                bar(&[("pass", decision.yes), ("fail", decision.no), ("unknown", decision.unknown)])
            ));
        }
        page.push_str("</tbody>\n</table>\n");
    }
    if !summary.awards.is_empty() {
        page.push_str("<table class=\"summary awards\">\n<thead><tr>");
        page.push_str(&format!(
            "<th>{}</th><th class=\"number\">{}</th><th class=\"number\">{}</th></tr></thead>\n<tbody>\n",
            words.award, words.records_paid, words.amount_paid
        ));
        for award in &summary.awards {
            let class = if award.paid > 0 { "" } else { " class=\"none\"" };
            page.push_str(&format!(
                "<tr data-award=\"{}\" data-paid=\"{}\" data-amount=\"{}\"{class}>",
                escape(&award.name),
                award.paid,
                escape(&award.amount)
            ));
            page.push_str(&format!("<th>{}</th>", item_title(&award.name, award.label.as_deref())));
            page.push_str(&format!(
                "<td class=\"number paid\">{}</td><td class=\"number money\">{}</td></tr>\n",
                award.paid,
                escape(&money(&award.amount))
            ));
        }
        page.push_str("</tbody>\n<tfoot><tr>");
        let paid: usize = summary.awards.iter().map(|award| award.paid).sum();
        page.push_str(&format!(
            "<th>{}</th><td class=\"number\">{paid}</td><td class=\"number money\">{}</td></tr></tfoot>\n</table>\n",
            words.total,
            escape(&money(&summary.total))
        ));
    }
    if !summary.benefits.is_empty() {
        page.push_str("<table class=\"summary benefits\">\n<thead><tr>");
        page.push_str(&format!(
            "<th>{}</th><th class=\"number\">{}</th></tr></thead>\n<tbody>\n",
            words.benefit, words.records_granted
        ));
        for benefit in &summary.benefits {
            let class = if benefit.granted > 0 { "" } else { " class=\"none\"" };
            page.push_str(&format!(
                "<tr data-benefit=\"{}\" data-granted=\"{}\"{class}><th>{}</th><td class=\"number granted\">{}</td></tr>\n",
                escape(&benefit.name),
                benefit.granted,
                item_title(&benefit.name, benefit.label.as_deref()),
                benefit.granted
            ));
        }
        page.push_str("</tbody>\n</table>\n");
    }
    page.push_str("</section>\n");
    records_table(summary, explanations, anchors, page);
}

/// One line per record explained: its decisions, what it is paid and granted, linking to it.
fn records_table(summary: &Summary, explanations: &[Explanation], anchors: &[String], page: &mut String) {
    let lang = summary.lang;
    let words = Words::of(lang);
    let with_awards = !summary.awards.is_empty();
    let with_benefits = !summary.benefits.is_empty();
    page.push_str(&format!("<section class=\"part\">\n<h2>{}</h2>\n", words.records));
    // A narrow screen scrolls the table rather than squeezing a column to a letter's width.
    page.push_str("<div class=\"scroll\">\n<table class=\"records\">\n<thead><tr>");
    page.push_str(&format!("<th>{}</th>", words.key));
    for decision in &summary.decisions {
        page.push_str(&format!("<th>{}</th>", item_title(&decision.name, decision.label.as_deref())));
    }
    if with_awards {
        page.push_str(&format!("<th>{}</th>", words.awards_paid));
    }
    if with_benefits {
        page.push_str(&format!("<th>{}</th>", words.benefits_granted));
    }
    if with_awards {
        page.push_str(&format!("<th class=\"number\">{}</th>", words.total));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for (explanation, anchor) in explanations.iter().zip(anchors) {
        let key = explanation.id.as_deref().unwrap_or(lang.no_key());
        let total = yuan_string(paid_total(explanation));
        page.push_str(&format!(
            "<tr data-record=\"{}\" data-record-total=\"{}\"><td class=\"key\"><a href=\"#{anchor}\">{}</a></td>",
            escape(explanation.id.as_deref().unwrap_or("")),
            escape(&total),
            escape(key)
        ));
        for decision in &summary.decisions {
            let node = explanation
                .nodes
                .iter()
                .find(|node| node.kind == NodeKind::Decision && node.name.as_deref() == Some(decision.name.as_str()));
            match node {
                Some(node) => page.push_str(&format!(
                    "<td class=\"outcome-cell {}\" data-decision=\"{}\" data-outcome=\"{}\">{}{}</td>",
                    tone(node.outcome),
                    escape(&decision.name),
                    verdict_code(node.outcome),
                    mark_html(node),
                    escape(outcome_words(lang, node))
                )),
                None => page.push_str("<td></td>"),
            }
        }
        if with_awards {
            let paid: Vec<String> = explanation
                .nodes
                .iter()
                .filter(|node| node.kind == NodeKind::Award && node.outcome == Verdict::Paid)
                .map(|node| {
                    let amount = node.amount.as_deref().map(money).unwrap_or_default();
                    format!(
                        "<li data-award=\"{}\"><span class=\"label\">{}</span> <span class=\"money\">{}</span></li>",
                        escape(node.name.as_deref().unwrap_or("")),
                        escape(node.label.as_deref().or(node.name.as_deref()).unwrap_or("")),
                        escape(&amount)
                    )
                })
                .collect();
            page.push_str(&format!("<td>{}</td>", compact_list(&paid)));
        }
        if with_benefits {
            let granted: Vec<String> = explanation
                .nodes
                .iter()
                .filter(|node| node.kind == NodeKind::Benefit && node.outcome == Verdict::Yes)
                .map(|node| {
                    format!(
                        "<li data-benefit=\"{}\">{}</li>",
                        escape(node.name.as_deref().unwrap_or("")),
                        escape(node.label.as_deref().or(node.name.as_deref()).unwrap_or(""))
                    )
                })
                .collect();
            page.push_str(&format!("<td>{}</td>", compact_list(&granted)));
        }
        if with_awards {
            page.push_str(&format!("<td class=\"number money\">{}</td>", escape(&money(&total))));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

/// One record: its heading, a line per item at a glance, then each item's tree.
fn record_section(explanation: &Explanation, anchor: &str, heading: u8, in_report: bool, page: &mut String) {
    let lang = explanation.lang;
    let words = Words::of(lang);
    let key = explanation.id.as_deref().unwrap_or(lang.no_key());
    page.push_str(&format!(
        "<section class=\"record\" id=\"{anchor}\" data-key=\"{}\">\n<header class=\"record-head\">\n",
        escape(explanation.id.as_deref().unwrap_or(""))
    ));
    page.push_str(&format!("<p class=\"eyebrow\">{}</p>\n", escape(&explanation.policy)));
    page.push_str(&format!(
        "<h{heading}><span class=\"entity\">{}</span> <span class=\"key\">{}</span></h{heading}>\n",
        escape(&explanation.entity),
        escape(key)
    ));
    page.push_str(&format!("<p class=\"meta\">{} {}", lang.as_of(), escape(&explanation.as_of)));
    if in_report {
        page.push_str(&format!(" <a class=\"screen-only back\" href=\"#top\">↑ {}</a>", words.back));
    }
    page.push_str("</p>\n</header>\n");
    // A list at a glance helps only when there is more than one item to find.
    if explanation.nodes.len() > 1 {
        glance(explanation, anchor, page);
    }
    for (index, node) in explanation.nodes.iter().enumerate() {
        item(lang, node, &format!("{anchor}.item-{}", index + 1), page);
    }
    page.push_str("</section>\n");
}

/// Each item of a record on one line, its outcome and a link to its tree.
fn glance(explanation: &Explanation, anchor: &str, page: &mut String) {
    let lang = explanation.lang;
    page.push_str("<ul class=\"glance\">\n");
    for (index, node) in explanation.nodes.iter().enumerate() {
        page.push_str(&format!(
            "<li class=\"{}\"><a href=\"#{anchor}.item-{}\">{}<span class=\"glance-title\">{}</span></a> <span class=\"outcome\">{}</span></li>\n",
            tone(node.outcome),
            index + 1,
            mark_html(node),
            item_title(node.name.as_deref().unwrap_or(""), node.label.as_deref()),
            escape(outcome_words(lang, node))
        ));
    }
    page.push_str("</ul>\n");
}

/// A decision, award or benefit: a card whose tree can be folded on screen.
fn item(lang: Lang, node: &Node, id: &str, page: &mut String) {
    page.push_str(&format!("<details open class=\"item {}\" id=\"{id}\"{}>\n", tone(node.outcome), node_data(node)));
    page.push_str(&format!(
        "<summary class=\"line\">{}<span class=\"head\">{}</span></summary>\n",
        mark_html(node),
        head(lang, node, 0)
    ));
    page.push_str(&body(lang, node));
    children(lang, node, 0, page);
    page.push_str("</details>\n");
}

fn node(lang: Lang, node: &Node, depth: usize, page: &mut String) {
    let tone = tone(node.outcome);
    if node.kind == NodeKind::ComputedValues {
        // A score card can be long: it folds like an item.
        page.push_str(&format!("<li class=\"node computed {tone}\"{}><details open>\n", node_data(node)));
        page.push_str(&format!(
            "<summary class=\"line\">{}<span class=\"head\">{}</span></summary>\n",
            mark_html(node),
            head(lang, node, depth)
        ));
        page.push_str(&body(lang, node));
        children(lang, node, depth, page);
        page.push_str("</details></li>\n");
        return;
    }
    page.push_str(&format!("<li class=\"node {tone}\"{}>", node_data(node)));
    page.push_str(&format!(
        "<div class=\"line\">{}<div class=\"content\"><div class=\"head\">{}</div>{}</div></div>\n",
        mark_html(node),
        head(lang, node, depth),
        body(lang, node)
    ));
    children(lang, node, depth, page);
    page.push_str("</li>\n");
}

fn children(lang: Lang, parent: &Node, depth: usize, page: &mut String) {
    if parent.children.is_empty() {
        return;
    }
    page.push_str("<ul class=\"tree\">\n");
    for child in &parent.children {
        node(lang, child, depth + 1, page);
    }
    page.push_str("</ul>\n");
}

/// The title line, as the text renderer writes it: kind (at the top), name, label, formula or
/// condition, citation, outcome.
fn head(lang: Lang, node: &Node, depth: usize) -> String {
    let mut parts = Vec::new();
    if depth == 0 {
        parts.push(format!("<span class=\"kind\">{}</span>", lang.kind(node.kind)));
    }
    if node.kind == NodeKind::ComputedValues {
        let words = if node.text.is_empty() { lang.kind(node.kind) } else { &node.text };
        parts.push(format!("<span class=\"connective\">{}</span>", escape(words)));
        return parts.join(" ");
    }
    if let Some(name) = &node.name {
        parts.push(format!("<code class=\"name\">{}</code>", escape(name)));
    }
    if let Some(label) = &node.label {
        parts.push(format!("<span class=\"label\">{}</span>", escape(label)));
    }
    match (&node.source, &node.name) {
        (Some(source), Some(_)) => parts.push(format!("<code class=\"source\">= {}</code>", escape(source))),
        (Some(source), None) => parts.push(format!("<code class=\"source\">{}</code>", escape(source))),
        (None, None) if depth > 0 => parts.push(format!("<span class=\"connective\">{}</span>", lang.kind(node.kind))),
        _ => {}
    }
    if let Some(citation) = &node.citation {
        parts.push(format!("<span class=\"citation\">[{}]</span>", escape(citation)));
    }
    parts.push(format!("<span class=\"outcome\">{}</span>", escape(outcome_words(lang, node))));
    parts.join(" ")
}

/// The lines under a title: quote, reading, inputs read, margin, what would change it, other
/// details, and for an unknown what each blank column's values would decide.
fn body(lang: Lang, node: &Node) -> String {
    let words = Words::of(lang);
    let mut lines = String::new();
    if let Some(quote) = &node.quote {
        lines.push_str(&format!("<blockquote class=\"quote\">“{}”</blockquote>", escape(quote)));
    }
    if let Some(reading) = &node.reading {
        lines.push_str(&format!(
            "<p class=\"reading\"><span class=\"caption\">{}</span> {}</p>",
            words.reading,
            escape(reading)
        ));
    }
    if !node.reads.is_empty() {
        lines.push_str(&format!("<div class=\"reads\"><span class=\"caption\">{}</span><ul>", lang.read()));
        for read in &node.reads {
            let class = if read.blank { "read blank" } else { "read" };
            lines.push_str(&format!(
                "<li class=\"{class}\"><span class=\"column\">{}</span> = <span class=\"value\">{}</span></li>",
                escape(&read.column),
                escape(&read.value)
            ));
        }
        lines.push_str("</ul></div>");
    }
    if let Some(margin) = &node.margin {
        lines.push_str(&format!("<p class=\"margin\">{}</p>", escape(margin)));
    }
    if let Some(counterfactual) = &node.counterfactual {
        lines.push_str(&format!("<p class=\"counterfactual\">→ {}</p>", escape(counterfactual)));
    }
    for detail in &node.details {
        lines.push_str(&format!("<p class=\"detail\">{}</p>", escape(detail)));
    }
    if !node.settle.is_empty() {
        lines.push_str("<ul class=\"settle\">");
        for settling in &node.settle {
            let cases: Vec<String> = settling
                .cases
                .iter()
                .map(|case| match case.outcome {
                    Verdict::Unknown if settling.cases.len() == 1 => {
                        format!("<span class=\"case\">{}</span>", escape(&case.when))
                    }
                    outcome => format!(
                        "<span class=\"case {}\">{} → <b>{}</b></span>",
                        tone(outcome),
                        escape(&case.when),
                        lang.verdict(outcome)
                    ),
                })
                .collect();
            lines.push_str(&format!(
                "<li><span class=\"column\">{}</span>{}{}</li>",
                escape(&settling.column),
                lang.colon(),
                cases.join(&format!("<span class=\"separator\">{}</span>", lang.separator()))
            ));
        }
        lines.push_str("</ul>");
    }
    if lines.is_empty() {
        return lines;
    }
    format!("<div class=\"body\">{lines}</div>\n")
}

/// The outcome in words: the node's own text, or the verdict's word where the explanation
/// was built without the words of inner nodes.
fn outcome_words<'a>(lang: Lang, node: &'a Node) -> &'a str {
    if node.text.is_empty() {
        lang.verdict(node.outcome)
    } else {
        &node.text
    }
}

/// ✓ ✗ ? • in a coloured disc; the mark is the same as in the text.
fn mark_html(node: &Node) -> String {
    format!("<span class=\"mark\">{}</span>", mark(node))
}

/// The colour class of an outcome: green passed, red failed or not paid, amber unknown, grey
/// a computed value.
fn tone(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Yes | Verdict::Paid => "pass",
        Verdict::No | Verdict::NotEligible | Verdict::Superseded | Verdict::NothingToPay => "fail",
        Verdict::Unknown => "unknown",
        Verdict::Known => "known",
    }
}

/// The outcome's code in the JSON schema.
fn verdict_code(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Yes => "yes",
        Verdict::No => "no",
        Verdict::Unknown => "unknown",
        Verdict::Paid => "paid",
        Verdict::Superseded => "superseded",
        Verdict::NotEligible => "not_eligible",
        Verdict::NothingToPay => "nothing_to_pay",
        Verdict::Known => "known",
    }
}

/// The node kind's code in the JSON schema.
fn kind_code(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Decision => "decision",
        NodeKind::Award => "award",
        NodeKind::Benefit => "benefit",
        NodeKind::Rule => "rule",
        NodeKind::AwardCondition => "award_condition",
        NodeKind::AllOf => "all_of",
        NodeKind::AnyOf => "any_of",
        NodeKind::Not => "not",
        NodeKind::Condition => "condition",
        NodeKind::ComputedValues => "computed_values",
        NodeKind::Value => "value",
        NodeKind::Table => "table",
    }
}

fn node_data(node: &Node) -> String {
    let mut data = format!(" data-kind=\"{}\" data-outcome=\"{}\"", kind_code(node.kind), verdict_code(node.outcome));
    if let Some(name) = &node.name {
        data.push_str(&format!(" data-name=\"{}\"", escape(name)));
    }
    if let Some(amount) = &node.amount {
        data.push_str(&format!(" data-amount=\"{}\"", escape(amount)));
    }
    data
}

/// A column heading of a count: the mark and the outcome word.
fn verdict_heading(lang: Lang, verdict: Verdict) -> String {
    let symbol = match tone(verdict) {
        "pass" => "✓",
        "fail" => "✗",
        _ => "?",
    };
    format!("<span class=\"{}\"><span class=\"mark\">{symbol}</span>{}</span>", tone(verdict), lang.verdict(verdict))
}

/// An item's label with its name, for the tables and the list at a glance.
fn item_title(name: &str, label: Option<&str>) -> String {
    match label {
        Some(label) => {
            format!("<span class=\"label\">{}</span> <code class=\"name\">{}</code>", escape(label), escape(name))
        }
        None => format!("<code class=\"name\">{}</code>", escape(name)),
    }
}

/// Counts as a stacked bar, each part as wide as its share.
fn bar(parts: &[(&str, usize)]) -> String {
    let mut bar = String::from("<span class=\"bar\">");
    for (tone, count) in parts.iter().filter(|(_, count)| *count > 0) {
        bar.push_str(&format!("<span class=\"{tone}\" style=\"flex-grow:{count}\"></span>"));
    }
    bar.push_str("</span>");
    bar
}

fn compact_list(items: &[String]) -> String {
    if items.is_empty() {
        return "<span class=\"none\">—</span>".to_string();
    }
    format!("<ul class=\"compact\">{}</ul>", items.concat())
}

/// The amount paid to a record: its paid awards, as in the JSON line's `total`.
fn paid_total(explanation: &Explanation) -> Decimal {
    explanation
        .nodes
        .iter()
        .filter(|node| node.kind == NodeKind::Award && node.outcome == Verdict::Paid)
        .filter_map(|node| node.amount.as_deref().and_then(|amount| Decimal::from_str(amount).ok()))
        .fold(Decimal::ZERO, Decimal::saturating_add)
}

/// An amount in 元 (a decimal string) for people, in 万元 like the text; as given if it is not
/// a number.
fn money(yuan: &str) -> String {
    Decimal::from_str(yuan).map(money_text).unwrap_or_else(|_| yuan.to_string())
}

/// The id of each record's section, unique in the page and safe in a URL fragment whatever the
/// key holds.
fn anchors(explanations: &[Explanation]) -> Vec<String> {
    let mut used = HashSet::new();
    explanations
        .iter()
        .enumerate()
        .map(|(index, explanation)| {
            let base = match &explanation.id {
                Some(key) => {
                    let mut id = String::from("record-");
                    for byte in key.bytes() {
                        if byte.is_ascii_alphanumeric() || byte == b'-' {
                            id.push(char::from(byte));
                        } else {
                            id.push_str(&format!("_{byte:02X}"));
                        }
                    }
                    id
                }
                // `.` never appears in an encoded key, so this cannot take a key's id.
                None => format!("record.{}", index + 1),
            };
            let mut id = base.clone();
            let mut repeat = 1;
            while !used.insert(id.clone()) {
                repeat += 1;
                id = format!("{base}.{repeat}");
            }
            id
        })
        .collect()
}

fn html_lang(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    }
}

/// Text for HTML content and attribute values alike.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Words only the HTML page uses: headings of the report's tables and facts. The words shared
/// with the text and JSON forms are in `words.rs`.
struct Words {
    report: &'static str,
    entity: &'static str,
    as_of: &'static str,
    rows_read: &'static str,
    rows_rejected: &'static str,
    row: &'static str,
    key: &'static str,
    reason: &'static str,
    summary: &'static str,
    decision: &'static str,
    award: &'static str,
    benefit: &'static str,
    records_paid: &'static str,
    amount_paid: &'static str,
    records_granted: &'static str,
    total_paid: &'static str,
    records: &'static str,
    awards_paid: &'static str,
    benefits_granted: &'static str,
    total: &'static str,
    reading: &'static str,
    back: &'static str,
}

impl Words {
    fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::Zh => &CHINESE,
            Lang::En => &ENGLISH,
        }
    }
}

const CHINESE: Words = Words {
    report: "政策评价报告",
    entity: "评价对象",
    as_of: "评价日期",
    rows_read: "读取行数",
    rows_rejected: "未能判定的行",
    row: "行号",
    key: "主键",
    reason: "原因",
    summary: "汇总",
    decision: "决定",
    award: "奖励",
    benefit: "待遇",
    records_paid: "发放户数",
    amount_paid: "发放金额",
    records_granted: "享受户数",
    total_paid: "合计发放",
    records: "逐条结果",
    awards_paid: "发放的奖励",
    benefits_granted: "享受的待遇",
    total: "合计",
    reading: "解读",
    back: "返回汇总",
};

const ENGLISH: Words = Words {
    report: "Policy report",
    entity: "Entity",
    as_of: "As of",
    rows_read: "Rows read",
    rows_rejected: "Rows rejected",
    row: "Row",
    key: "Key",
    reason: "Reason",
    summary: "Summary",
    decision: "Decision",
    award: "Award",
    benefit: "Benefit",
    records_paid: "Records paid",
    amount_paid: "Amount paid",
    records_granted: "Records granted",
    total_paid: "Total paid",
    records: "Records",
    awards_paid: "Awards paid",
    benefits_granted: "Benefits granted",
    total: "Total",
    reading: "reading",
    back: "Back to the summary",
};

/// The page's only style. System fonts only (CJK first where a system has them); colours are
/// kept in print so the marks still tell pass from fail on paper.
/// The page, the palette and the base size shared by every HTML page the tool writes (explain's
/// records and reports, diff's comparisons), so that they look like one tool.
pub(crate) const PAGE_BASE: &str = r#"
@page { size: A4; margin: 15mm; }
:root {
  --ink: #1f2328; --muted: #57606a; --faint: #8c959f; --rule: #d8dee4; --paper: #ffffff; --wash: #f6f8fa;
  --accent: #0a5ead;
  --pass: #1a7f37; --pass-wash: #e6f4ea;
  --fail: #c62828; --fail-wash: #fdecea;
  --unknown: #b35900; --unknown-wash: #fff3e0;
  --known: #6e7781; --known-wash: #f0f2f4;
}
* { box-sizing: border-box; }
html { font-size: 15px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
"#;

const STYLE: &str = r#"
body {
  margin: 0; background: var(--paper); color: var(--ink);
  font: 1rem/1.6 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
  overflow-wrap: break-word;
}
main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
code, .source, .name {
  font-family: ui-monospace, "SF Mono", "Cascadia Mono", Menlo, Consolas, "Noto Sans Mono CJK SC",
    "Sarasa Mono SC", monospace;
  font-size: 0.88em; overflow-wrap: anywhere;
}
h1, h2, h3 { line-height: 1.3; margin: 0; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.eyebrow { margin: 0 0 0.25rem; color: var(--muted); font-size: 0.85rem; letter-spacing: 0.04em; }
.pass { --tone: var(--pass); --tone-wash: var(--pass-wash); }
.fail { --tone: var(--fail); --tone-wash: var(--fail-wash); }
.unknown { --tone: var(--unknown); --tone-wash: var(--unknown-wash); }
.known { --tone: var(--known); --tone-wash: var(--known-wash); }
.mark {
  display: inline-block; flex: none; width: 1.25rem; height: 1.25rem; margin-right: 0.35rem; border-radius: 50%;
  background: var(--tone, var(--known)); color: #fff; font-size: 0.75rem; font-weight: 700; line-height: 1.25rem;
  text-align: center; vertical-align: 0.1em; font-family: system-ui, "Noto Sans CJK SC", sans-serif;
}
.outcome {
  display: inline-block; padding: 0 0.45rem; border-radius: 0.6rem; color: var(--tone); background: var(--tone-wash);
  font-weight: 600; font-size: 0.9em; white-space: nowrap;
}
.number { text-align: right; font-variant-numeric: tabular-nums; }
th.number { white-space: nowrap; }
.money { white-space: nowrap; font-variant-numeric: tabular-nums; }

/* The report's head and tables */
.report-head { padding-bottom: 1rem; border-bottom: 2px solid var(--ink); margin-bottom: 1.5rem; }
.facts { display: flex; flex-wrap: wrap; gap: 0.5rem 2rem; margin: 1rem 0 0; }
.facts div { min-width: 6rem; }
.facts dt { color: var(--muted); font-size: 0.8rem; }
.facts dd { margin: 0; font-size: 1.15rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.facts dd.alert { color: var(--fail); }
.part { margin: 0 0 1.75rem; }
.part > h2 { margin-bottom: 0.6rem; padding-bottom: 0.25rem; border-bottom: 1px solid var(--rule); }
table { width: 100%; border-collapse: collapse; margin: 0 0 1rem; font-size: 0.92rem; }
/* A cell breaks a long word anywhere rather than push the table past the page's edge. */
th, td {
  padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top;
  overflow-wrap: anywhere;
}
thead th { background: var(--wash); color: var(--muted); font-weight: 600; font-size: 0.85rem; border-bottom: 1px solid #afb8c1; }
tbody th { font-weight: normal; }
tfoot th, tfoot td { font-weight: 700; border-top: 1.5px solid var(--ink); border-bottom: none; }
th .name { display: block; color: var(--muted); font-size: 0.78em; font-weight: normal; }
thead th .label { color: var(--ink); }
tr.none td, tr.none th { color: var(--faint); }
tr.none .label { color: var(--faint); }
td.yes { color: var(--pass); font-weight: 600; }
td.no { color: var(--fail); font-weight: 600; }
td.unknown { color: var(--unknown); font-weight: 600; }
thead .mark { width: 1rem; height: 1rem; line-height: 1rem; font-size: 0.65rem; }
.bar-column { width: 30%; vertical-align: middle; }
.bar { display: flex; height: 0.7rem; border-radius: 0.35rem; overflow: hidden; background: var(--wash); }
.bar > span { flex-basis: 0; background: var(--tone); }
table.records td.key, table.rejected td.key {
  min-width: 12em; font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace;
  font-size: 0.85rem;
}
td.outcome-cell { color: var(--tone); font-weight: 600; white-space: nowrap; }
td.outcome-cell .mark { width: 1rem; height: 1rem; line-height: 1rem; font-size: 0.65rem; }
.compact { list-style: none; margin: 0; padding: 0; }
.compact li + li { margin-top: 0.15rem; }
.none { color: var(--faint); }

/* A record */
.record { margin-top: 2.5rem; }
.record-head { border-bottom: 2px solid var(--ink); padding-bottom: 0.5rem; margin-bottom: 0.9rem; }
.record-head h1, .record-head h2 { font-size: 1.45rem; }
.record-head .entity { color: var(--muted); font-weight: normal; }
.record-head .key { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; }
.meta { margin: 0.2rem 0 0; color: var(--muted); font-size: 0.9rem; }
.back { float: right; font-size: 0.85rem; }
.glance { list-style: none; margin: 0 0 1.25rem; padding: 0; columns: 2 22rem; column-gap: 1.5rem; }
.glance li { break-inside: avoid; padding: 0.15rem 0; display: flex; align-items: baseline; gap: 0.4rem; }
.glance a { color: inherit; flex: 1; min-width: 0; display: flex; align-items: flex-start; }
.glance-title { flex: 1; min-width: 0; }
.glance .mark { width: 1.05rem; height: 1.05rem; line-height: 1.05rem; font-size: 0.65rem; margin-top: 0.2em; }
.glance .name { color: var(--faint); font-size: 0.78em; margin-left: 0.3rem; }
.glance .outcome { font-size: 0.8em; }

/* The tree */
.item {
  margin: 0 0 0.9rem; padding: 0.55rem 0.8rem 0.6rem; border: 1px solid var(--rule); border-left: 4px solid var(--tone);
  border-radius: 6px; background: var(--paper);
}
summary { cursor: pointer; list-style: none; }
summary::-webkit-details-marker { display: none; }
.line { display: flex; align-items: flex-start; }
.line > .mark { margin-top: 0.2rem; }
.line .content, .line .head { flex: 1; min-width: 0; }
.item > summary .head { font-size: 1.02rem; }
.item > summary .label { font-weight: 700; }
.item > summary::after, .computed > details > summary::after {
  content: "▾"; flex: none; margin-left: 0.5rem; color: var(--faint);
}
.item:not([open]) > summary::after, .computed > details:not([open]) > summary::after { content: "▸"; }
.item > .body { margin-left: 1.6rem; }
.kind {
  display: inline-block; padding: 0 0.35rem; border: 1px solid var(--rule); border-radius: 3px; color: var(--muted);
  font-size: 0.78em; vertical-align: 0.1em;
}
.name { color: var(--ink); }
.source { color: #24292f; background: var(--wash); padding: 0 0.25rem; border-radius: 3px; }
.connective { color: var(--muted); font-style: italic; }
.citation { color: var(--muted); font-size: 0.88em; white-space: nowrap; }
.body { font-size: 0.9rem; color: var(--ink); }
.body p { margin: 0.1rem 0; }
.quote {
  margin: 0.2rem 0 0.3rem; padding: 0.05rem 0.6rem; border-left: 3px solid #c9d1d9; color: #424a53;
  font-family: "Songti SC", "STSong", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", serif;
  overflow-wrap: anywhere;
}
.reading { color: var(--muted); font-style: italic; }
.caption { color: var(--muted); font-size: 0.85em; margin-right: 0.35rem; font-style: normal; }
.reads { display: flex; flex-wrap: wrap; align-items: baseline; margin: 0.15rem 0; }
.reads ul { display: contents; list-style: none; }
.read {
  margin: 0.1rem 0.35rem 0.1rem 0; padding: 0 0.4rem; border: 1px solid var(--rule); border-radius: 3px;
  background: var(--wash); overflow-wrap: anywhere;
}
.read .column { color: var(--muted); }
.read .value { font-weight: 600; }
.read.blank { border: 1px dashed var(--unknown); background: var(--unknown-wash); }
.read.blank .value { color: var(--unknown); }
.margin { color: var(--muted); }
.counterfactual { color: var(--accent); }
.detail { color: #32383f; }
.settle { list-style: none; margin: 0.2rem 0; padding: 0.3rem 0.6rem; background: var(--unknown-wash); border-radius: 4px; }
.settle .column { font-weight: 600; }
.case { color: var(--tone, var(--ink)); }
.separator { color: var(--faint); }
.tree { list-style: none; margin: 0.25rem 0 0 0.6rem; padding: 0 0 0 0.9rem; border-left: 1px solid var(--rule); }
.node { padding: 0.2rem 0 0; }
.node > .line .head { line-height: 1.5; }
.node .label { font-weight: 600; }
.computed > details > summary { margin-bottom: 0.1rem; }

@media screen {
  .scroll { overflow-x: auto; }
  .scroll > table { min-width: 40rem; }
  .item > summary:hover .label, .computed > details > summary:hover .connective { text-decoration: underline; }
}
@media print {
  html { font-size: 9pt; }
  body { line-height: 1.45; }
  main { max-width: none; padding: 0; }
  .screen-only, .item > summary::after, .computed > details > summary::after { display: none !important; }
  a { color: inherit; }
  /* Folded on screen or not, every tree prints in full. */
  details::details-content { content-visibility: visible; display: contents; }
  .record { margin-top: 0; }
  body.report .record, .record + .record { break-before: page; }
  h1, h2, .record-head, summary, .part > h2, thead { break-after: avoid; }
  .line, .body, .quote, .read, tr, .glance li, .settle li { break-inside: avoid; }
  .item { border-radius: 0; }
}
"#;
