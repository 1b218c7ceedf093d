"""The HTML form: one self-contained page (inline CSS and SVG, no script, no external resource), printable.

Every piece of text that comes from the analysed project (paths, function names, labels of user-defined
interfaces, handler expressions) goes through ``_e``.
"""

from __future__ import annotations

import re
from html import escape

from sadpath import __version__
from sadpath.inventory.inventory import CallSite, Inventory, InterfaceUsage, ModeResult, format_percent, percent

_CHART_LABEL_CHARS = 28
SWALLOWED_FILL = "#d4a72c"  # the chart's amber: caught by a handler that swallows it

CSS = """
:root {
  --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da;
  --ok: #1a7f37; --ok-bg: #dafbe1; --ok-bar: #2da44e;
  --bad: #cf222e; --bad-bg: #ffebe9; --bad-bar: #ff8182;
  --warn: #9a6700; --warn-bg: #fff8c5;
}
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { background: var(--soft); }
body {
  margin: 0; color: var(--text); background: var(--soft);
  font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
}
main { max-width: 1160px; margin: 0 auto; padding: 28px 24px 40px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
a { color: var(--accent); text-decoration: none; }
header.top { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px; margin-bottom: 20px; }
.eyebrow { margin: 0 0 2px; color: var(--muted); font-size: 12px; font-weight: 600; letter-spacing: .08em; text-transform: uppercase; }
h1 { margin: 0; font-size: 26px; line-height: 1.2; }
h2 { margin: 0 0 12px; font-size: 18px; }
.meta { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
.cards { display: grid; grid-template-columns: 2fr 1fr 1fr 1fr; gap: 12px; margin-bottom: 20px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.card .value { font-size: 28px; font-weight: 650; line-height: 1.1; }
.card .label { color: var(--muted); font-size: 13px; margin-top: 2px; }
.card .meter { height: 8px; border-radius: 4px; background: var(--bad-bar); margin-top: 10px; overflow: hidden; }
.card .meter span { display: block; height: 100%; background: var(--ok-bar); }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin-bottom: 20px; }
.panel-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; margin-bottom: 12px; }
.panel-head h2 { margin: 0; }
.panel-head .meta { margin: 0; }
.kind { display: inline-block; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); background: var(--soft);
  color: var(--muted); font-size: 12px; font-weight: 500; }
.pct { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 650; }
.pct.good { color: var(--ok); background: var(--ok-bg); }
.pct.warn { color: var(--warn); background: var(--warn-bg); }
.pct.bad { color: var(--bad); background: var(--bad-bg); }
.chart { width: 100%; height: auto; display: block; }
.chart text { font-family: inherit; fill: var(--text); }
.chart .axis { fill: var(--muted); font-size: 11px; }
.chart .kindt { fill: var(--muted); }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.legend { display: flex; gap: 18px; color: var(--muted); font-size: 12.5px; margin-top: 8px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted); padding: 6px 8px; border-bottom: 1px solid var(--line);
  background: var(--soft); white-space: nowrap; }
td { padding: 7px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
tr { break-inside: avoid; }
tbody tr:last-child td { border-bottom: 0; }
td.site { min-width: 330px; }
.site .call { font-weight: 600; }
.site .loc { color: var(--muted); font-size: 12px; overflow-wrap: break-word; }
.site .by { color: var(--ok); font-size: 12px; margin-top: 2px; }
td.fn code { overflow-wrap: break-word; }
th.mode, td.mode { text-align: center; width: 74px; }
th.mode { white-space: normal; line-height: 1.2; }
td.mode { font-size: 15px; font-weight: 700; border: 2px solid #fff; border-radius: 4px; }
td.mode.ok { color: var(--ok); background: var(--ok-bg); }
td.mode.bad { color: var(--bad); background: var(--bad-bg); }
td.mode.warn { color: var(--warn); background: var(--warn-bg); }
.chip.swallowed { background: var(--warn-bg); color: var(--warn); }
td.mode.na { color: #8c959f; font-weight: 400; }
th.num, td.num { text-align: right; white-space: nowrap; }
td.rank { color: var(--muted); width: 28px; }
.chip { display: inline-block; margin: 0 4px 3px 0; padding: 0 7px; border-radius: 10px; background: var(--bad-bg); color: var(--bad);
  font-size: 12px; white-space: nowrap; }
.errors li { margin-bottom: 4px; }
.empty { color: var(--muted); }
footer { color: var(--muted); font-size: 12.5px; margin-top: 8px; }
footer p { margin: 0 0 6px; }
@media print {
  html, body { background: #fff; }
  main { max-width: none; padding: 0; }
  .panel, .card { border-color: #bbb; }
  .panel { break-inside: auto; padding: 10px 12px; margin-bottom: 12px; }
  h1 { font-size: 20px; }
  .chip { font-size: 10px; padding: 0 5px; }
  h2, .panel-head { break-after: avoid; }
  a { color: inherit; }
  body { font-size: 11.5px; }
  code, .mono { font-size: 10.5px; }
  td.site { min-width: 0; }
  th, td { padding: 4px 4px; }
  th { font-size: 10px; }
  th.mode, td.mode { width: auto; font-size: 10px; }
  th.mode { hyphens: auto; }
}
@page { margin: 14mm 12mm; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _grade(handled: int, total: int) -> str:
    value = percent(handled, total)
    if value is None or value >= 80:
        return "good"
    return "warn" if value >= 50 else "bad"


def _anchor(index: int, usage: InterfaceUsage) -> str:
    return f"iface-{index}-{re.sub(r'[^A-Za-z0-9_-]+', '-', usage.name).strip('-') or 'x'}"


def _breakable(text: str, separators: str = "/.") -> str:
    """Escaped, with a line-break opportunity after each separator (paths break at ``/``, names at ``.``)."""
    out = []
    for char in text:
        out.append(_e(char))
        if char in separators:
            out.append("<wbr>")
    return "".join(out)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chart(inventory: Inventory, anchors: dict[int, str]) -> str:
    """A horizontal bar per interface: the handled share in green, the swallowed share in amber (caught by a
    handler SAD101 reports), the unhandled rest in red."""
    row, top, left, width = 34, 26, 210, 510
    height = top + row * len(inventory.interfaces) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 1000 {height}" width="1000" height="{height}" role="img" '
        f'aria-label="Handled share of failure modes by interface" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(0, 101, 25):
        x = left + width * tick / 100
        parts.append(f'<line class="grid" x1="{x:g}" y1="{top - 6}" x2="{x:g}" y2="{height - 2}"/>')
        parts.append(f'<text class="axis" x="{x:g}" y="{top - 12}" text-anchor="middle">{tick}%</text>')
    for index, usage in enumerate(inventory.interfaces):
        y = top + row * index
        bar_y = y + 8
        handled_width = width * usage.handled / usage.total if usage.total else width
        caught_width = width * (usage.handled + usage.swallowed) / usage.total if usage.total else width
        value = format_percent(usage.handled, usage.total)
        title = (
            f"{usage.label} ({usage.kind}): {usage.handled} of {usage.total} failure modes handled ({value}), "
            f"{usage.swallowed} swallowed, {usage.unhandled} unhandled"
        )
        parts.append(f'<a href="#{anchors[index]}"><title>{_e(title)}</title>')
        parts.append(
            f'<text x="{left - 12}" y="{bar_y + 13}" text-anchor="end" font-size="14">'
            f'<tspan font-weight="600">{_e(_short(usage.label, _CHART_LABEL_CHARS))}</tspan>'
            f'<tspan class="kindt" font-size="12"> {_e(usage.kind)}</tspan></text>'
        )
        parts.append(f'<rect x="{left}" y="{bar_y}" width="{width}" height="18" rx="3" fill="#ff8182"/>')
        if caught_width > handled_width:
            parts.append(
                f'<rect class="swallowed" x="{left}" y="{bar_y}" width="{caught_width:.1f}" height="18" rx="3" fill="{SWALLOWED_FILL}"/>'
            )
        if handled_width > 0:
            parts.append(f'<rect x="{left}" y="{bar_y}" width="{handled_width:.1f}" height="18" rx="3" fill="#2da44e"/>')
        parts.append(
            f'<text x="{left + width + 12}" y="{bar_y + 13}" font-size="14"><tspan font-weight="650">{_e(value)}</tspan>'
            f'<tspan class="kindt" font-size="12.5"> {usage.handled} of {usage.total} handled · '
            + (f"{usage.swallowed} swallowed · " if usage.swallowed else "")
            + f'{len(usage.sites)} call site{"" if len(usage.sites) == 1 else "s"}</tspan></text>'
        )
        parts.append("</a>")
    parts.append("</svg>")
    return "".join(parts)


def _mode_cell(result: ModeResult | None) -> str:
    if result is None:
        return '<td class="mode na" title="not raised by this call">–</td>'
    if result.handled:
        how = f", {result.how}" if result.how and result.how != "handled" else ""
        title = f"{result.mode}: handled by {result.handler_label} (line {result.handler_line}){how}"
        return f'<td class="mode ok" title="{_e(title)}">✔</td>'
    if result.swallowed:
        title = f"{result.mode}: swallowed by {result.handler_label} (line {result.handler_line}), which SAD101 reports"
        return f'<td class="mode warn" title="{_e(title)}">⚠</td>'
    title = f"{result.mode}: unhandled ({', '.join(result.exceptions)})"
    return f'<td class="mode bad" title="{_e(title)}">✘</td>'


def _handled_by(site: CallSite) -> str:
    labels: dict[str, None] = {}
    for result in site.modes:
        if result.handled:
            kind = "registered handler " if result.handler_kind == "registered" else ""
            labels.setdefault(f"{kind}{result.handler_label} · line\u00a0{result.handler_line}", None)
    if not labels:
        return ""
    return "".join(f'<div class="by">✔ <code>{_e(label)}</code></div>' for label in labels)


def _site_cell(site: CallSite, with_handlers: bool) -> str:
    by = _handled_by(site) if with_handlers else ""
    return (
        f'<td class="site"><code class="call">{_e(site.call)}</code>'
        f'<div class="loc mono">{_breakable(site.location, "/")}</div>{by}</td>'
    )


def _interface_section(usage: InterfaceUsage, anchor: str) -> str:
    modes = usage.modes
    value = format_percent(usage.handled, usage.total)
    sites = len(usage.sites)
    head = (
        f'<section class="panel" id="{_e(anchor)}"><div class="panel-head">'
        f"<h2>{_e(usage.label)}</h2><span class=\"kind\">{_e(usage.kind)}</span>"
        f'<span class="pct {_grade(usage.handled, usage.total)}">{_e(value)}</span>'
        f'<p class="meta">{usage.handled} of {usage.total} failure modes handled at '
        f'{sites} call site{"" if sites == 1 else "s"}</p></div>'
    )
    exceptions = {}
    for site in usage.sites:
        for result in site.modes:
            exceptions.setdefault(result.mode, result.exceptions)
    header = "".join(
        f'<th class="mode" title="{_e(", ".join(exceptions.get(mode, ())))}">{_e(mode)}</th>' for mode in modes
    )
    rows = []
    for site in usage.sites:
        by_mode = {result.mode: result for result in site.modes}
        cells = "".join(_mode_cell(by_mode.get(mode)) for mode in modes)
        rows.append(
            f'<tr>{_site_cell(site, True)}<td class="fn"><code>{_breakable(site.function, ".")}</code></td>{cells}'
            f'<td class="num">{site.handled} / {site.total}</td></tr>'
        )
    table = (
        f'<table><thead><tr><th>Call site</th><th>Function</th>{header}<th class="num">Handled</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
    return head + table


def _worst_section(inventory: Inventory, anchors: dict[int, str]) -> str:
    worst = inventory.worst_sites()
    if not worst:
        return ""
    positions = {id(usage): index for index, usage in enumerate(inventory.interfaces)}
    rows = []
    for rank, (usage, site) in enumerate(worst, 1):
        chips = "".join(f'<span class="chip">{_e(mode)}</span>' for mode in site.unhandled_modes) + "".join(
            f'<span class="chip swallowed" title="swallowed">⚠ {_e(mode)}</span>' for mode in site.swallowed_modes
        )
        anchor = anchors[positions[id(usage)]]
        rows.append(
            f'<tr><td class="rank">{rank}</td>{_site_cell(site, False)}'
            f'<td><a href="#{_e(anchor)}">{_e(usage.label)}</a></td><td class="fn"><code>{_breakable(site.function, ".")}</code></td>'
            f'<td class="num">{site.failing} of {site.total}</td><td>{chips}</td></tr>'
        )
    return (
        '<section class="panel"><div class="panel-head"><h2>Worst call sites</h2>'
        '<p class="meta">the call sites with the most failure modes not handled: unhandled, or ⚠ swallowed</p></div>'
        '<table><thead><tr><th>#</th><th>Call site</th><th>Interface</th><th>Function</th>'
        '<th class="num">Not handled</th><th>Failure modes not handled</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _errors_section(inventory: Inventory) -> str:
    if not inventory.errors:
        return ""
    items = "".join(f"<li><code>{_e(e.path)}</code>: {_e(e.message)}</li>" for e in inventory.errors)
    count = len(inventory.errors)
    return (
        f'<section class="panel errors"><div class="panel-head"><h2>Files not analysed</h2>'
        f'<p class="meta">{count} file{"" if count == 1 else "s"} could not be read or parsed; '
        f"their calls are missing from this report</p></div><ul>{items}</ul></section>"
    )


def render(inventory: Inventory) -> str:
    anchors = {index: _anchor(index, usage) for index, usage in enumerate(inventory.interfaces)}
    sites = len(inventory.sites)
    unhandled = inventory.unhandled
    value = format_percent(inventory.handled, inventory.total)
    meter = 100.0 * inventory.handled / inventory.total if inventory.total else 100.0
    roots = ", ".join(inventory.roots) or "."
    files = inventory.files_analysed
    body = [
        '<header class="top"><div><p class="eyebrow">sadpath · resilience report</p>'
        "<h1>Failure handling at external calls</h1>"
        f'<p class="meta"><code>{_e(roots)}</code> · {files} file{"" if files == 1 else "s"} analysed'
        f" · sadpath {_e(__version__)}</p></div></header>",
        '<section class="cards">'
        f'<div class="card"><div class="value">{_e(value)}</div>'
        f'<div class="label">of failure modes handled at their call site ({inventory.handled} of {inventory.total})</div>'
        f'<div class="meter"><span style="width:{meter:.1f}%"></span></div></div>'
        f'<div class="card"><div class="value">{len(inventory.interfaces)}</div><div class="label">external interfaces</div></div>'
        f'<div class="card"><div class="value">{sites}</div><div class="label">call sites</div></div>'
        f'<div class="card"><div class="value">{inventory.swallowed}</div><div class="label">swallowed failure modes (caught, not handled)</div></div>'
        f'<div class="card"><div class="value">{unhandled}</div><div class="label">unhandled failure modes</div></div>'
        "</section>",
    ]
    if inventory.interfaces:
        body.append(
            '<section class="panel"><div class="panel-head"><h2>Handled share by interface</h2>'
            '<p class="meta">lowest first; a failure mode counts once per call site</p></div>'
            f"{_chart(inventory, anchors)}"
            '<div class="legend"><span><i style="background:#2da44e"></i>handled at the call site</span>'
            f'<span><i style="background:{SWALLOWED_FILL}"></i>swallowed</span>'
            '<span><i style="background:#ff8182"></i>unhandled</span></div></section>'
        )
        body.append(_worst_section(inventory, anchors))
        body.extend(_interface_section(usage, anchors[i]) for i, usage in enumerate(inventory.interfaces))
    else:
        body.append('<section class="panel"><p class="empty">No call to a known external interface was found.</p></section>')
    body.append(_errors_section(inventory))
    body.append(
        "<footer><p>✔ handled at the call site: an enclosing <code>try</code> in the same function catches the failure "
        "mode's exception (or a base of it), or the module registers a framework handler for it "
        "(<code>@app.errorhandler</code>, <code>add_exception_handler</code>), and does something with it. "
        "⚠ swallowed: the handler that catches it carries on as if nothing had failed (SAD101 reports it). "
        "✘ unhandled: it propagates to the caller. "
        "– the call does not raise that mode.</p>"
        "<p>Generated by <code>sadpath report</code>; the analysed code was parsed, never imported or run.</p></footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Resilience report · {_e(roots)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(part for part in body if part)
        + "\n</main>\n</body>\n</html>\n"
    )
