//! Reading data files: every value form of the city's exports, encodings, JSON Lines, and the
//! errors a user sees when a file does not fit the policy's entity.

use chrono::NaiveDate;
use policy::data::*;
use policy::value::{Period, Value};
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

type RowCells = Result<Vec<Option<String>>, RowError>;

/// A row's cells as separate strings, to compare with what is expected.
fn cells_of(raw: &policy::data::RawRow) -> RowCells {
    raw.cells.as_ref().map(policy::data::Cells::to_vec).map_err(Clone::clone)
}

fn number(text: &str) -> Value {
    Value::Number(Decimal::from_str(text).unwrap())
}

fn text(value: &str) -> Value {
    Value::Text(Arc::from(value))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(Arc::from(items))
}

fn date(year: i32, month: u32, day: u32) -> Value {
    Value::Date(NaiveDate::from_ymd_opt(year, month, day).unwrap())
}

fn wan_yuan() -> ColumnKind {
    ColumnKind::Money { yuan_per_unit: Decimal::from(10_000) }
}

fn sizes() -> ColumnKind {
    ColumnKind::Enum { labels: ["微型", "小型", "中型", "大型"].map(String::from).to_vec() }
}

fn honours() -> ColumnKind {
    ColumnKind::List(Box::new(ColumnKind::Text))
}

fn enterprise_layout() -> RecordLayout {
    RecordLayout {
        columns: vec![
            ColumnSpec::new("统一社会信用代码", ColumnKind::Text),
            ColumnSpec::new("注册日期", ColumnKind::Date),
            ColumnSpec::new("独立法人", ColumnKind::Bool),
            ColumnSpec::new("企业规模", sizes()),
            ColumnSpec::new("上年度营业收入（万元）", wan_yuan()),
            ColumnSpec::new("近两年受处罚次数", ColumnKind::Integer),
            ColumnSpec::new("本年度新获认定称号", honours()).with_when_blank(list(vec![])),
            ColumnSpec::new("备注", ColumnKind::Text).with_optional(true),
        ],
        key: 0,
    }
}

fn read_csv(text: &str) -> RawTable {
    read_table(text.as_bytes(), InputFormat::Csv).unwrap()
}

fn records(layout: &RecordLayout, table: &RawTable) -> Vec<Result<Record, RowError>> {
    let binding = bind(layout, &table.headers).unwrap();
    table.rows.iter().map(|raw| read_record(layout, &binding, raw)).collect()
}

// ---- value forms -------------------------------------------------------------------------

/// `eval` reads only the fields its steps use: an unused text column is left unknown, without
/// copying it; an unused column of any other kind is still checked, so no row error is lost.
#[test]
fn unused_text_columns_are_not_copied_and_other_columns_still_checked() {
    let layout = enterprise_layout();
    let table = read_csv(
        "统一社会信用代码,注册日期,独立法人,企业规模,上年度营业收入（万元）,近两年受处罚次数,本年度新获认定称号,备注\n\
         91A,2020-01-01,是,小型,900,0,,备注一\n\
         91B,2020-02-30,是,小型,900,0,,备注二\n",
    );
    let binding = bind(&layout, &table.headers).unwrap();
    let mut texts = TextCache::default();
    // Only the bool and the size are read; the key, the date and the note are not.
    let used = [false, false, true, true, false, false, false, false];
    let first = read_used_fields(&layout, &binding, &table.rows[0], &mut texts, &used).unwrap();
    assert_eq!(first.key.as_deref(), Some("91A"), "the key is the record's all the same");
    assert_eq!(first.values[0], Value::Unknown);
    assert_eq!(first.values[7], Value::Unknown);
    assert_eq!(first.values[1], date(2020, 1, 1), "a date is read, used or not");
    assert_eq!(first.values[2], Value::Bool(true));
    let second = read_used_fields(&layout, &binding, &table.rows[1], &mut texts, &used).unwrap_err();
    assert_eq!(second.column.as_deref(), Some("注册日期"), "an unused date is still checked");
    let every = read_used_fields(&layout, &binding, &table.rows[0], &mut texts, &[]).unwrap();
    assert_eq!(every.values[7], text("备注一"), "no list of used fields: every column is read");
}

