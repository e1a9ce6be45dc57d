//! `policy eval` at scale: every input format (CSV, GBK, JSON Lines, a workbook, standard
//! input), every output format (JSON Lines, CSV, a workbook read back), input order kept with
//! several threads, and `--summary` agreeing with the output.

mod common;

use common::{policy, scratch};
use serde_json::Value as Json;

const RIZHAO: &str = "policies/rizhao-2022.policy";
const ENTERPRISES: &str = "examples/rizhao/enterprises.csv";

fn eval(arguments: &[&str]) -> (i32, String, String) {
    let mut all = vec!["eval", RIZHAO];
    all.extend_from_slice(arguments);
    all.extend_from_slice(&["--as-of", "2024-06-30"]);
    policy(&all)
}

/// The sample file's rows, header first.
fn sample_rows() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(ENTERPRISES).unwrap();
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader.records().map(|record| record.unwrap().iter().map(str::to_string).collect()).collect()
}

/// The sample's rows `copies` times with fresh keys, so that order can be checked, in a file of its
/// own for each `name`: tests run at the same time and must not write one another's files.
fn repeated_sample(name: &str, copies: usize) -> (std::path::PathBuf, Vec<String>) {
    let rows = sample_rows();
    let path = scratch(&format!("{name}-{copies}.csv"));
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&rows[0]).unwrap();
    let mut keys = Vec::new();
    for copy in 0..copies {
        for (index, row) in rows.iter().skip(1).enumerate() {
            let mut row = row.clone();
            row[0] = format!("91{copy:08}{index:08}");
            keys.push(row[0].clone());
            writer.write_record(&row).unwrap();
        }
    }
    writer.flush().unwrap();
    (path, keys)
}

#[test]
fn several_threads_keep_the_input_order_and_decide_the_same() {
    let (path, keys) = repeated_sample("input-order", 300);
    let path = path.to_str().unwrap();
    let (code, one_thread, _) = eval(&[path, "--jobs", "1"]);
    assert_eq!(code, 0);
    let (_, four_threads, _) = eval(&[path, "--jobs", "4"]);
    assert_eq!(one_thread, four_threads, "the same lines in the same order");
    let ids: Vec<String> = one_thread
        .lines()
        .map(|line| serde_json::from_str::<Json>(line).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, keys, "one line per row, in input order");
}

/// Rows whose key an earlier row had, scattered over several chunks and batches (a worker
/// writes 128 rows' lines into one buffer; the writer leaves a rejected row's line out of it):
/// with and without explanations, on one thread and on three, each row gives one line in input
/// order, the repeated keys an error line, every other row the line it gives alone.
#[test]
fn rows_rejected_inside_a_chunk_leave_the_other_lines_whole() {
    let (path, keys) = repeated_sample("rejected-in-chunk", 300);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Data rows 5, 200, 2,100 and 5,000 (after the header) take the key of the row before them.
    let repeated = [5, 200, 2_100, 5_000];
    for row in repeated {
        let earlier_key = keys[row - 1].clone();
        lines[row + 1] = lines[row + 1].replacen(&keys[row], &earlier_key, 1);
    }
    let with_repeats = scratch("repeated-keys.csv");
    std::fs::write(&with_repeats, lines.join("\n") + "\n").unwrap();
    let with_repeats = with_repeats.to_str().unwrap();
    for explain in [false, true] {
        let extra: &[&str] = if explain { &["--explain"] } else { &[] };
        let (_, alone, _) = eval(&[&[path.to_str().unwrap(), "--jobs", "1"], extra].concat());
        let alone: Vec<&str> = alone.lines().collect();
        let (code, one_thread, _) = eval(&[&[with_repeats, "--jobs", "1"], extra].concat());
        let (_, three_threads, _) = eval(&[&[with_repeats, "--jobs", "3"], extra].concat());
        assert_eq!(code, 1, "a rejected row makes the exit code 1");
        assert_eq!(one_thread, three_threads, "the same lines in the same order");
        let written: Vec<&str> = one_thread.lines().collect();
        assert_eq!(written.len(), keys.len(), "one line per row");
        for (index, line) in written.iter().enumerate() {
            if repeated.contains(&index) {
                let error: Json = serde_json::from_str(line).unwrap();
                assert!(error["error"].as_str().unwrap().contains("same key"), "{line}");
            } else {
                assert_eq!(*line, alone[index], "row {index}, --explain {explain}");
            }
        }
    }
}

