import * as assert from "assert";

import {
  DEFAULTS,
  checkPythonVersion,
  chooseInterpreter,
  effectiveValue,
  expandVariables,
  initializationOptions,
  serverCommand,
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
    assert.deepStrictEqual(serverCommand(["py"], "fromEnvironment", "/shim", []), { command: "py", args: ["-m", "sadpath", "server"] });
  });

  test("initialization options are the server's camelCase keys", () => {
    assert.deepStrictEqual(initializationOptions(DEFAULTS), { ignore: [], unsafeFixes: false, fixAll: true, debounceMs: 150, logLevel: "warning" });
    assert.strictEqual(initializationOptions({ ...DEFAULTS, coverage: ".coverage" }).coverage, ".coverage");
    assert.deepStrictEqual(initializationOptions({ ...DEFAULTS, select: ["SAD1"] }).select, ["SAD1"]);
  });
});
