// Reads the `sadpath.*` settings of a workspace folder, applying the workspace-trust rule and variable expansion.
import * as os from "os";
import * as vscode from "vscode";

import { DEFAULTS, Settings, effectiveValue, expandVariables } from "./resolve";

export const SECTION = "sadpath";

export function readSettings(folder: vscode.WorkspaceFolder | undefined): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const trusted = vscode.workspace.isTrusted;
  const value = <K extends keyof Settings>(key: K): Settings[K] =>
    effectiveValue<Settings[K]>(key, config.inspect<Settings[K]>(key), trusted, DEFAULTS[key]);
  const expand = (items: string[]) => items.map((item) => expandVariables(item, folder?.uri.fsPath, process.env, os.homedir()));
  return {
    enable: value("enable"),
    select: value("select"),
    extendSelect: value("extendSelect"),
    ignore: value("ignore"),
    unsafeFixes: value("unsafeFixes"),
    fixAll: value("fixAll"),
    showSyntaxErrors: value("showSyntaxErrors"),
    configuration: expandVariables(value("configuration"), folder?.uri.fsPath, process.env, os.homedir()),
    debounceMs: value("debounceMs"),
    coverage: expandVariables(value("coverage"), folder?.uri.fsPath, process.env, os.homedir()),
    interpreter: expand(value("interpreter")),
    importStrategy: value("importStrategy"),
    args: expand(value("args")),
    logLevel: value("logLevel"),
    showNotifications: value("showNotifications"),
  };
}

/** The folder whose settings drive the server: the first workspace folder (one server serves the window). */
export function primaryFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}
