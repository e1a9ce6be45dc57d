//! Output formats of `eval`: JSON Lines (the contract other tools read), CSV and a terminal
//! table; and how values are written for people (`300万元`, `50%`, 是/否).

use crate::check::{Model, Type};
use crate::compile::Program;
use crate::eval::{AwardStatus, Outcome};
use crate::value::Value;
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};

/// An amount in 元 as the JSON contract writes it: a plain decimal string, no trailing zeros.
pub fn yuan_string(amount: Decimal) -> String {
    Yuan(amount).to_string()
}

/// [`yuan_string`]'s text, for writing into a buffer without a string of its own.
struct Yuan(Decimal);

impl std::fmt::Display for Yuan {
    fn fmt(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        // Whole amounts (most awards, most totals) as integers: the same digits as the decimal
        // writes, without normalising and formatting a decimal.
        if self.0.scale() == 0 {
            if let Ok(whole) = i64::try_from(self.0.mantissa()) {
                return whole.fmt(formatter);
            }
        }
        self.0.normalize().fmt(formatter)
    }
}

/// A decimal as people write it, without trailing zeros (`1636.49`, `0.05`, `-3`): what
/// `normalize().to_string()` writes, without the formatting machinery (this runs for every
/// number of every explanation).
pub fn decimal_text(number: Decimal) -> String {
    let number = number.normalize();
    let mantissa = number.mantissa();
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(mantissa.unsigned_abs());
    let scale = number.scale() as usize;
    let mut text = String::with_capacity(digits.len() + 3);
    if mantissa < 0 {
        text.push('-');
    }
    match digits.len().checked_sub(scale).map(|whole| digits.split_at_checked(whole)) {
        _ if scale == 0 => text.push_str(digits),
        Some(Some((whole, fraction))) if !whole.is_empty() => {
            text.push_str(whole);
            text.push('.');
            text.push_str(fraction);
        }
        _ => {
            text.push_str("0.");
            text.extend(std::iter::repeat_n('0', scale.saturating_sub(digits.len())));
            text.push_str(digits);
        }
    }
    text
}

/// An amount for people: in 万元 (the unit of the city's data), e.g. `18.75万元`. A computed
/// amount finer than 1分 (a threshold found by division) is rounded to 0.01万元 and marked `≈`.
pub fn money_text(amount: Decimal) -> String {
    let exact = amount.round_dp(2) == amount;
    let shown = if exact {
        amount
    } else {
        let hundreds = amount.checked_div(Decimal::ONE_HUNDRED).map(|hundreds| hundreds.round());
        hundreds.and_then(|hundreds| hundreds.checked_mul(Decimal::ONE_HUNDRED)).unwrap_or(amount)
    };
    let mark = if exact { "" } else { "≈" };
    if shown.is_zero() {
        return format!("{mark}{}元", decimal_text(shown));
    }
    // In 万元: the same digits with the point four places to the left, exact and much cheaper
    // than a division (this runs for every amount of every explanation).
    let mut wan = shown;
    let wan = match wan.set_scale(shown.scale() + 4) {
        Ok(()) => Some(wan),
        Err(_) => shown.checked_div(Decimal::from(10_000)),
    };
    match wan {
        Some(wan) => [mark, &decimal_text(wan), "万元"].concat(),
        None => [mark, &decimal_text(shown), "元"].concat(),
    }
}

/// A date as `2024-06-30`: what chrono writes for the years 0–9999, without its formatting
/// machinery (this runs for every date of every explanation).
pub fn date_text(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (year, month, day) = (date.year(), date.month(), date.day());
    let Ok(year) = u32::try_from(year) else { return date.to_string() };
    if year > 9999 {
        return date.to_string();
    }
    let digit = |number: u32| char::from(b'0' + (number % 10) as u8);
    let mut text = String::with_capacity(10);
    text.extend([digit(year / 1000), digit(year / 100), digit(year / 10), digit(year), '-']);
    text.extend([digit(month / 10), digit(month), '-', digit(day / 10), digit(day)]);
    text
}

/// How a blank (unknown) input is shown to people.
pub const BLANK: &str = "（空白）";

