//! Interpreting the text of one non-blank cell as a [`ColumnKind`].
//!
//! Every form the city's exports use is accepted (see `DATA.md`); anything else is an error
//! that says what was expected, because guessing a value for an eligibility decision is worse
//! than asking for the cell to be fixed.

use super::ColumnKind;
use crate::value::{Period, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Parses one non-blank cell (already trimmed) as `kind`.
///
/// Percent cells accept `50%` and a bare `50`, both meaning 50 percent (the fraction `0.5`),
/// because exports write percent columns as numbers of percentage points. Integer cells accept
/// `12.0` (a whole number written with a zero fraction) but not `1.5`.
pub fn parse_cell(raw: &str, kind: &ColumnKind) -> Result<Value, String> {
    read_cell(trim_cell(raw), kind, None)
}

/// [`parse_cell`] of a cell already trimmed ([`Cells::get`](super::Cells::get) trims), texts
/// taken from `texts` when it already holds them.
pub(crate) fn read_cell(text: &str, kind: &ColumnKind, texts: Option<&mut ColumnTexts>) -> Result<Value, String> {
    match kind {
        ColumnKind::Bool => parse_bool(text).map(Value::Bool).ok_or_else(|| BOOL_EXPECTED.to_string()),
        ColumnKind::Integer => parse_integer(text).map(Value::Number),
        ColumnKind::Count => parse_count(text).map(Value::Number),
        ColumnKind::Decimal => {
            parse_number(text).map(Value::Number).map_err(|problem| problem.describe(DECIMAL_EXPECTED))
        }
        ColumnKind::Money { yuan_per_unit } => parse_money(text, *yuan_per_unit).map(Value::Number),
        ColumnKind::Percent => parse_percent(text).map(Value::Number),
        ColumnKind::Date => parse_date(text).map(Value::Date),
        ColumnKind::Duration => parse_duration(text).map(Value::Duration),
        ColumnKind::Text => Ok(Value::Text(match texts {
            Some(texts) => texts.share(text),
            None => Arc::from(text),
        })),
        ColumnKind::Enum { labels } => parse_enum(text, labels).map(Value::Enum),
        ColumnKind::List(item_kind) => parse_list(text, item_kind, texts),
    }
}

/// `text` without leading and trailing whitespace (Unicode's, the ideographic space among it).
/// Most cells begin and end with a character that cannot be whitespace — a visible ASCII one
/// (numbers, dates, codes) or a Chinese one (`是`, `日照市`): those are returned as they are
/// without decoding a character.
pub(crate) fn trim_cell(text: &str) -> &str {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else { return text };
    // The first byte of the last character: the last byte, or the last one at or above 0xC0
    // within the last four (the text is UTF-8).
    let last_lead = match *bytes {
        [.., last] if last < 0x80 => Some(last),
        [.., lead, _] if lead >= 0xC0 => Some(lead),
        [.., lead, _, _] if lead >= 0xC0 => Some(lead),
        [.., lead, _, _, _] => Some(lead),
        _ => None,
    };
    if never_starts_whitespace(first) && last_lead.is_some_and(never_starts_whitespace) {
        text
    } else {
        text.trim()
    }
}

/// A byte inside a UTF-8 character, never the first of one.
pub(crate) fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// Whether no whitespace character's UTF-8 encoding begins with `byte`. Unicode's whitespace is
/// U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F,
/// U+205F and U+3000: their encodings begin with 0x09–0x0D, 0x20, 0xC2, 0xE1, 0xE2 or 0xE3.
/// Anything else — visible ASCII, the Chinese characters (0xE4–0xE9), fullwidth forms
/// (0xEF) — is never whitespace.
fn never_starts_whitespace(byte: u8) -> bool {
    // The commonest first, each a comparison or two: visible ASCII, then 0xE4 and above.
    byte.is_ascii_graphic() || byte >= 0xE4 || (0xC3..=0xE0).contains(&byte)
}

const BOOL_EXPECTED: &str = "是 or 否 (also true/false, Y/N, yes/no, 1/0)";
const INTEGER_EXPECTED: &str = "a whole number such as 12 or 1,200";
const COUNT_EXPECTED: &str = "a count: a whole number, 0 or more, such as 0, 3 or 1,200";
const DECIMAL_EXPECTED: &str = "a number such as 1.25 or 1,250.5";
const PERCENT_EXPECTED: &str = "a percentage such as 50% or 12.5%";
const DATE_FORMS: &str = "YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日";
const DURATION_EXPECTED: &str = "a duration such as 2年, 6个月, 30天, 1年6个月, 2 years, 6 months or 30 days";
const LIST_SEPARATORS: [char; 7] = ['、', ';', '；', ',', '，', '\n', '\r'];

/// Why a number could not be read; the message depends on what the column expected.
enum NumberProblem {
    NotANumber,
    OutOfRange,
}

impl NumberProblem {
    fn describe(&self, expected: &str) -> String {
        match self {
            NumberProblem::NotANumber => expected.to_string(),
            NumberProblem::OutOfRange => {
                format!("{expected}, with at most 28 significant digits (this one is too large)")
            }
        }
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    // The city's exports write 是 and 否: those first, before the list of every spelling, and
    // as bytes, which compiles to a comparison in place rather than a call a cell.
    match text.as_bytes() {
        [0xE6, 0x98, 0xAF] => return Some(true),  // 是
        [0xE5, 0x90, 0xA6] => return Some(false), // 否
        _ => {}
    }
    // Compared without lowering a copy: a data row holds a dozen yes/no cells, and lowering
    // allocated a string for each. Only the ASCII words have a case.
    let is_one_of = |words: &[&str]| words.iter().any(|word| text.eq_ignore_ascii_case(word));
    if is_one_of(&["是", "true", "y", "yes", "1"]) {
        Some(true)
    } else if is_one_of(&["否", "false", "n", "no", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// Reads `-1,250.5`: an optional sign, digits with optional ASCII thousands separators in
/// groups of three, an optional fraction. Never goes through a float.
fn parse_number(text: &str) -> Result<Decimal, NumberProblem> {
    if let Some(number) = plain_number(text) {
        return Ok(number);
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (integer_part, fraction_part) = match unsigned.split_once('.') {
        Some((integer_part, fraction_part)) => (integer_part, Some(fraction_part)),
        None => (unsigned, None),
    };
    let fraction_digits = match fraction_part {
        Some(fraction) if is_digits(fraction) => fraction,
        Some(_) => return Err(NumberProblem::NotANumber),
        None => "",
    };
    if is_digits(integer_part) {
        // The usual cell (`899.99`, `-3`): already what the decimal parser reads, so no copy.
        let plain = if negative { text } else { unsigned };
        return Decimal::from_str_exact(plain).map_err(|_| NumberProblem::OutOfRange);
    }
    let integer_digits = integer_digits(integer_part).ok_or(NumberProblem::NotANumber)?;
    if integer_digits.is_empty() && fraction_digits.is_empty() {
        return Err(NumberProblem::NotANumber);
    }
    let mut plain = String::with_capacity(integer_digits.len() + fraction_digits.len() + 3);
    if negative {
        plain.push('-');
    }
    if integer_digits.is_empty() {
        plain.push('0');
    }
    plain.push_str(&integer_digits);
    if !fraction_digits.is_empty() {
        plain.push('.');
        plain.push_str(fraction_digits);
    }
    Decimal::from_str_exact(&plain).map_err(|_| NumberProblem::OutOfRange)
}

/// The commonest cells, `5934.26` or `0`: digits, then maybe a point and more digits, 18 digits
/// at most. Read in one pass, to exactly the decimal (digits and scale) `Decimal::from_str_exact`
/// reads from the same text; `None` for anything else.
fn plain_number(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let (integer_part, fraction_part) = match bytes.iter().position(|byte| *byte == b'.') {
        Some(point) => (bytes.get(..point)?, Some(bytes.get(point + 1..)?)),
        None => (bytes, None),
    };
    let fraction_part = fraction_part.unwrap_or_default();
    let digits = integer_part.len() + fraction_part.len();
    if integer_part.is_empty() || (fraction_part.is_empty() && digits != bytes.len()) || digits > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    for byte in integer_part.iter().chain(fraction_part) {
        if !byte.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa * 10 + i64::from(byte - b'0');
    }
    Some(Decimal::new(mantissa, u32::try_from(fraction_part.len()).ok()?))
}

/// The digits of an integer part, without its thousands separators; `None` when a separator
/// is misplaced (`1,25`) or a character is not a digit.
fn integer_digits(integer_part: &str) -> Option<String> {
    if !integer_part.contains(',') {
        return is_digits_or_empty(integer_part).then(|| integer_part.to_string());
    }
    let mut groups = integer_part.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || !is_digits(first) {
        return None;
    }
    let mut digits = first.to_string();
    for group in groups {
        if group.len() != 3 || !is_digits(group) {
            return None;
        }
        digits.push_str(group);
    }
    Some(digits)
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_digits_or_empty(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_digit())
}

fn parse_integer(text: &str) -> Result<Decimal, String> {
    let number = parse_number(text).map_err(|problem| problem.describe(INTEGER_EXPECTED))?;
    if !number.fract().is_zero() {
        return Err(INTEGER_EXPECTED.to_string());
    }
    Ok(number.normalize())
}

fn parse_count(text: &str) -> Result<Decimal, String> {
    let number = parse_number(text).map_err(|problem| problem.describe(COUNT_EXPECTED))?;
    if !number.fract().is_zero() || (number.is_sign_negative() && !number.is_zero()) {
        return Err(COUNT_EXPECTED.to_string());
    }
    Ok(number.normalize())
}

fn parse_money(text: &str, yuan_per_unit: Decimal) -> Result<Decimal, String> {
    // Worded only when needed: most cells are fine, and this runs for every one.
    let expected = || {
        if yuan_per_unit == Decimal::ONE {
            "an amount in 元 such as 1250.5 or 1,250.5".to_string()
        } else {
            format!("an amount such as 1250.5 or 1,250.5 (in units of {yuan_per_unit} 元)")
        }
    };
    let amount = parse_number(text).map_err(|problem| problem.describe(&expected()))?;
    amount
        .checked_mul(yuan_per_unit)
        .map(|yuan| yuan.normalize())
        .ok_or_else(|| NumberProblem::OutOfRange.describe(&expected()))
}

fn parse_percent(text: &str) -> Result<Decimal, String> {
    let points_text = text.strip_suffix('%').or_else(|| text.strip_suffix('％')).map_or(text, str::trim_end);
    let points = parse_number(points_text).map_err(|problem| problem.describe(PERCENT_EXPECTED))?;
    points
        .checked_div(Decimal::ONE_HUNDRED)
        .map(|fraction| fraction.normalize())
        .ok_or_else(|| NumberProblem::OutOfRange.describe(PERCENT_EXPECTED))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    // The export's own form, `2024-04-02`, read in place: what the general reading below makes
    // of it, without splitting the text.
    if let [_, _, _, _, b'-', _, _, b'-', _, _] = text.as_bytes() {
        let field = |range: std::ops::Range<usize>, digits: usize| parse_small(text.get(range)?, digits, digits);
        if let (Some(year), Some(month), Some(day)) = (field(0..4, 4), field(5..7, 2), field(8..10, 2)) {
            // A day that does not exist goes the general way, which says so.
            if let Some(date) = i32::try_from(year).ok().and_then(|year| NaiveDate::from_ymd_opt(year, month, day)) {
                return Ok(date);
            }
        }
    }
    let expected = || format!("a date as {DATE_FORMS}");
    let date_text = without_time_of_day(text).ok_or_else(expected)?;
    let (year, month, day) = date_fields(date_text).ok_or_else(expected)?;
    let year = parse_small(year, 4, 4).ok_or_else(expected)?;
    let month = parse_small(month, 1, 2).ok_or_else(expected)?;
    let day = parse_small(day, 1, 2).ok_or_else(expected)?;
    let year = i32::try_from(year).map_err(|_| expected())?;
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("a date that exists in the calendar, as {DATE_FORMS} (there is no such day)"))
}

/// Database exports sometimes add a time of day to dates (`2024-04-02 00:00:00`); the time is
/// irrelevant to a date column, but anything that is not a time is refused.
fn without_time_of_day(text: &str) -> Option<&str> {
    let Some((date, time)) = text.split_once([' ', 'T']) else {
        return Some(text);
    };
    let mut fields = time.trim().split(':');
    let hours = fields.next()?;
    let minutes = fields.next()?;
    let seconds = fields.next();
    let seconds_whole = seconds.map(|seconds| seconds.split_once('.').map_or(seconds, |(whole, _)| whole));
    let fields_are_digits = parse_small(hours, 1, 2).is_some()
        && parse_small(minutes, 2, 2).is_some()
        && seconds_whole.is_none_or(|seconds| parse_small(seconds, 2, 2).is_some())
        && fields.next().is_none();
    fields_are_digits.then_some(date.trim_end())
}

/// Splits `2024-04-02`, `2024/4/2`, `2024.4.2` or `2024年4月2日` into year, month and day.
fn date_fields(text: &str) -> Option<(&str, &str, &str)> {
    if let Some(without_day_mark) = text.strip_suffix('日') {
        let (year, rest) = without_day_mark.split_once('年')?;
        let (month, day) = rest.split_once('月')?;
        return Some((year.trim(), month.trim(), day.trim()));
    }
    let separator = text.chars().find(|character| !character.is_ascii_digit())?;
    if !matches!(separator, '-' | '/' | '.') {
        return None;
    }
    let mut fields = text.split(separator);
    let year = fields.next()?;
    let month = fields.next()?;
    let day = fields.next()?;
    fields.next().is_none().then_some((year, month, day))
}

/// A run of `min_digits..=max_digits` ASCII digits.
fn parse_small(text: &str, min_digits: usize, max_digits: usize) -> Option<u32> {
    if text.len() < min_digits || text.len() > max_digits || !is_digits(text) {
        return None;
    }
    text.parse().ok()
}

#[derive(Clone, Copy)]
enum DurationUnit {
    Years,
    Months,
    Weeks,
    Days,
}

/// Longer spellings come first so that `个月` wins over `月` and `years` over `year`.
const DURATION_UNITS: [(&str, DurationUnit); 16] = [
    ("个月", DurationUnit::Months),
    ("个星期", DurationUnit::Weeks),
    ("星期", DurationUnit::Weeks),
    ("年", DurationUnit::Years),
    ("月", DurationUnit::Months),
    ("周", DurationUnit::Weeks),
    ("天", DurationUnit::Days),
    ("日", DurationUnit::Days),
    ("years", DurationUnit::Years),
    ("year", DurationUnit::Years),
    ("months", DurationUnit::Months),
    ("month", DurationUnit::Months),
    ("weeks", DurationUnit::Weeks),
    ("week", DurationUnit::Weeks),
    ("days", DurationUnit::Days),
    ("day", DurationUnit::Days),
];

/// Words that may join the parts of `1年零6个月` or `1 year and 6 months`.
const DURATION_JOINERS: [&str; 6] = [",", "，", "、", "零", "又", "and"];

fn parse_duration(text: &str) -> Result<Period, String> {
    let expected = || DURATION_EXPECTED.to_string();
    let lowered = text.to_lowercase();
    let mut rest = lowered.as_str();
    let mut period = Period::default();
    let mut parts = 0usize;
    loop {
        rest = skip_duration_joiners(rest);
        if rest.is_empty() {
            break;
        }
        let digit_count = rest.bytes().take_while(u8::is_ascii_digit).count();
        let count: i32 = rest
            .get(..digit_count)
            .filter(|digits| !digits.is_empty())
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(expected)?;
        let after_count = rest.get(digit_count..).ok_or_else(expected)?.trim_start();
        let (unit, after_unit) = DURATION_UNITS
            .iter()
            .find_map(|(spelling, unit)| after_count.strip_prefix(spelling).map(|after_unit| (*unit, after_unit)))
            .ok_or_else(expected)?;
        period = add_to_period(period, unit, count).ok_or_else(expected)?;
        parts += 1;
        rest = after_unit;
    }
    if parts == 0 {
        return Err(expected());
    }
    Ok(period)
}

fn skip_duration_joiners(text: &str) -> &str {
    let mut rest = text.trim_start();
    while let Some(after) = DURATION_JOINERS.iter().find_map(|joiner| rest.strip_prefix(joiner)) {
        rest = after.trim_start();
    }
    rest
}

fn add_to_period(period: Period, unit: DurationUnit, count: i32) -> Option<Period> {
    let mut sum = period;
    match unit {
        DurationUnit::Years => sum.years = sum.years.checked_add(count)?,
        DurationUnit::Months => sum.months = sum.months.checked_add(count)?,
        DurationUnit::Weeks => sum.days = sum.days.checked_add(count.checked_mul(7)?)?,
        DurationUnit::Days => sum.days = sum.days.checked_add(count)?,
    }
    Some(sum)
}

fn parse_enum(text: &str, labels: &[String]) -> Result<u32, String> {
    labels
        .iter()
        .position(|label| label == text)
        .and_then(|index| u32::try_from(index).ok())
        .ok_or_else(|| format!("one of {}", labels.join(", ")))
}

fn parse_list(text: &str, item_kind: &ColumnKind, mut texts: Option<&mut ColumnTexts>) -> Result<Value, String> {
    let items = text
        .split(LIST_SEPARATORS)
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            read_cell(item, item_kind, texts.as_deref_mut()).map_err(|item_expected| {
                format!("items separated by 、, each {item_expected} (the item \"{item}\" is not)")
            })
        })
        .collect::<Result<Vec<Value>, String>>()?;
    Ok(Value::List(Arc::from(items)))
}

/// The texts read so far in each column of a file, shared by the records that repeat them.
///
/// Registers repeat a column's texts down the rows (`日照市`, a sector, an honour): one string
/// for all of them, rather than one each, saves an allocation and a free a cell, and the rules
/// then compare texts that are already in the cache. A column whose texts rarely repeat (a
/// name, a code) soon stops being looked up. Only which string a value points to changes:
/// texts are equal by content.
#[derive(Debug, Default)]
pub struct TextCache {
    columns: Vec<ColumnTexts>,
}

impl TextCache {
    pub(crate) fn column(&mut self, column: usize) -> Option<&mut ColumnTexts> {
        if self.columns.len() <= column {
            self.columns.resize_with(column + 1, ColumnTexts::default);
        }
        self.columns.get_mut(column)
    }
}

#[derive(Debug, Default)]
pub(crate) struct ColumnTexts {
    texts: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
    found: u32,
    missed: u32,
}

/// A column holds at most this many texts; later new texts are not kept.
const MOST_TEXTS_A_COLUMN: usize = 1_024;
/// After this many texts not found, a column is only looked up while at least half are found.
const MISSES_BEFORE_GIVING_UP: u32 = 256;

impl ColumnTexts {
    fn share(&mut self, text: &str) -> Arc<str> {
        if self.missed >= MISSES_BEFORE_GIVING_UP && self.found < self.missed {
            return Arc::from(text);
        }
        if let Some(shared) = self.texts.get(text) {
            self.found = self.found.saturating_add(1);
            return Arc::clone(shared);
        }
        self.missed = self.missed.saturating_add(1);
        let shared: Arc<str> = Arc::from(text);
        if self.texts.len() < MOST_TEXTS_A_COLUMN {
            self.texts.insert(Arc::clone(&shared));
        }
        shared
    }
}
