// Drives the real VS Code workbench (code-server) in Debian's headless chromium through playwright-core:
// the sadpath extension must show its squiggles, Problems rows, hover, a quick fix and fix-all on examples/.
// Usage: node ui_check.mjs URL OUT_DIR
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, out] = process.argv.slice(2);
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

  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+Shift+M");
  const rows = page.locator(".markers-panel .monaco-list-row");
  await rows.filter({ hasText: "SAD103" }).first().waitFor({ timeout: 30_000 });
  const before = await problemRows();
  writeFileSync(join(out, "problems.txt"), before.join("\n") + "\n");
  for (const code of ["SAD101", "SAD102", "SAD103", "SAD104"]) {
    check(`Problems panel lists ${code}`, before.some((row) => row.includes(code) && row.includes("sadpath")));
  }
  check("Problems row says what is lost", before.some((row) => row.includes("drops the caught error as its cause")));

  // hover over the print(e) that loses the traceback (line 101)
  await page.locator(".monaco-editor .view-lines").first().click();
  await goToLine(101, 13);
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = page.locator(".monaco-hover:visible", { hasText: "SAD104 lost-traceback-log" });
  await hover.first().waitFor({ timeout: 20_000 });
  const hoverText = (await hover.first().innerText()).replace(/\s+/g, " ");
  check("hover explains the finding", hoverText.includes("Why it matters") && hoverText.includes("Log with traceback and context"), hoverText.slice(0, 120));
  await page.keyboard.press("Escape");

  // quick fix: replace print(e) with a structured logger.exception(...)
  await goToLine(101, 13);
  await page.keyboard.press("Control+.");
  const action = page.locator(".action-widget .monaco-list-row", { hasText: "Log with traceback and context" });
  await action.first().waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(out, "quick-fix.png") });
  await page.keyboard.press("Enter"); // the first action is focused; clicks hit the widget's pointer-block overlay
  await page.locator(".monaco-editor .view-lines", { hasText: 'logger.exception("get_status failed"' }).first().waitFor({ timeout: 20_000 });
  await page.waitForFunction(
    () => ![...document.querySelectorAll(".markers-panel .monaco-list-row")].some((row) => row.innerText.includes("`print(...)`")),
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
