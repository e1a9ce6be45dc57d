//! `policy diff`: pairs of policy versions under `tests/diff/` with snapshots of the text and
//! JSON diffs and of the impact on sample data; the impact counts checked against evaluating
//! each version on its own; every witness checked by evaluating the record it describes.

mod common;

use common::{policy, scratch};
use serde_json::Value as Json;
use std::collections::BTreeMap;

const RIZHAO: &str = "policies/rizhao-2022.policy";
const AMENDED: &str = "tests/diff/rizhao-amended.policy";
const REFORMATTED: &str = "tests/diff/rizhao-reformatted.policy";
const ENTERPRISES: &str = "examples/rizhao/enterprises.csv";
const EDGE: &str = "tests/cases/enterprises-edge.csv";

/// `policy diff ARGS…`: its exit code and output.
fn diff(arguments: &[&str]) -> (i32, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(arguments);
    let (code, out, err) = policy(&all);
    assert!(err.is_empty() || code == 2, "{err}");
    (code, out)
}

fn diff_json(arguments: &[&str]) -> Json {
    let mut all = arguments.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&diff(&all).1).unwrap()
}

fn pretty(json: &Json) -> String {
    serde_json::to_string_pretty(json).unwrap()
}

#[test]
fn a_pure_reformatting_changes_nothing() {
    let (code, out) = diff(&[RIZHAO, REFORMATTED]);
    assert_eq!(code, 0, "diff(1): 0 when nothing changed");
    insta::assert_snapshot!("reformatted.text", out);
    assert_eq!(diff_json(&[RIZHAO, REFORMATTED])["changes"], serde_json::json!([]));
}

#[test]
fn the_draft_amendment_in_text_and_json() {
    let (code, out) = diff(&[RIZHAO, AMENDED]);
    assert_eq!(code, 1, "diff(1): 1 when something changed");
    insta::assert_snapshot!("amended.text", out);
    insta::assert_snapshot!("amended.json", pretty(&diff_json(&[RIZHAO, AMENDED])["changes"]));
}

