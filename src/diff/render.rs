//! Diffs for people: an aligned text for the terminal, and a self-contained HTML page with the
//! old and new meaning side by side. (The JSON form is the data itself.)

use super::impact::Impact;
use super::{Action, Change, Location};
use crate::explain::escape;
use crate::output::money_text;
use rust_decimal::Decimal;
use std::str::FromStr;

fn mark(action: Action) -> &'static str {
    match action {
        Action::Added => "+",
        Action::Removed => "-",
        Action::Changed => "~",
    }
}

fn location_text(change: &Change) -> String {
    let show = |location: Option<Location>| location.map(|location| format!("{}:{}", location.line, location.column));
    match (show(change.old_location), show(change.new_location)) {
        (Some(old), Some(new)) => format!("old {old}, new {new}"),
        (Some(old), None) => format!("old {old}"),
        (None, Some(new)) => format!("new {new}"),
        (None, None) => String::new(),
    }
}

fn title(change: &Change) -> String {
    let mut title = format!("{} {} {}", mark(change.action), change.kind, change.name);
    if let Some(label) = &change.label {
        title.push_str(&format!(" {label}"));
    }
    if let Some(citation) = &change.citation {
        title.push_str(&format!(" [{citation}]"));
    }
    title
}

fn amount(yuan: &str) -> String {
    Decimal::from_str(yuan).map(money_text).unwrap_or_else(|_| yuan.to_string())
}

fn signed_amount(yuan: &str) -> String {
    match Decimal::from_str(yuan) {
        Ok(value) if value > Decimal::ZERO => format!("+{}", money_text(value)),
        Ok(value) => money_text(value),
        Err(_) => yuan.to_string(),
    }
}

/// The changes, then the impact on the data when there is one.
pub fn render_text(old_path: &str, new_path: &str, changes: &[Change], impact: Option<&Impact>) -> String {
    let mut out = format!("policy diff {old_path} → {new_path}\n");
    out.push_str(&match changes.len() {
        0 => "no change in meaning\n".to_string(),
        1 => "1 change in meaning\n".to_string(),
        count => format!("{count} changes in meaning\n"),
    });
    for change in changes {
        out.push_str(&format!("\n{}  ({}; {})\n", title(change), change.aspect, location_text(change)));
        for (word, text) in [("old", &change.old), ("new", &change.new)] {
            let Some(text) = text else { continue };
            for (index, line) in text.lines().enumerate() {
                let lead = if index == 0 { word } else { "   " };
                out.push_str(&format!("    {lead}  {line}\n"));
            }
        }
        for detail in &change.details {
            out.push_str(&format!("         {detail}\n"));
        }
    }
    if let Some(impact) = impact {
        out.push_str(&impact_text(impact));
    }
    out
}

fn impact_text(impact: &Impact) -> String {
    let mut out = format!(
        "\nimpact on {} rows ({}, as of {}): {} affected, {} could not be decided\n",
        impact.rows, impact.entity, impact.as_of, impact.affected, impact.rejected
    );
    for (word, counts) in [("decision", &impact.decisions), ("benefit", &impact.benefits)] {
        for count in counts {
            let moves: Vec<String> =
                count.moves.iter().map(|(transition, number)| format!("{number} {transition}")).collect();
            let moves = if moves.is_empty() { "no change".to_string() } else { moves.join(", ") };
            out.push_str(&format!("  {word} {}: {moves}; {} unchanged\n", count.name, count.unchanged));
        }
    }
    for award in &impact.awards {
        if award.gaining + award.losing + award.changing == 0 && award.amount_old == award.amount_new {
            continue;
        }
        out.push_str(&format!(
            "  award {}: {} gaining, {} losing, {} changing amount; {} → {}\n",
            award.name,
            award.gaining,
            award.losing,
            award.changing,
            amount(&award.amount_old),
            amount(&award.amount_new)
        ));
    }
    out.push_str(&format!(
        "  total paid: {} → {} ({})\n",
        amount(&impact.total_old),
        amount(&impact.total_new),
        signed_amount(&impact.total_difference)
    ));
    if !impact.records.is_empty() {
        out.push_str("\naffected records\n");
        for record in &impact.records {
            out.push_str(&format!(
                "  row {} {}: {}\n",
                record.row,
                record.key.as_deref().unwrap_or(""),
                record.moves.join("; ")
            ));
            if !record.causes.is_empty() {
                out.push_str(&format!("      moved by {}\n", record.causes.join(", ")));
            }
        }
    }
    if !impact.witnesses.is_empty() {
        out.push_str("\nchanges that move no record of the data\n");
        for witness in &impact.witnesses {
            if witness.found {
                let cells: Vec<String> =
                    witness.cells.iter().map(|(column, value)| format!("{column} = {value}")).collect();
                out.push_str(&format!(
                    "  {}: row {} {} with {} would move: {}\n",
                    witness.change,
                    witness.base_row.unwrap_or_default(),
                    witness.base_key.as_deref().unwrap_or(""),
                    cells.join(", "),
                    witness.moves.join("; ")
                ));
            } else {
                out.push_str(&format!(
                    "  {}: no record found that the two versions decide differently\n",
                    witness.change
                ));
            }
        }
    }
    out
}

