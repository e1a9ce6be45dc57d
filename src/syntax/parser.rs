//! pest parse tree → AST. The grammar is `grammar/policy.pest`.

use super::ast::*;
use crate::diagnostic::Diagnostic;
use crate::value::Period;
use chrono::NaiveDate;
use pest::iterators::Pair;
use pest::Parser as _;
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
pub(crate) struct PolicyParser;

/// Parses one declaration whose text starts at byte `offset` of the file.
pub fn parse_declaration(text: &str, offset: usize) -> Result<Declaration, Diagnostic> {
    let pairs =
        PolicyParser::parse(Rule::declaration_alone, text).map_err(|error| syntax_error(&error, text, offset))?;
    let builder = Builder { offset };
    let declaration = pairs
        .flat_map(|pair| pair.into_inner())
        .find(|pair| pair.as_rule() == Rule::declaration)
        .ok_or_else(|| internal(offset, "no declaration"))?;
    builder.declaration(declaration)
}

/// Parses a lone expression, such as the value of `--set NAME=VALUE`.
pub fn parse_expression(text: &str) -> Result<Expr, Diagnostic> {
    let pairs = PolicyParser::parse(Rule::expression_alone, text).map_err(|error| syntax_error(&error, text, 0))?;
    let builder = Builder { offset: 0 };
    let expr = pairs
        .flat_map(|pair| pair.into_inner())
        .find(|pair| pair.as_rule() == Rule::expr)
        .ok_or_else(|| internal(0, "no expression"))?;
    builder.expr(expr)
}

fn internal(offset: usize, what: &str) -> Diagnostic {
    Diagnostic::error(
        "syntax::internal",
        format!("the parser could not build this declaration ({what})"),
        Span::new(offset, offset),
        "here",
    )
    .with_help("this is a bug in `policy`; please report it with the file")
}

fn syntax_error(error: &pest::error::Error<Rule>, text: &str, offset: usize) -> Diagnostic {
    let diagnostic = unexpected(error, text, offset, describe);
    let position = diagnostic.primary_span().start.saturating_sub(offset);
    let found = text.get(position..).and_then(|rest| rest.split_whitespace().next()).unwrap_or("");
    let opened = text.matches(['(', '[']).count();
    let closed = text.matches([')', ']']).count();
    let help = if opened > closed {
        "a `(` or `[` is not closed: add the `)` or `]` where the list ends"
    } else if found.starts_with('=') && text.get(..position).is_some_and(|before| before.ends_with('=')) {
        "compare with a single `=`: `registered_in = \"日照市\"`"
    } else if position == 0 {
        "a declaration starts in the first column with one of: policy, enum, entity, parameter, rule, decision, award, benefit, table, value, no stacking; its clauses are indented"
    } else {
        "clauses are indented under their declaration; text is quoted (\"…\"); names use letters, digits and _; `#` starts a comment"
    };
    diagnostic.with_help(help)
}

