//! The evaluator's logic on small data-driven cases.

fn decisions(policy_file: &str, data: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let arguments = ["eval", policy_file, data, "--as-of", "2024-06-30"].iter().map(Into::into).collect();
    let code = policy::cli::run(arguments, &mut out, &mut err, false);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn all_of_any_of_and_not_follow_kleene_logic() {
    let kleene = |a: &str, b: &str| -> (&'static str, &'static str, &'static str) {
        let truth = |x: &str| match x {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        let word = |value: Option<bool>| match value {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        };
        let (a, b) = (truth(a), truth(b));
        let both = match (a, b) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        };
        let either = match (a, b) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        };
        (word(both), word(either), word(either.map(|value| !value)))
    };
    let lines = decisions("tests/cases/kleene.policy", "tests/cases/kleene.csv");
    assert_eq!(lines.len(), 9);
    for line in lines {
        let id = line["id"].as_str().unwrap();
        let (a, b) = id.split_once('-').unwrap();
        let (both, either, neither) = kleene(a, b);
        assert_eq!(line["decisions"]["both"], both, "{id}");
        assert_eq!(line["decisions"]["either"], either, "{id}");
        assert_eq!(line["decisions"]["neither"], neither, "{id}");
    }
}

#[test]
fn chinese_names_work_everywhere() {
    let lines = decisions("tests/cases/chinese-names.policy", "examples/rizhao/districts.csv");
    let paid: Vec<&serde_json::Value> = lines.iter().map(|line| &line["awards"]).collect();
    assert_eq!(paid[0], &serde_json::json!([{"award": "区县奖励", "amount": "3000000"}]));
    assert_eq!(paid[1], &serde_json::json!([]));
}

/// Bounds of a table with a blank key through +, −, ×, ÷, negation, min and comparisons; the
/// expected lines were worked out by hand (e.g. 15 − [0, 10] = [5, 15], certainly not ≤ 0).
#[test]
fn unknown_numbers_keep_their_bounds() {
    let lines = decisions("tests/cases/bounds.policy", "tests/cases/bounds.csv");
    let expected: Vec<serde_json::Value> = std::fs::read_to_string("tests/cases/bounds.expected.jsonl")
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines, expected);
}

/// An award whose condition uses an award declared after it is decided after it, yet the
/// outcome keeps declaration order, so no stacking compares the right awards: `extra` (80万元)
/// beats `top_up` (50万元) in their group, and `base_grant` stays paid outside it.
#[test]
fn awards_decided_out_of_declaration_order_keep_their_places() {
    let lines = decisions("tests/cases/award-order.policy", "examples/rizhao/districts.csv");
    assert_eq!(
        lines[0]["awards"],
        serde_json::json!([{"award": "base_grant", "amount": "1000000"}, {"award": "extra", "amount": "800000"}])
    );
    assert_eq!(lines[0]["total"], "1800000");
}

/// A part that can fail is worked out in its place: an overflow after a part that settles the
/// condition is never met, one before it is, even when the part after it is a yes/no field the
/// evaluator reads together with others (`failed-before`).
#[test]
fn errors_are_met_where_the_tree_evaluator_meets_them() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let arguments =
        ["eval", "tests/cases/errors-in-place.policy", "tests/cases/errors-in-place.csv", "--as-of", "2024-06-30"];
    let code = policy::cli::run(arguments.iter().map(Into::into).collect(), &mut out, &mut err, false);
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&err));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(
        lines[0]["decisions"],
        serde_json::json!({"settled_first": "no", "failing_first": "no", "either_settled_first": "yes"})
    );
    for line in &lines[1..] {
        assert!(line["error"].as_str().unwrap().contains("overflow"), "{line}");
    }
    assert_eq!(lines.len(), 4);
}
