//! The language server, `policy lsp`. First its pure parts in process — positions in UTF-16,
//! hover texts, definitions and references on the real policies — then the real binary driven
//! over standard input and output, with JSON-RPC in Content-Length frames, as an editor drives it.

use lsp_types::{Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent};
use policy::lsp::{apply_changes, Document, Encoding, LineIndex};
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const RIZHAO: &str = "policies/rizhao-2022.policy";
const INNOVATIVE_SME: &str = "policies/innovative-sme.policy";

/// A policy with Chinese text on every line before its one mistake, and on the mistake's line
/// before the misspelt name: `registerd_in` is at UTF-16 column 15 but byte column 21.
const BROKEN: &str = r#"policy "日照市测试政策"
  in force from 2022-01-01 to 2022-12-31
  cite "一" "本办法自2022年1月1日起施行"

entity firm
  label "企业"
  key id
  field id: text from "统一社会信用代码"
  field registered_in: text from "注册地"

decision in_rizhao for firm
  label "在我市登记注册"
  cite "二" "在我市登记注册"
  when "日照市" = registerd_in
"#;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// The byte offset marked by `¦` in `context`, which must occur exactly once in `source`.
fn offset_at(source: &str, context: &str) -> usize {
    let (before, after) = context.split_once('¦').unwrap_or_else(|| panic!("no ¦ in {context:?}"));
    let whole = format!("{before}{after}");
    let found: Vec<usize> = source.match_indices(&whole).map(|(offset, _)| offset).collect();
    assert_eq!(found.len(), 1, "{whole:?} occurs {} times", found.len());
    found[0] + before.len()
}

