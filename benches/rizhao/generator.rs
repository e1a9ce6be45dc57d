//! Synthetic Rizhao enterprise exports for benchmarks and agreement tests: rows that look like
//! the city's `enterprises.csv` (same header, every value form DATA.md allows, a few blank
//! cells) in a mix where every decision, award and benefit of the enterprise entity happens.
//!
//! The rows come from a seeded ChaCha generator, so a seed and a row count always give the same
//! file: benchmarks are re-run on identical data and tests can pin what a seed produces.
//! Shared by `examples/gen_enterprises.rs`, the benchmarks and `tests/benchmarks.rs`.

use chrono::{Datelike, NaiveDate};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

/// The header of `examples/rizhao/enterprises.csv`, in its order.
pub const CITY_COLUMNS: [&str; 23] = [
    "统一社会信用代码",
    "企业名称",
    "注册地",
    "注册日期",
    "独立法人",
    "企业规模",
    "所属行业",
    "符合工业四基目录",
    "新旧动能转换重点项目",
    "重点鼓励支柱优势产业",
    "省级及以上首台套",
    "发展前景良好",
    "节能环保安全合规",
    "上年度营业收入（万元）",
    "质量管理体系认证",
    "产品质量稳定",
    "银行信用良好",
    "纳税信用等级",
    "社会信用良好",
    "近两年提供虚假信息",
    "近两年安全质量环境事故数",
    "近两年受处罚次数",
    "本年度新获认定称号",
];

/// The columns the policy declares `optional` (the city's export does not carry them yet).
pub const OPTIONAL_COLUMNS: [&str; 4] =
    ["上市阶段", "上市费用（万元）", "参展费用（万元）", "技改专项贷款利息（万元）"];

/// The honours of 三(一)2 with their weights: common honours often, a unicorn rarely, yet
/// often enough that a few hundred rows hold one. The municipal honours carry no money.
const HONOURS: [(&str, u32); 9] = [
    ("独角兽企业", 4),
    ("国家级制造业单项冠军企业", 5),
    ("国家级制造业单项冠军产品", 7),
    ("专精特新小巨人企业", 10),
    ("山东省制造业单项冠军企业", 9),
    ("省级瞪羚企业", 14),
    ("省级专精特新中小企业", 20),
    ("市级专精特新中小企业", 22),
    ("市级瞪羚企业", 12),
];

const PRIORITY_SECTORS: [&str; 10] = [
    "先进钢铁制造",
    "汽车整车及零部件",
    "新一代信息技术",
    "新医药",
    "新材料",
    "新装备",
    "高端化工",
    "粮油食品",
    "浆纸包装",
    "绿色建材",
];
const OTHER_SECTORS: [&str; 6] = ["物流运输", "房地产", "批发零售", "建筑施工", "住宿餐饮", "商务服务"];
const OTHER_CITIES: [&str; 4] = ["潍坊市", "青岛市", "临沂市", "济南市"];
const NAME_STEMS: [&str; 16] = [
    "泰德", "利东", "祥源", "宏方", "盛金", "海恒", "泰港", "新华", "恒海", "源恒", "泰金", "远港", "瑞利", "恒华",
    "岳新", "德华",
];
const NAME_TRADES: [&str; 6] = ["科技", "机械", "新材料", "食品", "化工", "包装"];
const LISTING_STAGES: [&str; 3] = ["规范改制", "上市中", "上市后"];

/// The share of ordinary cells left blank: enough that some outcomes are unknown in every
/// few hundred rows, few enough that most records are complete, as in a real export.
const BLANK_SHARE: f64 = 0.01;
/// The share of rows filling each optional column group; each such row is an error under the
/// policy's defaults (the document gives no rate), so they stay rare.
const OPTIONAL_SHARE: f64 = 0.004;
/// Rows built to pass most cultivation-pool conditions, so that `yes` is common, not a fluke.
const STRONG_SHARE: f64 = 0.35;

