//! Where every name of a policy is declared and used: the index behind hover, go to definition
//! and find references.
//!
//! The checked model knows what each name in an expression resolved to (typed expressions keep
//! their span and the index they refer to), so uses are taken from it. What the model does not
//! keep with a span — `for ENTITY`, type names, `key`, `among`, labels in a parameter's value or a
//! table's key rows, names inside an expression the checker rejected — is read from the AST and
//! looked up the way the checker does: a field of the declaration's entity first, then the
//! top-level names, the first declaration of a name winning.

use crate::check::{ItemKind, Model, Type, TypedExprKind};
use crate::syntax::{
    ClauseKind, Declaration, Expr, ExprKind, LiteralKind, PolicyFile, RowPattern, Span, TypeExpr, TypeExprKind,
};
use crate::value::Value;
use std::collections::{HashMap, HashSet};

/// Something a name refers to, by its index in the [`Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Enum(usize),
    /// A label of an enum: the enum and the label's position in its `values`.
    Label {
        enumeration: usize,
        label: usize,
    },
    Entity(usize),
    Field {
        entity: usize,
        field: usize,
    },
    Parameter(usize),
    /// A rule, decision, award, benefit, table or value.
    Item(usize),
    /// A no-stacking group.
    Group(usize),
}

/// One place in the text where a name is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub target: Target,
    /// The name as declared, rather than a use of it.
    pub declaration: bool,
}

/// Every occurrence of every name of one policy text, in text order.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    occurrences: Vec<Occurrence>,
}

impl Symbols {
    pub fn new(file: &PolicyFile, model: &Model) -> Symbols {
        let mut builder =
            Builder { model, names: top_level_names(model), occurrences: Vec::new(), uses: HashSet::new() };
        builder.declarations();
        builder.typed_uses();
        for declaration in &file.declarations {
            builder.written_uses(declaration);
        }
        let mut occurrences = builder.occurrences;
        occurrences.sort_by_key(|occurrence| (occurrence.span, !occurrence.declaration));
        occurrences.dedup_by_key(|occurrence| occurrence.span);
        Symbols { occurrences }
    }

    /// The innermost occurrence at a byte offset; a cursor just after a name is still on it.
    pub fn at(&self, offset: usize) -> Option<Occurrence> {
        self.occurrences
            .iter()
            .filter(|occurrence| occurrence.span.start <= offset && offset <= occurrence.span.end)
            .min_by_key(|occurrence| occurrence.span.end - occurrence.span.start)
            .copied()
    }

    /// Where a target is declared (the first declaration when a name is declared twice).
    pub fn declaration(&self, target: Target) -> Option<Span> {
        self.occurrences
            .iter()
            .find(|occurrence| occurrence.declaration && occurrence.target == target)
            .map(|occurrence| occurrence.span)
    }

    /// Every place a target is written, in text order; its declaration only when asked for.
    pub fn references(&self, target: Target, include_declaration: bool) -> Vec<Span> {
        self.occurrences
            .iter()
            .filter(|occurrence| occurrence.target == target && (include_declaration || !occurrence.declaration))
            .map(|occurrence| occurrence.span)
            .collect()
    }

    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }
}

/// The target of each top-level name; when a name is declared twice, the first in the text, as
/// the checker resolves it.
fn top_level_names(model: &Model) -> HashMap<&str, Target> {
    let mut declared: Vec<(Span, &str, Target)> = Vec::new();
    declared.extend(
        model
            .enums
            .iter()
            .enumerate()
            .map(|(index, definition)| (definition.provenance.span, definition.name.as_str(), Target::Enum(index))),
    );
    declared.extend(
        model
            .entities
            .iter()
            .enumerate()
            .map(|(index, entity)| (entity.provenance.span, entity.name.as_str(), Target::Entity(index))),
    );
    declared.extend(
        model
            .parameters
            .iter()
            .enumerate()
            .map(|(index, parameter)| (parameter.provenance.span, parameter.name.as_str(), Target::Parameter(index))),
    );
    declared.extend(
        model
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| (item.provenance.span, item.name.as_str(), Target::Item(index))),
    );
    declared.extend(
        model
            .groups
            .iter()
            .enumerate()
            .map(|(index, group)| (group.provenance.span, group.name.as_str(), Target::Group(index))),
    );
    declared.sort_by_key(|(span, _, _)| *span);
    let mut names = HashMap::new();
    for (_, name, target) in declared {
        names.entry(name).or_insert(target);
    }
    names
}

struct Builder<'a> {
    model: &'a Model,
    names: HashMap<&'a str, Target>,
    occurrences: Vec<Occurrence>,
    /// Spans of the uses already found, so that a name is not added twice.
    uses: HashSet<Span>,
}

