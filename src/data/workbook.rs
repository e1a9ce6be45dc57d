//! Reading an Excel workbook (`.xlsx`) as a stream of rows: the first sheet, or the one named.
//!
//! A workbook is a zip archive and has to be at hand whole, but its cells are read as a stream
//! on a thread of their own and handed over row by row, so that memory does not grow with the
//! rows. Cells become the text a CSV export would hold: numbers in their shortest exact
//! decimal form (Excel stores doubles; `1250.5` stays `1250.5`), dates as `YYYY-MM-DD`,
//! booleans as `true` / `false`, error cells as written (`#DIV/0!`) so that they are rejected
//! on their row like any text that is not a number.

use super::{DataError, RawRow, RowError};
use calamine::{DataRef, Reader, Xlsx};
use std::io::Cursor;
use std::sync::mpsc;

/// Rows handed over from the reading thread at most this many ahead of the caller.
const ROWS_AHEAD: usize = 1_024;

/// Headers, then the rows of the sheet.
pub(super) fn open(bytes: Vec<u8>, sheet: Option<&str>) -> Result<(Vec<String>, mpsc::IntoIter<RawRow>), DataError> {
    let workbook = Xlsx::new(Cursor::new(bytes)).map_err(|error| {
        DataError::Malformed(format!("it is not a readable Excel workbook ({error}); save it again as .xlsx or as CSV"))
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|name| name.as_str() == wanted).cloned().ok_or_else(|| {
            DataError::Malformed(format!(
                "the workbook has no sheet \"{wanted}\"; its sheets are: {}",
                names.join(", ")
            ))
        })?,
        None => names.first().cloned().ok_or_else(|| DataError::Malformed("the workbook has no sheet".to_string()))?,
    };
    let (header_sender, header_receiver) = mpsc::sync_channel(1);
    let (row_sender, row_receiver) = mpsc::sync_channel(ROWS_AHEAD);
    std::thread::spawn(move || read_sheet(workbook, &name, header_sender, row_sender));
    match header_receiver.recv() {
        Ok(Ok(headers)) => Ok((headers, row_receiver.into_iter())),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(DataError::Empty),
    }
}

/// Runs on its own thread: sends the header row, then every row that is not blank.
fn read_sheet(
    mut workbook: Xlsx<Cursor<Vec<u8>>>,
    name: &str,
    headers: mpsc::SyncSender<Result<Vec<String>, DataError>>,
    rows: mpsc::SyncSender<RawRow>,
) {
    let mut cells = match workbook.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        Err(error) => {
            let _ = headers.send(Err(DataError::Malformed(format!("the sheet \"{name}\" cannot be read ({error})"))));
            return;
        }
    };
    // Cells come row by row, left to right; a row is complete when the next one starts.
    let mut header: Option<Vec<String>> = None;
    let mut current: Option<(u32, Vec<(u32, String)>)> = None;
    let mut headers = Some(headers);
    loop {
        let next = match cells.next_cell() {
            Ok(next) => next,
            Err(error) => {
                let problem = format!("a readable row ({error})");
                let row = current.as_ref().map_or(1, |(row, _)| *row as usize + 1);
                let _ = rows.send(RawRow { row, cells: Err(row_problem(row, problem)) });
                None
            }
        };
        let position = next.as_ref().map(|cell| cell.get_position());
        let finished_row = match (&current, position) {
            (Some((row, _)), Some((next_row, _))) if *row == next_row => None,
            _ => current.take(),
        };
        if let Some((row, values)) = finished_row {
            match &header {
                None => {
                    let names: Vec<String> = spread(&values).into_iter().map(Option::unwrap_or_default).collect();
                    let names = super::table::header_cells(names.iter().map(String::as_str));
                    let failed = names.is_err();
                    if let Some(sender) = headers.take() {
                        let _ = sender.send(names.clone());
                    }
                    if failed {
                        return;
                    }
                    header = names.ok();
                }
                Some(names) => {
                    if rows.send(raw_row(row, &values, names.len())).is_err() {
                        return;
                    }
                }
            }
        }
        let Some(cell) = next else { break };
        let (row, column) = cell.get_position();
        let text = cell_text(cell.get_value());
        let entry = current.get_or_insert_with(|| (row, Vec::new()));
        if let Some(text) = text {
            entry.1.push((column, text));
        }
    }
    if let Some(sender) = headers.take() {
        let _ = sender.send(Err(DataError::Empty));
    }
}

/// The cells of a row placed in their columns.
fn spread(values: &[(u32, String)]) -> Vec<Option<String>> {
    let width = values.iter().map(|(column, _)| *column as usize + 1).max().unwrap_or(0);
    let mut cells = vec![None; width];
    for (column, text) in values {
        if let Some(cell) = cells.get_mut(*column as usize) {
            *cell = super::table::non_blank(text);
        }
    }
    cells
}

/// A data row with its spreadsheet number (a blank one is counted and dropped by the stream).
fn raw_row(row: u32, values: &[(u32, String)], columns: usize) -> RawRow {
    let row = row as usize + 1;
    let mut cells = spread(values);
    if cells.iter().all(Option::is_none) {
        return RawRow { row, cells: Ok(super::Cells::blank(columns)) };
    }
    if cells.len() > columns && cells.iter().skip(columns).any(Option::is_some) {
        let found = cells.len();
        return RawRow { row, cells: Err(super::table::ragged_row(row, columns, found)) };
    }
    cells.resize(columns, None);
    RawRow { row, cells: Ok(cells.iter().map(Option::as_deref).collect()) }
}

/// A cell as the text a CSV export would hold; `None` when empty.
fn cell_text(value: &DataRef) -> Option<String> {
    match value {
        DataRef::Empty => None,
        DataRef::Int(number) => Some(number.to_string()),
        // Rust writes the shortest decimal that reads back as the same double: what Excel shows.
        DataRef::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => Some(format!("{number:.0}")),
        DataRef::Float(number) => Some(number.to_string()),
        DataRef::String(text) => Some(text.clone()),
        DataRef::SharedString(text) => Some((*text).to_string()),
        DataRef::Bool(flag) => Some(flag.to_string()),
        DataRef::DateTime(moment) => match moment.as_datetime() {
            Some(moment) if moment.time() == chrono::NaiveTime::MIN => Some(moment.date().to_string()),
            Some(moment) => Some(moment.to_string()),
            None => Some(moment.as_f64().to_string()),
        },
        DataRef::DateTimeIso(text) => Some(text.strip_suffix("T00:00:00").unwrap_or(text).to_string()),
        DataRef::DurationIso(text) => Some(text.clone()),
        DataRef::Error(error) => Some(error.to_string()),
    }
}

fn row_problem(row: usize, expected: String) -> RowError {
    RowError { row, key: None, column: None, raw: None, expected }
}