/// A pest failure in `text` (which starts at byte `offset` of its file) as a
/// `syntax::unexpected` diagnostic without help: what was found, and what the grammar wanted in
/// a reader's words (`describe`). Shared by every grammar read with pest (policies, tests).
pub(crate) fn unexpected<R: pest::RuleType>(
    error: &pest::error::Error<R>,
    text: &str,
    offset: usize,
    describe: fn(R) -> &'static str,
) -> Diagnostic {
    let position = match error.location {
        pest::error::InputLocation::Pos(position) => position,
        pest::error::InputLocation::Span((start, _)) => start,
    };
    let found = text.get(position..).and_then(|rest| rest.split_whitespace().next()).unwrap_or("");
    // At the end of a declaration, point at its last written character, not at the next one.
    let position = if found.is_empty() { text.trim_end().len() } else { position };
    let found_end = position + found.len();
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().map(|rule| describe(*rule)).collect();
            names.sort_unstable();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let expected_text = match expected.as_slice() {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    let (message, label) = if found.is_empty() {
        (format!("unexpected end of declaration: expected {expected_text}"), "the declaration ends here".to_string())
    } else {
        (format!("syntax error: expected {expected_text}"), format!("unexpected `{}`", truncate(found)))
    };
    Diagnostic::error(
        "syntax::unexpected",
        message,
        Span::new(offset + position, offset + found_end.max(position)),
        label,
    )
}

fn truncate(text: &str) -> String {
    let short: String = text.chars().take(24).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// A reader's name for what the grammar wanted.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::declaration | Rule::declaration_kind | Rule::output_marker => {
            "a declaration keyword (rule, award, parameter, …)"
        }
        Rule::declaration_name | Rule::identifier => "a name",
        Rule::string | Rule::string_content => "quoted text",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::clause
        | Rule::label_clause
        | Rule::cite_clause
        | Rule::reading_clause
        | Rule::document_clause
        | Rule::issued_clause
        | Rule::in_force_clause
        | Rule::key_clause
        | Rule::field_clause
        | Rule::values_clause
        | Rule::when_clause
        | Rule::pays_clause
        | Rule::by_clause
        | Rule::among_clause
        | Rule::row_clause => "a clause (label, cite, when, pays, …)",
        Rule::type_expr | Rule::list_type | Rule::money_type => "a type",
        Rule::for_entity | Rule::kw_for => "`for`",
        Rule::declared_type => "`:` and a type",
        Rule::assigned_value => "`=` and a value",
        Rule::comparison_op | Rule::not_in => "a comparison (=, <, ≥, in, …)",
        Rule::additive_op => "`+` or `-`",
        Rule::multiplicative_op => "`×`, `/` or `of`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::EOI => "the end of the declaration",
        Rule::kw_from => "`from`",
        Rule::kw_to => "`to`",
        Rule::kw_of => "`of`",
        Rule::field_option | Rule::optional_marker | Rule::blank_means => "`optional` or `blank means`",
        Rule::up_to => "`up to`",
        Rule::cap => "`at most`",
        Rule::row_pattern | Rule::range_pattern | Rule::key_pattern | Rule::condition_pattern | Rule::otherwise => {
            "a table row"
        }
        Rule::lower_bound | Rule::upper_bound | Rule::at_least | Rule::above | Rule::at_most | Rule::below => {
            "a bound (at least, above, at most, below)"
        }
        Rule::money_unit => "a unit (元, 万元, 亿元)",
        _ => "an expression",
    }
}

struct Builder {
    offset: usize,
}

type Built<T> = Result<T, Diagnostic>;

