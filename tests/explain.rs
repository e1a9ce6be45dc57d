//! Snapshots of `policy explain` on chosen records: a yes, a no on one threshold, an unknown,
//! awards superseded by no stacking, the design subsidy's capped computation, and the
//! innovative-SME score card (yes by score, yes by a direct route, no by a sub-score minimum,
//! no although a score is blank, unknown).

const RIZHAO: &str = "policies/rizhao-2022.policy";
const INNOVATIVE_SME: &str = "policies/innovative-sme.policy";

fn explain(data: &str, id: &str, format: &str) -> String {
    explain_with(RIZHAO, data, id, format)
}

fn explain_with(policy_file: &str, data: &str, id: &str, format: &str) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let arguments = ["explain", policy_file, data, "--id", id, "--as-of", "2024-06-30", "--format", format]
        .iter()
        .map(Into::into)
        .collect();
    let code = policy::cli::run(arguments, &mut out, &mut err, false);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).unwrap()
}

const EDGE: &str = "tests/cases/enterprises-edge.csv";

#[test]
fn a_yes_on_the_boundaries() {
    insta::assert_snapshot!(explain(EDGE, "913711YES000000001", "text"));
}

#[test]
fn a_no_on_one_threshold() {
    insta::assert_snapshot!(explain(EDGE, "913711SHORT0000002", "text"));
}

#[test]
fn an_unknown_with_blank_columns() {
    insta::assert_snapshot!(explain(EDGE, "913711UNKNOWN00003", "text"));
}

#[test]
fn awards_superseded_by_no_stacking() {
    insta::assert_snapshot!(explain(EDGE, "913711MANY00000004", "text"));
}

#[test]
fn the_design_subsidy_capped() {
    insta::assert_snapshot!(explain("examples/rizhao/design_institutes.csv", "9137110BJ1XG612DD1", "text"));
}

#[test]
fn json_explanation_of_a_capped_award() {
    insta::assert_snapshot!(explain("examples/rizhao/design_institutes.csv", "9137110BJ1XG612DD1", "json"));
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

const APPLICANTS_EDGE: &str = "tests/cases/applicants-edge.csv";

/// R&D exactly 5%, growth exactly 0%, liabilities exactly 55%, main business exactly 50%: each
/// takes the higher bracket, and the score 65 passes.
#[test]
fn a_scorecard_yes_by_score_on_the_boundaries() {
    insta::assert_snapshot!(explain_with(INNOVATIVE_SME, APPLICANTS_EDGE, "91370BOUNDARIES004", "text"));
}

/// Growth 10 misses its minimum of 15, but the honour 知识产权优势企业 is a direct route.
#[test]
fn a_scorecard_yes_by_a_direct_route() {
    let sample = "examples/innovative-sme/applicants.csv";
    insta::assert_snapshot!(explain_with(INNOVATIVE_SME, sample, "9137R24KKE440U06Q1", "text"));
}

/// A total of exactly 60 with innovation 15, below its minimum of 20.
#[test]
fn a_scorecard_no_by_a_sub_score_minimum() {
    insta::assert_snapshot!(explain_with(INNOVATIVE_SME, APPLICANTS_EDGE, "91370SUBSCORE00005", "text"));
}

/// R&D expense blank: innovation 0–20 and the total 30–50, which cannot reach 60.
#[test]
fn a_scorecard_no_although_a_score_is_blank() {
    insta::assert_snapshot!(explain_with(INNOVATIVE_SME, APPLICANTS_EDGE, "91370NOBYBOUNDS001", "text"));
}

/// Operating revenue blank: two ratios unknown, the total 55–95 against 60.
#[test]
fn a_scorecard_unknown_with_its_bounds() {
    insta::assert_snapshot!(explain_with(INNOVATIVE_SME, APPLICANTS_EDGE, "91370UNKNOWNREV002", "text"));
}

#[test]
fn a_scorecard_in_json() {
    insta::assert_snapshot!(explain_with(INNOVATIVE_SME, APPLICANTS_EDGE, "91370UNKNOWNREV002", "json"));
}
