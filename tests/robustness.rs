//! Hostile policies: nesting and chains far beyond any real policy are a diagnostic, never a
//! stack overflow; at the limits every command still works. `fmt` gets the same inputs, and
//! NUL bytes, an empty file, bytes that are not UTF-8 and a large file.

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
        let (exit, err) = format_file(policy_with(&condition).as_bytes(), &format!("{name}-fmt.policy"));
        assert_eq!(exit, 2, "{name}");
        assert!(err.contains(code), "{name}: {err}");
    }
}

/// `policy fmt --check` of a file holding `bytes`: its exit code and what it wrote.
fn format_file(bytes: &[u8], name: &str) -> (i32, String) {
    let path = scratch(name);
    std::fs::write(&path, bytes).unwrap();
    let (code, out, err) = policy(&["fmt", "--check", path.to_str().unwrap()]);
    (code, format!("{out}{err}"))
}

#[test]
fn fmt_gives_a_diagnostic_for_what_it_cannot_read() {
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty", b"", "syntax::empty-file"),
        ("comments-only", b"# nothing but a comment\n", "syntax::empty-file"),
        ("nul-in-code", b"policy \"\xe7\xa9\xba\"\n  cite \"\xe4\xb8\x80\"\0\n", "syntax::unexpected"),
        ("only-nuls", b"\0\0\0", "syntax::unexpected"),
        ("not-utf-8", b"policy \"\xff\xfe\"\n  cite \"\xe4\xb8\x80\"\n", "syntax::encoding"),
    ];
    for (name, bytes, code) in cases {
        let (exit, err) = format_file(bytes, &format!("{name}.policy"));
        assert_eq!(exit, 2, "{name}: {err}");
        assert!(err.contains(code), "{name}: {err}");
        assert_eq!(std::fs::read(scratch(&format!("{name}.policy"))).unwrap(), bytes, "{name}: the file was changed");
    }
    // NUL bytes where the grammar allows any character are kept as they are.
    let source = "policy \"空\0\"\n  cite \"一\" # a NUL: \0\n";
    assert_eq!(policy::fmt::format(source), Ok(source.to_string()));
}

#[test]
fn fmt_reads_a_byte_order_mark_as_nothing() {
    let source = std::fs::read_to_string("policies/innovative-sme.policy").unwrap();
    let (exit, out) = check(&format!("\u{FEFF}{source}"), "bom.policy");
    assert_eq!(exit, 0, "{out}");
    assert_eq!(policy::fmt::format(&format!("\u{FEFF}{source}")), Ok(source));
}

#[test]
fn fmt_formats_a_large_file() {
    let one = std::fs::read_to_string("policies/rizhao-2022.policy").unwrap();
    let source = vec![one.as_str(); 20].join("\n");
    let formatted = policy::fmt::format(&source).unwrap();
    assert_eq!(formatted, source, "the policy is formatted, so twenty copies of it are too");
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
    let formatted_path = scratch("limits-formatted.policy");
    std::fs::copy(policy_path, &formatted_path).unwrap();
    let formatted_path = formatted_path.to_str().unwrap();
    assert_eq!(run(&["fmt", formatted_path]).0, 0);
    assert_eq!(run(&["fmt", "--check", formatted_path]).0, 0);
    assert_eq!(run(&["diff", policy_path, formatted_path]).0, 0);
}

/// A large file with thousands of errors (a hundred copies of the Rizhao policy: every name
/// declared a hundred times) is read and checked in linear time: the text shows the first
/// fifty diagnostics with their source and counts the rest; the JSON lists every one with its
/// line. (The note of issue 7 gives the figures for 50 MB: about 6 s for `check`, `eval`,
/// `diff`, 21 s for `fmt`, in release.)
#[test]
fn thousands_of_errors_are_counted_not_all_drawn() {
    let one = std::fs::read_to_string("policies/rizhao-2022.policy").unwrap();
    let path = scratch("hundred-copies.policy");
    std::fs::write(&path, vec![one.as_str(); 100].join("\n")).unwrap();
    let path = path.to_str().unwrap();
    let (code, _, err) = policy(&["check", path]);
    assert_eq!(code, 1);
    let shown = err.lines().filter(|line| line.starts_with("check::")).count();
    assert_eq!(shown, policy::diagnostic::MOST_RENDERED, "{err}");
    let (_, json, _) = policy(&["check", path, "--format", "json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let errors = err.lines().find(|line| line.contains("error(s)")).unwrap();
    assert!(errors.contains(&format!("{} error(s)", all.len())), "{errors}");
    assert!(err.contains(&format!("and {} more not shown here", all.len() - shown)), "{err}");
    let last = all.last().unwrap();
    let lines_before_last_copy = 99 * (one.lines().count() as u64 + 1);
    assert!(last["line"].as_u64().unwrap() > lines_before_last_copy, "lines counted to the end: {last}");
}