/// Characters of a unified social credit code (GB 32100-2015: digits and capitals without I,
/// O, Z, S, V), in the order of their values.
const CODE_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CODE_WEIGHTS: [u64; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// 31^11: the number of distinct 11-character serials after the `913711` prefix.
const SERIAL_SPACE: u128 = 25_408_476_896_404_831;
/// Multiplying by a number prime to 31 permutes the serials, so row order does not show in the
/// codes while every row keeps a code of its own.
const SERIAL_SCRAMBLE: u128 = 2_654_435_761;

/// Writes a header and `rows` rows of enterprises as CSV (UTF-8 with a BOM and `\r\n` line
/// ends, as Excel saves it).
pub fn write_enterprises(rows: u64, seed: u64, optional_columns: bool, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    out.write_all("\u{feff}".as_bytes())?;
    // Lines end in `\r\n`, as Excel writes them and as the city's sample file has them.
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    let mut generator = EnterpriseGenerator::new(seed, optional_columns);
    writer.write_record(generator.header())?;
    let mut cells = Vec::new();
    for _ in 0..rows {
        generator.fill_row(&mut cells);
        writer.write_record(&cells)?;
    }
    writer.flush()?;
    writer.into_inner().map_err(|error| error.into_error())?.flush()
}

/// Produces one row after another; row `n` of a seed is always the same.
pub struct EnterpriseGenerator {
    random: ChaCha8Rng,
    next_serial: u64,
    optional_columns: bool,
}

impl EnterpriseGenerator {
    pub fn new(seed: u64, optional_columns: bool) -> EnterpriseGenerator {
        EnterpriseGenerator { random: ChaCha8Rng::seed_from_u64(seed), next_serial: 0, optional_columns }
    }

    pub fn header(&self) -> Vec<&'static str> {
        let optional: &[&str] = if self.optional_columns { &OPTIONAL_COLUMNS } else { &[] };
        CITY_COLUMNS.iter().chain(optional).copied().collect()
    }

    /// Replaces `cells` with the next row's cells (the vector is reused so that a large file
    /// costs no allocation per row).
    pub fn fill_row(&mut self, cells: &mut Vec<String>) {
        let serial = self.next_serial;
        self.next_serial += 1;
        let random = &mut self.random;
        cells
            .resize(CITY_COLUMNS.len() + if self.optional_columns { OPTIONAL_COLUMNS.len() } else { 0 }, String::new());
        for cell in cells.iter_mut() {
            cell.clear();
        }
        let strong = random.random_bool(STRONG_SHARE);
        let likely = |random: &mut ChaCha8Rng, strong_share: f64, other_share: f64| {
            random.random_bool(if strong { strong_share } else { other_share })
        };

        cells[0] = credit_code(serial);
        cells[1] = format!(
            "日照{}{}有限公司",
            NAME_STEMS.choose(random).copied().unwrap_or_default(),
            NAME_TRADES.choose(random).copied().unwrap_or_default()
        );
        cells[2] = if strong || random.random_bool(0.9) {
            "日照市".to_string()
        } else {
            OTHER_CITIES.choose(random).copied().unwrap_or_default().to_string()
        };
        // Mostly registered long enough before 2024-06-30 (the samples' evaluation date); the
        // others within two years, so that 二.2(一) fails for some.
        let latest = if strong { date(2022, 6, 30) } else { date(2024, 6, 30) };
        let earliest = date(2000, 1, 1);
        let registered_on =
            earliest + chrono::Days::new(random.random_range(0..=(latest - earliest).num_days() as u64));
        cells[3] = date_text(random, registered_on);
        let independent = likely(random, 0.97, 0.85);
        cells[4] = bool_text(random, independent);
        let size_weights: [(&str, u32); 4] = if strong {
            [("微型", 25), ("小型", 45), ("中型", 30), ("大型", 0)]
        } else {
            [("微型", 25), ("小型", 40), ("中型", 25), ("大型", 10)]
        };
        cells[5] = weighted(random, &size_weights).to_string();

        // 二.1: a strong row takes one of the three routes; the others may take any by chance.
        let route = if strong { random.random_range(0..3) } else { 3 };
        let priority_sector = route == 0 || random.random_bool(if strong { 0.5 } else { 0.6 });
        cells[6] = if priority_sector { PRIORITY_SECTORS.choose(random) } else { OTHER_SECTORS.choose(random) }
            .copied()
            .unwrap_or_default()
            .to_string();
        let routes = [
            route == 0 || random.random_bool(0.4),
            route == 1 || random.random_bool(0.25),
            route == 2 || random.random_bool(0.3),
            route == 2 || random.random_bool(0.25),
        ];
        for (cell, value) in cells[7..=10].iter_mut().zip(routes) {
            *cell = bool_text(random, value);
        }

        let prospects = [likely(random, 0.97, 0.75), likely(random, 0.97, 0.8)];
        for (cell, value) in cells[11..=12].iter_mut().zip(prospects) {
            *cell = bool_text(random, value);
        }
        cells[13] = revenue_text(random, strong);
        for cell in &mut cells[14..=16] {
            let value = likely(random, 0.97, 0.8);
            *cell = bool_text(random, value);
        }
        let tax_weights: [(&str, u32); 5] = if strong {
            [("A", 55), ("B", 42), ("M", 1), ("C", 1), ("D", 1)]
        } else {
            [("A", 30), ("B", 30), ("M", 15), ("C", 15), ("D", 10)]
        };
        cells[17] = weighted(random, &tax_weights).to_string();
        let social_credit_good = likely(random, 0.97, 0.8);
        cells[18] = bool_text(random, social_credit_good);
        let supplied_false_information = likely(random, 0.01, 0.05);
        cells[19] = bool_text(random, supplied_false_information);
        cells[20] = count_text(random, strong);
        cells[21] = count_text(random, strong);
        cells[22] = honours_text(random);

        // Any ordinary cell may be blank (the key never is: a row without one names nobody).
        // The honours are left alone: a blank there means "none", not unknown.
        for cell in &mut cells[1..22] {
            if random.random_bool(BLANK_SHARE) {
                cell.clear();
            }
        }

        if self.optional_columns {
            if random.random_bool(OPTIONAL_SHARE) {
                cells[23] = LISTING_STAGES.choose(random).copied().unwrap_or_default().to_string();
                if random.random_bool(0.8) {
                    let expenses = random.random_range(1_000..=5_000_000);
                    cells[24] = amount_text(random, expenses);
                }
            }
            if random.random_bool(OPTIONAL_SHARE) {
                let expenses = random.random_range(0..=50_000);
                cells[25] = amount_text(random, expenses);
            }
            if random.random_bool(OPTIONAL_SHARE) {
                let interest = random.random_range(0..=100_000);
                cells[26] = amount_text(random, interest);
            }
        }
    }
}

