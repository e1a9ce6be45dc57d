//! The structural words of explanations in Chinese (the default) and English: kinds of node,
//! outcomes, margins, counterfactuals. The policy's own labels and quotes are never translated.

use super::{NodeKind, Verdict};
use crate::value::Period;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn kind(self, kind: NodeKind) -> &'static str {
        match kind {
            NodeKind::Decision => self.pick("决定", "decision"),
            NodeKind::Award => self.pick("奖励", "award"),
            NodeKind::Benefit => self.pick("待遇", "benefit"),
            NodeKind::Rule => self.pick("规则", "rule"),
            NodeKind::AwardCondition => self.pick("奖励条件", "award condition"),
            NodeKind::AllOf => self.pick("全部满足", "all of"),
            NodeKind::AnyOf => self.pick("满足其一", "any of"),
            NodeKind::Not => self.pick("并非", "not"),
            NodeKind::Condition => self.pick("条件", "condition"),
            NodeKind::ComputedValues => self.pick("计算值", "computed values"),
            NodeKind::Value => self.pick("数值", "value"),
            NodeKind::Table => self.pick("查表", "table"),
        }
    }

    pub fn verdict(self, verdict: Verdict) -> &'static str {
        match verdict {
            Verdict::Yes => self.pick("是", "yes"),
            Verdict::No => self.pick("否", "no"),
            Verdict::Unknown => self.pick("未知", "unknown"),
            Verdict::Paid => self.pick("发放", "paid"),
            Verdict::Superseded => self.pick("被取代", "superseded"),
            Verdict::NotEligible => self.pick("不符合条件", "not eligible"),
            Verdict::NothingToPay => self.pick("应发金额为零", "nothing to pay"),
            Verdict::Known => self.pick("已算出", "known"),
        }
    }

    pub fn as_of(self) -> &'static str {
        self.pick("评价日期", "as of")
    }

    pub fn read(self) -> &'static str {
        self.pick("读取", "read")
    }

    pub fn paid(self, amount: &str) -> String {
        match self {
            Lang::Zh => format!("发放 {amount}"),
            Lang::En => format!("paid {amount}"),
        }
    }

    pub fn superseded(self, amount: &str) -> String {
        match self {
            Lang::Zh => format!("被取代（{amount} 不发放）"),
            Lang::En => format!("superseded ({amount} not paid)"),
        }
    }

    pub fn unknown_not_paid(self) -> &'static str {
        self.pick("未知（不发放）", "unknown (not paid)")
    }

    pub fn superseded_by(self, winner: &str, group: &str, citation: &str, quote: &str) -> String {
        match self {
            Lang::Zh => format!("依不重复奖励规则 `{group}` [{citation}] {quote}，由 `{winner}` 取代"),
            Lang::En => format!("superseded by `{winner}` under no stacking `{group}` [{citation}] {quote}"),
        }
    }

    pub fn amount(self, computation: &str) -> String {
        match self {
            Lang::Zh => format!("金额：{computation}"),
            Lang::En => format!("amount: {computation}"),
        }
    }

    pub fn at_the_maximum(self) -> &'static str {
        self.pick("（最高额，按最高额发放）", " (up to: paid at the maximum)")
    }

    pub fn capped_at(self, cap: &str) -> String {
        match self {
            Lang::Zh => format!("，以上限 {cap} 为准"),
            Lang::En => format!(", capped at {cap}"),
        }
    }

    pub fn within_cap(self, cap: &str) -> String {
        match self {
            Lang::Zh => format!("，未超过上限 {cap}"),
            Lang::En => format!(", within the cap of {cap}"),
        }
    }

    pub fn why_not(self, conditions: &str) -> String {
        match self {
            Lang::Zh => format!("不满足：{conditions}"),
            Lang::En => format!("why not: {conditions}"),
        }
    }

    pub fn blank_columns(self, columns: &str) -> String {
        match self {
            Lang::Zh => format!("待补充的空白列：{columns}"),
            Lang::En => format!("blank columns that would settle it: {columns}"),
        }
    }

    pub fn alone_cannot_settle(self) -> &'static str {
        self.pick("单独补充此列不能确定结果", "this column alone cannot settle it")
    }

    pub fn short_by(self, amount: &str) -> String {
        match self {
            Lang::Zh => format!("差 {amount}"),
            Lang::En => format!("short by {amount}"),
        }
    }

    pub fn exceeds_by(self, amount: &str) -> String {
        match self {
            Lang::Zh => format!("超出 {amount}"),
            Lang::En => format!("exceeds it by {amount}"),
        }
    }

    pub fn over_by(self, amount: &str) -> String {
        match self {
            Lang::Zh => format!("超过上限 {amount}"),
            Lang::En => format!("over the limit by {amount}"),
        }
    }

    pub fn under_by(self, amount: &str) -> String {
        match self {
            Lang::Zh => format!("低于上限 {amount}"),
            Lang::En => format!("under the limit by {amount}"),
        }
    }

    pub fn exactly_at(self) -> &'static str {
        self.pick("恰好等于界限", "exactly at the limit")
    }

    pub fn equal_but_strict(self) -> &'static str {
        self.pick("恰好等于界限，但须严格超过", "equal to the limit, which it must pass")
    }

    pub fn would_pass_with(self, change: &str) -> String {
        match self {
            Lang::Zh => format!("若 {change}，则满足"),
            Lang::En => format!("would pass with {change}"),
        }
    }

    pub fn would_fail_with(self, change: &str) -> String {
        match self {
            Lang::Zh => format!("若 {change}，则不满足"),
            Lang::En => format!("would fail with {change}"),
        }
    }

    pub fn to_spare(self, period: &str) -> String {
        match self {
            Lang::Zh => format!("富余 {period}"),
            Lang::En => format!("with {period} to spare"),
        }
    }

    pub fn or(self) -> &'static str {
        self.pick("；或 ", "; or ")
    }

    pub fn elapsed(self, column: &str, from: &str, as_of: &str, period: &str) -> String {
        match self {
            Lang::Zh => format!("{column} {from} 至评价日期 {as_of}：{period}"),
            Lang::En => format!("{column} {from}, as of {as_of}: {period}"),
        }
    }

    pub fn period(self, period: &Period) -> String {
        match self {
            Lang::En => period.to_string(),
            Lang::Zh => {
                use std::fmt::Write;
                let mut text = String::with_capacity(24);
                // Writing into a string cannot fail.
                if period.years != 0 {
                    let _ = write!(text, "{}年", period.years);
                }
                if period.months != 0 {
                    let _ = write!(text, "{}个月", period.months);
                }
                if period.days != 0 || text.is_empty() {
                    let _ = write!(text, "{}天", period.days);
                }
                text
            }
        }
    }

    pub fn row(self, row: &str) -> String {
        match self {
            Lang::Zh => format!("适用：{row}"),
            Lang::En => format!("row: {row}"),
        }
    }

    pub fn any_row_may_apply(self, range: &str) -> String {
        match self {
            Lang::Zh => format!("任一档都可能适用：取值 {range}"),
            Lang::En => format!("any row may apply: worth {range}"),
        }
    }

    pub fn no_row_certain(self) -> &'static str {
        self.pick("无法确定适用哪一档", "no row certainly applies")
    }

    pub fn unknown_between(self, range: &str) -> String {
        match self {
            Lang::Zh => format!("未知，{range}"),
            Lang::En => format!("unknown, {range}"),
        }
    }

    pub fn blank(self, columns: &[String]) -> String {
        match (self, columns) {
            (_, []) => String::new(),
            (Lang::Zh, columns) => format!("{} 为空白", columns.join("、")),
            (Lang::En, [only]) => format!("{only} is blank"),
            (Lang::En, [rest @ .., last]) => format!("{} and {last} are blank", rest.join(", ")),
        }
    }

    pub fn while_blank(self, bounds: &str, blanks: &str) -> String {
        match self {
            Lang::Zh => format!("{bounds}（{blanks}）"),
            Lang::En => format!("{bounds} while {blanks}"),
        }
    }

    pub fn needs(self, requirement: &str) -> String {
        match self {
            Lang::Zh => format!("要求 {requirement}"),
            Lang::En => format!("needs {requirement}"),
        }
    }

    /// After a title or a heading: `：` or `: `.
    pub fn colon(self) -> &'static str {
        self.pick("：", ": ")
    }

    pub fn parenthesized(self, text: &str) -> String {
        match self {
            Lang::Zh => format!("（{text}）"),
            Lang::En => format!(" ({text})"),
        }
    }

    pub fn separator(self) -> &'static str {
        self.pick("；", "; ")
    }

    pub fn list_separator(self) -> &'static str {
        self.pick("、", ", ")
    }

    pub fn no_key(self) -> &'static str {
        self.pick("（无主键）", "(no key)")
    }
}
