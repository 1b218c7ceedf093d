"""Resilience contracts: for an external dependency, how each failure mode must be handled at every call.

``[tool.sadpath.contracts.<name>]`` in ``pyproject.toml``::

    [tool.sadpath.contracts.paystream]
    calls = ["requests", "billing.gateway.*"]     # interface names, qualified call names, or patterns
    log-fields = ["correlation_id"]                # required in the log records of the handlers
    [tool.sadpath.contracts.paystream.modes]
    timeout = { translate = "PaymentTimeoutError", status = 503 }
    connection = { retry = { attempts = 3, then = "translate:PaymentUnavailableError" } }
    server-error = { retry = { attempts = 3, then = "raise" } }
    auth = { translate = "PaymentAuthError", status = 401 }
    not-found = "propagate"
    rate-limit = { fallback = "None" }

``calls`` entries match a call when they name its interface (``requests``, as in the knowledge base or a
``[tool.sadpath.interfaces]`` table), or equal or glob-match its qualified name (``requests.post``,
``requests.Session.post``, ``redis.Redis.*``). Each mode names one strategy:

* ``translate``: caught and raised again as the named domain error ``from`` the original (``status``: the
  HTTP status the error class carries, checked when the class is defined in the module);
* ``retry``: retried with backoff at most ``attempts`` times, then ``raise`` (the last error escapes) or
  ``translate:<Error>``;
* ``propagate``: allowed to escape, so nothing here may swallow it;
* ``fallback``: caught and replaced by a documented fallback value (the string says which).

Validation follows the rest of the configuration: an unknown key, mode or strategy, or a value of the wrong
type, is an error that names the key and the file.
"""

from __future__ import annotations

import ast

import fnmatch
from dataclasses import dataclass
from typing import Any

STRATEGIES = ("translate", "retry", "propagate", "fallback")
_CONTRACT_KEYS = {"calls", "modes", "log-fields"}
_TRANSLATE_KEYS = {"translate", "status"}
_RETRY_KEYS = {"attempts", "then"}


class ContractError(ValueError):
    """A malformed contract; the message names the key and the file."""


@dataclass(frozen=True)
class Strategy:
    kind: str  # one of STRATEGIES
    error: str | None = None  # translate: the domain error; retry: the error after the last attempt, if any
    status: int | None = None
    attempts: int | None = None
    fallback: str | None = None

    def describe(self) -> str:
        if self.kind == "translate":
            return f"translate to {self.error}" + (f" (status {self.status})" if self.status else "")
        if self.kind == "retry":
            then = f"then translate to {self.error}" if self.error else "then raise"
            return f"retry {self.attempts}× with backoff, {then}"
        if self.kind == "fallback":
            return f"fall back to {self.fallback}" if self.fallback else "fall back"
        return "propagate"


@dataclass(frozen=True)
class Contract:
    name: str
    calls: tuple[str, ...]
    modes: tuple[tuple[str, Strategy], ...]
    log_fields: tuple[str, ...] = ()

    def covers(self, interface_name: str, interface_label: str, qualified_names: tuple[str, ...]) -> bool:
        for entry in self.calls:
            if entry in (interface_name, interface_label):
                return True
            if any(entry == name or fnmatch.fnmatchcase(name, entry) for name in qualified_names if name):
                return True
        return False


def parse_contracts(value: Any, where: str, known_modes: frozenset[str]) -> tuple[Contract, ...]:
    if not isinstance(value, dict):
        raise ContractError(f"{where}: expected a table of [tool.sadpath.contracts.<name>] tables")
    return tuple(_contract(name, table, f"{where}.{name}", known_modes) for name, table in value.items())


