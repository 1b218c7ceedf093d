"""``--show-files`` (the files a run would check) and ``--show-settings`` (the configuration in force for a path)."""

from __future__ import annotations

import os
import sys
from dataclasses import fields
from pathlib import Path

from sadpath.commands import EXIT_CLEAN, EXIT_FINDINGS, display_path
from sadpath.commands.check import CheckOptions
from sadpath.engine.syntax import version_text
from sadpath.files import discover
from sadpath.linter import SettingsResolver
from sadpath.registry import enabled_rules
from sadpath.settings import Settings


def files(paths: list[str], resolver: SettingsResolver, options: CheckOptions) -> int:
    if options.force_exclude:
        paths = [p for p in paths if not resolver.excludes_path(p)]
    shown: list[str] = []
    failed = False
    for path, error in discover(paths, resolver.excludes_entry):
        if error is not None:
            print(f"sadpath: {display_path(error.path)}: {error.message}", file=sys.stderr)
            failed = True
            continue
        shown.append(display_path(path))
    sys.stdout.write("".join(f"{path}\n" for path in sorted(shown)))
    return EXIT_FINDINGS if failed else EXIT_CLEAN


def settings(path: str, resolver: SettingsResolver) -> int:
    resolved = resolver.for_path(path)
    config = resolver.config_path_for(path)
    lines = [
        f"Resolved settings for: {display_path(os.path.abspath(path))}",
        f"Settings path: {display_path(str(config)) if config is not None else '(none: the defaults)'}",
    ]
    if resolved.extends:
        lines.append(f"Extends: {', '.join(display_path(str(p)) for p in resolved.extends)}")
    lines.append(f"Project root: {display_path(str(resolved.root)) if resolved.root is not None else '(none)'}")
    rules = enabled_rules(resolved, os.path.abspath(path) if os.path.isfile(path) else None)
    lines.append(f"Enabled rules ({len(rules)}): {', '.join(f'{r.code} {r.slug}' for r in rules)}")
    lines.append("")
    for field in fields(Settings):
        if field.name in ("extra", "root", "config_path", "extends"):
            continue
        lines.append(f"{field.name.replace('_', '-')} = {_value(getattr(resolved, field.name))}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_CLEAN


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(not set)"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f'"py{value[0]}{value[1]}"  # Python {version_text(value)}'
    if isinstance(value, tuple):
        items = []
        for item in value:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], tuple):  # a per-file ignore
                items.append(f'"{item[0]}" = [{", ".join(repr(c) for c in item[1])}]')
            else:
                items.append(f'"{item}"' if isinstance(item, str) else getattr(item, "name", repr(item)))
        return f"[{', '.join(items)}]"
    if isinstance(value, (str, Path)):
        return f'"{value}"'
    return repr(value)
