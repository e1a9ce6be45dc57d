//! Diffs for people: an aligned text for the terminal, and a self-contained HTML page with the
//! old and new meaning side by side. (The JSON form is the data itself.)
//!
//! The page is what a reviewer attaches to a draft: inline CSS only, no script and no external
//! asset (the only links are to the page's own change rows), system fonts with CJK faces first,
//! and it prints on A4 with its colours. Markup other tools and tests may rely on (amounts in 元
//! as decimal strings, as in the JSON):
//! - `[data-changes][data-added][data-removed][data-changed]`: how many changes, one element;
//! - each change: `table.changes tr[id=change-N][data-kind][data-name][data-action][data-aspect]`,
//!   its old and new cells `td.side.old`, `td.side.new` with the place `.at[data-location]`
//!   (`line:column`) and the list elements removed or added as `li.removed`, `li.added`;
//! - the impact's facts: `[data-rows][data-affected][data-rejected][data-entity][data-as-of]`;
//! - `tr[data-decision=NAME]` and `tr[data-benefit=NAME]`, with `[data-moved][data-unchanged]`,
//!   each move `li[data-transition="yes → no"][data-count]`;
//! - `tr[data-award=NAME][data-gaining][data-losing][data-changing][data-amount-old][data-amount-new]`,
//!   the awards that moved first, and the one `tr[data-total-old][data-total-new][data-total-difference]`;
//! - each affected record `tr[data-row][data-key]`, its moves `li[data-move]` (the JSON's strings)
//!   and what moved it `li[data-cause]`;
//! - each witness `tr[data-witness=CHANGE][data-found]`, when found with
//!   `[data-base-row][data-base-key]`, its cells `li[data-column][data-value]` and `li[data-move]`.

use super::impact::{AwardImpact, Impact};
use super::{Action, Change, Location};
use crate::explain::{escape, PAGE_BASE};
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

/// One self-contained page a reviewer attaches to a draft: the changes with the old and new
/// meaning side by side, then, with data, what the new version does to its records.
pub fn render_html(old_path: &str, new_path: &str, changes: &[Change], impact: Option<&Impact>) -> String {
    let mut page = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str("<meta name=\"generator\" content=\"policy diff\">\n");
    page.push_str(&format!(
        "<title>policy diff {} → {}</title>\n<style>{PAGE_BASE}{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(old_path),
        escape(new_path)
    ));
    page.push_str(&head_html(old_path, new_path, changes));
    page.push_str(&changes_html(changes));
    match impact {
        Some(impact) => page.push_str(&impact_html(impact, changes)),
        None => page.push_str(
            "<p class=\"note\">No data was given: with <code>--data FILE</code> this page also shows what the new \
             version does to each record.</p>\n",
        ),
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Added => "added",
        Action::Removed => "removed",
        Action::Changed => "changed",
    }
}

/// The sign drawn in the mark; a real minus reads better than a hyphen at that size.
fn action_sign(action: Action) -> &'static str {
    match action {
        Action::Added => "+",
        Action::Removed => "−",
        Action::Changed => "~",
    }
}