/// A value of a known type, for people.
pub fn value_text(model: &Model, value_type: &Type, value: &Value) -> String {
    match (value_type, value) {
        (_, Value::Unknown) => BLANK.to_string(),
        (_, Value::Between(interval)) => format!(
            "unknown, {}–{}",
            value_text(model, value_type, &Value::Number(interval.low)),
            value_text(model, value_type, &Value::Number(interval.high))
        ),
        (Type::Money, Value::Number(amount)) => money_text(*amount),
        (Type::Percent, Value::Number(fraction)) => {
            // A ratio such as 8000 ÷ 6000 has 28 digits; people read two, marked as rounded.
            let percent = fraction.checked_mul(Decimal::ONE_HUNDRED).unwrap_or(*fraction);
            let rounded = percent.round_dp(2);
            if rounded == percent {
                decimal_text(percent) + "%"
            } else {
                ["≈", &decimal_text(rounded), "%"].concat()
            }
        }
        (_, Value::Number(number)) => decimal_text(*number),
        (_, Value::Bool(true)) => "是".to_string(),
        (_, Value::Bool(false)) => "否".to_string(),
        (_, Value::Date(date)) => date_text(*date),
        (_, Value::Duration(period)) => period.to_string(),
        (_, Value::Text(text)) => text.to_string(),
        (Type::Enum(index), Value::Enum(label)) => model
            .enums
            .get(*index)
            .and_then(|definition| definition.labels.get(*label as usize))
            .cloned()
            .unwrap_or_default(),
        (Type::List(element), Value::List(items)) => {
            if items.is_empty() {
                "（无）".to_string()
            } else {
                items.iter().map(|item| value_text(model, element, item)).collect::<Vec<_>>().join("、")
            }
        }
        (_, other) => format!("{other:?}"),
    }
}

/// A value in the JSON contract: numbers as decimal strings (money in 元), unknown as null.
fn value_json(model: &Model, value_type: &Type, value: &Value) -> Json {
    match (value_type, value) {
        (_, Value::Unknown | Value::Between(_)) => Json::Null,
        (_, Value::Number(number)) => Json::String(yuan_string(*number)),
        (_, Value::Bool(value)) => Json::String(if *value { "yes" } else { "no" }.to_string()),
        _ => Json::String(value_text(model, value_type, value)),
    }
}

pub fn truth_word(value: &Value) -> &'static str {
    match value {
        Value::Bool(true) => "yes",
        Value::Bool(false) => "no",
        _ => "unknown",
    }
}

/// One decided record as a JSON Lines object, every field always present, written straight
/// out: the contract's shape, field order and spelling, without building a JSON tree.
pub fn decision_line(model: &Model, program: &Program, key: Option<&str>, outcome: &Outcome) -> String {
    let mut line = Vec::with_capacity(256);
    DecisionLines::new(model, program).write(key, outcome, &mut line);
    // Only whole strings and ASCII punctuation were written.
    String::from_utf8(line).unwrap_or_default()
}

/// What the decision lines of one program share: each item's name as a JSON string, escaped
/// once for the run rather than checked on every line.
#[derive(Debug, Clone)]
pub struct DecisionLines<'p> {
    model: &'p Model,
    program: &'p Program,
    /// The JSON string of each item's name, by model item.
    names: Vec<String>,
}

impl<'p> DecisionLines<'p> {
    pub fn new(model: &'p Model, program: &'p Program) -> DecisionLines<'p> {
        let names = model
            .items
            .iter()
            .map(|definition| {
                let mut name = String::new();
                push_json_string(&mut name, &definition.name);
                name
            })
            .collect();
        DecisionLines { model, program, names }
    }

    /// Appends the line of one decided record, without its newline.
    pub fn write(&self, key: Option<&str>, outcome: &Outcome, line: &mut Vec<u8>) {
        let (model, program) = (self.model, self.program);
        let name = |item: usize| self.names.get(item).map(String::as_bytes).unwrap_or(b"\"\"");
        line.extend_from_slice(b"{\"id\":");
        match key {
            Some(key) => push_json_bytes(line, key),
            None => line.extend_from_slice(b"null"),
        }
        line.extend_from_slice(b",\"decisions\":{");
        for (index, item) in program.decisions.iter().enumerate() {
            if index > 0 {
                line.push(b',');
            }
            line.extend_from_slice(name(*item));
            line.extend_from_slice(b":\"");
            line.extend_from_slice(truth_word(outcome.slot(program, *item)).as_bytes());
            line.push(b'"');
        }
        line.extend_from_slice(b"},\"awards\":[");
        let mut first = true;
        for award in &outcome.awards {
            if let AwardStatus::Paid(amount) = award.status {
                if !first {
                    line.push(b',');
                }
                first = false;
                line.extend_from_slice(b"{\"award\":");
                line.extend_from_slice(name(award.item));
                line.extend_from_slice(b",\"amount\":\"");
                push_yuan(line, amount);
                line.extend_from_slice(b"\"}");
            }
        }
        line.extend_from_slice(b"],\"benefits\":[");
        let mut first = true;
        for item in program.benefits.iter().filter(|item| outcome.slot(program, **item) == &Value::Bool(true)) {
            if !first {
                line.push(b',');
            }
            first = false;
            line.extend_from_slice(name(*item));
        }
        line.extend_from_slice(b"],\"values\":{");
        for (index, item) in program.outputs.iter().enumerate() {
            let Some(definition) = model.items.get(*item) else { continue };
            if index > 0 {
                line.push(b',');
            }
            line.extend_from_slice(name(*item));
            line.push(b':');
            line.extend_from_slice(
                value_json(model, &definition.item_type, outcome.slot(program, *item)).to_string().as_bytes(),
            );
        }
        line.extend_from_slice(b"},\"total\":\"");
        push_yuan(line, outcome.total);
        line.extend_from_slice(b"\"}");
    }
}

