// Wiring only: settings, commands and events; the work lives in src/common/.
import * as vscode from "vscode";

import { showDebugInformation } from "./common/debug";
import { logChannel, traceInfo } from "./common/log";
import { primaryFolder, readSettings, SECTION } from "./common/settings";
import { ServerManager } from "./common/server";
import { StatusItem } from "./common/status";

let manager: ServerManager | undefined;

const RESTART_SETTINGS = ["enable", "interpreter", "importStrategy", "args"];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const status = new StatusItem();
  manager = new ServerManager(context, status, () => readSettings(primaryFolder()));
  const server = manager;
  context.subscriptions.push(
    logChannel(),
    status,
    server,
    vscode.commands.registerCommand("sadpath.restart", () => server.restart()),
    vscode.commands.registerCommand("sadpath.showLogs", () => logChannel().show()),
    vscode.commands.registerCommand("sadpath.fixAll", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        return;
      }
      await vscode.commands.executeCommand("editor.action.codeAction", { kind: "source.fixAll.sadpath", apply: "first" });
    }),
    vscode.commands.registerCommand("sadpath.showDebugInformation", () => showDebugInformation(context, server, status)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SECTION)) {
        return;
      }
      if (RESTART_SETTINGS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
        server.restartSoon();
      } else {
        void server.pushSettings();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => server.restartSoon()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => server.restartSoon()),
  );
  traceInfo(`sadpath ${context.extension.packageJSON.version} activating`);
  await server.restart();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
}
