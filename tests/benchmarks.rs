//! The benchmark programs of issue 6 decide as `policy eval` does. Not timed: `scripts/bench.sh`
//! times them; this only checks that what it times is the same work.
//!
//! - the hand-written baseline writes the same JSON Lines as `policy eval` (compared field by
//!   field, error lines included) on the city's sample, the edge cases and generated rows, on one
//!   thread and on several, with and without the open rates set;
//! - the generator's rows make every decision, award, benefit and error of the enterprise entity
//!   happen, with the city's header, unique credit codes, and the same file for the same seed;
//! - the evaluation benchmark's two representations of a record decide alike.
//!
//! The peers' encodings (regorus, zen) are checked by `benches/peers/tests/agreement.rs`.

#[path = "../benches/rizhao/generator.rs"]
#[allow(dead_code)] // the tests use part of the generator
mod generator;
#[path = "../benches/rizhao/handwritten.rs"]
mod handwritten;
#[path = "../benches/rizhao/workload.rs"]
#[allow(dead_code)] // the timing loop is for the benchmarks
mod workload;

use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const RIZHAO: &str = "policies/rizhao-2022.policy";
const AS_OF: &str = "2024-06-30";
const RATES: [&str; 3] = ["listing_support_rate=10%", "exhibition_subsidy_rate=50%", "loan_interest_subsidy_rate=30%"];

/// `policy eval` run as a user runs it: the binary, its standard output and the `row …` lines of
/// its standard error.
fn policy_eval(data: &Path, sets: &[&str]) -> (String, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_policy"));
    command.args(["eval", RIZHAO]).arg(data).args(["--as-of", AS_OF]);
    for set in sets {
        command.args(["--set", set]);
    }
    let output = command.output().unwrap();
    let errors = String::from_utf8(output.stderr).unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        errors.lines().filter(|line| line.starts_with("row ")).map(String::from).collect(),
    )
}

fn handwritten_eval(data: &Path, sets: &[&str], threads: usize) -> (String, Vec<String>) {
    let mut settings = handwritten::Settings::new(workload::as_of()).unwrap();
    for set in sets {
        settings.set(set).unwrap();
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    handwritten::run(std::fs::File::open(data).unwrap(), &settings, threads, &mut out, &mut err).unwrap();
    let errors = String::from_utf8(err).unwrap();
    (
        String::from_utf8(out).unwrap(),
        errors.lines().filter(|line| line.starts_with("row ")).map(String::from).collect(),
    )
}

fn json_lines(text: &str) -> Vec<Json> {
    text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))).collect()
}

/// The baseline's lines against `policy eval`'s, field by field, then byte for byte (the
/// contract fixes the field order too).
fn assert_same_as_policy_eval(data: &Path, sets: &[&str]) -> Vec<Json> {
    let (expected, expected_errors) = policy_eval(data, sets);
    let expected_lines = json_lines(&expected);
    assert!(!expected_lines.is_empty(), "policy eval decided nothing on {}", data.display());
    for threads in [1, 3] {
        let (actual, actual_errors) = handwritten_eval(data, sets, threads);
        let actual_lines = json_lines(&actual);
        assert_eq!(actual_lines.len(), expected_lines.len(), "one line per row of {}", data.display());
        for (actual, expected) in actual_lines.iter().zip(&expected_lines) {
            assert_eq!(actual, expected, "{} on {threads} threads, --set {sets:?}", data.display());
        }
        assert_eq!(actual, expected, "the same bytes: field order and number forms");
        assert_eq!(actual_errors, expected_errors, "the same row messages");
    }
    expected_lines
}

fn generated_file(name: &str, rows: u64, seed: u64) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("policy-benchmarks-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join(name);
    generator::write_enterprises(rows, seed, true, std::fs::File::create(&path).unwrap()).unwrap();
    path
}

#[test]
fn the_baseline_decides_the_city_sample_and_the_edge_cases_as_policy_eval() {
    for data in
        ["examples/rizhao/enterprises.csv", "tests/cases/enterprises-edge.csv", "tests/hostile/duplicate-key.csv"]
    {
        assert_same_as_policy_eval(Path::new(data), &[]);
        assert_same_as_policy_eval(Path::new(data), &RATES);
    }
}

