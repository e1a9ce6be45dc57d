//! The canonical layout of a policy file as a [`Doc`], built from pest's parse tree of each
//! declaration — which keeps every keyword, operator and literal as written — with the comments
//! put back next to what they were next to.

use super::printer::Doc;
use crate::syntax::{PolicyParser, Rule};
use pest::iterators::Pair;
use pest::Parser as _;
use std::borrow::Cow;

/// A comment of the source: a `#` outside quoted text, to the end of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    /// As written, without the spaces (or `\r`) that end its line.
    pub text: String,
    /// Code comes before it on its line: it stays at the end of that code's line.
    pub after_code: bool,
    /// It does not start in the first column.
    pub indented: bool,
}

/// Every comment of `source`, in order.
pub fn comments(source: &str) -> Vec<Comment> {
    let mut comments = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut line_start = 0;
    let mut code_on_line = false;
    let mut skip_to = 0;
    for (offset, character) in source.char_indices() {
        if offset < skip_to {
            continue;
        }
        if character == '\n' {
            line_start = offset + 1;
            code_on_line = false;
            in_string = false;
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == '"' {
                in_string = false;
            }
            continue;
        }
        match character {
            '"' => {
                in_string = true;
                code_on_line = true;
            }
            '#' => {
                let line_end =
                    source.get(offset..).and_then(|rest| rest.find('\n')).map_or(source.len(), |at| offset + at);
                let text = source.get(offset..line_end).unwrap_or("").trim_end();
                comments.push(Comment {
                    start: offset,
                    end: offset + text.len(),
                    text: text.to_string(),
                    after_code: code_on_line,
                    indented: offset > line_start,
                });
                skip_to = line_end;
            }
            _ if is_whitespace(character) => {}
            _ => code_on_line = true,
        }
    }
    comments
}

/// What the grammar skips between tokens (`WHITESPACE` in `grammar/policy.pest`).
fn is_whitespace(character: char) -> bool {
    matches!(character, ' ' | '\t' | '\r' | '\n' | '\u{3000}' | '\u{FEFF}')
}

/// Whether pest's pair is one token of the layout: written out as it is, never split. (An
/// empty list `[]` has no inner pair either, but its brackets may hold comments.)
pub fn is_token(pair: &Pair<Rule>) -> bool {
    match pair.as_rule() {
        Rule::literal | Rule::string => true,
        Rule::list => false,
        _ => pair.clone().into_inner().next().is_none(),
    }
}

/// A token's text in the canonical layout: as written, but `no stacking` and a duration
/// (`2 years`) with one space, and an `=` without what pest skipped after it while making sure
/// it is not `=>`.
pub fn token_text<'i>(pair: &Pair<'i, Rule>) -> Cow<'i, str> {
    let text = pair.as_str();
    match pair.as_rule() {
        Rule::no_stacking => Cow::Borrowed("no stacking"),
        Rule::comparison_op => {
            Cow::Borrowed(text.split(|character| is_whitespace(character) || character == '#').next().unwrap_or(text))
        }
        Rule::literal if text.contains("  ") => {
            Cow::Owned(text.split(' ').filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" "))
        }
        _ => Cow::Borrowed(text),
    }
}

/// The layout of the whole file whose declarations start at `starts` (each runs to the next).
pub fn layout(source: &str, comments: &[Comment], starts: &[usize]) -> Result<Doc, String> {
    let mut layout = Layout { source, comments, next_comment: 0, last_end: 0, offset: 0, chunk_end: 0 };
    let mut docs = Vec::new();
    for (index, start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(source.len());
        let text = source.get(*start..end).ok_or("a declaration outside the file")?;
        let mut pairs = PolicyParser::parse(Rule::declaration_alone, text).map_err(|error| error.to_string())?;
        let declaration = pairs
            .next()
            .and_then(|alone| alone.into_inner().find(|pair| pair.as_rule() == Rule::declaration))
            .ok_or("no declaration")?;
        layout.offset = *start;
        layout.chunk_end = end;
        let after = if index == 0 { After::Opening } else { After::Declaration };
        let (gap, blank) = layout.gap(*start, Breaks::Hard, after, false);
        docs.extend(gap);
        docs.push(Doc::HardLine { blank });
        docs.push(layout.declaration(declaration)?);
    }
    let after = if starts.is_empty() { After::Opening } else { After::Declaration };
    let (gap, _) = layout.gap(source.len() + 1, Breaks::Hard, after, false);
    docs.extend(gap);
    Ok(Doc::Concat(docs))
}

