"""The resilience inventory: every external call of a project, its failure modes and what handles each.

Each file is parsed and modelled by the engine (``analyze``), never imported; one walk visits every call,
``external_call`` says which interface it belongs to and ``mode_status`` which of its failure modes an
enclosing ``except`` (or a handler registered with the framework) catches at that site. ``mode_states`` (the
hover's) puts each in one of three states: handled, swallowed (caught by a handler SAD101 reports: caught is not
handled) or unhandled.

Numbers: a *pair* is one failure mode at one call site. An interface's share is its handled pairs over all
its pairs (a swallowed pair is not handled). Interfaces are ordered by lowest share first, the call sites of each by most unhandled modes first.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sadpath.settings import Settings
from sadpath.engine.analyze import analyze
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.failure_view import HANDLED, SWALLOWED, UNHANDLED, mode_states
from sadpath.engine.handling import mode_status
from sadpath.engine.walker import walk
from sadpath.files import ReadFile, discover, read_source
from sadpath.knowledge import exception_hierarchy
from sadpath.model import FileError
from sadpath.source import SourceFile

WORST_SITES = 10  # how many call sites the "worst call sites" list shows
MODULE_LEVEL = "<module>"


@dataclass(frozen=True)
class ModeResult:
    """One failure mode of one call site, and the handler that catches it there (None: unhandled)."""

    mode: str
    exceptions: tuple[str, ...]
    handler_kind: str | None = None  # "except" or "registered"
    handler_line: int | None = None
    handler_label: str | None = None  # "except requests.Timeout", "@app.errorhandler(requests.RequestException)"
    state: str = ""  # HANDLED, SWALLOWED or UNHANDLED ("": from the handler alone)
    how: str = ""  # how a handled mode is handled ("re-raised", "retried"), what a swallowed one costs

    @property
    def status(self) -> str:
        if self.state:
            return self.state
        return HANDLED if self.handler_kind is not None else UNHANDLED

    @property
    def handled(self) -> bool:
        return self.status == HANDLED

    @property
    def swallowed(self) -> bool:
        return self.status == SWALLOWED


@dataclass(frozen=True)
class CallSite:
    path: str  # as shown to the user
    line: int  # 1-based
    column: int  # 1-based, in characters (the start of the callee)
    end_line: int
    end_column: int  # 1-based, exclusive
    call: str  # "Session.post()"
    function: str  # "PaymentGatewayClient.charge", or "<module>"
    modes: tuple[ModeResult, ...]

    @property
    def total(self) -> int:
        return len(self.modes)

    @property
    def handled(self) -> int:
        return sum(1 for m in self.modes if m.handled)

    @property
    def swallowed(self) -> int:
        return sum(1 for m in self.modes if m.swallowed)

    @property
    def unhandled(self) -> int:
        return self.total - self.handled - self.swallowed

    @property
    def failing(self) -> int:
        """Modes not handled here: swallowed or unhandled."""
        return self.total - self.handled

    @property
    def unhandled_modes(self) -> tuple[str, ...]:
        return tuple(m.mode for m in self.modes if m.status == UNHANDLED)

    @property
    def swallowed_modes(self) -> tuple[str, ...]:
        return tuple(m.mode for m in self.modes if m.swallowed)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def sort_key(self) -> tuple:
        return (-self.failing, -self.unhandled, _share_key(self.handled, self.total), self.path, self.line, self.column)


@dataclass
class InterfaceUsage:
    name: str  # the knowledge-base key: "requests", "sqlalchemy"
    label: str  # how it is shown: "requests", "SQLAlchemy"
    kind: str  # http, database, cache, ...
    sites: list[CallSite] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sites)

    @property
    def handled(self) -> int:
        return sum(s.handled for s in self.sites)

    @property
    def swallowed(self) -> int:
        return sum(s.swallowed for s in self.sites)

    @property
    def unhandled(self) -> int:
        return self.total - self.handled - self.swallowed

    @property
    def share(self) -> float | None:
        """Handled pairs over all pairs (0..1), None when the calls have no failure mode at all."""
        return share(self.handled, self.total)

    @property
    def modes(self) -> tuple[str, ...]:
        """Every mode some call site of this interface has, in the order they first appear."""
        seen: dict[str, None] = {}
        for site in self.sites:
            for result in site.modes:
                seen.setdefault(result.mode, None)
        return tuple(seen)

    def sort_key(self) -> tuple:
        return (_share_key(self.handled, self.total), -self.unhandled, self.label.lower(), self.name)


@dataclass
class Inventory:
    interfaces: list[InterfaceUsage]
    files_analysed: int
    errors: list[FileError] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # the paths given, as shown

    @property
    def sites(self) -> list[CallSite]:
        return [site for usage in self.interfaces for site in usage.sites]

    @property
    def total(self) -> int:
        return sum(u.total for u in self.interfaces)

    @property
    def handled(self) -> int:
        return sum(u.handled for u in self.interfaces)

    @property
    def swallowed(self) -> int:
        return sum(u.swallowed for u in self.interfaces)

    @property
    def unhandled(self) -> int:
        return self.total - self.handled - self.swallowed

    @property
    def share(self) -> float | None:
        return share(self.handled, self.total)

    def worst_sites(self, limit: int = WORST_SITES) -> list[tuple[InterfaceUsage, CallSite]]:
        """The call sites with the most modes not handled (swallowed or unhandled), across interfaces (sites
        with none are left out)."""
        pairs = [(usage, site) for usage in self.interfaces for site in usage.sites if site.failing]
        pairs.sort(key=lambda pair: pair[1].sort_key())
        return pairs[:limit]


def share(handled: int, total: int) -> float | None:
    return handled / total if total else None


def percent(handled: int, total: int) -> float | None:
    """The share as a percentage with one decimal (None without any failure mode)."""
    return round(100.0 * handled / total, 1) if total else None


def format_percent(handled: int, total: int) -> str:
    value = percent(handled, total)
    return "n/a" if value is None else f"{value:.1f}%"


def _share_key(handled: int, total: int) -> float:
    return handled / total if total else 2.0  # no failure mode at all: after every real share


# ----------------------------------------------------------------------------------------------- collecting
class _CallCollector:
    """A walker client (shaped like a rule) that records every external call with its mode status."""

    code = "report"
    slug = "report"

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str, CallSite]] = []  # (interface name, label, kind, site)
        self.shown_path = ""

    def hooks(self) -> dict[type, str]:
        return {ast.Call: "visit_Call"}

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        external = external_call(node, ctx)
        if external is None:
            return
        parents, scopes = list(ctx.parents), list(ctx.scopes)
        statuses = mode_status(external, parents, ctx)
        span = ctx.span(node.func)
        modes = tuple(
            ModeResult(s.mode, s.exceptions, state=s.state)
            if s.handler is None
            else ModeResult(
                s.mode, s.exceptions, s.handler.where, s.handler.line, s.handler.label, s.state, s.how or s.consequence
            )
            for s in mode_states(statuses, parents, scopes, ctx)
        )
        site = CallSite(
            path=self.shown_path,
            line=span.line,
            column=span.column + 1,
            end_line=span.end_line,
            end_column=span.end_column + 1,
            call=f"{external.name}()",
            function=enclosing_function_name(ctx.parents),
            modes=modes,
        )
        interface = external.interface
        self.found.append((interface.name, interface.label, interface.kind, site))


def enclosing_function_name(parents: Iterable[ast.AST]) -> str:
    """``Class.method``, ``outer.inner``, ``handler.<lambda>``; ``<module>`` outside any function or class."""
    parts = []
    for node in parents:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            parts.append(node.name)
        elif isinstance(node, ast.Lambda):
            parts.append("<lambda>")
    return ".".join(parts) or MODULE_LEVEL


def inventory_text(read: ReadFile, settings: Settings, shown_path: str) -> tuple[list[tuple[str, str, str, CallSite]], FileError | None]:
    """The external calls of one file's text, or the reason it could not be analysed."""
    source = SourceFile(read.path, read.text)
    analysis = analyze(source, settings, rules=[])
    if analysis.tree is None or analysis.semantic is None:
        problem = analysis.syntax_error
        detail = problem.message.split(";", 1)[0] if problem is not None else "cannot parse this file"
        where = f" (line {problem.span.line})" if problem is not None else ""
        return [], FileError(read.path, f"{detail}{where}; not in the inventory")
    ctx = ModuleContext(source, analysis.tree, analysis.semantic, exception_hierarchy(), settings)
    collector = _CallCollector()
    collector.shown_path = shown_path
    walked = walk(ctx, [collector])
    if walked.failures:
        failure = walked.failures[0]
        return [], FileError(read.path, f"internal error while inventorying this file: {failure.error}")
    return collector.found, None


def build_inventory(
    paths: list[str],
    settings_for: Callable[[Path], Settings],
    show: Callable[[str], str] = lambda path: path,
) -> Inventory:
    """The inventory of every Python file under ``paths``. ``settings_for`` may raise ConfigError."""
    usages: dict[str, InterfaceUsage] = {}
    errors: list[FileError] = []
    analyzed = 0
    for path, error in discover(paths, lambda p: settings_for(p).is_excluded(p)):
        if error is not None:
            errors.append(FileError(show(error.path), error.message))
            continue
        read = read_source(path)
        if isinstance(read, FileError):
            errors.append(FileError(show(read.path), read.message))
            continue
        found, problem = inventory_text(read, settings_for(Path(path)), show(path))
        if problem is not None:
            errors.append(FileError(show(problem.path), problem.message))
            continue
        analyzed += 1
        for name, label, kind, site in found:
            usage = usages.get(name)
            if usage is None:
                usage = usages[name] = InterfaceUsage(name, label, kind)
            usage.sites.append(site)
    ordered = sorted(usages.values(), key=InterfaceUsage.sort_key)
    for usage in ordered:
        usage.sites.sort(key=CallSite.sort_key)
    return Inventory(ordered, analyzed, errors, [show(p) for p in paths])
