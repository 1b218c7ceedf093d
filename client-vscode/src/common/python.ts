// Finds the interpreter that runs the server: the setting, the Python extension's selection, or python3.
import { execFile } from "child_process";
import * as vscode from "vscode";

import { traceError, traceInfo } from "./log";
import { CheckReport, ImportStrategy, InterpreterChoice, checkPythonVersion, chooseInterpreter, parseCheck, serverCommand } from "./resolve";

async function fromPythonExtension(resource: vscode.Uri | undefined): Promise<string[] | undefined> {
  try {
    const { PythonExtension } = await import("@vscode/python-extension");
    const api = await PythonExtension.api();
    const path = api.environments.getActiveEnvironmentPath(resource);
    const environment = await api.environments.resolveEnvironment(path);
    const executable = environment?.executable.uri?.fsPath;
    return executable ? [executable] : undefined;
  } catch (error) {
    traceInfo(`Python extension not available (${error instanceof Error ? error.message : String(error)}); using python3`);
    return undefined;
  }
}

export async function resolveInterpreter(setting: string[], resource: vscode.Uri | undefined): Promise<InterpreterChoice> {
  const fromExtension = setting.length === 0 ? await fromPythonExtension(resource) : undefined;
  return chooseInterpreter(setting, fromExtension);
}

/**
 * Runs the interpreter once to check it is Python >= 3.10; says what is wrong otherwise. It runs in `cwd` (the
 * extension's folder), never in the workspace: `-c` puts the working folder first on `sys.path`.
 */
export function checkInterpreter(command: string[], cwd: string): Promise<string | undefined> {
  const [program, ...leading] = command;
  return new Promise((resolve) => {
    execFile(program, [...leading, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { timeout: 15000, cwd }, (error, stdout) => {
      if (error) {
        traceError(`cannot run ${command.join(" ")}`, error);
        resolve(`sadpath cannot run the Python interpreter ${command.join(" ")}: ${error.message}`);
        return;
      }
      const { ok, version } = checkPythonVersion(stdout);
      resolve(ok ? undefined : `sadpath needs Python 3.10 or newer; ${command.join(" ")} is Python ${version}.`);
    });
  });
}

/**
 * Runs the server's shim with `--check` under the chosen interpreter and strategy: it imports everything the
 * server needs (the bundle's compiled modules for this Python included) and reports what it cannot.
 */
export function checkServer(interpreter: string[], strategy: ImportStrategy, shim: string, cwd: string): Promise<CheckReport> {
  const { command, args } = serverCommand(interpreter, strategy, shim, ["--check"]);
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 60000, cwd }, (error, stdout, stderr) => {
      const code = error && typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? Number((error as { code?: unknown }).code) : error ? null : 0;
      const report = parseCheck(stdout, stderr, code);
      if (!report.ok) {
        traceError(`the check of ${interpreter.join(" ")} (${strategy}) failed: ${report.problems.join("; ")}`);
      } else {
        traceInfo(`check passed: Python ${report.python} (${report.executable}), ${strategy}, sadpath ${report.sadpath ?? "?"}`);
      }
      resolve(report);
    });
  });
}