/// One self-contained page: the changes side by side, then the impact.
pub fn render_html(old_path: &str, new_path: &str, changes: &[Change], impact: Option<&Impact>) -> String {
    let mut page = String::from("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str(&format!("<title>policy diff {} → {}</title>\n", escape(old_path), escape(new_path)));
    page.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    page.push_str(&format!(
        "<h1>policy diff</h1>\n<p class=\"files\"><span class=\"old\">{}</span> → <span class=\"new\">{}</span></p>\n",
        escape(old_path),
        escape(new_path)
    ));
    page.push_str(&format!("<p class=\"count\" data-changes=\"{}\">{}</p>\n", changes.len(), changes.len()));
    page.push_str("<table class=\"changes\">\n<thead><tr><th></th><th>declaration</th><th>what</th><th>old</th><th>new</th></tr></thead>\n<tbody>\n");
    for change in changes {
        let show = |text: &Option<String>, location: Option<Location>| {
            let place =
                location.map(|location| format!("<span class=\"at\">{}:{}</span> ", location.line, location.column));
            let lines: Vec<String> = text.as_deref().unwrap_or("").lines().map(escape).collect();
            format!("{}{}", place.unwrap_or_default(), lines.join("<br>"))
        };
        let mut new_cell = show(&change.new, change.new_location);
        for detail in &change.details {
            new_cell.push_str(&format!("<div class=\"detail\">{}</div>", escape(detail)));
        }
        page.push_str(&format!(
            "<tr class=\"{}\" data-kind=\"{}\" data-name=\"{}\"><td class=\"mark\">{}</td><td>{}</td><td>{}</td><td class=\"old\">{}</td><td class=\"new\">{}</td></tr>\n",
            serde_json::to_value(change.action).ok().and_then(|value| value.as_str().map(str::to_string)).unwrap_or_default(),
            escape(&change.kind),
            escape(&change.name),
            mark(change.action),
            escape(&title(change).chars().skip(2).collect::<String>()),
            escape(&change.aspect),
            show(&change.old, change.old_location),
            new_cell
        ));
    }
    page.push_str("</tbody>\n</table>\n");
    if let Some(impact) = impact {
        page.push_str(&format!("<h2>Impact</h2>\n<pre>{}</pre>\n", escape(impact_text(impact).trim_start())));
    }
    page.push_str("</body>\n</html>\n");
    page
}

const STYLE: &str = r#"
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2rem auto; max-width: 72rem; color: #1f2328; }
h1 { margin-bottom: 0.2rem; } .files { color: #57606a; } .count::after { content: " change(s) in meaning"; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #d0d7de; padding: 0.4rem; vertical-align: top; text-align: left; overflow-wrap: anywhere; }
td.old { background: #ffebe9; } td.new { background: #e6ffec; } tr.added td.old, tr.removed td.new { background: none; }
.mark { font-weight: bold; width: 1.5rem; } .at { color: #57606a; font-size: 0.8em; } .detail { font-family: monospace; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: 1rem; }
@page { size: A4; margin: 15mm; } @media print { body { margin: 0; max-width: none; } * { print-color-adjust: exact; -webkit-print-color-adjust: exact; } }
"#;
