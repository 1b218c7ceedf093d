"""Starts ``sadpath server``: from the libraries bundled with the extension (bundled/libs), or with
``--from-environment`` from the sadpath installed in the interpreter that runs this script.

``--check`` starts nothing: it imports everything the server needs (the bundle's compiled modules included),
prints one JSON line ``{"ok": ..., "problems": [...], ...}`` and exits 0 when the server can run, 3 when not.
The extension runs it before starting the server, so that a bundle this interpreter cannot load is an error
the user sees, never a server that starts and then fails at the first quick fix.

The extension runs this file as a script, never ``python -m``: a script puts only its own folder on
``sys.path``, while ``-m`` would put the working folder (the user's workspace) first, so that a workspace
``sadpath/`` package or a file shadowing the standard library (``argparse.py``) would run in the server.
"""

import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = os.path.join(os.path.dirname(HERE), "libs")
MANIFEST = os.path.join(LIBS, "sadpath_bundle.json")
FROM_ENVIRONMENT = "--from-environment" in sys.argv[1:]
CHECK = "--check" in sys.argv[1:]
argv = [arg for arg in sys.argv[1:] if arg not in ("--from-environment", "--check")]
MINIMUM = (3, 10)

# nothing but this folder (which holds only this file) and the bundle may come before the standard library
sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]
BUNDLED = not FROM_ENVIRONMENT and os.path.isdir(LIBS)
# what differs between CPython versions (a backport such as tomli, a release that dropped 3.10) is in cpXY/
VERSION_LIBS = os.path.join(LIBS, "cp%d%d" % sys.version_info[:2])
if BUNDLED:
    sys.path.insert(0, LIBS)
    if os.path.isdir(VERSION_LIBS):
        sys.path.insert(0, VERSION_LIBS)


def this_target():
    """The VS Code target name of this machine (linux-x64, darwin-arm64, win32-x64, ...)."""
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{system}-{arch}"


def read_manifest():
    try:
        with open(MANIFEST, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def check():
    """What the server needs, tried in this interpreter: the report as a dict."""
    python = "%d.%d" % sys.version_info[:2]
    report = {
        "ok": True,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": this_target(),
        "strategy": "fromEnvironment" if FROM_ENVIRONMENT else "useBundled",
        "bundle": None,
        "problems": [],
    }
    problems = report["problems"]
    if sys.version_info[:2] < MINIMUM:
        problems.append(f"sadpath needs Python 3.10 or newer; {sys.executable} is Python {python}")
    manifest = read_manifest() if BUNDLED else None
    if BUNDLED:
        report["bundle"] = {"path": LIBS, "target": None, "pythons": []}
        if manifest is None:
            problems.append(f"the bundle {LIBS} has no readable sadpath_bundle.json: reinstall the extension")
        else:
            report["bundle"] = {"path": LIBS, "target": manifest.get("target"), "pythons": manifest.get("pythons", [])}
            target = manifest.get("target")
            if target and target != report["platform"]:
                problems.append(
                    f"this extension was built for {target}, but this machine is {report['platform']}: "
                    "install the sadpath VSIX for this platform, or set sadpath.importStrategy to fromEnvironment"
                )
            elif python not in manifest.get("pythons", []) and sys.version_info[:2] >= MINIMUM:
                problems.append(
                    f"the bundled sadpath has compiled modules for CPython {', '.join(manifest.get('pythons', []))}, "
                    f"not for Python {python} ({sys.executable}): choose one of those, or set sadpath.importStrategy "
                    "to fromEnvironment"
                )
            if platform.python_implementation() != "CPython":
                problems.append(f"the bundle is built for CPython; {sys.executable} is {platform.python_implementation()}")
    elif not FROM_ENVIRONMENT:
        report["strategy"] = "fromEnvironment"
    if sys.version_info[:2] >= MINIMUM:
        where = LIBS if BUNDLED else f"the environment of {sys.executable}"
        for label, probe in PROBES:
            try:
                detail = probe()
            except Exception as exc:  # any failure here is what the user must hear about, with its cause
                problems.append(f"cannot import {label} from {where}: {type(exc).__name__}: {exc}")
                if label == "sadpath" and not BUNDLED:
                    problems[-1] += (
                        f" (install sadpath into it: {sys.executable} -m pip install PATH-TO-SADPATH, or use a platform "
                        "VSIX, whose bundle needs no install)"
                    )
                    break
            else:
                if label == "sadpath":
                    report["sadpath"] = detail
    report["ok"] = not problems
    return report


def _sadpath():
    import sadpath
    import sadpath.lsp.server  # noqa: F401  pygls, lsprotocol, cattrs (exceptiongroup on 3.10), the rules

    return sadpath.__version__


def _libcst():
    from libcst import native  # noqa: F401  the compiled parser the fixes use
    import libcst

    libcst.parse_module("x = 1\n")
    return libcst.__name__


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: F401
    else:
        import tomli  # noqa: F401


def _jedi():
    import jedi  # noqa: F401


def _coverage():
    from coverage import CoverageData  # noqa: F401


PROBES = [("sadpath", _sadpath), ("libcst", _libcst), ("tomli", _toml), ("jedi", _jedi), ("coverage", _coverage)]


if CHECK:
    result = check()
    sys.stdout.write(json.dumps(result) + "\n")
    sys.exit(0 if result["ok"] else 3)

try:
    from sadpath.lsp.server import main
except ImportError as exc:  # a broken bundle, an interpreter the bundle was not built for, or no sadpath installed
    where = "the interpreter's environment" if not BUNDLED else LIBS
    sys.stderr.write(f"sadpath: cannot import the server from {where}: {exc}\n")
    sys.exit(2)

if BUNDLED:
    os.environ["SADPATH_BUNDLE"] = LIBS  # the debug information names the bundle in force
sys.exit(main(argv))
