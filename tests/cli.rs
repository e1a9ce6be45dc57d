//! End-to-end tests of the `policy` command line on the Rizhao policy and its sample data.

mod common;

use common::{policy, scratch};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::path::Path;
use std::str::FromStr;

const RIZHAO: &str = "policies/rizhao-2022.policy";
const INNOVATIVE_SME: &str = "policies/innovative-sme.policy";

fn json_lines(text: &str) -> Vec<Json> {
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// Amounts are compared as numbers: "1000000" and "1000000.00" are equal.
fn normalized(mut record: Json) -> Json {
    let number =
        |value: &Json| Json::String(Decimal::from_str(value.as_str().unwrap()).unwrap().normalize().to_string());
    if let Some(total) = record.get("total") {
        record["total"] = number(total);
    }
    if let Some(Json::Array(awards)) = record.get_mut("awards") {
        for award in awards {
            award["amount"] = number(&award["amount"]);
        }
    }
    record
}

/// Compares `policy eval` on `data` with `data`'s `.expected.jsonl` next to it, field for field.
fn assert_sample(policy_file: &str, data: &Path) {
    let expected_path = data.with_extension("expected.jsonl");
    let expected = json_lines(&std::fs::read_to_string(&expected_path).unwrap());
    let (code, out, err) = policy(&["eval", policy_file, data.to_str().unwrap(), "--as-of", "2024-06-30"]);
    assert_eq!(code, 0, "{err}");
    let actual = json_lines(&out);
    assert_eq!(actual.len(), expected.len(), "one output line per input row");
    for (actual, expected) in actual.into_iter().zip(expected) {
        assert_eq!(normalized(actual), normalized(expected));
    }
}

#[test]
fn every_city_sample_is_decided_as_expected() {
    let mut seen = 0;
    for entry in std::fs::read_dir("examples/rizhao").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "csv") {
            assert_sample(RIZHAO, &path);
            seen += 1;
        }
    }
    assert_eq!(seen, 4, "the four Rizhao sample files");
}

#[test]
fn the_innovative_sme_sample_is_decided_as_expected() {
    assert_sample(INNOVATIVE_SME, Path::new("examples/innovative-sme/applicants.csv"));
}

/// Blank and zero inputs in the scorecard: bounded scores, yes and no despite blanks, unknown,
/// division by zero, every shared bracket boundary, size and direct routes.
#[test]
fn the_innovative_sme_edge_cases_are_decided_as_expected() {
    assert_sample(INNOVATIVE_SME, Path::new("tests/cases/applicants-edge.csv"));
}

#[test]
fn every_policy_checks_clean() {
    for policy_file in [RIZHAO, INNOVATIVE_SME] {
        let (code, _, err) = policy(&["check", policy_file]);
        assert_eq!(code, 0);
        assert!(err.contains("0 error(s), 0 warning(s)"), "{policy_file}: {err}");
    }
}

#[test]
fn a_gbk_export_is_decided_like_the_utf8_one() {
    let utf8 = std::fs::read_to_string("examples/rizhao/enterprises.csv").unwrap();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(utf8.trim_start_matches('\u{FEFF}'));
    assert!(!unmappable);
    let path = scratch("enterprises-gbk.csv");
    std::fs::write(&path, &gbk).unwrap();
    let (_, from_gbk, _) = policy(&["eval", RIZHAO, path.to_str().unwrap(), "--as-of", "2024-06-30"]);
    let (_, from_utf8, _) = policy(&["eval", RIZHAO, "examples/rizhao/enterprises.csv", "--as-of", "2024-06-30"]);
    assert_eq!(from_gbk, from_utf8);
}

#[test]
fn json_lines_input_with_the_same_headers() {
    let path = scratch("districts.jsonl");
    std::fs::write(
        &path,
        "{\"区县名称\": \"东港区\", \"完成年度考核基础目标\": \"是\"}\n{\"区县名称\": \"莒县\", \"完成年度考核基础目标\": false}\n{\"区县名称\": \"五莲县\", \"完成年度考核基础目标\": null}\n",
    )
    .unwrap();
    let (code, out, _) = policy(&["eval", RIZHAO, path.to_str().unwrap(), "--as-of", "2024-06-30"]);
    assert_eq!(code, 0);
    let totals: Vec<String> = json_lines(&out).iter().map(|line| line["total"].as_str().unwrap().to_string()).collect();
    assert_eq!(totals, ["3000000", "0", "0"]);
}

