//! Hostile policies: nesting and chains far beyond any real policy are a diagnostic, never a
//! stack overflow; at the limits every command still works.

mod common;

use common::{policy, scratch};

/// A policy whose decision `d` has the condition `condition` over an integer `a` and a flag `b`.
fn policy_with(condition: &str) -> String {
    format!(
        "policy \"深\"\n  in force from 2024-01-01\n  cite \"一\"\n\nentity e\n  key id\n  field id: text from \"编号\"\n  field a: integer from \"甲\"\n  field b: bool from \"乙\"\n\ndecision d for e\n  cite \"一\"\n  when {condition}\n"
    )
}

fn check(source: &str, name: &str) -> (i32, String) {
    let path = scratch(name);
    std::fs::write(&path, source).unwrap();
    let (code, out, err) = policy(&["check", path.to_str().unwrap(), "--format", "json"]);
    (code, format!("{out}{err}"))
}

#[test]
fn ten_thousand_levels_are_a_diagnostic() {
    let cases = [
        ("parentheses", format!("{}b{}", "(".repeat(10_000), ")".repeat(10_000)), "syntax::too-deep"),
        ("nots", format!("{}b", "not ".repeat(10_000)), "syntax::too-deep"),
        ("sum", format!("{} > 0", vec!["a"; 10_000].join(" + ")), "syntax::too-long"),
        ("list", format!("a in {}1{}", "[".repeat(10_000), "]".repeat(10_000)), "syntax::too-deep"),
    ];
    for (name, condition, code) in cases {
        let (exit, err) = check(&policy_with(&condition), &format!("{name}.policy"));
        assert_eq!(exit, 1, "{name}");
        assert!(err.contains(code), "{name}: {err}");
    }
}

/// At the limits (99 parentheses, 99 `not`s, 999 additions) the policy checks, and `eval`,
/// `explain` and `diff` run as separate processes without running out of stack.
#[test]
fn the_limits_still_work_end_to_end() {
    let source = format!(
        "{}\ndecision p for e\n  cite \"一\"\n  when {}b{}\n\ndecision q for e\n  cite \"一\"\n  when {}b\n",
        policy_with(&format!("{} > 0", vec!["a"; 999].join(" + "))),
        "(".repeat(99),
        ")".repeat(99),
        "not ".repeat(99)
    );
    let policy_path = scratch("limits.policy");
    std::fs::write(&policy_path, source).unwrap();
    let data_path = scratch("limits.csv");
    std::fs::write(&data_path, "编号,甲,乙\nx,1,是\ny,,\n").unwrap();
    let (policy_path, data_path) = (policy_path.to_str().unwrap(), data_path.to_str().unwrap());
    let run = |arguments: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_policy")).args(arguments).output().unwrap();
        assert!(output.status.code().is_some(), "{arguments:?} crashed: {}", String::from_utf8_lossy(&output.stderr));
        (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    assert_eq!(run(&["check", policy_path]).0, 0);
    let (code, out) = run(&["eval", policy_path, data_path, "--as-of", "2024-06-30"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"d\":\"yes\",\"p\":\"yes\",\"q\":\"no\""), "{out}");
    assert_eq!(
        run(&["explain", policy_path, data_path, "--as-of", "2024-06-30", "--id", "y", "--format", "json"]).0,
        0
    );
    assert_eq!(run(&["diff", policy_path, policy_path, "--data", data_path, "--as-of", "2024-06-30"]).0, 0);
}