/// The line breaks of a sequence: between clauses and declarations, or in a list that may
/// stay on one line.
#[derive(Clone, Copy)]
enum Breaks {
    Hard,
    Soft,
}

impl Breaks {
    fn line(self, blank: bool) -> Doc {
        match self {
            Breaks::Hard => Doc::HardLine { blank },
            Breaks::Soft => Doc::Line { flat: " ", blank },
        }
    }
}

/// What a gap between parts of a sequence comes after, which decides its first blank line.
#[derive(Clone, Copy)]
enum After {
    /// The start of the file, a declaration's first line, an opening bracket: no blank line.
    Opening,
    /// A whole declaration: always one blank line.
    Declaration,
    /// Another part: a blank line where the source has one.
    Part,
}

/// How a list is written when it breaks: one part per line, and whether the last part gets a
/// comma (the grammar allows one after expression lists, `values` and `among`).
struct ListStyle {
    trailing_comma: bool,
    /// Whether the list breaks when it does not fit, not only around comments.
    by_width: bool,
    /// What separates the first part from what comes before when the list stays on one line.
    first_flat: &'static str,
}

const EXPRESSIONS: ListStyle = ListStyle { trailing_comma: true, by_width: true, first_flat: "" };
const AFTER_KEYWORD: ListStyle = ListStyle { trailing_comma: true, by_width: true, first_flat: " " };

struct Layout<'s> {
    source: &'s str,
    comments: &'s [Comment],
    next_comment: usize,
    /// Where the last token or comment laid out ends: blank lines are looked for after it.
    last_end: usize,
    /// Where the declaration being laid out starts in the file (pest's offsets are relative).
    offset: usize,
    /// Where its text ends: the next declaration, or the end of the file.
    chunk_end: usize,
}

type Built = Result<Doc, String>;

impl<'s> Layout<'s> {
    fn start(&self, pair: &Pair<Rule>) -> usize {
        self.offset + pair.as_span().start()
    }

    fn end(&self, pair: &Pair<Rule>) -> usize {
        self.offset + pair.as_span().end()
    }

