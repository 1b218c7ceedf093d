"""``sadpath report``: the resilience inventory of a project in text, JSON or one self-contained HTML page.

``build`` collects the inventory (``inventory.py``); ``render`` turns it into one of ``FORMATS``.
"""

from __future__ import annotations

from pathlib import Path

from sadpath.report.inventory import CallSite, Inventory, InterfaceUsage, ModeResult, build_inventory

FORMATS = ("text", "json", "html")


def build(paths: list[str], config: Path | None = None) -> Inventory:
    """The inventory of ``paths`` with each file's settings (``config``, else its nearest pyproject.toml).

    Raises ConfigError for a missing or invalid configuration.
    """
    from sadpath.check import CheckOptions, SettingsResolver, display_path
    from sadpath.config import ConfigError

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such configuration file")
    resolver = SettingsResolver(config, CheckOptions())
    return build_inventory(paths, resolver.for_path, display_path)


def render(inventory: Inventory, fmt: str) -> str:
    from sadpath.report import html, json_format, text

    renderers = {"text": text.render, "json": json_format.render, "html": html.render}
    return renderers[fmt](inventory)


__all__ = ["FORMATS", "CallSite", "Inventory", "InterfaceUsage", "ModeResult", "build", "render"]
