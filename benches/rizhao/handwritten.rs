//! The Rizhao enterprise rules of `policies/rizhao-2022.policy` written by hand in plain Rust,
//! without the policy language: the practical limit the language's evaluator is measured
//! against (issue 6).
//!
//! It reads the city's enterprise CSV with the csv crate and its own small parsers for every
//! value form of DATA.md, decides `cultivation_pool`, the honour awards under no stacking, the
//! `mu_efficiency_a` benefit and the three supports the document leaves without a rate, and
//! writes the same JSON Lines as `policy eval`, error lines included. Blank cells are unknown and
//! the logic is three-valued (`Option<bool>`, Kleene), so an unknown condition pays nothing.
//!
//! What it does not do, because the benchmark files never need it: GBK or UTF-16 input, JSON
//! Lines or Excel input, and the error `policy eval` gives for a quote left open at the end of
//! a file (here the csv crate's reading stands). Shared by `examples/handwritten_rizhao.rs`,
//! the evaluation benchmark and `tests/benchmarks.rs`.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::mpsc;

// ─── What the policy fixes ────────────────────────────────────────────────────

/// 四: the programme is in force from 2022-03-23 to 2025-12-31, both days included.
pub const IN_FORCE_FROM: (i32, u32, u32) = (2022, 3, 23);
pub const IN_FORCE_UNTIL: (i32, u32, u32) = (2025, 12, 31);

/// 二.1: the ten city priority sectors, read as a closed list.
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

/// 二.2(一): registered two years or more before the evaluation date.
const MINIMUM_REGISTRATION_MONTHS: u32 = 24;

/// 二.2(三): “1000万元左右” read as at least 900万元, in 元.
fn revenue_floor() -> Decimal {
    Decimal::from(9_000_000)
}

/// 三(一)2: the honour awards, in the order the no-stacking group lists them (the first listed
/// wins a tie), with the honour each needs and its amount in 元.
pub const HONOUR_AWARDS: [HonourAward; 7] = [
    HonourAward { award: "unicorn", honour: "独角兽企业", yuan: 3_000_000 },
    HonourAward {
        award: "national_champion_enterprise", honour: "国家级制造业单项冠军企业", yuan: 2_000_000
    },
    HonourAward { award: "national_champion_product", honour: "国家级制造业单项冠军产品", yuan: 1_000_000 },
    HonourAward { award: "little_giant", honour: "专精特新小巨人企业", yuan: 1_000_000 },
    HonourAward { award: "shandong_champion", honour: "山东省制造业单项冠军企业", yuan: 500_000 },
    HonourAward { award: "provincial_gazelle", honour: "省级瞪羚企业", yuan: 300_000 },
    HonourAward { award: "provincial_specialized", honour: "省级专精特新中小企业", yuan: 200_000 },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HonourAward {
    pub award: &'static str,
    pub honour: &'static str,
    pub yuan: u32,
}

/// The three supports whose rate the document leaves open (三(四)13, 三(五)17, 三(四)12), in
/// the policy's order: the first that applies to a record is the one its error names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenRateSupport {
    ListingSupport,
    ExhibitionSubsidy,
    LoanInterestSubsidy,
}

impl OpenRateSupport {
    pub const ALL: [OpenRateSupport; 3] =
        [OpenRateSupport::ListingSupport, OpenRateSupport::ExhibitionSubsidy, OpenRateSupport::LoanInterestSubsidy];

    pub fn award(self) -> &'static str {
        match self {
            OpenRateSupport::ListingSupport => "listing_support",
            OpenRateSupport::ExhibitionSubsidy => "exhibition_subsidy",
            OpenRateSupport::LoanInterestSubsidy => "loan_interest_subsidy",
        }
    }

    pub fn rate_parameter(self) -> &'static str {
        match self {
            OpenRateSupport::ListingSupport => "listing_support_rate",
            OpenRateSupport::ExhibitionSubsidy => "exhibition_subsidy_rate",
            OpenRateSupport::LoanInterestSubsidy => "loan_interest_subsidy_rate",
        }
    }

    fn citation(self) -> &'static str {
        match self {
            OpenRateSupport::ListingSupport => "三(四)13",
            OpenRateSupport::ExhibitionSubsidy => "三(五)17",
            OpenRateSupport::LoanInterestSubsidy => "三(四)12",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a run fixes: the evaluation date and the open rates given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub as_of: NaiveDate,
    /// Rates as fractions (`10%` is 0.1), by [`OpenRateSupport`]; `None` when not given.
    pub open_rates: [Option<Decimal>; 3],
}

impl Settings {
    /// Refuses a date outside the programme's window, as `policy eval` does.
    pub fn new(as_of: NaiveDate) -> Result<Settings, String> {
        let date = |(year, month, day): (i32, u32, u32)| NaiveDate::from_ymd_opt(year, month, day);
        let (Some(from), Some(until)) = (date(IN_FORCE_FROM), date(IN_FORCE_UNTIL)) else {
            return Err("the programme's window is not a calendar date".to_string());
        };
        if as_of < from || as_of > until {
            return Err(format!("the policy is not in force on {as_of}: it is in force from {from} to {until}"));
        }
        Ok(Settings { as_of, open_rates: [None; 3] })
    }

