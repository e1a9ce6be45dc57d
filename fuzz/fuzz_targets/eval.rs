//! Fuzz target: a policy and a data file (split at the first NUL byte) go through parse, check,
//! compile, reading, deciding, explaining and a diff with itself without a panic; the diff of
//! a policy with itself is empty.
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
            let Ok(outcome) = policy::eval::decide(&program, &record.values) else { continue };
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
