//! What `policy fmt` must keep, checked apart from how it formats: the meaning (the semantic
//! diff of the two checked models is empty, and `check` says the same things) and the comments
//! (the same text, in the same order). Shared by `tests/fmt.rs` and `tests/properties.rs`.

use policy::diagnostic::Severity;

/// Panics, naming `name`, unless `after` means what `before` means.
pub fn assert_same_meaning(name: &str, before: &str, after: &str) {
    let (before_model, before_said) = checked(before);
    let (after_model, after_said) = checked(after);
    assert_eq!(before_said, after_said, "{name}: `check` says something else after formatting");
    let old = policy::diff::Version { path: "before", source: before, model: &before_model };
    let new = policy::diff::Version { path: "after", source: after, model: &after_model };
    let changes = policy::diff::diff(&old, &new);
    assert!(changes.is_empty(), "{name}: formatting changed the meaning: {changes:#?}");
}

/// The checked model, and what `check` says: each diagnostic's severity, code and message
/// (their spans move with the layout).
fn checked(source: &str) -> (policy::check::Model, Vec<(Severity, &'static str, String)>) {
    let (file, mut diagnostics) = policy::syntax::parse(source);
    let checked = policy::check::check(&file);
    diagnostics.extend(checked.diagnostics);
    let said = diagnostics.into_iter().map(|found| (found.severity, found.code, found.message)).collect();
    (checked.model, said)
}

/// The comments of a policy as a reader finds them: a `#` outside quoted text, to the end of
/// its line, without the spaces that end the line. Written apart from `fmt`'s own scanner on
/// purpose, so that the two check each other.
pub fn comments(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let mut in_text = false;
        let mut escaped = false;
        for (offset, character) in line.char_indices() {
            match (in_text, escaped, character) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => in_text = !in_text,
                (false, _, '#') => {
                    found.push(line[offset..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    found
}