/// [`yuan_string`] onto bytes.
fn push_yuan(line: &mut Vec<u8>, amount: Decimal) {
    // Writing into a vector cannot fail.
    let _ = std::io::Write::write_fmt(line, format_args!("{}", Yuan(amount)));
}

/// [`push_json_string`] onto bytes.
fn push_json_bytes(line: &mut Vec<u8>, text: &str) {
    if needs_json_escaping(text) {
        let mut escaped = String::new();
        push_json_string(&mut escaped, text);
        line.extend_from_slice(escaped.as_bytes());
    } else {
        line.push(b'"');
        line.extend_from_slice(text.as_bytes());
        line.push(b'"');
    }
}

/// A JSON string, escaped as serde_json escapes it (the contract's lines must not change).
fn push_json_string(line: &mut String, text: &str) {
    if !needs_json_escaping(text) {
        line.push('"');
        line.push_str(text);
        line.push('"');
        return;
    }
    line.push('"');
    for character in text.chars() {
        match character {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            '\u{8}' => line.push_str("\\b"),
            '\u{c}' => line.push_str("\\f"),
            control if u32::from(control) < 0x20 => line.push_str(&format!("\\u{:04x}", u32::from(control))),
            other => line.push(other),
        }
    }
    line.push('"');
}

/// Whether a JSON string of `text` needs an escape: most texts (Chinese included) need none and
/// are copied whole. One pass the compiler can vectorise.
pub(crate) fn needs_json_escaping(text: &str) -> bool {
    text.bytes().fold(false, |found, byte| found | (byte < 0x20) | (byte == b'"') | (byte == b'\\'))
}

/// What one decided record adds to a [`Tally`], made where the record is decided: a few bytes
/// rather than the outcome (a value for every step), which `eval` would otherwise hold for a
/// batch of rows until they are written.
#[derive(Debug, Clone)]
pub struct Counted {
    /// For each decision of the program, in order: 0 yes, 1 no, 2 unknown; then for each
    /// benefit: 1 granted, 0 not.
    marks: Box<[u8]>,
    /// The awards paid: their position among the program's awards, and the amount.
    paid: Vec<(usize, Decimal)>,
    total: Decimal,
}

impl Counted {
    pub fn of(program: &Program, outcome: &Outcome) -> Counted {
        let decisions = program.decisions.iter().map(|item| match outcome.slot(program, *item) {
            Value::Bool(true) => 0,
            Value::Bool(false) => 1,
            _ => 2,
        });
        let benefits = program.benefits.iter().map(|item| u8::from(outcome.slot(program, *item) == &Value::Bool(true)));
        // The outcome's awards are in the program's order: each is found where expected, and
        // looked for only if not.
        let paid = program
            .awards
            .iter()
            .enumerate()
            .filter_map(|(position, item)| {
                let award = match outcome.awards.get(position) {
                    Some(award) if award.item == *item => Some(award),
                    _ => outcome.awards.iter().find(|award| award.item == *item),
                };
                match award.map(|award| &award.status) {
                    Some(AwardStatus::Paid(amount)) => Some((position, *amount)),
                    _ => None,
                }
            })
            .collect();
        Counted { marks: decisions.chain(benefits).collect(), paid, total: outcome.total }
    }
}

