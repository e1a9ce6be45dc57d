//! Reading a data file row by row, so that memory does not grow with the number of rows.
//!
//! The encoding is chosen from the first megabyte (a byte order mark; valid UTF-8; otherwise
//! GB18030, a superset of GBK, as Chinese Excel saves CSV) and the rest is decoded as it is
//! read. CSV rows come out with their spreadsheet row numbers (blank lines and line breaks
//! inside quoted cells accounted for); JSON Lines take their columns from the keys of the first
//! thousand lines.

use super::{Cells, DataError, InputFormat, RawRow, RowError};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How much of the file is looked at to choose its encoding and separator.
const SNIFF_BYTES: usize = 1 << 20;
/// JSON Lines name their columns on every line; the first this many lines are read ahead to
/// know them all before rows are handed out.
const JSON_HEADER_LINES: usize = 1_000;

/// A data file being read: its headers, then its rows in order.
pub struct RowStream {
    pub headers: Vec<String>,
    rows: Box<dyn Iterator<Item = RawRow>>,
    blank: BlankRows,
    /// For CSV: rows' records given back once done with, read into again.
    spares: Option<Spares>,
}

/// Cells of rows already decided and written, given back to the stream that read them so
/// that the next rows are read into them: a CSV row's cells are two allocations, made on the
/// reading thread and freed on another. Shared between threads; holds at most [`SPARES`].
#[derive(Debug, Clone, Default)]
pub struct Spares(Arc<std::sync::Mutex<Vec<Cells>>>);

/// The most records kept for reuse: a few batches' worth.
const SPARES: usize = 8_192;

impl Spares {
    /// Keeps the cells of `rows` (those whose cells could be read), up to [`SPARES`].
    pub fn give(&self, rows: impl IntoIterator<Item = RawRow>) {
        if let Ok(mut spares) = self.0.lock() {
            let room = SPARES.saturating_sub(spares.len());
            spares.extend(rows.into_iter().filter_map(|raw| raw.cells.ok()).take(room));
        }
    }

    /// Every row's cells kept so far, leaving none.
    fn take_all(&self) -> Vec<Cells> {
        self.0.lock().map(|mut spares| std::mem::take(&mut *spares)).unwrap_or_default()
    }
}

/// The rows a stream skipped because every cell was empty (`,,,,` as spreadsheets leave them
/// behind): they name no record, so nothing is written for them, but they are counted, so that
/// rows read = decided + rejected + blank and no row disappears unaccounted.
#[derive(Debug, Clone, Default)]
pub struct BlankRows(Arc<BlankCount>);

/// Shared with the thread that writes, since another one may read.
#[derive(Debug, Default)]
struct BlankCount {
    count: AtomicUsize,
    /// The first blank row's number; 0 for none (spreadsheet rows start at 1).
    first: AtomicUsize,
}

