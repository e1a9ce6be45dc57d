//! The `policy` command line: reads files, runs the pipeline, writes results. This is the only
//! module (with `main.rs`) that does I/O; [`run`] takes its output streams so tests can drive it.

use crate::check::{self, Model};
use crate::compile::{self, Program, Settings};
use crate::data::{self, InputFormat, RawTable};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::eval::{self, EvalError};
use crate::{diff, explain, output, syntax};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(name = "policy", version, about = "Check, evaluate and explain subsidy and eligibility policies")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check policy files: syntax, names, types; warnings for what looks wrong.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
    },
    /// Decide every record of a data file (CSV or JSON Lines).
    Eval {
        policy: PathBuf,
        data: PathBuf,
        #[command(flatten)]
        run: RunOptions,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: EvalFormat,
        /// Write the results to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Add each record's explanation (the JSON of `explain --format json`) to its line.
        #[arg(long)]
        explain: bool,
        /// The language of the explanations' structural words.
        #[arg(long, value_enum, default_value = "zh")]
        lang: explain::Lang,
    },
    /// Explain why a record was decided as it was: why (not), what is missing, what would change it.
    Explain {
        policy: PathBuf,
        data: PathBuf,
        /// The record's key (e.g. its 统一社会信用代码).
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every record of the file; with --format html, one report with a summary at the top.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        run: RunOptions,
        #[arg(long, value_enum, default_value = "text")]
        format: ExplainFormat,
        /// The language of the structural words; the policy's own labels stay as written.
        #[arg(long, value_enum, default_value = "zh")]
        lang: explain::Lang,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// What a new version changes in meaning; with --data, whom it affects. Exit 0 when
    /// nothing changed in meaning, 1 when something did, 2 on errors.
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// Decide this data file under both versions and report the impact.
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        run: RunOptions,
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum DiffFormat {
    Text,
    Json,
    Html,
}

#[derive(clap::Args, Debug)]
struct RunOptions {
    /// The entity the data holds; may be left out when the header matches exactly one.
    #[arg(long)]
    entity: Option<String>,
    /// The evaluation date (YYYY-MM-DD); defaults to today.
    #[arg(long)]
    as_of: Option<String>,
    /// Give a parameter a value: --set revenue_floor=1000万元 (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum EvalFormat {
    Jsonl,
    Csv,
    Table,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ExplainFormat {
    Text,
    Json,
    Html,
}

/// Runs the command line `arguments` (without the program name); returns the exit code.
pub fn run(arguments: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write, colour: bool) -> i32 {
    let arguments = std::iter::once(OsString::from("policy")).chain(arguments);
    let cli = match Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = if error.use_stderr() { write!(err, "{error}") } else { write!(out, "{error}") };
            return code;
        }
    };
    // diff(1) keeps 1 for "they differ": its failures exit with 2.
    let failure_code = if matches!(cli.command, Command::Diff { .. }) { 2 } else { 1 };
    let result = match cli.command {
        Command::Check { files, format } => check_files(&files, format, out, err, colour),
        Command::Eval { policy, data, run, format, output, explain, lang } => {
            let explain = explain.then_some(lang);
            evaluate_file(&policy, &data, &run, format, output.as_deref(), explain, out, err, colour)
        }
        Command::Explain { policy, data, id, all: _, run, format, lang, output } => {
            let request = ExplainRequest { id: id.as_deref(), format, lang, output: output.as_deref() };
            explain_records(&policy, &data, &run, &request, out, err, colour)
        }
        Command::Diff { old, new, data, run, format, output } => {
            diff_files(&old, &new, data.as_deref(), &run, format, output.as_deref(), out, err, colour)
        }
    };
    match result {
        Ok(code) => code,
        Err(Failure(message)) => {
            let _ = writeln!(err, "error: {message}");
            failure_code
        }
    }
}

/// A failure already worth one line to the user.
struct Failure(String);

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure(format!("cannot write the output: {error}"))
    }
}

/// A policy file read, parsed and checked.
struct Loaded {
    path: String,
    source: String,
    model: Model,
    diagnostics: Vec<Diagnostic>,
}

