"""What "sadpath: Show Debug Information" shows: versions, the interpreter, the bundle, the options in force
and the configuration file that applies to a document. Read-only: nothing here changes the server."""

from __future__ import annotations

import importlib
import os
import platform
import sys
from importlib import metadata
from typing import Any

from sadpath import __version__
from sadpath.settings import Settings

PACKAGES = ("pygls", "lsprotocol", "libcst", "jedi", "coverage", "cattrs", "attrs")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _native_parser() -> str:
    """Whether libcst's compiled parser loads in this interpreter (the fixes need it)."""
    try:
        importlib.import_module("libcst.native")
    except Exception as exc:  # the answer is the report: say what failed
        return f"cannot load: {type(exc).__name__}: {exc}"
    return "loads"


def collect(ls: Any, path: str | None, settings: Settings | None) -> dict[str, Any]:
    """The information as data, and as the Markdown text the client shows (``text``)."""
    options = ls.options
    info: dict[str, Any] = {
        "sadpath": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": f"{sys.platform} {platform.machine()}",
        "sadpathLocation": os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "bundle": os.environ.get("SADPATH_BUNDLE") or None,
        "packages": {name: _version(name) for name in PACKAGES},
        "libcstNative": _native_parser(),
        "options": {
            "select": list(options.select) if options.select is not None else None,
            "extendSelect": list(options.extend_select),
            "ignore": list(options.ignore),
            "unsafeFixes": options.unsafe_fixes,
            "fixAll": options.fix_all,
            "showSyntaxErrors": options.show_syntax_errors,
            "configuration": options.configuration,
            "coverage": options.coverage,
            "debounceMs": options.debounce_ms,
            "logLevel": options.log_level,
        },
        "workspaceRoot": ls.workspace.root_path if ls.workspace else None,
        "document": path,
        "configurationFile": None,
        "extends": [],
        "rules": None,
    }
    if settings is not None:
        info["configurationFile"] = str(settings.config_path) if settings.config_path else None
        info["extends"] = [str(p) for p in getattr(settings, "extends", ())]
        info["rules"] = {"select": list(settings.select), "extendSelect": list(settings.extend_select), "ignore": list(settings.ignore)}
    info["text"] = _markdown(info)
    return info


def _markdown(info: dict[str, Any]) -> str:
    lines = ["# sadpath debug information", ""]
    lines.append(f"- sadpath: {info['sadpath']} ({info['sadpathLocation']})")
    lines.append(f"- Python: {info['implementation']} {info['python']} ({info['executable']}), {info['platform']}")
    lines.append(f"- bundle: {info['bundle'] or 'none (the interpreter environment sadpath)'}")
    lines.append(f"- libcst native parser: {info['libcstNative']}")
    lines.append("- packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()))
    lines.append(f"- workspace root: {info['workspaceRoot'] or 'none'}")
    lines += ["", "## Active file", ""]
    if info["document"] is None:
        lines.append("No file was given.")
    else:
        lines.append(f"- file: {info['document']}")
        config = info["configurationFile"]
        how = " (the sadpath.configuration setting)" if config and info["options"]["configuration"] else ""
        lines.append(f"- configuration file in force: {config + how if config else 'none: the default settings'}")
        if info["extends"]:
            lines.append("- it extends: " + ", ".join(info["extends"]))
        if info["rules"] is not None:
            rules = info["rules"]
            lines.append(
                f"- select: {', '.join(rules['select']) or '(default)'}; extend-select: "
                f"{', '.join(rules['extendSelect']) or '-'}; ignore: {', '.join(rules['ignore']) or '-'}"
            )
    lines += ["", "## Server options", ""]
    lines += [f"- {key}: {value!r}" for key, value in info["options"].items()]
    return "\n".join(lines) + "\n"
