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

mod test_command;

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
    /// Decide every record of a data file (CSV, JSON Lines or Excel; - for standard input).
    Eval {
        policy: PathBuf,
        data: PathBuf,
        #[command(flatten)]
        run: RunOptions,
        /// Output format; by default from the -o file's extension (.csv, .xlsx), else JSON Lines.
        #[arg(long, value_enum)]
        format: Option<EvalFormat>,
        /// Write the results to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Add to each line a brief explanation: what decides each outcome (schema 2 of docs/explain-json.md).
        #[arg(long)]
        explain: bool,
        /// The language of the explanations' structural words.
        #[arg(long, value_enum, default_value = "zh")]
        lang: explain::Lang,
        /// Threads deciding records (default: every core). Output stays in input order.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// After the run, print rows read, decided and rejected, counts per decision, award and
        /// benefit, and the total to be paid (to standard error, or to standard output with -o).
        #[arg(long)]
        summary: bool,
        /// Stop at the first row that cannot be read or decided (its error line is written).
        #[arg(long)]
        strict: bool,
        /// Do not check that each key appears once. The check remembers 9–18 bytes a row; without
        /// it memory stays flat however many rows (for registers of tens of millions).
        #[arg(long)]
        allow_duplicate_keys: bool,
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
    /// Run the language server (LSP over standard input and output) for editors: diagnostics as
    /// you type, hover, go to definition, find references.
    Lsp,
    /// Run the test cases written next to policies (.test files, see docs/testing.md). Exit 0
    /// when every case passes, 1 when one fails, 2 when a test or policy file has errors.
    Test {
        /// .test files, .policy files (their sibling .test file) or directories (searched
        /// recursively); by default the current directory.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: test_command::TestFormat,
        /// Write the results to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// After the results, show which outcomes of each policy the passing cases exercised.
        #[arg(long)]
        coverage: bool,
        /// The language of the explanations of failed cases.
        #[arg(long, value_enum, default_value = "zh")]
        lang: explain::Lang,
    },
    /// Rewrite policy files in the canonical layout (- for standard input to standard output).
    ///
    /// Every token and comment is kept; see docs/fmt.md. Exit 0 when done, 1 when --check found
    /// a file to format, 2 on a syntax error (that file is left as it is).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing: show how each file would change, and exit 1 if one would.
        #[arg(long)]
        check: bool,
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
    /// The sheet of an Excel workbook to read (default: the first).
    #[arg(long)]
    sheet: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EvalFormat {
    Jsonl,
    Csv,
    Table,
    /// An Excel workbook; needs -o FILE.
    Xlsx,
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
    // diff(1) keeps 1 for "they differ", a test run for a failed case and `fmt --check` for "not
    // formatted": their failures exit with 2.
    let failure_code =
        if matches!(cli.command, Command::Diff { .. } | Command::Test { .. } | Command::Fmt { .. }) { 2 } else { 1 };
    let result = match cli.command {
        Command::Check { files, format } => check_files(&files, format, out, err, colour),
        Command::Eval {
            policy,
            data,
            run,
            format,
            output,
            explain,
            lang,
            jobs,
            summary,
            strict,
            allow_duplicate_keys,
        } => {
            let format = format.unwrap_or_else(|| {
                let extension = output.as_deref().and_then(Path::extension).and_then(|extension| extension.to_str());
                match extension.map(str::to_ascii_lowercase).as_deref() {
                    Some("csv") => EvalFormat::Csv,
                    Some("xlsx") => EvalFormat::Xlsx,
                    _ => EvalFormat::Jsonl,
                }
            });
            let options = EvalOptions {
                format,
                output: output.as_deref(),
                explain: explain.then_some(lang),
                jobs,
                summary,
                strict,
                check_keys: !allow_duplicate_keys,
            };
            evaluate_file(&policy, &data, &run, &options, out, err, colour)
        }
        Command::Explain { policy, data, id, all: _, run, format, lang, output } => {
            let request = ExplainRequest { id: id.as_deref(), format, lang, output: output.as_deref() };
            explain_records(&policy, &data, &run, &request, out, err, colour)
        }
        Command::Diff { old, new, data, run, format, output } => {
            diff_files(&old, &new, data.as_deref(), &run, format, output.as_deref(), out, err, colour)
        }
        // The protocol owns standard input and output, not the streams given here.
        Command::Lsp => crate::lsp::run_stdio().map(|()| 0).map_err(Failure),
        Command::Test { paths, format, output, coverage, lang } => {
            let request =
                test_command::TestRequest { paths: &paths, format, output: output.as_deref(), coverage, lang };
            test_command::run_tests(&request, out, err, colour)
        }
        Command::Fmt { files, check } => format_files(&files, check, out, err, colour),
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

/// The duplicate-key register could not use its file in the temporary directory.
fn register_failure(error: std::io::Error) -> Failure {
    Failure(format!("cannot keep the keys seen in the temporary directory: {error}"))
}

/// A policy file read, parsed and checked.
struct Loaded {
    path: String,
    source: String,
    model: Model,
    diagnostics: Vec<Diagnostic>,
}

fn load(path: &Path) -> Result<Loaded, Failure> {
    let display = path.display().to_string();
    let (source, mut diagnostics) = read_text(path, "policy")?;
    let (_, checked) = check::check_source(&source);
    diagnostics.extend(checked.diagnostics);
    Ok(Loaded { path: display, source, model: checked.model, diagnostics })
}

/// A policy or test file (`kind`) as text. Bytes that are not UTF-8 are read as U+FFFD, with a
/// `syntax::encoding` diagnostic at the first.
fn read_text(path: &Path, kind: &str) -> Result<(String, Vec<Diagnostic>), Failure> {
    let bytes = std::fs::read(path).map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
    Ok(decode_text(bytes, kind))
}

/// A policy's text, and a diagnostic if it is not UTF-8 (then read with replacement
/// characters, so that the rest can still be checked).
fn decode_policy(bytes: Vec<u8>) -> (String, Vec<Diagnostic>) {
    decode_text(bytes, "policy")
}

fn decode_text(bytes: Vec<u8>, kind: &str) -> (String, Vec<Diagnostic>) {
    match String::from_utf8(bytes) {
        Ok(source) => (source, Vec::new()),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let source = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let diagnostic = Diagnostic::error(
                "syntax::encoding",
                format!("the {kind} file is not UTF-8 text"),
                syntax::Span::new(valid, valid + 1),
                "invalid byte here",
            )
            .with_help("save the file as UTF-8 (policies are text; data files may be GBK, policies may not)");
            (source, vec![diagnostic])
        }
    }
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
                let lines = diagnostic::LineIndex::new(&loaded.source);
                for found in &loaded.diagnostics {
                    let span = found.primary_span();
                    let position = lines.position(span.start);
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
    compile::check_in_force(&loaded.model, as_of)
        .map_err(|message| Failure(format!("{message}; give an evaluation date inside the window with --as-of")))?;
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

fn read_data(path: &Path, sheet: Option<&str>) -> Result<RawTable, Failure> {
    let input = open_input(path)?;
    let stream = data::RowStream::open_sheet(input.reader, input.format, sheet)
        .map_err(|error| Failure(format!("{}: {error}", path.display())))?;
    let headers = stream.headers.clone();
    Ok(RawTable { headers, rows: stream.collect() })
}

fn choose_entity(model: &Model, requested: Option<&str>, headers: &[String], path: &Path) -> Result<usize, Failure> {
    if let Some(name) = requested {
        return model.entity_index(name).ok_or_else(|| {
            let names: Vec<&str> = model.entities.iter().map(|entity| entity.name.as_str()).collect();
            Failure(format!("the policy has no entity `{name}`; it has: {}", names.join(", ")))
        });
    }
    let matching: Vec<usize> = (0..model.entities.len())
        .filter(|index| data::header_matches(&compile::layout(model, *index), headers))
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
    let table = read_data(data_path, run.sheet.as_deref())?;
    let entity = choose_entity(&loaded.model, run.entity.as_deref(), &table.headers, data_path)?;
    let program = compile::compile(&loaded.model, entity, &settings);
    let records = data::read_records(&program.layout, &table).map_err(|error| {
        let entity_name = loaded.model.entities.get(entity).map(|entity| entity.name.as_str()).unwrap_or("");
        Failure(format!("{}: {error} (entity `{entity_name}`)", data_path.display()))
    })?;
    Ok(Prepared { loaded, program, records })
}

fn eval_error_text(model: &Model, error: &EvalError) -> String {
    error.message(model)
}

/// How `eval` writes what it decides.
struct EvalOptions<'a> {
    format: EvalFormat,
    output: Option<&'a Path>,
    explain: Option<explain::Lang>,
    jobs: Option<usize>,
    summary: bool,
    strict: bool,
    /// Refuse a row whose key an earlier row had.
    check_keys: bool,
}

/// Room for a typical deciding explanation (the Rizhao policy's are about 2.5 KB).
const EXPLANATION_BYTES: usize = 4 << 10;

/// Rows are decided in batches: big enough to keep every thread busy, small enough that memory
/// stays flat however long the file.
const BATCH_ROWS: usize = 2_048;

/// The data input: a file or standard input, read as a stream, with a count of the bytes read
/// so far for the progress bar.
struct Input {
    reader: Box<dyn std::io::Read + Send>,
    format: InputFormat,
    size: Option<u64>,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn open_input(path: &Path) -> Result<Input, Failure> {
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    if path.as_os_str() == "-" {
        let reader = Counting { inner: std::io::stdin(), read: std::sync::Arc::clone(&read) };
        return Ok(Input { reader: Box::new(reader), format: InputFormat::Csv, size: None, read });
    }
    let file =
        std::fs::File::open(path).map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
    let size = file.metadata().ok().map(|metadata| metadata.len());
    let reader = Counting { inner: file, read: std::sync::Arc::clone(&read) };
    Ok(Input { reader: Box::new(reader), format: InputFormat::from_path(path), size, read })
}

/// A reader that counts the bytes it hands out.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.read.fetch_add(count as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(count)
    }
}

/// What to write for one row: its JSON line, its fields for CSV, a table or a workbook, or why
/// it could not be decided.
enum Decided {
    /// A JSON line (its line feed included), written into its chunk's text at these bytes.
    Written(std::ops::Range<usize>),
    Flat(Vec<String>),
    Rejected {
        key: Option<String>,
        row: usize,
        message: String,
    },
}

fn evaluate_file(
    policy: &Path,
    data_path: &Path,
    run: &RunOptions,
    options: &EvalOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    if options.explain.is_some() && !matches!(options.format, EvalFormat::Jsonl) {
        return Err(Failure("--explain adds a JSON explanation to each line: use it with --format jsonl".into()));
    }
    if options.format == EvalFormat::Xlsx && options.output.is_none() {
        return Err(Failure("an Excel workbook is written to a file: add -o result.xlsx".into()));
    }
    let loaded = load_checked(policy, err, colour)?;
    let settings = settings(&loaded, run)?;
    let input = open_input(data_path)?;
    let sheet = run.sheet.clone();
    let (size, read) = (input.size, std::sync::Arc::clone(&input.read));
    let jobs = options.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)).max(1);
    let display = data_path.display().to_string();
    let data_error = |error: data::DataError| Failure(format!("{display}: {error}"));
    // One thread reads while the others decide; with one job everything happens here.
    let (header_sender, header_receiver) = std::sync::mpsc::sync_channel(1);
    let (batch_sender, batch_receiver) = std::sync::mpsc::sync_channel::<Vec<data::RawRow>>(4);
    std::thread::scope(|scope| {
        let mut direct = None;
        if jobs > 1 {
            scope.spawn(move || {
                let stream = match data::RowStream::open_sheet(input.reader, input.format, sheet.as_deref()) {
                    Ok(stream) => stream,
                    Err(error) => {
                        let _ = header_sender.send(Err(error));
                        return;
                    }
                };
                if header_sender.send(Ok((stream.headers.clone(), stream.blank_rows(), stream.spares()))).is_err() {
                    return;
                }
                let mut stream = stream;
                loop {
                    let batch: Vec<data::RawRow> = stream.by_ref().take(BATCH_ROWS).collect();
                    if batch.is_empty() || batch_sender.send(batch).is_err() {
                        return;
                    }
                }
            });
        } else {
            drop(batch_sender);
            let stream = data::RowStream::open_sheet(input.reader, input.format, sheet.as_deref());
            let _ = header_sender.send(
                stream
                    .as_ref()
                    .map(|stream| (stream.headers.clone(), stream.blank_rows(), stream.spares()))
                    .map_err(Clone::clone),
            );
            direct = stream.ok();
        }
        let (headers, blank_rows, spares) = match header_receiver.recv() {
            Ok(headers) => headers.map_err(data_error)?,
            Err(_) => return Err(Failure(format!("{display}: the data could not be read"))),
        };
        let entity = choose_entity(&loaded.model, run.entity.as_deref(), &headers, data_path)?;
        let program = compile::compile(&loaded.model, entity, &settings);
        let binding = data::bind(&program.layout, &headers).map_err(|error| {
            let entity_name = loaded.model.entities.get(entity).map(|entity| entity.name.as_str()).unwrap_or("");
            Failure(format!("{display}: {error} (entity `{entity_name}`)"))
        })?;
        let batches: Box<dyn Iterator<Item = Vec<data::RawRow>>> = match direct {
            Some(mut stream) => Box::new(std::iter::from_fn(move || {
                let batch: Vec<data::RawRow> = stream.by_ref().take(BATCH_ROWS).collect();
                (!batch.is_empty()).then_some(batch)
            })),
            None => Box::new(batch_receiver.into_iter()),
        };
        // A pool thread per job: the reading thread and this one (writing) often wait, and a
        // pool of one fewer left the reading, deciding and writing of a batch to run in turn.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            // Expressions may nest as deep as the parser allows (`syntax::MOST_NESTING`); the
            // evaluator walks them recursively, so workers get the main thread's stack size.
            .stack_size(8 << 20)
            .build()
            .map_err(|error| Failure(format!("cannot start worker threads: {error}")))?;
        let context = Deciding {
            loaded: &loaded,
            blank_rows,
            spares,
            program: &program,
            binding: &binding,
            options,
            texts: Default::default(),
            lines: output::DecisionLines::new(&loaded.model, &program),
            used: used_fields(&program),
            chunk_texts: Default::default(),
        };
        write_decisions(&context, batches, &pool, jobs, (size, &read), out, err, colour)
    })
}

