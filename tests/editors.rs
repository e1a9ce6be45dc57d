//! The VS Code extension in `editors/vscode/`: its manifest and configuration parse and name
//! files that exist, and its TextMate grammar highlights every keyword of `grammar/policy.pest`
//! — read from the pest grammar itself, so that the two cannot drift apart — and every literal
//! form. The grammar is run line by line as an editor runs it: at each position the pattern
//! matching leftmost wins, the first listed on a tie.

use regex::Regex;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::Path;

const EXTENSION: &str = "editors/vscode";
const GRAMMAR: &str = "editors/vscode/syntaxes/policy.tmLanguage.json";

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn json(path: &str) -> Json {
    serde_json::from_str(&read(path)).unwrap_or_else(|error| panic!("{path} is not JSON: {error}"))
}

/// The reserved words of the pest grammar: the `keyword` rule's list, which must be exactly the
/// words of the `kw_…` rules.
fn pest_keywords() -> BTreeSet<String> {
    let pest = read("grammar/policy.pest");
    let list_start = pest.find("\nkeyword = @{").expect("a `keyword` rule");
    let list = &pest[list_start..list_start + pest[list_start..].find("\n}").expect("the end of `keyword`")];
    let quoted = Regex::new(r#""([a-z_]+)""#).unwrap();
    let listed: BTreeSet<String> = quoted.captures_iter(list).map(|found| found[1].to_string()).collect();
    let rule = Regex::new(r#"(?m)^kw_\w+\s*=\s*@\{\s*"([a-z_]+)""#).unwrap();
    let ruled: BTreeSet<String> = rule.captures_iter(&pest).map(|found| found[1].to_string()).collect();
    assert_eq!(listed, ruled, "the `keyword` list and the kw_ rules of grammar/policy.pest differ");
    assert!(listed.len() > 40, "only {} keywords read from the pest grammar", listed.len());
    listed
}

/// The keywords that start a declaration, from the pest rule `declaration_kind`.
fn pest_declaration_keywords() -> BTreeSet<String> {
    let pest = read("grammar/policy.pest");
    let rule = pest.lines().find(|line| line.starts_with("declaration_kind")).expect("a `declaration_kind` rule");
    let keyword = Regex::new(r"kw_(\w+)").unwrap();
    let found: BTreeSet<String> = keyword.captures_iter(rule).map(|found| found[1].to_string()).collect();
    assert!(found.contains("rule") && found.contains("policy"), "{rule}");
    found
}

/// The words of `no stacking`, from its pest rule.
fn pest_no_stacking() -> String {
    let pest = read("grammar/policy.pest");
    let rule = pest.lines().find(|line| line.starts_with("no_stacking")).expect("a `no_stacking` rule");
    let word = Regex::new(r#""(\w+)""#).unwrap();
    let words: Vec<&str> = word.captures_iter(rule).map(|found| found.get(1).unwrap().as_str()).collect();
    assert_eq!(words.len(), 2, "{rule}");
    words.join(" ")
}

/// One pattern of the TextMate grammar, its regular expression compiled.
struct Pattern {
    regex: Regex,
    name: Option<String>,
    captures: Vec<(usize, String)>,
    /// For a `begin`/`end` pattern (strings): where it ends, and what inside it comes first
    /// (escapes, so that `\"` does not end a string).
    end: Option<(Regex, Vec<Regex>)>,
}

fn compile(expression: &str) -> Regex {
    Regex::new(expression).unwrap_or_else(|error| panic!("{GRAMMAR}: {expression:?} does not compile: {error}"))
}

fn scope_names(captures: Option<&Json>) -> Vec<(usize, String)> {
    let Some(Json::Object(captures)) = captures else { return Vec::new() };
    captures
        .iter()
        .map(|(group, scope)| (group.parse().unwrap(), scope["name"].as_str().unwrap().to_string()))
        .collect()
}

/// The patterns in the order an editor tries them, includes resolved.
fn patterns(grammar: &Json, list: &Json, into: &mut Vec<Pattern>) {
    for entry in list.as_array().unwrap() {
        collect(grammar, entry, into);
    }
}

fn collect(grammar: &Json, entry: &Json, into: &mut Vec<Pattern>) {
    if let Some(include) = entry["include"].as_str() {
        let name = include.strip_prefix('#').unwrap_or_else(|| panic!("unexpected include {include}"));
        let rule = &grammar["repository"][name];
        assert!(rule.is_object(), "{GRAMMAR}: #{name} is not in the repository");
        return collect(grammar, rule, into);
    }
    let name = entry["name"].as_str().map(str::to_string);
    if let Some(expression) = entry["match"].as_str() {
        into.push(Pattern {
            regex: compile(expression),
            name,
            captures: scope_names(entry.get("captures")),
            end: None,
        });
    } else if let Some(begin) = entry["begin"].as_str() {
        let end = compile(entry["end"].as_str().unwrap());
        let inside = entry["patterns"].as_array().map(Vec::as_slice).unwrap_or_default();
        let inside = inside.iter().map(|inner| compile(inner["match"].as_str().unwrap())).collect();
        into.push(Pattern { regex: compile(begin), name, captures: Vec::new(), end: Some((end, inside)) });
    } else {
        patterns(grammar, &entry["patterns"], into);
    }
}

fn grammar_patterns() -> Vec<Pattern> {
    let grammar = json(GRAMMAR);
    let mut found = Vec::new();
    patterns(&grammar, &grammar["patterns"], &mut found);
    found
}

/// A highlighted piece of a line: its byte range and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    start: usize,
    end: usize,
    scope: String,
}

/// Runs the grammar over one line.
fn tokens(patterns: &[Pattern], line: &str) -> Vec<Token> {
    let mut found = Vec::new();
    let mut position = 0;
    while position < line.len() {
        let best = patterns
            .iter()
            .filter_map(|pattern| pattern.regex.captures_at(line, position).map(|captures| (pattern, captures)))
            .min_by_key(|(_, captures)| captures.get(0).unwrap().start());
        let Some((pattern, captures)) = best else { break };
        let whole = captures.get(0).unwrap();
        let mut end = whole.end();
        if let Some((end_pattern, inside)) = &pattern.end {
            end = region_end(line, whole.end(), end_pattern, inside);
        }
        if let Some(scope) = &pattern.name {
            found.push(Token { start: whole.start(), end, scope: scope.clone() });
        }
        for (group, scope) in &pattern.captures {
            if let Some(part) = captures.get(*group) {
                found.push(Token { start: part.start(), end: part.end(), scope: scope.clone() });
            }
        }
        position = if end > position { end } else { next_char(line, position) };
    }
    found
}

/// Where a `begin`/`end` region that starts at `position` ends: at the end pattern, unless a
/// pattern inside the region matches further left (the end pattern wins a tie).
fn region_end(line: &str, mut position: usize, end_pattern: &Regex, inside: &[Regex]) -> usize {
    loop {
        let Some(closing) = end_pattern.find_at(line, position) else { return line.len() };
        let inner = inside
            .iter()
            .filter_map(|pattern| pattern.find_at(line, position))
            .filter(|found| found.start() < closing.start() && found.end() > found.start())
            .min_by_key(|found| found.start());
        match inner {
            Some(found) => position = found.end(),
            None => return closing.end(),
        }
    }
}

fn next_char(line: &str, position: usize) -> usize {
    line[position..].chars().next().map_or(line.len(), |character| position + character.len_utf8())
}

/// The scopes given to exactly `line[start..end]`.
fn scopes_of(patterns: &[Pattern], line: &str, start: usize, end: usize) -> Vec<String> {
    tokens(patterns, line)
        .into_iter()
        .filter(|token| token.start == start && token.end == end)
        .map(|token| token.scope)
        .collect()
}

fn is_keyword_scope(scope: &str) -> bool {
    ["keyword.", "storage.", "support.", "constant.language.", "variable.language."]
        .iter()
        .any(|prefix| scope.starts_with(prefix))
}

#[test]
fn every_keyword_of_the_pest_grammar_is_highlighted() {
    let patterns = grammar_patterns();
    let mut missing = Vec::new();
    let declaration_keywords = pest_declaration_keywords();
    for keyword in pest_keywords() {
        // At the start of a line, where declarations begin; the other keywords also after a
        // clause's indentation.
        for (line, start) in [(format!("{keyword} name"), 0), (format!("  {keyword} name"), 2)] {
            if start > 0 && declaration_keywords.contains(&keyword) {
                continue;
            }
            let scopes = scopes_of(&patterns, &line, start, start + keyword.len());
            if !scopes.iter().any(|scope| is_keyword_scope(scope)) {
                missing.push(format!("{keyword:?} in {line:?}: {scopes:?}"));
            }
        }
    }
    let no_stacking = pest_no_stacking();
    let line = format!("{no_stacking} honour_awards");
    if !scopes_of(&patterns, &line, 0, no_stacking.len()).iter().any(|scope| is_keyword_scope(scope)) {
        missing.push(format!("{no_stacking:?}"));
    }
    assert!(missing.is_empty(), "keywords the TextMate grammar does not highlight:\n{}", missing.join("\n"));
}

#[test]
fn keywords_inside_names_are_not_highlighted() {
    let patterns = grammar_patterns();
    for keyword in pest_keywords() {
        let line = format!("  when x_{keyword} and {keyword}_y");
        let first = line.find("x_").unwrap();
        let second = line.rfind(&format!("{keyword}_y")).unwrap();
        for (start, end) in [(first, first + keyword.len() + 2), (second, second + keyword.len() + 2)] {
            let scopes = scopes_of(&patterns, &line, start, end);
            assert_eq!(scopes, ["variable.other.policy"], "{:?} in {line:?}", &line[start..end]);
        }
    }
}

#[test]
fn literals_are_highlighted_whole() {
    let patterns = grammar_patterns();
    let cases = [
        ("900万元", "constant.numeric.money.policy"),
        ("1.5亿元", "constant.numeric.money.policy"),
        ("500元", "constant.numeric.money.policy"),
        ("50%", "constant.numeric.percent.policy"),
        ("2022-03-23", "constant.numeric.date.policy"),
        ("2 years", "constant.numeric.duration.policy"),
        ("1 month", "constant.numeric.duration.policy"),
        ("6个月", "constant.numeric.duration.policy"),
        ("60", "constant.numeric.policy"),
        ("0.5", "constant.numeric.policy"),
        ("true", "constant.language.boolean.policy"),
        ("\"日照市“专精特新”中小企业\"", "string.quoted.double.policy"),
        ("\"say \\\"#1\\\"\"", "string.quoted.double.policy"),
    ];
    for (literal, scope) in cases {
        let line = format!("  when x >= {literal}, y # a note");
        let start = line.find(literal).unwrap();
        let scopes = scopes_of(&patterns, &line, start, start + literal.len());
        assert!(scopes.iter().any(|found| found == scope), "{literal:?} in {line:?}: {scopes:?}");
        let comment = line.rfind('#').unwrap();
        assert_eq!(scopes_of(&patterns, &line, comment, line.len()), ["comment.line.number-sign.policy"], "{line:?}");
    }
}

#[test]
fn declarations_highlight_their_names() {
    let patterns = grammar_patterns();
    let cases = [
        ("rule 小微企业 for 企业", "小微企业", "entity.name.function.policy"),
        ("output value score for applicant: integer = a + b", "score", "entity.name.function.policy"),
        ("parameter revenue_floor: money = 900万元", "revenue_floor", "variable.other.constant.policy"),
        ("enum enterprise_size", "enterprise_size", "entity.name.type.policy"),
        ("no stacking honour_awards", "honour_awards", "entity.name.function.policy"),
    ];
    for (line, name, scope) in cases {
        let start = line.find(name).unwrap();
        assert_eq!(scopes_of(&patterns, line, start, start + name.len()), [scope], "{line:?}");
    }
}

/// Every line of the real policies: the grammar runs, and each declaration's keyword is highlighted.
#[test]
fn the_real_policies_highlight() {
    let patterns = grammar_patterns();
    for path in ["policies/rizhao-2022.policy", "policies/innovative-sme.policy"] {
        for line in read(path).lines() {
            let found = tokens(&patterns, line);
            let Some(word) = line.split_whitespace().next() else { continue };
            if line.starts_with(|character: char| character.is_ascii_lowercase()) {
                let scopes: Vec<&str> =
                    found.iter().filter(|token| token.start == 0).map(|token| token.scope.as_str()).collect();
                assert!(scopes.iter().any(|scope| is_keyword_scope(scope)), "{path}: {word:?} in {line:?}: {scopes:?}");
            }
        }
    }
}

#[test]
fn the_extension_manifest_names_its_parts() {
    let manifest = json(&format!("{EXTENSION}/package.json"));
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "policy");
    assert_eq!(language["extensions"], serde_json::json!([".policy"]));
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["language"], "policy");
    assert_eq!(grammar["scopeName"], json(GRAMMAR)["scopeName"]);
    assert!(manifest["activationEvents"].as_array().unwrap().contains(&"onLanguage:policy".into()));
    let server_path = &manifest["contributes"]["configuration"]["properties"]["policy.serverPath"];
    assert_eq!(server_path["default"], "policy");
    assert!(manifest["dependencies"]["vscode-languageclient"].is_string());
    for file in [&manifest["main"], &language["configuration"], &grammar["path"]] {
        let path = Path::new(EXTENSION).join(file.as_str().unwrap());
        assert!(path.is_file(), "{} is named in package.json but missing", path.display());
    }
    let configuration = json(&format!("{EXTENSION}/language-configuration.json"));
    assert_eq!(configuration["comments"]["lineComment"], "#");
    let extension = read(&format!("{EXTENSION}/extension.js"));
    assert!(extension.contains(r#"args: ["lsp"]"#) && extension.contains(r#"getConfiguration("policy")"#));
}