/// Counts over the records of a run, kept as they are decided: `eval --summary` prints them
/// and HTML reports show them.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Rows read: decided, rejected or blank.
    pub rows: usize,
    pub rejected: usize,
    /// Rows blank in every cell, which name no record (`,,,,` left by spreadsheets).
    pub blank: usize,
    /// Per decision of the program: yes, no, unknown.
    pub decisions: Vec<(usize, [usize; 3])>,
    /// Per award: records paid and the amount paid in all.
    pub awards: Vec<(usize, usize, Decimal)>,
    /// Per benefit: records granted.
    pub benefits: Vec<(usize, usize)>,
    pub total: Decimal,
}

impl Tally {
    pub fn new(program: &Program) -> Tally {
        Tally {
            rows: 0,
            rejected: 0,
            blank: 0,
            decisions: program.decisions.iter().map(|item| (*item, [0; 3])).collect(),
            awards: program.awards.iter().map(|item| (*item, 0, Decimal::ZERO)).collect(),
            benefits: program.benefits.iter().map(|item| (*item, 0)).collect(),
            total: Decimal::ZERO,
        }
    }

    pub fn add(&mut self, program: &Program, outcome: &Outcome) {
        self.add_counted(&Counted::of(program, outcome));
    }

    /// Counts one decided record from what [`Counted::of`] kept of it.
    pub fn add_counted(&mut self, counted: &Counted) {
        self.rows += 1;
        let mut marks = counted.marks.iter();
        for (_, counts) in &mut self.decisions {
            if let Some(count) = marks.next().and_then(|mark| counts.get_mut(usize::from(*mark))) {
                *count += 1;
            }
        }
        for (_, granted) in &mut self.benefits {
            if marks.next() == Some(&1) {
                *granted += 1;
            }
        }
        for (position, paid_amount) in &counted.paid {
            if let Some((_, paid, amount)) = self.awards.get_mut(*position) {
                *paid += 1;
                *amount = amount.saturating_add(*paid_amount);
            }
        }
        self.total = self.total.saturating_add(counted.total);
    }

    pub fn reject(&mut self) {
        self.rows += 1;
        self.rejected += 1;
    }

    pub fn add_blank(&mut self, count: usize) {
        self.rows += count;
        self.blank += count;
    }

    /// The counts for people, one line each.
    pub fn text(&self, model: &Model) -> String {
        let name = |item: &usize| model.items.get(*item).map(|definition| definition.name.as_str()).unwrap_or("");
        let mut out = format!(
            "rows read: {}, decided: {}, rejected: {}, blank: {}\n",
            self.rows,
            self.rows.saturating_sub(self.rejected).saturating_sub(self.blank),
            self.rejected,
            self.blank
        );
        for (item, [yes, no, unknown]) in &self.decisions {
            out.push_str(&format!("decision {}: {yes} yes, {no} no, {unknown} unknown\n", name(item)));
        }
        for (item, paid, amount) in &self.awards {
            out.push_str(&format!("award {}: {paid} paid, {}\n", name(item), money_text(*amount)));
        }
        for (item, granted) in &self.benefits {
            out.push_str(&format!("benefit {}: {granted} granted\n", name(item)));
        }
        out.push_str(&format!("total to be paid: {} ({} 元)\n", money_text(self.total), yuan_string(self.total)));
        out
    }
}

/// A row that could not be decided: one line all the same, so that no record goes missing.
pub fn error_json(key: Option<&str>, row: usize, error: &str) -> Json {
    json!({"id": key, "row": row, "error": error})
}

/// Column headers of the CSV and table formats: the key, each decision, each award's amount,
/// benefits, outputs, total, error.
pub fn flat_headers(model: &Model, program: &Program) -> Vec<String> {
    let mut headers = vec![model
        .entities
        .get(program.entity)
        .and_then(|entity| entity.fields.get(entity.key))
        .map(|field| field.column.clone())
        .unwrap_or_else(|| "id".to_string())];
    let label = |item: &usize| {
        model
            .items
            .get(*item)
            .map(|definition| match &definition.provenance.label {
                Some(label) => format!("{}（{}）", definition.name, label),
                None => definition.name.clone(),
            })
            .unwrap_or_default()
    };
    headers.extend(program.decisions.iter().map(label));
    headers.extend(program.awards.iter().map(|item| format!("{}（元）", label(item))));
    headers.push("benefits（非资金支持）".to_string());
    headers.extend(program.outputs.iter().map(label));
    headers.push("total（元）".to_string());
    headers.push("error".to_string());
    headers
}