/// What deciding one row needs; shared by the worker threads.
struct Deciding<'a> {
    loaded: &'a Loaded,
    /// Counted by the reader, which may be another thread.
    blank_rows: data::BlankRows,
    /// Where rows written go back to be read into again (CSV).
    spares: Option<data::Spares>,
    program: &'a Program,
    binding: &'a data::Binding,
    options: &'a EvalOptions<'a>,
    /// Each worker's texts seen so far, column by column.
    texts: crate::pool::Pool<data::TextCache>,
    lines: output::DecisionLines<'a>,
    /// For each column, whether a step reads it (explanations read no other).
    used: Vec<bool>,
    /// The buffers of chunks written, given back by the writer: a chunk of explained lines is
    /// half a megabyte, and a new one for each chunk had its pages faulted in again every time.
    chunk_texts: crate::pool::Pool<Vec<u8>>,
}

/// For each column of the program's layout, whether a step reads it.
fn used_fields(program: &Program) -> Vec<bool> {
    let mut used = vec![false; program.layout.columns.len()];
    for field in program.fields_read(program.steps.iter().flat_map(|step| step.kind.codes())) {
        if let Some(flag) = used.get_mut(field) {
            *flag = true;
        }
    }
    used
}

/// One row decided: what to write, what it adds to the counts, and the row's key and number, by
/// which the writer finds a key that appears twice.
struct RowResult {
    decided: Decided,
    counted: Option<output::Counted>,
    key: Option<String>,
    row: usize,
}

