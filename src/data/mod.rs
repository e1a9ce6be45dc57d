//! Reading applicant data files (CSV or JSON Lines, UTF-8 or GBK, and Excel workbooks) into
//! typed records.
//!
//! Reading is split in two so that the caller can choose the entity from the headers before
//! any cell is interpreted: [`read_table`] decodes the bytes and splits them into headers and
//! raw rows; [`bind`] matches a [`RecordLayout`] to the headers (reporting every missing
//! column at once); [`read_record`] turns one raw row into a [`Record`] of [`Value`]s.
//!
//! A blank cell is never false and never zero: it becomes the column's `when_blank` value,
//! normally [`Value::Unknown`]. A problem in one row is a [`RowError`] for that row only, so
//! one bad cell does not stop the others from being decided; a problem that makes the whole
//! file unreadable is a [`DataError`].

mod cell;
mod keys;
mod record;
mod stream;
mod table;
mod workbook;

pub use cell::{parse_cell, TextCache};
pub use keys::{KeyRegister, DUPLICATE_KEY};
pub use record::{bind, header_matches, read_record, read_record_sharing, read_records, read_used_fields, Binding};
pub use stream::{BlankRows, RowStream, Spares};
pub use table::read_table;

use crate::value::Value;
use rust_decimal::Decimal;
use std::fmt;
use std::path::Path;

/// How the text of a column is to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    Bool,
    Integer,
    /// A whole number, 0 or more: how many accidents, penalties, patents.
    Count,
    Decimal,
    /// An amount written in the column's unit; the value is in 元.
    Money {
        yuan_per_unit: Decimal,
    },
    /// `50%`, or a bare `50` meaning 50 percentage points; the value is the fraction `0.5`.
    Percent,
    Date,
    Duration,
    Text,
    /// The value is the index of the label in `labels`.
    Enum {
        labels: Vec<String>,
    },
    /// Items separated by `、` `;` `；` `,` `，` or a line break.
    List(Box<ColumnKind>),
}

/// One column an entity expects in its data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub header: String,
    pub kind: ColumnKind,
    /// The value of a blank cell: usually [`Value::Unknown`]; lists of honours use an empty list.
    pub when_blank: Value,
    /// The column may be absent from the file: then every cell is blank.
    pub optional: bool,
}

impl ColumnSpec {
    /// A required column whose blank cells are [`Value::Unknown`].
    pub fn new(header: impl Into<String>, kind: ColumnKind) -> ColumnSpec {
        ColumnSpec { header: header.into(), kind, when_blank: Value::Unknown, optional: false }
    }

    pub fn with_when_blank(mut self, when_blank: Value) -> ColumnSpec {
        self.when_blank = when_blank;
        self
    }

    pub fn with_optional(mut self, optional: bool) -> ColumnSpec {
        self.optional = optional;
        self
    }
}

/// The columns of one entity's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLayout {
    pub columns: Vec<ColumnSpec>,
    /// Index in `columns` of the key column, whose text names the record in messages.
    pub key: usize,
}

/// The syntax of a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Comma-separated (a tab- or semicolon-separated file is recognised from its header line).
    Csv,
    /// One JSON object per line, the headers as keys (a JSON array of objects is also read).
    JsonLines,
    /// An Excel workbook: the first sheet, or the one named.
    Xlsx,
}

impl InputFormat {
    /// `.jsonl`, `.ndjson` and `.json` are JSON Lines; anything else is read as CSV.
    pub fn from_path(path: &Path) -> InputFormat {
        let extension = path.extension().and_then(|extension| extension.to_str()).map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("jsonl" | "ndjson" | "json") => InputFormat::JsonLines,
            Some("xlsx" | "xlsm") => InputFormat::Xlsx,
            _ => InputFormat::Csv,
        }
    }
}

/// A decoded file: trimmed headers and the rows below them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable {
    pub headers: Vec<String>,
    pub rows: Vec<RawRow>,
}

/// One row of a [`RawTable`], before its cells are interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// Spreadsheet numbering (the header is row 1, the first data row 2); for JSON Lines the
    /// line number.
    pub row: usize,
    /// One trimmed cell per header, blank when empty or absent; `Err` for a row that cannot
    /// be split into cells.
    pub cells: Result<Cells, RowError>,
}

/// The cells of one row, as one text with the end of each cell (two allocations a row rather
/// than one a cell, which was a fifth of the time of reading a large file), handed to the
/// worker that decides the row as they are: each cell is trimmed when it is asked for.
///
/// Invariant: `ends` never decrease and the last is at most `text.len()`; a cell that does not
/// begin and end on character boundaries is never made ([`Cells::refilled_from`] checks), so `get`
/// finds every cell.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    text: String,
    ends: Vec<usize>,
}

impl Cells {
    /// `count` blank cells.
    pub fn blank(count: usize) -> Cells {
        std::iter::repeat_n("", count).collect()
    }

