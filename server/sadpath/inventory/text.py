"""The terminal form: an overview per interface, the worst call sites, one aligned table per interface, a summary.
A failure mode is handled, swallowed (caught by a handler SAD101 reports) or unhandled, as in the hover."""

from __future__ import annotations

from sadpath.inventory.inventory import CallSite, Inventory, format_percent

BAR_WIDTH = 20


def _table(rows: list[tuple[str, ...]], indent: str = "  ", right: frozenset[int] = frozenset()) -> list[str]:
    """Columns padded to their widest cell (``right``: right-aligned columns); the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if i == len(row) - 1:
                cells.append(cell)
            elif i in right:
                cells.append(cell.rjust(widths[i]))
            else:
                cells.append(cell.ljust(widths[i]))
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def _bar(handled: int, total: int, swallowed: int = 0) -> str:
    """``#`` handled, ``~`` swallowed, ``.`` unhandled."""
    if not total:
        return ""
    filled = round(BAR_WIDTH * handled / total)
    caught = min(round(BAR_WIDTH * (handled + swallowed) / total), BAR_WIDTH) - filled
    return "#" * filled + "~" * caught + "." * (BAR_WIDTH - filled - caught)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _handled_by(site: CallSite) -> str:
    labels: dict[str, None] = {}
    for result in site.modes:
        if result.handled:
            how = f": {result.how}" if result.how and result.how != "handled" else ""
            labels.setdefault(f"{result.handler_label} (line {result.handler_line}){how}", None)
    return "; ".join(labels)


def _unhandled(site: CallSite) -> str:
    if not site.unhandled:
        return "-"
    if site.unhandled == site.total and site.total > 1:
        return "all"
    return ", ".join(site.unhandled_modes)


def _swallowed(site: CallSite) -> str:
    """The swallowed modes and the handler that swallows them: ``connection, timeout (except Exception, line 9)``."""
    if not site.swallowed:
        return "-"
    modes = "all" if site.swallowed == site.total and site.total > 1 else ", ".join(site.swallowed_modes)
    labels: dict[str, None] = {}
    for result in site.modes:
        if result.swallowed:
            labels.setdefault(f"{result.handler_label}, line {result.handler_line}", None)
    return f"{modes} ({'; '.join(labels)})"


def render(inventory: Inventory) -> str:
    lines: list[str] = []
    sites = inventory.sites
    if inventory.interfaces:
        lines.append("Handled failure modes by interface (worst first)")
        rows = [("INTERFACE", "KIND", "SITES", "HANDLED", "SWALLOWED", "SHARE", "")]
        for usage in inventory.interfaces:
            rows.append(
                (
                    usage.label,
                    usage.kind,
                    str(len(usage.sites)),
                    f"{usage.handled}/{usage.total}",
                    str(usage.swallowed),
                    format_percent(usage.handled, usage.total),
                    _bar(usage.handled, usage.total, usage.swallowed),
                )
            )
        lines.extend(_table(rows, right=frozenset({2, 3, 4, 5})))

        worst = inventory.worst_sites()
        if worst:
            lines.append("")
            lines.append("Worst call sites (most failure modes not handled: swallowed or unhandled)")
            rows = [("#", "LOCATION", "INTERFACE", "CALL", "FUNCTION", "NOT HANDLED", "UNHANDLED", "SWALLOWED")]
            for rank, (usage, site) in enumerate(worst, 1):
                failing = f"{site.failing}/{site.total}"
                rows.append(
                    (str(rank), site.location, usage.label, site.call, site.function, failing, _unhandled(site), _swallowed(site))
                )
            lines.extend(_table(rows, right=frozenset({0, 5})))

        for usage in inventory.interfaces:
            lines.append("")
            share = format_percent(usage.handled, usage.total)
            swallowed = f", {usage.swallowed} swallowed" if usage.swallowed else ""
            lines.append(
                f"{usage.label} ({usage.kind}): {usage.handled} of {usage.total} failure modes handled ({share}){swallowed} "
                f"at {_plural(len(usage.sites), 'call site')}"
            )
            lines.append(f"  failure modes: {', '.join(usage.modes) or 'none'}")
            rows = [("LOCATION", "CALL", "FUNCTION", "HANDLED", "UNHANDLED", "SWALLOWED", "HANDLED BY")]
            for site in usage.sites:
                rows.append(
                    (
                        site.location,
                        site.call,
                        site.function,
                        f"{site.handled}/{site.total}",
                        _unhandled(site),
                        _swallowed(site),
                        _handled_by(site) or "-",
                    )
                )
            lines.extend(_table(rows, right=frozenset({3})))
        lines.append("")
    files = _plural(inventory.files_analysed, "file")
    if inventory.interfaces:
        share = format_percent(inventory.handled, inventory.total)
        swallowed = f" ({inventory.swallowed} more caught but swallowed)" if inventory.swallowed else ""
        lines.append(
            f"{inventory.handled} of {inventory.total} failure modes handled ({share}){swallowed} at "
            f"{_plural(len(sites), 'call site')} of {_plural(len(inventory.interfaces), 'interface')} in {files}."
        )
    else:
        lines.append(f"No external call found in {files}.")
    if inventory.errors:
        lines.append(f"{_plural(len(inventory.errors), 'file')} could not be analysed (see errors above).")
    return "\n".join(lines) + "\n"
