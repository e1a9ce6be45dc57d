//! A layout document and its printer, in the manner of Wadler's "prettier printer": the layout
//! code says where lines may break and which pieces belong together; the printer decides, group
//! by group, whether a group stays on one line.
//!
//! Comments are part of the document: a group that holds a comment always breaks, an
//! end-of-line comment stays at the end of the line it was on, and the text after a comment
//! always starts a new line (the grammar reads a comment to the end of its line).

use unicode_width::UnicodeWidthStr;

/// How wide a line may be before a list breaks one part per line, in display columns (a Chinese
/// character counts two).
pub const WIDTH: usize = 100;

/// How much each level indents.
const INDENT: usize = 2;

#[derive(Debug, Clone)]
pub enum Doc {
    /// Text written as it is (never contains a line break).
    Text(String),
    /// One space between words; dropped when a line break comes first.
    Space,
    /// Where the enclosing group may break: `flat` when it stays on one line, a line break (and
    /// a blank line when `blank`) when it breaks.
    Line { flat: &'static str, blank: bool },
    /// A line break wherever it stands.
    HardLine { blank: bool },
    /// Line breaks inside are indented one level more.
    Nest(Vec<Doc>),
    /// Line breaks inside are indented one level more if the enclosing group breaks: a chain
    /// that stays on one line does not push a list inside it further right.
    NestIfBroken(Vec<Doc>),
    /// Docs one after the other.
    Concat(Vec<Doc>),
    /// Breaks as a whole when it holds a comment or a hard line, or, when `by_width`, when it
    /// does not fit on the line.
    Group { by_width: bool, holds_break: bool, docs: Vec<Doc> },
    /// Text written only when the enclosing group breaks (the trailing comma of a list).
    IfBroken(&'static str),
    /// A comment on a line of its own.
    Comment(String),
    /// A comment at the end of the current line.
    Trailing(String),
}

impl Doc {
    pub fn text(text: impl Into<String>) -> Doc {
        Doc::Text(text.into())
    }

    /// A group that breaks only when it holds a comment.
    pub fn group(docs: Vec<Doc>) -> Doc {
        let holds_break = docs.iter().any(Doc::forces_break);
        Doc::Group { by_width: false, holds_break, docs }
    }

    /// A group that also breaks when it does not fit in [`WIDTH`].
    pub fn group_by_width(docs: Vec<Doc>) -> Doc {
        let holds_break = docs.iter().any(Doc::forces_break);
        Doc::Group { by_width: true, holds_break, docs }
    }

    fn forces_break(&self) -> bool {
        match self {
            Doc::HardLine { .. } | Doc::Comment(_) | Doc::Trailing(_) => true,
            Doc::Group { holds_break, .. } => *holds_break,
            Doc::Nest(docs) | Doc::NestIfBroken(docs) | Doc::Concat(docs) => docs.iter().any(Doc::forces_break),
            Doc::Text(_) | Doc::Space | Doc::Line { .. } | Doc::IfBroken(_) => false,
        }
    }
}

/// Whether the lines of a group break, and whether the groups inside it may still break.
/// Inside a group that fits on one line, everything does; inside a chain that stays on one
/// line because it breaks only for comments, a list that does not fit still breaks.
#[derive(Clone, Copy)]
struct Mode {
    broken: bool,
    may_break: bool,
}

impl Mode {
    fn of_group(self, by_width: bool, breaks: bool) -> Mode {
        Mode { broken: breaks, may_break: if by_width { breaks } else { self.may_break } }
    }
}

/// Prints `doc`; the text ends with one line break.
pub fn print(doc: &Doc) -> String {
    let mut printer = Printer::default();
    // Each entry: indentation, the mode of its group, the doc. The whole file is "broken": its
    // hard lines are line breaks.
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode { broken: true, may_break: true }, doc)];
    while let Some((indent, mode, doc)) = stack.pop() {
        let broken = mode.broken;
        match doc {
            Doc::Text(text) => printer.text(text),
            Doc::Space => printer.space_owed = true,
            Doc::Line { flat, blank } => {
                if broken {
                    printer.line_break(indent, *blank);
                } else if printer.pending.is_none() {
                    printer.text(flat);
                }
            }
            Doc::HardLine { blank } => printer.line_break(indent, *blank),
            Doc::Nest(docs) => stack.extend(docs.iter().rev().map(|doc| (indent + INDENT, mode, doc))),
            Doc::NestIfBroken(docs) => {
                let indent = if broken { indent + INDENT } else { indent };
                stack.extend(docs.iter().rev().map(|doc| (indent, mode, doc)));
            }
            Doc::Concat(docs) => stack.extend(docs.iter().rev().map(|doc| (indent, mode, doc))),
            Doc::Group { by_width, holds_break, docs } => {
                let breaks = mode.may_break && (*holds_break || (*by_width && !printer.fits(docs, &stack)));
                let inner = mode.of_group(*by_width, breaks);
                stack.extend(docs.iter().rev().map(|doc| (indent, inner, doc)));
            }
            Doc::IfBroken(text) => {
                if broken {
                    printer.text(text);
                }
            }
            Doc::Comment(text) => printer.comment(text, indent),
            Doc::Trailing(text) => printer.trailing(text, indent),
        }
    }
    if !printer.out.is_empty() {
        printer.out.push('\n');
    }
    printer.out
}