/// Consecutive rows of a batch, decided by one worker: their JSON lines one after the other in
/// one buffer, written out whole unless a row is rejected afterwards (a key seen before). One
/// buffer rather than one a line: an explained line is over 2 KB, and allocating, copying and
/// freeing each one was a good part of `eval --explain`.
struct DecidedChunk {
    text: Vec<u8>,
    rows: Vec<RowResult>,
}

/// Rows decided together by one worker, as a [`DecidedChunk`].
const CHUNK_ROWS: usize = 128;

impl Deciding<'_> {
    fn decide_chunk(
        &self,
        raws: &[data::RawRow],
        explaining: Option<&explain::Explaining>,
        texts: &mut data::TextCache,
    ) -> DecidedChunk {
        let line_bytes = if explaining.is_some() { EXPLANATION_BYTES } else { 256 };
        let mut explaining = explaining.map(explain::Explaining::deciding_writer);
        let mut text = self.chunk_texts.take();
        text.clear();
        text.reserve(raws.len() * line_bytes);
        let mut chunk = DecidedChunk { text, rows: Vec::new() };
        // One outcome for the chunk's rows: its vectors are reused rather than made for each.
        let mut outcome = eval::Outcome::default();
        chunk.rows = raws
            .iter()
            .map(|raw| self.decide(raw, explaining.as_mut(), texts, &mut outcome, &mut chunk.text))
            .collect();
        chunk
    }

    /// Decides one row; a JSON line is appended to `text`.
    fn decide(
        &self,
        raw: &data::RawRow,
        explaining: Option<&mut explain::DecidingWriter>,
        texts: &mut data::TextCache,
        outcome: &mut eval::Outcome,
        text: &mut Vec<u8>,
    ) -> RowResult {
        let model = &self.loaded.model;
        let rejected = |key: Option<String>, row: usize, message: String| RowResult {
            decided: Decided::Rejected { key: key.clone(), row, message },
            counted: None,
            key,
            row,
        };
        let record = match data::read_used_fields(&self.program.layout, self.binding, raw, texts, &self.used) {
            Ok(record) => record,
            Err(error) => {
                let message = error.to_string();
                return rejected(error.key, error.row, message);
            }
        };
        if let Err(error) = eval::decide_into(self.program, &record.values, outcome) {
            return rejected(record.key, record.row, eval_error_text(model, &error));
        }
        let outcome = &*outcome;
        let key = record.key.as_deref();
        let decided = match self.options.format {
            EvalFormat::Jsonl => {
                let start = text.len();
                self.lines.write(key, outcome, text);
                if let Some(explaining) = explaining {
                    // Written straight after the decision's fields.
                    if text.last() == Some(&b'}') {
                        text.pop();
                    }
                    text.extend_from_slice(b",\"explanation\":");
                    if let Err(error) = explaining.write(&record.values, outcome, text) {
                        text.truncate(start);
                        return rejected(record.key.clone(), record.row, eval_error_text(model, &error));
                    }
                    text.push(b'}');
                }
                text.push(b'\n');
                Decided::Written(start..text.len())
            }
            _ => Decided::Flat(output::flat_row(model, self.program, key, outcome)),
        };
        let counted = Some(output::Counted::of(self.program, outcome));
        RowResult { decided, counted, key: record.key, row: record.row }
    }
}