#[test]
fn every_bool_spelling() {
    for spelling in ["是", "true", "TRUE", "True", "Y", "y", "yes", "YES", "1"] {
        assert_eq!(parse_cell(spelling, &ColumnKind::Bool), Ok(Value::Bool(true)), "{spelling}");
    }
    for spelling in ["否", "false", "FALSE", "N", "n", "no", "No", "0"] {
        assert_eq!(parse_cell(spelling, &ColumnKind::Bool), Ok(Value::Bool(false)), "{spelling}");
    }
    let error = parse_cell("对", &ColumnKind::Bool).unwrap_err();
    assert!(error.contains("是 or 否"), "{error}");
}

#[test]
fn integers_with_separators_and_rejects() {
    let parsed = parse_cell("12", &ColumnKind::Integer).unwrap();
    assert_eq!(parsed, number("12"));
    assert_eq!(parsed.as_number().unwrap().scale(), 0);
    assert_eq!(parse_cell("-3", &ColumnKind::Integer), Ok(number("-3")));
    assert_eq!(parse_cell("1,200", &ColumnKind::Integer), Ok(number("1200")));
    let whole = parse_cell("12.0", &ColumnKind::Integer).unwrap();
    assert_eq!(whole.as_number().unwrap().scale(), 0);
    for bad in ["1.5", "12a", "abc", "1,20", "1,2000", ",120", "--1", "1 2"] {
        let error = parse_cell(bad, &ColumnKind::Integer).unwrap_err();
        assert!(error.contains("whole number"), "{bad}: {error}");
    }
}

#[test]
fn decimals() {
    assert_eq!(parse_cell("1.25", &ColumnKind::Decimal), Ok(number("1.25")));
    assert_eq!(parse_cell("1,250.5", &ColumnKind::Decimal), Ok(number("1250.5")));
    assert_eq!(parse_cell(".5", &ColumnKind::Decimal), Ok(number("0.5")));
    assert_eq!(parse_cell("+2", &ColumnKind::Decimal), Ok(number("2")));
    for bad in ["1.2.3", "1.", "-", ".", "1e3", "1,250.5,0", "1.25a"] {
        assert!(parse_cell(bad, &ColumnKind::Decimal).is_err(), "{bad}");
    }
}

#[test]
fn money_in_wan_yuan_converts_exactly_to_yuan() {
    assert_eq!(parse_cell("1,250.5", &wan_yuan()), Ok(number("12505000")));
    assert_eq!(parse_cell(" 37.5 ", &wan_yuan()), Ok(number("375000")));
    assert_eq!(parse_cell("0", &wan_yuan()), Ok(number("0")));
    assert_eq!(parse_cell("-2", &wan_yuan()), Ok(number("-20000")));
    assert_eq!(parse_cell("1,234,567.123456789", &wan_yuan()), Ok(number("12345671234.56789")));
    let yuan = ColumnKind::Money { yuan_per_unit: Decimal::ONE };
    assert_eq!(parse_cell("5,934.26", &yuan), Ok(number("5934.26")));
    for bad in ["12a", "1.2.3", "", "万元", "1，250", "1,25.5"] {
        assert!(parse_cell(bad, &wan_yuan()).is_err(), "{bad}");
    }
    let error = parse_cell("79,228,162,514,264,337,593,543,950", &wan_yuan()).unwrap_err();
    assert!(error.contains("too large"), "{error}");
}

#[test]
fn percents_with_and_without_the_sign() {
    assert_eq!(parse_cell("50%", &ColumnKind::Percent), Ok(number("0.5")));
    assert_eq!(parse_cell("12.5%", &ColumnKind::Percent), Ok(number("0.125")));
    assert_eq!(parse_cell("50", &ColumnKind::Percent), Ok(number("0.5")));
    assert_eq!(parse_cell("3 ％", &ColumnKind::Percent), Ok(number("0.03")));
    assert!(parse_cell("half", &ColumnKind::Percent).is_err());
    assert!(parse_cell("%", &ColumnKind::Percent).is_err());
}

#[test]
fn the_three_date_forms() {
    for written in [
        "2024-04-02",
        "2024-4-2",
        "2024/4/2",
        "2024/04/02",
        "2024年4月2日",
        "2024年04月02日",
        "2024-04-02 00:00:00",
        "2024/4/2 0:00",
    ] {
        assert_eq!(parse_cell(written, &ColumnKind::Date), Ok(date(2024, 4, 2)), "{written}");
    }
    for bad in
        ["24-04-02", "2024-04", "2024-04-02-01", "2024/04-02", "2024年4月", "April 2, 2024", "2024-04-02 noon", "45384"]
    {
        let error = parse_cell(bad, &ColumnKind::Date).unwrap_err();
        assert!(error.contains("YYYY-MM-DD"), "{bad}: {error}");
    }
}

