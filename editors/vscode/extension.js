// The VS Code side of `policy lsp`: starts the language server for `.policy` files and hands it
// the open documents. Diagnostics, hover, go to definition and find references all come from
// the server; highlighting comes from syntaxes/policy.tmLanguage.json.

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  const command = vscode.workspace.getConfiguration("policy").get("serverPath", "policy");
  // The server speaks the protocol over its standard input and output.
  const server = { command, args: ["lsp"] };
  const serverOptions = { run: server, debug: server };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "policy" },
      { scheme: "untitled", language: "policy" },
    ],
  };
  client = new LanguageClient("policy", "Policy language server", serverOptions, clientOptions);
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Cannot start \`${command} lsp\` (${error.message}). Install it with \`cargo install --path .\` ` +
        "in the policy repository, or set policy.serverPath to the program's full path."
    );
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("policy.serverPath")) {
        vscode.window.showInformationMessage("Reload the window to start the new policy.serverPath.");
      }
    })
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
