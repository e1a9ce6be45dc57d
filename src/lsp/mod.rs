//! `policy lsp`: a language server speaking the Language Server Protocol over standard input and
//! output, for editors: the checker's diagnostics as you type, hover (a declaration as written,
//! its label, citation, quoted words and reading; a parameter's value), go to definition and
//! find references.
//!
//! The protocol (framing, JSON-RPC, the handshake) is rust-analyzer's `lsp-server` crate and its
//! messages are `lsp-types`; both are synchronous, so the server is one loop on one thread. The
//! loop, [`serve`], is the only part that talks to the client: everything it answers comes from
//! a [`Document`], plain data made from the text (parse, check, index the names) whose methods
//! are pure functions of a position. Besides `cli`, this loop is the only code doing I/O.

mod hover;
mod position;
mod symbols;

pub use position::{Encoding, LineIndex};
pub use symbols::{Occurrence, Symbols, Target};

use crate::check::{self, Model};
use crate::diagnostic::{Diagnostic, Severity};
use crate::syntax::PolicyFile;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{DocumentHighlightRequest, GotoDefinition, HoverRequest, References, Request as _};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DocumentHighlight, DocumentHighlightKind, Hover, HoverContents,
    HoverProviderCapability, InitializeParams, InitializeResult, Location, MarkupContent, MarkupKind, NumberOrString,
    OneOf, Position, PublishDiagnosticsParams, Range, ServerCapabilities, ServerInfo, TextDocumentContentChangeEvent,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use std::collections::HashMap;

/// Runs the server on standard input and output until the client says `exit`. An `exit` without
/// a `shutdown` first is an error, so that the process exits with 1 as the protocol asks.
pub fn run_stdio() -> Result<(), String> {
    let (connection, threads) = Connection::stdio();
    serve(connection)?;
    threads.join().map_err(|error| format!("the language server's input or output failed: {error}"))
}

