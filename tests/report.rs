//! The HTML pages of `policy explain --format html`: a report's summary counts agree with
//! `policy eval` on the same file, every record has a section and a link to it, the page is
//! self-contained (no script, no external asset), a single record's page has no summary, and
//! labels and data values are escaped. The markup read here is documented in
//! `src/explain/html.rs`.

mod common;

use common::{policy, scratch};
use rust_decimal::Decimal;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::str::FromStr;

const RIZHAO: &str = "policies/rizhao-2022.policy";
const INNOVATIVE_SME: &str = "policies/innovative-sme.policy";

/// `policy explain POLICY DATA --all --format html -o FILE` as of 2024-06-30, parsed.
fn report(policy_file: &str, data: &str, name: &str) -> (String, Html) {
    let path = scratch(name);
    let (code, out, err) = policy(&[
        "explain",
        policy_file,
        data,
        "--all",
        "--format",
        "html",
        "-o",
        path.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "the page goes to the file: {out}");
    let page = std::fs::read_to_string(&path).unwrap();
    let document = Html::parse_document(&page);
    (page, document)
}

/// `policy eval POLICY DATA` as of 2024-06-30, one JSON object per record.
fn eval(policy_file: &str, data: &str) -> Vec<Json> {
    let (code, out, err) = policy(&["eval", policy_file, data, "--as-of", "2024-06-30", "--format", "jsonl"]);
    assert_eq!(code, 0, "{err}");
    out.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn select<'a>(document: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    document.select(&Selector::parse(selector).unwrap()).collect()
}

fn attribute<'a>(element: &ElementRef<'a>, name: &str) -> &'a str {
    element.value().attr(name).unwrap_or_else(|| panic!("no {name} on {}", element.html()))
}

