"""The README's "Before and after" section, generated from the fixes as they are written today.

``before_after()`` checks ``SAMPLE`` (a small payment service, as hurried code is written) with the default
settings, builds each headline fix of its findings alone, and renders the sample and one diff per fix.
``python -m sadpath.docgen`` writes it between the README's ``before-after`` markers, and a test fails when the
README drifts from what the fixes write.
"""

from __future__ import annotations

import difflib

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

SAMPLE_PATH = "payments.py"
SAMPLE = '''\
import logging
import time

import requests
from fastapi import FastAPI

app = FastAPI()
log = logging.getLogger(__name__)


@app.post("/checkout")
def checkout(order_id: str, amount: int):
    response = requests.post(
        "https://api.paystream.example/charges",
        json={"order": order_id, "amount": amount},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def charge_status(charge_id: str) -> str:
    try:
        response = requests.get(f"https://api.paystream.example/charges/{charge_id}")
        response.raise_for_status()
        return response.json()["status"]
    except Exception as e:
        print(e)
        return "UNKNOWN"


def latest_rates(session: requests.Session) -> dict:
    for attempt in range(3):
        try:
            response = session.get("https://rates.example/latest", timeout=5)
            response.raise_for_status()
            return response.json()
        except requests.RequestException:
            time.sleep(1)
    raise RuntimeError("no rates")


def sync_customers(client, customer_ids: list[str]) -> list[str]:
    failed = []
    for customer_id in customer_ids:
        try:
            profile = client.fetch_profile(customer_id)
            client.push_profile(profile)
        except requests.RequestException as e:
            log.error(f"customer sync failed: {e}")
            failed.append(customer_id)
    return failed
'''

# (rule, fix kind, what the reader should see in the diff), in the order the section shows them
HEADLINES = (
    (
        "SAD201",
        "translate_external",
        "**Typed exception translation.** One branch per failure mode the call can raise, most specific first, each "
        "raised `from exc` as a domain error named after the service (from the URL's host here) and carrying the "
        "HTTP status to answer with. The classes are defined once, base first, after the module's imports and "
        "constants; the module's own errors are reused when it has them. The app registers no handler for them, so "
        "one is registered that answers the error's status (without it the route would still answer a 500). No log "
        "line: whoever catches the domain error decides how to report it, and the traceback travels with it.",
    ),
    (
        "SAD201",
        "retry_external",
        "**Backoff retry.** Only the retryable modes, exponential back-off with jitter, at most 3 attempts, the last "
        "error re-raised. A project that depends on tenacity gets `Retrying(...)` instead, and a function already "
        "under tenacity or backoff gets its policy adjusted, not a second loop.",
    ),
    ("SAD202", "add_timeout", "**A timeout**, in the call's own layout (`default-timeout` sets the value)."),
    (
        "SAD101",
        "reraise",
        "**A swallowed failure.** The handler printed the error and answered `'UNKNOWN'`; with the `try` holding "
        "nothing else, the fix removes it and lets the error reach the caller. In a loop, a clean-up "
        "step, a Celery task or `main()` the fix writes the handling that fits there instead (log with the "
        "traceback and go on, retry the task, exit non-zero).",
    ),
    (
        "SAD101",
        "translate",
        "**Or translate it** into the service's domain error, `from` the caught one; `print(e)` goes, since the "
        "traceback travels with the new error.",
    ),
    (
        "SAD204",
        "backoff_sleep",
        "**Back-off in a retry loop.** The constant sleep becomes exponential back-off with jitter, in place: the "
        "loop, its condition and its comments stay.",
    ),
    (
        "SAD104",
        "log_structured",
        "**A log that keeps the traceback.** The message and its arguments stay; the record gains the traceback "
        "and the operation (and every `required-log-fields` entry in scope).",
    ),
)


def _diff(before: str, after: str) -> str:
    lines = list(difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=2))[2:]  # no ---/+++
    return "".join(lines)


def before_after() -> str:
    """The section's body: the sample, then one paragraph and diff per headline fix."""
    from sadpath.fixes import apply_edits, build_fix  # libcst: only loaded when fixing

    settings = Settings()
    source = SourceFile(SAMPLE_PATH, SAMPLE)
    analysis = lint(source, settings)
    parts = [
        "The module below calls the Paystream payment API with `requests`, as code written in a hurry does: the "
        "route lets a timeout escape as a 500, one call has no timeout, a helper prints the error and answers "
        "`'UNKNOWN'`, a retry loop sleeps a constant second, and a sync loop logs the failure without its "
        "traceback. Each diff below is one fix, applied alone, exactly as `sadpath check --fix --unsafe-fixes` "
        "(or the editor's quick fix) writes it.\n",
        f"```python\n{SAMPLE}```\n",
    ]
    for code, kind, prose in HEADLINES:
        finding, offer = next(
            ((f, o) for f in analysis.findings if f.code == code for o in f.fixes if o.kind == kind), (None, None)
        )
        if finding is None or offer is None:
            raise LookupError(f"the sample no longer has a {code} finding that offers {kind}")
        fix = build_fix(source, finding, offer, settings, analysis.tree)
        diff = _diff(SAMPLE, apply_edits(SAMPLE, list(fix.edits)))
        parts.append(f"{prose} ({code}: {fix.title})\n")
        parts.append(f"```diff\n{diff}```\n")
    return "\n".join(parts)