def _contract(name: str, table: Any, where: str, known_modes: frozenset[str]) -> Contract:
    if not isinstance(table, dict):
        raise ContractError(f"{where}: expected a table")
    unknown = set(table) - _CONTRACT_KEYS
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {sorted(unknown)} (expected {sorted(_CONTRACT_KEYS)})")
    calls = _strings(table.get("calls"), f"{where}.calls")
    if not calls:
        raise ContractError(f"{where}.calls: name at least one interface or call")
    log_fields = _strings(table.get("log-fields", []), f"{where}.log-fields")
    modes_raw = table.get("modes")
    if not isinstance(modes_raw, dict) or not modes_raw:
        raise ContractError(f"{where}.modes: expected a table of failure mode = strategy")
    modes = []
    for mode, raw in modes_raw.items():
        if mode not in known_modes:
            raise ContractError(f"{where}.modes: unknown failure mode {mode!r} (known: {', '.join(sorted(known_modes))})")
        modes.append((mode, _strategy(raw, f"{where}.modes.{mode}")))
    return Contract(name, calls, tuple(modes), log_fields)


def _strategy(raw: Any, where: str) -> Strategy:
    if raw in ("propagate", "fallback"):
        return Strategy(raw)
    if isinstance(raw, str):
        raise ContractError(f"{where}: expected \"propagate\", \"fallback\" or a table ({{ translate = ... }}, {{ retry = ... }}, {{ fallback = ... }})")
    if not isinstance(raw, dict) or len(set(raw) & set(STRATEGIES)) != 1:
        raise ContractError(f"{where}: expected exactly one of {', '.join(STRATEGIES)}")
    if "translate" in raw:
        unknown = set(raw) - _TRANSLATE_KEYS
        if unknown:
            raise ContractError(f"{where}: unknown key(s) {sorted(unknown)}")
        error = raw["translate"]
        if not isinstance(error, str) or not error.replace(".", "").replace("_", "").isalnum():
            raise ContractError(f"{where}.translate: expected the name of an exception class")
        status = raw.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
            raise ContractError(f"{where}.status: expected an HTTP status between 100 and 599")
        return Strategy("translate", error=error, status=status)
    if "retry" in raw:
        if set(raw) != {"retry"}:
            raise ContractError(f"{where}: unknown key(s) {sorted(set(raw) - {'retry'})}")
        retry = raw["retry"]
        if not isinstance(retry, dict) or set(retry) - _RETRY_KEYS:
            raise ContractError(f"{where}.retry: expected {{ attempts = N, then = \"raise\" | \"translate:<Error>\" }}")
        attempts = retry.get("attempts", 3)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 2 <= attempts <= 20:
            raise ContractError(f"{where}.retry.attempts: expected a whole number from 2 to 20")
        then = retry.get("then", "raise")
        if then == "raise":
            return Strategy("retry", attempts=attempts)
        if isinstance(then, str) and then.startswith("translate:") and then[len("translate:") :].strip():
            return Strategy("retry", error=then[len("translate:") :].strip(), attempts=attempts)
        raise ContractError(f"{where}.retry.then: expected \"raise\" or \"translate:<Error>\"")
    if "fallback" in raw:
        if set(raw) != {"fallback"} or not isinstance(raw["fallback"], str):
            raise ContractError(f"{where}.fallback: expected a string that documents the fallback value")
        return Strategy("fallback", fallback=raw["fallback"])
    if "propagate" in raw:
        raise ContractError(f"{where}: write propagate as the string \"propagate\"")
    raise ContractError(f"{where}: expected exactly one of {', '.join(STRATEGIES)}")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ContractError(f"{where}: expected a list of strings")
    return tuple(value)



def fallback_expression(text: str | None) -> str | None:
    """The Python expression a fallback string starts with (``"None: the cache is optional"`` -> ``None``)."""
    if not text:
        return None
    value = text.split(":", 1)[0].strip()
    try:
        ast.parse(value, mode="eval")
    except SyntaxError:
        return None
    return value


__all__ = ["Contract", "ContractError", "STRATEGIES", "Strategy", "fallback_expression", "parse_contracts"]