    /// `NAME=RATE` for one of the three open rates, the rate written as a percentage (`10%`).
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let (name, text) = assignment.split_once('=').ok_or_else(|| format!("`{assignment}` has no `=`"))?;
        let support = OpenRateSupport::ALL
            .into_iter()
            .find(|support| support.rate_parameter() == name.trim())
            .ok_or_else(|| format!("no open rate is called `{}`", name.trim()))?;
        let points =
            text.trim().strip_suffix('%').ok_or_else(|| format!("`{text}` is not a percentage such as 10%"))?;
        let points: Decimal = points.trim().parse().map_err(|_| format!("`{text}` is not a percentage such as 10%"))?;
        let rate = points.checked_div(Decimal::ONE_HUNDRED).ok_or_else(|| format!("`{text}` is too large"))?;
        self.open_rates[support.index()] = Some(rate);
        Ok(())
    }
}

// ─── A record ─────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnterpriseSize {
    Micro,
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxCreditGrade {
    A,
    B,
    M,
    C,
    D,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingStage {
    Restructuring,
    Listing,
    Listed,
}

/// The honours of [`HONOUR_AWARDS`] a record names, one bit each; other honours carry no
/// money and no benefit, so they are not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Honours(u8);

impl Honours {
    pub fn has(self, award: usize) -> bool {
        self.0 & (1 << award) != 0
    }

    pub fn with(self, award: usize) -> Honours {
        Honours(self.0 | (1 << award))
    }
}

/// One enterprise, reduced to what the rules read. `None` is a blank cell: unknown.
/// Amounts are in 元.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enterprise {
    pub registered_in_rizhao: Option<bool>,
    pub registered_on: Option<NaiveDate>,
    pub independent_legal_person: Option<bool>,
    pub size: Option<EnterpriseSize>,
    pub in_priority_sector: Option<bool>,
    pub fits_four_bases_catalogue: Option<bool>,
    pub in_key_conversion_project: Option<bool>,
    pub in_encouraged_pillar_industry: Option<bool>,
    pub has_first_set_product: Option<bool>,
    pub good_prospects: Option<bool>,
    pub energy_environment_safety_compliant: Option<bool>,
    pub revenue_last_year: Option<Decimal>,
    pub quality_system_certified: Option<bool>,
    pub product_quality_stable: Option<bool>,
    pub bank_credit_good: Option<bool>,
    pub tax_credit: Option<TaxCreditGrade>,
    pub social_credit_good: Option<bool>,
    pub supplied_false_information: Option<bool>,
    pub accidents_last_two_years: Option<Decimal>,
    pub penalties_last_two_years: Option<Decimal>,
    /// A blank cell means no honour (the policy's `blank means []`), so this is never unknown.
    pub new_honours: Honours,
    pub listing_stage_reached: Option<ListingStage>,
    pub listing_expenses: Option<Decimal>,
    pub exhibition_expenses: Option<Decimal>,
    pub technical_loan_interest: Option<Decimal>,
}

// ─── Deciding ─────────────────────────────────────────────────────────────────

/// Everything decided about one enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub cultivation_pool: Option<bool>,
    /// The honour award paid after no stacking, as an index into [`HONOUR_AWARDS`].
    pub honour_award: Option<usize>,
    /// Whether `mu_efficiency_a` is certainly granted.
    pub mu_efficiency_a: bool,
    /// What each open-rate support pays, by [`OpenRateSupport`].
    pub open_rate_payments: [Option<Decimal>; 3],
    pub total: Decimal,
}

/// Why a record could not be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecideError {
    /// A support applies but the document gives no rate and the run set none.
    MissingRate(OpenRateSupport),
    /// A result beyond the exact decimal (or calendar) range.
    Overflow,
}

impl std::fmt::Display for DecideError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecideError::MissingRate(support) => {
                let name = support.rate_parameter();
                write!(
                    formatter,
                    "the parameter `{name}` [{}] has no value in the policy and this record needs it; give it with --set {name}=VALUE",
                    support.citation()
                )
            }
            DecideError::Overflow => {
                write!(formatter, "an amount on this record is beyond the exact decimal range (overflow)")
            }
        }
    }
}