#[test]
fn an_invalid_calendar_date_is_an_error() {
    for bad in ["2023-02-30", "2023-02-29", "2024-13-01", "2024年4月31日"] {
        let error = parse_cell(bad, &ColumnKind::Date).unwrap_err();
        assert!(error.contains("exists in the calendar"), "{bad}: {error}");
    }
    assert_eq!(parse_cell("2024-02-29", &ColumnKind::Date), Ok(date(2024, 2, 29)));
}

#[test]
fn durations() {
    let period = |years, months, days| Value::Duration(Period { years, months, days });
    let cases = [
        ("2年", period(2, 0, 0)),
        ("6个月", period(0, 6, 0)),
        ("30天", period(0, 0, 30)),
        ("1年6个月", period(1, 6, 0)),
        ("1年零6个月", period(1, 6, 0)),
        ("2 years", period(2, 0, 0)),
        ("1 year", period(1, 0, 0)),
        ("6 months", period(0, 6, 0)),
        ("30 days", period(0, 0, 30)),
        ("1 Year and 6 Months", period(1, 6, 0)),
        ("2周", period(0, 0, 14)),
    ];
    for (written, expected) in cases {
        assert_eq!(parse_cell(written, &ColumnKind::Duration), Ok(expected), "{written}");
    }
    for bad in ["2", "年", "1.5年", "two years", "2 fortnights", "99999999999年"] {
        let error = parse_cell(bad, &ColumnKind::Duration).unwrap_err();
        assert!(error.contains("duration"), "{bad}: {error}");
    }
}

#[test]
fn text_is_trimmed() {
    assert_eq!(parse_cell("  日照市 ", &ColumnKind::Text), Ok(text("日照市")));
}

#[test]
fn enum_labels_and_an_unknown_label() {
    assert_eq!(parse_cell("微型", &sizes()), Ok(Value::Enum(0)));
    assert_eq!(parse_cell("大型", &sizes()), Ok(Value::Enum(3)));
    let error = parse_cell("特大型", &sizes()).unwrap_err();
    assert_eq!(error, "one of 微型, 小型, 中型, 大型");
}

#[test]
fn lists_with_each_separator() {
    let expected = list(vec![text("甲"), text("乙"), text("丙")]);
    for written in ["甲、乙、丙", "甲;乙;丙", "甲；乙；丙", "甲,乙,丙", "甲，乙，丙", "甲、 乙；丙", "甲、、乙、丙、"]
    {
        assert_eq!(parse_cell(written, &honours()), Ok(expected.clone()), "{written}");
    }
    let enum_list = ColumnKind::List(Box::new(sizes()));
    assert_eq!(parse_cell("微型、大型", &enum_list), Ok(list(vec![Value::Enum(0), Value::Enum(3)])));
    let error = parse_cell("微型、巨型", &enum_list).unwrap_err();
    assert!(error.contains("one of 微型, 小型, 中型, 大型"), "{error}");
    assert!(error.contains("巨型"), "{error}");
}

// ---- records -----------------------------------------------------------------------------

#[test]
fn blank_cells_become_unknown_or_when_blank() {
    let table = read_csv(
        "统一社会信用代码,注册日期,独立法人,企业规模,上年度营业收入（万元）,近两年受处罚次数,本年度新获认定称号\n\
         A1,, ,,,  ,\n",
    );
    let record = records(&enterprise_layout(), &table).remove(0).unwrap();
    assert_eq!(record.key.as_deref(), Some("A1"));
    assert_eq!(
        record.values,
        vec![
            text("A1"),
            Value::Unknown,
            Value::Unknown,
            Value::Unknown,
            Value::Unknown,
            Value::Unknown,
            list(vec![]),
            Value::Unknown,
        ]
    );
}

#[test]
fn a_full_record_in_any_column_order() {
    let table = read_csv(
        "企业规模,统一社会信用代码,本年度新获认定称号,上年度营业收入（万元）,注册日期,独立法人,近两年受处罚次数,备注\n\
         小型,9137110AY4CL12TH30,省级瞪羚企业、国家级制造业单项冠军产品,\"1,250.5\",2024/4/2,是,2,重点\n",
    );
    let record = records(&enterprise_layout(), &table).remove(0).unwrap();
    assert_eq!(record.row, 2);
    assert_eq!(
        record.values,
        vec![
            text("9137110AY4CL12TH30"),
            date(2024, 4, 2),
            Value::Bool(true),
            Value::Enum(1),
            number("12505000"),
            number("2"),
            list(vec![text("省级瞪羚企业"), text("国家级制造业单项冠军产品")]),
            text("重点"),
        ]
    );
}