impl BlankRows {
    fn note(&self, row: usize) {
        self.0.count.fetch_add(1, Ordering::Relaxed);
        let _ = self.0.first.compare_exchange(0, row, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// How many rows were blank.
    pub fn count(&self) -> usize {
        self.0.count.load(Ordering::Relaxed)
    }

    /// The spreadsheet number of the first blank row.
    pub fn first(&self) -> Option<usize> {
        Some(self.0.first.load(Ordering::Relaxed)).filter(|row| *row > 0)
    }
}

impl Iterator for RowStream {
    type Item = RawRow;

    fn next(&mut self) -> Option<RawRow> {
        loop {
            let raw = self.rows.next()?;
            if raw.cells.as_ref().is_ok_and(Cells::is_blank) {
                self.blank.note(raw.row);
                continue;
            }
            return Some(raw);
        }
    }
}

impl RowStream {
    fn new(headers: Vec<String>, rows: Box<dyn Iterator<Item = RawRow>>) -> RowStream {
        RowStream { headers, rows, blank: BlankRows::default(), spares: None }
    }

    /// Where to give back the rows done with, for a stream that reads into them again (CSV).
    pub fn spares(&self) -> Option<Spares> {
        self.spares.clone()
    }

    /// The blank rows skipped so far (a handle: it keeps counting as the stream is read).
    pub fn blank_rows(&self) -> BlankRows {
        self.blank.clone()
    }

    /// Opens a stream over `reader`. Rows whose cells are all blank are skipped, as
    /// [`super::read_table`] does, and counted ([`RowStream::blank_rows`]).
    pub fn open(reader: impl Read + 'static, format: InputFormat) -> Result<RowStream, DataError> {
        RowStream::open_sheet(reader, format, None)
    }

    /// [`RowStream::open`], reading the named sheet of a workbook rather than its first. A
    /// workbook is recognised from its first bytes, whatever the file's name says.
    pub fn open_sheet(
        reader: impl Read + 'static,
        format: InputFormat,
        sheet: Option<&str>,
    ) -> Result<RowStream, DataError> {
        let mut input = BufReader::with_capacity(SNIFF_BYTES, reader);
        let start = input.fill_buf().map_err(|error| DataError::Malformed(format!("it cannot be read ({error})")))?;
        if start.starts_with(ZIP_MAGIC) || format == InputFormat::Xlsx {
            let mut bytes = Vec::new();
            input
                .read_to_end(&mut bytes)
                .map_err(|error| DataError::Malformed(format!("it cannot be read ({error})")))?;
            let (headers, rows) = super::workbook::open(bytes, sheet)?;
            return Ok(RowStream::new(headers, Box::new(rows)));
        }
        let encoding = encoding_of(start)?;
        let decoded = decoded(encoding, input);
        let mut decoded = decoded;
        // Standard input has no name to tell JSON Lines from CSV: an object on the first line does.
        let starts_with_object = decoded
            .fill_buf()
            .is_ok_and(|buffer| buffer.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{'));
        match format {
            InputFormat::JsonLines => json_rows(decoded),
            InputFormat::Csv if starts_with_object => json_rows(decoded),
            InputFormat::Csv | InputFormat::Xlsx => csv_rows(decoded),
        }
    }
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16_LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16_BE_BOM: &[u8] = &[0xFE, 0xFF];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

/// The encoding of the input from its first bytes: `None` for UTF-8.
fn encoding_of(start: &[u8]) -> Result<Option<&'static encoding_rs::Encoding>, DataError> {
    if start.starts_with(OLE_MAGIC) {
        return Err(DataError::Malformed(
            "it is an old Excel workbook (.xls); save it as .xlsx or as CSV (UTF-8 or GBK)".to_string(),
        ));
    }
    if start.starts_with(UTF16_LE_BOM) {
        return Ok(Some(encoding_rs::UTF_16LE));
    }
    if start.starts_with(UTF16_BE_BOM) {
        return Ok(Some(encoding_rs::UTF_16BE));
    }
    if start.starts_with(UTF8_BOM) || looks_like_utf8(start) {
        return Ok(None);
    }
    // Checked on the sample: the decoder below would replace bad bytes without a word.
    let (_, _, had_errors) = encoding_rs::GB18030.decode(start);
    if had_errors {
        return Err(DataError::Malformed("it is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8".to_string()));
    }
    Ok(Some(encoding_rs::GB18030))
}

/// The text of the input as UTF-8 bytes, without a byte order mark.
fn decoded<R: Read + 'static>(
    encoding: Option<&'static encoding_rs::Encoding>,
    mut input: BufReader<R>,
) -> Box<dyn BufRead> {
    let Some(encoding) = encoding else {
        if input.fill_buf().is_ok_and(|buffer| buffer.starts_with(UTF8_BOM)) {
            input.consume(UTF8_BOM.len());
        }
        return Box::new(input);
    };
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding)).build(input);
    Box::new(BufReader::with_capacity(1 << 16, decoder))
}

/// Valid UTF-8, allowing a character cut at the end of the sample.
fn looks_like_utf8(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    }
}

/// What the CSV reader has consumed: bytes, the last one, the end of the input, and whether
/// it ended inside a quoted cell (the csv crate silently reads such a cell to the end).
#[derive(Default)]
struct Progress {
    bytes: Cell<u64>,
    /// The most recent bytes, to look at how a row ended: the csv reader's position trails the
    /// bytes read by at most its buffer, far less than this.
    recent: std::cell::RefCell<Vec<u8>>,
    ended: Cell<bool>,
    inside_quotes: Cell<bool>,
    at_cell_start: Cell<bool>,
    just_closed: Cell<bool>,
}