#[test]
fn the_summary_counts_what_was_written() {
    let (_, out, err) = eval(&[ENTERPRISES, "--summary"]);
    let lines: Vec<Json> = out.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert!(err.contains(&format!("rows read: {0}, decided: {0}, rejected: 0", lines.len())), "{err}");
    let paid = |award: &str| {
        lines.iter().filter(|line| line["awards"].as_array().unwrap().iter().any(|paid| paid["award"] == award)).count()
    };
    assert!(err.contains(&format!("award national_champion_product: {} paid", paid("national_champion_product"))));
    let total: rust_decimal::Decimal =
        lines.iter().map(|line| line["total"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert!(err.contains(&format!("({} 元)", total.normalize())), "{err}");
    let (_, _, with_rejected) = eval(&["tests/cases/enterprises-edge.csv", "--summary"]);
    assert!(with_rejected.contains("rows read: 5, decided: 4, rejected: 1"), "{with_rejected}");
}

/// `policy eval POLICY - …` with `bytes` on standard input, run as its own process.
fn eval_standard_input(bytes: &[u8]) -> String {
    let binary = env!("CARGO_BIN_EXE_policy");
    let mut child = std::process::Command::new(binary)
        .args(["eval", RIZHAO, "-", "--as-of", "2024-06-30"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn standard_input_is_read_with_a_dash() {
    assert_eq!(eval_standard_input(&std::fs::read(ENTERPRISES).unwrap()), eval(&[ENTERPRISES]).1);
    let json_lines = "{\"区县名称\": \"东港区\", \"完成年度考核基础目标\": \"是\"}\n";
    let decided = eval_standard_input(json_lines.as_bytes());
    assert!(decided.contains("\"total\":\"3000000\""), "JSON Lines recognised on standard input: {decided}");
}

/// The sample written as a workbook: text cells, numbers as numbers, dates as dates.
fn sample_workbook() -> std::path::PathBuf {
    let rows = sample_rows();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (row_index, row) in rows.iter().enumerate() {
        for (column, cell) in row.iter().enumerate() {
            let (row_index, column) = (row_index as u32, column as u16);
            if cell.is_empty() {
                continue;
            }
            let date = chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d").ok();
            let number = cell.replace(',', "").parse::<f64>().ok().filter(|_| row_index > 0 && !cell.starts_with("91"));
            if let Some(date) = date {
                let date = rust_xlsxwriter::ExcelDateTime::from_ymd(
                    date.format("%Y").to_string().parse().unwrap(),
                    date.format("%m").to_string().parse().unwrap(),
                    date.format("%d").to_string().parse().unwrap(),
                )
                .unwrap();
                sheet.write_datetime_with_format(row_index, column, &date, &date_format).unwrap();
            } else if let Some(number) = number {
                sheet.write_number(row_index, column, number).unwrap();
            } else {
                sheet.write_string(row_index, column, cell).unwrap();
            }
        }
    }
    let path = scratch("enterprises.xlsx");
    workbook.save(&path).unwrap();
    path
}

#[test]
fn a_workbook_is_decided_like_the_csv_export() {
    let path = sample_workbook();
    let (code, from_workbook, err) = eval(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_workbook, eval(&[ENTERPRISES]).1);
    let (code, _, err) = eval(&[path.to_str().unwrap(), "--sheet", "其他"]);
    assert_eq!(code, 1);
    assert!(err.contains("no sheet \"其他\"") && err.contains("Sheet1"), "{err}");
}

#[test]
fn results_written_as_a_workbook_read_back_as_the_csv() {
    let workbook_path = scratch("decisions.xlsx");
    let csv_path = scratch("decisions.csv");
    let (code, _, err) = eval(&[ENTERPRISES, "-o", workbook_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    eval(&[ENTERPRISES, "-o", csv_path.to_str().unwrap()]);
    let csv_text = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv_text.starts_with('\u{feff}'), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut expected: Vec<Vec<String>> = vec![reader.headers().unwrap().iter().map(str::to_string).collect()];
    expected.extend(reader.records().map(|record| record.unwrap().iter().map(str::to_string).collect()));
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&workbook_path).unwrap();
    let range = workbook.worksheet_range("decisions").unwrap();
    let read: Vec<Vec<String>> = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    calamine::Data::Float(number) => {
                        rust_decimal::Decimal::try_from(*number).unwrap().normalize().to_string()
                    }
                    calamine::Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(read, expected);
}

#[test]
fn an_excel_output_needs_a_file() {
    let (code, _, err) = eval(&[ENTERPRISES, "--format", "xlsx"]);
    assert_eq!(code, 1);
    assert!(err.contains("-o result.xlsx"), "{err}");
}

/// Lines are written without a JSON tree: a key with quotes, backslashes and control
/// characters still comes out as valid JSON holding exactly that key.
#[test]
fn keys_that_need_escaping_stay_valid_json() {
    let path = scratch("odd-keys.csv");
    let key = "A\"B\\C\tD\u{1}E";
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(["区县名称", "完成年度考核基础目标"]).unwrap();
    writer.write_record([key, "是"]).unwrap();
    writer.flush().unwrap();
    let (code, out, err) = eval(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let line: Json = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["id"], key);
    assert_eq!(out.trim(), serde_json::to_string(&line).unwrap(), "the same text serde_json writes");
}

/// `--strict` stops at the first bad row, after writing its error line, and exits with 1; the
/// default decides every good row and exits with 1 all the same.
#[test]
fn strict_stops_at_the_first_bad_row() {
    let (code, out, err) = eval(&["tests/cases/enterprises-edge.csv"]);
    assert_eq!((code, out.lines().count()), (1, 5), "{err}");
    let (path, _) = repeated_sample("strict", 3);
    let text = std::fs::read_to_string(&path).unwrap().replacen("2021-06-15", "2023-02-30", 1);
    let broken = scratch("strict.csv");
    std::fs::write(&broken, text).unwrap();
    let (code, out, err) = eval(&[broken.to_str().unwrap(), "--strict"]);
    assert_eq!(code, 1);
    let last: Json = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert!(last["error"].as_str().unwrap().contains("2023-02-30"), "{last}");
    assert!(out.lines().count() < 60 && err.contains("--strict"), "{err}");
}