#[test]
fn a_bad_cell_names_the_row_key_column_and_text() {
    let table = read_csv(
        "统一社会信用代码,注册日期,独立法人,企业规模,上年度营业收入（万元）,近两年受处罚次数,本年度新获认定称号\n\
         A1,2024-01-01,是,小型,1,0,\n\
         A2,2023-02-30,是,小型,1,0,\n\
         A3,2024-01-01,是,特大型,1,0,\n",
    );
    let mut results = records(&enterprise_layout(), &table).into_iter();
    assert!(results.next().unwrap().is_ok());
    let error = results.next().unwrap().unwrap_err();
    assert_eq!(error.row, 3);
    assert_eq!(error.key.as_deref(), Some("A2"));
    assert_eq!(error.column.as_deref(), Some("注册日期"));
    assert_eq!(error.raw.as_deref(), Some("2023-02-30"));
    assert_eq!(
        error.to_string(),
        "column 注册日期: \"2023-02-30\" is not valid; expected a date that exists in the \
         calendar, as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日 (there is no such day)"
    );
    let error = results.next().unwrap().unwrap_err();
    assert_eq!(error.row, 4);
    assert_eq!(error.key.as_deref(), Some("A3"));
    assert_eq!(error.to_string(), "column 企业规模: \"特大型\" is not valid; expected one of 微型, 小型, 中型, 大型");
}

#[test]
fn missing_required_columns_are_reported_all_at_once() {
    let headers: Vec<String> = ["统一社会信用代码", "独立法人", "上年度营业收入（万元）"].map(String::from).to_vec();
    let error = bind(&enterprise_layout(), &headers).unwrap_err();
    assert_eq!(
        error,
        DataError::MissingColumns {
            entity_hint: None,
            missing: ["注册日期", "企业规模", "近两年受处罚次数", "本年度新获认定称号"].map(String::from).to_vec(),
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("lacks the columns 注册日期, 企业规模, 近两年受处罚次数, 本年度新获认定称号"),
        "{message}"
    );
    let hinted = DataError::MissingColumns {
        entity_hint: Some("enterprise".to_string()),
        missing: vec!["注册日期".to_string()],
    };
    assert!(hinted.to_string().starts_with("the data file lacks the column 注册日期 required by entity enterprise"));
}

#[test]
fn an_optional_column_may_be_absent() {
    let table = read_csv(
        "统一社会信用代码,注册日期,独立法人,企业规模,上年度营业收入（万元）,近两年受处罚次数,本年度新获认定称号\n\
         A1,2024-01-01,否,中型,10,0,甲\n",
    );
    let binding = bind(&enterprise_layout(), &table.headers).unwrap();
    assert_eq!(binding.position(7), None);
    assert_eq!(binding.position(0), Some(0));
    let record = records(&enterprise_layout(), &table).remove(0).unwrap();
    assert_eq!(record.values.last(), Some(&Value::Unknown));
}

#[test]
fn headers_match_despite_width_and_spacing() {
    let headers: Vec<String> = [
        "统一社会信用代码",
        "注册日期",
        "独立法人",
        "企业规模 ",
        "上年度营业收入(万元)",
        "近两年受处罚次数",
        "本年度新获认定称号",
    ]
    .map(String::from)
    .to_vec();
    assert!(header_matches(&enterprise_layout(), &headers));
    assert!(bind(&enterprise_layout(), &headers).is_ok());
}

#[test]
fn a_column_named_twice_is_an_error() {
    let error = read_table("a,b,a\n1,2,3\n".as_bytes(), InputFormat::Csv).unwrap_err();
    assert_eq!(error, DataError::DuplicateColumn("a".to_string()));
    let headers: Vec<String> = ["上年度营业收入（万元）", "上年度营业收入(万元)"].map(String::from).to_vec();
    let layout =
        RecordLayout { columns: vec![ColumnSpec::new("上年度营业收入（万元）", wan_yuan())], key: 0 };
    assert_eq!(bind(&layout, &headers).unwrap_err(), DataError::DuplicateColumn("上年度营业收入（万元）".to_string()));
}

#[test]
fn header_matches_picks_the_entity() {
    let district = RecordLayout {
        columns: vec![
            ColumnSpec::new("区县名称", ColumnKind::Text),
            ColumnSpec::new("完成年度考核基础目标", ColumnKind::Bool),
        ],
        key: 0,
    };
    let table = read_csv("区县名称,完成年度考核基础目标\n东港区,是\n");
    assert!(header_matches(&district, &table.headers));
    assert!(!header_matches(&enterprise_layout(), &table.headers));
    let only_required: Vec<String> =
        enterprise_layout().columns.iter().filter(|spec| !spec.optional).map(|spec| spec.header.clone()).collect();
    assert!(header_matches(&enterprise_layout(), &only_required));
}

// ---- files -------------------------------------------------------------------------------

#[test]
fn gbk_input_is_decoded() {
    let csv = "区县名称,完成年度考核基础目标\n东港区,是\n岚山区,否\n";
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(csv);
    assert!(!had_errors);
    assert!(std::str::from_utf8(&bytes).is_err());
    let table = read_table(&bytes, InputFormat::Csv).unwrap();
    assert_eq!(table.headers, vec!["区县名称", "完成年度考核基础目标"]);
    assert_eq!(cells_of(&table.rows[1]), Ok(vec![Some("岚山区".to_string()), Some("否".to_string())]));
}

#[test]
fn a_utf8_bom_is_stripped() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("区县名称,完成年度考核基础目标\n东港区,是\n".as_bytes());
    let table = read_table(&bytes, InputFormat::Csv).unwrap();
    assert_eq!(table.headers.first().map(String::as_str), Some("区县名称"));
}