/// The fragment a change row has, so the impact can point back at the change that moved a record.
fn change_anchor(index: usize) -> String {
    format!("change-{}", index + 1)
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

fn head_html(old_path: &str, new_path: &str, changes: &[Change]) -> String {
    let count = |action: Action| changes.iter().filter(|change| change.action == action).count();
    let (added, removed, changed) = (count(Action::Added), count(Action::Removed), count(Action::Changed));
    let headline = match changes.len() {
        0 => "No change in meaning".to_string(),
        total => plural(total, "change in meaning", "changes in meaning"),
    };
    let breakdown: Vec<String> = [(changed, "changed"), (added, "added"), (removed, "removed")]
        .iter()
        .filter(|(number, _)| *number > 0)
        .map(|(number, word)| format!("<span class=\"{word}\">{number} {word}</span>"))
        .collect();
    let mut head = String::from("<header class=\"page-head\">\n<p class=\"eyebrow\">policy diff</p>\n");
    head.push_str(&format!(
        "<h1 class=\"count\" data-changes=\"{}\" data-added=\"{added}\" data-removed=\"{removed}\" \
         data-changed=\"{changed}\">{headline}</h1>\n",
        changes.len()
    ));
    if !breakdown.is_empty() {
        head.push_str(&format!("<p class=\"breakdown\">{}</p>\n", breakdown.join(" · ")));
    }
    head.push_str(&format!(
        "<dl class=\"files\">\n<div class=\"old\"><dt>old</dt><dd><code>{}</code></dd></div>\n\
         <div class=\"new\"><dt>new</dt><dd><code>{}</code></dd></div>\n</dl>\n</header>\n",
        escape(old_path),
        escape(new_path)
    ));
    head
}

fn changes_html(changes: &[Change]) -> String {
    let mut part = String::from("<section class=\"part\" id=\"changes\">\n<h2>Changes</h2>\n");
    if changes.is_empty() {
        part.push_str(
            "<p class=\"none\">The two versions mean the same: layout, comments and order aside, nothing \
             changed.</p>\n</section>\n",
        );
        return part;
    }
    part.push_str(
        "<table class=\"changes\">\n<colgroup><col class=\"mark-column\"><col class=\"declaration-column\">\
         <col class=\"what-column\"><col class=\"side-column\"><col class=\"side-column\"></colgroup>\n\
         <thead><tr><th scope=\"col\"><span class=\"hidden\">action</span></th><th scope=\"col\">declaration</th>\
         <th scope=\"col\">what</th><th scope=\"col\">old</th><th scope=\"col\">new</th></tr></thead>\n<tbody>\n",
    );
    for (index, change) in changes.iter().enumerate() {
        part.push_str(&change_row(index, change));
    }
    part.push_str("</tbody>\n</table>\n</section>\n");
    part
}

fn change_row(index: usize, change: &Change) -> String {
    let action = action_word(change.action);
    let mut declaration = format!(
        "<span class=\"kind\">{}</span> <code class=\"name\">{}</code>",
        escape(&change.kind),
        escape(&change.name)
    );
    if let Some(label) = &change.label {
        declaration.push_str(&format!("<span class=\"label\">{}</span>", escape(label)));
    }
    if let Some(citation) = &change.citation {
        declaration.push_str(&format!("<span class=\"citation\">[{}]</span>", escape(citation)));
    }
    // A removed list element belongs to the old side and an added one to the new, so each side
    // reads on its own like the version it shows.
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for detail in &change.details {
        match (detail.strip_prefix("- "), detail.strip_prefix("+ ")) {
            (Some(element), _) => removed.push(("removed", "−", element)),
            (None, Some(element)) => added.push(("added", "+", element)),
            (None, None) => added.push(("detail", "", detail.as_str())),
        }
    }
    format!(
        "<tr id=\"{}\" class=\"{action}\" data-kind=\"{}\" data-name=\"{}\" data-action=\"{action}\" \
         data-aspect=\"{}\">\n<td class=\"mark-cell\"><span class=\"mark\" title=\"{action}\">{}</span></td>\n\
         <td class=\"declaration\">{declaration}</td>\n\
         <td class=\"what\">{}<span class=\"action\">{action}</span></td>\n\
         {}\n{}\n</tr>\n",
        change_anchor(index),
        escape(&change.kind),
        escape(&change.name),
        escape(&change.aspect),
        action_sign(change.action),
        escape(&change.aspect),
        side_html("old", change.old.as_deref(), change.old_location, &removed),
        side_html("new", change.new.as_deref(), change.new_location, &added),
    )
}

/// One side of a change: where it is, its text line by line (a declaration's continuation lines
/// indented, as in the file), and the list elements only this side has.
fn side_html(side: &str, text: Option<&str>, location: Option<Location>, details: &[(&str, &str, &str)]) -> String {
    if text.is_none() && location.is_none() && details.is_empty() {
        return format!("<td class=\"side {side} empty\"><span class=\"absent\">not in this version</span></td>");
    }
    let mut cell = format!("<td class=\"side {side}\">");
    if let Some(location) = location {
        let place = format!("{}:{}", location.line, location.column);
        cell.push_str(&format!("<span class=\"at\" data-location=\"{place}\">{place}</span>"));
    }
    if let Some(text) = text {
        cell.push_str("<div class=\"source\">");
        for line in text.lines() {
            cell.push_str(&format!("<div class=\"line\">{}</div>", escape(line)));
        }
        cell.push_str("</div>");
    }
    if !details.is_empty() {
        cell.push_str("<ul class=\"details\">");
        for (class, sign, element) in details {
            cell.push_str(&format!("<li class=\"{class}\"><span class=\"sign\">{sign}</span>{}</li>", escape(element)));
        }
        cell.push_str("</ul>");
    }
    cell.push_str("</td>");
    cell
}

/// A cell for an amount in 元 given as a decimal string; a difference is signed and coloured by
/// its direction, so a cut stands out.
fn money_cell(yuan: &str, signed: bool) -> String {
    let shown = if signed { signed_amount(yuan) } else { amount(yuan) };
    let tone = match Decimal::from_str(yuan) {
        Ok(value) if signed && value > Decimal::ZERO => " up",
        Ok(value) if signed && value < Decimal::ZERO => " down",
        _ => "",
    };
    format!("<td class=\"money{tone}\">{}</td>", escape(&shown))
}

fn impact_html(impact: &Impact, changes: &[Change]) -> String {
    let mut part = String::from("<section class=\"part impact\" id=\"impact\">\n<h2>Impact on the data</h2>\n");
    let alert = |count: usize| if count > 0 { " class=\"alert\"" } else { "" };
    part.push_str(&format!(
        "<dl class=\"facts\" data-rows=\"{rows}\" data-affected=\"{affected}\" data-rejected=\"{rejected}\" \
         data-entity=\"{entity}\" data-as-of=\"{as_of}\">\n\
         <div><dt>rows</dt><dd>{rows}</dd></div>\n\
         <div><dt>affected</dt><dd{affected_alert}>{affected}</dd></div>\n\
         <div><dt>could not be decided</dt><dd{rejected_alert}>{rejected}</dd></div>\n\
         <div><dt>entity</dt><dd><code>{entity}</code></dd></div>\n\
         <div><dt>as of</dt><dd>{as_of}</dd></div>\n\
         <div><dt>total paid</dt><dd>{total_old} → {total_new} \
         <span class=\"difference\">({difference})</span></dd></div>\n\
         </dl>\n",
        rows = impact.rows,
        affected = impact.affected,
        rejected = impact.rejected,
        entity = escape(&impact.entity),
        as_of = escape(&impact.as_of),
        affected_alert = alert(impact.affected),
        rejected_alert = alert(impact.rejected),
        total_old = escape(&amount(&impact.total_old)),
        total_new = escape(&amount(&impact.total_new)),
        difference = escape(&signed_amount(&impact.total_difference)),
    ));
    part.push_str(&outcomes_html(impact));
    part.push_str(&awards_html(impact));
    part.push_str(&records_html(impact, changes));
    part.push_str(&witnesses_html(impact, changes));
    part.push_str("</section>\n");
    part
}

fn outcome_tone(word: &str) -> &'static str {
    match word {
        "yes" => "pass",
        "no" => "fail",
        "unknown" => "unknown",
        "absent" | "not paid" => "known",
        _ => "amount",
    }
}

