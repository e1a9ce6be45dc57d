//! Writes N synthetic Rizhao enterprise rows as CSV to standard output, for benchmarks:
//!
//! ```sh
//! cargo run --release --example gen_enterprises -- 1000000 > enterprises.csv
//! cargo run --release --example gen_enterprises -- 200 --seed 7 --city-columns-only
//! ```
//!
//! The header is that of `examples/rizhao/enterprises.csv` followed by the policy's four optional
//! columns (`--city-columns-only` leaves them out). The same N and seed always give the same file.

#[path = "../benches/rizhao/generator.rs"]
mod generator;

use std::process::ExitCode;

const USAGE: &str = "usage: gen_enterprises ROWS [--seed SEED] [--city-columns-only]";
/// The seed `scripts/bench.sh` and BENCHMARKS.md use, so that their files are the same.
const DEFAULT_SEED: u64 = 2022;

fn main() -> ExitCode {
    let mut rows = None;
    let mut seed = DEFAULT_SEED;
    let mut optional_columns = true;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--seed" => match arguments.next().and_then(|text| text.parse().ok()) {
                Some(value) => seed = value,
                None => return usage_error("--seed needs a whole number"),
            },
            "--city-columns-only" => optional_columns = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            text => match text.replace('_', "").parse::<u64>() {
                Ok(value) if rows.is_none() => rows = Some(value),
                _ => return usage_error(&format!("unexpected argument {text}")),
            },
        }
    }
    let Some(rows) = rows else { return usage_error("give the number of rows") };
    match generator::write_enterprises(rows, seed, optional_columns, std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is how a reader says it has enough, not a failure.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gen_enterprises: {error}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("gen_enterprises: {message}\n{USAGE}");
    ExitCode::from(2)
}
