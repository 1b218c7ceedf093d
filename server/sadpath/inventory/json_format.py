"""The JSON contract of ``sadpath report`` (version 1): stable keys, 1-based lines and columns counted in characters.

::

    {"version": 1, "files_analysed": N, "paths": [...],
     "summary": {"interfaces", "call_sites", "handled", "swallowed", "unhandled", "total", "percent"},
     "interfaces": [{"name", "label", "kind", "call_sites", "handled", "swallowed", "unhandled", "total", "percent",
                     "modes": [...],
                     "sites": [{"path", "line", "column", "end_line", "end_column", "call", "function",
                                "handled", "swallowed", "unhandled", "total",
                                "modes": [{"mode", "exceptions", "state", "how", "handled",
                                           "handler": {"kind", "line", "label"} | null}]}]}],
     "worst_sites": [{"interface", "path", "line", "column", "call", "function", "handled", "swallowed", "unhandled",
                      "total", "unhandled_modes", "swallowed_modes"}],
     "errors": [{"path", "message"}]}

``state`` is one of ``handled``, ``swallowed`` (caught by a handler SAD101 reports: not handled) and
``unhandled``; ``how`` says how a handled mode is handled, or what a swallowed one costs; ``handler`` is the
``except`` that catches the mode, for the swallowed ones too. ``percent`` is the handled share with one decimal,
null when there is no failure mode to handle. Interfaces
come lowest share first, the sites of each most unhandled modes first.
"""

from __future__ import annotations

import json

from sadpath.inventory.inventory import CallSite, Inventory, InterfaceUsage, ModeResult, percent

VERSION = 1


def _mode(result: ModeResult) -> dict:
    handler = None
    if result.handler_kind is not None:
        handler = {"kind": result.handler_kind, "line": result.handler_line, "label": result.handler_label}
    return {
        "mode": result.mode,
        "exceptions": list(result.exceptions),
        "state": result.status,
        "how": result.how,
        "handled": result.handled,
        "handler": handler,
    }


def _site(site: CallSite) -> dict:
    return {
        "path": site.path,
        "line": site.line,
        "column": site.column,
        "end_line": site.end_line,
        "end_column": site.end_column,
        "call": site.call,
        "function": site.function,
        "handled": site.handled,
        "swallowed": site.swallowed,
        "unhandled": site.unhandled,
        "total": site.total,
        "modes": [_mode(m) for m in site.modes],
    }


def _interface(usage: InterfaceUsage) -> dict:
    return {
        "name": usage.name,
        "label": usage.label,
        "kind": usage.kind,
        "call_sites": len(usage.sites),
        "handled": usage.handled,
        "swallowed": usage.swallowed,
        "unhandled": usage.unhandled,
        "total": usage.total,
        "percent": percent(usage.handled, usage.total),
        "modes": list(usage.modes),
        "sites": [_site(s) for s in usage.sites],
    }


def document(inventory: Inventory) -> dict:
    worst = [
        {
            "interface": usage.name,
            "path": site.path,
            "line": site.line,
            "column": site.column,
            "call": site.call,
            "function": site.function,
            "handled": site.handled,
            "swallowed": site.swallowed,
            "unhandled": site.unhandled,
            "total": site.total,
            "unhandled_modes": list(site.unhandled_modes),
            "swallowed_modes": list(site.swallowed_modes),
        }
        for usage, site in inventory.worst_sites()
    ]
    return {
        "version": VERSION,
        "files_analysed": inventory.files_analysed,
        "paths": list(inventory.roots),
        "summary": {
            "interfaces": len(inventory.interfaces),
            "call_sites": len(inventory.sites),
            "handled": inventory.handled,
            "swallowed": inventory.swallowed,
            "unhandled": inventory.unhandled,
            "total": inventory.total,
            "percent": percent(inventory.handled, inventory.total),
        },
        "interfaces": [_interface(u) for u in inventory.interfaces],
        "worst_sites": worst,
        "errors": [{"path": e.path, "message": e.message} for e in inventory.errors],
    }


def render(inventory: Inventory) -> str:
    return json.dumps(document(inventory), indent=2, ensure_ascii=False) + "\n"
