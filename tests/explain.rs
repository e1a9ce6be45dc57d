//! Snapshots of `policy explain`, text (Chinese structural words by default, English with
//! `--lang en`) and JSON, on chosen records: a yes; a no on one threshold with its margin and
//! counterfactual; a no on several conditions; an unknown with the blank columns and what each
//! would decide; awards superseded by no stacking; the design subsidy's capped computation; and
//! the innovative-SME score card (yes by score, yes by a direct route, no by a sub-score
//! minimum, no although a score is blank, unknown with its bounds).

const RIZHAO: &str = "policies/rizhao-2022.policy";
const INNOVATIVE_SME: &str = "policies/innovative-sme.policy";
const EDGE: &str = "tests/cases/enterprises-edge.csv";
const ENTERPRISES: &str = "examples/rizhao/enterprises.csv";
const DESIGN_INSTITUTES: &str = "examples/rizhao/design_institutes.csv";
const APPLICANTS_EDGE: &str = "tests/cases/applicants-edge.csv";
/// A unicorn whose place of registration is blank: the award unknown, and the benefit that
/// names it unknown on the same blank column.
const BLANK_PLACE: &str = "tests/cases/enterprises-blank-place.csv";

/// `policy explain POLICY DATA --id ID --as-of 2024-06-30 EXTRA…`, which must succeed.
fn explain(policy_file: &str, data: &str, id: &str, extra: &[&str]) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut arguments = vec!["explain", policy_file, data, "--id", id, "--as-of", "2024-06-30"];
    arguments.extend_from_slice(extra);
    let code = policy::cli::run(arguments.iter().map(Into::into).collect(), &mut out, &mut err, false);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).unwrap()
}

/// The text in Chinese, the text in English and the JSON of one record, as three snapshots.
fn snapshot_all(name: &str, policy_file: &str, data: &str, id: &str) {
    insta::assert_snapshot!(format!("{name}.zh"), explain(policy_file, data, id, &[]));
    insta::assert_snapshot!(format!("{name}.en"), explain(policy_file, data, id, &["--lang", "en"]));
    insta::assert_snapshot!(format!("{name}.json"), explain(policy_file, data, id, &["--format", "json"]));
}

/// Registered exactly two years before the evaluation date, revenue exactly 900万元.
#[test]
fn a_yes_on_the_boundaries() {
    snapshot_all("yes_on_the_boundaries", RIZHAO, EDGE, "913711YES000000001");
}

/// 899.99万元 against the 900万元 floor: short by 0.01万元, would pass with ≥ 900万元.
#[test]
fn a_no_on_one_threshold() {
    snapshot_all("no_on_one_threshold", RIZHAO, EDGE, "913711SHORT0000002");
}

/// Registered too recently (with the margin in years, months and days), not compliant, bad bank credit.
#[test]
fn a_no_on_several_conditions() {
    snapshot_all("no_on_several_conditions", RIZHAO, ENTERPRISES, "9137110AY4CL12TH30");
}

/// Revenue and tax grade blank: each column's values and what they would decide.
#[test]
fn an_unknown_with_blank_columns() {
    snapshot_all("unknown_with_blank_columns", RIZHAO, EDGE, "913711UNKNOWN00003");
}

/// Three honours in one year: only the highest is paid under 四.
#[test]
fn awards_superseded_by_no_stacking() {
    snapshot_all("superseded_by_no_stacking", RIZHAO, EDGE, "913711MANY00000004");
}

/// 50% × 250万元 = 125万元, capped at 100万元.
#[test]
fn the_design_subsidy_capped() {
    snapshot_all("design_subsidy_capped", RIZHAO, DESIGN_INSTITUTES, "9137110BJ1XG612DD1");
}

/// R&D exactly 5%, growth exactly 0%, liabilities exactly 55%, main business exactly 50%: each
/// takes the higher bracket, and the total 65 passes.
#[test]
fn a_scorecard_yes_by_score_on_the_boundaries() {
    snapshot_all("scorecard_yes_by_score", INNOVATIVE_SME, APPLICANTS_EDGE, "91370BOUNDARIES004");
}

/// Growth 10 misses its minimum of 15, but the honour 知识产权优势企业 is a direct route.
#[test]
fn a_scorecard_yes_by_a_direct_route() {
    let sample = "examples/innovative-sme/applicants.csv";
    snapshot_all("scorecard_yes_by_direct_route", INNOVATIVE_SME, sample, "9137R24KKE440U06Q1");
}

/// A total of exactly 60 with innovation 15, below its minimum of 20.
#[test]
fn a_scorecard_no_by_a_sub_score_minimum() {
    snapshot_all("scorecard_no_by_sub_score", INNOVATIVE_SME, APPLICANTS_EDGE, "91370SUBSCORE00005");
}