#[test]
fn utf16_with_bom_is_decoded() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "区县名称\t完成年度考核基础目标\r\n东港区\t是\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let table = read_table(&bytes, InputFormat::Csv).unwrap();
    assert_eq!(table.headers, vec!["区县名称", "完成年度考核基础目标"]);
    assert_eq!(table.rows.len(), 1);
}

#[test]
fn the_city_samples_read_without_errors() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let enterprise = std::fs::read(samples.join("enterprises.csv")).unwrap();
    let table = read_table(&enterprise, InputFormat::Csv).unwrap();
    let results = records(&enterprise_layout(), &table);
    assert_eq!(results.len(), 4);
    let first = results.first().unwrap().as_ref().unwrap();
    assert_eq!(first.key.as_deref(), Some("9137110AY4CL12TH30"));
    assert_eq!(first.values.get(4), Some(&number("59342600")));
    let honours_of_last = results.last().unwrap().as_ref().unwrap().values.get(6);
    assert_eq!(
        honours_of_last,
        Some(&list(
            vec![text("省级专精特新中小企业"), text("市级专精特新中小企业"), text("国家级制造业单项冠军企业"),]
        ))
    );
}

#[test]
fn an_empty_file_and_a_header_only_file() {
    assert_eq!(read_table(b"", InputFormat::Csv).unwrap_err(), DataError::Empty);
    assert_eq!(read_table(b"\xEF\xBB\xBF \n\n", InputFormat::Csv).unwrap_err(), DataError::Empty);
    assert_eq!(read_table(b"", InputFormat::JsonLines).unwrap_err(), DataError::Empty);
    let table = read_csv("区县名称,完成年度考核基础目标\n");
    assert!(table.rows.is_empty());
}

#[test]
fn a_ragged_row_is_a_row_error_and_the_rest_is_read() {
    let table = read_csv("区县名称,完成年度考核基础目标\n东港区,是\n岚山区\n五莲县,是,多余\n莒县,否\n");
    let rows: Vec<(usize, bool)> = table.rows.iter().map(|raw| (raw.row, raw.cells.is_ok())).collect();
    assert_eq!(rows, vec![(2, true), (3, false), (4, false), (5, true)]);
    let short = table.rows[1].cells.clone().unwrap_err();
    assert_eq!(short.to_string(), "expected 2 cells, one per header, but the row has 1");
    let long = table.rows[2].cells.clone().unwrap_err();
    assert!(long.to_string().contains("must be inside quotes"), "{long}");
}

#[test]
fn an_unquoted_thousands_separator_is_not_silently_shifted() {
    let table = read_csv("机构名称,合同金额,备注\n院0,1,000,\n");
    assert!(table.rows[0].cells.is_err());
}