#[test]
fn the_baseline_decides_generated_rows_as_policy_eval() {
    let data = generated_file("generated.csv", 400, 7);
    let without_rates = assert_same_as_policy_eval(&data, &[]);
    let with_rates = assert_same_as_policy_eval(&data, &RATES);

    // The rows exercise everything the enterprise entity can decide.
    let decisions: BTreeSet<String> = without_rates
        .iter()
        .filter_map(|line| line["decisions"]["cultivation_pool"].as_str().map(String::from))
        .collect();
    assert_eq!(decisions, ["no", "unknown", "yes"].map(String::from).into_iter().collect());
    let paid = |lines: &[Json]| -> BTreeSet<String> {
        lines
            .iter()
            .filter_map(|line| line["awards"].as_array())
            .flatten()
            .map(|award| award["award"].as_str().unwrap().to_string())
            .collect()
    };
    let honour_awards: BTreeSet<String> =
        handwritten::HONOUR_AWARDS.iter().map(|award| award.award.to_string()).collect();
    assert_eq!(paid(&without_rates), honour_awards, "every honour award is paid somewhere");
    let open_rate_awards = handwritten::OpenRateSupport::ALL.map(|support| support.award().to_string());
    assert!(open_rate_awards.iter().all(|award| paid(&with_rates).contains(award)), "{:?}", paid(&with_rates));
    assert!(without_rates.iter().any(|line| line["benefits"] == serde_json::json!(["mu_efficiency_a"])));
    for support in handwritten::OpenRateSupport::ALL {
        let named = format!("`{}`", support.rate_parameter());
        assert!(
            without_rates.iter().any(|line| line["error"].as_str().is_some_and(|error| error.contains(&named))),
            "a row needs {named}"
        );
    }
}

#[test]
fn generated_rows_hold_no_stacking_cases_and_blank_cells() {
    let data = generated_file("stacking.csv", 400, 7);
    let text = std::fs::read_to_string(&data).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut stacked = 0;
    let mut with_blanks = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let honours = row.get(22).unwrap();
        let money_honours = handwritten::HONOUR_AWARDS
            .iter()
            .filter(|award| honours.split(['、', ';', ',', '，']).any(|item| item == award.honour));
        stacked += usize::from(money_honours.count() >= 2 && row.get(2) == Some("日照市"));
        with_blanks += usize::from(row.iter().take(22).any(str::is_empty));
    }
    assert!(stacked >= 5, "{stacked} rows where no stacking decides");
    assert!((20..=200).contains(&with_blanks), "{with_blanks} of 400 rows with a blank cell");
}

#[test]
fn the_generator_writes_the_city_header_unique_codes_and_the_same_file_for_a_seed() {
    let mut first = Vec::new();
    generator::write_enterprises(1_000, 11, false, &mut first).unwrap();
    let mut again = Vec::new();
    generator::write_enterprises(1_000, 11, false, &mut again).unwrap();
    assert_eq!(first, again, "a seed gives one file");
    let mut other = Vec::new();
    generator::write_enterprises(1_000, 12, false, &mut other).unwrap();
    assert_ne!(first, other, "another seed, other rows");

    let city = std::fs::read_to_string("examples/rizhao/enterprises.csv").unwrap();
    let text = String::from_utf8(first).unwrap();
    let first_line = |text: &str| text.split_inclusive('\n').next().map(str::to_string);
    assert_eq!(first_line(&text), first_line(&city), "the city's header, BOM and line ending included");
    let codes: BTreeSet<&str> = text.lines().skip(1).map(|line| line.split(',').next().unwrap()).collect();
    assert_eq!(codes.len(), 1_000, "one credit code per row");
    assert!(codes.iter().all(|code| code.len() == 18 && code.starts_with("913711")));

    let mut with_optional = Vec::new();
    generator::write_enterprises(1, 11, true, &mut with_optional).unwrap();
    let header = String::from_utf8(with_optional).unwrap().lines().next().unwrap().to_string();
    assert!(header.ends_with("上市阶段,上市费用（万元）,参展费用（万元）,技改专项贷款利息（万元）"), "{header}");
}

#[test]
fn both_representations_of_the_evaluation_benchmark_decide_alike() {
    let mut csv = Vec::new();
    generator::write_enterprises(400, 3, true, &mut csv).unwrap();
    let rizhao = workload::Rizhao::load(Path::new(RIZHAO), workload::as_of());
    let records = workload::Workload::read(&rizhao, &csv, usize::MAX);
    assert!(records.policy_records.len() >= 390, "nearly every row reads");
    assert!(records.complete.iter().filter(|complete| **complete).count() >= 200, "most rows are complete");
    let settings = handwritten::Settings::new(workload::as_of()).unwrap();
    for (values, enterprise) in records.policy_records.iter().zip(&records.enterprises) {
        let expected = match policy::eval::decide(&rizhao.program, values) {
            Ok(outcome) => policy::output::decision_line(&rizhao.model, &rizhao.program, None, &outcome) + "\n",
            Err(_) => "error".to_string(),
        };
        let actual = match handwritten::decide(enterprise, &settings) {
            Ok(decision) => {
                let mut line = Vec::new();
                handwritten::write_decision(&mut line, None, &decision);
                String::from_utf8(line).unwrap()
            }
            Err(_) => "error".to_string(),
        };
        assert_eq!(actual, expected);
    }
}