/// The same record as [`decision_line`], flattened to one cell per header of [`flat_headers`].
pub fn flat_row(model: &Model, program: &Program, key: Option<&str>, outcome: &Outcome) -> Vec<String> {
    let mut row = vec![key.unwrap_or("").to_string()];
    row.extend(program.decisions.iter().map(|item| truth_word(outcome.slot(program, *item)).to_string()));
    for item in &program.awards {
        let paid = outcome.awards.iter().find(|award| award.item == *item).and_then(|award| match award.status {
            AwardStatus::Paid(amount) => Some(yuan_string(amount)),
            _ => None,
        });
        row.push(paid.unwrap_or_default());
    }
    let benefits: Vec<String> = program
        .benefits
        .iter()
        .filter(|item| outcome.slot(program, **item) == &Value::Bool(true))
        .filter_map(|item| model.items.get(*item).map(|definition| definition.name.clone()))
        .collect();
    row.push(benefits.join("、"));
    for item in &program.outputs {
        let text = model
            .items
            .get(*item)
            .map(|definition| match outcome.slot(program, *item) {
                Value::Unknown | Value::Between(_) => String::new(),
                Value::Number(number) => yuan_string(*number),
                value => value_text(model, &definition.item_type, value),
            })
            .unwrap_or_default();
        row.push(text);
    }
    row.push(yuan_string(outcome.total));
    row.push(String::new());
    row
}

pub fn flat_error_row(headers: usize, key: Option<&str>, row: usize, error: &str) -> Vec<String> {
    let mut cells = vec![String::new(); headers];
    if let Some(first) = cells.first_mut() {
        *first = key.unwrap_or("").to_string();
    }
    if let Some(last) = cells.last_mut() {
        *last = format!("row {row}: {error}");
    }
    cells
}

/// Aligns rows into a plain-text table for the terminal (CJK characters count double).
pub fn text_table(headers: &[String], rows: &[Vec<String>]) -> String {
    let width = |text: &str| text.chars().map(|character| if character.is_ascii() { 1 } else { 2 }).sum::<usize>();
    let mut widths: Vec<usize> = headers.iter().map(|header| width(header)).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(current) = widths.get_mut(index) {
                *current = (*current).max(width(cell));
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                let target = widths.get(index).copied().unwrap_or(0);
                format!("{cell}{}", " ".repeat(target.saturating_sub(width(cell))))
            })
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(headers);
    for row in rows {
        line(row);
    }
    out
}

/// The CSV layout ([`flat_headers`], [`flat_row`]) written as an Excel workbook, row by row:
/// where most evaluators open results. Amounts go in as numbers (Excel holds doubles) when the
/// double is exactly the amount, which it is for any amount in 分 below 2⁵³; otherwise as text,
/// never rounded.
pub struct XlsxOutput {
    workbook: rust_xlsxwriter::Workbook,
    row: u32,
}

impl XlsxOutput {
    pub fn new(headers: &[String]) -> Result<XlsxOutput, String> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        // Constant memory: rows are flushed to a temporary file as they are written.
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(|error| error.to_string())?;
        sheet.set_name("decisions").map_err(|error| error.to_string())?;
        for (column, header) in headers.iter().enumerate() {
            let column = u16::try_from(column).map_err(|_| "too many columns for Excel".to_string())?;
            sheet.write_string_with_format(0, column, header, &bold).map_err(|error| error.to_string())?;
        }
        sheet.set_freeze_panes(1, 1).map_err(|error| error.to_string())?;
        Ok(XlsxOutput { workbook, row: 0 })
    }

    pub fn write_row(&mut self, cells: &[String]) -> Result<(), String> {
        self.row = self.row.checked_add(1).ok_or_else(|| "too many rows for Excel".to_string())?;
        let sheet = self.workbook.worksheet_from_index(0).map_err(|error| error.to_string())?;
        for (column, cell) in cells.iter().enumerate() {
            let column = u16::try_from(column).map_err(|_| "too many columns for Excel".to_string())?;
            let exact_number = cell.parse::<Decimal>().ok().and_then(|amount| {
                let double: f64 = cell.parse().ok()?;
                (Decimal::try_from(double).ok() == Some(amount.normalize())).then_some(double)
            });
            let written = match exact_number {
                Some(number) => sheet.write_number(self.row, column, number),
                None if cell.is_empty() => continue,
                None => sheet.write_string(self.row, column, cell),
            };
            written.map_err(|error| error.to_string())?;
        }
        Ok(())
    }

    pub fn save(mut self, path: &std::path::Path) -> Result<(), String> {
        self.workbook.save(path).map_err(|error| error.to_string())
    }
}
