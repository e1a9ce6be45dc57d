//! Snapshots of `policy explain` on chosen records: a yes, a no on one threshold, an unknown,
//! awards superseded by no stacking, and the design subsidy's capped computation.

const RIZHAO: &str = "policies/rizhao-2022.policy";

fn explain(data: &str, id: &str, format: &str) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let arguments = ["explain", RIZHAO, data, "--id", id, "--as-of", "2024-06-30", "--format", format]
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