fn and(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(left: Option<bool>, right: Option<bool>) -> Option<bool> {
    match (left, right) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn all_of<const N: usize>(parts: [Option<bool>; N]) -> Option<bool> {
    parts.into_iter().fold(Some(true), and)
}

fn any_of<const N: usize>(parts: [Option<bool>; N]) -> Option<bool> {
    parts.into_iter().fold(Some(false), or)
}

/// Decides one enterprise as `policies/rizhao-2022.policy` does.
pub fn decide(enterprise: &Enterprise, settings: &Settings) -> Result<Decision, DecideError> {
    let registered_in_rizhao = enterprise.registered_in_rizhao;

    // 二.1: any one of the three routes.
    let key_field = any_of([
        and(enterprise.in_priority_sector, enterprise.fits_four_bases_catalogue),
        enterprise.in_key_conversion_project,
        and(enterprise.in_encouraged_pillar_industry, enterprise.has_first_set_product),
    ]);
    // 二.2(一): a calendar two years, so 2020-02-29 is two years old on 2022-02-28.
    let registered_long_enough = match enterprise.registered_on {
        None => None,
        Some(registered_on) => {
            let anniversary = registered_on
                .checked_add_months(Months::new(MINIMUM_REGISTRATION_MONTHS))
                .ok_or(DecideError::Overflow)?;
            Some(anniversary <= settings.as_of)
        }
    };
    let registration_and_size = all_of([
        registered_in_rizhao,
        registered_long_enough,
        enterprise.independent_legal_person,
        enterprise.size.map(|size| size != EnterpriseSize::Large),
    ]);
    // 二.2(二)
    let prospects_and_compliance = and(enterprise.good_prospects, enterprise.energy_environment_safety_compliant);
    // 二.2(三)
    let operations_and_credit = all_of([
        enterprise.revenue_last_year.map(|revenue| revenue >= revenue_floor()),
        enterprise.quality_system_certified,
        enterprise.product_quality_stable,
        enterprise.bank_credit_good,
        enterprise.tax_credit.map(|grade| matches!(grade, TaxCreditGrade::A | TaxCreditGrade::B)),
        enterprise.social_credit_good,
    ]);
    // 二.2(四)
    let clean_record = all_of([
        enterprise.supplied_false_information.map(|supplied| !supplied),
        enterprise.accidents_last_two_years.map(|count| count.is_zero()),
        enterprise.penalties_last_two_years.map(|count| count.is_zero()),
    ]);
    let cultivation_pool =
        all_of([key_field, registration_and_size, prospects_and_compliance, operations_and_credit, clean_record]);

    // 三(一)2 and 四: every award whose honour is named, then only the highest is paid.
    let mut any_honour_award = Some(false);
    let mut honour_award: Option<usize> = None;
    for (index, award) in HONOUR_AWARDS.iter().enumerate() {
        let eligible = and(registered_in_rizhao, Some(enterprise.new_honours.has(index)));
        any_honour_award = or(any_honour_award, eligible);
        let beats_winner = honour_award.is_none_or(|winner| award.yuan > HONOUR_AWARDS[winner].yuan);
        if eligible == Some(true) && beats_winner {
            honour_award = Some(index);
        }
    }
    let mut total = honour_award.map_or(Decimal::ZERO, |winner| Decimal::from(HONOUR_AWARDS[winner].yuan));

    // 三(四)13, 三(五)17, 三(四)12: paid at the rate given for the run; without a rate a record
    // they apply to cannot be decided, rather than be paid a silent zero.
    let positive = |amount: Option<Decimal>| amount.map(|amount| amount > Decimal::ZERO);
    let applies = [
        and(registered_in_rizhao, enterprise.listing_stage_reached.map(|_| true)),
        and(registered_in_rizhao, positive(enterprise.exhibition_expenses)),
        and(registered_in_rizhao, positive(enterprise.technical_loan_interest)),
    ];
    let bases = [enterprise.listing_expenses, enterprise.exhibition_expenses, enterprise.technical_loan_interest];
    let mut open_rate_payments = [None; 3];
    for support in OpenRateSupport::ALL {
        if applies[support.index()] != Some(true) {
            continue;
        }
        let rate = settings.open_rates[support.index()].ok_or(DecideError::MissingRate(support))?;
        let Some(base) = bases[support.index()] else { continue };
        let amount = rate.checked_mul(base).ok_or(DecideError::Overflow)?;
        if amount > Decimal::ZERO {
            open_rate_payments[support.index()] = Some(amount);
            total = total.checked_add(amount).ok_or(DecideError::Overflow)?;
        }
    }

    Ok(Decision {
        cultivation_pool,
        honour_award,
        mu_efficiency_a: any_honour_award == Some(true),
        open_rate_payments,
        total,
    })
}

// ─── Reading cells ────────────────────────────────────────────────────────────

/// The columns read, in the order of the policy's fields: a row's first unreadable cell in
/// this order is the one its error names.
pub const COLUMNS: [&str; 27] = [
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
    "上市阶段",
    "上市费用（万元）",
    "参展费用（万元）",
    "技改专项贷款利息（万元）",
];
/// The last four columns may be absent from a file: then their cells are blank.
const FIRST_OPTIONAL_COLUMN: usize = 23;

/// Why one cell could not be read: the column, the text and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub column: usize,
    pub raw: String,
    pub expected: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Long cells are cut so that one error stays on one line.
        const SHOWN_CHARACTERS: usize = 60;
        let shown: String = self.raw.chars().take(SHOWN_CHARACTERS).collect();
        let ellipsis = if self.raw.chars().count() > SHOWN_CHARACTERS { "…" } else { "" };
        let column = COLUMNS.get(self.column).copied().unwrap_or_default();
        write!(formatter, "column {column}: \"{shown}{ellipsis}\" is not valid; expected {}", self.expected)
    }
}