const RECENT_BYTES: usize = 1 << 16;
/// The csv reader's own buffer; it must stay well below [`RECENT_BYTES`].
const CSV_BUFFER_BYTES: usize = 1 << 13;

impl Progress {
    /// The byte at `offset` of the decoded input, if it is still among the recent ones.
    fn byte_at(&self, offset: u64) -> Option<u8> {
        let read = self.bytes.get();
        if offset >= read || read - offset > RECENT_BYTES as u64 {
            return None;
        }
        self.recent.borrow().get((offset % RECENT_BYTES as u64) as usize).copied()
    }
}

/// The decoded input, watched by a [`Progress`].
struct Watched {
    input: Box<dyn BufRead>,
    progress: Rc<Progress>,
    delimiter: u8,
}

impl Read for Watched {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.input.read(buffer)?;
        let progress = &self.progress;
        if count == 0 {
            progress.ended.set(true);
        }
        {
            let mut recent = progress.recent.borrow_mut();
            if recent.len() != RECENT_BYTES {
                recent.resize(RECENT_BYTES, 0);
            }
            // Only the last RECENT_BYTES matter; copied in at most two slices of the ring.
            let read = buffer.get(..count).unwrap_or_default();
            let kept = read.get(read.len().saturating_sub(RECENT_BYTES)..).unwrap_or_default();
            let start = progress.bytes.get().saturating_add((read.len() - kept.len()) as u64);
            let at = (start % RECENT_BYTES as u64) as usize;
            let (first, second) = kept.split_at(kept.len().min(RECENT_BYTES - at));
            if let Some(target) = recent.get_mut(at..at + first.len()) {
                target.copy_from_slice(first);
            }
            if let Some(target) = recent.get_mut(..second.len()) {
                target.copy_from_slice(second);
            }
        }
        progress.bytes.set(progress.bytes.get().saturating_add(count as u64));
        // The csv crate's quoting rules: a quote opens a quoted cell only at the start of a
        // cell, and `""` inside one is a literal quote. Bytes suffice: these are all ASCII.
        // Between two quotes only the last byte matters, so the scan jumps from quote to quote.
        let mut rest = buffer.get(..count).unwrap_or_default();
        while !rest.is_empty() {
            let quote = memchr::memchr(b'"', rest);
            if progress.inside_quotes.get() {
                let Some(at) = quote else { break };
                progress.inside_quotes.set(false);
                progress.just_closed.set(true);
                rest = rest.get(at + 1..).unwrap_or_default();
                continue;
            }
            let before = rest.get(..quote.unwrap_or(rest.len())).unwrap_or_default();
            if let Some(last) = before.last() {
                progress.at_cell_start.set(matches!(*last, b'\n' | b'\r') || *last == self.delimiter);
                progress.just_closed.set(false);
            }
            let Some(at) = quote else { break };
            let opens = progress.at_cell_start.get() || progress.just_closed.get();
            progress.inside_quotes.set(opens);
            progress.at_cell_start.set(false);
            progress.just_closed.set(false);
            rest = rest.get(at + 1..).unwrap_or_default();
        }
        Ok(count)
    }
}

/// Excel writes tab-separated text when saving "Unicode text", and semicolons in some
/// locales; the header row tells which separator the file uses.
fn sniff_delimiter(first_line: &str) -> u8 {
    let count = |separator: char| first_line.matches(separator).count();
    let (commas, tabs, semicolons) = (count(','), count('\t'), count(';'));
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas && semicolons > tabs {
        b';'
    } else {
        b','
    }
}

