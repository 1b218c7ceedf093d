// Starts, restarts and stops the language client that runs `sadpath server`.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State } from "vscode-languageclient/node";

import { logChannel, traceError, traceInfo } from "./log";
import { checkInterpreter, checkServer, resolveInterpreter } from "./python";
import {
  CheckReport,
  ImportStrategy,
  InterpreterChoice,
  Settings,
  checkProblem,
  effectiveStrategy,
  initializationOptions,
  serverCommand,
  trustedInterpreter,
} from "./resolve";
import { StatusItem } from "./status";

/** The documents the server reads: Python files, and the Python cells of notebooks (Jupyter and others). */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
  { notebook: "*", language: "python" },
];

/** The server's name and Python module, from package.json's "serverInfo" (as the Python tools template does). */
export function serverInfo(context: vscode.ExtensionContext): { name: string; module: string } {
  const info = context.extension.packageJSON?.serverInfo as { name?: string; module?: string } | undefined;
  return { name: info?.name ?? "sadpath", module: info?.module ?? "sadpath" };
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> = Promise.resolve();
  private stopping = false;
  /** What the last start found: for "sadpath: Show Debug Information". */
  last: { interpreter?: InterpreterChoice; strategy?: ImportStrategy; check?: CheckReport; problem?: string } = {};

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
    this.last = { interpreter };
    const problem = await checkInterpreter(interpreter.command, this.context.extensionPath);
    if (problem) {
      this.last.problem = problem;
      this.fail(problem, settings);
      return;
    }
    const strategy = effectiveStrategy(settings.importStrategy, this.hasBundle());
    if (strategy !== settings.importStrategy) {
      traceInfo("this VSIX has no bundled sadpath (the universal build): running the sadpath installed in the interpreter");
    }
    this.last.strategy = strategy;
    const shim = this.context.asAbsolutePath(path.join("bundled", "tool", "lsp_server.py"));
    // can this interpreter import everything the server needs (the bundle's compiled modules for its version)?
    const check = await checkServer(interpreter.command, strategy, shim, this.context.extensionPath);
    this.last.check = check;
    if (!check.ok) {
      this.last.problem = checkProblem(check, interpreter.command);
      this.fail(this.last.problem, settings);
      return;
    }
    const { command, args } = serverCommand(interpreter.command, strategy, shim, settings.args);
    traceInfo(`starting: ${command} ${args.join(" ")}`);
    const serverOptions: ServerOptions = { command, args, options: { cwd: folder?.uri.fsPath, env: { ...process.env } } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
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
      this.status.set("ready", `Python ${check.python} (${interpreter.command.join(" ")}) · ${strategy}`);
      client.onDidChangeState((event) => {
        if (event.newState === State.Stopped && this.client === client && !this.stopping) {
          this.fail("the sadpath server stopped; see the log, then run sadpath: Restart Server", this.settings());
        }
      });
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

  /** The bundle of a platform VSIX (bundled/libs); the universal VSIX has none. */
  hasBundle(): boolean {
    return fs.existsSync(this.context.asAbsolutePath(path.join("bundled", "libs", "sadpath_bundle.json")));
  }

  /** The bundle's manifest (target, Pythons), when there is one. */
  bundleManifest(): { target?: string; pythons?: string[] } | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.context.asAbsolutePath(path.join("bundled", "libs", "sadpath_bundle.json")), "utf8"));
    } catch {
      return undefined;
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
      this.stopping = true;
      try {
        await client.stop();
      } catch (error) {
        traceError("stopping the server failed", error);
      } finally {
        this.stopping = false;
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