    /// The next comment, if it starts before `position`.
    fn comment_before(&self, position: usize) -> Option<&'s Comment> {
        self.comments.get(self.next_comment).filter(|comment| comment.start < position)
    }

    /// The comments before `position` where the layout has no line break of its own: each
    /// after the code it followed, or on a line of its own.
    fn comments_before(&mut self, position: usize) -> Vec<Doc> {
        let mut docs = Vec::new();
        while let Some(comment) = self.comment_before(position) {
            // Only the first can end a line of code: the line ends with it.
            docs.push(if comment.after_code && docs.is_empty() {
                Doc::Trailing(comment.text.clone())
            } else {
                Doc::Comment(comment.text.clone())
            });
            self.last_end = comment.end;
            self.next_comment += 1;
        }
        docs
    }

    /// The comments before `position` at a place where the layout breaks the line (between
    /// list parts, clauses, declarations), and whether a blank line comes before the part at
    /// `position`. Blank lines of the source are kept, one for a run; `after` says what the
    /// first line break of the gap does. With `column_zero_ends`, stops at the first comment on
    /// its own line in the first column: what follows belongs to the next declaration.
    fn gap(&mut self, position: usize, breaks: Breaks, after: After, column_zero_ends: bool) -> (Vec<Doc>, bool) {
        let mut docs = Vec::new();
        let mut on_own_line = false;
        while let Some(comment) = self.comment_before(position) {
            // Only the first can end a line of code: the line ends with it.
            let trailing = comment.after_code && docs.is_empty();
            if !trailing && column_zero_ends && !comment.indented {
                break;
            }
            if trailing {
                docs.push(Doc::Trailing(comment.text.clone()));
            } else {
                let blank = self.blank_after(after, on_own_line, comment.start);
                docs.push(breaks.line(blank));
                docs.push(Doc::Comment(comment.text.clone()));
                on_own_line = true;
            }
            self.last_end = comment.end;
            self.next_comment += 1;
        }
        let blank = self.blank_after(after, on_own_line, position);
        (docs, blank)
    }

    /// Whether a blank line comes before what starts at `position`: the first line break of a
    /// gap follows `after`; later ones, and `After::Part`, keep the source's.
    fn blank_after(&self, after: After, later: bool, position: usize) -> bool {
        match (after, later) {
            (After::Opening, false) => false,
            (After::Declaration, false) => true,
            _ => self.blank_line(self.last_end, position),
        }
    }

    /// Whether the source has a blank line between the two offsets.
    fn blank_line(&self, from: usize, to: usize) -> bool {
        let between = self.source.get(from..to.min(self.source.len())).unwrap_or("");
        let mut lines = between.split('\n');
        lines.next();
        let mut middle: Vec<&str> = lines.collect();
        middle.pop();
        middle.iter().any(|line| line.chars().all(is_whitespace))
    }

    /// A token as written, after the comments before it.
    fn token(&mut self, pair: &Pair<Rule>) -> Doc {
        let mut docs = self.comments_before(self.start(pair));
        let text = token_text(pair);
        self.last_end = self.start(pair) + text.len();
        docs.push(Doc::text(text));
        concat(docs)
    }

    /// A closing bracket at `position`, after the comments before it.
    fn closing(&mut self, position: usize, text: &'static str) -> Doc {
        let mut docs = self.comments_before(position);
        docs.push(Doc::text(text));
        self.last_end = position + text.len();
        concat(docs)
    }

    /// Where the closing bracket `text` of `pair` is: its last character.
    fn close_position(&self, pair: &Pair<Rule>, text: &str) -> Result<usize, String> {
        if pair.as_str().ends_with(text) {
            Ok(self.end(pair) - text.len())
        } else {
            Err(format!("{:?} does not end with {text}", pair.as_rule()))
        }
    }

    fn declaration(&mut self, pair: Pair<Rule>) -> Built {
        let mut header = Vec::new();
        let mut clauses = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::clause => clauses.push(part),
                Rule::declared_type => header.push(self.node(part)?),
                _ => {
                    if !header.is_empty() {
                        header.push(Doc::Space);
                    }
                    header.push(self.node(part)?);
                }
            }
        }
        let mut rest = header.split_off(1.min(header.len()));
        for (index, clause) in clauses.into_iter().enumerate() {
            let after = if index == 0 { After::Opening } else { After::Part };
            let (gap, blank) = self.gap(self.start(&clause), Breaks::Hard, after, false);
            rest.extend(gap);
            rest.push(Doc::HardLine { blank });
            rest.push(self.node(clause)?);
        }
        // Comments after the last clause stay with the declaration while they are indented (or
        // end its last line); a comment in the first column opens what comes next.
        let (gap, _) = self.gap(self.chunk_end, Breaks::Hard, After::Part, true);
        rest.extend(gap);
        header.push(Doc::Nest(rest));
        Ok(Doc::Concat(header))
    }

    /// The layout of any node of the parse tree.
    fn node(&mut self, pair: Pair<Rule>) -> Built {
        let pair = pass_through(pair);
        if is_token(&pair) {
            return Ok(self.token(&pair));
        }
        // The comments before a construct go before it, not inside: they do not break its group.
        // Punctuation (`, at most`, `: type`, `= value`) stays with what it follows.
        let punctuated = matches!(pair.as_rule(), Rule::cap | Rule::declared_type | Rule::assigned_value);
        let mut docs = if punctuated { Vec::new() } else { self.comments_before(self.start(&pair)) };
        docs.push(self.construct(pair)?);
        Ok(concat(docs))
    }

    /// The layout of a node that is not a token.
    fn construct(&mut self, pair: Pair<Rule>) -> Built {
        match pair.as_rule() {
            Rule::or_expr | Rule::and_expr | Rule::comparison | Rule::additive | Rule::multiplicative => {
                self.chain(pair)
            }
            Rule::all_of | Rule::any_of | Rule::call | Rule::list => self.bracketed_list(pair),
            Rule::unary => self.unary(pair),
            Rule::parenthesized => self.parenthesized(pair),
            Rule::values_clause | Rule::among_clause | Rule::by_clause => self.keyword_list(pair),
            Rule::key_pattern if is_tuple(&pair) => self.tuple(pair),
            Rule::row_clause => self.row(pair),
            Rule::field_clause => self.field(pair),
            Rule::declared_type | Rule::assigned_value | Rule::cap => self.punctuated(pair),
            _ => self.words(pair),
        }
    }

    /// Words separated by one space: clauses such as `label "…"` or `in force from … to …`,
    /// types, bounds, `not`, `up to`. Nodes that are only words are walked with a stack, not
    /// recursion: `list of list of …` and `not not …` may be as long as the parser allows.
    fn words(&mut self, pair: Pair<Rule>) -> Built {
        let mut docs = Vec::new();
        let mut stack = vec![pair.into_inner()];
        while let Some(top) = stack.last_mut() {
            let Some(part) = top.next() else {
                stack.pop();
                continue;
            };
            if is_token(&part) || has_own_layout(&part) {
                if !docs.is_empty() && part.as_rule() != Rule::cap {
                    docs.push(Doc::Space);
                }
                docs.push(self.node(part)?);
            } else {
                stack.push(part.into_inner());
            }
        }
        Ok(concat(docs))
    }

    /// `-x`: the minus signs written against what they negate.
    fn unary(&mut self, pair: Pair<Rule>) -> Built {
        let mut docs = Vec::new();
        for part in pair.into_inner() {
            docs.push(self.node(part)?);
        }
        Ok(concat(docs))
    }

    /// `(…)`: on one line, or around comments, like a list of one part.
    fn parenthesized(&mut self, pair: Pair<Rule>) -> Built {
        let close = self.close_position(&pair, ")")?;
        let style = ListStyle { trailing_comma: false, by_width: false, first_flat: "" };
        let list = self.list(pair.into_inner().collect(), Some((close, ")")), &style)?;
        Ok(concat(vec![Doc::text("("), list]))
    }

    /// `values "a", "b"`, `among a, b`, `by a, b`: a keyword and its list.
    fn keyword_list(&mut self, pair: Pair<Rule>) -> Built {
        let style = if pair.as_rule() == Rule::by_clause {
            // `by` takes no trailing comma, and its list is short.
            ListStyle { trailing_comma: false, by_width: false, first_flat: " " }
        } else {
            AFTER_KEYWORD
        };
        let mut parts = pair.into_inner();
        let keyword = parts.next().ok_or("a list clause without its keyword")?;
        let keyword = self.token(&keyword);
        let list = self.list(parts.collect(), None, &style)?;
        Ok(concat(vec![keyword, list]))
    }

    /// The key of a table row by several values: `("特色产业集群", "省级")`.
    fn tuple(&mut self, pair: Pair<Rule>) -> Built {
        let close = self.close_position(&pair, ")")?;
        let style = ListStyle { trailing_comma: false, by_width: false, first_flat: "" };
        let list = self.list(pair.into_inner().collect(), Some((close, ")")), &style)?;
        Ok(concat(vec![Doc::text("("), list]))
    }

    fn row(&mut self, pair: Pair<Rule>) -> Built {
        let mut parts = pair.into_inner();
        let pattern = parts.next().ok_or("a row without its pattern")?;
        let result = parts.next().ok_or("a row without its result")?;
        let pattern = self.node(pattern)?;
        let result = self.node(result)?;
        Ok(concat(vec![pattern, Doc::Space, Doc::text("=>"), Doc::Space, result]))
    }

    /// `field name: type from "column" …`: the colon against the name.
    fn field(&mut self, pair: Pair<Rule>) -> Built {
        let mut docs = Vec::new();
        for part in pair.into_inner() {
            if part.as_rule() == Rule::type_expr {
                docs.push(Doc::text(":"));
            }
            if !docs.is_empty() {
                docs.push(Doc::Space);
            }
            docs.push(self.node(part)?);
        }
        Ok(concat(docs))
    }

    /// `: type`, `= value`, `, at most cap`: punctuation the parse tree does not keep.
    fn punctuated(&mut self, pair: Pair<Rule>) -> Built {
        let punctuation = match pair.as_rule() {
            Rule::declared_type => ":",
            Rule::assigned_value => "=",
            _ => ",",
        };
        let mut docs = vec![Doc::text(punctuation)];
        for part in pair.into_inner() {
            docs.push(Doc::Space);
            docs.push(self.node(part)?);
        }
        Ok(concat(docs))
    }

    /// Operands joined by operators (`and`, `or`, `+`, `of`, `>=`, …): on one line, or when a
    /// comment breaks it, each operator starting a line indented one level more.
    fn chain(&mut self, pair: Pair<Rule>) -> Built {
        let mut parts = pair.into_inner();
        let first = parts.next().ok_or("an empty chain")?;
        let first = self.node(first)?;
        let mut rest = Vec::new();
        while let Some(operator) = parts.next() {
            let operand = parts.next().ok_or("an operator without its operand")?;
            rest.push(Doc::Line { flat: " ", blank: false });
            rest.push(self.node(operator)?);
            rest.push(Doc::Space);
            rest.push(self.node(operand)?);
        }
        Ok(Doc::group(vec![first, Doc::NestIfBroken(rest)]))
    }

    /// `all of (…)`, `any of (…)`, `min(…)`, `max(…)`, `[…]`.
    fn bracketed_list(&mut self, pair: Pair<Rule>) -> Built {
        let (open, close) = if pair.as_rule() == Rule::list { ("[", "]") } else { ("(", ")") };
        let close_position = self.close_position(&pair, close)?;
        let mut docs = Vec::new();
        let mut parts = Vec::new();
        for part in pair.into_inner() {
            if matches!(part.as_rule(), Rule::kw_all | Rule::kw_any | Rule::kw_of | Rule::kw_min | Rule::kw_max) {
                if !docs.is_empty() {
                    docs.push(Doc::Space);
                }
                docs.push(self.token(&part));
            } else {
                parts.push(part);
            }
        }
        // `all of (`, but `min(`.
        if matches!(docs.len(), 3) {
            docs.push(Doc::Space);
        }
        docs.push(Doc::text(open));
        docs.push(self.list(parts, Some((close_position, close)), &EXPRESSIONS)?);
        Ok(concat(docs))
    }

    /// The parts of a list, separated by commas: on one line, or one part per line indented one
    /// level more, with the closing bracket (if any) back on a line of its own.
    fn list(&mut self, parts: Vec<Pair<Rule>>, close: Option<(usize, &'static str)>, style: &ListStyle) -> Built {
        let mut inner = Vec::new();
        let count = parts.len();
        for (index, part) in parts.into_iter().enumerate() {
            if index > 0 {
                inner.push(Doc::text(","));
            }
            let after = if index == 0 { After::Opening } else { After::Part };
            let (gap, blank) = self.gap(self.start(&part), Breaks::Soft, after, false);
            inner.extend(gap);
            inner.push(Doc::Line { flat: if index == 0 { style.first_flat } else { " " }, blank });
            inner.push(self.node(part)?);
        }
        if count > 0 && style.trailing_comma {
            inner.push(Doc::IfBroken(","));
        }
        let mut docs = Vec::new();
        match close {
            Some((position, text)) => {
                let after = if count == 0 { After::Opening } else { After::Part };
                let (gap, _) = self.gap(position, Breaks::Soft, after, false);
                inner.extend(gap);
                docs.push(Doc::Nest(inner));
                docs.push(Doc::Line { flat: "", blank: false });
                docs.push(self.closing(position, text));
            }
            None => docs.push(Doc::Nest(inner)),
        }
        Ok(if style.by_width { Doc::group_by_width(docs) } else { Doc::group(docs) })
    }
}