/// Decides every batch on the pool and writes the results in input order. With more than one
/// job, a batch is decided while the one before it is written.
#[allow(clippy::too_many_arguments)]
fn write_decisions(
    context: &Deciding,
    batches: Box<dyn Iterator<Item = Vec<data::RawRow>> + '_>,
    pool: &rayon::ThreadPool,
    jobs: usize,
    progress: (Option<u64>, &std::sync::atomic::AtomicU64),
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    use rayon::prelude::*;
    let (model, program, options) = (&context.loaded.model, context.program, context.options);
    let mut file;
    let mut discard = std::io::sink();
    let destination: &mut dyn Write = match options.output {
        // A workbook is saved at the end, by its own writer.
        Some(_) if options.format == EvalFormat::Xlsx => &mut discard,
        Some(path) => {
            file = std::fs::File::create(path)
                .map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?;
            &mut file
        }
        None => out,
    };
    let mut writer = Writer::new(context, destination)?;
    let started = std::time::Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let show_progress = colour && std::io::IsTerminal::is_terminal(&std::io::stderr());
    // One for the run, shared by the workers: it keeps what it has worked out and written.
    let explaining = options
        .explain
        .map(|lang| explain::Explaining::new(model, program, &context.loaded.source, lang, explain::Detail::Deciding));
    let decide_chunk =
        |raws: &[data::RawRow]| context.decide_chunk(raws, explaining.as_ref(), &mut context.texts.lend());
    let decide_batch = |batch: &[data::RawRow]| -> Vec<DecidedChunk> {
        if jobs > 1 {
            batch.par_chunks(CHUNK_ROWS).map(decide_chunk).collect()
        } else {
            batch.chunks(CHUNK_ROWS).map(decide_chunk).collect()
        }
    };
    let mut pending: Option<Vec<DecidedChunk>> = None;
    for batch in batches {
        if writer.stopped {
            break;
        }
        if jobs > 1 {
            // The pool decides this batch while this thread writes the one before.
            let mut decided = None;
            pool.in_place_scope(|scope| {
                scope.spawn(|_| decided = Some(decide_batch(&batch)));
                match pending.take() {
                    Some(previous) => writer.write(previous, err),
                    None => Ok(()),
                }
            })?;
            pending = decided;
        } else {
            writer.write(decide_batch(&batch), err)?;
        }
        if let Some(spares) = &context.spares {
            spares.give(batch);
        }
        update_progress(&mut bar, show_progress, started, progress, writer.tally.rows);
    }
    if let Some(last) = pending.take() {
        writer.write(last, err)?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let unfiled = writer.keys.unfiled().map(|error| {
        format!("note: the keys seen could not go to the temporary directory ({error}): they were kept in memory")
    });
    let (mut tally, stopped) = writer.finish()?;
    if let Some(note) = unfiled {
        writeln!(err, "{note}")?;
    }
    tally.add_blank(context.blank_rows.count());
    if stopped {
        writeln!(err, "stopped at the first row that could not be decided (--strict)")?;
    } else if tally.rejected > 0 {
        writeln!(err, "{} of {} rows could not be decided", tally.rejected, tally.rows)?;
    }
    if let (false, Some(first)) = (stopped, context.blank_rows.first()) {
        let count = tally.blank;
        let rows =
            if count == 1 { format!("row {first} is") } else { format!("{count} rows (the first is row {first}) are") };
        writeln!(err, "note: {rows} blank in every cell: no record, nothing written")?;
    }
    if options.summary {
        let text = tally.text(model);
        match options.output {
            Some(_) => write!(out, "{text}")?,
            None => write!(err, "{text}")?,
        }
    }
    Ok(i32::from(tally.rejected > 0))
}

/// Writes decided rows in input order, in the chosen format, and counts them; rejects a row
/// whose key an earlier row had.
struct Writer<'a, 'w> {
    options: &'a EvalOptions<'a>,
    /// Where a chunk's buffer goes back once written.
    chunk_texts: &'a crate::pool::Pool<Vec<u8>>,
    sink: std::io::BufWriter<&'w mut dyn Write>,
    headers: Vec<String>,
    workbook: Option<output::XlsxOutput>,
    table_rows: Vec<Vec<String>>,
    tally: output::Tally,
    keys: data::KeyRegister,
    /// `--strict` met a row that could not be decided: nothing more is written.
    stopped: bool,
}

impl<'a, 'w> Writer<'a, 'w> {
    fn new(context: &'a Deciding, destination: &'w mut dyn Write) -> Result<Writer<'a, 'w>, Failure> {
        let (model, program, options) = (&context.loaded.model, context.program, context.options);
        // Most chunks of explained lines (128 rows of about 2.3 KB) are larger than this, and
        // BufWriter hands those to the destination as they are instead of copying them into its
        // buffer first; plain decision lines (about 17 KB a chunk) are gathered into large writes.
        let mut sink = std::io::BufWriter::with_capacity(256 << 10, destination);
        let headers = output::flat_headers(model, program);
        let workbook = match options.format {
            EvalFormat::Xlsx => Some(
                output::XlsxOutput::new(&headers)
                    .map_err(|error| Failure(format!("cannot write the workbook: {error}")))?,
            ),
            _ => None,
        };
        if matches!(options.format, EvalFormat::Csv) {
            // A BOM so that Excel on Chinese Windows opens the UTF-8 file correctly.
            sink.write_all("\u{FEFF}".as_bytes())?;
            sink.write_all(&csv_lines(std::slice::from_ref(&headers)).map_err(csv_error)?)?;
        }
        Ok(Writer {
            options,
            chunk_texts: &context.chunk_texts,
            sink,
            headers,
            workbook,
            table_rows: Vec::new(),
            tally: output::Tally::new(program),
            keys: data::KeyRegister::default(),
            stopped: false,
        })
    }

    fn write(&mut self, chunks: Vec<DecidedChunk>, err: &mut dyn Write) -> Result<(), Failure> {
        for chunk in chunks {
            self.write_chunk(chunk, err)?;
        }
        Ok(())
    }

    fn write_chunk(&mut self, chunk: DecidedChunk, err: &mut dyn Write) -> Result<(), Failure> {
        let options = self.options;
        let mut csv_rows: Vec<Vec<String>> = Vec::new();
        // The lines of consecutive rows written so far are written out in one piece.
        let mut unwritten = 0..0;
        // The chunk's keys looked up together, in order (see `KeyRegister::seen_before_each`).
        let keys: Vec<Option<&str>> =
            chunk.rows.iter().map(|row| row.key.as_deref().filter(|_| options.check_keys)).collect();
        let repeats = self.keys.seen_before_each(&keys).map_err(register_failure)?;
        for (RowResult { decided: mut result, mut counted, key, row }, repeated) in chunk.rows.into_iter().zip(repeats)
        {
            if self.stopped {
                break;
            }
            if repeated {
                let message = data::DUPLICATE_KEY.to_string();
                result = Decided::Rejected { key, row, message };
                counted = None;
            }
            self.stopped = options.strict && counted.is_none();
            match &counted {
                Some(counted) => self.tally.add_counted(counted),
                None => self.tally.reject(),
            }
            if !matches!(result, Decided::Written(_)) {
                self.sink.write_all(chunk.text.get(unwritten.clone()).unwrap_or_default())?;
                unwritten = 0..0;
            }
            match result {
                Decided::Written(line) if unwritten.is_empty() => unwritten = line,
                Decided::Written(line) => unwritten.end = line.end,
                Decided::Flat(row) => match options.format {
                    EvalFormat::Csv | EvalFormat::Xlsx => csv_rows.push(row),
                    _ => self.table_rows.push(row),
                },
                Decided::Rejected { key, row, message } => {
                    writeln!(
                        err,
                        "row {row}{}: {message}",
                        key.as_ref().map(|key| format!(" ({key})")).unwrap_or_default()
                    )?;
                    let columns = self.headers.len();
                    match options.format {
                        EvalFormat::Jsonl => {
                            writeln!(self.sink, "{}", output::error_json(key.as_deref(), row, &message))?
                        }
                        EvalFormat::Csv | EvalFormat::Xlsx => {
                            csv_rows.push(output::flat_error_row(columns, key.as_deref(), row, &message))
                        }
                        EvalFormat::Table => {
                            self.table_rows.push(output::flat_error_row(columns, key.as_deref(), row, &message))
                        }
                    }
                }
            }
        }
        self.sink.write_all(chunk.text.get(unwritten).unwrap_or_default())?;
        self.chunk_texts.give(chunk.text);
        match self.workbook.as_mut() {
            Some(workbook) => {
                for row in &csv_rows {
                    workbook.write_row(row).map_err(|error| Failure(format!("cannot write the workbook: {error}")))?;
                }
            }
            None if !csv_rows.is_empty() => self.sink.write_all(&csv_lines(&csv_rows).map_err(csv_error)?)?,
            None => {}
        }
        Ok(())
    }
}

impl Writer<'_, '_> {
    /// Writes what is written at the end (a text table, a workbook) and flushes the output;
    /// the counts, and whether `--strict` stopped the run.
    fn finish(mut self) -> Result<(output::Tally, bool), Failure> {
        if matches!(self.options.format, EvalFormat::Table) {
            self.sink.write_all(output::text_table(&self.headers, &self.table_rows).as_bytes())?;
        }
        self.sink.flush()?;
        if let (Some(workbook), Some(path)) = (self.workbook.take(), self.options.output) {
            workbook.save(path).map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?;
        }
        Ok((self.tally, self.stopped))
    }
}

fn csv_error(error: csv::Error) -> Failure {
    Failure(format!("cannot write CSV: {error}"))
}

/// Rows as CSV text, quoted where needed.
fn csv_lines(rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row)?;
    }
    writer.into_inner().map_err(|error| csv::Error::from(error.into_error()))
}

