//! Properties over generated policies and records: a well-typed policy checks without errors,
//! every generated record (blanks included) is decided and explained without an error — the
//! explanation `eval --explain` writes, with what it remembers of earlier records, being the
//! node tree's —, a
//! policy diffed with itself shows no change — also after its declarations are reordered —, and
//! `fmt` of a generated policy laid out badly, comments added, is idempotent and keeps the
//! meaning and every comment.

#[path = "common/meaning.rs"]
mod meaning;

use proptest::prelude::*;

/// The fields of the generated entity: name, type, column.
const FIELDS: &[(&str, &str, &str)] = &[
    ("flag", "bool", "标志"),
    ("count", "integer", "人数"),
    ("revenue", "money in 万元", "营业收入（万元）"),
    ("size", "size_class", "规模"),
    ("founded", "date", "成立日期"),
    ("sector", "text", "行业"),
    ("honours", "list of text", "称号"),
];

/// A condition over the fields, well typed by construction.
fn condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("flag".to_string()),
        (0i64..500).prop_map(|number| format!("count >= {number}")),
        (0i64..5000).prop_map(|number| format!("revenue > {number}万元")),
        prop::sample::subsequence(vec!["\"小\"", "\"中\"", "\"大\""], 1..3)
            .prop_map(|labels| format!("size in [{}]", labels.join(", "))),
        (0i32..8).prop_map(|years| format!("founded + {years} years <= as_of")),
        Just("sector = \"制造\"".to_string()),
        Just("sector in sectors".to_string()),
        Just("\"甲\" in honours".to_string()),
        Just("\"乙\" not in honours".to_string()),
        Just("score >= 10".to_string()),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|parts| format!("all of ({})", parts.join(", "))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|parts| format!("any of ({})", parts.join(", "))),
            inner.clone().prop_map(|part| format!("not ({part})")),
            (inner.clone(), inner).prop_map(|(left, right)| format!("({left}) and ({right})")),
        ]
    })
}

/// A whole policy: the header, the entity, two parameters, a bracket table, a value, rules,
/// a decision, awards (one of them capped) and a no-stacking group.
fn generated_policy() -> impl Strategy<Value = Vec<String>> {
    (prop::collection::vec(condition(), 4), 1u32..200, 1u32..100, any::<bool>()).prop_map(
        |(conditions, amount, rate, up_to)| {
            let fields: Vec<String> = FIELDS
                .iter()
                .map(|(name, field_type, column)| format!("  field {name}: {field_type} from \"{column}\""))
                .collect();
            let pays = if up_to { "pays up to" } else { "pays" };
            vec![
                "policy \"生成的政策\"\n  in force from 2020-01-01\n  cite \"一\"".to_string(),
                "enum size_class\n  values \"小\", \"中\", \"大\"".to_string(),
                format!("entity firm\n  key id\n  field id: text from \"编号\"\n{}", fields.join("\n")),
                "parameter sectors: list of text = [\"制造\", \"服务\"]\n  cite \"二\"".to_string(),
                format!("parameter rate: percent = {rate}%\n  cite \"二\""),
                "table score_table for firm: integer\n  cite \"三\"\n  by revenue\n  at least 1000万元 => 20\n  at least 100万元 and below 1000万元 => 10\n  below 100万元 => 0".to_string(),
                "value score for firm: integer = score_table + 0\n  cite \"三\"".to_string(),
                format!("rule first for firm\n  cite \"四\"\n  when {}", conditions[0]),
                format!("rule second for firm\n  cite \"四\"\n  when {}", conditions[1]),
                format!("decision chosen for firm\n  cite \"五\"\n  when first or ({})", conditions[2]),
                format!("award grant for firm\n  cite \"六\"\n  when chosen and second\n  {pays} {amount}万元"),
                format!(
                    "award share for firm\n  cite \"六\"\n  when {}\n  pays rate of revenue, at most 50万元",
                    conditions[3]
                ),
                "no stacking grants\n  cite \"七\"\n  among grant, share".to_string(),
            ]
        },
    )
}

