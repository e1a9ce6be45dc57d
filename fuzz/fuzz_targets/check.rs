//! Fuzz target: parsing and checking any text never panics, and a model that checks compiles.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let (file, _) = policy::syntax::parse(&source);
    let checked = policy::check::check(&file);
    if checked.has_errors() {
        return;
    }
    let settings = policy::compile::Settings {
        as_of: chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap_or_default(),
        overrides: Vec::new(),
    };
    for entity in 0..checked.model.entities.len() {
        let _ = policy::compile::compile(&checked.model, entity, &settings);
    }
});