fn load(path: &Path) -> Result<Loaded, Failure> {
    let bytes = std::fs::read(path).map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
    let display = path.display().to_string();
    let (source, mut diagnostics) = match String::from_utf8(bytes) {
        Ok(source) => (source, Vec::new()),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let source = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let diagnostic = Diagnostic::error(
                "syntax::encoding",
                "the policy file is not UTF-8 text",
                syntax::Span::new(valid, valid + 1),
                "invalid byte here",
            )
            .with_help("save the file as UTF-8 (policies are text; data files may be GBK, policies may not)");
            (source, vec![diagnostic])
        }
    };
    let (file, syntax_diagnostics) = syntax::parse(&source);
    diagnostics.extend(syntax_diagnostics);
    let checked = check::check(&file);
    diagnostics.extend(checked.diagnostics);
    Ok(Loaded { path: display, source, model: checked.model, diagnostics })
}

fn check_files(
    files: &[PathBuf],
    format: CheckFormat,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    let mut failed = false;
    let mut json_diagnostics = Vec::new();
    for path in files {
        let loaded = match load(path) {
            Ok(loaded) => loaded,
            Err(Failure(message)) => {
                writeln!(err, "error: {message}")?;
                failed = true;
                continue;
            }
        };
        failed |= loaded.diagnostics.iter().any(Diagnostic::is_error);
        match format {
            CheckFormat::Text => {
                write!(err, "{}", diagnostic::render(&loaded.diagnostics, &loaded.path, &loaded.source, colour))?;
                let errors =
                    loaded.diagnostics.iter().filter(|diagnostic| diagnostic.severity == Severity::Error).count();
                let warnings = loaded.diagnostics.len() - errors;
                writeln!(err, "{}: {errors} error(s), {warnings} warning(s)", loaded.path)?;
            }
            CheckFormat::Json => {
                for found in &loaded.diagnostics {
                    let span = found.primary_span();
                    let position = diagnostic::line_column(&loaded.source, span.start);
                    json_diagnostics.push(serde_json::json!({
                        "file": loaded.path,
                        "line": position.line,
                        "column": position.column,
                        "span": {"start": span.start, "end": span.end},
                        "severity": found.severity,
                        "code": found.code,
                        "message": found.message,
                        "help": found.help,
                    }));
                }
            }
        }
    }
    if let CheckFormat::Json = format {
        writeln!(out, "{}", serde_json::Value::Array(json_diagnostics))?;
    }
    Ok(i32::from(failed))
}

/// Loads a policy and refuses to go on if it has errors.
fn load_checked(path: &Path, err: &mut dyn Write, colour: bool) -> Result<Loaded, Failure> {
    let loaded = load(path)?;
    if loaded.diagnostics.iter().any(Diagnostic::is_error) {
        let errors: Vec<Diagnostic> =
            loaded.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).cloned().collect();
        write!(err, "{}", diagnostic::render(&errors, &loaded.path, &loaded.source, colour))?;
        return Err(Failure(format!("{} has errors; run `policy check {}`", loaded.path, loaded.path)));
    }
    Ok(loaded)
}

/// The evaluation date, the overrides and the entity: everything fixed before reading rows.
fn settings(loaded: &Loaded, run: &RunOptions) -> Result<Settings, Failure> {
    let as_of = match &run.as_of {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| Failure(format!("--as-of {text} is not a date; write YYYY-MM-DD, e.g. 2024-06-30")))?,
        None => chrono::Local::now().date_naive(),
    };
    if let Some((from, to)) = loaded.model.header.window {
        if as_of < from || to.is_some_and(|to| as_of > to) {
            let window = match to {
                Some(to) => format!("from {from} to {to} (both included)"),
                None => format!("from {from}"),
            };
            return Err(Failure(format!(
                "the policy is not in force on {as_of}: {} is in force {window}{}; give an evaluation date inside the window with --as-of",
                loaded.model.header.title,
                loaded.model.header.provenance.citation.as_ref().map(|citation| format!(" [{citation}]")).unwrap_or_default()
            )));
        }
    }
    let mut overrides = Vec::new();
    for assignment in &run.set {
        let parsed = compile::parse_override(&loaded.model, assignment).map_err(|diagnostic| {
            Failure(match diagnostic.help {
                Some(help) => format!("{}\n  help: {help}", diagnostic.message),
                None => diagnostic.message,
            })
        })?;
        overrides.push(parsed);
    }
    Ok(Settings { as_of, overrides })
}

fn read_data(path: &Path) -> Result<RawTable, Failure> {
    let bytes = std::fs::read(path).map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
    data::read_table(&bytes, InputFormat::from_path(path))
        .map_err(|error| Failure(format!("{}: {error}", path.display())))
}