#[test]
fn value_forms_boundaries_unknowns_and_a_bad_row() {
    let (code, out, err) = policy(&["eval", RIZHAO, "tests/cases/enterprises-edge.csv", "--as-of", "2024-06-30"]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 5, "one line per row, the bad one included");
    // Registered 2022-06-30: exactly two years on 2024-06-30; revenue exactly 900万元.
    assert_eq!(lines[0]["decisions"]["cultivation_pool"], "yes");
    // 899.99万元 is short of the 900万元 floor; Y / true / 1 spellings read as yes.
    assert_eq!(lines[1]["decisions"]["cultivation_pool"], "no");
    // Blank revenue and tax grade: unknown, not no.
    assert_eq!(lines[2]["decisions"]["cultivation_pool"], "unknown");
    // Three honours with mixed separators: only the highest (unicorn) is paid.
    assert_eq!(lines[3]["awards"], serde_json::json!([{"award": "unicorn", "amount": "3000000"}]));
    assert_eq!(lines[3]["benefits"], serde_json::json!(["mu_efficiency_a"]));
    // 2023-02-30 does not exist: an error line naming the row, column and value.
    assert_eq!(lines[4]["row"], 6);
    assert_eq!(lines[4]["id"], "913711BAD000000005");
    let message = lines[4]["error"].as_str().unwrap();
    assert!(message.contains("注册日期") && message.contains("2023-02-30"), "{message}");
    assert_eq!(code, 1, "a rejected row makes the exit code 1");
    assert!(err.contains("1 of 5 rows could not be decided"), "{err}");
}

