// Builds the VSIXes: one per VS Code target, each with its own bundle (bundled/libs) for CPython 3.10-3.14, and
// a universal one without a bundle that runs the sadpath installed in the user's environment.
// Usage: node scripts/package.mjs [TARGET ...|all]   (default: this machine's target)
// Writes sadpath-TARGET.vsix into client-vscode/ and prints each one's size.
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { bundle, hostTarget } from "./bundle-python.mjs";

const ALL = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "universal"];
const extension = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const vsce = join(extension, "node_modules", ".bin", "vsce");

let targets = process.argv.slice(2);
if (targets.length === 0) {
  targets = [hostTarget()];
} else if (targets.includes("all")) {
  targets = ALL;
}
for (const target of targets) {
  if (!ALL.includes(target)) {
    console.error(`package: unknown target ${target}; expected one of ${ALL.join(", ")} or all`);
    process.exit(2);
  }
}
const built = [];
for (const target of targets) {
  const started = Date.now();
  const out = join(extension, `sadpath-${target}.vsix`);
  try {
    bundle(target);
    const platform = target === "universal" ? [] : ["--target", target];
    execFileSync(vsce, ["package", ...platform, "--allow-package-all-secrets", "--out", out], { cwd: extension, stdio: ["ignore", "ignore", "inherit"] });
  } catch (error) {
    console.error(`package: ${target} failed: ${error.message}`);
    process.exit(1);
  }
  const size = statSync(out).size;
  built.push(`${target}: ${out} ${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(built[built.length - 1]);
}
console.log(`built ${built.length} VSIX${built.length === 1 ? "" : "es"}`);
