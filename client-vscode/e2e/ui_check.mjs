// Drives the real VS Code workbench (code-server) in Debian's headless chromium through playwright-core:
// the sadpath extension must show its squiggles, Problems rows, hover, a quick fix and fix-all on examples/, run
// under a Python other than the build's (SERVER_PYTHON), then the same in the cells of a notebook, with fix-all
// on save, and its debug information.
// Usage: node ui_check.mjs URL OUT_DIR [SERVER_PYTHON_VERSION]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, out, serverPython] = process.argv.slice(2);
const FILE = "payments.py";
const profile = mkdtempSync(join(tmpdir(), "sadpath-chromium-"));
const started = Date.now();
const log = (...args) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
const checks = [];
const check = (name, ok, detail = "") => {
  checks.push({ name, ok, detail });
  log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  if (!ok) throw new Error(`check failed: ${name}`);
};

const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1500, height: 950 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = context.pages()[0] ?? (await context.newPage());
page.on("pageerror", (error) => log("pageerror:", error.message));

async function problemRows() {
  return page.locator(".markers-panel .monaco-list-row").allInnerTexts();
}

async function command(title) {
  await page.keyboard.press("F1");
  await page.locator(".quick-input-widget input").fill(`>${title}`);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
}

async function goToLine(line, column) {
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
}