    /// The trimmed text of cell `index`; `None` when it is blank or beyond the row.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&str> {
        self.untrimmed(index).map(cell::trim_cell).filter(|text| !text.is_empty())
    }

    fn untrimmed(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or_default(),
            None => 0,
        };
        self.text.get(start..end)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every cell blank: a row that names no record.
    pub fn is_blank(&self) -> bool {
        (0..self.len()).all(|index| self.untrimmed(index).is_none_or(|text| cell::trim_cell(text).is_empty()))
    }

    /// The cells as separate strings, `None` for a blank one.
    pub fn to_vec(&self) -> Vec<Option<String>> {
        (0..self.len()).map(|index| self.get(index).map(str::to_string)).collect()
    }

    /// The row the CSV reader read into `record`, in `self` (whose buffers are reused). `Err`
    /// with the index of the first cell that is not UTF-8 text.
    ///
    /// The whole row is checked at once (SIMD, `simdutf8`), which is several times faster on
    /// Chinese text than checking cell by cell as `csv::StringRecord` does; a row that is valid
    /// as a whole is valid cell by cell when every cell begins on a character boundary (its
    /// first byte is not a continuation byte): each cell then also ends on one, where the next
    /// begins or the text ends.
    pub(crate) fn refilled_from(mut self, record: &csv::ByteRecord) -> Result<Cells, usize> {
        self.text.clear();
        self.ends.clear();
        let Ok(text) = simdutf8::basic::from_utf8(record.as_slice()) else {
            return Err(first_cell_not_utf8(record));
        };
        // The cells lie one after the other in the record's text: each ends where the next begins.
        let mut end = 0;
        for cell in record.iter() {
            if cell.first().is_some_and(|first| cell::is_continuation(*first)) {
                return Err(first_cell_not_utf8(record));
            }
            end += cell.len();
            self.ends.push(end);
        }
        self.text.push_str(text);
        Ok(self)
    }
}

fn first_cell_not_utf8(record: &csv::ByteRecord) -> usize {
    record.iter().position(|cell| std::str::from_utf8(cell).is_err()).unwrap_or_default()
}

/// Rows are equal when their trimmed cells are.
impl PartialEq for Cells {
    fn eq(&self, other: &Cells) -> bool {
        self.len() == other.len() && (0..self.len()).all(|index| self.get(index) == other.get(index))
    }
}

impl Eq for Cells {}

/// Cells from their text.
impl<'a> FromIterator<&'a str> for Cells {
    fn from_iter<T: IntoIterator<Item = &'a str>>(cells: T) -> Cells {
        let mut row = Cells::default();
        for cell in cells {
            row.text.push_str(cell);
            row.ends.push(row.text.len());
        }
        row
    }
}

/// Cells from optional text, `None` being blank.
impl<'a> FromIterator<Option<&'a str>> for Cells {
    fn from_iter<T: IntoIterator<Item = Option<&'a str>>>(cells: T) -> Cells {
        cells.into_iter().map(|cell| cell.unwrap_or_default()).collect()
    }
}

/// One typed record: `values[i]` is the value of `layout.columns[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub row: usize,
    /// The trimmed text of the key cell, when not blank.
    pub key: Option<String>,
    pub values: Vec<Value>,
}

/// Why one row could not be read. The other rows are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    /// The trimmed key cell, when the row has one, so that messages can name the record.
    pub key: Option<String>,
    /// The header of the offending cell, when one cell is at fault.
    pub column: Option<String>,
    /// The offending text as written.
    pub raw: Option<String>,
    /// What was expected, in plain words.
    pub expected: String,
}

/// Why a data file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    MissingColumns {
        /// The entity the columns were required for, when the caller knows it.
        entity_hint: Option<String>,
        missing: Vec<String>,
    },
    DuplicateColumn(String),
    Malformed(String),
    Empty,
}

/// Long cells are cut in messages so that one error stays on one line.
const MAX_QUOTED_CHARS: usize = 60;

impl fmt::Display for RowError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(column) = &self.column {
            write!(formatter, "column {column}: ")?;
        }
        match &self.raw {
            Some(raw) => {
                let shown: String = raw.chars().take(MAX_QUOTED_CHARS).collect();
                let ellipsis = if raw.chars().count() > MAX_QUOTED_CHARS { "…" } else { "" };
                write!(formatter, "\"{shown}{ellipsis}\" is not valid; expected {}", self.expected)
            }
            None => write!(formatter, "expected {}", self.expected),
        }
    }
}

impl std::error::Error for RowError {}

impl fmt::Display for DataError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::MissingColumns { entity_hint, missing } => {
                let noun = if missing.len() == 1 { "column" } else { "columns" };
                write!(formatter, "the data file lacks the {noun} {}", missing.join(", "))?;
                match entity_hint {
                    Some(entity) => write!(formatter, " required by entity {entity}")?,
                    None => write!(formatter, " required by the policy")?,
                }
                write!(formatter, "; the first row must name every required column (in any order)")
            }
            DataError::DuplicateColumn(header) => write!(
                formatter,
                "the data file has more than one column headed {header}; \
                 each column must appear once so that its cells are not ambiguous"
            ),
            DataError::Malformed(reason) => {
                write!(formatter, "the data file cannot be read: {reason}")
            }
            DataError::Empty => write!(formatter, "the data file is empty; expected a first row naming the columns"),
        }
    }
}

impl std::error::Error for DataError {}