/// A data file for the entity: a header and rows with every kind of cell, blanks included.
fn generated_data() -> impl Strategy<Value = String> {
    let cell = |values: Vec<&'static str>| prop::sample::select(values);
    let row = (
        cell(vec!["是", "否", "", "Y", "0"]),
        cell(vec!["0", "12", "1,200", "", "499"]),
        cell(vec!["0", "99.5", "1,000", "", "50000", "1000"]),
        cell(vec!["小", "中", "大", ""]),
        cell(vec!["2019-01-01", "2023/5/6", "2024年6月30日", ""]),
        cell(vec!["制造", "服务", "农业", ""]),
        cell(vec!["甲", "甲、乙", "丙", ""]),
    );
    prop::collection::vec(row, 1..8).prop_map(|rows| {
        let headers: Vec<&str> = FIELDS.iter().map(|(_, _, column)| *column).collect();
        let mut text = format!("编号,{}\n", headers.join(","));
        for (index, (flag, count, revenue, size, founded, sector, honours)) in rows.into_iter().enumerate() {
            let quote = |cell: &str| if cell.contains(',') { format!("\"{cell}\"") } else { cell.to_string() };
            text.push_str(&format!(
                "R{index},{flag},{},{},{size},{founded},{sector},{honours}\n",
                quote(count),
                quote(revenue)
            ));
        }
        text
    })
}

/// `source` laid out badly, as `choices` say: each space between two tokens becomes more
/// spaces, a tab, a line break, a comment and a line break, or nothing next to punctuation;
/// clauses get other indentations; comments and blank lines are added between lines. Every
/// comment is numbered, so that a comment moved past another shows.
fn laid_out_badly(source: &str, choices: &[u8]) -> String {
    let mut choices = choices.iter().copied().cycle();
    let mut next = move || choices.next().unwrap_or(0);
    let mut comments = 0;
    let mut comment = |kind: &str| {
        comments += 1;
        format!("# {kind} {comments}")
    };
    let mut out = String::new();
    for line in source.lines() {
        match next() % 8 {
            0 => out.push_str(&format!("   {}\n", comment("独立"))),
            1 => out.push_str(&format!("{}\n", comment("顶格"))),
            2 => out.push_str("\n\n"),
            _ => {}
        }
        let code = line.trim_start();
        if code.len() < line.len() {
            out.push_str(["  ", "    ", "\t", " ", "\u{3000}  "][usize::from(next() % 5)]);
        }
        let characters: Vec<char> = code.chars().collect();
        let mut in_text = false;
        for (index, character) in characters.iter().copied().enumerate() {
            let before = index.checked_sub(1).and_then(|before| characters.get(before)).copied().unwrap_or(' ');
            let after = characters.get(index + 1).copied().unwrap_or(' ');
            if character == '"' {
                in_text = !in_text;
            }
            // Spaces inside a token: quoted text, `2 years`, `no stacking`.
            let inside_token = in_text
                || (before.is_ascii_digit() && after.is_alphabetic())
                || (code[..code.char_indices().nth(index).map_or(0, |(offset, _)| offset)].ends_with("no")
                    && code[code.char_indices().nth(index).map_or(0, |(offset, _)| offset)..].starts_with(" stacking"));
            if character != ' ' || inside_token {
                out.push(character);
                continue;
            }
            let next_to_punctuation = ",([".contains(before) || ",)]".contains(after);
            match next() % 10 {
                0 => out.push_str("   "),
                1 => out.push('\t'),
                2 => out.push_str("\n      "),
                3 => out.push_str(&format!(" {}\n    ", comment("行中"))),
                4 => out.push_str("\n\n     "),
                5 if next_to_punctuation => {}
                _ => out.push(' '),
            }
        }
        if next() % 4 == 0 {
            out.push_str(&format!(" {}", comment("行尾")));
        }
        out.push('\n');
    }
    out
}

fn checked(source: &str) -> policy::check::Checked {
    let (file, syntax) = policy::syntax::parse(source);
    assert!(syntax.is_empty(), "{syntax:?}\n{source}");
    policy::check::check(&file)
}