fn outcome_html(word: &str) -> String {
    format!("<span class=\"outcome {}\">{}</span>", outcome_tone(word), escape(word))
}

/// `yes → no` with each side in its colour; text that is not a transition stays as it is.
fn transition_html(transition: &str) -> String {
    match transition.split_once(" → ") {
        Some((before, after)) => {
            format!(
                "<span class=\"transition\">{} <span class=\"arrow\">→</span> {}</span>",
                outcome_html(before),
                outcome_html(after)
            )
        }
        None => escape(transition),
    }
}

/// `cultivation_pool: yes → no`: what moved, then how.
fn move_html(text: &str) -> String {
    match text.split_once(": ") {
        Some((subject, transition)) => {
            format!("<code class=\"name\">{}</code>: {}", escape(subject), transition_html(transition))
        }
        None => escape(text),
    }
}

/// A changed declaration named as the impact names it (`parameter revenue_floor`), linked to its
/// row in the changes table when it is there.
fn change_reference(name: &str, changes: &[Change]) -> String {
    let found = changes.iter().enumerate().find(|(_, change)| format!("{} {}", change.kind, change.name) == name);
    match found {
        Some((index, change)) => format!(
            "<a href=\"#{}\"><span class=\"kind\">{}</span> <code class=\"name\">{}</code></a>",
            change_anchor(index),
            escape(&change.kind),
            escape(&change.name)
        ),
        None => format!("<code class=\"name\">{}</code>", escape(name)),
    }
}

