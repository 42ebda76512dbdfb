// A thin client: start `asyncguard lsp` over stdio for Python files; the server does the rest.
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** The command to run: the setting, else the workspace's .venv, else `asyncguard` on PATH. */
function serverCommand() {
  const configured = vscode.workspace.getConfiguration("asyncguard").get("path", []);
  if (configured.length > 0) {
    return { command: configured[0], args: [...configured.slice(1), "lsp"] };
  }
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const bin = process.platform === "win32" ? ["Scripts", "asyncguard.exe"] : ["bin", "asyncguard"];
    for (const venv of [".venv", "venv"]) {
      const candidate = path.join(folder.uri.fsPath, venv, ...bin);
      if (fs.existsSync(candidate)) {
        return { command: candidate, args: ["lsp"] };
      }
    }
  }
  return { command: "asyncguard", args: ["lsp"] };
}

async function start() {
  const run = { ...serverCommand(), transport: TransportKind.stdio };
  client = new LanguageClient(
    "asyncguard",
    "asyncguard",
    { run, debug: run },
    {
      documentSelector: [{ scheme: "file", language: "python" }],
      synchronize: {
        // pyproject.toml reloads [tool.asyncguard]; .py files changed outside the editor re-index.
        fileEvents: vscode.workspace.createFileSystemWatcher("**/{pyproject.toml,*.py}"),
      },
    },
  );
  await client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("asyncguard.restart", async () => {
      if (client) {
        await client.stop();
      }
      await start();
    }),
  );
  await start();
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