/// `913711` (an enterprise registered in Rizhao), an 11-character serial unique to `serial`,
/// and the check character of GB 32100-2015, so that the codes look like real ones.
pub fn credit_code(serial: u64) -> String {
    let mut scrambled = (u128::from(serial) * SERIAL_SCRAMBLE) % SERIAL_SPACE;
    let mut values = [9u8, 1, 3, 7, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for value in values[6..].iter_mut().rev() {
        *value = (scrambled % 31) as u8;
        scrambled /= 31;
    }
    let weighted_sum: u64 = values.iter().zip(CODE_WEIGHTS).map(|(value, weight)| u64::from(*value) * weight).sum();
    let check = (31 - weighted_sum % 31) % 31;
    values
        .iter()
        .chain(std::iter::once(&(check as u8)))
        .map(|value| char::from(CODE_ALPHABET[usize::from(*value)]))
        .collect()
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn weighted<'a>(random: &mut ChaCha8Rng, choices: &[(&'a str, u32)]) -> &'a str {
    choices.choose_weighted(random, |choice| choice.1).map(|choice| choice.0).unwrap_or_default()
}

/// 是/否 mostly, and now and then each other form DATA.md accepts.
fn bool_text(random: &mut ChaCha8Rng, value: bool) -> String {
    let forms = weighted(random, &[("是否", 85), ("YN", 5), ("truefalse", 5), ("10", 5)]);
    let (yes, no) = match forms {
        "YN" => ("Y", "N"),
        "truefalse" => ("true", "false"),
        "10" => ("1", "0"),
        _ => ("是", "否"),
    };
    (if value { yes } else { no }).to_string()
}

