//! Decoding a data file and splitting it into headers and raw rows.
//!
//! Chinese Excel saves CSV as GBK unless told otherwise, so text that is not valid UTF-8 is
//! read as GB18030 (a superset of GBK). Rows that cannot be split become row errors so the
//! rest of the file is still read.

use super::stream::RowStream;
use super::{DataError, InputFormat, RawRow, RawTable, RowError};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Reads a whole input into headers and rows: [`RowStream`] collected, for callers that want
/// every row at once (explanations, diffs, tests).
pub fn read_table(bytes: &[u8], format: InputFormat) -> Result<RawTable, DataError> {
    let stream = RowStream::open(std::io::Cursor::new(bytes.to_vec()), format)?;
    let headers = stream.headers.clone();
    Ok(RawTable { headers, rows: stream.collect() })
}

pub(super) fn ragged_row(row: usize, expected_cells: usize, found_cells: usize) -> RowError {
    let hint = if found_cells > expected_cells {
        " (a comma inside a cell, as in 1,250, must be inside quotes: \"1,250\")"
    } else {
        ""
    };
    row_problem(row, None, format!("{expected_cells} cells, one per header, but the row has {found_cells}{hint}"))
}

fn row_problem(row: usize, raw: Option<String>, expected: String) -> RowError {
    RowError { row, key: None, column: None, raw, expected }
}

pub(super) fn header_cells<'a>(cells: impl Iterator<Item = &'a str>) -> Result<Vec<String>, DataError> {
    let headers: Vec<String> = cells.map(|cell| cell.trim_start_matches('\u{feff}').trim().to_string()).collect();
    check_unique(&headers)?;
    Ok(headers)
}

/// Blank headers (trailing empty columns left by spreadsheets) may repeat; they bind to nothing.
fn check_unique(headers: &[String]) -> Result<(), DataError> {
    for (index, header) in headers.iter().enumerate() {
        let earlier = headers.get(..index).unwrap_or_default();
        if !header.is_empty() && earlier.contains(header) {
            return Err(DataError::DuplicateColumn(header.clone()));
        }
    }
    Ok(())
}

pub(super) fn non_blank(cell: &str) -> Option<String> {
    let trimmed = cell.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A JSON object, or why a line is not one, with the line's row number.
type JsonLine = (usize, Result<serde_json::Map<String, serde_json::Value>, RowError>);

pub(super) fn read_json(text: &str) -> Result<RawTable, DataError> {
    let lines = json_array(text).unwrap_or_else(|| json_lines(text));
    let mut headers: Vec<String> = Vec::new();
    let mut header_positions: HashMap<String, usize> = HashMap::new();
    for (_, object) in &lines {
        let Ok(object) = object else { continue };
        for key in object.keys() {
            let header = key.trim().to_string();
            if !header_positions.contains_key(&header) {
                header_positions.insert(header.clone(), headers.len());
                headers.push(header);
            }
        }
    }
    let mut rows = Vec::new();
    for (row, object) in lines {
        let cells = object.map(|object| json_cells(&object, &header_positions, headers.len()));
        if matches!(&cells, Ok(cells) if cells.iter().all(Option::is_none)) {
            continue;
        }
        rows.push(RawRow { row, cells: cells.map(|cells| cells.iter().map(Option::as_deref).collect()) });
    }
    Ok(RawTable { headers, rows })
}

/// The cells of one JSON object, in the order of the headers.
pub(super) fn json_cells(
    object: &serde_json::Map<String, serde_json::Value>,
    positions: &HashMap<String, usize>,
    count: usize,
) -> Vec<Option<String>> {
    let mut cells: Vec<Option<String>> = vec![None; count];
    for (key, value) in object {
        let slot = positions.get(key.trim()).copied().and_then(|position| cells.get_mut(position));
        if let Some(slot) = slot {
            *slot = json_cell(value).as_deref().and_then(non_blank);
        }
    }
    cells
}

/// One line of JSON Lines: an object, or why it is not one.
pub(super) fn json_line(row: usize, line: &str) -> Result<serde_json::Map<String, serde_json::Value>, RowError> {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(value) => json_object(row, value, Some(line)),
        Err(error) => Err(row_problem(row, Some(line.to_string()), format!("a JSON object ({error})"))),
    }
}

/// A `.json` file holding one array of objects; rows are numbered from 1 in array order.
fn json_array(text: &str) -> Option<Vec<JsonLine>> {
    if !text.trim_start().starts_with('[') {
        return None;
    }
    let serde_json::Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    let lines = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let row = index.saturating_add(1);
            (row, json_object(row, item, None))
        })
        .collect();
    Some(lines)
}

fn json_lines(text: &str) -> Vec<JsonLine> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let row = index.saturating_add(1);
            (row, json_line(row, line.trim()))
        })
        .collect()
}

fn json_object(
    row: usize,
    value: serde_json::Value,
    line: Option<&str>,
) -> Result<serde_json::Map<String, serde_json::Value>, RowError> {
    let found = match value {
        serde_json::Value::Object(object) => return Ok(object),
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    };
    Err(row_problem(
        row,
        line.map(str::to_string),
        format!("a JSON object with the column headers as keys, not {found}"),
    ))
}

/// The cell text of a JSON value. Numbers keep their exact digits (never through `f64`);
/// arrays become lists separated by `、`.
fn json_cell(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        serde_json::Value::Number(number) => Some(json_number_text(number)),
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(json_cell).collect();
            Some(parts.join("、"))
        }
        serde_json::Value::Object(_) => Some(value.to_string()),
    }
}

/// `1e3` is valid JSON but not a form the cell parser reads, so exponents are expanded.
fn json_number_text(number: &serde_json::Number) -> String {
    let text = number.to_string();
    if !text.contains(['e', 'E']) {
        return text;
    }
    Decimal::from_scientific(&text).map(|decimal| decimal.normalize().to_string()).unwrap_or(text)
}