/// A progress bar on standard error once a run has taken more than a second, when standard
/// error is a terminal: bytes read against the file's size, rows per second, time left.
fn update_progress(
    bar: &mut Option<indicatif::ProgressBar>,
    show: bool,
    started: std::time::Instant,
    (size, read): (Option<u64>, &std::sync::atomic::AtomicU64),
    rows: usize,
) {
    if !show || (bar.is_none() && started.elapsed() < std::time::Duration::from_secs(1)) {
        return;
    }
    let bar = bar.get_or_insert_with(|| {
        let bar = match size {
            Some(size) => indicatif::ProgressBar::new(size),
            None => indicatif::ProgressBar::no_length(),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let template = "{bar:30} {bytes}/{total_bytes} {msg} ETA {eta}";
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar
    });
    bar.set_position(read.load(std::sync::atomic::Ordering::Relaxed));
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    bar.set_message(format!("{rows} rows, {:.0} rows/s", rows as f64 / seconds));
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
            let has_key = |record: &&Result<data::Record, data::RowError>| match record {
                Ok(record) => record.key.as_deref() == Some(id),
                Err(error) => error.key.as_deref() == Some(id),
            };
            let mut matching = prepared.records.iter().filter(has_key);
            let found = matching.next();
            // `eval` refuses the second row of a key; explaining one of them would hide that.
            if let Some(again) = matching.next() {
                let row = |record: &Result<data::Record, data::RowError>| match record {
                    Ok(record) => record.row,
                    Err(error) => error.row,
                };
                let first = found.map(row).unwrap_or_default();
                return Err(Failure(format!(
                    "rows {first} and {} of {} both have the key {id}: one row per record",
                    row(again),
                    data_path.display()
                )));
            }
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
            // As `eval`: the second row of a key is refused, not explained as a second record.
            let mut keys = data::KeyRegister::default();
            for record in &prepared.records {
                let (row, key) = match record {
                    Ok(record) => (record.row, &record.key),
                    Err(error) => (error.row, &error.key),
                };
                let repeated = match key.as_deref() {
                    Some(key) => keys.seen_before(key).map_err(register_failure)?,
                    None => false,
                };
                let result = match record {
                    _ if repeated => Err((row, key.clone(), data::DUPLICATE_KEY.to_string())),
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
            let table = read_data(data_path, run.sheet.as_deref())?;
            let entity = choose_entity(&new.model, run.entity.as_deref(), &table.headers, data_path)?;
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

/// `policy fmt`: each file in the canonical layout, rewritten only when that changes it; with
/// `check`, the difference shown instead. Exit 2 if a file could not be read or formatted, else
/// 1 if `check` found a file to format, else 0.
fn format_files(
    files: &[PathBuf],
    check: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> Result<i32, Failure> {
    let mut failed = false;
    let mut unformatted = false;
    for path in files {
        let standard_input = path.as_os_str() == "-";
        let display = if standard_input { "<standard input>".to_string() } else { path.display().to_string() };
        let bytes = if standard_input {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(|_| bytes)
        } else {
            std::fs::read(path)
        };
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(error) => {
                writeln!(err, "error: cannot read {display}: {error}")?;
                failed = true;
                continue;
            }
        };
        let (source, encoding) = decode_policy(bytes);
        let formatted = if encoding.is_empty() { crate::fmt::format(&source) } else { Err(encoding) };
        let formatted = match formatted {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                write!(err, "{}", diagnostic::render(&diagnostics, &display, &source, colour))?;
                writeln!(err, "{display}: not formatted (errors above)")?;
                failed = true;
                continue;
            }
        };
        if check {
            if formatted != source {
                unformatted = true;
                write!(out, "{}", crate::fmt::unified_diff(&display, &source, &formatted))?;
            }
        } else if standard_input {
            out.write_all(formatted.as_bytes())?;
        } else if formatted != source {
            if let Err(error) = std::fs::write(path, formatted) {
                writeln!(err, "error: cannot write {display}: {error}")?;
                failed = true;
            }
        }
    }
    Ok(if failed { 2 } else { i32::from(unformatted) })
}