/// The LSP position (UTF-16 columns) of a byte offset, counted independently of the server.
fn utf16_position(source: &str, offset: usize) -> Position {
    let before = &source[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Position::new(line as u32, before[line_start..].encode_utf16().count() as u32)
}

fn at(source: &str, context: &str) -> Position {
    utf16_position(source, offset_at(source, context))
}

/// The text a range covers, counting UTF-16 columns independently of the server.
fn text_of(source: &str, range: Range) -> String {
    let offset = |position: Position| {
        let line_start: usize = source.split_inclusive('\n').take(position.line as usize).map(str::len).sum();
        let line = &source[line_start..];
        let mut units = 0;
        for (offset, character) in line.char_indices() {
            if units >= position.character as usize {
                return line_start + offset;
            }
            units += character.len_utf16();
        }
        source.len()
    };
    source[offset(range.start)..offset(range.end)].to_string()
}

/// How often `name` is written as a whole word outside comments and quoted text.
fn word_count(source: &str, name: &str) -> usize {
    let mut code = String::new();
    for line in source.lines() {
        let mut in_string = false;
        let mut escaped = false;
        for character in line.chars() {
            match (in_string, character) {
                (false, '#') => break,
                (false, '"') => in_string = true,
                (true, '\\') if !escaped => {
                    escaped = true;
                    continue;
                }
                (true, '"') if !escaped => in_string = false,
                (false, _) => code.push(character),
                (true, _) => {}
            }
            escaped = false;
        }
        code.push('\n');
    }
    code.split(|character: char| !(character.is_alphanumeric() || character == '_'))
        .filter(|word| *word == name)
        .count()
}

// ─── Positions ───────────────────────────────────────────────────────────────

const LINES: &str = "# 日照市“专精特新”\n  when idd = \"1\"\r\n𠀀x\n";

#[test]
fn chinese_before_a_name_counts_one_utf16_unit_per_character() {
    let index = LineIndex::new(LINES, Encoding::Utf16);
    let offset = LINES.find("idd").unwrap();
    assert_eq!(index.position(LINES, offset), Position::new(1, 7));
    assert_eq!(index.offset(LINES, Position::new(1, 7)), offset);
    let end_of_comment = LINES.find('\n').unwrap();
    assert_eq!(index.position(LINES, end_of_comment), Position::new(0, 11));
}

#[test]
fn each_encoding_counts_its_own_units() {
    let offset = LINES.find('”').unwrap();
    assert_eq!(LineIndex::new(LINES, Encoding::Utf8).position(LINES, offset), Position::new(0, 2 + 3 * 8));
    assert_eq!(LineIndex::new(LINES, Encoding::Utf16).position(LINES, offset), Position::new(0, 2 + 8));
    assert_eq!(LineIndex::new(LINES, Encoding::Utf32).position(LINES, offset), Position::new(0, 2 + 8));
}

#[test]
fn a_character_outside_the_basic_plane_is_two_utf16_units() {
    let index = LineIndex::new(LINES, Encoding::Utf16);
    let x = LINES.find('x').unwrap();
    assert_eq!(index.position(LINES, x), Position::new(2, 2));
    assert_eq!(index.offset(LINES, Position::new(2, 2)), x);
    // Half of the surrogate pair is the character's start.
    assert_eq!(index.offset(LINES, Position::new(2, 1)), x - '𠀀'.len_utf8());
}

#[test]
fn positions_past_a_line_or_the_text_are_clamped() {
    let index = LineIndex::new(LINES, Encoding::Utf16);
    let carriage_return = LINES.find('\r').unwrap();
    assert_eq!(index.offset(LINES, Position::new(1, 500)), carriage_return);
    assert_eq!(index.offset(LINES, Position::new(40, 0)), LINES.len());
    assert_eq!(index.position(LINES, LINES.len() + 10), Position::new(3, 0));
    let inside_a_character = LINES.find('日').unwrap() + 1;
    assert_eq!(index.position(LINES, inside_a_character), Position::new(0, 2));
}

#[test]
fn negotiation_takes_the_clients_first_known_encoding() {
    let offered = [PositionEncodingKind::new("utf-7"), PositionEncodingKind::UTF8, PositionEncodingKind::UTF16];
    assert_eq!(Encoding::negotiate(Some(&offered)), Encoding::Utf8);
    assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
    assert_eq!(Encoding::negotiate(Some(&[])), Encoding::Utf16);
}

#[test]
fn ranged_changes_count_utf16_columns() {
    let mut text = BROKEN.to_string();
    let start = at(&text, "= ¦registerd_in");
    let end = Position::new(start.line, start.character + "registerd_in".len() as u32);
    let change = TextDocumentContentChangeEvent {
        range: Some(Range::new(start, end)),
        range_length: None,
        text: "registered_in".into(),
    };
    apply_changes(&mut text, vec![change], Encoding::Utf16);
    assert_eq!(text, BROKEN.replace("registerd_in", "registered_in"));
    let whole = TextDocumentContentChangeEvent { range: None, range_length: None, text: "policy \"x\"\n".into() };
    apply_changes(&mut text, vec![whole], Encoding::Utf16);
    assert_eq!(text, "policy \"x\"\n");
}

// ─── Diagnostics ─────────────────────────────────────────────────────────────

#[test]
fn diagnostics_point_at_utf16_columns_with_code_help_and_related_labels() {
    let document = Document::new(BROKEN.to_string(), Encoding::Utf16);
    let uri: lsp_types::Uri = "file:///broken.policy".parse().unwrap();
    let diagnostics = document.lsp_diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.range, Range::new(Position::new(13, 15), Position::new(13, 27)));
    assert_eq!(text_of(BROKEN, diagnostic.range), "registerd_in");
    assert_eq!(diagnostic.code, Some(lsp_types::NumberOrString::String("check::unknown-name".into())));
    assert_eq!(diagnostic.severity, Some(lsp_types::DiagnosticSeverity::ERROR));
    assert_eq!(diagnostic.message, "unknown name `registerd_in`\nhelp: did you mean `registered_in`?");

    // A second label of a diagnostic is related information at its own place.
    let source = read("tests/diagnostics/wrong-entity.policy");
    let document = Document::new(source.clone(), Encoding::Utf16);
    let diagnostics = document.lsp_diagnostics(&uri);
    let wrong = diagnostics.iter().find(|diagnostic| diagnostic.message.contains("district records")).unwrap();
    assert_eq!(text_of(&source, wrong.range), "district_on_target");
    let related = wrong.related_information.as_ref().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0].message, "declared here");
    assert_eq!(related[0].location.range.start, at(&source, "rule ¦district_on_target for district"));
}

// ─── Hover, definition, references ───────────────────────────────────────────