fn csv_rows(mut input: Box<dyn BufRead>) -> Result<RowStream, DataError> {
    let start = input.fill_buf().map_err(|error| DataError::Malformed(format!("it cannot be read ({error})")))?;
    let first_line = String::from_utf8_lossy(start.split(|byte| *byte == b'\n').next().unwrap_or_default());
    let delimiter = sniff_delimiter(&first_line);
    if String::from_utf8_lossy(start).trim().is_empty() {
        return Err(DataError::Empty);
    }
    let progress = Rc::new(Progress { at_cell_start: Cell::new(true), ..Progress::default() });
    let watched = Watched { input, progress: Rc::clone(&progress), delimiter };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(CSV_BUFFER_BYTES)
        .from_reader(watched);
    let mut header_record = csv::StringRecord::new();
    match reader.read_record(&mut header_record) {
        Ok(true) => {}
        Ok(false) => return Err(DataError::Empty),
        Err(error) => return Err(DataError::Malformed(format!("the header row cannot be split into cells ({error})"))),
    }
    let headers = super::table::header_cells(header_record.iter())?;
    let spares = Spares::default();
    let mut rows = CsvRows {
        reader,
        record: csv::ByteRecord::new(),
        spares: spares.clone(),
        unused: Vec::new(),
        progress,
        headers: headers.clone(),
        line_breaks_before: line_breaks_in(header_record.as_byte_record()),
        fallback_row: 1,
        held: None,
        finished: false,
    };
    // A quote opened in the header and never closed swallows the whole file into it.
    rows.held = rows.read_one();
    if rows.held.is_none() && rows.progress.inside_quotes.get() {
        return Err(DataError::Malformed("a quote \" in the header row is never closed".to_string()));
    }
    let mut stream = RowStream::new(headers, Box::new(rows));
    stream.spares = Some(spares);
    Ok(stream)
}

struct CsvRows {
    reader: csv::Reader<Watched>,
    /// What the reader reads a row into, before its text is checked and copied into cells.
    record: csv::ByteRecord,
    /// Cells given back ([`Spares`]), and those taken from it not yet read into.
    spares: Spares,
    unused: Vec<Cells>,
    progress: Rc<Progress>,
    /// The header row's cells: how many cells a row must have, and the name of a cell that is
    /// not UTF-8 text.
    headers: Vec<String>,
    /// Line breaks inside the quoted cells of the rows read so far: they advance the line
    /// count, not the spreadsheet row.
    line_breaks_before: usize,
    fallback_row: usize,
    /// One row read ahead: only at the end of the file is it known whether the last row was
    /// left inside an unclosed quote.
    held: Option<RawRow>,
    finished: bool,
}

impl CsvRows {
    /// The next row, or `None` at the end.
    fn read_one(&mut self) -> Option<RawRow> {
        if self.finished {
            return None;
        }
        self.fallback_row = self.fallback_row.saturating_add(1);
        let record = &mut self.record;
        match self.reader.read_byte_record(record) {
            Ok(false) => {
                self.finished = true;
                return None;
            }
            Err(error) => {
                let row = self.fallback_row;
                let problem = format!("a row that can be split into cells ({error})");
                return Some(RawRow { row, cells: Err(row_problem(row, None, problem)) });
            }
            Ok(true) => {}
        }
        // Where the row's text began, counted back from where it ended: the csv reader
        // reports its start before the blank lines it skipped, and counts a line only when
        // it reads past the line feed, which for `\r\n` happens at the next row.
        let end = self.reader.position();
        let end_line = usize::try_from(end.line()).unwrap_or(usize::MAX);
        let at_end_of_input = self.progress.ended.get() && end.byte() == self.progress.bytes.get();
        let swallowed_by_quote = at_end_of_input && self.progress.inside_quotes.get();
        let ended_with_line_feed =
            end.byte().checked_sub(1).and_then(|last| self.progress.byte_at(last)) == Some(b'\n');
        let counted_terminator = ended_with_line_feed && !swallowed_by_quote;
        let breaks = line_breaks_in(record);
        let content_line = end_line.saturating_sub(usize::from(counted_terminator)).saturating_sub(breaks);
        let row = content_line.saturating_sub(self.line_breaks_before);
        self.line_breaks_before = self.line_breaks_before.saturating_add(breaks);
        self.fallback_row = row;
        // Cells of their own for each row (given back, or new): they go to the worker.
        if self.unused.is_empty() {
            self.unused = self.spares.take_all();
        }
        let cells = match self.unused.pop().unwrap_or_default().refilled_from(record) {
            Ok(cells) => cells,
            Err(cell) => {
                let column = self.headers.get(cell).cloned();
                let problem =
                    "UTF-8 text like the rest of the file; this cell has bytes that are not UTF-8".to_string();
                return Some(RawRow {
                    row,
                    cells: Err(RowError { row, key: None, column, raw: None, expected: problem }),
                });
            }
        };
        let cells = if cells.is_blank() && !swallowed_by_quote {
            // Counted and dropped by the stream, whatever its number of separators.
            Ok(Cells::blank(self.headers.len()))
        } else if cells.len() == self.headers.len() {
            Ok(cells)
        } else {
            Err(super::table::ragged_row(row, self.headers.len(), cells.len()))
        };
        Some(RawRow { row, cells })
    }
}

