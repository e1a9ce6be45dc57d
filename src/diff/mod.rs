//! What a new version of a policy changes in meaning. The diff is computed on the two checked
//! models, never on the text: declarations are matched by name and compared by what they mean
//! (expressions structurally, names instead of positions, labels instead of enum indices), so
//! layout, comments and the order of declarations never show up as changes.
//!
//! [`impact`] then decides a data file under both versions: who moves, by how much, and why;
//! and for a change that moves nobody in the data, constructs a record it would move.

pub mod impact;
mod render;

pub use render::{render_html, render_text};

use crate::check::{
    Entity, Field, Item, ItemKind, Model, Parameter, Pattern, Provenance, Row, StackingGroup, Type, TypedExpr,
    TypedExprKind,
};
use crate::diagnostic::line_column;
use crate::output::value_text;
use crate::value::Value;
use serde::Serialize;

/// One version of the policy: its text and its checked model.
pub struct Version<'a> {
    pub path: &'a str,
    pub source: &'a str,
    pub model: &'a Model,
}

/// Where a declaration is: line and column, counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Added,
    Removed,
    Changed,
}

/// One change in meaning.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `policy`, `enum`, `entity`, `field`, `parameter`, `rule`, `decision`, `award`,
    /// `benefit`, `table`, `value`, `no stacking`.
    pub kind: String,
    /// The declaration's id; a field is `entity.field`.
    pub name: String,
    pub action: Action,
    /// What changed: `value`, `condition`, `amount`, `cap`, `rows`, `among`, `window`, `labels`,
    /// `type`, `column`, `key`, `declaration`…
    pub aspect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    /// The old and new meaning as written (a condition's text, a parameter's value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_location: Option<Location>,
    /// Finer lines: rows added and removed, list elements added and removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Every change in meaning from `old` to `new`, in the order of the new file (removals last).
pub fn diff(old: &Version, new: &Version) -> Vec<Change> {
    let comparer = Comparer { old, new };
    let mut changes = Vec::new();
    comparer.header(&mut changes);
    comparer.enums(&mut changes);
    comparer.entities(&mut changes);
    comparer.parameters(&mut changes);
    comparer.items(&mut changes);
    comparer.groups(&mut changes);
    changes.sort_by_key(|change| {
        let removed = change.action == Action::Removed;
        let position = change.new_location.or(change.old_location).map(|location| location.line).unwrap_or(0);
        (removed, position)
    });
    changes
}

struct Comparer<'a, 'b> {
    old: &'a Version<'b>,
    new: &'a Version<'b>,
}

/// How a piece of a version is shown in a change: its text and where it is.
struct Side {
    text: Option<String>,
    location: Option<Location>,
}

impl Comparer<'_, '_> {
    fn location(version: &Version, provenance: &Provenance) -> Location {
        let place = line_column(version.source, provenance.span.start);
        Location { line: place.line, column: place.column }
    }

    fn text(version: &Version, span: crate::syntax::Span) -> String {
        let text = version.source.get(span.start..span.end).unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[allow(clippy::too_many_arguments)]
    fn change(
        &self,
        kind: &str,
        name: &str,
        action: Action,
        aspect: &str,
        provenance: (Option<&Provenance>, Option<&Provenance>),
        old: Side,
        new: Side,
    ) -> Change {
        let (old_provenance, new_provenance) = provenance;
        let latest = new_provenance.or(old_provenance);
        Change {
            kind: kind.to_string(),
            name: name.to_string(),
            action,
            aspect: aspect.to_string(),
            label: latest.and_then(|provenance| provenance.label.clone()),
            citation: latest.and_then(|provenance| provenance.citation.clone()),
            old: old.text,
            new: new.text,
            old_location: old
                .location
                .or_else(|| old_provenance.map(|provenance| Self::location(self.old, provenance))),
            new_location: new
                .location
                .or_else(|| new_provenance.map(|provenance| Self::location(self.new, provenance))),
            details: Vec::new(),
        }
    }

    fn header(&self, changes: &mut Vec<Change>) {
        let (old, new) = (&self.old.model.header, &self.new.model.header);
        let window = |window: &Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)>| match window {
            Some((from, Some(to))) => format!("{from} – {to}"),
            Some((from, None)) => format!("{from} –"),
            None => "—".to_string(),
        };
        let provenance = (Some(&old.provenance), Some(&new.provenance));
        let mut compare = |aspect: &str, old_text: String, new_text: String| {
            if old_text != new_text {
                changes.push(self.change(
                    "policy",
                    &new.title,
                    Action::Changed,
                    aspect,
                    provenance,
                    Side { text: Some(old_text), location: None },
                    Side { text: Some(new_text), location: None },
                ));
            }
        };
        compare("window", window(&old.window), window(&new.window));
        compare("title", old.title.clone(), new.title.clone());
        compare("document", old.document.clone().unwrap_or_default(), new.document.clone().unwrap_or_default());
    }