#[test]
fn outside_the_window_nothing_is_decided() {
    let (code, out, err) = policy(&["eval", RIZHAO, "examples/rizhao/districts.csv", "--as-of", "2026-01-01"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("not in force on 2026-01-01") && err.contains("2022-03-23 to 2025-12-31"), "{err}");
}

#[test]
fn a_parameter_without_value_is_an_error_until_set() {
    let path = scratch("listing.csv");
    let header = std::fs::read_to_string("tests/cases/enterprises-edge.csv").unwrap();
    let first_two: Vec<&str> = header.lines().take(2).collect();
    std::fs::write(&path, format!("{},上市阶段,上市费用（万元）\n{},上市中,200\n", first_two[0], first_two[1]))
        .unwrap();
    let file = path.to_str().unwrap();
    let (code, out, _) = policy(&["eval", RIZHAO, file, "--as-of", "2024-06-30"]);
    assert_eq!(code, 1);
    let line = &json_lines(&out)[0];
    let message = line["error"].as_str().unwrap();
    assert!(message.contains("listing_support_rate") && message.contains("--set"), "{message}");
    let (code, out, err) =
        policy(&["eval", RIZHAO, file, "--as-of", "2024-06-30", "--set", "listing_support_rate=10%"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&out)[0]["awards"], serde_json::json!([{"award": "listing_support", "amount": "200000"}]));
}

#[test]
fn set_changes_a_parameter_and_rejects_bad_values() {
    let edge = "tests/cases/enterprises-edge.csv";
    let (_, out, _) = policy(&["eval", RIZHAO, edge, "--as-of", "2024-06-30", "--set", "revenue_floor=1000万元"]);
    assert_eq!(json_lines(&out)[0]["decisions"]["cultivation_pool"], "no");
    let (code, _, err) = policy(&["eval", RIZHAO, edge, "--as-of", "2024-06-30", "--set", "revenue_floor=10%"]);
    assert_eq!(code, 1);
    assert!(err.contains("revenue_floor"), "{err}");
    let (code, _, err) = policy(&["eval", RIZHAO, edge, "--as-of", "2024-06-30", "--set", "revenue_flor=1000万元"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `revenue_floor`"), "{err}");
}

#[test]
fn a_missing_column_is_one_error_before_any_row() {
    let path = scratch("carriers-missing.csv");
    std::fs::write(&path, "载体编号,载体名称,级别\nZT1,载体,省级\n").unwrap();
    let (code, out, err) =
        policy(&["eval", RIZHAO, path.to_str().unwrap(), "--entity", "carrier", "--as-of", "2024-06-30"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("载体类型") && err.contains("本年度新获认定"), "{err}");
}

#[test]
fn the_entity_is_chosen_by_header_or_named() {
    let path = scratch("unknown-shape.csv");
    std::fs::write(&path, "编号,名称\n1,x\n").unwrap();
    let (code, _, err) = policy(&["eval", RIZHAO, path.to_str().unwrap(), "--as-of", "2024-06-30"]);
    assert_eq!(code, 1);
    assert!(err.contains("match no entity"), "{err}");
    let (code, _, err) = policy(&["eval", RIZHAO, path.to_str().unwrap(), "--entity", "firm", "--as-of", "2024-06-30"]);
    assert_eq!(code, 1);
    assert!(err.contains("no entity `firm`"), "{err}");
}

#[test]
fn csv_and_table_formats_have_one_row_per_record() {
    let (code, out, _) =
        policy(&["eval", RIZHAO, "examples/rizhao/design_institutes.csv", "--as-of", "2024-06-30", "--format", "csv"]);
    assert_eq!(code, 0);
    let mut reader = csv::Reader::from_reader(out.trim_start_matches('\u{FEFF}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.get(0), Some("统一社会信用代码"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    let total = headers.iter().position(|header| header.starts_with("total")).unwrap();
    assert_eq!(rows[3].get(total), Some("187500"));
    let (code, out, _) =
        policy(&["eval", RIZHAO, "examples/rizhao/districts.csv", "--as-of", "2024-06-30", "--format", "table"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 6);
}

#[test]
fn check_exit_codes_and_json_diagnostics() {
    let path = scratch("broken.policy");
    std::fs::write(&path, "policy \"x\"\n  in force from 2022-01-01 to 2022-12-31\n  cite \"一\"\n\nentity firm\n  key id\n  field id: text from \"编号\"\n\nrule r for firm\n  cite \"一\"\n  when idd = \"1\"\n\ndecision d for firm\n  cite \"一\"\n  when r\n").unwrap();
    let (code, out, _) = policy(&["check", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let diagnostics: Json = serde_json::from_str(&out).unwrap();
    let first = &diagnostics[0];
    assert_eq!(first["code"], "check::unknown-name");
    assert_eq!(first["line"], 11);
    assert_eq!(first["column"], 8);
    assert_eq!(first["severity"], "error");
    assert!(first["help"].as_str().unwrap().contains("did you mean `id`"));
}

/// `check --format json`, the diagnostics tools read: every field, with the line and column
/// 1-based (the column in characters) and the span in byte offsets. The mistakes follow Chinese
/// text on their lines, so column and span tell apart.
#[test]
fn check_json_format() {
    let files = ["tests/diagnostics/wrong-entity.policy", "tests/diagnostics/unknown-label.policy"];
    let (code, out, _) = policy(&["check", files[0], files[1], "--format", "json"]);
    assert_eq!(code, 1);
    let diagnostics: Json = serde_json::from_str(&out).unwrap();
    let mut after_chinese = 0;
    for diagnostic in diagnostics.as_array().unwrap() {
        let source = std::fs::read_to_string(diagnostic["file"].as_str().unwrap()).unwrap();
        let before = &source[..diagnostic["span"]["start"].as_u64().unwrap() as usize];
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        assert_eq!(diagnostic["line"], before.matches('\n').count() + 1);
        assert_eq!(diagnostic["column"], before[line_start..].chars().count() + 1);
        if before[line_start..].chars().count() != before.len() - line_start {
            after_chinese += 1;
        }
    }
    assert!(after_chinese > 0, "no diagnostic after Chinese text on its line: {diagnostics:#}");
    insta::assert_snapshot!(serde_json::to_string_pretty(&diagnostics).unwrap());
}