#[test]
fn row_numbers_follow_the_spreadsheet() {
    let table = read_csv("名称,说明\n甲,\"两行\n说明\"\n\n乙,x\n,\n丙,y\n");
    let rows: Vec<usize> = table.rows.iter().map(|raw| raw.row).collect();
    // The two-line cell is one spreadsheet row, the blank line is row 3 and the all-blank
    // row 5 is skipped.
    assert_eq!(rows, vec![2, 4, 6]);
    assert_eq!(cells_of(&table.rows[0]), Ok(vec![Some("甲".to_string()), Some("两行\n说明".to_string())]));
}

#[test]
fn an_unterminated_quote_is_an_error_on_its_row() {
    let table = read_csv("名称,说明\n甲,x\n乙,\"没有结尾\n丙,y\n");
    assert_eq!(table.rows.len(), 2);
    assert!(table.rows[0].cells.is_ok());
    let error = table.rows[1].cells.clone().unwrap_err();
    assert_eq!(error.row, 3);
    assert!(error.to_string().contains("never does"), "{error}");
    let header_only = read_table("名称,\"说明\n".as_bytes(), InputFormat::Csv).unwrap_err();
    assert!(matches!(header_only, DataError::Malformed(_)));
    // Quotes inside an unquoted cell and doubled quotes are ordinary text.
    let table = read_csv("名称,说明\n甲,5\"屏\n乙,\"说 \"\"好\"\"\"\n");
    assert!(table.rows.iter().all(|raw| raw.cells.is_ok()));
}

#[test]
fn json_lines_with_numbers_strings_null_and_arrays() {
    let input = concat!(
        "{\"统一社会信用代码\": \"A1\", \"上年度营业收入（万元）\": 1250.50, \"独立法人\": true, ",
        "\"本年度新获认定称号\": [\"甲\", \"乙\"], \"企业规模\": null, \"注册日期\": \"2024-04-02\", ",
        "\"近两年受处罚次数\": 12345678901234567890123}\n",
        "\n",
        "{\"统一社会信用代码\": \"A2\", \"上年度营业收入（万元）\": 1e3, \"本年度新获认定称号\": [], ",
        "\"独立法人\": \"否\", \"注册日期\": \"2024年4月2日\", \"近两年受处罚次数\": \"1,200\", \"企业规模\": \"大型\"}\n",
        "[1, 2]\n",
        "{not json\n",
    );
    let table = read_table(input.as_bytes(), InputFormat::JsonLines).unwrap();
    assert_eq!(
        table.headers,
        vec![
            "统一社会信用代码",
            "上年度营业收入（万元）",
            "独立法人",
            "本年度新获认定称号",
            "企业规模",
            "注册日期",
            "近两年受处罚次数",
        ]
    );
    let rows: Vec<usize> = table.rows.iter().map(|raw| raw.row).collect();
    assert_eq!(rows, vec![1, 3, 4, 5]);
    let first = table.rows[0].cells.clone().unwrap();
    assert_eq!(first.get(1), Some("1250.50"));
    assert_eq!(first.get(2), Some("true"));
    assert_eq!(first.get(3), Some("甲、乙"));
    assert_eq!(first.get(4), None);
    assert_eq!(first.get(6), Some("12345678901234567890123"));

    let results = records(&enterprise_layout(), &table);
    let first = results[0].as_ref().unwrap();
    assert_eq!(first.values[4], number("12505000"));
    assert_eq!(first.values[6], list(vec![text("甲"), text("乙")]));
    assert_eq!(first.values[3], Value::Unknown);
    assert_eq!(first.values[5], number("12345678901234567890123"));
    let second = results[1].as_ref().unwrap();
    assert_eq!(second.values[4], number("10000000"));
    assert_eq!(second.values[6], list(vec![]));
    assert_eq!(second.values[1], date(2024, 4, 2));
    assert_eq!(second.values[5], number("1200"));

    let not_object = results[2].as_ref().unwrap_err();
    assert_eq!(not_object.row, 4);
    assert!(not_object.expected.contains("a JSON object"));
    assert!(not_object.expected.contains("not an array"));
    let bad_json = results[3].as_ref().unwrap_err();
    assert_eq!(bad_json.row, 5);
    assert_eq!(bad_json.raw.as_deref(), Some("{not json"));
    assert!(bad_json.expected.starts_with("a JSON object"));
}