    fn enums(&self, changes: &mut Vec<Change>) {
        let (old, new) = (self.old.model, self.new.model);
        for definition in &new.enums {
            match old.enums.iter().find(|existing| existing.name == definition.name) {
                None => changes.push(self.added("enum", &definition.name, &definition.provenance)),
                Some(existing) if existing.labels != definition.labels => {
                    let mut change = self.change(
                        "enum",
                        &definition.name,
                        Action::Changed,
                        "labels",
                        (Some(&existing.provenance), Some(&definition.provenance)),
                        Side { text: Some(existing.labels.join("、")), location: None },
                        Side { text: Some(definition.labels.join("、")), location: None },
                    );
                    change.details = list_changes(&existing.labels, &definition.labels);
                    changes.push(change);
                }
                Some(_) => {}
            }
        }
        for definition in &old.enums {
            if !new.enums.iter().any(|existing| existing.name == definition.name) {
                changes.push(self.removed("enum", &definition.name, &definition.provenance));
            }
        }
    }

    /// A whole declaration as written, one clause a line, without comments: from the line of
    /// its name to the next line that starts another declaration.
    fn declaration(version: &Version, span: crate::syntax::Span) -> String {
        let start = version.source.get(..span.start).and_then(|before| before.rfind('\n')).map_or(0, |at| at + 1);
        let rest = version.source.get(start..).unwrap_or("");
        let mut lines = Vec::new();
        for (index, line) in rest.lines().enumerate() {
            let starts_declaration = !line.starts_with([' ', '\t']) && !line.trim().is_empty();
            if index > 0 && starts_declaration && !line.starts_with('#') {
                break;
            }
            let line = line.split(" #").next().unwrap_or(line).trim();
            if !line.is_empty() && !line.starts_with('#') {
                lines.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        lines.join("\n")
    }

    fn added(&self, kind: &str, name: &str, provenance: &Provenance) -> Change {
        let text = Some(Self::declaration(self.new, provenance.span));
        let new = Side { text, location: None };
        let old = Side { text: None, location: None };
        self.change(kind, name, Action::Added, "declaration", (None, Some(provenance)), old, new)
    }

    fn removed(&self, kind: &str, name: &str, provenance: &Provenance) -> Change {
        let text = Some(Self::declaration(self.old, provenance.span));
        let old = Side { text, location: None };
        let new = Side { text: None, location: None };
        self.change(kind, name, Action::Removed, "declaration", (Some(provenance), None), old, new)
    }

    fn entities(&self, changes: &mut Vec<Change>) {
        let (old, new) = (self.old.model, self.new.model);
        for entity in &new.entities {
            let Some(existing) = old.entities.iter().find(|existing| existing.name == entity.name) else {
                changes.push(self.added("entity", &entity.name, &entity.provenance));
                continue;
            };
            let key =
                |entity: &Entity| entity.fields.get(entity.key).map(|field| field.name.clone()).unwrap_or_default();
            if key(existing) != key(entity) {
                changes.push(self.change(
                    "entity",
                    &entity.name,
                    Action::Changed,
                    "key",
                    (Some(&existing.provenance), Some(&entity.provenance)),
                    Side { text: Some(key(existing)), location: None },
                    Side { text: Some(key(entity)), location: None },
                ));
            }
            for field in &entity.fields {
                let name = format!("{}.{}", entity.name, field.name);
                let new_side = |version: &Version, field: &Field| Side {
                    text: Some(field_text(version.model, field)),
                    location: Some(location_of(version, field.span)),
                };
                match existing.fields.iter().find(|candidate| candidate.name == field.name) {
                    None => changes.push(self.change(
                        "field",
                        &name,
                        Action::Added,
                        "declaration",
                        (None, None),
                        Side { text: None, location: None },
                        new_side(self.new, field),
                    )),
                    Some(old_field) => {
                        let (old_text, new_text) = (field_text(old, old_field), field_text(new, field));
                        if old_text != new_text {
                            changes.push(self.change(
                                "field",
                                &name,
                                Action::Changed,
                                "column",
                                (None, None),
                                new_side(self.old, old_field),
                                new_side(self.new, field),
                            ));
                        }
                    }
                }
            }
            for field in &existing.fields {
                if !entity.fields.iter().any(|candidate| candidate.name == field.name) {
                    changes.push(self.change(
                        "field",
                        &format!("{}.{}", entity.name, field.name),
                        Action::Removed,
                        "declaration",
                        (None, None),
                        Side { text: Some(field_text(old, field)), location: Some(location_of(self.old, field.span)) },
                        Side { text: None, location: None },
                    ));
                }
            }
        }
        for entity in &old.entities {
            if !new.entities.iter().any(|existing| existing.name == entity.name) {
                changes.push(self.removed("entity", &entity.name, &entity.provenance));
            }
        }
    }

    fn parameters(&self, changes: &mut Vec<Change>) {
        let (old, new) = (self.old.model, self.new.model);
        for parameter in &new.parameters {
            let Some(existing) = old.parameters.iter().find(|candidate| candidate.name == parameter.name) else {
                changes.push(self.added("parameter", &parameter.name, &parameter.provenance));
                continue;
            };
            let (old_text, new_text) = (parameter_text(old, existing), parameter_text(new, parameter));
            if old_text != new_text {
                let mut change = self.change(
                    "parameter",
                    &parameter.name,
                    Action::Changed,
                    "value",
                    (Some(&existing.provenance), Some(&parameter.provenance)),
                    Side { text: Some(old_text), location: None },
                    Side { text: Some(new_text), location: None },
                );
                if let (Some(Value::List(before)), Some(Value::List(after))) = (&existing.value, &parameter.value) {
                    let words = |model: &Model, parameter: &Parameter, items: &[Value]| -> Vec<String> {
                        let element = match &parameter.parameter_type {
                            Type::List(element) => element.as_ref().clone(),
                            other => other.clone(),
                        };
                        items.iter().map(|item| value_text(model, &element, item)).collect()
                    };
                    change.details = list_changes(&words(old, existing, before), &words(new, parameter, after));
                }
                changes.push(change);
            }
        }
        for parameter in &old.parameters {
            if !new.parameters.iter().any(|candidate| candidate.name == parameter.name) {
                changes.push(self.removed("parameter", &parameter.name, &parameter.provenance));
            }
        }
    }

    fn items(&self, changes: &mut Vec<Change>) {
        let (old, new) = (self.old.model, self.new.model);
        for item in &new.items {
            let keyword = item.kind.keyword();
            let Some(existing) = old.items.iter().find(|candidate| candidate.name == item.name) else {
                changes.push(self.added(keyword, &item.name, &item.provenance));
                continue;
            };
            let provenance = (Some(&existing.provenance), Some(&item.provenance));
            let side = |version: &Version, expression: Option<&TypedExpr>| Side {
                text: Some(
                    expression.map(|expression| Self::text(version, expression.span)).unwrap_or_else(|| "—".into()),
                ),
                location: expression.map(|expression| location_of(version, expression.span)),
            };
            if existing.kind.keyword() != keyword || !same_type(old, &existing.item_type, new, &item.item_type) {
                changes.push(self.change(
                    keyword,
                    &item.name,
                    Action::Changed,
                    "kind",
                    provenance,
                    Side {
                        text: Some(format!("{} : {}", existing.kind.keyword(), old.type_name(&existing.item_type))),
                        location: None,
                    },
                    Side { text: Some(format!("{keyword} : {}", new.type_name(&item.item_type))), location: None },
                ));
                continue;
            }
            let expressions = Expressions { old: (old, existing.entity), new: (new, item.entity) };
            if !expressions.same_option(existing.condition.as_ref(), item.condition.as_ref()) {
                changes.push(self.change(
                    keyword,
                    &item.name,
                    Action::Changed,
                    "condition",
                    provenance,
                    side(self.old, existing.condition.as_ref()),
                    side(self.new, item.condition.as_ref()),
                ));
            }
            match (&existing.kind, &item.kind) {
                (
                    ItemKind::Award { up_to: old_up_to, amount: old_amount, cap: old_cap },
                    ItemKind::Award { up_to, amount, cap },
                ) => {
                    if old_up_to != up_to || !expressions.same(old_amount, amount) {
                        let mut old_side = side(self.old, Some(old_amount));
                        let mut new_side = side(self.new, Some(amount));
                        if *old_up_to {
                            old_side.text = old_side.text.map(|text| format!("up to {text}"));
                        }
                        if *up_to {
                            new_side.text = new_side.text.map(|text| format!("up to {text}"));
                        }
                        changes.push(self.change(
                            keyword,
                            &item.name,
                            Action::Changed,
                            "amount",
                            provenance,
                            old_side,
                            new_side,
                        ));
                    }
                    if !expressions.same_option(old_cap.as_ref(), cap.as_ref()) {
                        changes.push(self.change(
                            keyword,
                            &item.name,
                            Action::Changed,
                            "cap",
                            provenance,
                            side(self.old, old_cap.as_ref()),
                            side(self.new, cap.as_ref()),
                        ));
                    }
                }
                (ItemKind::Table { keys: old_keys, rows: old_rows, .. }, ItemKind::Table { keys, rows, .. }) => {
                    let same_keys = old_keys.len() == keys.len()
                        && old_keys.iter().zip(keys).all(|(old_key, key)| expressions.same(old_key, key));
                    let old_rows_text: Vec<String> =
                        old_rows.iter().map(|row| Self::text(self.old, row.span)).collect();
                    let rows_text: Vec<String> = rows.iter().map(|row| Self::text(self.new, row.span)).collect();
                    let old_key_types: Vec<Type> = old_keys.iter().map(|key| key.expr_type.clone()).collect();
                    let key_types: Vec<Type> = keys.iter().map(|key| key.expr_type.clone()).collect();
                    let same_rows = old_rows.len() == rows.len()
                        && old_rows
                            .iter()
                            .zip(rows)
                            .all(|(old_row, row)| expressions.same_row(old_row, row, (&old_key_types, &key_types)));
                    if !same_keys || !same_rows {
                        let mut change = self.change(
                            keyword,
                            &item.name,
                            Action::Changed,
                            "rows",
                            provenance,
                            Side { text: Some(old_rows_text.join("; ")), location: None },
                            Side { text: Some(rows_text.join("; ")), location: None },
                        );
                        change.details = list_changes(&old_rows_text, &rows_text);
                        changes.push(change);
                    }
                }
                (ItemKind::Value { expr: old_expr, output: old_output }, ItemKind::Value { expr, output })
                    if !expressions.same(old_expr, expr) || old_output != output =>
                {
                    changes.push(self.change(
                        keyword,
                        &item.name,
                        Action::Changed,
                        "value",
                        provenance,
                        side(self.old, Some(old_expr)),
                        side(self.new, Some(expr)),
                    ));
                }
                _ => {}
            }
        }
        for item in &old.items {
            if !new.items.iter().any(|candidate| candidate.name == item.name) {
                changes.push(self.removed(item.kind.keyword(), &item.name, &item.provenance));
            }
        }
    }

    fn groups(&self, changes: &mut Vec<Change>) {
        let (old, new) = (self.old.model, self.new.model);
        let members = |model: &Model, group: &StackingGroup| -> Vec<String> {
            group.awards.iter().filter_map(|award| model.items.get(*award).map(|item| item.name.clone())).collect()
        };
        for group in &new.groups {
            match old.groups.iter().find(|candidate| candidate.name == group.name) {
                None => changes.push(self.added("no stacking", &group.name, &group.provenance)),
                Some(existing) => {
                    let (before, after) = (members(old, existing), members(new, group));
                    if before != after {
                        let mut change = self.change(
                            "no stacking",
                            &group.name,
                            Action::Changed,
                            "among",
                            (Some(&existing.provenance), Some(&group.provenance)),
                            Side { text: Some(before.join(", ")), location: None },
                            Side { text: Some(after.join(", ")), location: None },
                        );
                        change.details = list_changes(&before, &after);
                        changes.push(change);
                    }
                }
            }
        }
        for group in &old.groups {
            if !new.groups.iter().any(|candidate| candidate.name == group.name) {
                changes.push(self.removed("no stacking", &group.name, &group.provenance));
            }
        }
    }
}

fn location_of(version: &Version, span: crate::syntax::Span) -> Location {
    let place = line_column(version.source, span.start);
    Location { line: place.line, column: place.column }
}

/// What a field means for the data: its type, column, unit and blank rule.
fn field_text(model: &Model, field: &Field) -> String {
    let type_name = if field.count { "count".to_string() } else { model.type_name(&field.field_type) };
    let mut text = format!("{}: {type_name} from \"{}\"", field.name, field.column);
    if let Some(unit) = field.unit {
        text.push_str(&format!(" in {}", unit.symbol()));
    }
    if field.optional {
        text.push_str(" optional");
    }
    if !field.when_blank.is_unknown() {
        text.push_str(&format!(" blank means {}", value_text(model, &field.field_type, &field.when_blank)));
    }
    text
}

fn parameter_text(model: &Model, parameter: &Parameter) -> String {
    match &parameter.value {
        Some(value) => value_text(model, &parameter.parameter_type, value),
        None => "（未设定）".to_string(),
    }
}

/// `+ 浆纸包装`, `- 绿色建材`: what is in one list and not the other.
fn list_changes(before: &[String], after: &[String]) -> Vec<String> {
    let mut lines: Vec<String> =
        before.iter().filter(|item| !after.contains(item)).map(|item| format!("- {item}")).collect();
    lines.extend(after.iter().filter(|item| !before.contains(item)).map(|item| format!("+ {item}")));
    lines
}

fn same_type(old: &Model, old_type: &Type, new: &Model, new_type: &Type) -> bool {
    old.type_name(old_type) == new.type_name(new_type)
}

/// Compares expressions of the two versions by meaning: references by name, enum values by label.
struct Expressions<'a> {
    old: (&'a Model, usize),
    new: (&'a Model, usize),
}

impl Expressions<'_> {
    fn same_option(&self, old: Option<&TypedExpr>, new: Option<&TypedExpr>) -> bool {
        match (old, new) {
            (None, None) => true,
            (Some(old), Some(new)) => self.same(old, new),
            _ => false,
        }
    }

    fn same(&self, old: &TypedExpr, new: &TypedExpr) -> bool {
        let ((old_model, old_entity), (new_model, new_entity)) = (self.old, self.new);
        if !same_type(old_model, &old.expr_type, new_model, &new.expr_type) {
            return false;
        }
        let field_name = |model: &Model, entity: usize, index: usize| {
            model.entities.get(entity).and_then(|entity| entity.fields.get(index)).map(|field| field.name.clone())
        };
        use TypedExprKind as Kind;
        match (&old.kind, &new.kind) {
            (Kind::Constant(old_value), Kind::Constant(new_value)) => {
                value_text(old_model, &old.expr_type, old_value) == value_text(new_model, &new.expr_type, new_value)
            }
            (Kind::Field(old_index), Kind::Field(new_index)) => {
                field_name(old_model, old_entity, *old_index) == field_name(new_model, new_entity, *new_index)
            }
            (Kind::Parameter(old_index), Kind::Parameter(new_index)) => {
                old_model.parameters.get(*old_index).map(|parameter| &parameter.name)
                    == new_model.parameters.get(*new_index).map(|parameter| &parameter.name)
            }
            (Kind::Item(old_index), Kind::Item(new_index)) => {
                old_model.items.get(*old_index).map(|item: &Item| &item.name)
                    == new_model.items.get(*new_index).map(|item: &Item| &item.name)
            }
            (Kind::AsOf, Kind::AsOf) => true,
            (Kind::List(old_parts), Kind::List(new_parts)) => self.same_all(old_parts, new_parts),
            (Kind::Not(old_inner), Kind::Not(new_inner)) | (Kind::Negate(old_inner), Kind::Negate(new_inner)) => {
                self.same(old_inner, new_inner)
            }
            (
                Kind::Connective { connective: old_connective, parts: old_parts },
                Kind::Connective { connective, parts },
            ) => old_connective == connective && self.same_all(old_parts, parts),
            (
                Kind::Binary { operator: old_operator, left: old_left, right: old_right },
                Kind::Binary { operator, left, right },
            ) => old_operator == operator && self.same(old_left, left) && self.same(old_right, right),
            (
                Kind::Compare { operator: old_operator, left: old_left, right: old_right },
                Kind::Compare { operator, left, right },
            ) => old_operator == operator && self.same(old_left, left) && self.same(old_right, right),
            (Kind::Call { function: old_function, arguments: old_arguments }, Kind::Call { function, arguments }) => {
                old_function == function && self.same_all(old_arguments, arguments)
            }
            _ => false,
        }
    }

    fn same_all(&self, old: &[TypedExpr], new: &[TypedExpr]) -> bool {
        old.len() == new.len() && old.iter().zip(new).all(|(old, new)| self.same(old, new))
    }

    /// Rows compare by pattern and result; key values as people write them (labels, amounts).
    fn same_row(&self, old: &Row, new: &Row, key_types: (&[Type], &[Type])) -> bool {
        let ((old_model, _), (new_model, _)) = (self.old, self.new);
        let patterns = match (&old.pattern, &new.pattern) {
            (Pattern::Otherwise, Pattern::Otherwise) => true,
            (Pattern::Key(old_values), Pattern::Key(new_values)) => {
                let old_words: Vec<String> = old_values
                    .iter()
                    .zip(key_types.0)
                    .map(|(value, value_type)| value_text(old_model, value_type, value))
                    .collect();
                let new_words: Vec<String> = new_values
                    .iter()
                    .zip(key_types.1)
                    .map(|(value, value_type)| value_text(new_model, value_type, value))
                    .collect();
                old_words == new_words
            }
            (Pattern::Range { lower: old_lower, upper: old_upper }, Pattern::Range { lower, upper }) => {
                let same_bound =
                    |old: &Option<crate::check::TypedBound>, new: &Option<crate::check::TypedBound>| match (old, new) {
                        (None, None) => true,
                        (Some(old), Some(new)) => old.inclusive == new.inclusive && self.same(&old.limit, &new.limit),
                        _ => false,
                    };
                same_bound(old_lower, lower) && same_bound(old_upper, upper)
            }
            (Pattern::Condition(old_condition), Pattern::Condition(condition)) => self.same(old_condition, condition),
            _ => false,
        };
        patterns && self.same(&old.result, &new.result)
    }
}
