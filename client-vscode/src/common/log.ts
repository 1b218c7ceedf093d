// The extension's own log, in a LogOutputChannel shared with the language client.
import * as vscode from "vscode";

let channel: vscode.LogOutputChannel | undefined;

export function logChannel(): vscode.LogOutputChannel {
  if (!channel) {
    channel = vscode.window.createOutputChannel("sadpath", { log: true });
  }
  return channel;
}

export function traceInfo(message: string): void {
  logChannel().info(message);
}

export function traceError(message: string, error?: unknown): void {
  const detail = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : error !== undefined ? String(error) : "";
  logChannel().error(detail ? `${message}: ${detail}` : message);
}
