"""Builds bundled/libs for one VS Code target: sadpath and its dependencies for every supported CPython.

    python bundle_python.py --target linux-x64 [--pythons 3.10,3.11,3.12,3.13,3.14] [--out DIR]

For each CPython it runs ``pip install --target --platform --python-version --only-binary=:all:`` into a
folder of its own, then merges the folders: a distribution installed at the same version for every CPython is
shared (its compiled modules carry their version in their names, ``libcst/native.cpython-312-x86_64-linux-gnu.so``,
so they sit side by side in ``libs/``); one that differs between versions, or that only some versions need
(``tomli`` and ``exceptiongroup`` for 3.10, a coverage release that dropped 3.10), goes to ``libs/cp310/`` and so
on, which the server's shim puts first on ``sys.path`` for that version.

pip evaluates environment markers against the interpreter that runs it, not against ``--python-version`` or
``--platform``: ``tomli; python_version < "3.11"`` would be left out of a 3.10 bundle built on 3.11. So this
script evaluates sadpath's own requirements for the target (``packaging.markers``) and hands pip the ones that
apply; after each install it reads every installed distribution's requirements the same way and installs what
is missing, until nothing is.

``--target universal`` removes bundled/libs: the universal VSIX runs the sadpath of the user's environment.
Writes ``sadpath_bundle.json`` into the bundle (target, Pythons, packages, compiled modules).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pip vendors packaging: every interpreter that can run pip has it
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    from pip._vendor.packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
EXTENSION = HERE.parent
REPOSITORY = EXTENSION.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")

# VS Code target -> (pip --platform tags, marker environment). VS Code itself needs glibc 2.28 on Linux,
# macOS 10.15 (x64) / 11 (arm64) and 64-bit Windows 10: no wheel newer than that is allowed in.
TARGETS: dict[str, tuple[list[str], dict[str, str]]] = {
    "linux-x64": (
        ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
        {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64"},
    ),
    "linux-arm64": (
        ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
        {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "aarch64"},
    ),
    "darwin-x64": (
        ["macosx_10_15_x86_64"],  # pip adds every older macosx tag and universal2
        {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "x86_64"},
    ),
    "darwin-arm64": (
        ["macosx_11_0_arm64"],
        {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "arm64"},
    ),
    "win32-x64": (
        ["win_amd64"],
        {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
    ),
}
DROP = ("bin", "a1_coverage.pth")  # console scripts and coverage's subprocess hook: nothing the server runs
MANIFEST = "sadpath_bundle.json"


class BundleError(Exception):
    pass


def marker_environment(target: str, python: str) -> dict[str, str]:
    environment = dict(TARGETS[target][1])
    environment.update(
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_name="cpython",
        implementation_version=f"{python}.0",
        platform_python_implementation="CPython",
        platform_release="",
        platform_version="",
    )
    return environment


def installed(folder: Path) -> dict[str, tuple[str, Path]]:
    """Distribution name (canonical) -> (version, dist-info folder) of what pip put into ``folder``."""
    found = {}
    for info in folder.glob("*.dist-info"):
        metadata = _metadata(info / "METADATA")
        name = metadata.get("Name", [info.name.split("-")[0]])[0]
        found[canonicalize_name(name)] = (metadata.get("Version", [""])[0], info)
    return found


def _metadata(path: Path) -> dict[str, list[str]]:
    """The header fields of a METADATA file (an email header block: continuation lines, blank-looking ones too)."""
    from email.parser import Parser

    message = Parser().parsestr(path.read_text(encoding="utf-8"), headersonly=True)
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(str(value).strip())
    return fields


def missing_requirements(folder: Path, environment: dict[str, str]) -> list[str]:
    """Requirements of the installed distributions that apply to ``environment`` and are not satisfied."""
    have = installed(folder)
    missing: set[str] = set()
    for _version, info in have.values():
        for text in _metadata(info / "METADATA").get("Requires-Dist", []):
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                raise BundleError(f"{info.name}: cannot read the requirement {text!r}: {exc}") from exc
            if requirement.marker is not None and not requirement.marker.evaluate({**environment, "extra": ""}):
                continue
            present = have.get(canonicalize_name(requirement.name))
            if present is None or (requirement.specifier and not requirement.specifier.contains(present[0], prereleases=True)):
                requirement.marker = None
                missing.add(str(requirement))
    return sorted(missing)


def requirements_for(metadata: dict[str, list[str]], environment: dict[str, str]) -> list[str]:
    """The requirements that apply to ``environment``, their markers evaluated and dropped."""
    out = []
    for text in metadata.get("Requires-Dist", []):
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({**environment, "extra": ""}):
            requirement.marker = None
            out.append(str(requirement))
    return out


def wheel_metadata(wheel: Path) -> dict[str, list[str]]:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8")
    scratch = Path(tempfile.mkdtemp(prefix="sadpath-metadata-"))
    try:
        (scratch / "METADATA").write_text(text, encoding="utf-8")
        return _metadata(scratch / "METADATA")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def pip_install(python: str, target: str, folder: Path, requirements: list[str], constraints: Path | None, no_deps: bool = False) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(folder), "--python-version", python, "--implementation", "cp", "--only-binary=:all:",
    ]
    for platform in TARGETS[target][0]:
        command += ["--platform", platform]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if no_deps:
        command.append("--no-deps")
    command += requirements
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = "\n".join(line for line in (proc.stderr or proc.stdout).splitlines() if "is ignored: it is neither" not in line)
        raise BundleError(f"pip install for CPython {python} on {target} failed:\n{detail.strip()}")


def _add(python: str, target: str, folder: Path, requirements: list[str], no_deps: bool = False) -> None:
    """Install into ``folder`` next to what is there (pip --target would replace it): through a scratch folder."""
    extra = folder.with_name(folder.name + "-extra")
    shutil.rmtree(extra, ignore_errors=True)
    pip_install(python, target, extra, requirements, None, no_deps)
    for entry in extra.iterdir():
        destination = folder / entry.name
        if not destination.exists():
            shutil.move(str(entry), destination)
    shutil.rmtree(extra, ignore_errors=True)


def _unpack(wheel: Path, folder: Path) -> None:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder)


def install_for(python: str, target: str, wheel: Path, folder: Path) -> None:
    environment = marker_environment(target, python)
    pip_install(python, target, folder, requirements_for(wheel_metadata(wheel), environment), None)
    _unpack(wheel, folder)  # sadpath itself: a pure-Python wheel, as pip --no-deps would install it
    for _round in range(10):
        missing = missing_requirements(folder, environment)
        if not missing:
            return
        _add(python, target, folder, missing)
    raise BundleError(f"CPython {python} on {target}: requirements still missing after 10 rounds: {missing}")


def dist_files(folder: Path, info: Path) -> list[Path]:
    """The files a distribution put into ``folder`` (its RECORD), relative to it; scripts and caches left out."""
    files = [Path(info.name) / "RECORD"]
    for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
        path = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
        relative = Path(path)
        if not path or relative.is_absolute() or ".." in relative.parts or relative.parts[0] in DROP:
            continue
        if "__pycache__" in relative.parts or not (folder / relative).is_file():
            continue
        files.append(relative)
    return sorted(set(files))


def merge(installs: dict[str, Path], destination: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Merge the per-version installs: shared distributions into ``destination``, the others into
    ``destination/cpXY``. Returns (shared name -> version, python -> {name -> version} of the per-version ones)."""
    found = {python: installed(folder) for python, folder in installs.items()}
    names = sorted({name for dists in found.values() for name in dists})
    shared: dict[str, str] = {}
    own: dict[str, dict[str, str]] = {python: {} for python in installs}
    for name in names:
        versions = {python: dists[name][0] for python, dists in found.items() if name in dists}
        everywhere = len(versions) == len(installs) and len(set(versions.values())) == 1
        if everywhere:
            shared[name] = next(iter(versions.values()))
        for python, version in versions.items():
            folder = installs[python]
            out = destination if everywhere else destination / f"cp{python.replace('.', '')}"
            if not everywhere:
                own[python][name] = version
            for relative in dist_files(folder, found[python][name][1]):
                target = out / relative
                if target.exists():
                    # the same release's file (checked by size: the wheels differ only in compiled modules, whose
                    # names differ); RECORD and WHEEL name each wheel's own tags
                    if target.stat().st_size == (folder / relative).stat().st_size or relative.parts[0].endswith(".dist-info"):
                        continue
                    raise BundleError(f"CPython {python}: {name}'s {relative} differs from the other versions' copy")
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(folder / relative, target)  # the installs are scratch: no need to copy the bytes
                except OSError:
                    shutil.copy2(folder / relative, target)
    return shared, own


