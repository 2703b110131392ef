// The planrules extension: starts `planrules lsp` (the command configurable) and hands it the
// .plan files; everything else (diagnostics, hover, completion, rename, formatting) is the
// server's. Plain JavaScript, so that packaging needs no build step.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const settings = vscode.workspace.getConfiguration("planrules");
  // Standard input and output, the client's default for a command; no transport is named,
  // as naming stdio makes the client add a `--stdio` argument.
  return {
    command: settings.get("server.path", "planrules"),
    args: settings.get("server.args", ["lsp"]),
  };
}

async function start() {
  client = new LanguageClient("planrules", "planrules", serverOptions(), {
    // Files on disk, and buffers not saved yet (their `use` and `snapshots` are found from
    // the workspace's folder).
    documentSelector: [
      { scheme: "file", language: "planrules" },
      { scheme: "untitled", language: "planrules" },
    ],
  });
  try {
    await client.start();
  } catch (problem) {
    const path = serverOptions().command;
    vscode.window.showErrorMessage(
      `planrules: the language server did not start (${path}): ${problem.message}. ` +
        "Install it with pip install 'planrules[lsp]', or set planrules.server.path."
    );
  }
}

async function restart() {
  if (client) {
    await client.stop();
  }
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("planrules.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration("planrules.server")) {
        restart();
      }
    })
  );
  await start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
