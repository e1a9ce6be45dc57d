//! Evaluation only (issue 6, measurement 3), the four engines in one run: on the same complete
//! Rizhao enterprise records, already parsed, one thread each, records per second of
//! `policy::eval::decide`, the hand-written baseline, zen-expression and regorus (its
//! interpreter and its compiled virtual machine). Before timing, every engine's outcome is
//! checked against the policy's on every record, so a fast wrong encoding cannot win.
//!
//! ```sh
//! cargo bench --manifest-path benches/peers/Cargo.toml                      # 200,000 generated rows
//! cargo bench --manifest-path benches/peers/Cargo.toml -- --file enterprises.csv --rows 200000
//! cargo bench --manifest-path benches/peers/Cargo.toml -- --only zen        # one engine, e.g. under perf
//! ```

use policy_peers::workload::{self, measure, report, Rizhao, Workload};
use policy_peers::{generator, handwritten, repository, Outcome, PeerInputs, RegoInterpreter, RegoVirtualMachine, Zen};
use std::time::Duration;

const DEFAULT_ROWS: usize = 200_000;
const BUDGET: Duration = Duration::from_secs(3);

fn main() {
    let mut file = None;
    let mut rows = DEFAULT_ROWS;
    let mut only: Option<String> = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--file" => file = arguments.next(),
            "--rows" => rows = arguments.next().and_then(|text| text.replace('_', "").parse().ok()).expect("--rows N"),
            "--only" => only = arguments.next(),
            // `cargo bench` passes `--bench`; other harness flags mean nothing here.
            _ => {}
        }
    }
    let csv = match &file {
        Some(path) => std::fs::read(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}")),
        None => {
            let mut csv = Vec::new();
            generator::write_enterprises(rows as u64, 2022, true, &mut csv).expect("generated rows");
            csv
        }
    };
    let as_of = workload::as_of();
    let rizhao = Rizhao::load(&repository().join("policies/rizhao-2022.policy"), as_of);
    let all = Workload::read(&rizhao, &csv, rows);
    let records = all.only(|index| all.complete[index]);
    let count = records.policy_records.len();
    let inputs = PeerInputs::build(&rizhao, &records.policy_records);
    let settings = handwritten::Settings::new(as_of).expect("a date in force");
    let mut interpreter = RegoInterpreter::new(as_of);
    let mut machine = RegoVirtualMachine::new(as_of);
    let mut zen = Zen::new(as_of);

    check_agreement(&rizhao, &records, &inputs, &settings, &mut interpreter, &mut machine, &mut zen);
    println!(
        "evaluation only, one thread, complete records: {count} of the first {} rows of {}",
        all.policy_records.len(),
        file.as_deref().unwrap_or("the generator, seed 2022")
    );
    let wanted = |engine: &str| only.as_deref().is_none_or(|only| engine.contains(only));
    let handwritten_rate = wanted("hand-written")
        .then(|| measure(count, BUDGET, |index| handwritten::decide(&records.enterprises[index], &settings)));
    if let Some(rate) = handwritten_rate {
        report("hand-written Rust", rate, None);
    }
    let program = &rizhao.program;
    // As `policy eval` decides: one outcome whose vectors each record reuses.
    let mut outcome = policy::eval::Outcome::default();
    let engines: [(&str, &mut dyn FnMut(usize) -> bool); 4] = [
        ("policy::eval::decide", &mut |index| {
            policy::eval::decide_into(program, &records.policy_records[index], &mut outcome).is_ok()
        }),
        ("zen-expression", &mut |index| zen.evaluate(&inputs.zen[index]).as_bool().is_none()),
        ("regorus (RVM)", &mut |index| machine.evaluate(&inputs.rego[index]) == regorus::Value::Undefined),
        ("regorus (interpreter, Engine::eval_rule)", &mut |index| {
            interpreter.evaluate(&inputs.rego[index]) == regorus::Value::Undefined
        }),
    ];
    for (engine, decide) in engines {
        if wanted(engine) {
            report(engine, measure(count, BUDGET, decide), handwritten_rate);
        }
    }
}

/// Every engine decides every record as the policy does; panics on the first that does not.
fn check_agreement(
    rizhao: &Rizhao,
    records: &Workload,
    inputs: &PeerInputs,
    settings: &handwritten::Settings,
    interpreter: &mut RegoInterpreter,
    machine: &mut RegoVirtualMachine,
    zen: &mut Zen,
) {
    // The slow interpreter is checked on a sample so that checking does not take minutes.
    const INTERPRETER_CHECKS: usize = 20_000;
    for (index, values) in records.policy_records.iter().enumerate() {
        let outcome = policy::eval::decide(&rizhao.program, values).expect("a complete record decides");
        let expected = Outcome::of_policy(rizhao, &outcome);
        let decision = handwritten::decide(&records.enterprises[index], settings).expect("decided by hand");
        let mut line = Vec::new();
        handwritten::write_decision(&mut line, None, &decision);
        let by_hand = Outcome::from_json(&serde_json::from_slice(&line).expect("JSON"));
        let input = &inputs.json[index];
        assert_eq!(by_hand, expected, "hand-written Rust on {input}");
        assert_eq!(Zen::outcome(&zen.evaluate(&inputs.zen[index])), expected, "zen on {input}");
        assert_eq!(RegoInterpreter::outcome(&machine.evaluate(&inputs.rego[index])), expected, "RVM on {input}");
        if index < INTERPRETER_CHECKS {
            let interpreted = RegoInterpreter::outcome(&interpreter.evaluate(&inputs.rego[index]));
            assert_eq!(interpreted, expected, "regorus on {input}");
        }
    }
}