/// The server's loop on a connection: the handshake, then every request and notification until
/// `shutdown` and `exit` (or until the client goes away).
pub fn serve(connection: Connection) -> Result<(), String> {
    let protocol = |error: lsp_server::ProtocolError| format!("language server protocol: {error}");
    let (id, params) = connection.initialize_start().map_err(protocol)?;
    // A client whose parameters this version of lsp-types cannot read still gets a server.
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let offered = params.capabilities.general.as_ref().and_then(|general| general.position_encodings.as_deref());
    let encoding = Encoding::negotiate(offered);
    let result = InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo { name: "policy".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    let result = serde_json::to_value(result).map_err(|error| error.to_string())?;
    connection.initialize_finish(id, result).map_err(protocol)?;
    let mut server = Server { encoding, documents: HashMap::new() };
    let send =
        |message: Message| connection.sender.send(message).map_err(|_| "the client closed the connection".to_string());
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).map_err(protocol)? {
                    return Ok(());
                }
                send(server.respond(request).into())?;
            }
            Message::Notification(notification) if notification.method == "exit" => {
                return Err("the client said `exit` without `shutdown` first".into());
            }
            Message::Notification(notification) => {
                if let Some(published) = server.notice(notification) {
                    send(published.into())?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// What the server offers; the position encoding is the one agreed with the client.
pub fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// One open policy text, parsed, checked and indexed.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: String,
    pub file: PolicyFile,
    pub model: Model,
    /// The parser's and the checker's, as `policy check` reports them.
    pub diagnostics: Vec<Diagnostic>,
    pub symbols: Symbols,
    pub lines: LineIndex,
}

impl Document {
    pub fn new(source: String, encoding: Encoding) -> Document {
        let (file, checked) = check::check_source(&source);
        let symbols = Symbols::new(&file, &checked.model);
        let lines = LineIndex::new(&source, encoding);
        Document { source, file, model: checked.model, diagnostics: checked.diagnostics, symbols, lines }
    }

    pub fn range(&self, span: crate::syntax::Span) -> Range {
        self.lines.range(&self.source, span)
    }

    /// Every diagnostic as the protocol has it: the range of the primary label, the code, the
    /// message with the help after it, the other labels as related information.
    pub fn lsp_diagnostics(&self, uri: &Uri) -> Vec<lsp_types::Diagnostic> {
        self.diagnostics
            .iter()
            .map(|diagnostic| {
                let message = match &diagnostic.help {
                    Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
                    None => diagnostic.message.clone(),
                };
                let related: Vec<DiagnosticRelatedInformation> = diagnostic
                    .labels
                    .iter()
                    .skip(1)
                    .map(|label| DiagnosticRelatedInformation {
                        location: Location::new(uri.clone(), self.range(label.span)),
                        message: label.message.clone(),
                    })
                    .collect();
                lsp_types::Diagnostic {
                    range: self.range(diagnostic.primary_span()),
                    severity: Some(match diagnostic.severity {
                        Severity::Error => DiagnosticSeverity::ERROR,
                        Severity::Warning => DiagnosticSeverity::WARNING,
                    }),
                    code: Some(NumberOrString::String(diagnostic.code.to_string())),
                    source: Some("policy".into()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    ..lsp_types::Diagnostic::default()
                }
            })
            .collect()
    }

    /// The name at a position, if any.
    pub fn occurrence(&self, position: Position) -> Option<Occurrence> {
        self.symbols.at(self.lines.offset(&self.source, position))
    }

    /// Markdown about the name at a position, and the range of that name.
    pub fn hover(&self, position: Position) -> Option<(String, Range)> {
        let occurrence = self.occurrence(position)?;
        let text = hover::hover_text(occurrence.target, &self.model, &self.file, &self.source)?;
        Some((text, self.range(occurrence.span)))
    }

    /// Where the name at a position is declared.
    pub fn definition(&self, position: Position) -> Option<Range> {
        let occurrence = self.occurrence(position)?;
        self.symbols.declaration(occurrence.target).map(|span| self.range(span))
    }

    /// Every place the name at a position is written, its declaration only when asked for.
    pub fn references(&self, position: Position, include_declaration: bool) -> Vec<Range> {
        let Some(occurrence) = self.occurrence(position) else { return Vec::new() };
        self.symbols
            .references(occurrence.target, include_declaration)
            .into_iter()
            .map(|span| self.range(span))
            .collect()
    }
}

/// Applies the changes of a `didChange`, in order: a change without a range replaces the whole
/// text (the server asks for full text), one with a range replaces that range.
pub fn apply_changes(text: &mut String, changes: Vec<TextDocumentContentChangeEvent>, encoding: Encoding) {
    for change in changes {
        match change.range {
            None => *text = change.text,
            Some(range) => {
                let lines = LineIndex::new(text, encoding);
                let start = lines.offset(text, range.start);
                let end = lines.offset(text, range.end).max(start);
                text.replace_range(start..end, &change.text);
            }
        }
    }
}

/// The open documents, by URI.
struct Server {
    encoding: Encoding,
    documents: HashMap<Uri, Document>,
}

impl Server {
    fn respond(&self, request: Request) -> Response {
        let id = request.id.clone();
        match self.answer(request) {
            Ok(result) => Response::new_ok(id, result),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn answer(&self, request: Request) -> Result<serde_json::Value, (ErrorCode, String)> {
        let invalid = |error: lsp_server::ExtractError<Request>| (ErrorCode::InvalidParams, error.to_string());
        let json = |value: Result<serde_json::Value, serde_json::Error>| {
            value.map_err(|error| (ErrorCode::InternalError, error.to_string()))
        };
        match request.method.as_str() {
            HoverRequest::METHOD => {
                let (_, params) = request.extract::<lsp_types::HoverParams>(HoverRequest::METHOD).map_err(invalid)?;
                let at = params.text_document_position_params;
                let hover = self.documents.get(&at.text_document.uri).and_then(|document| document.hover(at.position));
                json(serde_json::to_value(hover.map(|(text, range)| Hover {
                    contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
                    range: Some(range),
                })))
            }
            GotoDefinition::METHOD => {
                let (_, params) =
                    request.extract::<lsp_types::GotoDefinitionParams>(GotoDefinition::METHOD).map_err(invalid)?;
                let at = params.text_document_position_params;
                let uri = at.text_document.uri;
                let range = self.documents.get(&uri).and_then(|document| document.definition(at.position));
                json(serde_json::to_value(range.map(|range| Location::new(uri, range))))
            }
            References::METHOD => {
                let (_, params) = request.extract::<lsp_types::ReferenceParams>(References::METHOD).map_err(invalid)?;
                let at = params.text_document_position;
                let uri = at.text_document.uri;
                let ranges = self
                    .documents
                    .get(&uri)
                    .map(|document| document.references(at.position, params.context.include_declaration))
                    .unwrap_or_default();
                let locations: Vec<Location> =
                    ranges.into_iter().map(|range| Location::new(uri.clone(), range)).collect();
                json(serde_json::to_value(locations))
            }
            DocumentHighlightRequest::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::DocumentHighlightParams>(DocumentHighlightRequest::METHOD)
                    .map_err(invalid)?;
                let at = params.text_document_position_params;
                let highlights: Vec<DocumentHighlight> = self
                    .documents
                    .get(&at.text_document.uri)
                    .map(|document| document.references(at.position, true))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|range| DocumentHighlight { range, kind: Some(DocumentHighlightKind::TEXT) })
                    .collect();
                json(serde_json::to_value(highlights))
            }
            method => Err((ErrorCode::MethodNotFound, format!("`policy lsp` does not answer {method}"))),
        }
    }

    /// Handles a notification; returns the diagnostics to publish, if it opened, changed or
    /// closed a document.
    fn notice(&mut self, notification: Notification) -> Option<Notification> {
        let uri = match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(params) =
                    notification.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                else {
                    return None;
                };
                let document = params.text_document;
                self.documents.insert(document.uri.clone(), Document::new(document.text, self.encoding));
                Some((document.uri, Some(document.version)))
            }
            DidChangeTextDocument::METHOD => {
                let Ok(params) =
                    notification.extract::<lsp_types::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD)
                else {
                    return None;
                };
                let uri = params.text_document.uri;
                let mut text = self.documents.remove(&uri).map(|document| document.source).unwrap_or_default();
                apply_changes(&mut text, params.content_changes, self.encoding);
                self.documents.insert(uri.clone(), Document::new(text, self.encoding));
                Some((uri, Some(params.text_document.version)))
            }
            DidCloseTextDocument::METHOD => {
                let Ok(params) =
                    notification.extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                else {
                    return None;
                };
                self.documents.remove(&params.text_document.uri);
                Some((params.text_document.uri, None))
            }
            _ => None,
        };
        let (uri, version) = uri?;
        // A closed document's diagnostics are cleared: the editor no longer shows the file.
        let diagnostics = self.documents.get(&uri).map(|document| document.lsp_diagnostics(&uri)).unwrap_or_default();
        let params = PublishDiagnosticsParams { uri, diagnostics, version };
        Some(Notification::new(PublishDiagnostics::METHOD.to_string(), params))
    }
}
