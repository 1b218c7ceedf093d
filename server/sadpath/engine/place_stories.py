"""What a broad handler (``except:``, ``except BaseException``) catches beyond ``Exception``, told for its place.

``abort_places.abort_place`` says where an operator's abort realistically lands (``main()``, commands, loops,
coroutines). Everywhere else a broad handler still catches more than ``Exception``, but what arrives differs:

- request code (a route, a view, a method of a class-based view, or a function handed the ``request``:
  middleware, context processors, the helpers of a view): the web worker's own stop. gunicorn's worker installs ``handle_quit`` for SIGQUIT and
  SIGINT and ``handle_abort`` for SIGABRT (the arbiter's signal to a timed-out worker); both set
  ``alive = False`` and call ``sys.exit()``, so ``SystemExit`` is raised in the request the worker is running.
  Caught, the request goes on with the fallback instead of ending.
- a Celery task: prefork children ignore SIGINT (``WORKER_SIGIGNORE``) and die on SIGTERM/SIGKILL without an
  exception; a task that runs in the worker's main process (the solo pool) gets the hard shutdown's
  ``WorkerTerminate`` (a ``SystemExit``) raised from the signal handler. Caught, the task goes on with the fallback.
- a helper: whatever stops its caller (a Ctrl-C, a ``sys.exit()``) while the block runs becomes the fallback,
  and the caller carries on instead of stopping.
"""

from __future__ import annotations

import ast

from sadpath.engine.boundary import boundary_of

_REQUEST_BOUNDARIES = frozenset({"route", "view"})
_VIEW_BASES = ("View", "ViewSet", "ViewMixin")


def quiet_place(ctx) -> str:
    """``"request"``, ``"task"`` or ``"helper"``: where a handler no operator's abort reaches stands."""
    boundary = boundary_of(ctx)
    if boundary is not None and boundary.kind in _REQUEST_BOUNDARIES:
        return "request"
    if boundary is not None and boundary.kind == "task":
        return "task"
    func = ctx.enclosing_function()
    if func is not None and _takes_request(func):
        return "request"
    cls = ctx.enclosing_class()
    if func is not None and cls is not None and any(ast.unparse(b).endswith(_VIEW_BASES) for b in cls.bases):
        return "request"  # a helper method of a class-based view (``self.process_upload()`` in ``post()``)
    return "helper"


def _takes_request(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The function is handed the request (``def view(request)``, ``def __call__(self, request)``)."""
    args = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    if args and args[0] in ("self", "cls"):
        args = args[1:]
    return bool(args) and args[0] in ("request", "req")


def broad_message(label: str, where: str, place: str, logged: bool) -> str:
    """A fallback (no translation) of a broad handler where no operator's abort lands: what it catches there."""
    errors = "every error of the block" + (", which it logs with the traceback" if logged else "")
    if place == "request":
        return (
            f"{label} in {where} (request code) catches {errors}, and beyond `Exception` the web worker's own stop: "
            "gunicorn's worker raises `SystemExit` from its signal handler in the running request (SIGQUIT or SIGINT "
            "to stop it, SIGABRT to abort a timed-out worker), and caught here the request goes on with the fallback "
            "instead of ending. `except Exception:` keeps the fallback for every error and lets the worker stop."
        )
    if place == "task":
        return (
            f"{label} in the Celery task {where} catches {errors}, and beyond `Exception` the worker's own stop: "
            "in a task that runs in the worker's main process (the solo pool) a hard shutdown raises "
            "`WorkerTerminate` (a `SystemExit`), and caught here the task goes on with the fallback (prefork "
            "children ignore SIGINT). `except Exception:` keeps the fallback for every error and lets the stop through."
        )
    return (
        f"{label} in {where} catches {errors}, and beyond `Exception` whatever stops its caller: a Ctrl-C "
        "(KeyboardInterrupt) or `sys.exit()` that lands while the block runs becomes the fallback, and the command "
        "or worker calling it carries on instead of stopping. `except Exception:` keeps the fallback for every "
        "error and lets those through."
    )


def abort_message(label: str, where: str, place: str, translated: str | None, chain: str) -> str:
    """Where an abort realistically arrives (``abort_places.abort_place``): what becomes of it."""
    if translated is not None:
        aborts = {
            "async": "task cancellation, Ctrl-C and sys.exit()",
            "gevent": "gevent's `Timeout` and `GreenletExit`, Ctrl-C and sys.exit()",
        }.get(place, "Ctrl-C and sys.exit()")
        return (
            f"{label} in {where} turns {aborts} into `{translated}`: an operator's "
            f"abort becomes one more failure the caller counts and carries on after. Catch `Exception` instead{chain}."
        )
    if place == "async":
        return (
            f"{label} in {where} also catches KeyboardInterrupt, SystemExit and task cancellation: "
            "Ctrl-C, sys.exit() and cancellations are swallowed here. Catch `Exception` instead, or re-raise."
        )
    if place == "gevent":
        return (
            f"{label} in {where} also catches gevent's `Timeout` and `GreenletExit` (both BaseException), Ctrl-C and "
            "sys.exit(): a timeout or a kill of this greenlet is swallowed here. Catch `Exception` instead, or re-raise."
        )
    return (
        f"{label} in {where} also catches KeyboardInterrupt and SystemExit: Ctrl-C and sys.exit() are "
        "swallowed here. Catch `Exception` (or the errors the block can raise) instead, or re-raise."
    )
