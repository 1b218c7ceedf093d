"""``sadpath contracts init``: a starting set of resilience contracts, one per external dependency in use.

The project's files are analysed (never imported) for calls to interfaces of the knowledge base; for each
interface found, a contract covering it declares a strategy for every failure mode its calls can raise:

* the modes the knowledge base marks retryable (timeouts, lost connections, 429, 5xx, ...): retried 3 times
  with backoff, then translated to ``<Service>UnavailableError`` (``<Service>TimeoutError`` for timeouts);
* ``not-found``: propagated (the caller decides what a missing record means);
* every other mode: translated to ``<Service>Error``.

It is a start to edit, not a verdict: the dry run (the default) prints the TOML and where it would go;
``--write`` appends it to the configuration, after checking that the result still parses, and leaves any
contract that already exists alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sadpath.commands import EXIT_CLEAN, EXIT_ERROR, display_path
from sadpath.config import ConfigError, Settings, find_config, read_config, resolve_settings, sadpath_table
from sadpath.files import tomllib
from sadpath.engine import analyze
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.walker import call_sites
from sadpath.files import ReadFile, bytes_digest, discover, read_regular, read_source, write_new, write_source
from sadpath.knowledge import exception_hierarchy
from sadpath.model import FileError
from sadpath.engine.domain import domain_base
from sadpath.source import SourceFile


@dataclass
class Usage:
    name: str  # interface name
    label: str
    kind: str
    retryable: tuple[str, ...]
    sites: int = 0
    modes: Counter = field(default_factory=Counter)  # mode -> call sites that can raise it
    services: Counter = field(default_factory=Counter)  # domain error base (``PaystreamError``) -> call sites


def scan(paths: list[str], settings_for) -> tuple[dict[str, Usage], list[FileError]]:
    """Interfaces used under ``paths``, with the modes their calls can raise."""
    usages: dict[str, Usage] = {}
    errors: list[FileError] = []
    for path, error in discover(paths, lambda p: settings_for(p).is_excluded(p)):
        if error is not None:
            errors.append(error)
            continue
        read = read_source(path)
        if isinstance(read, FileError):
            errors.append(read)
            continue
        settings = settings_for(Path(path))
        analysis = analyze(SourceFile(path, read.text), settings, rules=[])
        if analysis.tree is None or analysis.semantic is None:
            continue
        ctx = ModuleContext(analysis.source, analysis.tree, analysis.semantic, exception_hierarchy(), settings)
        for call, parents, scopes in call_sites(ctx):
            ctx.parents, ctx.scopes = parents, scopes
            external = external_call(call, ctx)
            if external is None:
                continue
            interface = external.interface
            usage = usages.setdefault(interface.name, Usage(interface.name, interface.label, interface.kind, interface.retryable))
            usage.sites += 1
            usage.services[domain_base(call, ctx)] += 1
            for mode, _ in interface.modes_of_call(call, external.name):
                usage.modes[mode] += 1
    return usages, errors


def service_name(label: str) -> str:
    """``redis`` -> ``Redis``, ``confluent_kafka`` -> ``ConfluentKafka``, ``boto3`` -> ``Boto3``."""
    words = [w for w in label.replace("-", "_").replace(".", "_").split("_") if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Dependency"


def contract_toml(usage: Usage) -> str:
    # the domain the call sites point at (their URL, client or class), when they all agree; else the library
    base, count = usage.services.most_common(1)[0] if usage.services else ("", 0)
    stem = base[: -len("Error")] if base.endswith("Error") else base
    service = stem if count == usage.sites and stem and stem != "Service" else service_name(usage.label)
    lines = [
        f"# {usage.label} ({usage.kind}): {usage.sites} call site{'s' if usage.sites != 1 else ''}",
        f"[tool.sadpath.contracts.{_key(usage.name)}]",
        f'calls = ["{usage.name}"]',
        f"[tool.sadpath.contracts.{_key(usage.name)}.modes]",
    ]
    for mode in sorted(usage.modes):
        if mode in usage.retryable:
            error = f"{service}TimeoutError" if mode == "timeout" else f"{service}UnavailableError"
            lines.append(f'{_key(mode)} = {{ retry = {{ attempts = 3, then = "translate:{error}" }} }}')
        elif mode == "not-found":
            lines.append(f'{_key(mode)} = "propagate"')
        else:
            lines.append(f'{_key(mode)} = {{ translate = "{service}Error" }}')
    return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() else f'"{name}"'


@dataclass
class Plan:
    config: Path
    new: list[Usage]
    existing: list[str]  # contracts already configured (left alone)
    text: str  # the TOML to append


def plan(paths: list[str], config: Path | None) -> tuple[Plan, list[FileError]]:
    """What ``init`` would append to which file. Raises ConfigError for an unusable configuration."""
    start = Path(paths[0]) if paths else Path.cwd()
    target = config or find_config(start) or ((start if start.is_dir() else start.parent) / "pyproject.toml")
    cache: dict = {}
    if config is not None:
        explicit = resolve_settings(start, config)
        usages, errors = scan(paths, lambda p: explicit)
    else:
        usages, errors = scan(paths, lambda p: resolve_settings(Path(p), None, cache))
    existing = _configured_contracts(target)
    new = [u for name, u in sorted(usages.items(), key=lambda item: (-item[1].sites, item[0])) if name not in existing and u.modes]
    text = "\n".join(contract_toml(u) for u in new)
    return Plan(target, new, sorted(existing & set(usages)), text), errors


def _configured_contracts(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    contracts = (sadpath_table(read_config(path), path) or {}).get("contracts", {})
    return set(contracts) if isinstance(contracts, dict) else set()


def write(plan_: Plan) -> None:
    """Append the contracts to the configuration, after checking that the result parses; written through a
    fresh temporary file, never through a link, and only if the file did not change meanwhile."""
    try:
        old_bytes = read_regular(plan_.config, follow_links=False) if os.path.lexists(plan_.config) else None
        old = old_bytes.decode("utf-8") if old_bytes is not None else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{plan_.config}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    header = "" if "[tool.sadpath]" in old else "[tool.sadpath]\n\n"
    separator = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
    new = old + separator + header + "# Resilience contracts written by `sadpath contracts init`: edit them to your decisions.\n" + plan_.text
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{plan_.config}: appending the contracts would break the file ({exc}); nothing written") from exc
    from sadpath.config import settings_from_table

    settings_from_table(sadpath_table(parsed, plan_.config) or {}, origin=str(plan_.config))  # validates
    try:
        if old_bytes is None:
            write_new(plan_.config, new, overwrite=False)
        else:
            write_source(ReadFile(str(plan_.config), old, "utf-8", bytes_digest(old_bytes)), new)
    except OSError as exc:
        raise ConfigError(f"{plan_.config}: not written: {exc.strerror or exc}") from exc


def summary(plan_: Plan) -> str:
    lines = []
    for usage in plan_.new:
        modes = ", ".join(sorted(usage.modes))
        lines.append(f"  {usage.name:<16} {usage.sites:>4} call site{'s' if usage.sites != 1 else ' '}  modes: {modes}")
    for name in plan_.existing:
        lines.append(f"  {name:<16} already has a contract: left alone")
    return "\n".join(lines)



def main(args: argparse.Namespace) -> int:
    if args.contracts_command != "init":
        print("sadpath: error: `sadpath contracts init [PATH ...] [--write]`", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        proposal, errors = plan(args.paths, args.config)
        for error in errors:
            print(f"sadpath: {display_path(error.path)}: {error.message}", file=sys.stderr)
        if not proposal.new:
            print(summary(proposal) or "No calls to known external interfaces found: no contract to propose.")
            return EXIT_CLEAN
        if args.write:
            write(proposal)
            print(f"Wrote {len(proposal.new)} contract(s) to {display_path(str(proposal.config))}:")
            print(summary(proposal))
            print("Run `sadpath check` to see the call sites that break them (SAD301).")
        else:
            print(f"Would append to {display_path(str(proposal.config))} (dry run; --write to do it):")
            print(summary(proposal))
            print()
            sys.stdout.write(proposal.text)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CLEAN


__all__ = ["main", "Plan", "Settings", "plan", "scan", "summary", "write"]