impl Iterator for CsvRows {
    type Item = RawRow;

    fn next(&mut self) -> Option<RawRow> {
        let current = self.held.take()?;
        self.held = self.read_one();
        if self.held.is_none() && self.progress.inside_quotes.get() {
            // An unclosed quote swallows the rest of the file, so it is always in the last row.
            let row = current.row;
            let problem = "every cell that starts with a quote \" to end with one; this one never does, \
                           so the rest of the file was read into it";
            return Some(RawRow { row, cells: Err(row_problem(row, None, problem.to_string())) });
        }
        Some(current)
    }
}

fn line_breaks_in(record: &csv::ByteRecord) -> usize {
    // The cells' bytes in one slice, searched with SIMD (searching each cell as text cost 2 % of
    // a run); most rows have no line break, which one search finds, so counting is rarer.
    let bytes = record.as_slice();
    match memchr::memchr(b'\n', bytes) {
        None => 0,
        Some(_) => memchr::memchr_iter(b'\n', bytes).count(),
    }
}

fn row_problem(row: usize, raw: Option<String>, expected: String) -> RowError {
    RowError { row, key: None, column: None, raw, expected }
}

/// JSON Lines, or a JSON array of objects (read whole: an array has no lines to stream).
fn json_rows(mut input: Box<dyn BufRead>) -> Result<RowStream, DataError> {
    let start = input.fill_buf().map_err(|error| DataError::Malformed(format!("it cannot be read ({error})")))?;
    let first = String::from_utf8_lossy(start);
    if first.trim().is_empty() {
        return Err(DataError::Empty);
    }
    if first.trim_start().starts_with('[') {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(|error| DataError::Malformed(format!("it cannot be read ({error})")))?;
        let table = super::table::read_json(&text)?;
        return Ok(RowStream::new(table.headers, Box::new(table.rows.into_iter())));
    }
    let mut lines = JsonLines { input, row: 0 };
    let mut ahead = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    while ahead.len() < JSON_HEADER_LINES {
        let Some((row, object)) = lines.next() else { break };
        if let Ok(object) = &object {
            for key in object.keys() {
                let header = key.trim().to_string();
                if !headers.contains(&header) {
                    headers.push(header);
                }
            }
        }
        ahead.push((row, object));
    }
    let positions: HashMap<String, usize> =
        headers.iter().enumerate().map(|(position, header)| (header.clone(), position)).collect();
    let count = headers.len();
    let rows = ahead.into_iter().chain(lines).map(move |(row, object)| {
        let cells = object.map(|object| super::table::json_cells(&object, &positions, count));
        RawRow { row, cells: cells.map(|cells| cells.iter().map(Option::as_deref).collect()) }
    });
    Ok(RowStream::new(headers, Box::new(rows)))
}

/// The objects of a JSON Lines input with their line numbers; blank lines are skipped.
struct JsonLines {
    input: Box<dyn BufRead>,
    row: usize,
}

impl Iterator for JsonLines {
    type Item = (usize, Result<serde_json::Map<String, serde_json::Value>, RowError>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut line = String::new();
        loop {
            line.clear();
            self.row = self.row.saturating_add(1);
            match self.input.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) if line.trim().is_empty() => continue,
                Ok(_) => return Some((self.row, super::table::json_line(self.row, line.trim()))),
                Err(error) => {
                    let problem = format!("a line of UTF-8 text ({error})");
                    return Some((self.row, Err(row_problem(self.row, None, problem))));
                }
            }
        }
    }
}
