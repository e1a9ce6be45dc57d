//! Matching a record layout to a file's headers and reading typed records from raw rows.
//!
//! Headers are matched by their text, not their position, because exports reorder columns.
//! The comparison ignores whitespace and full-width/half-width differences, since Excel users
//! type `（万元）` and `(万元)` interchangeably.

use super::cell::{read_cell, TextCache};
use super::{ColumnKind, ColumnSpec, DataError, RawRow, RawTable, Record, RecordLayout, RowError};
use crate::value::Value;

/// Where each layout column is found among a file's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// For each layout column, its position among the headers; `None` for an absent optional
    /// column.
    positions: Vec<Option<usize>>,
}

impl Binding {
    /// The header position of layout column `column`, when the file has it.
    pub fn position(&self, column: usize) -> Option<usize> {
        self.positions.get(column).copied().flatten()
    }
}

/// True when every non-optional column of the layout is among the headers (used to pick the
/// entity when the user gives none).
pub fn header_matches(layout: &RecordLayout, headers: &[String]) -> bool {
    let headers: Vec<String> = headers.iter().map(|header| comparable(header)).collect();
    layout.columns.iter().filter(|spec| !spec.optional).all(|spec| headers.contains(&comparable(&spec.header)))
}

/// Maps layout columns to header positions. A missing required column is one error listing
/// all missing columns, before any row is read; a column the file names twice is an error
/// too, since either copy could be meant.
pub fn bind(layout: &RecordLayout, headers: &[String]) -> Result<Binding, DataError> {
    let headers: Vec<String> = headers.iter().map(|header| comparable(header)).collect();
    let mut positions = Vec::with_capacity(layout.columns.len());
    let mut missing = Vec::new();
    for spec in &layout.columns {
        let wanted = comparable(&spec.header);
        let mut matching =
            headers.iter().enumerate().filter(|(_, header)| **header == wanted).map(|(position, _)| position);
        let position = matching.next();
        if matching.next().is_some() {
            return Err(DataError::DuplicateColumn(spec.header.clone()));
        }
        if position.is_none() && !spec.optional {
            missing.push(spec.header.clone());
        }
        positions.push(position);
    }
    if !missing.is_empty() {
        return Err(DataError::MissingColumns { entity_hint: None, missing });
    }
    Ok(Binding { positions })
}

/// Reads one typed record. The first cell that cannot be read makes the row an error; the
/// error carries the record's key when the key cell is readable.
pub fn read_record(layout: &RecordLayout, binding: &Binding, raw: &RawRow) -> Result<Record, RowError> {
    read_record_sharing(layout, binding, raw, &mut TextCache::default())
}

/// [`read_record`], texts repeated from earlier rows taken from `texts` (see [`TextCache`]).
pub fn read_record_sharing(
    layout: &RecordLayout,
    binding: &Binding,
    raw: &RawRow,
    texts: &mut TextCache,
) -> Result<Record, RowError> {
    read_used_fields(layout, binding, raw, texts, &[])
}

/// [`read_record_sharing`] for a run that reads only some fields (`used`, by column; empty for
/// all): a text column it does not read is left unknown without being copied (a name, the key,
/// different on every row). Any text is a valid text, so no row error is lost; every other kind
/// of column is still read and checked.
pub fn read_used_fields(
    layout: &RecordLayout,
    binding: &Binding,
    raw: &RawRow,
    texts: &mut TextCache,
    used: &[bool],
) -> Result<Record, RowError> {
    let cells = raw.cells.as_ref().map_err(Clone::clone)?;
    let cell = |column: usize| -> Option<&str> {
        let position = binding.position(column)?;
        cells.get(position)
    };
    let key = cell(layout.key).map(str::to_string);
    // Sized once: collecting through `Result` would grow the vector four times a row.
    let mut values = Vec::with_capacity(layout.columns.len());
    for (column, spec) in layout.columns.iter().enumerate() {
        if matches!(spec.kind, ColumnKind::Text) && used.get(column) == Some(&false) {
            values.push(Value::Unknown);
            continue;
        }
        values.push(match cell(column) {
            None => spec.when_blank.clone(),
            Some(text) => read_cell(text, &spec.kind, texts.column(column)).map_err(|expected| RowError {
                row: raw.row,
                key: key.clone(),
                column: Some(spec.header.clone()),
                raw: Some(text.to_string()),
                expected,
            })?,
        });
    }
    Ok(Record { row: raw.row, key, values })
}

/// Binds `layout` to `table` and reads every row, in file order.
pub fn read_records(layout: &RecordLayout, table: &RawTable) -> Result<Vec<Result<Record, RowError>>, DataError> {
    let binding = bind(layout, &table.headers)?;
    let mut texts = TextCache::default();
    Ok(table.rows.iter().map(|raw| read_record_sharing(layout, &binding, raw, &mut texts)).collect())
}

/// The form of a header used for matching: no whitespace, full-width ASCII as half-width.
fn comparable(header: &str) -> String {
    header
        .chars()
        .filter(|character| !character.is_whitespace() && *character != '\u{feff}')
        .map(|character| match character {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(character) - 0xfee0).unwrap_or(character),
            _ => character,
        })
        .collect()
}

/// Used by callers that want to show which layout column a header binds to.
impl ColumnSpec {
    /// Whether `header` names this column, under the same comparison [`bind`] uses.
    pub fn is_named(&self, header: &str) -> bool {
        comparable(&self.header) == comparable(header)
    }
}