#[test]
fn a_json_array_of_objects_is_also_read() {
    let input = "[{\"区县名称\": \"东港区\", \"完成年度考核基础目标\": \"是\"},\n {\"区县名称\": \"岚山区\"}]";
    let table = read_table(input.as_bytes(), InputFormat::JsonLines).unwrap();
    assert_eq!(table.headers, vec!["区县名称", "完成年度考核基础目标"]);
    assert_eq!(cells_of(&table.rows[1]), Ok(vec![Some("岚山区".to_string()), None]));
}

#[test]
fn input_format_from_the_file_name() {
    for (name, format) in [
        ("a.jsonl", InputFormat::JsonLines),
        ("a.NDJSON", InputFormat::JsonLines),
        ("a.json", InputFormat::JsonLines),
        ("a.csv", InputFormat::Csv),
        ("a.txt", InputFormat::Csv),
        ("a", InputFormat::Csv),
    ] {
        assert_eq!(InputFormat::from_path(Path::new(name)), format, "{name}");
    }
}

/// A zip that is no workbook (a truncated download, say) is one clear error, whatever the name.
#[test]
fn a_broken_workbook_is_an_error_with_advice() {
    let error = read_table(b"PK\x03\x04rest", InputFormat::Csv).unwrap_err();
    assert!(error.to_string().contains("not a readable Excel workbook"), "{error}");
    let old_excel = read_table(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], InputFormat::Csv).unwrap_err();
    assert!(old_excel.to_string().contains("save it as .xlsx or as CSV"), "{old_excel}");
}

#[test]
fn bytes_that_are_no_text_are_malformed() {
    let error = read_table(&[0x81, 0x20, 0xFF, 0xFF], InputFormat::Csv).unwrap_err();
    assert!(matches!(error, DataError::Malformed(_)), "{error}");
}

