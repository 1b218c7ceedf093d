"""# SAD301 contract-violation

## What it does

Holds every call to an external dependency to its resilience contract. A
contract (`[tool.sadpath.contracts.<name>]`) names the calls it covers (an
interface such as `requests`, qualified call names and patterns such as
`redis.Redis.*`, or the project's own functions and methods such as
`billing.gateway.PaymentClient.charge`, whose modes are then carried by every
exception type the knowledge base knows for them) and, for each failure mode,
how it must be handled:
`translate` to a domain error raised `from` the original (with the HTTP status
the error carries), `retry` with backoff a given number of times and then raise
or translate, `propagate` (nothing may swallow it), or `fallback`. It can also
require log fields in the handlers.

Each covered call whose handling differs from the contract is reported once, on
the call's first line, naming every mode that is missing or handled against the
contract ("timeout is not translated to PaymentTimeoutError"). Modes the call
cannot raise (`subprocess.run` without `check=True` raises no
`CalledProcessError`) are not asked for.

## Why is this bad?

A contract is the team's decision, written once, about what each failure of a
dependency means to the service: which errors the API answers with, what is
retried and how often, what degrades gracefully. A call site that handles a
mode differently (or not at all) breaks that promise in one place: the client
sees a 500 where the contract says 503, a payment is retried without backoff, a
missing record becomes a crash.

## Example

```python
import requests


class PaymentTimeoutError(Exception):
    status = 503


def charge(order_id, amount):
    response = requests.post("https://pay.example/charges", json={"order": order_id, "amount": amount}, timeout=10)
    response.raise_for_status()
    return response.json()
```

With the contract:

```toml
[tool.sadpath.contracts.payments]
calls = ["requests"]
[tool.sadpath.contracts.payments.modes]
timeout = { translate = "PaymentTimeoutError", status = 503 }
```

## Use instead

```python
import requests


class PaymentTimeoutError(Exception):
    status = 503


def charge(order_id, amount):
    try:
        response = requests.post("https://pay.example/charges", json={"order": order_id, "amount": amount}, timeout=10)
    except requests.Timeout as exc:
        raise PaymentTimeoutError(f"payment for {order_id} timed out") from exc
    response.raise_for_status()
    return response.json()
```

## Fix safety

Unsafe: "Handle as the contract declares" wraps the call's statement in exactly
the handlers the contract declares: a branch per translated mode that logs (with
the contract's log fields) and raises the declared error `from` the original, a
branch per fallback mode that returns the declared value, and for retried modes
a `for attempt in range(N)` loop with exponential backoff and jitter that
raises or translates on the last attempt. Missing error classes are defined with
their status. It is offered only where it can keep the whole contract: nothing
handles the call yet, no HTTP status mode is broken (those come from
`raise_for_status()`), the fallback strings start with a Python value
(`"None: the cache is optional"`), and every log field has a value in scope.

## Options

- `contracts`: the contracts, as `[tool.sadpath.contracts.<name>]` tables with `calls`, `modes` and `log-fields`; see the README's "Resilience contracts" section.

## References

- [Google SRE book: handling overload (retries with backoff)](https://sre.google/sre-book/handling-overload/)
- [PEP 3134: exception chaining (raise ... from ...)](https://peps.python.org/pep-3134/)
"""

from __future__ import annotations

import ast

from sadpath.contracts import fallback_expression
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.handling import enclosing_try_handlers
from sadpath.model import Applicability, FixOffer
from sadpath.knowledge import HTTP_STATUS_MODES
from sadpath.engine.contract_check import check_site, covering_contract, project_call, status_context
from sadpath.rules.base import Rule


class ContractViolation(Rule):
    code = "SAD301"
    slug = "contract-violation"
    summary = "A call covered by a resilience contract handles a declared failure mode differently, or not at all."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('contract_handlers',)

    @classmethod
    def is_active(cls, settings) -> bool:
        return bool(getattr(settings, "contracts", ()))

    @classmethod
    def context_key(cls, ctx: ModuleContext) -> str:
        return status_context(ctx)  # the status attributes of the contracts' error classes, anywhere in the module

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        external = external_call(node, ctx) or project_call(node, ctx)
        if external is None:
            return
        contract = covering_contract(external, ctx)
        if contract is None:
            return
        broken = [v for v in check_site(external, contract, ctx.parents, ctx) if not v.ok]
        if not broken:
            return
        problems = "; ".join(v.problem for v in broken if v.problem)
        message = (
            f"`{external.name}()` breaks the `{contract.name}` contract: {problems}. "
            "Handle each mode as the contract declares (hover the call for the whole contract)."
        )
        raised = dict(external.interface.modes_of_call(external.call, external.name))
        declared = {mode: list(raised[mode]) for mode, _ in contract.modes if mode in raised}
        fixes = []
        if _can_write_handlers(external, contract, broken, declared, ctx):
            fixes.append(FixOffer("contract_handlers", f"Handle as the `{contract.name}` contract declares", Applicability.UNSAFE))
        data = {"contract": contract.name, "modes": [v.mode for v in broken], "mode_exceptions": declared}
        ctx.report(self, ctx.line_span(node), message, fixes=fixes, data=data)


def _can_write_handlers(external, contract, broken, declared, ctx: ModuleContext) -> bool:
    """The generated handlers keep the whole contract: nothing handles the call yet, no HTTP status mode is
    broken (those come from raise_for_status(), not the call), fallbacks are values, log fields are in scope."""
    if external.interface.kind == "project":
        return False  # a project function: the exception types of its modes are not known precisely enough to write
    if enclosing_try_handlers(external.call, ctx.parents):
        return False
    if external.interface.kind == "http" and any(v.mode in HTTP_STATUS_MODES for v in broken):
        return False
    strategies = dict(contract.modes)
    if any(strategies[m].kind == "fallback" and fallback_expression(strategies[m].fallback) is None for m in declared):
        return False
    if len({strategies[m].attempts for m in declared if strategies[m].kind == "retry"}) > 1:
        return False
    return not contract.log_fields or set(contract.log_fields) <= ctx.names_in_scope()
