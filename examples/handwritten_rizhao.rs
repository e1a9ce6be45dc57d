//! The hand-written baseline of issue 6: the Rizhao enterprise rules in plain Rust, reading the
//! same CSV and writing the same JSON Lines as `policy eval`, to measure the language against:
//!
//! ```sh
//! cargo run --release --example handwritten_rizhao -- enterprises.csv --as-of 2024-06-30
//! cargo run --release --example handwritten_rizhao -- - --as-of 2024-06-30 --threads 2 < enterprises.csv
//! ```
//!
//! `--set listing_support_rate=10%` (and `exhibition_subsidy_rate`, `loan_interest_subsidy_rate`)
//! gives a rate the document leaves open, as `policy eval --set` does. `--threads N` decides on
//! N threads (default 1) while one more reads and another writes. A key an earlier row had makes
//! the row an error, as in `policy eval`. Exit code 1 when a row was rejected, as `policy eval`. The rules themselves are in `benches/rizhao/handwritten.rs`.

#[path = "../benches/rizhao/handwritten.rs"]
mod handwritten;

use chrono::NaiveDate;
use std::process::ExitCode;

const USAGE: &str = "usage: handwritten_rizhao FILE|- --as-of YYYY-MM-DD [--set NAME=RATE]... [--threads N] [-o FILE]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut path = None;
    let mut as_of = None;
    let mut assignments = Vec::new();
    let mut threads = 1usize;
    let mut output = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = |name: &str| arguments.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match argument.as_str() {
            "--as-of" => as_of = Some(value("--as-of")?),
            "--set" => assignments.push(value("--set")?),
            "--threads" => {
                threads = value("--threads")?.parse().map_err(|_| format!("--threads needs a number\n{USAGE}"))?
            }
            "-o" | "--output" => output = Some(value("-o")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            _ if path.is_none() => path = Some(argument),
            _ => return Err(format!("unexpected argument {argument}\n{USAGE}")),
        }
    }
    let path = path.ok_or_else(|| format!("give the data file\n{USAGE}"))?;
    // Unlike `policy eval`, no default of today: a benchmark must not change with the calendar.
    let as_of = as_of.ok_or_else(|| format!("give --as-of\n{USAGE}"))?;
    let as_of = NaiveDate::parse_from_str(&as_of, "%Y-%m-%d").map_err(|_| format!("--as-of {as_of} is not a date"))?;
    let mut settings = handwritten::Settings::new(as_of)?;
    for assignment in &assignments {
        settings.set(assignment)?;
    }
    let input: Box<dyn std::io::Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&path).map_err(|error| format!("cannot read {path}: {error}"))?)
    };
    // Unlocked handles: with --threads the writing happens on a thread of its own.
    let mut err = std::io::stderr();
    let counts = match output {
        Some(output) => {
            let file = std::fs::File::create(&output).map_err(|error| format!("cannot write {output}: {error}"))?;
            handwritten::run(input, &settings, threads, &mut std::io::BufWriter::new(file), &mut err)?
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
            handwritten::run(input, &settings, threads, &mut out, &mut err)?
        }
    };
    Ok(if counts.rejected > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