#[test]
fn every_kind_of_change() {
    let (code, out) = diff(&["tests/diff/startup-old.policy", "tests/diff/startup-new.policy"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("startup.text", out);
}

#[test]
fn the_amendment_on_the_sample_data() {
    let arguments = [RIZHAO, AMENDED, "--data", ENTERPRISES, "--as-of", "2024-06-30"];
    insta::assert_snapshot!("amended-impact-sample.text", diff(&arguments).1);
    insta::assert_snapshot!("amended-impact-sample.json", pretty(&diff_json(&arguments)["impact"]));
}

#[test]
fn the_amendment_on_the_edge_cases() {
    let arguments = [RIZHAO, AMENDED, "--data", EDGE, "--as-of", "2024-06-30"];
    insta::assert_snapshot!("amended-impact-edge.text", diff(&arguments).1);
}

/// `policy eval` of one version: per record key, its decisions, paid awards and total.
fn decided(policy_file: &str, data: &str) -> BTreeMap<String, Json> {
    let (_, out, _) = policy(&["eval", policy_file, data, "--as-of", "2024-06-30"]);
    out.lines()
        .map(|line| serde_json::from_str::<Json>(line).unwrap())
        .filter(|line| line.get("error").is_none())
        .map(|line| (line["id"].as_str().unwrap().to_string(), line))
        .collect()
}

fn paid(line: &Json, award: &str) -> Option<String> {
    line["awards"].as_array().unwrap().iter().find(|paid| paid["award"] == award).map(|paid| paid["amount"].to_string())
}

/// The impact's counts are exactly what evaluating OLD and NEW separately gives.
#[test]
fn impact_counts_agree_with_evaluating_each_version() {
    for data in [ENTERPRISES, EDGE] {
        let impact = diff_json(&[RIZHAO, AMENDED, "--data", data, "--as-of", "2024-06-30"])["impact"].clone();
        let (old, new) = (decided(RIZHAO, data), decided(AMENDED, data));
        for decision in impact["decisions"].as_array().unwrap() {
            let name = decision["name"].as_str().unwrap();
            let mut moves: BTreeMap<String, u64> = BTreeMap::new();
            for (key, old_line) in &old {
                let (before, after) = (&old_line["decisions"][name], &new[key]["decisions"][name]);
                if before != after {
                    *moves.entry(format!("{} → {}", before.as_str().unwrap(), after.as_str().unwrap())).or_default() +=
                        1;
                }
            }
            let reported: BTreeMap<String, u64> = decision["moves"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(transition, count)| (transition.clone(), count.as_u64().unwrap()))
                .collect();
            assert_eq!(reported, moves, "{data}: {name}");
        }
        for award in impact["awards"].as_array().unwrap() {
            let name = award["name"].as_str().unwrap();
            let (mut gaining, mut losing, mut changing) = (0, 0, 0);
            for (key, old_line) in &old {
                match (paid(old_line, name), paid(&new[key], name)) {
                    (None, Some(_)) => gaining += 1,
                    (Some(_), None) => losing += 1,
                    (Some(before), Some(after)) if before != after => changing += 1,
                    _ => {}
                }
            }
            assert_eq!(
                (award["gaining"].as_u64(), award["losing"].as_u64(), award["changing"].as_u64()),
                (Some(gaining), Some(losing), Some(changing)),
                "{data}: {name}"
            );
        }
        let total = |lines: &BTreeMap<String, Json>| -> rust_decimal::Decimal {
            lines.values().map(|line| line["total"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum()
        };
        let reported = |field: &str| impact[field].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(reported("total_old"), total(&old), "{data}");
        assert_eq!(reported("total_new"), total(&new), "{data}");
        let affected = old.iter().filter(|(key, line)| new[*key] != **line).count() as u64;
        assert_eq!(impact["affected"].as_u64(), Some(affected), "{data}");
    }
}

/// Each witness is a real record: its base row with the cells it names, decided by both
/// versions, moves as it says.
#[test]
fn every_witness_is_decided_differently_by_the_two_versions() {
    for data in [ENTERPRISES, EDGE] {
        let impact = diff_json(&[RIZHAO, AMENDED, "--data", data, "--as-of", "2024-06-30"])["impact"].clone();
        let witnesses = impact["witnesses"].as_array().unwrap();
        assert!(!witnesses.is_empty(), "{data}: some change moves nobody in this data");
        let text = std::fs::read_to_string(data).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        for witness in witnesses {
            assert_eq!(witness["found"], true, "{data}: {witness}");
            let row = witness["base_row"].as_u64().unwrap() as usize;
            let mut cells: Vec<String> = rows[row - 2].iter().map(str::to_string).collect();
            for cell in witness["cells"].as_array().unwrap() {
                let column = headers.iter().position(|header| header == cell[0].as_str().unwrap()).unwrap();
                cells[column] = cell[1].as_str().unwrap().to_string();
            }
            let path = scratch(&format!("witness-{row}-{}.csv", witness["change"].as_str().unwrap().replace(' ', "-")));
            let mut writer = csv::Writer::from_path(&path).unwrap();
            writer.write_record(&headers).unwrap();
            writer.write_record(&cells).unwrap();
            writer.flush().unwrap();
            let path = path.to_str().unwrap();
            let (old, new) = (decided(RIZHAO, path), decided(AMENDED, path));
            let (old_line, new_line) = (old.values().next().unwrap(), new.values().next().unwrap());
            assert_ne!(old_line, new_line, "{data}: {witness}");
            for claimed in witness["moves"].as_array().unwrap() {
                let claimed = claimed.as_str().unwrap();
                let (name, transition) = claimed.trim_start_matches("award ").split_once(": ").unwrap();
                let (before, after) = transition.split_once(" → ").unwrap();
                if claimed.starts_with("award ") {
                    let amount = |line: &Json| paid(line, name).map(|amount| amount.trim_matches('"').to_string());
                    let words = |amount: Option<String>| {
                        amount.map(|yuan| {
                            format!(
                                "{}万元",
                                yuan.parse::<rust_decimal::Decimal>().unwrap() / rust_decimal::Decimal::from(10_000)
                            )
                        })
                    };
                    assert_eq!(words(amount(old_line)).as_deref().unwrap_or("not paid"), before, "{claimed}");
                    assert_eq!(words(amount(new_line)).as_deref().unwrap_or("not paid"), after, "{claimed}");
                } else {
                    assert_eq!(old_line["decisions"][name], before, "{claimed}");
                    assert_eq!(new_line["decisions"][name], after, "{claimed}");
                }
            }
        }
    }
}

#[test]
fn the_html_diff_is_one_page_with_every_change() {
    let (code, page) = diff(&[RIZHAO, AMENDED, "--format", "html"]);
    assert_eq!(code, 1);
    assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
    for name in ["revenue_floor", "provincial_specialized", "priority_sectors"] {
        assert!(page.contains(&format!("data-name=\"{name}\"")), "{name}");
    }
    assert!(page.contains("900万元") && page.contains("1000万元"));
}

#[test]
fn errors_exit_with_two() {
    let (code, _, err) = policy(&["diff", RIZHAO, "tests/diff/no-such.policy"]);
    assert_eq!(code, 2, "diff(1): 2 on errors");
    assert!(err.contains("no-such.policy"), "{err}");
}

/// The page's impact is the JSON's: every decision's, benefit's and award's numbers, the totals,
/// every affected record and every witness, read from the attributes documented in
/// `src/diff/render.rs` and from the cells a reviewer reads; and the page is self-contained.
#[test]
fn the_html_impact_has_the_counts_of_the_json() {
    use scraper::{ElementRef, Html, Selector};
    let arguments = [RIZHAO, AMENDED, "--data", EDGE, "--as-of", "2024-06-30"];
    let mut html_arguments = arguments.to_vec();
    html_arguments.extend_from_slice(&["--format", "html"]);
    let (code, page) = diff(&html_arguments);
    assert_eq!(code, 1);
    let impact = diff_json(&arguments)["impact"].clone();
    let document = Html::parse_document(&page);
    let select = |selector: &str| -> Vec<ElementRef> {
        document.select(&Selector::parse(selector).unwrap_or_else(|_| panic!("{selector}"))).collect()
    };
    let within = |element: &ElementRef, selector: &str| -> Vec<String> {
        element.select(&Selector::parse(selector).unwrap()).map(|inner| inner.text().collect()).collect()
    };
    let attribute = |element: &ElementRef, name: &str| -> String {
        element.value().attr(name).unwrap_or_else(|| panic!("no {name} on {}", element.html())).to_string()
    };
    let only = |selector: &str| -> ElementRef {
        let found = select(selector);
        assert_eq!(found.len(), 1, "{selector}");
        found[0]
    };
    let list = |element: &ElementRef, selector: &str, name: &str| -> Vec<String> {
        element.select(&Selector::parse(selector).unwrap()).map(|inner| attribute(&inner, name)).collect()
    };
    let strings = |json: &Json| -> Vec<String> {
        json.as_array().unwrap().iter().map(|text| text.as_str().unwrap().to_string()).collect()
    };
    let money = |yuan: &Json| policy::output::money_text(yuan.as_str().unwrap().parse().unwrap());

    assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script") && select("script").is_empty());
    assert!(select("[src]").is_empty(), "nothing loaded from elsewhere");
    for link in select("[href]") {
        assert!(attribute(&link, "href").starts_with('#'), "{}", link.html());
    }

    let facts = only("[data-rows]");
    for (name, field) in [("data-rows", "rows"), ("data-affected", "affected"), ("data-rejected", "rejected")] {
        assert_eq!(attribute(&facts, name), impact[field].to_string(), "{name}");
    }

    for (kind, field) in [("decision", "decisions"), ("benefit", "benefits")] {
        let counts = impact[field].as_array().unwrap();
        assert_eq!(select(&format!("tr[data-{kind}]")).len(), counts.len(), "{field}");
        for count in counts {
            let name = count["name"].as_str().unwrap();
            let row = only(&format!("tr[data-{kind}=\"{name}\"]"));
            assert_eq!(attribute(&row, "data-unchanged"), count["unchanged"].to_string(), "{name}");
            assert_eq!(within(&row, "td.number"), vec![count["unchanged"].to_string()], "{name}");
            let moves: BTreeMap<String, String> = row
                .select(&Selector::parse("li[data-transition]").unwrap())
                .map(|item| {
                    let shown: String = item.text().collect();
                    let (transition, number) = (attribute(&item, "data-transition"), attribute(&item, "data-count"));
                    assert_eq!(shown, format!("{number} {transition}"), "{name}");
                    (transition, number)
                })
                .collect();
            let expected: BTreeMap<String, String> = count["moves"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(transition, number)| (transition.clone(), number.to_string()))
                .collect();
            assert_eq!(moves, expected, "{name}");
        }
    }

    let awards = impact["awards"].as_array().unwrap();
    assert_eq!(select("tr[data-award]").len(), awards.len());
    for award in awards {
        let name = award["name"].as_str().unwrap();
        let row = only(&format!("tr[data-award=\"{name}\"]"));
        let numbers: Vec<String> =
            ["gaining", "losing", "changing"].iter().map(|field| award[field].to_string()).collect();
        let attributes: Vec<String> =
            ["data-gaining", "data-losing", "data-changing"].iter().map(|field| attribute(&row, field)).collect();
        assert_eq!(attributes, numbers, "{name}");
        assert_eq!(within(&row, "td.number"), numbers, "{name}");
        assert_eq!(attribute(&row, "data-amount-old"), award["amount_old"].as_str().unwrap(), "{name}");
        assert_eq!(attribute(&row, "data-amount-new"), award["amount_new"].as_str().unwrap(), "{name}");
        let shown = within(&row, "td.money");
        assert_eq!(shown[..2], [money(&award["amount_old"]), money(&award["amount_new"])], "{name}");
    }

    let total = only("[data-total-old]");
    for (name, field) in [
        ("data-total-old", "total_old"),
        ("data-total-new", "total_new"),
        ("data-total-difference", "total_difference"),
    ] {
        assert_eq!(attribute(&total, name), impact[field].as_str().unwrap(), "{name}");
    }
    let shown = within(&total, "td.money");
    assert_eq!(shown[..2], [money(&impact["total_old"]), money(&impact["total_new"])]);

    let records = impact["records"].as_array().unwrap();
    assert!(!records.is_empty(), "the edge cases move a record");
    assert_eq!(select("tr[data-row]").len(), records.len());
    for record in records {
        let row = only(&format!("tr[data-row=\"{}\"]", record["row"]));
        assert_eq!(attribute(&row, "data-key"), record["key"].as_str().unwrap());
        assert!(row.text().collect::<String>().contains(record["key"].as_str().unwrap()));
        assert_eq!(list(&row, "li[data-move]", "data-move"), strings(&record["moves"]), "{record}");
        assert_eq!(within(&row, "li[data-move]"), strings(&record["moves"]), "{record}");
        assert_eq!(list(&row, "li[data-cause]", "data-cause"), strings(&record["causes"]), "{record}");
    }

    let witnesses = impact["witnesses"].as_array().unwrap();
    assert!(!witnesses.is_empty(), "some change moves nobody in the edge cases");
    assert_eq!(select("tr[data-witness]").len(), witnesses.len());
    for witness in witnesses {
        let row = only(&format!("tr[data-witness=\"{}\"]", witness["change"].as_str().unwrap()));
        assert_eq!(attribute(&row, "data-found"), witness["found"].to_string(), "{witness}");
        if witness["found"] != true {
            continue;
        }
        assert_eq!(attribute(&row, "data-base-row"), witness["base_row"].to_string(), "{witness}");
        assert_eq!(attribute(&row, "data-base-key"), witness["base_key"].as_str().unwrap(), "{witness}");
        let cells: Vec<(String, String)> = row
            .select(&Selector::parse("li[data-column]").unwrap())
            .map(|cell| (attribute(&cell, "data-column"), attribute(&cell, "data-value")))
            .collect();
        let expected: Vec<(String, String)> = witness["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|cell| (cell[0].as_str().unwrap().to_string(), cell[1].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(cells, expected, "{witness}");
        let shown = within(&row, "li[data-column]");
        for ((column, value), text) in expected.iter().zip(&shown) {
            assert_eq!(text, &format!("{column} = {value}"), "{witness}");
        }
        assert_eq!(list(&row, "li[data-move]", "data-move"), strings(&witness["moves"]), "{witness}");
        assert_eq!(within(&row, "li[data-move]"), strings(&witness["moves"]), "{witness}");
    }
}
