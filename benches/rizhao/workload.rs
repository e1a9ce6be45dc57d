//! The records the evaluation-only benchmarks decide, built once before any clock starts, and the
//! loop that times an engine over them.
//!
//! One CSV is read twice: into the policy's typed records (`policy::data::read_records` with the
//! compiled program's layout, as `policy eval` reads it) and into the hand-written baseline's
//! structs, in the same order, so that every engine decides the same records. Shared by
//! `benches/evaluation.rs`, the peer crate in `benches/peers/` and `tests/benchmarks.rs`; expects
//! the including crate to have the baseline as `crate::handwritten`.

use crate::handwritten;
use chrono::NaiveDate;
use policy::check::Model;
use policy::compile::{Program, Settings};
use policy::value::Value;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// The date every benchmark decides as of: the one the city's samples are decided at.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 30).unwrap_or_default()
}

/// The Rizhao policy, checked and compiled for its enterprise entity.
pub struct Rizhao {
    pub model: Model,
    pub program: Program,
}

impl Rizhao {
    /// Panics when the policy does not check: a benchmark of a broken policy measures nothing.
    pub fn load(policy_path: &Path, as_of: NaiveDate) -> Rizhao {
        let source = std::fs::read_to_string(policy_path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", policy_path.display()));
        let (file, syntax_diagnostics) = policy::syntax::parse(&source);
        let checked = policy::check::check(&file);
        let errors: Vec<String> = syntax_diagnostics
            .iter()
            .chain(&checked.diagnostics)
            .filter(|diagnostic| diagnostic.is_error())
            .map(|diagnostic| diagnostic.message.clone())
            .collect();
        assert!(errors.is_empty(), "{} does not check: {errors:?}", policy_path.display());
        let entity = checked.model.entity_index("enterprise").expect("the Rizhao policy has an enterprise entity");
        let program = policy::compile::compile(&checked.model, entity, &Settings { as_of, overrides: Vec::new() });
        Rizhao { model: checked.model, program }
    }

    /// Whether every required field is known and every optional one blank: the records the
    /// peers' encodings decide (they have no unknowns and no open-rate supports).
    pub fn is_complete(&self, values: &[Value]) -> bool {
        self.program.layout.columns.iter().zip(values).all(|(column, value)| column.optional == value.is_unknown())
    }
}

/// The readable rows of one file, in both representations, in file order.
pub struct Workload {
    pub policy_records: Vec<Vec<Value>>,
    pub enterprises: Vec<handwritten::Enterprise>,
    /// For each record, [`Rizhao::is_complete`].
    pub complete: Vec<bool>,
}

impl Workload {
    /// Reads at most `limit` rows of `csv`. Rows either reader rejects are left out of both;
    /// panics when the two readers disagree on which rows those are.
    pub fn read(rizhao: &Rizhao, csv: &[u8], limit: usize) -> Workload {
        // Only the lines needed are parsed: a million typed records would take gigabytes. The
        // generated files have no line break inside a cell, so a line is a row.
        let end = csv
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(limit)
            .map_or(csv.len(), |(position, _)| position + 1);
        let csv = &csv[..end];
        let table = policy::data::read_table(csv, policy::data::InputFormat::Csv).expect("a readable CSV");
        let records = policy::data::read_records(&rizhao.program.layout, &table).expect("the enterprise columns");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv);
        // Rows of blank cells name no record; `read_table` skips them too.
        let mut rows = reader
            .records()
            .map(|row| row.expect("a CSV row"))
            .filter(|row| !row.iter().all(|cell| cell.trim().is_empty()));
        let header = rows.next().expect("a header row");
        let positions =
            handwritten::ColumnPositions::bind(header.iter().map(|cell| cell.trim_start_matches('\u{feff}')))
                .expect("the enterprise columns");
        let mut workload = Workload { policy_records: Vec::new(), enterprises: Vec::new(), complete: Vec::new() };
        for (record, row) in records.into_iter().zip(rows).take(limit) {
            let enterprise = handwritten::read_enterprise(&row, &positions);
            let key = row.get(0).map(str::trim);
            match (record, enterprise) {
                (Ok(record), Ok(enterprise)) => {
                    assert_eq!(record.key.as_deref(), key, "both readers at the same row");
                    workload.complete.push(rizhao.is_complete(&record.values));
                    workload.policy_records.push(record.values);
                    workload.enterprises.push(enterprise);
                }
                (Err(_), Err(_)) => {}
                (record, enterprise) => panic!("the readers disagree on a row: {record:?} / {enterprise:?}"),
            }
        }
        workload
    }

    /// The records for which `keep` holds, in both representations.
    pub fn only(&self, keep: impl Fn(usize) -> bool) -> Workload {
        let indices: Vec<usize> = (0..self.policy_records.len()).filter(|index| keep(*index)).collect();
        Workload {
            policy_records: indices.iter().map(|index| self.policy_records[*index].clone()).collect(),
            enterprises: indices.iter().map(|index| self.enterprises[*index].clone()).collect(),
            complete: indices.iter().map(|index| self.complete[*index]).collect(),
        }
    }
}

/// One engine's speed over a set of records.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub records: usize,
    pub records_per_second: f64,
}

impl Rate {
    pub fn nanoseconds_per_record(&self) -> f64 {
        1e9 / self.records_per_second
    }
}

/// Times `decide` (which decides record `index` and returns something to keep the optimiser
/// honest) over records `0..count` again and again for about `budget`, after a short warm-up.
/// The rate is that of the fastest full pass, or of the part of the first pass done within the
/// budget when one pass takes longer (the slow peers).
pub fn measure<T>(count: usize, budget: Duration, mut decide: impl FnMut(usize) -> T) -> Rate {
    assert!(count > 0, "nothing to measure");
    for index in 0..count.min(1_000) {
        black_box(decide(index));
    }
    let started = Instant::now();
    let mut best: Option<f64> = None;
    loop {
        let pass_started = Instant::now();
        let mut decided = 0usize;
        for index in 0..count {
            black_box(decide(index));
            decided += 1;
            // Checking the clock every record would cost as much as a fast engine's decision.
            if decided.is_multiple_of(1024) && best.is_none() && started.elapsed() > budget {
                break;
            }
        }
        let rate = decided as f64 / pass_started.elapsed().as_secs_f64();
        best = Some(best.map_or(rate, |best: f64| best.max(rate)));
        if decided < count || started.elapsed() > budget {
            break;
        }
    }
    Rate { records: count, records_per_second: best.unwrap_or_default() }
}

/// A line of the results table.
pub fn report(engine: &str, rate: Rate, baseline: Option<Rate>) {
    let relative = baseline
        .map(|baseline| {
            format!("{:>7.2}× the hand-written time", baseline.records_per_second / rate.records_per_second)
        })
        .unwrap_or_default();
    println!(
        "{engine:<44} {:>9} records {:>12.0} records/s {:>9.1} ns/record {relative}",
        rate.records,
        rate.records_per_second,
        rate.nanoseconds_per_record()
    );
}