const BOOL_EXPECTED: &str = "是 or 否 (also true/false, Y/N, yes/no, 1/0)";
const COUNT_EXPECTED: &str = "a count: a whole number, 0 or more, such as 0, 3 or 1,200";
const MONEY_IN_WAN_EXPECTED: &str = "an amount such as 1250.5 or 1,250.5 (in units of 10000 元)";
const TOO_LARGE: &str = ", with at most 28 significant digits (this one is too large)";
const DATE_EXPECTED: &str = "a date as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日";
const NO_SUCH_DAY: &str =
    "a date that exists in the calendar, as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日 (there is no such day)";
const LIST_SEPARATORS: [char; 7] = ['、', ';', '；', ',', '，', '\n', '\r'];

/// Where each of [`COLUMNS`] is in a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPositions([Option<usize>; 27]);

impl ColumnPositions {
    /// Finds the columns by header, in any order. Headers are compared without whitespace and
    /// with full-width ASCII read as half-width, since Excel users type `（万元）` and `(万元)`
    /// interchangeably.
    pub fn bind<'a>(headers: impl IntoIterator<Item = &'a str>) -> Result<ColumnPositions, String> {
        let headers: Vec<String> = headers.into_iter().map(comparable).collect();
        let mut positions = [None; 27];
        let mut missing = Vec::new();
        for (column, name) in COLUMNS.iter().enumerate() {
            let wanted = comparable(name);
            let mut matching = headers.iter().enumerate().filter(|(_, header)| **header == wanted);
            positions[column] = matching.next().map(|(position, _)| position);
            if matching.next().is_some() {
                return Err(format!("the data file has more than one column headed {name}"));
            }
            if positions[column].is_none() && column < FIRST_OPTIONAL_COLUMN {
                missing.push(*name);
            }
        }
        if !missing.is_empty() {
            return Err(format!("the data file lacks the columns {}", missing.join(", ")));
        }
        Ok(ColumnPositions(positions))
    }
}

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

/// The trimmed, non-blank text of one column of a row.
fn cell<'a>(row: &'a csv::StringRecord, positions: &ColumnPositions, column: usize) -> Option<&'a str> {
    let text = row.get(positions.0[column]?)?.trim();
    (!text.is_empty()).then_some(text)
}

/// Reads one row into an [`Enterprise`], or names its first unreadable cell.
pub fn read_enterprise(row: &csv::StringRecord, positions: &ColumnPositions) -> Result<Enterprise, CellError> {
    let text = |column: usize| cell(row, positions, column);
    let fail = |column: usize, expected: String| CellError {
        column,
        raw: text(column).unwrap_or_default().to_string(),
        expected,
    };
    let flag = |column: usize| -> Result<Option<bool>, CellError> {
        text(column).map(|text| parse_bool(text).ok_or_else(|| fail(column, BOOL_EXPECTED.to_string()))).transpose()
    };
    let money = |column: usize| -> Result<Option<Decimal>, CellError> {
        text(column).map(|text| parse_money_in_wan(text).map_err(|expected| fail(column, expected))).transpose()
    };
    let count = |column: usize| -> Result<Option<Decimal>, CellError> {
        text(column).map(|text| parse_count(text).map_err(|expected| fail(column, expected))).transpose()
    };
    let label = |column: usize, labels: &[&str]| -> Result<Option<usize>, CellError> {
        text(column)
            .map(|text| {
                labels
                    .iter()
                    .position(|label| *label == text)
                    .ok_or_else(|| fail(column, format!("one of {}", labels.join(", "))))
            })
            .transpose()
    };
    let mut enterprise = Enterprise {
        registered_in_rizhao: text(2).map(|city| city == "日照市"),
        registered_on: text(3).map(|text| parse_date(text).map_err(|expected| fail(3, expected))).transpose()?,
        independent_legal_person: flag(4)?,
        ..Enterprise::default()
    };
    const SIZES: [EnterpriseSize; 4] =
        [EnterpriseSize::Micro, EnterpriseSize::Small, EnterpriseSize::Medium, EnterpriseSize::Large];
    enterprise.size = label(5, &["微型", "小型", "中型", "大型"])?.map(|index| SIZES[index]);
    enterprise.in_priority_sector = text(6).map(|sector| PRIORITY_SECTORS.contains(&sector));
    enterprise.fits_four_bases_catalogue = flag(7)?;
    enterprise.in_key_conversion_project = flag(8)?;
    enterprise.in_encouraged_pillar_industry = flag(9)?;
    enterprise.has_first_set_product = flag(10)?;
    enterprise.good_prospects = flag(11)?;
    enterprise.energy_environment_safety_compliant = flag(12)?;
    enterprise.revenue_last_year = money(13)?;
    enterprise.quality_system_certified = flag(14)?;
    enterprise.product_quality_stable = flag(15)?;
    enterprise.bank_credit_good = flag(16)?;
    const GRADES: [TaxCreditGrade; 5] =
        [TaxCreditGrade::A, TaxCreditGrade::B, TaxCreditGrade::M, TaxCreditGrade::C, TaxCreditGrade::D];
    enterprise.tax_credit = label(17, &["A", "B", "M", "C", "D"])?.map(|index| GRADES[index]);
    enterprise.social_credit_good = flag(18)?;
    enterprise.supplied_false_information = flag(19)?;
    enterprise.accidents_last_two_years = count(20)?;
    enterprise.penalties_last_two_years = count(21)?;
    if let Some(honours) = text(22) {
        for item in honours.split(LIST_SEPARATORS).map(str::trim) {
            if let Some(award) = HONOUR_AWARDS.iter().position(|award| award.honour == item) {
                enterprise.new_honours = enterprise.new_honours.with(award);
            }
        }
    }
    const STAGES: [ListingStage; 3] = [ListingStage::Restructuring, ListingStage::Listing, ListingStage::Listed];
    enterprise.listing_stage_reached = label(23, &["规范改制", "上市中", "上市后"])?.map(|index| STAGES[index]);
    enterprise.listing_expenses = money(24)?;
    enterprise.exhibition_expenses = money(25)?;
    enterprise.technical_loan_interest = money(26)?;
    Ok(enterprise)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "是" => Some(true),
        "否" => Some(false),
        _ if ["true", "y", "yes", "1"].iter().any(|word| text.eq_ignore_ascii_case(word)) => Some(true),
        _ if ["false", "n", "no", "0"].iter().any(|word| text.eq_ignore_ascii_case(word)) => Some(false),
        _ => None,
    }
}