fn choose_entity(model: &Model, requested: Option<&str>, table: &RawTable, path: &Path) -> Result<usize, Failure> {
    if let Some(name) = requested {
        return model.entity_index(name).ok_or_else(|| {
            let names: Vec<&str> = model.entities.iter().map(|entity| entity.name.as_str()).collect();
            Failure(format!("the policy has no entity `{name}`; it has: {}", names.join(", ")))
        });
    }
    let matching: Vec<usize> = (0..model.entities.len())
        .filter(|index| data::header_matches(&compile::layout(model, *index), &table.headers))
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => {
            let names: Vec<&str> = model.entities.iter().map(|entity| entity.name.as_str()).collect();
            Err(Failure(format!(
                "the columns of {} match no entity of the policy ({}); name one with --entity to see which columns are missing",
                path.display(),
                names.join(", ")
            )))
        }
        several => {
            let names: Vec<&str> = several
                .iter()
                .filter_map(|index| model.entities.get(*index))
                .map(|entity| entity.name.as_str())
                .collect();
            Err(Failure(format!(
                "the columns of {} match several entities ({}); choose one with --entity",
                path.display(),
                names.join(", ")
            )))
        }
    }
}

/// Everything `eval` and `explain` share: policy, settings, data, entity, program.
struct Prepared {
    loaded: Loaded,
    program: Program,
    records: Vec<Result<data::Record, data::RowError>>,
}

fn prepare(
    policy: &Path,
    data_path: &Path,
    run: &RunOptions,
    err: &mut dyn Write,
    colour: bool,
) -> Result<Prepared, Failure> {
    let loaded = load_checked(policy, err, colour)?;
    let settings = settings(&loaded, run)?;
    let table = read_data(data_path)?;
    let entity = choose_entity(&loaded.model, run.entity.as_deref(), &table, data_path)?;
    let program = compile::compile(&loaded.model, entity, &settings);
    let records = data::read_records(&program.layout, &table).map_err(|error| {
        let entity_name = loaded.model.entities.get(entity).map(|entity| entity.name.as_str()).unwrap_or("");
        Failure(format!("{}: {error} (entity `{entity_name}`)", data_path.display()))
    })?;
    Ok(Prepared { loaded, program, records })
}