#[derive(Default)]
struct Printer {
    out: String,
    /// Display width of the last line written so far.
    column: usize,
    /// A line break owed before the next text: its indentation, and whether a blank line comes
    /// first. Written lazily so that no line ends in spaces and comments can still join the line.
    pending: Option<(usize, bool)>,
    space_owed: bool,
    /// The last line ends in a comment: nothing more can join it.
    ends_in_comment: bool,
}

impl Printer {
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some((indent, blank)) = self.pending.take() {
            if !self.out.is_empty() {
                self.out.push('\n');
                if blank {
                    self.out.push('\n');
                }
            }
            self.out.extend(std::iter::repeat_n(' ', indent));
            self.column = indent;
            self.ends_in_comment = false;
        } else if self.space_owed {
            self.out.push(' ');
            self.column += 1;
        }
        self.space_owed = false;
        self.out.push_str(text);
        self.column += text.width();
    }

    fn line_break(&mut self, indent: usize, blank: bool) {
        let blank = blank || self.pending.is_some_and(|(_, owed)| owed);
        self.pending = Some((indent, blank));
        self.space_owed = false;
    }

    /// A comment on its own line: on the line already owed, or else on a new line indented as
    /// a continuation. What follows goes on a new line.
    fn comment(&mut self, text: &str, indent: usize) {
        let at_line_start = self.out.is_empty() || self.pending.is_some();
        let indent = match self.pending {
            Some((owed, _)) => owed,
            None => indent + INDENT,
        };
        if !at_line_start {
            self.pending = Some((indent, false));
        }
        self.space_owed = false;
        self.text(text);
        self.ends_in_comment = true;
        self.pending = Some((indent, false));
    }

    /// A comment at the end of the line written last (on its own line if that line already
    /// ends in a comment). What follows goes on a new line, indented as a continuation unless
    /// a line break of the layout comes first.
    fn trailing(&mut self, text: &str, indent: usize) {
        if self.out.is_empty() || self.ends_in_comment {
            self.comment(text, indent);
            return;
        }
        self.out.push(' ');
        self.out.push_str(text);
        self.column += 1 + text.width();
        self.ends_in_comment = true;
        self.space_owed = false;
        if self.pending.is_none() {
            self.pending = Some((indent + INDENT, false));
        }
    }

    /// Whether `docs`, on one line, and what follows them up to the next possible line break
    /// fit in what is left of the line.
    fn fits(&self, docs: &[Doc], rest: &[(usize, Mode, &Doc)]) -> bool {
        let column = match self.pending {
            Some((indent, _)) => indent,
            None => self.column + usize::from(self.space_owed),
        };
        let mut left = WIDTH.saturating_sub(column);
        let flat = Mode { broken: false, may_break: false };
        let mut todo: Vec<(Mode, &Doc)> = docs.iter().rev().map(|doc| (flat, doc)).collect();
        let mut rest = rest.iter().rev();
        loop {
            let Some((mode, doc)) = todo.pop() else {
                match rest.next() {
                    Some((_, mode, doc)) => {
                        todo.push((*mode, doc));
                        continue;
                    }
                    None => return true,
                }
            };
            let broken = mode.broken;
            let width = match doc {
                Doc::Text(text) => text.width(),
                Doc::Space => 1,
                Doc::Line { flat, .. } => {
                    if broken {
                        return true;
                    }
                    flat.width()
                }
                Doc::HardLine { .. } | Doc::Comment(_) | Doc::Trailing(_) => return true,
                Doc::IfBroken(text) => {
                    if broken {
                        text.width()
                    } else {
                        0
                    }
                }
                Doc::Nest(docs) | Doc::NestIfBroken(docs) | Doc::Concat(docs) => {
                    todo.extend(docs.iter().rev().map(|doc| (mode, doc)));
                    0
                }
                Doc::Group { by_width, holds_break, docs } => {
                    // A later group that breaks only for comments stays on the line; one that
                    // may break for width is assumed to break where it can.
                    let breaks = mode.may_break && (*holds_break || *by_width);
                    let inner = mode.of_group(*by_width, breaks);
                    todo.extend(docs.iter().rev().map(|doc| (inner, doc)));
                    0
                }
            };
            match left.checked_sub(width) {
                Some(remaining) => left = remaining,
                None => return false,
            }
        }
    }
}