#[test]
fn hover_texts_on_the_real_policies() {
    let cases = [
        (RIZHAO, "    ¦registered_in_rizhao,"),
        (RIZHAO, "revenue_last_year >= ¦revenue_floor"),
        (RIZHAO, "pays ¦listing_support_rate of"),
        (RIZHAO, "tax_credit in ¦good_tax_credit"),
        (RIZHAO, "    ¦revenue_last_year >= revenue_floor"),
        (RIZHAO, "size in [¦\"微型\""),
        (RIZHAO, "field size: ¦enterprise_size"),
        (RIZHAO, "rule registered_in_rizhao for ¦enterprise"),
        (RIZHAO, "award ¦design_subsidy for"),
        (RIZHAO, "no stacking ¦honour_awards"),
        (RIZHAO, "pays up to ¦carrier_award_amount"),
        (RIZHAO, "(\"特色产业集群\", ¦\"省级\")"),
        (INNOVATIVE_SME, "= ip_points + ¦rd_points"),
        (INNOVATIVE_SME, "output value ¦score for"),
    ];
    let mut snapshot = String::new();
    for (path, context) in cases {
        let source = read(path);
        let document = Document::new(source.clone(), Encoding::Utf16);
        let (text, range) =
            document.hover(at(&source, context)).unwrap_or_else(|| panic!("no hover at {context:?} in {path}"));
        snapshot.push_str(&format!("━━ {path}: {context}  (hovering `{}`)\n{text}\n\n", text_of(&source, range)));
    }
    insta::assert_snapshot!(snapshot);
}

#[test]
fn no_hover_outside_names() {
    let source = read(RIZHAO);
    let document = Document::new(source.clone(), Encoding::Utf16);
    assert_eq!(document.hover(at(&source, "# ─── Value ¦lists")), None);
    assert_eq!(document.hover(at(&source, "  ¦label \"企业规模\"")), None);
    assert_eq!(document.hover(at(&source, "pays up to ¦300万元")), None);
}

#[test]
fn definitions_lead_from_every_kind_of_use_to_the_declaration() {
    let cases = [
        (RIZHAO, "revenue_last_year >= ¦revenue_floor", "parameter ¦revenue_floor: money"),
        (RIZHAO, "    ¦revenue_last_year >= revenue_floor", "field ¦revenue_last_year: money in 万元"),
        (RIZHAO, "    ¦registered_in_rizhao,", "rule ¦registered_in_rizhao for enterprise"),
        (RIZHAO, "size in [¦\"微型\"", "values ¦\"微型\", \"小型\""),
        (RIZHAO, "field size: ¦enterprise_size", "enum ¦enterprise_size"),
        (RIZHAO, "rule registered_in_rizhao for ¦enterprise", "entity ¦enterprise\n"),
        (RIZHAO, "  among\n    ¦unicorn,", "award ¦unicorn for"),
        (RIZHAO, "key ¦district_name", "field ¦district_name: text"),
        (RIZHAO, "(\"特色产业集群\", ¦\"省级\")", "values \"国家级\", ¦\"省级\"\n"),
        (RIZHAO, "pays up to ¦carrier_award_amount", "table ¦carrier_award_amount for"),
        (RIZHAO, "= [¦\"A\", \"B\"]", "values ¦\"A\", \"B\", \"M\""),
        (RIZHAO, "good_tax_credit: list of ¦tax_credit_grade", "enum ¦tax_credit_grade"),
        (RIZHAO, "parameter ¦revenue_floor", "parameter ¦revenue_floor"),
        (INNOVATIVE_SME, "= ip_points + ¦rd_points", "table ¦rd_points for"),
    ];
    for (path, from, to) in cases {
        let source = read(path);
        let document = Document::new(source.clone(), Encoding::Utf16);
        let definition = document.definition(at(&source, from)).unwrap_or_else(|| panic!("no definition at {from:?}"));
        assert_eq!(definition.start, at(&source, to), "from {from:?}: {:?}", text_of(&source, definition));
    }
}

#[test]
fn definitions_work_inside_an_expression_the_checker_rejected() {
    // `revenue > 5` compares money with a number: the checker keeps no typed expression inside,
    // and the names are found from the text.
    let source = BROKEN
        .replace("when \"日照市\" = registerd_in", "when registered_in = \"日照市\" and revenue > 5")
        .replace("  field registered_in", "  field revenue: money from \"营业收入（元）\"\n  field registered_in");
    let document = Document::new(source.clone(), Encoding::Utf16);
    assert!(document.diagnostics.iter().any(|diagnostic| diagnostic.code == "check::type-mismatch"));
    let definition = document.definition(at(&source, "and ¦revenue > 5")).unwrap();
    assert_eq!(definition.start, at(&source, "field ¦revenue: money"));
}