/// Why a number could not be read.
enum NumberProblem {
    NotANumber,
    TooLarge,
}

/// `-1,250.5`: a sign, digits with ASCII thousands separators in groups of three, a fraction.
/// The digits are gathered on the stack and read exactly; never through a float.
fn parse_number(text: &str) -> Result<Decimal, NumberProblem> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (integer_part, fraction_part) = match unsigned.split_once('.') {
        Some((integer_part, fraction_part)) => (integer_part, Some(fraction_part)),
        None => (unsigned, None),
    };
    let mut plain = PlainNumber::default();
    if negative {
        plain.push(b'-');
    }
    if integer_part.is_empty() {
        plain.push(b'0');
    }
    if integer_part.contains(',') {
        for (index, group) in integer_part.split(',').enumerate() {
            let well_formed = if index == 0 { (1..=3).contains(&group.len()) } else { group.len() == 3 };
            if !well_formed || !group.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(NumberProblem::NotANumber);
            }
            plain.extend(group.as_bytes());
        }
    } else if integer_part.bytes().all(|byte| byte.is_ascii_digit()) {
        plain.extend(integer_part.as_bytes());
    } else {
        return Err(NumberProblem::NotANumber);
    }
    match fraction_part {
        Some(fraction) if !fraction.is_empty() && fraction.bytes().all(|byte| byte.is_ascii_digit()) => {
            plain.push(b'.');
            plain.extend(fraction.as_bytes());
        }
        Some(_) => return Err(NumberProblem::NotANumber),
        None if integer_part.is_empty() => return Err(NumberProblem::NotANumber),
        None => {}
    }
    Decimal::from_str_exact(plain.as_str().ok_or(NumberProblem::TooLarge)?).map_err(|_| NumberProblem::TooLarge)
}

/// The digits of a number without separators; longer numbers than fit are too large anyway.
struct PlainNumber {
    bytes: [u8; 80],
    length: usize,
    overflowed: bool,
}

impl Default for PlainNumber {
    fn default() -> PlainNumber {
        PlainNumber { bytes: [0; 80], length: 0, overflowed: false }
    }
}

impl PlainNumber {
    fn push(&mut self, byte: u8) {
        match self.bytes.get_mut(self.length) {
            Some(slot) => {
                *slot = byte;
                self.length += 1;
            }
            None => self.overflowed = true,
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.push(*byte);
        }
    }

    fn as_str(&self) -> Option<&str> {
        if self.overflowed {
            return None;
        }
        std::str::from_utf8(&self.bytes[..self.length]).ok()
    }
}

/// The policy declares accidents and penalties as `count`: whole, never negative.
fn parse_count(text: &str) -> Result<Decimal, String> {
    match parse_number(text) {
        Ok(number) if number.fract().is_zero() && (number.is_zero() || number.is_sign_positive()) => Ok(number),
        Ok(_) | Err(NumberProblem::NotANumber) => Err(COUNT_EXPECTED.to_string()),
        Err(NumberProblem::TooLarge) => Err(format!("{COUNT_EXPECTED}{TOO_LARGE}")),
    }
}

/// An amount written in 万元, in 元.
fn parse_money_in_wan(text: &str) -> Result<Decimal, String> {
    let too_large = || format!("{MONEY_IN_WAN_EXPECTED}{TOO_LARGE}");
    match parse_number(text) {
        Ok(wan) => wan.checked_mul(Decimal::from(10_000)).ok_or_else(too_large),
        Err(NumberProblem::NotANumber) => Err(MONEY_IN_WAN_EXPECTED.to_string()),
        Err(NumberProblem::TooLarge) => Err(too_large()),
    }
}

/// `2024-04-02`, `2024/4/2`, `2024.4.2` or `2024年4月2日`, optionally followed by a time of day
/// (database exports add `00:00:00`), which is checked and dropped.
fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let date_text = without_time_of_day(text).ok_or(DATE_EXPECTED)?;
    let (year, month, day) = date_fields(date_text).ok_or(DATE_EXPECTED)?;
    let year = digits_value(year, 4, 4).ok_or(DATE_EXPECTED)?;
    let month = digits_value(month, 1, 2).ok_or(DATE_EXPECTED)?;
    let day = digits_value(day, 1, 2).ok_or(DATE_EXPECTED)?;
    let year = i32::try_from(year).map_err(|_| DATE_EXPECTED.to_string())?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| NO_SUCH_DAY.to_string())
}

