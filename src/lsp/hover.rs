//! Hover texts, in Markdown: a name's declaration as written (the `when`, `pays` or value as
//! the drafter wrote it), then its label, citation with the quoted words, and reading.

use super::symbols::Target;
use crate::check::{Model, Provenance};
use crate::syntax::{ClauseKind, Declaration, PolicyFile, Span};

/// The hover text of a target, or `None` when its declaration cannot be found in the text.
pub fn hover_text(target: Target, model: &Model, file: &PolicyFile, source: &str) -> Option<String> {
    let page = match target {
        Target::Item(index) => {
            let item = model.items.get(index)?;
            let declaration = declared_at(file, item.provenance.span)?;
            let logic = |clause: &ClauseKind| {
                matches!(clause, ClauseKind::When(_) | ClauseKind::Pays { .. } | ClauseKind::By(_) | ClauseKind::Row(_))
            };
            page(&written(source, declaration, logic), &item.provenance, &[])
        }
        Target::Parameter(index) => {
            let parameter = model.parameters.get(index)?;
            let declaration = declared_at(file, parameter.provenance.span)?;
            let notes = match parameter.value {
                Some(_) => Vec::new(),
                None => vec![format!("No value in the document: give one with `--set {}=…`", parameter.name)],
            };
            page(&written(source, declaration, |_| false), &parameter.provenance, &notes)
        }
        Target::Enum(index) => {
            let definition = model.enums.get(index)?;
            let declaration = declared_at(file, definition.provenance.span)?;
            let values = |clause: &ClauseKind| matches!(clause, ClauseKind::Values(_));
            page(&written(source, declaration, values), &definition.provenance, &[])
        }
        Target::Label { enumeration, label } => {
            let definition = model.enums.get(enumeration)?;
            let declaration = declared_at(file, definition.provenance.span)?;
            let text = definition.labels.get(label)?;
            let note = format!(
                "“{}” is value {} of {} of `{}`",
                escape(text),
                label + 1,
                definition.labels.len(),
                definition.name
            );
            let values = |clause: &ClauseKind| matches!(clause, ClauseKind::Values(_));
            page(&written(source, declaration, values), &definition.provenance, &[note])
        }
        Target::Entity(index) => {
            let entity = model.entities.get(index)?;
            let declaration = declared_at(file, entity.provenance.span)?;
            let key = entity.fields.get(entity.key);
            let mut note = format!("{} fields, read from the columns of a data file", entity.fields.len());
            if let Some(key) = key {
                note.push_str(&format!("; each record is identified by “{}”", escape(&key.column)));
            }
            let key_clause = |clause: &ClauseKind| matches!(clause, ClauseKind::Key(_));
            page(&written(source, declaration, key_clause), &entity.provenance, &[note])
        }
        Target::Field { entity, field } => {
            let owner = model.entities.get(entity)?;
            let definition = owner.fields.get(field)?;
            let declaration = declared_at(file, owner.provenance.span)?;
            let this_field = |clause: &ClauseKind| matches!(clause, ClauseKind::Field(declared) if declared.name.span == definition.span);
            let mut note =
                format!("Column “{}”: {}", escape(&definition.column), model.type_name(&definition.field_type));
            if let Some(unit) = definition.unit {
                note.push_str(&format!(", written in {} (read exactly, as 元)", unit.symbol()));
            }
            if definition.optional {
                note.push_str("; optional: a data file may leave the column out");
            }
            let owner_label = owner.provenance.label.as_deref().map(|label| format!(" ({})", escape(label)));
            let belongs = format!("A field of `{}`{}", owner.name, owner_label.unwrap_or_default());
            page(&written(source, declaration, this_field), &Provenance::default(), &[belongs, note])
        }
        Target::Group(index) => {
            let group = model.groups.get(index)?;
            let declaration = declared_at(file, group.provenance.span)?;
            let among = |clause: &ClauseKind| matches!(clause, ClauseKind::Among(_));
            let note = "Of these awards a record is paid only the highest (the first written wins a tie)".to_string();
            page(&written(source, declaration, among), &group.provenance, &[note])
        }
    };
    Some(page)
}

/// The declaration whose name is written at `span`.
fn declared_at(file: &PolicyFile, span: Span) -> Option<&Declaration> {
    file.declarations.iter().find(|declaration| declaration.name.span == span)
}

/// The declaration's first line as written (up to its type or value), then the clauses `keep`
/// selects, each with its own lines and indentation.
fn written(source: &str, declaration: &Declaration, keep: impl Fn(&ClauseKind) -> bool) -> String {
    let head_end = [
        Some(declaration.name.span.end),
        declaration.entity.as_ref().map(|entity| entity.span.end),
        declaration.declared_type.as_ref().map(|declared| declared.span.end),
        declaration.value.as_ref().map(|value| value.span.end),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(declaration.name.span.end);
    let mut text = source.get(declaration.span.start..head_end).unwrap_or_default().to_string();
    for clause in declaration.clauses.iter().filter(|clause| keep(&clause.kind)) {
        text.push('\n');
        // From the start of the clause's line, so that its continuation lines keep their indent.
        let line_start = source.get(..clause.span.start).and_then(|before| before.rfind('\n')).map_or(0, |at| at + 1);
        let indent = source.get(line_start..clause.span.start).unwrap_or_default();
        let start = if indent.trim().is_empty() {
            line_start
        } else {
            text.push_str("  ");
            clause.span.start
        };
        text.push_str(source.get(start..clause.span.end).unwrap_or_default());
    }
    text
}

fn page(code: &str, provenance: &Provenance, notes: &[String]) -> String {
    let mut parts = vec![format!("```policy\n{code}\n```")];
    if let Some(label) = &provenance.label {
        parts.push(format!("**{}**", escape(label)));
    }
    parts.extend(notes.iter().cloned());
    if let Some(citation) = &provenance.citation {
        parts.push(match &provenance.quote {
            Some(quote) => format!("Cites {}: “{}”", escape(citation), escape(quote)),
            None => format!("Cites {}", escape(citation)),
        });
    }
    if let Some(reading) = &provenance.reading {
        parts.push(format!("Reading: {}", escape(reading)));
    }
    parts.join("\n\n")
}

/// The policy's own words, with the characters Markdown would read as formatting escaped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if "\\`*_[]<>#|~".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}