/// The first cell of an item's row: its label, then its id. The kind is only shown where a table
/// holds more than one kind.
fn item_heading(kind: Option<&str>, name: &str, label: Option<&str>) -> String {
    let label = label.map(|label| format!("<span class=\"label\">{}</span>", escape(label))).unwrap_or_default();
    let kind = kind.map(|kind| format!("<span class=\"kind\">{kind}</span> ")).unwrap_or_default();
    format!(
        "<th scope=\"row\">{label}<span class=\"identifier\">{kind}<code class=\"name\">{}</code></span></th>",
        escape(name)
    )
}

fn outcomes_html(impact: &Impact) -> String {
    if impact.decisions.is_empty() && impact.benefits.is_empty() {
        return String::new();
    }
    let mut part = String::from(
        "<h3>Decisions and benefits</h3>\n<table class=\"outcomes\">\n<colgroup><col class=\"item-column\">\
         <col><col class=\"count-column\"></colgroup>\n<thead><tr><th scope=\"col\">decision or benefit</th>\
         <th scope=\"col\">moves</th><th scope=\"col\" class=\"number\">unchanged</th></tr></thead>\n<tbody>\n",
    );
    for (kind, counts) in [("decision", &impact.decisions), ("benefit", &impact.benefits)] {
        for count in counts {
            let moved: usize = count.moves.values().sum();
            let moves = if count.moves.is_empty() {
                "<span class=\"none\">no change</span>".to_string()
            } else {
                let items: Vec<String> = count
                    .moves
                    .iter()
                    .map(|(transition, number)| {
                        format!(
                            "<li data-transition=\"{}\" data-count=\"{number}\">\
                             <span class=\"tally\">{number}</span> {}</li>",
                            escape(transition),
                            transition_html(transition)
                        )
                    })
                    .collect();
                format!("<ul class=\"compact\">{}</ul>", items.join(""))
            };
            part.push_str(&format!(
                "<tr class=\"{}\" data-{kind}=\"{}\" data-moved=\"{moved}\" data-unchanged=\"{}\">\
                 {}<td class=\"moves\">{moves}</td>\
                 <td class=\"number\">{}</td></tr>\n",
                if moved == 0 { "still" } else { "moved" },
                escape(&count.name),
                count.unchanged,
                item_heading(Some(kind), &count.name, count.label.as_deref()),
                count.unchanged
            ));
        }
    }
    part.push_str("</tbody>\n</table>\n");
    part
}

