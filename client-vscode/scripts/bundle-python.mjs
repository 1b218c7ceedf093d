// Installs sadpath and its Python dependencies into bundled/libs (pip install --target), for `useBundled`.
// The interpreter is $SADPATH_BUNDLE_PYTHON or python3; its version and platform decide compiled wheels (libcst).
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const extension = resolve(here, "..");
const repository = resolve(extension, "..");
const target = join(extension, "bundled", "libs");
const python = process.env.SADPATH_BUNDLE_PYTHON || "python3";

if (!existsSync(join(repository, "pyproject.toml"))) {
  console.error(`bundle-python: no pyproject.toml in ${repository}`);
  process.exit(2);
}
rmSync(target, { recursive: true, force: true });
try {
  execFileSync(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--target", target, repository], {
    stdio: "inherit",
  });
} catch (error) {
  console.error(`bundle-python: pip install failed: ${error.message}`);
  process.exit(1);
}
for (const junk of ["bin"]) {
  rmSync(join(target, junk), { recursive: true, force: true });
}
console.log(`bundled sadpath into ${target}`);
