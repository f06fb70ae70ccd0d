// The VS Code side of mgdsl: starts `mgdsl lsp` (the command in the `mgdsl.server.command`
// setting) and connects it to .mg documents through vscode-languageclient. Changing an
// `mgdsl.*` setting restarts the server.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function makeClient() {
  const config = vscode.workspace.getConfiguration("mgdsl");
  const [command, ...args] = config.get("server.command", ["mgdsl", "lsp"]);
  const errorsUrl = config.get("errorsUrl", "");
  return new LanguageClient(
    "mgdsl",
    "mgdsl",
    { command, args, transport: TransportKind.stdio },
    {
      documentSelector: [{ language: "mg" }],
      initializationOptions: errorsUrl ? { errorsUrl } : {},
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mg") },
    },
  );
}

async function activate(context) {
  client = makeClient();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("mgdsl")) {
        return;
      }
      await deactivate();
      client = makeClient();
      await client.start();
    }),
  );
  await client.start();
}

async function deactivate() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

module.exports = { activate, deactivate };