fn without_time_of_day(text: &str) -> Option<&str> {
    let Some((date, time)) = text.split_once([' ', 'T']) else {
        return Some(text);
    };
    let mut fields = time.trim().split(':');
    let hours = fields.next()?;
    let minutes = fields.next()?;
    let seconds = fields.next().map(|seconds| seconds.split_once('.').map_or(seconds, |(whole, _)| whole));
    let is_time = digits_value(hours, 1, 2).is_some()
        && digits_value(minutes, 2, 2).is_some()
        && seconds.is_none_or(|seconds| digits_value(seconds, 2, 2).is_some())
        && fields.next().is_none();
    is_time.then_some(date.trim_end())
}

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
    let fields_found = (fields.next()?, fields.next()?, fields.next()?);
    fields.next().is_none().then_some(fields_found)
}

/// The value of `minimum..=maximum` ASCII digits.
fn digits_value(text: &str, minimum: usize, maximum: usize) -> Option<u32> {
    if text.len() < minimum || text.len() > maximum || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.bytes().try_fold(0u32, |value, byte| value.checked_mul(10)?.checked_add(u32::from(byte - b'0')))
}

// ─── Writing JSON Lines ───────────────────────────────────────────────────────

/// One decided record, as `policy eval` writes it: every field present, amounts in 元.
pub fn write_decision(out: &mut Vec<u8>, key: Option<&str>, decision: &Decision) {
    out.extend_from_slice(b"{\"id\":");
    write_key(out, key);
    out.extend_from_slice(b",\"decisions\":{\"cultivation_pool\":\"");
    out.extend_from_slice(match decision.cultivation_pool {
        Some(true) => b"yes",
        Some(false) => b"no",
        None => b"unknown",
    });
    out.extend_from_slice(b"\"},\"awards\":[");
    let mut first = true;
    let mut award = |out: &mut Vec<u8>, name: &str, amount: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(b"{\"award\":\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\",\"amount\":\"");
        out.extend_from_slice(amount.as_bytes());
        out.extend_from_slice(b"\"}");
    };
    if let Some(winner) = decision.honour_award {
        let winner = &HONOUR_AWARDS[winner];
        award(out, winner.award, &winner.yuan.to_string());
    }
    for support in OpenRateSupport::ALL {
        if let Some(amount) = decision.open_rate_payments[support.index()] {
            award(out, support.award(), &yuan_text(amount));
        }
    }
    out.extend_from_slice(b"],\"benefits\":[");
    if decision.mu_efficiency_a {
        out.extend_from_slice(b"\"mu_efficiency_a\"");
    }
    out.extend_from_slice(b"],\"values\":{},\"total\":\"");
    out.extend_from_slice(yuan_text(decision.total).as_bytes());
    out.extend_from_slice(b"\"}\n");
}

/// A row that could not be read or decided: still one line, so that no record goes missing.
pub fn write_error(out: &mut Vec<u8>, key: Option<&str>, row: usize, message: &str) {
    out.extend_from_slice(b"{\"id\":");
    write_key(out, key);
    out.extend_from_slice(b",\"row\":");
    out.extend_from_slice(row.to_string().as_bytes());
    out.extend_from_slice(b",\"error\":");
    write_json_string(out, message);
    out.extend_from_slice(b"}\n");
}

/// An amount as the JSON contract writes it: a plain decimal, no trailing zeros.
fn yuan_text(amount: Decimal) -> String {
    amount.normalize().to_string()
}