#[test]
fn the_innovative_sme_sample_reads_every_row() {
    let money = |header: &str| ColumnSpec::new(header, wan_yuan());
    let integer = |header: &str| ColumnSpec::new(header, ColumnKind::Integer);
    let flag = |header: &str| ColumnSpec::new(header, ColumnKind::Bool);
    let layout = RecordLayout {
        columns: vec![
            ColumnSpec::new("统一社会信用代码", ColumnKind::Text),
            ColumnSpec::new("企业名称", ColumnKind::Text),
            ColumnSpec::new("企业规模", sizes()),
            flag("近三年获国家级或省级科技奖励"),
            ColumnSpec::new("有效期内荣誉", honours()).with_when_blank(list(vec![])),
            flag("省部级以上研发机构"),
            money("近三年新增股权融资（万元）"),
            integer("Ⅰ类高价值知识产权数"),
            integer("自主研发Ⅰ类知识产权数"),
            integer("Ⅰ类知识产权数"),
            integer("Ⅱ类知识产权数"),
            money("上年度研发费用（万元）"),
            money("上年度营业收入（万元）"),
            money("上年度主营业务收入（万元）"),
            money("前年度主营业务收入（万元）"),
            money("上年末资产总额（万元）"),
            money("上年末负债总额（万元）"),
            flag("主导产品属于战略性新兴产业"),
        ],
        key: 0,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/applicants.csv");
    let table = read_table(&std::fs::read(path).unwrap(), InputFormat::Csv).unwrap();
    assert!(header_matches(&layout, &table.headers));
    let results = records(&layout, &table);
    assert_eq!(results.len(), 15);
    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    let third = results[2].as_ref().unwrap();
    assert_eq!(third.values[6], number("20000000"));
    assert_eq!(third.values[4], list(vec![]));
}

#[test]
fn crlf_line_endings() {
    let table = read_csv("区县名称,完成年度考核基础目标\r\n东港区,是\r\n\r\n岚山区,否\r\n");
    let rows: Vec<(usize, RowCells)> = table.rows.iter().map(|raw| (raw.row, cells_of(raw))).collect();
    assert_eq!(
        rows,
        vec![
            (2, Ok(vec![Some("东港区".to_string()), Some("是".to_string())])),
            (4, Ok(vec![Some("岚山区".to_string()), Some("否".to_string())])),
        ]
    );
}

#[test]
fn an_unterminated_quote_in_an_otherwise_blank_row_is_still_reported() {
    let table = read_csv("名称,说明\n甲,x\n,\"\n\n");
    assert_eq!(table.rows.len(), 2);
    assert!(table.rows[0].cells.is_ok());
    assert_eq!(table.rows[1].row, 3);
    assert!(table.rows[1].cells.is_err());
}

proptest::proptest! {
    /// Cells are trimmed as `str::trim` trims, whatever they begin and end with: the reader
    /// skips trimming cells that begin and end with a character that cannot be whitespace.
    #[test]
    fn cells_are_trimmed_as_str_trim_trims(
        characters in proptest::collection::vec(
            proptest::sample::select(vec![' ', '\t', '\u{3000}', '\u{a0}', '\u{2028}', '\u{85}', '\u{1680}', 'a', '1', '日', '是', '（', 'é', '\u{e0100}']),
            1..8,
        )
    ) {
        let raw: String = characters.into_iter().collect();
        // A blank cell never reaches a parser: it is unknown.
        proptest::prop_assume!(!raw.trim().is_empty());
        proptest::prop_assert_eq!(parse_cell(&raw, &ColumnKind::Text), Ok(text(raw.trim())));
    }

    /// `2024-04-02`, read without splitting the text, is read as the general reading reads
    /// `2024/04/02`: the same date, or the same error.
    #[test]
    fn dashed_dates_read_as_the_other_forms(year in 0u32..10_000, month in 0u32..14, day in 0u32..33) {
        let dashed = parse_cell(&format!("{year:04}-{month:02}-{day:02}"), &ColumnKind::Date);
        let slashed = parse_cell(&format!("{year:04}/{month:02}/{day:02}"), &ColumnKind::Date);
        proptest::prop_assert_eq!(dashed, slashed);
    }

    /// Plain numbers (`5934.26`, `0`, `007.50`), read in one pass, are the decimals the decimal
    /// parser makes of them: the same digits and the same scale.
    #[test]
    fn plain_numbers_read_as_the_decimal_parser_reads_them(integer in "[0-9]{1,20}", fraction in proptest::option::of("[0-9]{1,10}")) {
        let written = match &fraction {
            Some(fraction) => format!("{integer}.{fraction}"),
            None => integer.clone(),
        };
        let expected = Decimal::from_str_exact(&written).ok();
        let read = match parse_cell(&written, &ColumnKind::Decimal) {
            Ok(Value::Number(number)) => Some(number),
            _ => None,
        };
        proptest::prop_assert_eq!(read.map(|number| (number, number.scale())), expected.map(|number| (number, number.scale())));
    }

    /// Amounts are written as the normalised decimal writes them, whole amounts included.
    #[test]
    fn amounts_are_written_as_the_decimal_writes_them(mantissa in proptest::num::i64::ANY, scale in 0u32..6) {
        let amount = Decimal::new(mantissa, scale);
        proptest::prop_assert_eq!(policy::output::yuan_string(amount), amount.normalize().to_string());
    }

    /// A row is read exactly when each of its cells is UTF-8 text, as the `csv` crate's own
    /// checked records say, and then with the same cells: the whole row is checked at once, so
    /// a character cut in two by a separator (each half valid next to the other) must still be
    /// caught. Cells are drawn from a few bytes that make such cuts likely.
    #[test]
    fn rows_are_read_when_every_cell_is_utf8_and_only_then(
        rows in proptest::collection::vec(
            proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec![b'a', b' ', 0xE6, 0x97, 0xA5, 0xFF, 0xC3]), 0..5),
                2,
            ),
            1..6,
        )
    ) {
        let mut file = b"\xEF\xBB\xBFa,b\n".to_vec();
        for row in &rows {
            file.extend_from_slice(&row.join(&b',')[..]);
            file.push(b'\n');
        }
        let table = read_table(&file, InputFormat::Csv).unwrap();
        let mut expected = Vec::new();
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(&file[3..]);
        for record in reader.byte_records() {
            let record = record.unwrap();
            let cells: Option<Vec<&str>> = record.iter().map(|cell| std::str::from_utf8(cell).ok()).collect();
            match cells {
                // A row whose every cell is blank is skipped, as the stream skips it.
                Some(cells) if cells.iter().all(|cell| cell.trim().is_empty()) => {}
                Some(cells) => expected.push(Some(
                    cells.iter().map(|cell| Some(cell.trim().to_string()).filter(|cell| !cell.is_empty())).collect::<Vec<_>>(),
                )),
                None => expected.push(None),
            }
        }
        let read: Vec<Option<Vec<Option<String>>>> =
            table.rows.iter().map(|raw| raw.cells.as_ref().ok().map(policy::data::Cells::to_vec)).collect();
        proptest::prop_assert_eq!(read, expected);
    }
}
