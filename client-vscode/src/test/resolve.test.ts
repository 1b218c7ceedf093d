import * as assert from "assert";

import {
  DEFAULTS,
  checkProblem,
  checkPythonVersion,
  chooseInterpreter,
  effectiveStrategy,
  parseCheck,
  effectiveValue,
  expandVariables,
  initializationOptions,
  isInside,
  serverCommand,
  trustedInterpreter,
} from "../common/resolve";

suite("settings resolution", () => {
  test("folder beats workspace beats user beats default", () => {
    assert.deepStrictEqual(effectiveValue("select", { defaultValue: [], globalValue: ["SAD1"], workspaceValue: ["SAD2"], workspaceFolderValue: ["SAD101"] }, true, []), ["SAD101"]);
    assert.deepStrictEqual(effectiveValue("select", { defaultValue: [], globalValue: ["SAD1"], workspaceValue: ["SAD2"] }, true, []), ["SAD2"]);
    assert.deepStrictEqual(effectiveValue("select", { defaultValue: [], globalValue: ["SAD1"] }, true, []), ["SAD1"]);
    assert.deepStrictEqual(effectiveValue("select", { defaultValue: ["ALL"] }, true, []), ["ALL"]);
    assert.deepStrictEqual(effectiveValue("select", undefined, true, ["x"]), ["x"]);
  });

  test("an untrusted workspace cannot choose the executable", () => {
    const interpreter = { defaultValue: [], globalValue: ["/usr/bin/python3"], workspaceValue: ["./evil.sh"], workspaceFolderValue: ["./evil.sh"] };
    assert.deepStrictEqual(effectiveValue("interpreter", interpreter, false, []), ["/usr/bin/python3"]);
    assert.deepStrictEqual(effectiveValue("args", { defaultValue: [], workspaceValue: ["--tcp", "0.0.0.0:1"] }, false, []), []);
    assert.strictEqual(effectiveValue("importStrategy", { defaultValue: "useBundled", workspaceValue: "fromEnvironment" }, false, "useBundled"), "useBundled");
    assert.strictEqual(effectiveValue("importStrategy", { defaultValue: "useBundled", workspaceValue: "fromEnvironment" }, true, "useBundled"), "fromEnvironment");
  });

  test("an untrusted workspace still sets what cannot run a program", () => {
    assert.deepStrictEqual(effectiveValue("ignore", { defaultValue: [], workspaceValue: ["SAD105"] }, false, []), ["SAD105"]);
  });

  test("variables are expanded", () => {
    const env = { VENV: "/opt/venv" } as NodeJS.ProcessEnv;
    assert.strictEqual(expandVariables("${workspaceFolder}/.venv/bin/python", "/ws", env, "/home/u"), "/ws/.venv/bin/python");
    assert.strictEqual(expandVariables("${env:VENV}/bin/python", "/ws", env, "/home/u"), "/opt/venv/bin/python");
    assert.strictEqual(expandVariables("${userHome}/py", undefined, env, "/home/u"), "/home/u/py");
    assert.strictEqual(expandVariables("${env:MISSING}x", undefined, env, "/h"), "x");
  });
});