fn write_key(out: &mut Vec<u8>, key: Option<&str>) {
    match key {
        Some(key) => write_json_string(out, key),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string escaped as serde_json escapes it: `"`, `\` and control characters only.
fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for byte in text.bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            control if control < 0x20 => out.extend_from_slice(format!("\\u{control:04x}").as_bytes()),
            other => out.push(other),
        }
    }
    out.push(b'"');
}

// ─── The program: CSV in, JSON Lines out ──────────────────────────────────────

/// What a run decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunCounts {
    pub rows: usize,
    pub rejected: usize,
}

/// Rows handed to a worker at a time: large enough that channels cost nothing per row, small
/// enough that a batch in flight per thread is a few hundred kilobytes.
const BATCH_ROWS: usize = 1024;

/// Reads CSV from `input`, decides every row and writes one JSON line per row to `out`, in
/// input order; each rejected row also gets a line on `err`. With `threads` above 1, that many
/// threads decide batches of rows while this one reads and another writes.
pub fn run(
    input: impl Read,
    settings: &Settings,
    threads: usize,
    out: &mut (impl Write + Send),
    err: &mut (impl Write + Send),
) -> Result<RunCounts, String> {
    let mut rows = CsvRows::open(input)?;
    let counts = if threads <= 1 {
        let mut counts = RunCounts::default();
        let mut lines = Vec::with_capacity(1 << 16);
        let mut messages = Vec::new();
        while let Some(row) = rows.next_row()? {
            decide_row(&row, &rows.positions, settings, &mut lines, &mut messages, &mut counts);
            if lines.len() >= 1 << 16 {
                out.write_all(&lines).map_err(write_failure)?;
                err.write_all(&messages).map_err(write_failure)?;
                lines.clear();
                messages.clear();
            }
        }
        out.write_all(&lines).map_err(write_failure)?;
        err.write_all(&messages).map_err(write_failure)?;
        counts
    } else {
        run_in_parallel(&mut rows, settings, threads, out, err)?
    };
    if counts.rejected > 0 {
        writeln!(err, "{} of {} rows could not be decided", counts.rejected, counts.rows).map_err(write_failure)?;
    }
    out.flush().map_err(write_failure)?;
    Ok(counts)
}

fn write_failure(error: std::io::Error) -> String {
    format!("cannot write the output: {error}")
}

/// One row of the file: its spreadsheet row number and its cells, or why it has the wrong
/// number of cells.
struct Row {
    number: usize,
    cells: Result<csv::StringRecord, String>,
    /// An earlier row had the same key: rejected, as `policy eval` rejects it.
    duplicate: bool,
}

/// What `policy eval` says of a row whose key an earlier row had.
const DUPLICATE_KEY: &str =
    "an earlier row has the same key: one row per record, so that nothing is decided or paid twice";

fn decide_row(
    row: &Row,
    positions: &ColumnPositions,
    settings: &Settings,
    lines: &mut Vec<u8>,
    messages: &mut Vec<u8>,
    counts: &mut RunCounts,
) {
    counts.rows += 1;
    let (key, outcome) = match &row.cells {
        Err(problem) => (None, Err(problem.clone())),
        Ok(cells) if row.duplicate => (cell(cells, positions, 0), Err(DUPLICATE_KEY.to_string())),
        Ok(cells) => {
            let key = cell(cells, positions, 0);
            let outcome = read_enterprise(cells, positions)
                .map_err(|error| error.to_string())
                .and_then(|enterprise| decide(&enterprise, settings).map_err(|error| error.to_string()));
            (key, outcome)
        }
    };
    match outcome {
        Ok(decision) => write_decision(lines, key, &decision),
        Err(message) => {
            counts.rejected += 1;
            write_error(lines, key, row.number, &message);
            let named = key.map(|key| format!(" ({key})")).unwrap_or_default();
            messages.extend_from_slice(format!("row {}{named}: {message}\n", row.number).as_bytes());
        }
    }
}

/// Workers take batches in turn (batch `n` to worker `n % threads`), so the writer restores
/// input order by taking results from the workers in the same turn.
fn run_in_parallel<R: Read>(
    rows: &mut CsvRows<R>,
    settings: &Settings,
    threads: usize,
    out: &mut (impl Write + Send),
    err: &mut (impl Write + Send),
) -> Result<RunCounts, String> {
    type Batch = Vec<Row>;
    type Decided = (Vec<u8>, Vec<u8>, RunCounts);
    let positions = rows.positions.clone();
    std::thread::scope(|scope| -> Result<RunCounts, String> {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (batches, batch_receiver) = mpsc::sync_channel::<Batch>(2);
            let (results, result_receiver) = mpsc::sync_channel::<Decided>(2);
            let positions = &positions;
            scope.spawn(move || {
                for batch in batch_receiver {
                    let mut decided = (Vec::with_capacity(batch.len() * 160), Vec::new(), RunCounts::default());
                    for row in &batch {
                        decide_row(row, positions, settings, &mut decided.0, &mut decided.1, &mut decided.2);
                    }
                    if results.send(decided).is_err() {
                        break;
                    }
                }
            });
            to_workers.push(batches);
            from_workers.push(result_receiver);
        }
        // Batch `n` went to worker `n % threads`: the first worker with nothing more to give
        // marks the end, since every later batch would have gone through it in turn.
        let writer = scope.spawn(move || -> Result<RunCounts, String> {
            let mut counts = RunCounts::default();
            for receiver in from_workers.iter().cycle() {
                let Ok((lines, messages, decided)) = receiver.recv() else { break };
                out.write_all(&lines).map_err(write_failure)?;
                err.write_all(&messages).map_err(write_failure)?;
                counts.rows += decided.rows;
                counts.rejected += decided.rejected;
            }
            Ok(counts)
        });
        let mut batches = 0usize;
        let mut reading = Ok(());
        loop {
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            while batch.len() < BATCH_ROWS {
                match rows.next_row() {
                    Ok(Some(row)) => batch.push(row),
                    Ok(None) => break,
                    Err(error) => {
                        reading = Err(error);
                        break;
                    }
                }
            }
            let last = batch.len() < BATCH_ROWS;
            if !batch.is_empty() {
                if to_workers[batches % threads].send(batch).is_err() {
                    break;
                }
                batches += 1;
            }
            if last {
                break;
            }
        }
        drop(to_workers);
        let counts = writer.join().map_err(|_| "the writing thread failed".to_string())??;
        reading.map(|()| counts)
    })
}

/// Counts what the csv reader consumed, so that a row's spreadsheet number can be told from
/// where the reader stopped.
struct Counted<R> {
    inner: R,
    progress: std::rc::Rc<std::cell::Cell<ReadProgress>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct ReadProgress {
    bytes: u64,
    last_byte: Option<u8>,
    ended: bool,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        let mut progress = self.progress.get();
        progress.bytes += count as u64;
        match buffer[..count].last() {
            Some(byte) => progress.last_byte = Some(*byte),
            None => progress.ended = true,
        }
        self.progress.set(progress);
        Ok(count)
    }
}

/// The rows of a CSV file with their spreadsheet numbers (the header is row 1; blank lines
/// count, line breaks inside quoted cells do not), as `policy eval` numbers them.
struct CsvRows<R> {
    reader: csv::Reader<Counted<BufReader<R>>>,
    progress: std::rc::Rc<std::cell::Cell<ReadProgress>>,
    positions: ColumnPositions,
    header_cells: usize,
    /// Whether lines end in `\r\n`, which the csv reader finishes at the `\r`.
    carriage_returns: bool,
    line_breaks_before: usize,
    /// The fingerprints of the keys read so far.
    keys: hashbrown::HashTable<u64>,
}

impl<R: Read> CsvRows<R> {
    fn open(input: R) -> Result<CsvRows<R>, String> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let start = buffered.fill_buf().map_err(|error| format!("the data cannot be read ({error})"))?;
        let bom = start.starts_with(b"\xEF\xBB\xBF");
        let first_line_end = start.iter().position(|byte| *byte == b'\n');
        let carriage_returns = first_line_end.is_some_and(|end| end > 0 && start[end - 1] == b'\r');
        let first_line = String::from_utf8_lossy(&start[..first_line_end.unwrap_or(start.len())]).into_owned();
        if bom {
            buffered.consume(3);
        }
        let progress = std::rc::Rc::new(std::cell::Cell::new(ReadProgress::default()));
        let counted = Counted { inner: buffered, progress: std::rc::Rc::clone(&progress) };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter_of(&first_line))
            .from_reader(counted);
        let mut header = csv::StringRecord::new();
        match reader.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err("the data file is empty".to_string()),
            Err(error) => return Err(format!("the header row cannot be read ({error})")),
        }
        let headers: Vec<&str> = header.iter().map(|cell| cell.trim_start_matches('\u{feff}').trim()).collect();
        let positions = ColumnPositions::bind(headers.iter().copied())?;
        Ok(CsvRows {
            reader,
            progress,
            positions,
            header_cells: header.len(),
            carriage_returns,
            line_breaks_before: line_breaks_in(&header),
            keys: hashbrown::HashTable::new(),
        })
    }

    /// The next row that is not blank, or `None` at the end of the file.
    fn next_row(&mut self) -> Result<Option<Row>, String> {
        loop {
            let mut record = csv::StringRecord::with_capacity(256, self.header_cells);
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(error) => return Err(format!("the data cannot be read as UTF-8 CSV ({error})")),
            }
            // The reader stops after a row's `\n`, which it has counted as a line, but at the
            // `\r` of a `\r\n`; the line the row began on is counted back from there.
            let end = self.reader.position();
            let progress = self.progress.get();
            let at_end_of_input = progress.ended && end.byte() == progress.bytes;
            let ended_with_line_feed =
                if at_end_of_input { progress.last_byte == Some(b'\n') } else { !self.carriage_returns };
            let breaks = line_breaks_in(&record);
            let end_line = usize::try_from(end.line()).unwrap_or(usize::MAX);
            let content_line = end_line.saturating_sub(usize::from(ended_with_line_feed)).saturating_sub(breaks);
            let number = content_line.saturating_sub(self.line_breaks_before);
            self.line_breaks_before += breaks;
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            let cells = if record.len() == self.header_cells {
                Ok(record)
            } else {
                let hint = if record.len() > self.header_cells {
                    " (a comma inside a cell, as in 1,250, must be inside quotes: \"1,250\")"
                } else {
                    ""
                };
                Err(format!(
                    "expected {} cells, one per header, but the row has {}{hint}",
                    self.header_cells,
                    record.len()
                ))
            };
            // Keys are checked here, in file order, as `policy eval`'s writer checks them: by a
            // 64-bit fingerprint of each key seen.
            let duplicate = cells.as_ref().ok().and_then(|cells| cell(cells, &self.positions, 0)).is_some_and(|key| {
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(key, &mut hasher);
                let fingerprint = std::hash::Hasher::finish(&hasher);
                match self.keys.entry(fingerprint, |seen| *seen == fingerprint, |seen| *seen) {
                    hashbrown::hash_table::Entry::Occupied(_) => true,
                    hashbrown::hash_table::Entry::Vacant(place) => {
                        place.insert(fingerprint);
                        false
                    }
                }
            });
            return Ok(Some(Row { number, cells, duplicate }));
        }
    }
}

fn line_breaks_in(record: &csv::StringRecord) -> usize {
    record.as_slice().bytes().filter(|byte| *byte == b'\n').count()
}

/// Excel writes tabs when saving "Unicode text" and semicolons in some locales; the header
/// line tells which.
fn delimiter_of(first_line: &str) -> u8 {
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