fn awards_html(impact: &Impact) -> String {
    let mut part = String::from(
        "<h3>Awards</h3>\n<table class=\"awards\">\n<colgroup><col class=\"item-column\"><col class=\"count-column\">\
         <col class=\"count-column\"><col class=\"count-column\"><col><col><col></colgroup>\n<thead><tr>\
         <th scope=\"col\">award</th><th scope=\"col\" class=\"number\">gaining</th>\
         <th scope=\"col\" class=\"number\">losing</th><th scope=\"col\" class=\"number\">changing</th>\
         <th scope=\"col\" class=\"number\">paid, old</th><th scope=\"col\" class=\"number\">paid, new</th>\
         <th scope=\"col\" class=\"number\">difference</th></tr></thead>\n<tbody>\n",
    );
    let is_still = |award: &AwardImpact| {
        [award.gaining, award.losing, award.changing] == [0, 0, 0] && award.amount_old == award.amount_new
    };
    // The awards that moved come first: in a policy of twenty awards, the two a draft touches
    // must not hide among eighteen rows of zeros. Each group keeps the policy's order.
    let (moved, still): (Vec<&AwardImpact>, Vec<&AwardImpact>) =
        impact.awards.iter().partition(|award| !is_still(award));
    for award in moved.into_iter().chain(still) {
        let still = is_still(award);
        let difference = match (Decimal::from_str(&award.amount_old), Decimal::from_str(&award.amount_new)) {
            (Ok(old), Ok(new)) => new.checked_sub(old).map(|difference| difference.normalize().to_string()),
            _ => None,
        };
        let number = |count: usize| {
            let class = if count == 0 { "number zero" } else { "number" };
            format!("<td class=\"{class}\">{count}</td>")
        };
        part.push_str(&format!(
            "<tr class=\"{}\" data-award=\"{}\" data-gaining=\"{}\" data-losing=\"{}\" data-changing=\"{}\" \
             data-amount-old=\"{}\" data-amount-new=\"{}\">{}{}{}{}{}{}{}</tr>\n",
            if still { "still" } else { "moved" },
            escape(&award.name),
            award.gaining,
            award.losing,
            award.changing,
            escape(&award.amount_old),
            escape(&award.amount_new),
            item_heading(None, &award.name, award.label.as_deref()),
            number(award.gaining),
            number(award.losing),
            number(award.changing),
            money_cell(&award.amount_old, false),
            money_cell(&award.amount_new, false),
            difference.map(|difference| money_cell(&difference, true)).unwrap_or_else(|| "<td></td>".to_string()),
        ));
    }
    part.push_str("</tbody>\n");
    part.push_str(&format!(
        "<tfoot><tr class=\"total\" data-total-old=\"{}\" data-total-new=\"{}\" data-total-difference=\"{}\">\
         <th scope=\"row\" colspan=\"4\">total paid</th>{}{}{}</tr></tfoot>\n</table>\n",
        escape(&impact.total_old),
        escape(&impact.total_new),
        escape(&impact.total_difference),
        money_cell(&impact.total_old, false),
        money_cell(&impact.total_new, false),
        money_cell(&impact.total_difference, true),
    ));
    part
}

fn records_html(impact: &Impact, changes: &[Change]) -> String {
    let mut part = format!("<h3>Affected records <span class=\"tally\">{}</span></h3>\n", impact.affected);
    if impact.records.is_empty() {
        part.push_str("<p class=\"none\">No record of the data is decided differently by the two versions.</p>\n");
        return part;
    }
    if impact.records.len() < impact.affected {
        part.push_str(&format!(
            "<p class=\"note\">The first {} of {} affected records are listed.</p>\n",
            impact.records.len(),
            impact.affected
        ));
    }
    part.push_str(
        "<table class=\"records\">\n<colgroup><col class=\"row-column\"><col class=\"key-column\"><col>\
         <col class=\"cause-column\"></colgroup>\n<thead><tr><th scope=\"col\" class=\"number\">row</th>\
         <th scope=\"col\">key</th><th scope=\"col\">moves</th><th scope=\"col\">moved by</th></tr></thead>\n<tbody>\n",
    );
    for record in &impact.records {
        let key = record.key.as_deref().unwrap_or("");
        let moves: Vec<String> = record
            .moves
            .iter()
            .map(|text| format!("<li data-move=\"{}\">{}</li>", escape(text), move_html(text)))
            .collect();
        let causes: Vec<String> = record
            .causes
            .iter()
            .map(|cause| format!("<li data-cause=\"{}\">{}</li>", escape(cause), change_reference(cause, changes)))
            .collect();
        part.push_str(&format!(
            "<tr data-row=\"{}\" data-key=\"{}\"><td class=\"number\">{}</td><td class=\"key\"><code>{}</code></td>\
             <td><ul class=\"compact\">{}</ul></td><td><ul class=\"compact\">{}</ul></td></tr>\n",
            record.row,
            escape(key),
            record.row,
            escape(key),
            moves.join(""),
            causes.join("")
        ));
    }
    part.push_str("</tbody>\n</table>\n");
    part
}