/// Every rule, decision, award, benefit, table, value, parameter, enum and entity of both real
/// policies: its references are exactly the places its name is written outside comments and
/// quoted text (names shared with a field are left out: a field is another name with the same
/// spelling).
#[test]
fn references_find_every_use_of_every_declaration() {
    for path in [RIZHAO, INNOVATIVE_SME] {
        let source = read(path);
        let document = Document::new(source.clone(), Encoding::Utf16);
        let model = &document.model;
        let field_names: Vec<&str> =
            model.entities.iter().flat_map(|entity| entity.fields.iter().map(|field| field.name.as_str())).collect();
        let mut declared: Vec<(&str, policy::syntax::Span)> = Vec::new();
        declared.extend(model.items.iter().map(|item| (item.name.as_str(), item.provenance.span)));
        declared.extend(model.parameters.iter().map(|parameter| (parameter.name.as_str(), parameter.provenance.span)));
        declared.extend(model.enums.iter().map(|definition| (definition.name.as_str(), definition.provenance.span)));
        declared.extend(model.entities.iter().map(|entity| (entity.name.as_str(), entity.provenance.span)));
        assert!(declared.len() > 15, "{path}: only {} declarations", declared.len());
        for (name, span) in declared {
            if field_names.contains(&name) {
                continue;
            }
            let position = document.range(span).start;
            let written = word_count(&source, name);
            let with_declaration = document.references(position, true);
            assert_eq!(with_declaration.len(), written, "{path}: `{name}` is written {written} times");
            assert!(with_declaration.iter().all(|range| text_of(&source, *range) == name));
            assert_eq!(document.references(position, false).len(), written - 1, "{path}: `{name}`");
        }
    }
}

#[test]
fn references_of_a_field_stay_within_its_entity() {
    // `level` is a field of design_institute and of carrier: the carrier's uses are not the
    // design institute's.
    let source = read(RIZHAO);
    let document = Document::new(source.clone(), Encoding::Utf16);
    let references = document.references(at(&source, "when ¦level in [\"省级\", \"国家级\"]"), true);
    let lines: Vec<u32> = references.iter().map(|range| range.start.line).collect();
    assert_eq!(lines, [at(&source, "field ¦level: institute_level").line, at(&source, "when ¦level in [").line]);
}

// ─── The binary over standard input and output ───────────────────────────────

/// `policy lsp` as a child process, and the messages it has sent.
struct Server {
    child: Child,
    input: Option<ChildStdin>,
    output: Receiver<Json>,
    /// Messages received while waiting for another.
    pending: Vec<Json>,
    next_id: i64,
}

/// A broken server fails the test after this long instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policy"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, output) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let input = child.stdin.take();
        Server { child, input, output, pending: Vec::new(), next_id: 1 }
    }

    fn send(&mut self, message: Json) {
        let body = message.to_string();
        let input = self.input.as_mut().unwrap();
        write!(input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        input.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Json) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns the whole response.
    fn request(&mut self, method: &str, params: Json) -> Json {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
            self.pending.push(message);
        }
    }

    /// The result of a request that must succeed.
    fn result(&mut self, method: &str, params: Json) -> Json {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The parameters of the next notification of `method`.
    fn notification(&mut self, method: &str) -> Json {
        if let Some(index) = self.pending.iter().position(|message| message["method"] == method) {
            return self.pending.remove(index)["params"].clone();
        }
        loop {
            let message = self.receive();
            if message["method"] == method {
                return message["params"].clone();
            }
            self.pending.push(message);
        }
    }

    fn receive(&self) -> Json {
        match self.output.recv_timeout(PATIENCE) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("the server sent nothing for {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Closes the server's input and waits for it to exit.
    fn exit_status(&mut self) -> ExitStatus {
        self.input = None;
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the server did not exit within {PATIENCE:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only a server that did not exit by itself (the test failed) is still running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message in a `Content-Length` frame; `None` at the end of the output.
fn read_frame(reader: &mut impl BufRead) -> Option<Json> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = Some(value.parse::<usize>().ok()?);
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).unwrap())
}

fn open(server: &mut Server, uri: &str, text: &str) -> Json {
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "policy", "version": 1, "text": text}}),
    );
    server.notification("textDocument/publishDiagnostics")
}

fn position_json(position: Position) -> Json {
    json!({"line": position.line, "character": position.character})
}

