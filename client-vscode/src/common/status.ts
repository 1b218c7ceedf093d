// A status bar item with the server's state; clicking it shows the log. In the error state its tooltip gives the
// reason and a "Show logs" link, and the item turns red.
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
  state: ServerState = "starting";
  detail: string | undefined;

  constructor() {
    this.item.name = "sadpath";
    this.item.command = "sadpath.showLogs";
    this.set("starting");
    this.item.show();
  }

  set(state: ServerState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.item.text = ICONS[state];
    const tooltip = new vscode.MarkdownString(`**sadpath: ${state}**${detail ? `\n\n${escapeMarkdown(detail)}` : ""}\n\n[Show logs](command:sadpath.showLogs)`);
    tooltip.isTrusted = { enabledCommands: ["sadpath.showLogs"] };
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `sadpath: ${state}${detail ? `: ${detail}` : ""}` };
    this.item.backgroundColor = state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