suite("interpreter choice", () => {
  test("the setting wins, then the Python extension, then python3", () => {
    assert.deepStrictEqual(chooseInterpreter(["/a/python", "-X", "utf8"], ["/b/python"]), { command: ["/a/python", "-X", "utf8"], source: "setting" });
    assert.deepStrictEqual(chooseInterpreter([], ["/b/python"]), { command: ["/b/python"], source: "python-extension" });
    assert.deepStrictEqual(chooseInterpreter(["  "], undefined), { command: ["python3"], source: "path" });
  });

  test("Python 3.10 or newer is required", () => {
    assert.deepStrictEqual(checkPythonVersion("3.11\n"), { ok: true, version: "3.11" });
    assert.deepStrictEqual(checkPythonVersion("3.10"), { ok: true, version: "3.10" });
    assert.deepStrictEqual(checkPythonVersion("3.9"), { ok: false, version: "3.9" });
    assert.deepStrictEqual(checkPythonVersion("2.7"), { ok: false, version: "2.7" });
    assert.strictEqual(checkPythonVersion("").ok, false);
  });

  test("server command per import strategy", () => {
    assert.deepStrictEqual(serverCommand(["py", "-X", "utf8"], "useBundled", "/ext/bundled/tool/lsp_server.py", ["--stdio"]), {
      command: "py",
      args: ["-X", "utf8", "/ext/bundled/tool/lsp_server.py", "--stdio"],
    });
    assert.deepStrictEqual(serverCommand(["py"], "fromEnvironment", "/shim", []), { command: "py", args: ["/shim", "--from-environment"] });
    // never `-m`: it would put the workspace (the working folder) first on sys.path
    for (const strategy of ["useBundled", "fromEnvironment"] as const) {
      assert.ok(!serverCommand(["py"], strategy, "/shim", []).args.includes("-m"));
    }
  });

  test("an untrusted workspace never runs an interpreter inside it", () => {
    const venv = { command: ["/ws/repo/.venv/bin/python"], source: "python-extension" as const };
    assert.deepStrictEqual(trustedInterpreter(venv, false, ["/ws/repo"]), { choice: { command: ["python3"], source: "path" }, refused: "/ws/repo/.venv/bin/python" });
    assert.deepStrictEqual(trustedInterpreter(venv, true, ["/ws/repo"]), { choice: venv });
    const outside = { command: ["/usr/bin/python3.12"], source: "python-extension" as const };
    assert.deepStrictEqual(trustedInterpreter(outside, false, ["/ws/repo"]), { choice: outside });
    const fromUser = { command: ["/ws/repo/tools/py"], source: "setting" as const };
    assert.strictEqual(trustedInterpreter(fromUser, false, ["/ws/repo"]).refused, "/ws/repo/tools/py");
  });

  test("inside a folder: by path components, case-insensitively where the file system is", () => {
    assert.ok(isInside("/ws/repo/.venv/bin/python", ["/ws/repo"], "linux"));
    assert.ok(!isInside("/ws/repo2/bin/python", ["/ws/repo"], "linux"));
    assert.ok(isInside("C:\\Code\\Repo\\.venv\\Scripts\\python.exe", ["c:\\code\\repo"], "win32"));
    assert.ok(!isInside("/WS/repo/x", ["/ws/repo"], "linux"));
  });

  test("initialization options are the server's camelCase keys", () => {
    assert.deepStrictEqual(initializationOptions(DEFAULTS), {
      ignore: [],
      extendSelect: [],
      unsafeFixes: false,
      fixAll: true,
      showSyntaxErrors: true,
      debounceMs: 150,
      logLevel: "warning",
    });
    assert.strictEqual(initializationOptions({ ...DEFAULTS, coverage: ".coverage" }).coverage, ".coverage");
    assert.deepStrictEqual(initializationOptions({ ...DEFAULTS, select: ["SAD1"] }).select, ["SAD1"]);
    assert.deepStrictEqual(initializationOptions({ ...DEFAULTS, extendSelect: ["SAD302"] }).extendSelect, ["SAD302"]);
    assert.strictEqual(initializationOptions({ ...DEFAULTS, showSyntaxErrors: false }).showSyntaxErrors, false);
    assert.strictEqual(initializationOptions({ ...DEFAULTS, configuration: "ci/pyproject.toml" }).configuration, "ci/pyproject.toml");
    assert.ok(!("configuration" in initializationOptions(DEFAULTS)));
  });
});

suite("the start-up check", () => {
  test("the check's JSON line is read, whatever else was printed", () => {
    const ok = parseCheck('warning: something\n{"ok": true, "python": "3.12.1", "problems": []}\n', "", 0);
    assert.strictEqual(ok.ok, true);
    assert.strictEqual(ok.python, "3.12.1");
    const bad = parseCheck('{"ok": false, "python": "3.12.1", "problems": ["cannot import libcst from /b: ImportError: no native"]}', "", 3);
    assert.strictEqual(bad.ok, false);
    assert.match(checkProblem(bad, ["/usr/bin/python3.12"]), /cannot start with \/usr\/bin\/python3\.12 \(Python 3\.12\.1\): cannot import libcst/);
  });

  test("no report is a failure that says what the interpreter printed", () => {
    const report = parseCheck("", "  File \"lsp_server.py\", line 3\nSyntaxError: invalid syntax\n", 1);
    assert.strictEqual(report.ok, false);
    assert.match(report.problems[0], /exit code 1.*SyntaxError: invalid syntax/);
    assert.strictEqual(parseCheck("{not json", "", null).ok, false);
  });

  test("the universal VSIX (no bundle) runs the environment's sadpath", () => {
    assert.strictEqual(effectiveStrategy("useBundled", true), "useBundled");
    assert.strictEqual(effectiveStrategy("useBundled", false), "fromEnvironment");
    assert.strictEqual(effectiveStrategy("fromEnvironment", true), "fromEnvironment");
  });
});
