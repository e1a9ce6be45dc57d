//! Byte offsets (the spans of the policy's AST and diagnostics) to and from LSP positions.
//!
//! An LSP position is a 0-based line and a column counted in the code units of the encoding the
//! client and server agreed on: UTF-16 unless the client offers another. Policies are full of
//! Chinese text and full-width punctuation, where a character is 3 bytes in UTF-8 but one UTF-16
//! unit (and an emoji or a rare ideograph two), so the conversion cannot be a byte count.

use crate::syntax::Span;
use lsp_types::{Position, PositionEncodingKind, Range};

/// What a position's `character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    /// The protocol's default, and what VS Code uses.
    #[default]
    Utf16,
    Utf32,
}

impl Encoding {
    /// The first encoding of the client's list (in its order of preference) that the server
    /// speaks; UTF-16 when it offers none, as the protocol requires.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        offered
            .unwrap_or_default()
            .iter()
            .find_map(|kind| match kind.as_str() {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, character: char) -> usize {
        match self {
            Encoding::Utf8 => character.len_utf8(),
            Encoding::Utf16 => character.len_utf16(),
            Encoding::Utf32 => 1,
        }
    }
}

/// Where each line of a text starts, to convert offsets and positions in both directions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    length: usize,
    encoding: Encoding,
}

impl LineIndex {
    pub fn new(source: &str, encoding: Encoding) -> LineIndex {
        let line_starts = std::iter::once(0).chain(source.match_indices('\n').map(|(offset, _)| offset + 1)).collect();
        LineIndex { line_starts, length: source.len(), encoding }
    }

    /// The position of a byte offset; an offset past the end is the end, one inside a character
    /// is that character's start.
    pub fn position(&self, source: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(source, offset.min(self.length));
        let line = self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let before = source.get(line_start..offset).unwrap_or("");
        let character: usize = before.chars().map(|character| self.encoding.units(character)).sum();
        Position::new(saturating_u32(line), saturating_u32(character))
    }

    /// The byte offset of a position; a column past the end of its line is the line's end (the
    /// protocol asks for that), a line past the end of the text is the text's end, and a column
    /// inside a character (half of a UTF-16 surrogate pair) is that character's start.
    pub fn offset(&self, source: &str, position: Position) -> usize {
        let Some(line_start) = self.line_starts.get(position.line as usize).copied() else {
            return self.length;
        };
        let line_end = self.line_starts.get(position.line as usize + 1).map(|next| next - 1).unwrap_or(self.length);
        let line = source.get(line_start..line_end).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let wanted = position.character as usize;
        let mut counted = 0;
        for (offset, character) in line.char_indices() {
            let next = counted + self.encoding.units(character);
            if next > wanted {
                return line_start + offset;
            }
            counted = next;
        }
        line_start + line.len()
    }

    pub fn range(&self, source: &str, span: Span) -> Range {
        Range::new(self.position(source, span.start), self.position(source, span.end.max(span.start)))
    }
}

fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    while offset > 0 && !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}
