//! Decoding a data file and splitting it into headers and raw rows.
//!
//! Chinese Excel saves CSV as GBK unless told otherwise, so text that is not valid UTF-8 is
//! read as GB18030 (a superset of GBK). Rows that cannot be split become row errors so the
//! rest of the file is still read.

use super::{DataError, InputFormat, RawRow, RawTable, RowError};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::HashMap;

/// Decodes the whole input (UTF-8 with or without BOM, UTF-16 with BOM, otherwise GB18030)
/// and splits it into header and raw rows.
///
/// Rows whose cells are all blank are skipped: spreadsheets leave them behind after deleted
/// rows, and they name no record.
pub fn read_table(bytes: &[u8], format: InputFormat) -> Result<RawTable, DataError> {
    let text = decode(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Err(DataError::Empty);
    }
    match format {
        InputFormat::Csv => read_csv(text),
        InputFormat::JsonLines => read_json(text),
    }
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16_LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16_BE_BOM: &[u8] = &[0xFE, 0xFF];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DataError> {
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
        return Err(DataError::Malformed(
            "it looks like an Excel workbook, which is not read directly; \
             save it as CSV (UTF-8 or GBK) and read that file"
                .to_string(),
        ));
    }
    let utf16 = if let Some(rest) = bytes.strip_prefix(UTF16_LE_BOM) {
        Some((encoding_rs::UTF_16LE, rest))
    } else {
        bytes.strip_prefix(UTF16_BE_BOM).map(|rest| (encoding_rs::UTF_16BE, rest))
    };
    if let Some((encoding, rest)) = utf16 {
        let (text, had_errors) = encoding.decode_without_bom_handling(rest);
        if had_errors {
            return Err(DataError::Malformed(
                "it starts with a UTF-16 byte order mark but is not valid UTF-16 text".to_string(),
            ));
        }
        return Ok(text);
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(DataError::Malformed("it is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8".to_string()));
    }
    Ok(text)
}

fn read_csv(text: &str) -> Result<RawTable, DataError> {
    let delimiter = sniff_delimiter(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header_record = match records.next() {
        Some(Ok(record)) => record,
        Some(Err(error)) => {
            return Err(DataError::Malformed(format!("the header row cannot be split into cells ({error})")))
        }
        None => return Err(DataError::Empty),
    };
    let records: Vec<csv::Result<csv::StringRecord>> = records.collect();
    let unterminated_quote = ends_inside_quotes(text, char::from(delimiter));
    if unterminated_quote && records.is_empty() {
        // The quote swallowed the rest of the file into the header, so no row can be read.
        return Err(DataError::Malformed("a quote \" in the header row is never closed".to_string()));
    }
    let headers = header_cells(header_record.iter())?;

    let mut rows = Vec::new();
    // Line breaks inside quoted cells advance the line count but not the spreadsheet row.
    let mut line_breaks_inside_cells = line_breaks_in(&header_record);
    let mut fallback_row = 1usize;
    let record_count = records.len();
    for (index, record) in records.into_iter().enumerate() {
        fallback_row = fallback_row.saturating_add(1);
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                rows.push(RawRow {
                    row: fallback_row,
                    cells: Err(row_problem(
                        fallback_row,
                        None,
                        format!("a row that can be split into cells ({error})"),
                    )),
                });
                continue;
            }
        };
        let row = record
            .position()
            .and_then(|position| record_start_line(text, position))
            .map_or(fallback_row, |line| line.saturating_sub(line_breaks_inside_cells));
        line_breaks_inside_cells = line_breaks_inside_cells.saturating_add(line_breaks_in(&record));
        if unterminated_quote && index.saturating_add(1) == record_count {
            // An unclosed quote swallows the rest of the file, so it is always in the last record.
            rows.push(RawRow {
                row,
                cells: Err(row_problem(
                    row,
                    None,
                    "every cell that starts with a quote \" to end with one; this one never \
                     does, so the rest of the file was read into it"
                        .to_string(),
                )),
            });
            continue;
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cells = if record.len() == headers.len() {
            Ok(record.iter().map(non_blank).collect())
        } else {
            Err(ragged_row(row, headers.len(), record.len()))
        };
        rows.push(RawRow { row, cells });
    }
    Ok(RawTable { headers, rows })
}

/// Excel writes tab-separated text when saving "Unicode text", and semicolons in some
/// locales; the header row tells which separator the file uses.
fn sniff_delimiter(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or_default();
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

/// Whether the file ends inside a quoted cell, following the csv crate's quoting rules: a
/// quote opens a quoted cell only at the start of a cell, and `""` inside one is a literal
/// quote. The csv crate itself silently reads such a cell to the end of the file.
fn ends_inside_quotes(text: &str, delimiter: char) -> bool {
    let mut inside_quotes = false;
    let mut at_cell_start = true;
    let mut just_closed = false;
    for character in text.chars() {
        if inside_quotes {
            if character == '"' {
                inside_quotes = false;
                just_closed = true;
            }
            continue;
        }
        match character {
            '"' if at_cell_start || just_closed => {
                inside_quotes = true;
                at_cell_start = false;
            }
            '\n' | '\r' => at_cell_start = true,
            _ if character == delimiter => at_cell_start = true,
            _ => at_cell_start = false,
        }
        just_closed = false;
    }
    inside_quotes
}

/// The csv crate reports where it began reading, before the blank lines it skips; a
/// spreadsheet shows those blank lines as rows, so they are counted here.
fn record_start_line(text: &str, position: &csv::Position) -> Option<usize> {
    let line = usize::try_from(position.line()).ok()?;
    let start = usize::try_from(position.byte()).ok()?;
    let skipped_line_breaks = text
        .get(start..)?
        .chars()
        .take_while(|character| matches!(character, '\r' | '\n'))
        .filter(|character| *character == '\n')
        .count();
    Some(line.saturating_add(skipped_line_breaks))
}

fn line_breaks_in(record: &csv::StringRecord) -> usize {
    record.iter().map(|cell| cell.matches('\n').count()).sum()
}

fn ragged_row(row: usize, expected_cells: usize, found_cells: usize) -> RowError {
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

fn header_cells<'a>(cells: impl Iterator<Item = &'a str>) -> Result<Vec<String>, DataError> {
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

fn non_blank(cell: &str) -> Option<String> {
    let trimmed = cell.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A JSON object, or why a line is not one, with the line's row number.
type JsonLine = (usize, Result<serde_json::Map<String, serde_json::Value>, RowError>);

fn read_json(text: &str) -> Result<RawTable, DataError> {
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
        let cells = object.map(|object| {
            let mut cells: Vec<Option<String>> = vec![None; headers.len()];
            for (key, value) in &object {
                let position = header_positions.get(key.trim()).copied();
                let slot = position.and_then(|position| cells.get_mut(position));
                if let Some(slot) = slot {
                    *slot = json_cell(value).as_deref().and_then(non_blank);
                }
            }
            cells
        });
        if matches!(&cells, Ok(cells) if cells.iter().all(Option::is_none)) {
            continue;
        }
        rows.push(RawRow { row, cells });
    }
    Ok(RawTable { headers, rows })
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
            let line = line.trim();
            let object = match serde_json::from_str::<serde_json::Value>(line) {
                Ok(value) => json_object(row, value, Some(line)),
                Err(error) => Err(row_problem(row, Some(line.to_string()), format!("a JSON object ({error})"))),
            };
            (row, object)
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