fn eval_error_text(model: &Model, error: &EvalError) -> String {
    match error {
        EvalError::MissingParameter { parameter, .. } => {
            let definition = model.parameters.get(*parameter);
            let name = definition.map(|definition| definition.name.as_str()).unwrap_or("?");
            let citation = definition
                .and_then(|definition| definition.provenance.citation.clone())
                .map(|citation| format!(" [{citation}]"))
                .unwrap_or_default();
            format!("the parameter `{name}`{citation} has no value in the policy and this record needs it; give it with --set {name}=VALUE")
        }
        EvalError::Overflow { .. } => {
            "an amount on this record is beyond the exact decimal range (overflow)".to_string()
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn evaluate_file(
    policy: &Path,
    data_path: &Path,
    run: &RunOptions,
    format: EvalFormat,
    output_path: Option<&Path>,
    explain_in: Option<explain::Lang>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    if explain_in.is_some() && !matches!(format, EvalFormat::Jsonl) {
        return Err(Failure("--explain adds a JSON explanation to each line: use it with --format jsonl".into()));
    }
    let prepared = prepare(policy, data_path, run, err, colour)?;
    let model = &prepared.loaded.model;
    let program = &prepared.program;
    let mut file;
    let destination: &mut dyn Write = match output_path {
        Some(path) => {
            file = std::fs::File::create(path)
                .map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?;
            &mut file
        }
        None => out,
    };
    // JSON Lines are written as each record is decided, so memory does not grow with the file.
    let mut sink = std::io::BufWriter::with_capacity(1 << 20, destination);
    let explaining = explain_in
        .map(|lang| explain::Explaining::new(model, program, &prepared.loaded.source, lang, explain::Detail::Deciding));
    let mut rejected = 0usize;
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut text = String::new();
    let headers = output::flat_headers(model, program);
    for record in &prepared.records {
        let result =
            record.as_ref().map_err(|error| (error.key.clone(), error.row, error.to_string())).and_then(|record| {
                let outcome = eval::decide(program, &record.values)
                    .map_err(|error| (record.key.clone(), record.row, eval_error_text(model, &error)))?;
                let explanation = match &explaining {
                    Some(explaining) => Some(
                        explaining
                            .explain(record.key.as_deref(), &record.values, &outcome)
                            .map_err(|error| (record.key.clone(), record.row, eval_error_text(model, &error)))?,
                    ),
                    None => None,
                };
                Ok((record.key.clone(), outcome, explanation))
            });
        match (result, format) {
            (Ok((key, outcome, explanation)), EvalFormat::Jsonl) => {
                let line = output::decision_json(model, program, key.as_deref(), &outcome).to_string();
                match explanation {
                    // Written straight after the decision's fields: going through a JSON value
                    // tree would cost more than building the explanation.
                    Some(explanation) => {
                        sink.write_all(line.strip_suffix('}').unwrap_or(&line).as_bytes())?;
                        sink.write_all(b",\"explanation\":")?;
                        serde_json::to_writer(&mut sink, &explanation).map_err(|error| Failure(error.to_string()))?;
                        sink.write_all(b"}\n")?;
                    }
                    None => writeln!(sink, "{line}")?,
                }
            }
            (Ok((key, outcome, _)), _) => lines.push(output::flat_row(model, program, key.as_deref(), &outcome)),
            (Err((key, row, message)), format) => {
                rejected += 1;
                writeln!(
                    err,
                    "row {row}{}: {message}",
                    key.as_ref().map(|key| format!(" ({key})")).unwrap_or_default()
                )?;
                match format {
                    EvalFormat::Jsonl => writeln!(sink, "{}", output::error_json(key.as_deref(), row, &message))?,
                    _ => lines.push(output::flat_error_row(headers.len(), key.as_deref(), row, &message)),
                }
            }
        }
    }
    match format {
        EvalFormat::Jsonl => {}
        EvalFormat::Table => text = output::text_table(&headers, &lines),
        EvalFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let mut write_all = || -> Result<(), csv::Error> {
                writer.write_record(&headers)?;
                for line in &lines {
                    writer.write_record(line)?;
                }
                writer.flush()?;
                Ok(())
            };
            write_all().map_err(|error| Failure(format!("cannot write CSV: {error}")))?;
            let bytes = writer.into_inner().map_err(|error| Failure(format!("cannot write CSV: {error}")))?;
            // A BOM so that Excel on Chinese Windows opens the UTF-8 file correctly.
            text = format!("\u{FEFF}{}", String::from_utf8_lossy(&bytes));
        }
    }
    sink.write_all(text.as_bytes())?;
    sink.flush()?;
    if rejected > 0 {
        writeln!(err, "{rejected} of {} rows could not be decided", prepared.records.len())?;
    }
    Ok(i32::from(rejected > 0))
}

/// What `explain` was asked for.
struct ExplainRequest<'a> {
    /// One record's key, or every record when `None` (`--all`).
    id: Option<&'a str>,
    format: ExplainFormat,
    lang: explain::Lang,
    output: Option<&'a Path>,
}

fn explain_records(
    policy: &Path,
    data_path: &Path,
    run: &RunOptions,
    request: &ExplainRequest,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    let prepared = prepare(policy, data_path, run, err, colour)?;
    let model = &prepared.loaded.model;
    let program = &prepared.program;
    let explain_one = |record: &data::Record| -> Result<(eval::Outcome, explain::Explanation), String> {
        let outcome = eval::decide(program, &record.values).map_err(|error| eval_error_text(model, &error))?;
        let explanation = explain::explain(
            model,
            program,
            &prepared.loaded.source,
            record.key.as_deref(),
            &record.values,
            &outcome,
            request.lang,
        )
        .map_err(|error| eval_error_text(model, &error))?;
        Ok((outcome, explanation))
    };
    let mut rejected = Vec::new();
    let mut outcomes = Vec::new();
    let mut explanations = Vec::new();
    match request.id {
        Some(id) => {
            let found = prepared.records.iter().find(|record| match record {
                Ok(record) => record.key.as_deref() == Some(id),
                Err(error) => error.key.as_deref() == Some(id),
            });
            let record = match found {
                None => return Err(Failure(format!("no record with key {id} in {}", data_path.display()))),
                Some(Err(error)) => return Err(Failure(format!("row {} ({id}) cannot be read: {error}", error.row))),
                Some(Ok(record)) => record,
            };
            let (outcome, explanation) = explain_one(record).map_err(Failure)?;
            outcomes.push(outcome);
            explanations.push(explanation);
        }
        None => {
            for record in &prepared.records {
                let result = match record {
                    Ok(record) => explain_one(record).map_err(|message| (record.row, record.key.clone(), message)),
                    Err(error) => Err((error.row, error.key.clone(), error.to_string())),
                };
                match result {
                    Ok((outcome, explanation)) => {
                        outcomes.push(outcome);
                        explanations.push(explanation);
                    }
                    Err((row, key, message)) => {
                        writeln!(
                            err,
                            "row {row}{}: {message}",
                            key.as_ref().map(|key| format!(" ({key})")).unwrap_or_default()
                        )?;
                        rejected.push((row, key, message));
                    }
                }
            }
        }
    }
    let text = match (request.format, request.id) {
        (ExplainFormat::Text, _) => explanations
            .iter()
            .map(|explanation| explain::render_text(explanation, colour && request.output.is_none()))
            .collect::<Vec<_>>()
            .join("\n"),
        (ExplainFormat::Json, Some(_)) => {
            let json = explanations.first().map(serde_json::to_string_pretty).transpose();
            format!("{}\n", json.map_err(|error| Failure(error.to_string()))?.unwrap_or_default())
        }
        (ExplainFormat::Json, None) => {
            let mut lines = String::new();
            for explanation in &explanations {
                lines.push_str(&serde_json::to_string(explanation).map_err(|error| Failure(error.to_string()))?);
                lines.push('\n');
            }
            lines
        }
        (ExplainFormat::Html, Some(_)) => explanations.first().map(explain::record_page).unwrap_or_default(),
        (ExplainFormat::Html, None) => {
            let rows = prepared.records.len();
            let summary = explain::summarize(model, program, request.lang, rows, rejected.clone(), &outcomes);
            explain::report_page(Some(&summary), &explanations)
        }
    };
    match request.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?
        }
        None => out.write_all(text.as_bytes())?,
    }
    if !rejected.is_empty() {
        writeln!(err, "{} of {} rows could not be explained", rejected.len(), prepared.records.len())?;
    }
    Ok(i32::from(!rejected.is_empty()))
}

