"""``sadpath report``: the resilience inventory of a project, as text, JSON or HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sadpath.commands import EXIT_CLEAN, EXIT_ERROR, display_path, emit
from sadpath.inventory import Inventory, build_inventory, render as render_inventory
from sadpath.linter import SettingsResolver
from sadpath.settings import ConfigError


def build(paths: list[str], config: Path | None = None) -> Inventory:
    """The inventory of ``paths`` with each file's settings (``config``, else its nearest pyproject.toml).

    Raises ConfigError for a missing or invalid configuration.
    """
    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such configuration file")
    resolver = SettingsResolver(explicit=config)
    return build_inventory(paths, resolver.for_path, display_path)


def main(args: argparse.Namespace) -> int:
    """``sadpath report``: information, so 0 even when nothing is handled; 2 for a configuration error."""
    try:
        inventory = build(args.paths, args.config)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sadpath: interrupted", file=sys.stderr)
        return 130
    for error in inventory.errors:
        print(f"sadpath: {error.path}: {error.message}", file=sys.stderr)
    return EXIT_CLEAN if emit(render_inventory(inventory, args.format), args.output_file) else EXIT_ERROR