impl Builder<'_> {
    fn add(&mut self, span: Span, target: Target, declaration: bool) {
        if !declaration && !self.uses.insert(span) {
            return;
        }
        self.occurrences.push(Occurrence { span, target, declaration });
    }

    /// The declared names, from the model.
    fn declarations(&mut self) {
        let model = self.model;
        for (index, definition) in model.enums.iter().enumerate() {
            self.add(definition.provenance.span, Target::Enum(index), true);
        }
        for (index, entity) in model.entities.iter().enumerate() {
            self.add(entity.provenance.span, Target::Entity(index), true);
            for (field, definition) in entity.fields.iter().enumerate() {
                self.add(definition.span, Target::Field { entity: index, field }, true);
            }
        }
        for (index, parameter) in model.parameters.iter().enumerate() {
            self.add(parameter.provenance.span, Target::Parameter(index), true);
        }
        for (index, item) in model.items.iter().enumerate() {
            self.add(item.provenance.span, Target::Item(index), true);
        }
        for (index, group) in model.groups.iter().enumerate() {
            self.add(group.provenance.span, Target::Group(index), true);
        }
    }

    /// Names and labels in the items' typed expressions, as the checker resolved them.
    fn typed_uses(&mut self) {
        let model = self.model;
        for item in &model.items {
            if model.entities.get(item.entity).is_none() {
                continue;
            }
            let mut found = Vec::new();
            for expression in Model::item_expressions(item) {
                expression.walk(&mut |node| {
                    let target = match (&node.kind, &node.expr_type) {
                        (TypedExprKind::Field(field), _) => Target::Field { entity: item.entity, field: *field },
                        (TypedExprKind::Parameter(index), _) => Target::Parameter(*index),
                        (TypedExprKind::Item(index), _) => Target::Item(*index),
                        (TypedExprKind::Constant(Value::Enum(label)), Type::Enum(enumeration)) => {
                            Target::Label { enumeration: *enumeration, label: *label as usize }
                        }
                        _ => return,
                    };
                    found.push((node.span, target));
                });
            }
            for (span, target) in found {
                self.add(span, target, false);
            }
        }
    }

    /// The model entry a declaration made, found by its name's span.
    fn declared_by(&self, declaration: &Declaration) -> Option<Target> {
        self.occurrences
            .iter()
            .find(|occurrence| occurrence.declaration && occurrence.span == declaration.name.span)
            .map(|occurrence| occurrence.target)
    }

    /// What the model keeps no span for, read from the declaration as written.
    fn written_uses(&mut self, declaration: &Declaration) {
        let declared = self.declared_by(declaration);
        let entity = match (declared, &declaration.entity) {
            (Some(Target::Entity(entity)), _) => Some(entity),
            (_, Some(name)) => match self.names.get(name.text.as_str()).copied() {
                Some(Target::Entity(entity)) => {
                    self.add(name.span, Target::Entity(entity), false);
                    Some(entity)
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(declared_type) = &declaration.declared_type {
            self.type_uses(declared_type);
        }
        if let Some(value) = &declaration.value {
            if let Some(Target::Parameter(index)) = declared {
                let parameter_type = self.model.parameters.get(index).map(|parameter| parameter.parameter_type.clone());
                self.label_uses(value, parameter_type.as_ref());
            }
            self.name_uses(value, entity);
        }
        let mut labels_declared = HashSet::new();
        for clause in &declaration.clauses {
            match &clause.kind {
                ClauseKind::Field(field) => {
                    self.type_uses(&field.field_type);
                    if let Some(blank_means) = &field.blank_means {
                        let field_type = self.field_type_at(entity, field.name.span);
                        self.label_uses(blank_means, field_type.as_ref());
                    }
                }
                ClauseKind::Key(name) => {
                    let field = entity.and_then(|entity| self.field_named(entity, &name.text));
                    if let (Some(entity), Some(field)) = (entity, field) {
                        self.add(name.span, Target::Field { entity, field }, false);
                    }
                }
                ClauseKind::Among(names) => {
                    for name in names {
                        if let Some(target) = self.names.get(name.text.as_str()).copied() {
                            self.add(name.span, target, false);
                        }
                    }
                }
                ClauseKind::Values(labels) => {
                    let Some(Target::Enum(enumeration)) = declared else { continue };
                    for text in labels {
                        let Some(label) = self.label_index(enumeration, &text.text) else { continue };
                        // A label listed twice is declared by its first listing.
                        let first = labels_declared.insert(label);
                        self.add(text.span, Target::Label { enumeration, label }, first);
                    }
                }
                ClauseKind::When(expression) => self.name_uses(expression, entity),
                ClauseKind::Pays { amount, cap, .. } => {
                    self.name_uses(amount, entity);
                    if let Some(cap) = cap {
                        self.name_uses(cap, entity);
                    }
                }
                ClauseKind::By(keys) => keys.iter().for_each(|key| self.name_uses(key, entity)),
                ClauseKind::Row(row) => {
                    match &row.pattern {
                        RowPattern::Key(literals) => self.key_row_labels(declared, literals),
                        RowPattern::Range { lower, upper } => {
                            for bound in lower.iter().chain(upper.iter()) {
                                self.name_uses(&bound.limit, entity);
                            }
                        }
                        RowPattern::Condition(condition) => self.name_uses(condition, entity),
                        RowPattern::Otherwise => {}
                    }
                    self.name_uses(&row.result, entity);
                }
                ClauseKind::Label(_)
                | ClauseKind::Cite { .. }
                | ClauseKind::Reading(_)
                | ClauseKind::Document(_)
                | ClauseKind::Issued(_)
                | ClauseKind::InForce { .. } => {}
            }
        }
    }

    /// Enum names in a written type.
    fn type_uses(&mut self, written: &TypeExpr) {
        match &written.kind {
            TypeExprKind::Named(name) => {
                if let Some(target @ Target::Enum(_)) = self.names.get(name.as_str()).copied() {
                    self.add(written.span, target, false);
                }
            }
            TypeExprKind::List(element) => self.type_uses(element),
            TypeExprKind::Money { .. } => {}
        }
    }

    /// Quoted labels in a constant of an enum type (or a list of one).
    fn label_uses(&mut self, constant: &Expr, constant_type: Option<&Type>) {
        let enumeration = match constant_type {
            Some(Type::Enum(enumeration)) => *enumeration,
            Some(Type::List(element)) => match element.as_ref() {
                Type::Enum(enumeration) => *enumeration,
                _ => return,
            },
            _ => return,
        };
        walk(constant, &mut |expression| {
            if let ExprKind::Literal(literal) = &expression.kind {
                if let LiteralKind::Text(text) = &literal.kind {
                    if let Some(label) = self.label_index(enumeration, text) {
                        self.add(literal.span, Target::Label { enumeration, label }, false);
                    }
                }
            }
        });
    }

    /// Labels in a key row of a table, typed by the table's `by` keys.
    fn key_row_labels(&mut self, declared: Option<Target>, literals: &[crate::syntax::Literal]) {
        let Some(Target::Item(index)) = declared else { return };
        let Some(ItemKind::Table { keys, .. }) = self.model.items.get(index).map(|item| &item.kind) else { return };
        let key_types: Vec<Type> = keys.iter().map(|key| key.expr_type.clone()).collect();
        for (literal, key_type) in literals.iter().zip(key_types) {
            if let (LiteralKind::Text(text), Type::Enum(enumeration)) = (&literal.kind, key_type) {
                if let Some(label) = self.label_index(enumeration, text) {
                    self.add(literal.span, Target::Label { enumeration, label }, false);
                }
            }
        }
    }

    /// Names in an expression that the model did not give (the checker drops what is inside an
    /// expression it rejected), resolved as the checker does.
    fn name_uses(&mut self, expression: &Expr, entity: Option<usize>) {
        let mut found = Vec::new();
        walk(expression, &mut |node| {
            if let ExprKind::Name(name) = &node.kind {
                if !self.uses.contains(&node.span) {
                    let field = entity.and_then(|entity| self.field_named(entity, name).map(|field| (entity, field)));
                    let target = match field {
                        Some((entity, field)) => Some(Target::Field { entity, field }),
                        None => self.names.get(name.as_str()).copied(),
                    };
                    if let Some(target) = target {
                        found.push((node.span, target));
                    }
                }
            }
        });
        for (span, target) in found {
            self.add(span, target, false);
        }
    }

    fn field_named(&self, entity: usize, name: &str) -> Option<usize> {
        self.model.entities.get(entity)?.fields.iter().position(|field| field.name == name)
    }

    /// The type of the field declared at a name span.
    fn field_type_at(&self, entity: Option<usize>, span: Span) -> Option<Type> {
        let fields = &self.model.entities.get(entity?)?.fields;
        fields.iter().find(|field| field.span == span).map(|field| field.field_type.clone())
    }

    fn label_index(&self, enumeration: usize, text: &str) -> Option<usize> {
        self.model.enums.get(enumeration)?.labels.iter().position(|label| label == text)
    }
}

/// Visits an expression as written and every sub-expression, parents first.
fn walk(expression: &Expr, visit: &mut dyn FnMut(&Expr)) {
    visit(expression);
    match &expression.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::AsOf => {}
        ExprKind::Not(inner) | ExprKind::Negate(inner) => walk(inner, visit),
        ExprKind::List(parts) | ExprKind::Connective { parts, .. } | ExprKind::Call { arguments: parts, .. } => {
            parts.iter().for_each(|part| walk(part, visit))
        }
        ExprKind::Binary { left, right, .. } | ExprKind::Compare { left, right, .. } => {
            walk(left, visit);
            walk(right, visit);
        }
    }
}