#[allow(clippy::too_many_arguments)]
fn diff_files(
    old_path: &Path,
    new_path: &Path,
    data_path: Option<&Path>,
    run: &RunOptions,
    format: DiffFormat,
    output_path: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    let old = load_checked(old_path, err, colour)?;
    let new = load_checked(new_path, err, colour)?;
    let old_version = diff::Version { path: &old.path, source: &old.source, model: &old.model };
    let new_version = diff::Version { path: &new.path, source: &new.source, model: &new.model };
    let changes = diff::diff(&old_version, &new_version);
    let impact = match data_path {
        None => None,
        Some(data_path) => {
            let table = read_data(data_path)?;
            let entity = choose_entity(&new.model, run.entity.as_deref(), &table, data_path)?;
            let entity_name = new.model.entities.get(entity).map(|entity| entity.name.clone()).unwrap_or_default();
            let old_entity = old.model.entity_index(&entity_name).ok_or_else(|| {
                Failure(format!(
                    "{} has no entity `{entity_name}`: the data cannot be decided under both versions",
                    old.path
                ))
            })?;
            let programs = [(&old, old_entity), (&new, entity)].map(|(loaded, entity)| {
                settings(loaded, run).map(|settings| compile::compile(&loaded.model, entity, &settings))
            });
            let [old_program, new_program] = programs;
            let (old_program, new_program) = (old_program?, new_program?);
            let read = |program: &Program, loaded: &Loaded| {
                data::read_records(&program.layout, &table)
                    .map_err(|error| Failure(format!("{}: {error} (under {})", data_path.display(), loaded.path)))
            };
            let old_records = read(&old_program, &old)?;
            let new_records = read(&new_program, &new)?;
            let old_run = diff::impact::Run { model: &old.model, program: &old_program, records: &old_records };
            let new_run = diff::impact::Run { model: &new.model, program: &new_program, records: &new_records };
            Some(diff::impact::impact(&old_run, &new_run, &changes))
        }
    };
    let text = match format {
        DiffFormat::Text => diff::render_text(&old.path, &new.path, &changes, impact.as_ref()),
        DiffFormat::Html => diff::render_html(&old.path, &new.path, &changes, impact.as_ref()),
        DiffFormat::Json => {
            let document = serde_json::json!({
                "old": {"path": old.path, "title": old.model.header.title},
                "new": {"path": new.path, "title": new.model.header.title},
                "changes": changes,
                "impact": impact,
            });
            let json = serde_json::to_string_pretty(&document).map_err(|error| Failure(error.to_string()))?;
            format!("{json}\n")
        }
    };
    match output_path {
        Some(path) => {
            std::fs::write(path, text).map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(i32::from(!changes.is_empty()))
}