impl Builder {
    /// The pair's span without the whitespace and comments pest lets trail after it, so that
    /// labels underline only what was written.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let span = pair.as_span();
        let written = trim_trailing_comments(pair.as_str());
        Span::new(self.offset + span.start(), self.offset + span.start() + written.len())
    }

    fn unexpected(&self, pair: &Pair<Rule>) -> Diagnostic {
        internal(self.span(pair).start, &format!("{:?}", pair.as_rule()))
    }

    fn declaration(&self, pair: Pair<Rule>) -> Built<Declaration> {
        let span = self.span(&pair);
        let mut output = false;
        let mut kind = None;
        let mut name = None;
        let mut entity = None;
        let mut declared_type = None;
        let mut value = None;
        let mut clauses = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::output_marker => output = true,
                Rule::declaration_kind => kind = Some(declaration_kind(part.as_str())),
                Rule::declaration_name => name = Some(self.declaration_name(part)?),
                Rule::for_entity => {
                    let identifier = part.into_inner().find(|inner| inner.as_rule() == Rule::identifier);
                    entity = identifier.map(|identifier| self.name(identifier));
                }
                Rule::declared_type => declared_type = Some(self.type_expr(self.only_child(part)?)?),
                Rule::assigned_value => value = Some(self.expr(self.only_child(part)?)?),
                Rule::clause => clauses.push(self.clause(part)?),
                _ => return Err(self.unexpected(&part)),
            }
        }
        let kind = kind.ok_or_else(|| internal(span.start, "kind"))?;
        let name = name.ok_or_else(|| internal(span.start, "name"))?;
        Ok(Declaration { kind, output, name, entity, declared_type, value, clauses, span })
    }

    fn only_child<'a>(&self, pair: Pair<'a, Rule>) -> Built<Pair<'a, Rule>> {
        let span = self.span(&pair);
        pair.into_inner().next().ok_or_else(|| internal(span.start, "empty node"))
    }

    fn name(&self, pair: Pair<Rule>) -> Name {
        Name { text: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn declaration_name(&self, pair: Pair<Rule>) -> Built<Name> {
        let inner = self.only_child(pair)?;
        Ok(match inner.as_rule() {
            Rule::string => {
                let text = self.text(inner)?;
                Name { text: text.text, span: text.span }
            }
            _ => self.name(inner),
        })
    }

    fn text(&self, pair: Pair<Rule>) -> Built<Text> {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map(|content| content.as_str()).unwrap_or("");
        Ok(Text { text: unescape(raw), span })
    }

    fn date(&self, pair: &Pair<Rule>) -> Built<NaiveDate> {
        NaiveDate::parse_from_str(pair.as_str(), "%Y-%m-%d").map_err(|_| {
            Diagnostic::error(
                "syntax::invalid-date",
                format!("`{}` is not a date in the calendar", pair.as_str()),
                self.span(pair),
                "no such day",
            )
            .with_help("write dates as YYYY-MM-DD, e.g. 2022-03-23")
        })
    }

    fn clause(&self, pair: Pair<Rule>) -> Built<Clause> {
        let span = self.span(&pair);
        let inner = self.only_child(pair)?;
        let rule = inner.as_rule();
        let parts: Vec<Pair<Rule>> = inner.clone().into_inner().filter(|part| !is_keyword(part.as_rule())).collect();
        let mut parts = parts.into_iter();
        let mut next = |what: &str| parts.next().ok_or_else(|| internal(span.start, what));
        let kind = match rule {
            Rule::label_clause => ClauseKind::Label(self.text(next("label")?)?),
            Rule::reading_clause => ClauseKind::Reading(self.text(next("reading")?)?),
            Rule::document_clause => ClauseKind::Document(self.text(next("document")?)?),
            Rule::cite_clause => {
                let section = self.text(next("cite")?)?;
                let quote = match next("quote") {
                    Ok(quote) => Some(self.text(quote)?),
                    Err(_) => None,
                };
                ClauseKind::Cite { section, quote }
            }
            Rule::issued_clause => ClauseKind::Issued(self.date(&next("issued")?)?),
            Rule::in_force_clause => {
                let from = self.date(&next("from")?)?;
                let to = parts.find(|part| part.as_rule() == Rule::date).map(|date| self.date(&date)).transpose()?;
                ClauseKind::InForce { from, to }
            }
            Rule::key_clause => ClauseKind::Key(self.name(next("key")?)),
            Rule::field_clause => {
                let name = self.name(next("field name")?);
                let field_type = self.type_expr(next("field type")?)?;
                let column = self.text(next("column")?)?;
                let mut optional = false;
                let mut blank_means = None;
                for option in parts.by_ref() {
                    let option = self.only_child(option)?;
                    match option.as_rule() {
                        Rule::optional_marker => optional = true,
                        _ => {
                            let expr = option.into_inner().find(|part| part.as_rule() == Rule::expr);
                            if let Some(expr) = expr {
                                blank_means = Some(self.expr(expr)?);
                            }
                        }
                    }
                }
                ClauseKind::Field(FieldDeclaration { name, field_type, column, optional, blank_means })
            }
            Rule::values_clause => ClauseKind::Values(parts.map(|part| self.text(part)).collect::<Built<_>>()?),
            Rule::when_clause => ClauseKind::When(self.expr(next("when")?)?),
            Rule::pays_clause => {
                let mut up_to = false;
                let mut amount = None;
                let mut cap = None;
                for part in parts.by_ref() {
                    match part.as_rule() {
                        Rule::up_to => up_to = true,
                        Rule::expr => amount = Some(self.expr(part)?),
                        Rule::cap => {
                            let expr = part.into_inner().find(|inner| inner.as_rule() == Rule::expr);
                            if let Some(expr) = expr {
                                cap = Some(self.expr(expr)?);
                            }
                        }
                        _ => return Err(self.unexpected(&part)),
                    }
                }
                let amount = amount.ok_or_else(|| internal(span.start, "amount"))?;
                ClauseKind::Pays { up_to, amount, cap }
            }
            Rule::by_clause => ClauseKind::By(parts.map(|part| self.expr(part)).collect::<Built<_>>()?),
            Rule::among_clause => ClauseKind::Among(parts.map(|part| self.name(part)).collect()),
            Rule::row_clause => {
                let pattern = self.row_pattern(next("pattern")?)?;
                let result = self.expr(next("result")?)?;
                ClauseKind::Row(TableRow { pattern, result })
            }
            _ => return Err(self.unexpected(&inner)),
        };
        Ok(Clause { kind, span })
    }

    fn row_pattern(&self, pair: Pair<Rule>) -> Built<RowPattern> {
        let inner = self.only_child(pair)?;
        match inner.as_rule() {
            Rule::otherwise => Ok(RowPattern::Otherwise),
            Rule::condition_pattern => {
                let condition = inner.into_inner().find(|part| part.as_rule() == Rule::expr);
                let condition = condition.ok_or_else(|| internal(self.offset, "row condition"))?;
                Ok(RowPattern::Condition(self.expr(condition)?))
            }
            Rule::key_pattern => {
                Ok(RowPattern::Key(inner.into_inner().map(|literal| self.literal(literal)).collect::<Built<_>>()?))
            }
            Rule::range_pattern => {
                let mut lower = None;
                let mut upper = None;
                for bound in inner.into_inner() {
                    if bound.as_rule() == Rule::kw_and {
                        continue;
                    }
                    let is_lower = bound.as_rule() == Rule::lower_bound;
                    let mut bound_parts = bound.into_inner();
                    let (Some(word), Some(limit)) = (bound_parts.next(), bound_parts.next()) else {
                        return Err(internal(self.offset, "bound"));
                    };
                    let inclusive = matches!(word.as_rule(), Rule::at_least | Rule::at_most);
                    let built = Bound { inclusive, limit: self.additive(limit)? };
                    if is_lower {
                        lower = Some(built);
                    } else {
                        upper = Some(built);
                    }
                }
                Ok(RowPattern::Range { lower, upper })
            }
            _ => Err(self.unexpected(&inner)),
        }
    }

    fn type_expr(&self, pair: Pair<Rule>) -> Built<TypeExpr> {
        let span = self.span(&pair);
        let inner = self.only_child(pair)?;
        let kind = match inner.as_rule() {
            Rule::identifier => TypeExprKind::Named(inner.as_str().to_string()),
            Rule::list_type => {
                let element = inner
                    .into_inner()
                    .find(|part| part.as_rule() == Rule::type_expr)
                    .ok_or_else(|| internal(span.start, "list element"))?;
                TypeExprKind::List(Box::new(self.type_expr(element)?))
            }
            Rule::money_type => {
                let unit = inner
                    .into_inner()
                    .find(|part| part.as_rule() == Rule::money_unit)
                    .map(|unit| money_unit(unit.as_str()));
                TypeExprKind::Money { unit }
            }
            _ => return Err(self.unexpected(&inner)),
        };
        Ok(TypeExpr { kind, span })
    }

    fn expr(&self, pair: Pair<Rule>) -> Built<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => self.expr(self.only_child(pair)?),
            Rule::or_expr | Rule::and_expr => {
                let connective = if pair.as_rule() == Rule::or_expr { Connective::Any } else { Connective::All };
                let parts: Vec<Expr> = pair
                    .into_inner()
                    .filter(|part| !is_keyword(part.as_rule()))
                    .map(|part| self.expr(part))
                    .collect::<Built<_>>()?;
                match <[Expr; 1]>::try_from(parts) {
                    Ok([single]) => Ok(single),
                    Err(parts) => Ok(Expr { kind: ExprKind::Connective { connective, parts }, span }),
                }
            }
            Rule::not_expr => {
                let mut parts = pair.into_inner();
                let first = parts.next().ok_or_else(|| internal(span.start, "not"))?;
                if first.as_rule() == Rule::negation {
                    let operand = parts.next().ok_or_else(|| internal(span.start, "not operand"))?;
                    Ok(Expr { kind: ExprKind::Not(Box::new(self.expr(operand)?)), span })
                } else {
                    self.expr(first)
                }
            }
            Rule::comparison => {
                let mut parts = pair.into_inner();
                let left = self.additive(parts.next().ok_or_else(|| internal(span.start, "comparison"))?)?;
                let (Some(operator), Some(right)) = (parts.next(), parts.next()) else {
                    return Ok(left);
                };
                let operator = comparison_operator(operator.as_str());
                let right = self.additive(right)?;
                Ok(Expr { kind: ExprKind::Compare { operator, left: Box::new(left), right: Box::new(right) }, span })
            }
            Rule::additive | Rule::multiplicative => self.additive(pair),
            _ => self.primary(pair),
        }
    }

    /// Left-associative chains of `+ -` and `× / of`.
    fn additive(&self, pair: Pair<Rule>) -> Built<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::additive | Rule::multiplicative => {
                let mut parts = pair.into_inner();
                let first = parts.next().ok_or_else(|| internal(span.start, "operand"))?;
                let mut left = self.additive(first)?;
                while let (Some(operator), Some(right)) = (parts.next(), parts.next()) {
                    let operator = binary_operator(operator.as_str());
                    let right = self.additive(right)?;
                    let span = left.span.to(right.span);
                    left = Expr {
                        kind: ExprKind::Binary { operator, left: Box::new(left), right: Box::new(right) },
                        span,
                    };
                }
                Ok(left)
            }
            Rule::unary => {
                let mut minus_count = 0;
                let mut operand = None;
                for part in pair.into_inner() {
                    if part.as_rule() == Rule::minus {
                        minus_count += 1;
                    } else {
                        operand = Some(self.primary(part)?);
                    }
                }
                let mut expr = operand.ok_or_else(|| internal(span.start, "unary"))?;
                for _ in 0..minus_count {
                    expr = Expr { kind: ExprKind::Negate(Box::new(expr)), span };
                }
                Ok(expr)
            }
            _ => self.expr(pair),
        }
    }

    fn primary(&self, pair: Pair<Rule>) -> Built<Expr> {
        let span = self.span(&pair);
        let pair = if pair.as_rule() == Rule::primary { self.only_child(pair)? } else { pair };
        let kind = match pair.as_rule() {
            Rule::literal => ExprKind::Literal(self.literal(pair)?),
            Rule::identifier => ExprKind::Name(pair.as_str().to_string()),
            Rule::as_of => ExprKind::AsOf,
            Rule::parenthesized => return self.expr(self.only_child(pair)?),
            Rule::list => ExprKind::List(self.expressions(pair)?),
            Rule::all_of | Rule::any_of => {
                let connective = if pair.as_rule() == Rule::all_of { Connective::All } else { Connective::Any };
                ExprKind::Connective { connective, parts: self.expressions(pair)? }
            }
            Rule::call => {
                let function = if pair.as_str().starts_with("min") { Function::Min } else { Function::Max };
                ExprKind::Call { function, arguments: self.expressions(pair)? }
            }
            _ => return self.expr(pair),
        };
        Ok(Expr { kind, span })
    }

    fn expressions(&self, pair: Pair<Rule>) -> Built<Vec<Expr>> {
        pair.into_inner().filter(|part| part.as_rule() == Rule::expr).map(|part| self.expr(part)).collect()
    }

    fn literal(&self, pair: Pair<Rule>) -> Built<Literal> {
        let span = self.span(&pair);
        let inner = self.only_child(pair)?;
        let too_large = |what: &str| {
            Diagnostic::error(
                "syntax::number-too-large",
                format!("this {what} is too large"),
                span,
                "beyond the exact decimal range",
            )
            .with_help("numbers hold at most 28 significant digits")
        };
        let kind = match inner.as_rule() {
            Rule::date => LiteralKind::Date(self.date(&inner)?),
            Rule::boolean => LiteralKind::Bool(inner.as_str() == "true"),
            Rule::string => LiteralKind::Text(self.text(inner)?.text),
            Rule::number => {
                let text = inner.as_str();
                let value = Decimal::from_str(text).map_err(|_| too_large("number"))?;
                LiteralKind::Number { value, integer: !text.contains('.') }
            }
            Rule::percent => {
                let digits = inner.as_str().trim_end_matches('%');
                let value = Decimal::from_str(digits).map_err(|_| too_large("percent"))?;
                LiteralKind::Percent(value.checked_div(Decimal::ONE_HUNDRED).ok_or_else(|| too_large("percent"))?)
            }
            Rule::money => {
                let mut parts = inner.into_inner();
                let (Some(number), Some(unit)) = (parts.next(), parts.next()) else {
                    return Err(internal(span.start, "money"));
                };
                let value = Decimal::from_str(number.as_str()).map_err(|_| too_large("amount"))?;
                let yuan = value.checked_mul(money_unit(unit.as_str()).yuan()).ok_or_else(|| too_large("amount"))?;
                LiteralKind::Money(yuan)
            }
            Rule::duration => {
                let mut parts = inner.into_inner();
                let (Some(count), Some(unit)) = (parts.next(), parts.next()) else {
                    return Err(internal(span.start, "duration"));
                };
                let count: i32 = count.as_str().parse().map_err(|_| too_large("duration"))?;
                let period = match unit.as_str() {
                    "years" | "year" | "年" => Period { years: count, ..Period::default() },
                    "months" | "month" | "个月" => Period { months: count, ..Period::default() },
                    _ => Period { days: count, ..Period::default() },
                };
                LiteralKind::Duration(period)
            }
            _ => return Err(self.unexpected(&inner)),
        };
        Ok(Literal { kind, span })
    }
}

fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("kw_")
}

fn declaration_kind(text: &str) -> DeclarationKind {
    match text {
        "policy" => DeclarationKind::Policy,
        "enum" => DeclarationKind::Enum,
        "entity" => DeclarationKind::Entity,
        "parameter" => DeclarationKind::Parameter,
        "rule" => DeclarationKind::Rule,
        "decision" => DeclarationKind::Decision,
        "award" => DeclarationKind::Award,
        "benefit" => DeclarationKind::Benefit,
        "table" => DeclarationKind::Table,
        "value" => DeclarationKind::Value,
        _ => DeclarationKind::NoStacking,
    }
}

fn money_unit(text: &str) -> MoneyUnit {
    match text {
        "万元" => MoneyUnit::TenThousandYuan,
        "亿元" => MoneyUnit::HundredMillionYuan,
        _ => MoneyUnit::Yuan,
    }
}

fn comparison_operator(text: &str) -> CompareOperator {
    let normalized: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match normalized.as_str() {
        "=" => CompareOperator::Equal,
        "!=" | "≠" => CompareOperator::NotEqual,
        "<" => CompareOperator::Less,
        "<=" | "≤" => CompareOperator::LessOrEqual,
        ">" => CompareOperator::Greater,
        ">=" | "≥" => CompareOperator::GreaterOrEqual,
        "in" => CompareOperator::In,
        _ => CompareOperator::NotIn,
    }
}

fn binary_operator(text: &str) -> BinaryOperator {
    match text {
        "+" => BinaryOperator::Add,
        "-" => BinaryOperator::Subtract,
        "*" | "×" => BinaryOperator::Multiply,
        "/" | "÷" => BinaryOperator::Divide,
        _ => BinaryOperator::Of,
    }
}

/// Drops trailing blank lines, spaces and whole-line comments.
fn trim_trailing_comments(text: &str) -> &str {
    let mut rest = text.trim_end();
    while let Some(line_start) = rest.rfind('\n') {
        let last_line = rest.get(line_start + 1..).unwrap_or("");
        if last_line.trim_start().starts_with('#') {
            rest = rest.get(..line_start).unwrap_or("").trim_end();
        } else {
            break;
        }
    }
    rest
}

/// The text of a quoted string as written between its quotes: `\"`, `\\` and `\n` resolved.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(character) = chars.next() {
        if character == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(character);
        }
    }
    out
}