#[test]
fn an_editor_session_over_stdio() {
    let mut server = Server::start();
    let initialized = server.result("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    let capabilities = &initialized["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"], 1, "full text sync");
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(capabilities["referencesProvider"], true);
    assert_eq!(initialized["serverInfo"]["name"], "policy");
    server.notify("initialized", json!({}));

    // An error after Chinese text: published at its UTF-16 columns, with its code.
    let broken = "file:///work/broken.policy";
    let published = open(&mut server, broken, BROKEN);
    assert_eq!(published["uri"], broken);
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    assert_eq!(diagnostics[0]["code"], "check::unknown-name");
    assert_eq!(diagnostics[0]["severity"], 1);
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": {"line": 13, "character": 15}, "end": {"line": 13, "character": 27}})
    );
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("did you mean `registered_in`?"));

    // The fix: no diagnostics left.
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": broken, "version": 2},
            "contentChanges": [{"text": BROKEN.replace("registerd_in", "registered_in")}],
        }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]));

    // The real policy.
    let source = read(RIZHAO);
    let uri = "file:///work/policies/rizhao-2022.policy";
    assert_eq!(open(&mut server, uri, &source)["diagnostics"], json!([]));
    let document = |position: Position| json!({"textDocument": {"uri": uri}, "position": position_json(position)});

    // Hover on a rule's use: its label, citation and quoted words, its condition as written.
    let rule_use = at(&source, "    ¦registered_in_rizhao,");
    let hover = server.result("textDocument/hover", document(rule_use));
    assert_eq!(hover["contents"]["kind"], "markdown");
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("**在我市登记注册**"), "{text}");
    assert!(text.contains("Cites 二.2(一): “在我市登记注册”"), "{text}");
    assert!(text.contains("when registered_in = \"日照市\""), "{text}");
    let end = Position::new(rule_use.line, rule_use.character + "registered_in_rizhao".len() as u32);
    assert_eq!(hover["range"], json!({"start": position_json(rule_use), "end": position_json(end)}));

    // Hover on a parameter's use: its value as written.
    let parameter_use = at(&source, "revenue_last_year >= ¦revenue_floor");
    let hover = server.result("textDocument/hover", document(parameter_use));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("parameter revenue_floor: money = 900万元"), "{text}");
    assert!(text.contains("**上年度营业收入下限**"), "{text}");

    // Nothing to say about a comment.
    let hover = server.result("textDocument/hover", document(at(&source, "# ─── Value ¦lists")));
    assert_eq!(hover, Json::Null);

    // Definition: the parameter's declaration.
    let declaration = at(&source, "parameter ¦revenue_floor: money");
    let declaration_end = Position::new(declaration.line, declaration.character + "revenue_floor".len() as u32);
    let declaration_range = json!({"start": position_json(declaration), "end": position_json(declaration_end)});
    let definition = server.result("textDocument/definition", document(parameter_use));
    assert_eq!(definition, json!({"uri": uri, "range": declaration_range.clone()}));

    // References, with and without the declaration.
    let mut params = document(parameter_use);
    params["context"] = json!({"includeDeclaration": true});
    let references = server.result("textDocument/references", params.clone());
    assert_eq!(
        references,
        json!([
            {"uri": uri, "range": declaration_range},
            {"uri": uri, "range": hover_range(parameter_use, "revenue_floor")},
        ])
    );
    params["context"] = json!({"includeDeclaration": false});
    assert_eq!(server.result("textDocument/references", params).as_array().unwrap().len(), 1);
    let mut params = document(rule_use);
    params["context"] = json!({"includeDeclaration": true});
    let references = server.result("textDocument/references", params);
    assert_eq!(references.as_array().unwrap().len(), word_count(&source, "registered_in_rizhao"));

    // A request the server does not know is an error, and the session goes on.
    let unknown = server.request("textDocument/formatting", json!({"textDocument": {"uri": uri}, "options": {}}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");

    // Closing a document clears its diagnostics.
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": broken}}));
    assert_eq!(server.notification("textDocument/publishDiagnostics")["diagnostics"], json!([]));

    assert_eq!(server.result("shutdown", Json::Null), Json::Null);
    server.notify("exit", Json::Null);
    assert!(server.exit_status().success());
}

fn hover_range(start: Position, name: &str) -> Json {
    let end = Position::new(start.line, start.character + name.len() as u32);
    json!({"start": position_json(start), "end": position_json(end)})
}

#[test]
fn utf8_positions_when_the_client_offers_them_and_exit_without_shutdown_fails() {
    let mut server = Server::start();
    let capabilities = json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}});
    let initialized =
        server.result("initialize", json!({"processId": null, "rootUri": null, "capabilities": capabilities}));
    assert_eq!(initialized["capabilities"]["positionEncoding"], "utf-8");
    server.notify("initialized", json!({}));
    let published = open(&mut server, "file:///work/broken.policy", BROKEN);
    let line = BROKEN.lines().nth(13).unwrap();
    let byte_column = line.find("registerd_in").unwrap();
    assert_eq!(byte_column, 21);
    assert_eq!(
        published["diagnostics"][0]["range"],
        json!({"start": {"line": 13, "character": 21}, "end": {"line": 13, "character": 33}})
    );
    server.notify("exit", Json::Null);
    assert_eq!(server.exit_status().code(), Some(1));
}