let rc = 1;
try {
  await page.goto(url);
  await page.waitForSelector(".monaco-workbench .part.editor", { timeout: 90_000 });
  log("workbench loaded");
  await page.keyboard.press("Control+P");
  await page.locator(".quick-input-widget input").fill(FILE);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: FILE }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press("Enter");
  await page.waitForSelector(`.tab[aria-label^="${FILE}"]`, { timeout: 30_000 });
  await goToLine(68, 13); // the unchained translation: bring its line into view (only visible lines are rendered)
  await page.waitForSelector(".monaco-editor .squiggly-warning", { timeout: 90_000 });
  check("sadpath squiggle shown", true);
  // the status item: ready, on the interpreter run.sh chose (not the one that built the VSIX)
  const status = page.locator('[aria-label^="sadpath: ready"]').first();
  await status.waitFor({ timeout: 30_000 });
  const statusLabel = (await status.getAttribute("aria-label")) ?? "";
  check("status item says ready, on the chosen Python", !serverPython || statusLabel.includes(`Python ${serverPython}`), statusLabel);

  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+Shift+M");
  const rows = page.locator(".markers-panel .monaco-list-row");
  await rows.filter({ hasText: "SAD103" }).first().waitFor({ timeout: 30_000 });
  const before = await problemRows();
  writeFileSync(join(out, "problems.txt"), before.join("\n") + "\n");
  for (const code of ["SAD101", "SAD102", "SAD103"]) {
    check(`Problems panel lists ${code}`, before.some((row) => row.includes(code) && row.includes("sadpath")));
  }
  check("Problems row says what is lost", before.some((row) => row.includes("drops the caught error as its cause")));

  // hover over the handler that swallows the failure of session.get() (line 100)
  await page.locator(".monaco-editor .view-lines").first().click();
  await goToLine(100, 9);
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = page.locator(".monaco-hover:visible", { hasText: "silent-except" });
  await hover.first().waitFor({ timeout: 20_000 });
  const hoverText = (await hover.first().innerText()).replace(/\s+/g, " ");
  check("hover explains the finding", hoverText.includes("SAD101"), hoverText.slice(0, 120));
  await page.keyboard.press("Escape");

  // quick fix: re-raise after the print(e), instead of returning "UNKNOWN"
  await goToLine(100, 9);
  await page.keyboard.press("Control+.");
  const action = page.locator(".action-widget .monaco-list-row", { hasText: "sadpath (SAD101): Re-raise the error after the existing handling (unsafe)" });
  await action.first().waitFor({ timeout: 20_000 });
  const menu = await page.locator(".action-widget .monaco-list-row").allInnerTexts();
  writeFileSync(join(out, "quick-fix-menu.txt"), menu.join("\n") + "\n");
  check("quick-fix titles name the tool and the rule", menu.filter((row) => row.includes("(SAD10")).every((row) => row.includes("sadpath (SAD10")), menu.join(" | "));
  check("the menu has sadpath: Fix all safe problems", menu.some((row) => row.includes("sadpath: Fix all safe problems")));
  check("unsafe fixes say so", menu.some((row) => row.includes("(unsafe)")), menu.join(" | "));
  await page.screenshot({ path: join(out, "quick-fix.png") });
  // the first action is focused; clicks hit the widget's pointer-block overlay: move to the re-raise, then Enter
  for (let i = 0; i < 8; i++) {
    const focused = await page.locator(".action-widget .monaco-list-row.focused").first().innerText().catch(() => "");
    if (focused.includes("Re-raise the error after the existing handling")) break;
    await page.keyboard.press("ArrowDown");
  }
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => ![...document.querySelectorAll(".markers-panel .monaco-list-row")].some((row) => row.innerText.includes("swallows the failure of `self.session.get()`")),
    null,
    { timeout: 20_000 },
  );
  check("quick fix applied and its finding gone", true);

  // fix all: the safe fixes (chain the cause of the unchained translation)
  // On a loaded machine VS Code may cancel the code-action request when focus returns from the command palette
  // ("No code actions ... available"): run the command once more before failing, and say so in the log.
  const sad103Gone = () =>
    page.waitForFunction(
      () => ![...document.querySelectorAll(".markers-panel .monaco-list-row")].some((row) => row.innerText.includes("SAD103")),
      null,
      { timeout: 15_000 },
    );
  await command("sadpath: Fix All Fixable Problems");
  try {
    await sad103Gone();
  } catch {
    log("fix-all left SAD103 in place; running the command again");
    await page.locator(".monaco-editor .view-lines").first().click();
    await command("sadpath: Fix All Fixable Problems");
    await sad103Gone();
  }
  await page.locator(".monaco-editor .view-lines").first().click();
  await goToLine(68, 13); // scroll back to the translation that fix-all chained
  await page.locator(".monaco-editor .view-lines", { hasText: ") from exc" }).first().waitFor({ timeout: 20_000 });
  const after = await problemRows();
  writeFileSync(join(out, "problems-after.txt"), after.join("\n") + "\n");
  check("fix-all chained the cause (SAD103 gone)", !after.some((row) => row.includes("SAD103")));
  await page.screenshot({ path: join(out, "vscode.png") });

  // "sadpath: Show Debug Information": versions, interpreter, bundle, the configuration file of the active file
  await command("sadpath: Show Debug Information");
  const debug = page.locator(".monaco-editor .view-lines", { hasText: "configuration file in force" });
  await debug.first().waitFor({ timeout: 30_000 });
  const debugText = (await debug.first().innerText()).replace(/\s+/g, " ");
  writeFileSync(join(out, "debug-info.txt"), debugText + "\n");
  check("debug information names the Python and the bundle", (!serverPython || debugText.includes(serverPython)) && debugText.includes("linux-x64"), debugText.slice(0, 160));
  await page.screenshot({ path: join(out, "debug-info.png") });
  await command("View: Revert and Close Editor");

  // a notebook: squiggles, hover and a quick fix in its cells, then fix-all on save (notebook.codeActionsOnSave)
  await page.keyboard.press("Control+P");
  await page.locator(".quick-input-widget input").fill("rates.ipynb");
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: "rates.ipynb" }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press("Enter");
  await page.waitForSelector('.tab[aria-label^="rates.ipynb"]', { timeout: 30_000 });
  const cellSquiggle = page.locator(".notebook-editor .monaco-editor .squiggly-warning");
  await cellSquiggle.first().waitFor({ timeout: 60_000 });
  check("a notebook cell has a sadpath squiggle", true);
  await page.waitForFunction(
    () => [...document.querySelectorAll(".markers-panel .monaco-list-row")].filter((row) => row.innerText.includes("SAD103")).length >= 2,
    null,
    { timeout: 30_000 },
  );
  const notebookRows = await problemRows();
  writeFileSync(join(out, "problems-notebook.txt"), notebookRows.join("\n") + "\n");
  check("Problems lists the cells' findings", notebookRows.some((row) => row.includes("rates.ipynb")) && notebookRows.filter((row) => row.includes("SAD103")).length >= 2);
  await page.screenshot({ path: join(out, "notebook.png") });

  const box = await cellSquiggle.first().boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  // the server's hover (its heading is the rule's code and slug), answered for the cell's position
  const cellHover = page.locator(".monaco-hover:visible", { hasText: /SAD\d{3} [a-z]+(-[a-z]+)+/ });
  await cellHover.first().waitFor({ timeout: 20_000 });
  check("hover in a notebook cell", true, (await cellHover.first().innerText()).replace(/\s+/g, " ").slice(0, 120));
  await page.screenshot({ path: join(out, "notebook-hover.png") });
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");

  const rateLine = page.locator(".notebook-editor .view-line", { hasText: "raise RateError('no rate for '" }).first();
  const lineBox = await rateLine.boundingBox();
  await page.mouse.click(lineBox.x + 60, lineBox.y + lineBox.height / 2);
  await page.keyboard.press("Control+.");
  const cellFix = page.locator(".action-widget .monaco-list-row", { hasText: "sadpath (SAD103): Chain the cause" });
  await cellFix.first().waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(out, "notebook-quick-fix.png") });
  await page.keyboard.press("Enter");
  await page.locator(".notebook-editor .view-line", { hasText: "raise RateError('no rate for ' + currency) from exc" }).first().waitFor({ timeout: 20_000 });
  check("quick fix applied in the cell", true);

  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+S"); // notebook.source.fixAll.sadpath on save: the other cell's translation
  await page.locator(".notebook-editor .view-line", { hasText: "raise RateError('no fee for ' + currency) from exc" }).first().waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    () => ![...document.querySelectorAll(".markers-panel .monaco-list-row")].some((row) => row.innerText.includes("SAD103")),
    null,
    { timeout: 20_000 },
  );
  check("fix-all on save chained the other cell (no SAD103 left)", true);
  await page.screenshot({ path: join(out, "notebook-after-save.png") });
  await page.mouse.move(800, 400);
  await page.mouse.wheel(0, 600); // the last cell, which the save fixed
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, "notebook-after-save-last-cell.png") });
  rc = 0;
  log("PASS");
} catch (error) {
  log("FAIL:", error.message);
  await page.screenshot({ path: join(out, "vscode-failure.png") }).catch(() => {});
} finally {
  writeFileSync(join(out, "checks.json"), JSON.stringify(checks, null, 2));
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(rc);