/// Every step's value as the tree evaluator (the one explanations use) computes it from the
/// same record and the slots `decide` filled: it must be what `decide`'s lowered plan found.
/// Award amounts are checked against the tree evaluator too.
fn tree_decisions(
    program: &policy::compile::Program,
    record: &[policy::value::Value],
    outcome: &policy::eval::Outcome,
) -> Vec<policy::value::Value> {
    use policy::compile::StepKind;
    use policy::eval::{evaluate, lookup, truth};
    use policy::value::Value;
    let slots = &outcome.slots;
    let truth_value = |truth: Option<bool>| truth.map_or(Value::Unknown, Value::Bool);
    program
        .steps
        .iter()
        .map(|step| match &step.kind {
            StepKind::Condition(code) | StepKind::Value(code) => evaluate(code, record, slots).unwrap(),
            StepKind::Table { keys, rows, complete } => lookup(keys, rows, *complete, record, slots).unwrap().0,
            StepKind::Award { condition, amount, .. } => {
                let holds =
                    condition.as_ref().map_or(Some(true), |code| truth(&evaluate(code, record, slots).unwrap()));
                if holds == Some(true) {
                    let decided = outcome.awards.iter().find(|award| award.item == step.item).unwrap();
                    assert_eq!(decided.amount, evaluate(amount, record, slots).unwrap().as_number());
                }
                truth_value(holds)
            }
        })
        .collect()
}