fn count(element: &ElementRef, name: &str) -> usize {
    attribute(element, name).parse().unwrap()
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn text(element: &ElementRef) -> String {
    element.text().collect()
}

/// The counts a report must show, computed from `eval`'s lines.
#[derive(Default, Debug, PartialEq)]
struct Counts {
    /// Per decision: yes, no, unknown.
    decisions: BTreeMap<String, [usize; 3]>,
    /// Per award paid: records paid, amount.
    awards: BTreeMap<String, (usize, Decimal)>,
    benefits: BTreeMap<String, usize>,
    total: Decimal,
}

fn expected_counts(lines: &[Json]) -> Counts {
    let mut counts = Counts::default();
    for line in lines {
        for (name, outcome) in line["decisions"].as_object().unwrap() {
            let slot = ["yes", "no", "unknown"].iter().position(|word| outcome == word).unwrap();
            counts.decisions.entry(name.clone()).or_default()[slot] += 1;
        }
        for award in line["awards"].as_array().unwrap() {
            let entry = counts.awards.entry(award["award"].as_str().unwrap().to_string()).or_default();
            entry.0 += 1;
            entry.1 += decimal(award["amount"].as_str().unwrap());
        }
        for benefit in line["benefits"].as_array().unwrap() {
            *counts.benefits.entry(benefit.as_str().unwrap().to_string()).or_default() += 1;
        }
        counts.total += decimal(line["total"].as_str().unwrap());
    }
    counts
}

/// The counts the report shows; awards and benefits given to no record are left out, as
/// `eval` does not name them.
fn shown_counts(document: &Html) -> Counts {
    let mut counts = Counts::default();
    for row in select(document, "table.summary.decisions tr[data-decision]") {
        let numbers = [count(&row, "data-yes"), count(&row, "data-no"), count(&row, "data-unknown")];
        for (class, number) in ["yes", "no", "unknown"].iter().zip(numbers) {
            let cell = row.select(&Selector::parse(&format!("td.{class}")).unwrap()).next().unwrap();
            assert_eq!(text(&cell), number.to_string(), "the cell shows the count of its attribute");
        }
        counts.decisions.insert(attribute(&row, "data-decision").to_string(), numbers);
    }
    for row in select(document, "table.summary.awards tr[data-award]") {
        let (paid, amount) = (count(&row, "data-paid"), decimal(attribute(&row, "data-amount")));
        if paid > 0 {
            counts.awards.insert(attribute(&row, "data-award").to_string(), (paid, amount));
        } else {
            assert_eq!(amount, Decimal::ZERO);
        }
    }
    for row in select(document, "table.summary.benefits tr[data-benefit]") {
        if count(&row, "data-granted") > 0 {
            counts.benefits.insert(attribute(&row, "data-benefit").to_string(), count(&row, "data-granted"));
        }
    }
    let totals = select(document, "[data-total]");
    assert_eq!(totals.len(), 1, "one total in the page");
    counts.total = decimal(attribute(&totals[0], "data-total"));
    counts
}

/// No script, no stylesheet or image from elsewhere, no web font: the page is one file.
fn assert_self_contained(page: &str, document: &Html) {
    assert!(!page.to_lowercase().contains("<script"), "no script at all");
    assert!(select(document, "script, link, iframe, object, embed, img").is_empty());
    assert!(select(document, "[src]").is_empty(), "no external source");
    for element in select(document, "[href]") {
        assert!(attribute(&element, "href").starts_with('#'), "only links within the page: {}", element.html());
    }
    for style in select(document, "style") {
        let css = text(&style);
        assert!(!css.contains("url(") && !css.contains("@import") && !css.contains("@font-face"), "{css}");
        assert!(css.contains("@page") && css.contains("size: A4"), "printed on A4");
    }
    assert!(select(document, "[style]").iter().all(|element| !attribute(element, "style").contains("url(")));
    assert!(select(document, "meta[charset=utf-8]").len() == 1);
}

/// Every record of `eval` has a section with its key, a link to that section from the table of
/// records, its decisions and its total in that table.
fn assert_every_record_linked(document: &Html, lines: &[Json]) {
    let sections = select(document, "section.record");
    assert_eq!(sections.len(), lines.len(), "one section per record");
    let rows = select(document, "table.records tr[data-record]");
    assert_eq!(rows.len(), lines.len(), "one row per record in the table of records");
    for line in lines {
        let key = line["id"].as_str().unwrap();
        let section = sections.iter().find(|section| section.value().attr("data-key") == Some(key));
        let id = attribute(section.unwrap_or_else(|| panic!("no section for {key}")), "id");
        let links = select(document, &format!("table.records a[href=\"#{id}\"]"));
        assert_eq!(links.len(), 1, "one link to {key}'s section");
        assert_eq!(text(&links[0]), key);
        let row = rows.iter().find(|row| row.value().attr("data-record") == Some(key)).unwrap();
        assert_eq!(decimal(attribute(row, "data-record-total")), decimal(line["total"].as_str().unwrap()));
        for (decision, outcome) in line["decisions"].as_object().unwrap() {
            let cell = row.select(&Selector::parse(&format!("td[data-decision=\"{decision}\"]")).unwrap()).next();
            assert_eq!(cell.map(|cell| attribute(&cell, "data-outcome")), outcome.as_str(), "{key} {decision}");
        }
    }
}

fn assert_report_agrees_with_eval(policy_file: &str, data: &str, name: &str) {
    let (page, document) = report(policy_file, data, name);
    let lines = eval(policy_file, data);
    assert_self_contained(&page, &document);
    assert_eq!(shown_counts(&document), expected_counts(&lines));
    let rows = select(&document, "[data-rows]");
    assert_eq!(count(&rows[0], "data-rows"), lines.len());
    assert_eq!(count(&select(&document, "[data-rejected]")[0], "data-rejected"), 0);
    assert_every_record_linked(&document, &lines);
}

#[test]
fn the_rizhao_report_agrees_with_eval() {
    assert_report_agrees_with_eval(RIZHAO, "examples/rizhao/enterprises.csv", "rizhao.html");
}

#[test]
fn the_innovative_sme_report_agrees_with_eval() {
    assert_report_agrees_with_eval(INNOVATIVE_SME, "examples/innovative-sme/applicants.csv", "innovative-sme.html");
}

/// The report names a rejected row with its number, key and reason, and still counts the others.
#[test]
fn a_report_lists_the_rejected_rows() {
    let path = scratch("rejected.html");
    let data = "tests/cases/enterprises-edge.csv";
    let arguments =
        ["explain", RIZHAO, data, "--all", "--format", "html", "-o", path.to_str().unwrap(), "--as-of", "2024-06-30"];
    let (code, _, err) = policy(&arguments);
    assert_eq!(code, 1, "a rejected row fails the run: {err}");
    let document = Html::parse_document(&std::fs::read_to_string(&path).unwrap());
    let rejected = select(&document, "table.rejected tr[data-row]");
    assert_eq!(rejected.len(), 1);
    assert_eq!(attribute(&rejected[0], "data-row"), "6");
    assert_eq!(attribute(&rejected[0], "data-key"), "913711BAD000000005");
    assert!(text(&rejected[0]).contains("2023-02-30"));
    assert_eq!(count(&select(&document, "[data-rejected]")[0], "data-rejected"), 1);
    let decided: Vec<Json> = {
        let (_, out, _) = policy(&["eval", RIZHAO, data, "--as-of", "2024-06-30"]);
        out.lines()
            .map(|line| serde_json::from_str::<Json>(line).unwrap())
            .filter(|line| line["error"].is_null())
            .collect()
    };
    assert_eq!(shown_counts(&document), expected_counts(&decided));
}

/// One record's page: its tree with the award's computation, no summary and no table of records.
#[test]
fn a_record_page_has_the_computation_and_no_summary() {
    let data = "examples/rizhao/design_institutes.csv";
    let (code, page, err) =
        policy(&["explain", RIZHAO, data, "--id", "9137110BJ1XG612DD1", "--as-of", "2024-06-30", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    let document = Html::parse_document(&page);
    assert_self_contained(&page, &document);
    assert_eq!(select(&document, "html[lang=zh-CN]").len(), 1);
    assert!(select(&document, "table.summary, table.records, [data-total], [data-rows]").is_empty());
    let sections = select(&document, "section.record[data-key=\"9137110BJ1XG612DD1\"]");
    assert_eq!(sections.len(), 1);
    let award = select(&document, "details.item[data-kind=award][data-name=design_subsidy]");
    assert_eq!(attribute(&award[0], "data-outcome"), "paid");
    assert_eq!(decimal(attribute(&award[0], "data-amount")), decimal("1000000"));
    let details: Vec<String> = select(&document, ".detail").iter().map(text).collect();
    let computation = "金额：design_subsidy_rate of in_city_contract_amount = 50% × 250万元 = 125万元，以上限 design_subsidy_cap = 100万元 为准";
    assert!(details.iter().any(|detail| detail.contains(computation)), "{details:?}");
    let reads: Vec<String> = select(&document, ".read").iter().map(text).collect();
    assert!(reads.contains(&"市内工业设计服务合同金额（万元） = 250万元".to_string()), "{reads:?}");
}

/// A policy and data full of markup: every label, quote, key and value is shown as text.
#[test]
fn labels_and_values_are_escaped() {
    let policy_path = scratch("markup.policy");
    std::fs::write(
        &policy_path,
        r#"policy "A<B & C \"quoted\" 'policy'"
  in force from 2020-01-01 to 2030-12-31
  cite "一"

entity firm
  key id
  field id: text from "编号<id>"
  field name: text from "名称<b>"
  field ok: bool from "合格&"

decision fits for firm
  label "A<B & C"
  cite "一<1>" "quote with \"double\" and 'single' & <i>tags</i>"
  when ok and name = "<b>bold</b>"

award grant for firm
  label "<script>alert('x')</script>"
  cite "二"
  when fits
  pays 10万元
"#,
    )
    .unwrap();
    let data_path = scratch("markup.csv");
    std::fs::write(
        &data_path,
        "编号<id>,名称<b>,合格&\n\"<img src=x onerror=alert(1)>\",<b>bold</b>,是\n\"a\"\"&'b\",x,\n",
    )
    .unwrap();
    let (policy_file, data) = (policy_path.to_str().unwrap(), data_path.to_str().unwrap());
    let (page, document) = report(policy_file, data, "markup.html");
    assert_self_contained(&page, &document);
    assert!(select(&document, "b, i, img, script").is_empty(), "no element from the policy or the data");
    assert!(page.contains("A&lt;B &amp; C"));
    let labels: Vec<String> = select(&document, ".label").iter().map(text).collect();
    assert!(labels.contains(&"A<B & C".to_string()) && labels.contains(&"<script>alert('x')</script>".to_string()));
    let quotes: Vec<String> = select(&document, ".quote").iter().map(text).collect();
    assert!(quotes.contains(&"“quote with \"double\" and 'single' & <i>tags</i>”".to_string()), "{quotes:?}");
    assert_eq!(text(&select(&document, "h1")[0]), "A<B & C \"quoted\" 'policy'");
    let reads: Vec<String> = select(&document, ".read").iter().map(text).collect();
    assert!(reads.contains(&"名称<b> = <b>bold</b>".to_string()), "{reads:?}");
    assert_every_record_linked(&document, &eval(policy_file, data));
}
