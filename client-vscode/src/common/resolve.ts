// Pure decisions behind the extension's settings and interpreter choice, free of the `vscode` module so that
// they run under mocha without a VS Code download.

export type ImportStrategy = "useBundled" | "fromEnvironment";
export type LogLevel = "error" | "warning" | "info" | "debug";

export interface Settings {
  enable: boolean;
  select: string[];
  extendSelect: string[];
  ignore: string[];
  unsafeFixes: boolean;
  fixAll: boolean;
  showSyntaxErrors: boolean;
  configuration: string;
  debounceMs: number;
  coverage: string;
  interpreter: string[];
  importStrategy: ImportStrategy;
  args: string[];
  logLevel: LogLevel;
  showNotifications: "off" | "onError" | "onWarning" | "always";
}

export const DEFAULTS: Settings = {
  enable: true,
  select: [],
  extendSelect: [],
  ignore: [],
  unsafeFixes: false,
  fixAll: true,
  showSyntaxErrors: true,
  configuration: "",
  debounceMs: 150,
  coverage: "",
  interpreter: [],
  importStrategy: "useBundled",
  args: [],
  logLevel: "warning",
  showNotifications: "onError",
};

/** The settings that choose a program to run: a cloned repository must not be able to set them. */
export const EXECUTABLE_SETTINGS: ReadonlyArray<keyof Settings> = ["interpreter", "args", "importStrategy"];

/** What `WorkspaceConfiguration.inspect()` reports for one key. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * The effective value of one setting. In an untrusted workspace the executable settings come only from the
 * user's own settings (global), never from `.vscode/settings.json` or the folder's settings.
 */
export function effectiveValue<T>(key: keyof Settings, inspected: Inspected<T> | undefined, trusted: boolean, fallback: T): T {
  if (!inspected) {
    return fallback;
  }
  const fromUser = inspected.globalValue;
  if (!trusted && EXECUTABLE_SETTINGS.includes(key)) {
    return fromUser !== undefined ? fromUser : inspected.defaultValue !== undefined ? inspected.defaultValue : fallback;
  }
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, fromUser, inspected.defaultValue]) {
    if (value !== undefined) {
      return value;
    }
  }
  return fallback;
}

/** `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in string settings. */
export function expandVariables(value: string, workspaceFolder: string | undefined, env: NodeJS.ProcessEnv, home: string): string {
  return value
    .replace(/\$\{workspaceFolder\}/g, workspaceFolder ?? "")
    .replace(/\$\{userHome\}/g, home)
    .replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => env[name] ?? "");
}

export interface InterpreterChoice {
  command: string[];
  source: "setting" | "python-extension" | "path";
}

/** The interpreter: the `sadpath.interpreter` setting, else the Python extension's, else `python3` on PATH. */
export function chooseInterpreter(setting: string[], fromPythonExtension: string[] | undefined): InterpreterChoice {
  const configured = setting.filter((part) => part.trim() !== "");
  if (configured.length > 0) {
    return { command: configured, source: "setting" };
  }
  if (fromPythonExtension && fromPythonExtension.length > 0 && fromPythonExtension[0]) {
    return { command: fromPythonExtension, source: "python-extension" };
  }
  return { command: ["python3"], source: "path" };
}

export const MINIMUM_PYTHON: [number, number] = [3, 10];

/** Parses `sys.version_info[:2]` printed as "3.11" and says whether it is new enough. */
export function checkPythonVersion(printed: string): { ok: boolean; version: string } {
  const match = /(\d+)\.(\d+)/.exec(printed.trim());
  if (!match) {
    return { ok: false, version: printed.trim() || "unknown" };
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const ok = major > MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor >= MINIMUM_PYTHON[1]);
  return { ok, version: `${major}.${minor}` };
}

/**
 * The server's command line for an interpreter and an import strategy. Both start the shim as a script, never
 * `python -m`: `-m` puts the working folder (the workspace) first on `sys.path`, so a workspace `sadpath/`
 * package or a stdlib shadow such as `argparse.py` would run. A script puts only its own folder there.
 */