fn witnesses_html(impact: &Impact, changes: &[Change]) -> String {
    if impact.witnesses.is_empty() {
        return String::new();
    }
    let mut part = String::from(
        "<h3>Changes that move no record of the data</h3>\n<p class=\"intro\">For each, a record of the data with \
         a cell or two set where the change bites, that the two versions decide differently because of that \
         change alone.</p>\n<table class=\"witnesses\">\n<colgroup><col class=\"change-column\">\
         <col class=\"base-column\"><col><col class=\"move-column\"></colgroup>\n<thead><tr>\
         <th scope=\"col\">change</th><th scope=\"col\">made from</th><th scope=\"col\">with the cells</th>\
         <th scope=\"col\">would move</th></tr></thead>\n<tbody>\n",
    );
    for witness in &impact.witnesses {
        let reference = change_reference(&witness.change, changes);
        if !witness.found {
            part.push_str(&format!(
                "<tr class=\"not-found\" data-witness=\"{}\" data-found=\"false\"><td>{reference}</td>\
                 <td colspan=\"3\" class=\"none\">no record found that the two versions decide differently</td></tr>\n",
                escape(&witness.change)
            ));
            continue;
        }
        let row = witness.base_row.map(|row| row.to_string()).unwrap_or_default();
        let key = witness.base_key.as_deref().unwrap_or("");
        let cells: Vec<String> = witness
            .cells
            .iter()
            .map(|(column, value)| {
                format!(
                    "<li data-column=\"{}\" data-value=\"{}\"><span class=\"column\">{}</span> = \
                     <span class=\"value\">{}</span></li>",
                    escape(column),
                    escape(value),
                    escape(column),
                    escape(value)
                )
            })
            .collect();
        let moves: Vec<String> = witness
            .moves
            .iter()
            .map(|text| format!("<li data-move=\"{}\">{}</li>", escape(text), move_html(text)))
            .collect();
        part.push_str(&format!(
            "<tr data-witness=\"{}\" data-found=\"true\" data-base-row=\"{row}\" data-base-key=\"{}\">\
             <td>{reference}</td>\
             <td>row {row}<br><code class=\"key\">{}</code></td><td><ul class=\"compact cells\">{}</ul></td>\
             <td><ul class=\"compact\">{}</ul></td></tr>\n",
            escape(&witness.change),
            escape(key),
            escape(key),
            cells.join(""),
            moves.join("")
        ));
    }
    part.push_str("</tbody>\n</table>\n");
    part
}

