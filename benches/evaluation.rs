//! Evaluation only (issue 6, measurement 3): records already parsed, one thread, how many
//! Rizhao enterprise records per second `policy::eval::decide` and the hand-written baseline
//! decide; and how long checking the Rizhao policy takes in process (measurement 4, without the
//! start of a process that `scripts/bench.sh` times with the command line). The peer engines (regorus, zen) are measured with these two in the crate
//! `benches/peers/` (`cargo bench --manifest-path benches/peers/Cargo.toml`), kept apart because
//! of their build time.
//!
//! ```sh
//! cargo bench --bench evaluation                                  # 200,000 generated rows
//! cargo bench --bench evaluation -- --file enterprises.csv --rows 500000
//! cargo bench --bench evaluation -- --only policy      # one engine, e.g. under `perf record`
//! ```
//!
//! Not a timed test: `tests/benchmarks.rs` checks that the two decide alike.

#[path = "rizhao/generator.rs"]
#[allow(dead_code)] // the benchmark uses part of the generator
mod generator;
#[path = "rizhao/handwritten.rs"]
#[allow(dead_code)] // the benchmark decides; it does not read files or write lines
mod handwritten;
#[path = "rizhao/workload.rs"]
#[allow(dead_code)] // the peer crate reads the model too
mod workload;

use std::path::Path;
use std::time::{Duration, Instant};
use workload::{measure, report, Rizhao, Workload};

/// Enough records that they do not fit in any cache, as in a real run.
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
            // `cargo bench` passes `--bench`; a filter or other harness flags mean nothing here.
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
    let policy_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/rizhao-2022.policy");
    if only.as_deref().is_none_or(|only| "check".contains(only)) {
        report_check(&policy_path);
    }
    let rizhao = Rizhao::load(&policy_path, workload::as_of());
    let all = Workload::read(&rizhao, &csv, rows);
    let complete = all.only(|index| all.complete[index]);
    let settings = handwritten::Settings::new(workload::as_of()).expect("a date in force");
    println!(
        "evaluation only, one thread; {} records from {} ({} complete)",
        all.policy_records.len(),
        file.as_deref().unwrap_or("the generator, seed 2022"),
        complete.policy_records.len()
    );
    for (label, records) in [("complete records", &complete), ("all records (blanks, open rates)", &all)] {
        println!("\n{label}:");
        let program = &rizhao.program;
        let wanted = |engine: &str| only.as_deref().is_none_or(|only| engine.contains(only));
        let handwritten_rate = wanted("hand-written").then(|| {
            measure(records.enterprises.len(), BUDGET, |index| {
                handwritten::decide(&records.enterprises[index], &settings)
            })
        });
        if let Some(rate) = handwritten_rate {
            report("hand-written Rust", rate, None);
        }
        if wanted("policy") {
            // As `policy eval` decides: one outcome whose vectors each record reuses.
            let mut outcome = policy::eval::Outcome::default();
            let rate = measure(records.policy_records.len(), BUDGET, |index| {
                policy::eval::decide_into(program, &records.policy_records[index], &mut outcome).is_ok()
                    && outcome.total.is_zero()
            });
            report("policy::eval::decide", rate, handwritten_rate);
        }
    }
}

/// Parsing and checking the policy, as `policy check` does once the file is read.
fn report_check(policy_path: &Path) {
    let source = std::fs::read_to_string(policy_path).expect("the Rizhao policy");
    let started = Instant::now();
    let mut checks = 0u32;
    while checks < 20 || started.elapsed() < Duration::from_secs(1) {
        let (file, _) = policy::syntax::parse(&source);
        std::hint::black_box(policy::check::check(&file));
        checks += 1;
    }
    let milliseconds = started.elapsed().as_secs_f64() * 1e3 / f64::from(checks);
    println!(
        "check of {} (parse + check, in process): {milliseconds:.2} ms per check, {checks} checks",
        policy_path.display()
    );
}