/// R&D expense blank: innovation 0–20 and the total 30–50, which cannot reach 60.
#[test]
fn a_scorecard_no_although_a_score_is_blank() {
    snapshot_all("scorecard_no_despite_blank", INNOVATIVE_SME, APPLICANTS_EDGE, "91370NOBYBOUNDS001");
}

/// Operating revenue blank: two ratios unknown, the total 55–95 against 60, and the revenue
/// values that would settle it.
#[test]
fn a_scorecard_unknown_with_its_bounds() {
    snapshot_all("scorecard_unknown", INNOVATIVE_SME, APPLICANTS_EDGE, "91370UNKNOWNREV002");
}

#[test]
fn an_unknown_key_is_an_error() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let arguments =
        ["explain", RIZHAO, EDGE, "--id", "nobody", "--as-of", "2024-06-30"].iter().map(Into::into).collect();
    assert_eq!(policy::cli::run(arguments, &mut out, &mut err, false), 1);
    assert!(String::from_utf8_lossy(&err).contains("no record with key nobody"));
}

/// `eval --explain POLICY DATA --as-of 2024-06-30 EXTRA…`: each line as JSON (which it must be).
fn eval_explain_lines(policy_file: &str, data: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut arguments = vec!["eval", policy_file, data, "--as-of", "2024-06-30", "--explain"];
    arguments.extend_from_slice(extra);
    policy::cli::run(arguments.iter().map(Into::into).collect(), &mut out, &mut err, false);
    String::from_utf8(out).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// Each line of `eval --explain` on the edge cases (a yes on the boundaries, a no by 0.01万元, an
/// unknown, honours under no stacking, a row that cannot be read), each line laid out.
#[test]
fn eval_explain_lines_on_the_edge_cases() {
    let lines = eval_explain_lines(RIZHAO, EDGE, &[]);
    let laid_out: Vec<String> = lines.iter().map(|line| serde_json::to_string_pretty(line).unwrap()).collect();
    insta::assert_snapshot!("eval_explain_edge_cases", laid_out.join("\n"));
    let english = eval_explain_lines(RIZHAO, EDGE, &["--lang", "en"]);
    let margins = |lines: &[serde_json::Value]| lines[1]["explanation"]["nodes"][0]["margins"].to_string();
    assert_eq!(margins(&english), r#"{"revenue_last_year >= revenue_floor":"short by 0.01万元"}"#);
    assert_eq!(margins(&lines), r#"{"revenue_last_year >= revenue_floor":"差 0.01万元"}"#);
}

/// `eval --explain` adds to each line the deciding part of what `explain --format json` prints,
/// in brief (schema 2): the same items with the same outcomes; under each, leaf conditions of the
/// full tree (or another item, named) with the outcomes they have there; a reason for every item
/// that is not a yes; the inputs the full tree shows; none of the document's text, which would
/// be the same on every line.
#[test]
fn eval_explain_adds_the_deciding_explanation_to_each_line() {
    fn leaves(node: &serde_json::Value, found: &mut Vec<(String, String)>) {
        let outcome = node["outcome"].as_str().unwrap_or_default().to_string();
        if node["source"].is_string() || node["kind"] == "award_condition" || node["kind"] == "decision" {
            let text = node["source"].as_str().or(node["name"].as_str()).unwrap_or_default();
            found.push((text.to_string(), outcome.clone()));
        }
        // The brief form lists `not` a condition as one leaf.
        if let (true, Some(source)) = (node["kind"] == "not", node["children"][0]["source"].as_str()) {
            found.push((format!("not {source}"), outcome));
        }
        for child in node["children"].as_array().into_iter().flatten() {
            leaves(child, found);
        }
    }
    fn reads(node: &serde_json::Value, found: &mut Vec<(String, String)>) {
        for read in node["reads"].as_array().into_iter().flatten() {
            found.push((read["column"].as_str().unwrap().to_string(), read["value"].as_str().unwrap().to_string()));
        }
        for child in node["children"].as_array().into_iter().flatten() {
            reads(child, found);
        }
    }
    let mut checked = 0;
    for (policy_file, data) in
        [(RIZHAO, EDGE), (RIZHAO, ENTERPRISES), (RIZHAO, BLANK_PLACE), (INNOVATIVE_SME, APPLICANTS_EDGE)]
    {
        for line in eval_explain_lines(policy_file, data, &[]) {
            let Some(id) = line["id"].as_str() else { continue };
            if line.get("error").is_some() {
                assert!(line.get("explanation").is_none(), "{id}: a row that cannot be decided stays an error");
                continue;
            }
            let full: serde_json::Value =
                serde_json::from_str(&explain(policy_file, data, id, &["--format", "json"])).unwrap();
            let brief = &line["explanation"];
            assert_eq!(brief["schema"], 2);
            let brief_nodes = brief["nodes"].as_array().unwrap();
            let full_nodes = full["nodes"].as_array().unwrap();
            let items = |nodes: &[serde_json::Value]| -> Vec<(serde_json::Value, serde_json::Value)> {
                nodes.iter().map(|node| (node["name"].clone(), node["outcome"].clone())).collect()
            };
            assert_eq!(items(brief_nodes), items(full_nodes), "{id}: the same items and outcomes");
            let (mut full_reads, mut full_leaves) = (Vec::new(), Vec::new());
            for (brief_node, full_node) in brief_nodes.iter().zip(full_nodes) {
                full_leaves.clear();
                leaves(full_node, &mut full_leaves);
                reads(full_node, &mut full_reads);
                let mut listed = 0;
                for outcome in ["yes", "no", "unknown"] {
                    for leaf in brief_node[outcome].as_array().into_iter().flatten() {
                        let leaf = (leaf.as_str().unwrap().to_string(), outcome.to_string());
                        assert!(full_leaves.contains(&leaf), "{id}: {leaf:?} is not in {full_leaves:?}");
                        listed += 1;
                    }
                }
                let outcome = brief_node["outcome"].as_str().unwrap();
                if !matches!(outcome, "yes" | "paid" | "superseded") {
                    assert!(listed > 0 || brief_node["details"].is_array(), "{id}: a reason for {brief_node}");
                }
                if outcome == "unknown" {
                    assert!(brief_node["blank"].is_array() || brief_node["values"].is_array(), "{id}: {brief_node}");
                }
                if id == "913711BLANKPLACE05" && brief_node["name"] == "mu_efficiency_a" {
                    assert_eq!(
                        brief_node["blank"],
                        serde_json::json!(["注册地"]),
                        "{id}: waits on the unicorn's blank"
                    );
                }
            }
            for (column, value) in brief["reads"].as_object().unwrap() {
                let read = (column.clone(), value.as_str().unwrap().to_string());
                assert!(full_reads.contains(&read), "{id}: {read:?} is not read in the full explanation");
            }
            let text = brief.to_string();
            assert!(!text.contains("\"quote\"") && !text.contains("\"label\""), "{id}: no document text on every line");
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} lines checked");
}

/// `eval --explain` writes the deciding explanation straight into each line; the node tree of
/// `Explaining::explain` with `Detail::Deciding` is its definition. Both must give the same
/// bytes on every record of every sample and edge-case file, in both languages.
#[test]
fn the_written_deciding_explanation_is_the_node_tree_byte_for_byte() {
    use policy::explain::{Detail, Explaining, Lang};
    let files = [
        (RIZHAO, ENTERPRISES),
        (RIZHAO, EDGE),
        (RIZHAO, BLANK_PLACE),
        (RIZHAO, DESIGN_INSTITUTES),
        (RIZHAO, "examples/rizhao/carriers.csv"),
        (RIZHAO, "examples/rizhao/districts.csv"),
        (INNOVATIVE_SME, "examples/innovative-sme/applicants.csv"),
        (INNOVATIVE_SME, APPLICANTS_EDGE),
        ("tests/cases/bounds.policy", "tests/cases/bounds.csv"),
        ("tests/cases/kleene.policy", "tests/cases/kleene.csv"),
    ];
    let mut compared = 0;
    for (policy_file, data) in files {
        let source = std::fs::read_to_string(policy_file).unwrap();
        let (_, checked) = policy::check::check_source(&source);
        let model = &checked.model;
        let table = policy::data::read_table(&std::fs::read(data).unwrap(), policy::data::InputFormat::Csv).unwrap();
        let entity = (0..model.entities.len())
            .find(|entity| {
                let layout = policy::compile::layout(model, *entity);
                policy::data::bind(&layout, &table.headers).is_ok()
            })
            .unwrap();
        let settings = policy::compile::Settings {
            as_of: chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
            overrides: Vec::new(),
        };
        let program = policy::compile::compile(model, entity, &settings);
        for lang in [Lang::Zh, Lang::En] {
            let explaining = Explaining::new(model, &program, &source, lang, Detail::Deciding);
            let records: Vec<_> =
                policy::data::read_records(&program.layout, &table).unwrap().into_iter().flatten().collect();
            // Twice: the second time every item's explanation is one remembered from the first.
            for record in records.iter().chain(&records) {
                let Ok(outcome) = policy::eval::decide(&program, &record.values) else { continue };
                let deciding = explaining.deciding(&record.values, &outcome).unwrap();
                let mut written = Vec::new();
                explaining.write_deciding(&record.values, &outcome, &mut written).unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    serde_json::to_string(&deciding).unwrap(),
                    "{policy_file} {data} {:?}",
                    record.key
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{compared} records compared");
}