/// The page's only style. System fonts only, CJK ones before the generic families so Chinese
/// text never falls back to a Japanese face; fixed column widths, so a narrow column never
/// squeezes a word letter by letter and a long one wraps inside its cell on A4; colours kept in
/// print, where the red and green still tell old from new.
const STYLE: &str = r#"
/* After the shared base (explain::PAGE_BASE): the colours of old and new. */
:root {
  --old: #c62828; --old-wash: #fff1f0; --old-strong: #ffd7d5;
  --new: #1a7f37; --new-wash: #eefbf1; --new-strong: #c8f0d2;
  --changed: #9a6700;
}
body {
  margin: 0; background: var(--paper); color: var(--ink);
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
  overflow-wrap: break-word;
}
main { max-width: 66rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
code, .source {
  font-family: ui-monospace, "SF Mono", "Cascadia Mono", Menlo, Consolas, "Noto Sans Mono CJK SC",
    "Sarasa Mono SC", monospace;
  font-size: 0.88em;
}
h1, h2, h3 { line-height: 1.3; margin: 0; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; margin-bottom: 0.6rem; padding-bottom: 0.25rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.02rem; margin: 1.4rem 0 0.5rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.eyebrow { margin: 0 0 0.25rem; color: var(--muted); font-size: 0.85rem; letter-spacing: 0.04em; }
.none, .note, .intro { color: var(--muted); }
.note, .intro { font-size: 0.9rem; margin: 0 0 0.6rem; }
.tally { font-variant-numeric: tabular-nums; }
h3 .tally {
  display: inline-block; min-width: 1.5rem; padding: 0 0.4rem; border-radius: 0.75rem; background: var(--wash);
  color: var(--muted); font-size: 0.85rem; text-align: center; vertical-align: 0.1em;
}

/* The head of the page */
.page-head { padding-bottom: 1rem; border-bottom: 2px solid var(--ink); margin-bottom: 1.5rem; }
.breakdown { margin: 0.2rem 0 0; color: var(--muted); }
.breakdown .changed { color: var(--changed); }
.breakdown .added { color: var(--new); }
.breakdown .removed { color: var(--old); }
.files { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 0.75rem; margin: 0.8rem 0 0; }
.files div { display: contents; }
.files dt { color: var(--muted); font-size: 0.85rem; }
.files dd { margin: 0; overflow-wrap: anywhere; }
.files .old code { color: var(--old); } .files .new code { color: var(--new); }
.part { margin: 0 0 2rem; }

/* Tables: every width is set, so no column is squeezed to nothing and none pushes past the page. */
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 0 0 1rem; font-size: 0.92rem; }
th, td { padding: 0.4rem 0.55rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th {
  background: var(--wash); color: var(--muted); font-weight: 600; font-size: 0.85rem; border-bottom: 1px solid #afb8c1;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
tbody th { font-weight: normal; }
tfoot th, tfoot td { font-weight: 700; border-top: 1.5px solid var(--ink); border-bottom: none; }
.number, .money { text-align: right; font-variant-numeric: tabular-nums; }
.money { white-space: nowrap; }
.money.up { color: var(--new); } .money.down { color: var(--old); }
.zero { color: var(--faint); }
tr.still th, tr.still td { color: var(--faint); }
tr.still .label { color: var(--muted); }
.compact { list-style: none; margin: 0; padding: 0; }
.compact li + li { margin-top: 0.2rem; }
.kind {
  display: inline-block; padding: 0 0.35rem; border: 1px solid var(--rule); border-radius: 3px; color: var(--muted);
  font-size: 0.78em; line-height: 1.5; vertical-align: 0.08em; white-space: nowrap;
}
.name { overflow-wrap: anywhere; }
.label { display: block; font-weight: 600; }
.identifier { display: block; color: var(--muted); font-size: 0.85em; }
.citation { display: block; color: var(--muted); font-size: 0.85em; }
.pass { --tone: var(--pass); --tone-wash: var(--pass-wash); }
.fail { --tone: var(--fail); --tone-wash: var(--fail-wash); }
.unknown { --tone: var(--unknown); --tone-wash: var(--unknown-wash); }
.known { --tone: var(--known); --tone-wash: var(--known-wash); }
.amount { --tone: var(--ink); --tone-wash: var(--wash); }
.outcome {
  display: inline-block; padding: 0 0.45rem; border-radius: 0.6rem; color: var(--tone); background: var(--tone-wash);
  font-weight: 600; font-size: 0.88em; line-height: 1.5; white-space: nowrap;
}
.arrow { color: var(--faint); }
.transition { white-space: nowrap; }

/* The changes */
table.changes { font-size: 0.9rem; }
.changes .mark-column { width: 2.2rem; }
.changes .declaration-column { width: 25%; }
.changes .what-column { width: 7.5rem; }
.mark {
  display: inline-block; width: 1.3rem; height: 1.3rem; border-radius: 50%; color: #fff; font-weight: 700;
  font-size: 0.85rem; line-height: 1.3rem; text-align: center;
}
tr.added .mark { background: var(--new); }
tr.removed .mark { background: var(--old); }
tr.changed .mark { background: var(--changed); }
.declaration .name { font-weight: 600; }
.declaration .label { font-weight: normal; margin-top: 0.15rem; }
.what { color: var(--ink); }
.what .action { display: block; font-size: 0.8em; color: var(--muted); }
tr.added .what .action { color: var(--new); } tr.removed .what .action { color: var(--old); }
.side.old { background: var(--old-wash); box-shadow: inset 3px 0 0 var(--old-strong); }
.side.new { background: var(--new-wash); box-shadow: inset 3px 0 0 var(--new-strong); }
/* Hatched, so an empty side reads as "not in this version" and not as a blank value. */
.side.empty {
  background: repeating-linear-gradient(135deg, var(--paper) 0 6px, var(--wash) 6px 12px); box-shadow: none;
}
.absent { color: var(--faint); font-size: 0.85em; font-style: italic; }
.at { display: block; color: var(--muted); font-size: 0.75rem; font-variant-numeric: tabular-nums; }
.source { white-space: pre-wrap; overflow-wrap: break-word; line-height: 1.5; }
.source .line { padding-left: 1em; text-indent: -1em; }
.source .line + .line { padding-left: 2.5em; }
.details {
  list-style: none; margin: 0.35rem 0 0; padding: 0; line-height: 1.5;
  font-family: ui-monospace, "SF Mono", "Cascadia Mono", Menlo, Consolas, "Noto Sans Mono CJK SC",
    "Sarasa Mono SC", monospace;
  font-size: 0.88em;
}
.details li { margin: 0.1rem 0 0; padding: 0 0.35rem; border-radius: 3px; overflow-wrap: break-word; }
.details .sign { display: inline-block; width: 1em; font-weight: 700; }
.details .removed { background: var(--old-strong); color: #82071e; }
.details .added { background: var(--new-strong); color: #055d20; }
.details .detail { color: var(--muted); }

/* The impact */
.facts { display: flex; flex-wrap: wrap; gap: 0.5rem 1.6rem; margin: 0 0 0.5rem; }
.facts div { min-width: 4rem; }
.facts dt { color: var(--muted); font-size: 0.8rem; }
.facts dd { margin: 0; font-size: 1.05rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.facts dd code { font-size: 0.9em; }
.facts dd.alert { color: var(--fail); }
.facts .difference { color: var(--muted); font-weight: normal; }
.item-column { width: 40%; }
.count-column { width: 6.5rem; }
.awards .item-column { width: 38%; }
.awards .count-column { width: 5.6rem; }
tr.still th, tr.still td { padding-top: 0.25rem; padding-bottom: 0.25rem; }
tr.still .label { font-weight: normal; }
tr.still .identifier { line-height: 1.3; }
.outcomes li .tally {
  display: inline-block; min-width: 1.5rem; margin-right: 0.3rem; font-weight: 700; text-align: right;
}
.records .row-column { width: 3.5rem; }
.records .key-column { width: 22%; }
.records .cause-column { width: 27%; }
.key { overflow-wrap: anywhere; }
.witnesses .change-column { width: 21%; }
.witnesses .base-column { width: 18%; }
.witnesses .move-column { width: 29%; }
.cells .column { color: var(--muted); }
.cells .value { font-weight: 600; }
/* Dashed like a blank cell in an explanation: these cells are set by hand, not read from the data. */
.cells li {
  width: fit-content; max-width: 100%; padding: 0 0.4rem; border: 1px dashed var(--accent); border-radius: 3px;
  background: #eef5fc;
}
tr.not-found td { font-style: italic; }

@media print {
  html { font-size: 9pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; }
  h2, h3, thead, .intro { break-after: avoid; }
  tr, .facts, .page-head { break-inside: avoid; }
  /* A footer repeated at the foot of every page would read as a subtotal there. */
  tfoot { display: table-row-group; }
}
"#;
