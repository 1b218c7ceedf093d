// Starts, restarts and stops the language client that runs `sadpath server`.
import * as path from "path";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State } from "vscode-languageclient/node";

import { logChannel, traceError, traceInfo } from "./log";
import { checkInterpreter, resolveInterpreter } from "./python";
import { Settings, initializationOptions, serverCommand, trustedInterpreter } from "./resolve";
import { StatusItem } from "./status";

/** The server's name and Python module, from package.json's "serverInfo" (as the Python tools template does). */
export function serverInfo(context: vscode.ExtensionContext): { name: string; module: string } {
  const info = context.extension.packageJSON?.serverInfo as { name?: string; module?: string } | undefined;
  return { name: info?.name ?? "sadpath", module: info?.module ?? "sadpath" };
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly status: StatusItem,
    private readonly settings: () => Settings,
  ) {}

  /** Restart after a short quiet period, so a burst of setting changes restarts once. */
  restartSoon(delayMs = 500): void {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delayMs);
  }

  restart(): Promise<void> {
    this.starting = this.starting.then(() => this.doRestart()).catch((error) => traceError("restart failed", error));
    return this.starting;
  }

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  private async doRestart(): Promise<void> {
    await this.stop();
    const settings = this.settings();
    if (!settings.enable) {
      this.status.set("disabled");
      traceInfo("sadpath.enable is false: the server is not started");
      return;
    }
    this.status.set("starting");
    const folder = vscode.workspace.workspaceFolders?.[0];
    const resolved = await resolveInterpreter(settings.interpreter, folder?.uri);
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const { choice: interpreter, refused } = trustedInterpreter(resolved, vscode.workspace.isTrusted, folders);
    if (refused) {
      traceInfo(`the workspace is not trusted: ${refused} lies inside it and is not run; using python3 from PATH`);
    }
    traceInfo(`interpreter (${interpreter.source}): ${interpreter.command.join(" ")}`);
    const problem = await checkInterpreter(interpreter.command, this.context.extensionPath);
    if (problem) {
      this.fail(problem, settings);
      return;
    }
    const shim = this.context.asAbsolutePath(path.join("bundled", "tool", "lsp_server.py"));
    const { command, args } = serverCommand(interpreter.command, settings.importStrategy, shim, settings.args);
    traceInfo(`starting: ${command} ${args.join(" ")}`);
    const serverOptions: ServerOptions = { command, args, options: { cwd: folder?.uri.fsPath, env: { ...process.env } } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      outputChannel: logChannel(),
      traceOutputChannel: logChannel(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: initializationOptions(settings),
    };
    const info = serverInfo(this.context);
    const client = new LanguageClient(info.module, info.name, serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
      this.status.set("ready", `${interpreter.command.join(" ")} · ${settings.importStrategy}`);
    } catch (error) {
      this.fail(`sadpath server failed to start: ${error instanceof Error ? error.message : String(error)}`, settings);
    }
  }

  /** Send changed settings to a running server (it re-analyses the open documents). */
  async pushSettings(): Promise<void> {
    const client = this.running;
    if (client) {
      await client.sendNotification("workspace/didChangeConfiguration", { settings: { sadpath: initializationOptions(this.settings()) } });
    }
  }

  private fail(message: string, settings: Settings): void {
    this.status.set("error", message);
    traceError(message);
    if (settings.showNotifications !== "off") {
      void vscode.window.showErrorMessage(message, "Show Logs").then((choice) => {
        if (choice) {
          logChannel().show();
        }
      });
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        traceError("stopping the server failed", error);
      }
    }
  }

  dispose(): void {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    void this.stop();
  }
}
