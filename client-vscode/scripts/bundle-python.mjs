// Installs sadpath and its Python dependencies into bundled/libs for one VS Code target, for `useBundled`:
// compiled wheels (libcst, pyyaml, coverage) for every CPython 3.10-3.14, side by side (scripts/bundle_python.py).
// Usage: node scripts/bundle-python.mjs [--target linux-x64|linux-arm64|darwin-x64|darwin-arm64|win32-x64|universal]
// The default target is this machine's. The helper runs under $SADPATH_BUNDLE_PYTHON or python3 (it needs pip).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function hostTarget() {
  const arch = { x64: "x64", arm64: "arm64" }[process.arch] ?? process.arch;
  return `${process.platform}-${arch}`;
}

export function bundle(target) {
  const here = dirname(fileURLToPath(import.meta.url));
  const python = process.env.SADPATH_BUNDLE_PYTHON || "python3";
  execFileSync(python, [join(here, "bundle_python.py"), "--target", target], { stdio: "inherit" });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const index = process.argv.indexOf("--target");
  const target = index > 0 ? process.argv[index + 1] : hostTarget();
  try {
    bundle(target);
  } catch (error) {
    console.error(`bundle-python: ${error.message}`);
    process.exit(1);
  }
}
