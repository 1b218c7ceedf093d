// "sadpath: Show Debug Information": what the extension chose (interpreter, strategy, bundle, the check) and what
// the server reports (versions, options, the configuration file in force for the active file), in one document.
import * as vscode from "vscode";

import { logChannel, traceError } from "./log";
import { ServerManager } from "./server";
import { StatusItem } from "./status";

export async function showDebugInformation(context: vscode.ExtensionContext, server: ServerManager, status: StatusItem): Promise<void> {
  const active = vscode.window.activeTextEditor?.document;
  const manifest = server.bundleManifest();
  const last = server.last;
  const lines = [
    "# sadpath debug information",
    "",
    "## Extension",
    "",
    `- extension: ${context.extension.id} ${context.extension.packageJSON.version}`,
    `- VS Code: ${vscode.version} (${vscode.env.appName}), ${process.platform}-${process.arch}`,
    `- state: ${status.state}${status.detail ? ` (${status.detail})` : ""}`,
    `- interpreter: ${last.interpreter ? `${last.interpreter.command.join(" ")} (from ${last.interpreter.source})` : "not chosen yet"}`,
    `- import strategy: ${last.strategy ?? "not chosen yet"}`,
    `- bundle: ${manifest ? `${manifest.target} for CPython ${(manifest.pythons ?? []).join(", ")}` : "none (universal VSIX: the environment's sadpath)"}`,
    `- check: ${last.check ? (last.check.ok ? `passed (Python ${last.check.python}, sadpath ${last.check.sadpath})` : `failed: ${last.check.problems.join("; ")}`) : "not run"}`,
  ];
  if (last.problem) {
    lines.push(`- problem: ${last.problem}`);
  }
  lines.push("");
  const client = server.running;
  if (!client) {
    lines.push("The server is not running: no server information.");
  } else {
    try {
      const info = (await client.sendRequest("workspace/executeCommand", {
        command: "sadpath.debugInformation",
        arguments: active ? [active.uri.toString()] : [],
      })) as { text?: string } | null;
      lines.push((info?.text ?? "The server returned no information.").replace(/^# sadpath debug information\n/, "## Server\n"));
    } catch (error) {
      traceError("the server's debug information failed", error);
      lines.push(`The server's debug information failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const text = lines.join("\n");
  logChannel().info(text);
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: text });
  await vscode.window.showTextDocument(document, { preview: false });
}
