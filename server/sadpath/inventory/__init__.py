"""``sadpath report``: the resilience inventory of a project in text, JSON or one self-contained HTML page.

``build_inventory`` collects the inventory (``inventory.py``); ``render`` turns it into one of ``FORMATS``.
"""

from __future__ import annotations

from sadpath.inventory.inventory import CallSite, Inventory, InterfaceUsage, ModeResult, build_inventory

FORMATS = ("text", "json", "html")


def render(inventory: Inventory, fmt: str) -> str:
    from sadpath.inventory import html, json_format, text

    renderers = {"text": text.render, "json": json_format.render, "html": html.render}
    return renderers[fmt](inventory)


__all__ = ["FORMATS", "CallSite", "Inventory", "InterfaceUsage", "ModeResult", "build_inventory", "render"]