export function serverCommand(interpreter: string[], strategy: ImportStrategy, shim: string, args: string[]): { command: string; args: string[] } {
  const [command, ...leading] = interpreter;
  const entry = strategy === "useBundled" ? [shim] : [shim, "--from-environment"];
  return { command, args: [...leading, ...entry, ...args] };
}

/** What `lsp_server.py --check` prints: whether this interpreter can run the server, and why not. */
export interface CheckReport {
  ok: boolean;
  python?: string;
  implementation?: string;
  executable?: string;
  platform?: string;
  strategy?: ImportStrategy;
  sadpath?: string;
  bundle?: { path: string; target: string | null; pythons: string[] } | null;
  problems: string[];
}

/** Reads the check's output (its last JSON line); a run that printed none is a problem with what it printed. */
export function parseCheck(stdout: string, stderr: string, exitCode: number | null): CheckReport {
  const lines = stdout.split(/\r?\n/).filter((line) => line.trim().startsWith("{"));
  for (const line of lines.reverse()) {
    try {
      const parsed = JSON.parse(line) as CheckReport;
      if (typeof parsed.ok === "boolean" && Array.isArray(parsed.problems)) {
        return parsed;
      }
    } catch {
      // not the report: look at the line before
    }
  }
  const detail = (stderr.trim() || stdout.trim()).split(/\r?\n/).slice(-3).join(" ");
  return { ok: false, problems: [`the interpreter could not run sadpath's check (exit code ${exitCode}): ${detail || "no output"}`] };
}

/** The status item's and the notification's text for a failed check. */
export function checkProblem(report: CheckReport, command: string[]): string {
  const python = report.python ? ` (Python ${report.python})` : "";
  return `sadpath cannot start with ${command.join(" ")}${python}: ${report.problems.join("; ")}`;
}

/**
 * The import strategy in force: `useBundled` needs a bundle; the universal VSIX has none and runs the
 * environment's sadpath.
 */
export function effectiveStrategy(setting: ImportStrategy, hasBundle: boolean): ImportStrategy {
  return setting === "useBundled" && !hasBundle ? "fromEnvironment" : setting;
}

/** Whether `file` lies in one of `folders` (compared case-insensitively where the file system is). */
export function isInside(file: string, folders: string[], platform: string = process.platform): boolean {
  const normalize = (value: string) => {
    let out = value.replace(/\\/g, "/").replace(/\/+$/, "");
    if (platform === "win32" || platform === "darwin") {
      out = out.toLowerCase();
    }
    return out;
  };
  const target = normalize(file);
  return folders.some((folder) => {
    const base = normalize(folder);
    return base !== "" && (target === base || target.startsWith(base + "/"));
  });
}

/**
 * In an untrusted workspace no interpreter inside the workspace may run, even one the Python extension selected
 * (a cloned repository can ship a `.venv/bin/python` that is any program): python3 on PATH runs instead.
 */
export function trustedInterpreter(choice: InterpreterChoice, trusted: boolean, folders: string[]): { choice: InterpreterChoice; refused?: string } {
  if (trusted || choice.source === "path" || !isInside(choice.command[0], folders)) {
    return { choice };
  }
  return { choice: { command: ["python3"], source: "path" }, refused: choice.command[0] };
}

/** The initialization options the server reads (camelCase, as `sadpath server` documents them). */
export function initializationOptions(settings: Settings): Record<string, unknown> {
  const options: Record<string, unknown> = {
    ignore: settings.ignore,
    extendSelect: settings.extendSelect,
    unsafeFixes: settings.unsafeFixes,
    fixAll: settings.fixAll,
    showSyntaxErrors: settings.showSyntaxErrors,
    debounceMs: settings.debounceMs,
    logLevel: settings.logLevel,
  };
  if (settings.select.length > 0) {
    options.select = settings.select;
  }
  if (settings.configuration.trim() !== "") {
    options.configuration = settings.configuration; // a pyproject.toml replacing the nearest one, relative to the folder
  }
  if (settings.coverage.trim() !== "") {
    options.coverage = settings.coverage; // coverage.py data for SAD302, relative to the workspace folder
  }
  return options;
}