def compiled_modules(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)).replace(os.sep, "/") for p in folder.rglob("*") if p.suffix in (".so", ".pyd"))


def build(target: str, pythons: list[str], out: Path) -> dict:
    if target not in TARGETS:
        raise BundleError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)} or universal")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sadpath-bundle-") as tmp:
        work = Path(tmp)
        wheels = work / "wheel"
        # from a clean copy: setuptools' build/ folder in the repository keeps files deleted since
        project = work / "project"
        shutil.copytree(REPOSITORY / "server", project / "server", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(REPOSITORY / name, project / name)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--wheel-dir", str(wheels), str(project)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise BundleError(f"cannot build the sadpath wheel: {proc.stderr.strip()}")
        wheel = next(wheels.glob("sadpath-*.whl"))
        out.parent.mkdir(parents=True, exist_ok=True)
        merged = Path(tempfile.mkdtemp(prefix=".libs-", dir=out.parent))  # beside ``out``: renamed into place
        try:
            installs = {python: work / "installs" / f"cp{python.replace('.', '')}" for python in pythons}
            # the versions at once: pip mostly waits on the package index
            with ThreadPoolExecutor(max_workers=len(pythons)) as pool:
                for done in [pool.submit(install_for, python, target, wheel, folder) for python, folder in installs.items()]:
                    done.result()
            print(f"  installed CPython {', '.join(pythons)} for {target} in {time.monotonic() - started:.0f} s", flush=True)
            native = {python: [m for m in compiled_modules(folder) if not m.startswith("bin/")] for python, folder in installs.items()}
            shared, own = merge(installs, merged)
            print(f"  merged in {time.monotonic() - started:.0f} s", flush=True)
            manifest = {
                "target": target,
                "pythons": pythons,
                "platforms": TARGETS[target][0],
                "shared": shared,
                "per_version": own,
                "compiled": native,
            }
            (merged / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            shutil.rmtree(out, ignore_errors=True)
            os.replace(merged, out)
        except BaseException:
            shutil.rmtree(merged, ignore_errors=True)
            raise
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help=f"{', '.join(TARGETS)} or universal")
    parser.add_argument("--pythons", default=",".join(PYTHONS), help="CPython versions, oldest first")
    parser.add_argument("--out", type=Path, default=EXTENSION / "bundled" / "libs")
    args = parser.parse_args(argv)
    if args.target == "universal":
        shutil.rmtree(args.out, ignore_errors=True)
        print(f"universal: no bundle ({args.out} removed); the extension runs the environment's sadpath")
        return 0
    pythons = [p.strip() for p in args.pythons.split(",") if p.strip()]
    try:
        manifest = build(args.target, pythons, args.out)
    except BundleError as exc:
        print(f"bundle-python: {exc}", file=sys.stderr)
        return 1
    count = sum(len(v) for v in manifest["compiled"].values())
    print(f"bundled sadpath for {args.target}, CPython {', '.join(pythons)} ({count} compiled modules) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