/// Whether the node has a layout of its own, rather than being words separated by spaces.
fn has_own_layout(pair: &Pair<Rule>) -> bool {
    match pair.as_rule() {
        Rule::or_expr
        | Rule::and_expr
        | Rule::comparison
        | Rule::additive
        | Rule::multiplicative
        | Rule::all_of
        | Rule::any_of
        | Rule::call
        | Rule::list
        | Rule::unary
        | Rule::parenthesized
        | Rule::values_clause
        | Rule::among_clause
        | Rule::by_clause
        | Rule::row_clause
        | Rule::field_clause
        | Rule::declared_type
        | Rule::assigned_value
        | Rule::cap => true,
        Rule::key_pattern => is_tuple(pair),
        _ => false,
    }
}

/// A row key written in parentheses (one value may be written either way).
fn is_tuple(pair: &Pair<Rule>) -> bool {
    pair.as_str().starts_with('(')
}

/// The node that carries the layout: nodes with one child that add nothing to it (an `or`
/// chain of one operand, a primary, …) are skipped without recursing, so the depth of the
/// layout's recursion follows the nesting of the policy, not the depth of the grammar.
fn pass_through(pair: Pair<Rule>) -> Pair<Rule> {
    let mut pair = pair;
    loop {
        let passes = matches!(
            pair.as_rule(),
            Rule::expr
                | Rule::clause
                | Rule::primary
                | Rule::or_expr
                | Rule::and_expr
                | Rule::not_expr
                | Rule::comparison
                | Rule::additive
                | Rule::multiplicative
                | Rule::unary
                | Rule::row_pattern
                | Rule::type_expr
        );
        let mut children = pair.clone().into_inner();
        match (passes, children.next(), children.next()) {
            (true, Some(only), None) => pair = only,
            _ => return pair,
        }
    }
}

fn concat(mut docs: Vec<Doc>) -> Doc {
    if docs.len() == 1 {
        if let Some(doc) = docs.pop() {
            return doc;
        }
    }
    Doc::Concat(docs)
}
