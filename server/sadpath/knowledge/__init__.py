"""Typed access to the knowledge base (TOML data files beside this module).

The knowledge base is data, not code. This module loads it once, validates its
shape (a malformed entry is a clear ``KnowledgeError`` naming the file and key),
and answers questions about exception types: the canonical name of an alias,
subclass relations, the failure modes an exception carries, and whether an
exception signals an expected, narrow outcome.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

KNOWLEDGE_DIR = Path(__file__).resolve().parent

# Attribute names that Django and similar ORMs attach to each model class.
_MODEL_NOT_FOUND_ATTRS = {"DoesNotExist": "django.core.exceptions.ObjectDoesNotExist"}


class KnowledgeError(ValueError):
    """The knowledge base (or a user extension of it) is malformed."""


@dataclass(frozen=True)
class ExceptionInfo:
    name: str
    bases: tuple[str, ...]
    modes: tuple[str, ...]


@dataclass
class ExceptionHierarchy:
    aliases: dict[str, str] = field(default_factory=dict)
    exceptions: dict[str, ExceptionInfo] = field(default_factory=dict)
    expected: frozenset[str] = frozenset()
    _families: frozenset[str] | None = field(default=None, repr=False, compare=False)  # computed on first use

    def canonical(self, name: str) -> str:
        """The canonical qualified name behind an alias (``requests.Timeout`` → ``requests.exceptions.Timeout``)."""
        seen = 0
        while name in self.aliases and seen < 10:
            target = self.aliases[name]
            if target == name:
                break
            name = target
            seen += 1
        if name not in self.exceptions and name.startswith("builtins."):
            return name[len("builtins.") :]
        if name not in self.exceptions:
            attr = name.rsplit(".", 1)[-1]
            if attr in _MODEL_NOT_FOUND_ATTRS and "." in name:
                return _MODEL_NOT_FOUND_ATTRS[attr]
        return name

    def is_known(self, name: str) -> bool:
        return self.canonical(name) in self.exceptions

    def ancestors(self, name: str) -> tuple[str, ...]:
        """The exception itself and every known base, nearest first."""
        return _ancestors(self, self.canonical(name))

    def is_subclass(self, name: str, base: str) -> bool:
        return self.canonical(base) in self.ancestors(name)

    def modes(self, name: str) -> tuple[str, ...]:
        """Failure modes carried by the exception: its own, else its nearest base's."""
        for ancestor in self.ancestors(name):
            info = self.exceptions.get(ancestor)
            if info is not None and info.modes:
                return info.modes
        return ()

    def is_family(self, name: str) -> bool:
        """A base of two or more known exceptions (``RedisError``, ``RequestException``): which failure it was
        is in the exception, not in its type."""
        if self._families is None:
            counts: dict[str, int] = {}
            for info in self.exceptions.values():
                for ancestor in self.ancestors(info.name)[1:]:
                    counts[ancestor] = counts.get(ancestor, 0) + 1
            self._families = frozenset(n for n, count in counts.items() if count >= 2)
        return self.canonical(name) in self._families

    def is_expected(self, name: str) -> bool:
        """An exception that signals an expected, narrow outcome, by its exact name."""
        return self.canonical(name) in self.expected


def _ancestors(hierarchy: ExceptionHierarchy, name: str) -> tuple[str, ...]:
    order: list[str] = []
    stack = [name]
    while stack:
        current = stack.pop(0)
        if current in order:
            continue
        order.append(current)
        info = hierarchy.exceptions.get(current)
        if info is not None:
            stack.extend(hierarchy.canonical(base) for base in info.bases)
    return tuple(order)


def load_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read knowledge file: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path}: invalid TOML: {exc}") from exc


def _parse_hierarchy(data: dict, origin: str) -> ExceptionHierarchy:
    hierarchy = ExceptionHierarchy()
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()
    ):
        raise KnowledgeError(f"{origin}: [aliases] must map names to names")
    hierarchy.aliases = dict(aliases)
    for name, entry in data.get("exceptions", {}).items():
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{origin}: exceptions.{name!r} must be a table")
        unknown = set(entry) - {"bases", "modes"}
        if unknown:
            raise KnowledgeError(f"{origin}: exceptions.{name!r} has unknown key(s) {sorted(unknown)}")
        bases = entry.get("bases", [])
        modes = entry.get("modes", [])
        for key, value in (("bases", bases), ("modes", modes)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise KnowledgeError(f"{origin}: exceptions.{name!r}.{key} must be a list of strings")
        unknown_modes = set(modes) - FAILURE_MODES
        if unknown_modes:
            raise KnowledgeError(f"{origin}: exceptions.{name!r}.modes has unknown mode(s) {sorted(unknown_modes)}")
        hierarchy.exceptions[name] = ExceptionInfo(name, tuple(bases), tuple(modes))
    expected = data.get("expected", {}).get("names", [])
    if not isinstance(expected, list) or not all(isinstance(v, str) for v in expected):
        raise KnowledgeError(f"{origin}: expected.names must be a list of strings")
    hierarchy.expected = frozenset(expected)
    return hierarchy


@dataclass(frozen=True)
class Mode:
    """One failure mode of the vocabulary (``modes.toml``)."""

    name: str
    phrase: str  # "a timeout": what a finding says the call can raise
    error: str  # "Timeout": the suffix of a generated domain error class
    status: int  # the HTTP status a translation answers with
    retryable: bool  # whether a retry can succeed
    http_status: bool  # whether it can come from an HTTP response's status rather than the call
    log: str  # "timed out": what a generated log line says the service did


_MODE_KEYS = {"phrase": str, "error": str, "status": int, "retryable": bool, "http_status": bool, "log": str}


@lru_cache(maxsize=1)
def modes() -> dict[str, Mode]:
    """The failure-mode vocabulary, in its order, loaded once per process and validated."""
    path = KNOWLEDGE_DIR / "modes.toml"
    table = load_toml(path).get("modes")
    if not isinstance(table, dict) or not table:
        raise KnowledgeError(f"{path}: expected a [modes.<name>] table per mode")
    found: dict[str, Mode] = {}
    for name, entry in table.items():
        if not isinstance(entry, dict) or set(entry) != set(_MODE_KEYS):
            raise KnowledgeError(f"{path}: modes.{name} must have exactly {', '.join(_MODE_KEYS)}")
        for key, kind in _MODE_KEYS.items():
            value = entry[key]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise KnowledgeError(f"{path}: modes.{name}.{key} must be {kind.__name__}, got {value!r}")
        found[name] = Mode(name, **entry)
    return found


FAILURE_MODES = frozenset(modes())
HTTP_STATUS_MODES = frozenset(name for name, mode in modes().items() if mode.http_status)
RETRYABLE_MODES = tuple(name for name, mode in modes().items() if mode.retryable)


@lru_cache(maxsize=1)
def exception_hierarchy() -> ExceptionHierarchy:
    """The built-in exception hierarchy, loaded once per process."""
    path = KNOWLEDGE_DIR / "exceptions.toml"
    return _parse_hierarchy(load_toml(path), str(path))


def knowledge_fingerprint() -> str:
    """A digest of every knowledge file, so caches can tell when the data changed."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(KNOWLEDGE_DIR.glob("*.toml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