/// `date ± duration` compared with a constant date is decided by a window on the date itself
/// (`plan::Test::DateWindow`): on every day of seven years, month ends and a leap day among
/// them, with every operator, both orders and several shifts, it decides as the tree evaluator.
#[test]
fn shifted_dates_compared_with_a_constant_decide_as_the_tree_evaluator() {
    let shifts = ["+ 2 years", "+ 1 month", "+ 13 months", "+ 1 day", "+ 30 days", "+ 0 days", "- 1 month", "- 1 year"];
    let mut rules = Vec::new();
    for (index, shift) in shifts.iter().enumerate() {
        for operator in ["<=", "<", ">", ">=", "=", "!="] {
            for limit in ["as_of", "2023-03-31"] {
                let number = rules.len();
                let when = if index % 2 == 0 {
                    format!("founded {shift} {operator} {limit}")
                } else {
                    format!("{limit} {operator} founded {shift}")
                };
                rules.push(format!("rule r{number} for firm\n  cite \"二\"\n  when {when}"));
            }
        }
    }
    let source = format!(
        "policy \"日期\"\n  in force from 2020-01-01\n  cite \"一\"\n\nentity firm\n  key id\n  field id: text from \"编号\"\n  field founded: date from \"成立日期\"\n\n{}",
        rules.join("\n\n")
    );
    let checked = checked(&source);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let settings = policy::compile::Settings {
        as_of: chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        overrides: Vec::new(),
    };
    let program = policy::compile::compile(&checked.model, 0, &settings);
    let mut data = String::from("编号,成立日期\n,\n");
    let mut day = chrono::NaiveDate::from_ymd_opt(2018, 1, 1).unwrap();
    while day < chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() {
        data.push_str(&format!("D{day},{day}\n"));
        day = day.succ_opt().unwrap();
    }
    data.push_str("Z,9999-12-31\nA,0000-01-01\n");
    let table = policy::data::read_table(data.as_bytes(), policy::data::InputFormat::Csv).unwrap();
    let mut decided = 0;
    for record in policy::data::read_records(&program.layout, &table).unwrap() {
        let record = record.unwrap();
        let outcome = policy::eval::decide(&program, &record.values);
        // Only rules, none reading another: each evaluated alone.
        let tree = program
            .steps
            .iter()
            .flat_map(|step| step.kind.codes())
            .map(|code| policy::eval::evaluate(code, &record.values, &[]));
        match outcome {
            Ok(outcome) => {
                let tree: Vec<_> = tree.map(Result::unwrap).collect();
                assert_eq!(outcome.slots, tree, "{:?}", record.key);
                decided += 1;
            }
            Err(_) => assert!(tree.into_iter().any(|value| value.is_err()), "{:?}", record.key),
        }
    }
    assert!(decided > 2_500, "{decided}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_policies_decide_every_generated_record(declarations in generated_policy(), data in generated_data()) {
        let source = declarations.join("\n\n");
        let checked = checked(&source);
        prop_assert!(!checked.has_errors(), "{:?}\n{}", checked.diagnostics, source);
        let model = &checked.model;
        let settings = policy::compile::Settings {
            as_of: chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
            overrides: Vec::new(),
        };
        let program = policy::compile::compile(model, 0, &settings);
        let table = policy::data::read_table(data.as_bytes(), policy::data::InputFormat::Csv).unwrap();
        let records = policy::data::read_records(&program.layout, &table).unwrap();
        prop_assert_eq!(records.len(), table.rows.len());
        // One for all the records, as `eval --explain` has: it copies an item's explanation
        // written for an earlier record with the same inputs, which must be what the tree says.
        let explaining = policy::explain::Explaining::new(
            model, &program, &source, policy::explain::Lang::En, policy::explain::Detail::Deciding,
        );
        for record in records {
            let record = record.unwrap();
            let outcome = policy::eval::decide(&program, &record.values);
            prop_assert!(outcome.is_ok(), "{:?} on {:?}", outcome, record);
            let outcome = outcome.unwrap();
            prop_assert_eq!(tree_decisions(&program, &record.values, &outcome), outcome.slots.clone(), "{}", source);
            let explanation = policy::explain::explain(
                model, &program, &source, record.key.as_deref(), &record.values, &outcome, policy::explain::Lang::En,
            );
            prop_assert!(explanation.is_ok());
            let deciding = explaining.deciding(&record.values, &outcome).unwrap();
            let mut written = Vec::new();
            explaining.write_deciding(&record.values, &outcome, &mut written).unwrap();
            prop_assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&deciding).unwrap(), "{}", source);
        }
    }

    #[test]
    fn a_policy_diffed_with_itself_or_reordered_shows_no_change(declarations in generated_policy(), seed in any::<u64>()) {
        let source = declarations.join("\n\n");
        let model = checked(&source).model;
        let version = policy::diff::Version { path: "a", source: &source, model: &model };
        prop_assert!(policy::diff::diff(&version, &version).is_empty());
        // Declarations in another order (the header stays first) mean the same.
        let mut reordered = declarations.clone();
        let tail = reordered.split_off(1);
        let mut tail: Vec<(u64, String)> = tail
            .into_iter()
            .enumerate()
            .map(|(index, text)| ((index as u64).wrapping_mul(seed | 1).rotate_left(17), text))
            .collect();
        tail.sort();
        reordered.extend(tail.into_iter().map(|(_, text)| text));
        let reordered_source = reordered.join("\n\n");
        let reordered_model = checked(&reordered_source).model;
        let other = policy::diff::Version { path: "b", source: &reordered_source, model: &reordered_model };
        let changes = policy::diff::diff(&version, &other);
        prop_assert!(changes.is_empty(), "{:?}", changes);
    }

    #[test]
    fn fmt_is_idempotent_and_keeps_the_meaning_and_the_comments(
        declarations in generated_policy(),
        choices in prop::collection::vec(any::<u8>(), 16..256),
    ) {
        let canonical = declarations.join("\n\n");
        for source in [canonical.clone(), laid_out_badly(&canonical, &choices)] {
            let once = policy::fmt::format(&source);
            prop_assert!(once.is_ok(), "{:#?}\n{}", once, source);
            let once = once.unwrap_or_default();
            prop_assert_eq!(policy::fmt::format(&once), Ok(once.clone()), "not idempotent on\n{}", source);
            prop_assert_eq!(meaning::comments(&source), meaning::comments(&once));
            meaning::assert_same_meaning(&source, &source, &once);
        }
    }

    /// Numbers are written for people without the formatting machinery, digit for digit as the
    /// decimal type writes them; dates as chrono writes them.
    #[test]
    fn numbers_and_dates_are_written_as_their_types_write_them(
        mantissa in any::<i128>(),
        scale in 0u32..=28,
        days in -1_000_000i32..4_000_000,
    ) {
        let number = rust_decimal::Decimal::from_i128_with_scale(mantissa % 79_228_162_514_264_337_593_543_950_335, scale);
        prop_assert_eq!(policy::output::decimal_text(number), number.normalize().to_string());
        if let Some(date) = chrono::NaiveDate::from_num_days_from_ce_opt(days) {
            prop_assert_eq!(policy::output::date_text(date), date.to_string());
        }
    }
}
