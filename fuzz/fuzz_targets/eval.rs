//! Fuzz target: a policy and a data file (split at the first NUL byte) go through parse, check,
//! compile, reading, deciding, explaining and a diff with itself without a panic; the diff of
//! a policy with itself is empty; every step decided by the lowered plan has the value the tree
//! evaluator gives it, and a record the plan cannot decide fails with the tree evaluator's
//! first error; the deciding explanation written into a line is the node tree's JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|byte| *byte == 0).unwrap_or(data.len());
    let (policy_bytes, data_bytes) = data.split_at(split);
    let source = String::from_utf8_lossy(policy_bytes);
    let (file, _) = policy::syntax::parse(&source);
    let checked = policy::check::check(&file);
    if checked.has_errors() {
        return;
    }
    let model = &checked.model;
    let version = policy::diff::Version { path: "fuzz", source: &source, model };
    assert!(policy::diff::diff(&version, &version).is_empty(), "a policy differs from itself");
    let settings = policy::compile::Settings {
        as_of: chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap_or_default(),
        overrides: Vec::new(),
    };
    let Ok(table) = policy::data::read_table(data_bytes.get(1..).unwrap_or_default(), policy::data::InputFormat::Csv)
    else {
        return;
    };
    for entity in 0..model.entities.len() {
        let program = policy::compile::compile(model, entity, &settings);
        let Ok(records) = policy::data::read_records(&program.layout, &table) else { continue };
        for record in records.into_iter().flatten() {
            let mut outcome = policy::eval::Outcome::default();
            if let Err(error) = policy::eval::decide_into(&program, &record.values, &mut outcome) {
                fails_where_the_tree_evaluator_fails(&program, &record.values, &outcome, error);
                continue;
            }
            agrees_with_the_tree_evaluator(&program, &record.values, &outcome);
            let explaining = policy::explain::Explaining::new(
                model,
                &program,
                &source,
                policy::explain::Lang::Zh,
                policy::explain::Detail::Deciding,
            );
            if let Ok(deciding) = explaining.deciding(&record.values, &outcome) {
                let mut written = Vec::new();
                assert!(explaining.write_deciding(&record.values, &outcome, &mut written).is_ok());
                assert_eq!(written, serde_json::to_vec(&deciding).unwrap_or_default(), "written ≠ tree");
            }
            let _ = policy::explain::explain(
                model,
                &program,
                &source,
                record.key.as_deref(),
                &record.values,
                &outcome,
                policy::explain::Lang::Zh,
            );
        }
    }
});

/// Each step's slot as `decide` (the lowered plan) filled it is what the tree evaluator computes
/// from the same record and slots.
fn agrees_with_the_tree_evaluator(
    program: &policy::compile::Program,
    record: &[policy::value::Value],
    outcome: &policy::eval::Outcome,
) {
    use policy::compile::StepKind;
    use policy::eval::{evaluate, lookup, truth};
    use policy::value::Value;
    let slots = &outcome.slots;
    for (step, decided) in program.steps.iter().zip(slots) {
        let tree = match &step.kind {
            StepKind::Condition(code) | StepKind::Value(code) => evaluate(code, record, slots).ok(),
            StepKind::Table { keys, rows, complete } => lookup(keys, rows, *complete, record, slots).ok().map(|found| found.0),
            StepKind::Award { condition, .. } => match condition {
                Some(code) => evaluate(code, record, slots).ok().map(|value| truth(&value).map_or(Value::Unknown, Value::Bool)),
                None => Some(Value::Bool(true)),
            },
        };
        if let Some(tree) = tree {
            assert_eq!(&tree, decided, "the plan and the tree evaluator disagree");
        }
    }
}

/// When `decide` meets an error, the tree evaluator, given the slots decided before it, meets
/// the same error first: the plan works the parts of a condition out in another order, but
/// never one that can fail.
fn fails_where_the_tree_evaluator_fails(
    program: &policy::compile::Program,
    record: &[policy::value::Value],
    outcome: &policy::eval::Outcome,
    error: policy::eval::EvalError,
) {
    use policy::compile::StepKind;
    use policy::eval::{evaluate, lookup, truth};
    let slots = &outcome.slots;
    for step in &program.steps {
        let tree = match &step.kind {
            StepKind::Condition(code) | StepKind::Value(code) => evaluate(code, record, slots).map(drop),
            StepKind::Table { keys, rows, complete } => lookup(keys, rows, *complete, record, slots).map(drop),
            StepKind::Award { condition, amount, cap, .. } => (|| {
                let holds = match condition {
                    Some(code) => truth(&evaluate(code, record, slots)?),
                    None => Some(true),
                };
                if holds == Some(true) {
                    evaluate(amount, record, slots)?;
                    if let Some(cap) = cap {
                        evaluate(cap, record, slots)?;
                    }
                }
                Ok(())
            })(),
        };
        if let Err(tree_error) = tree {
            assert_eq!(tree_error, error, "the plan and the tree evaluator fail differently");
            return;
        }
    }
    panic!("the plan failed where the tree evaluator did not: {error:?}");
}
