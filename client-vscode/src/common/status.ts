// A status bar item with the server's state; clicking it shows the log.
import * as vscode from "vscode";

export type ServerState = "starting" | "ready" | "error" | "disabled";

const ICONS: Record<ServerState, string> = {
  starting: "$(sync~spin) sadpath",
  ready: "$(check) sadpath",
  error: "$(error) sadpath",
  disabled: "$(circle-slash) sadpath",
};

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("sadpath.status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "sadpath";
    this.item.command = "sadpath.showLogs";
    this.set("starting");
    this.item.show();
  }

  set(state: ServerState, detail?: string): void {
    this.item.text = ICONS[state];
    this.item.tooltip = detail ? `sadpath: ${state} (${detail})` : `sadpath: ${state}`;
    this.item.backgroundColor = state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