/// A date in one of the three forms of DATA.md, with and without leading zeros.
fn date_text(random: &mut ChaCha8Rng, date: NaiveDate) -> String {
    let (year, month, day) = (date.year(), date.month(), date.day());
    match random.random_range(0..20) {
        0..=13 => format!("{year:04}-{month:02}-{day:02}"),
        14..=15 => format!("{year:04}/{month:02}/{day:02}"),
        16 => format!("{year:04}/{month}/{day}"),
        _ => format!("{year:04}年{month}月{day}日"),
    }
}

/// Last year's revenue in 万元: log-uniform from small to large firms; a strong row clears the
/// 900万元 floor, except now and then by a hair (899.99) to exercise the boundary.
fn revenue_text(random: &mut ChaCha8Rng, strong: bool) -> String {
    let hundredths_of_wan: u64 = if strong && random.random_bool(0.03) {
        89_999
    } else if random.random_bool(0.01) {
        90_000
    } else {
        let (low, high): (f64, f64) = if strong { (900.0, 30_000.0) } else { (50.0, 30_000.0) };
        let wan = (low.ln() + random.random::<f64>() * (high.ln() - low.ln())).exp();
        (wan * 100.0).round() as u64
    };
    amount_text(random, hundredths_of_wan)
}

/// An amount in 万元 given in hundredths: `5934.26`, `1250.5`, `900`, or with thousands
/// separators (`1,250.50`), as exports write it.
fn amount_text(random: &mut ChaCha8Rng, hundredths: u64) -> String {
    let whole = hundredths / 100;
    let fraction = hundredths % 100;
    let whole_text = if whole >= 1000 && random.random_bool(0.35) { with_separators(whole) } else { whole.to_string() };
    match random.random_range(0..4) {
        0 if fraction.is_multiple_of(10) && fraction != 0 => format!("{whole_text}.{}", fraction / 10),
        0 | 1 if fraction == 0 => whole_text,
        _ => format!("{whole_text}.{fraction:02}"),
    }
}

fn with_separators(number: u64) -> String {
    let digits = number.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// Accidents or penalties in the last two years: mostly none.
fn count_text(random: &mut ChaCha8Rng, strong: bool) -> String {
    let none_share = if strong { 0.98 } else { 0.85 };
    if random.random_bool(none_share) {
        "0".to_string()
    } else {
        random.random_range(1..=3).to_string()
    }
}

/// A quarter of the rows hold one to three honours, joined by one of the list separators.
fn honours_text(random: &mut ChaCha8Rng) -> String {
    if !random.random_bool(0.25) {
        return String::new();
    }
    let count = weighted(random, &[("1", 70), ("2", 22), ("3", 8)]).parse::<usize>().unwrap_or(1);
    let mut chosen: Vec<&str> = Vec::with_capacity(count);
    while chosen.len() < count {
        let honour = weighted(random, &HONOURS);
        if !chosen.contains(&honour) {
            chosen.push(honour);
        }
    }
    let separator = weighted(random, &[("、", 60), (";", 15), (",", 15), ("，", 10)]);
    chosen.join(separator)
}
