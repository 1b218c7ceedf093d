"""Handlers one rule's finding already covers, so that another rule does not report the same problem again.

SAD102's finding on a bare ``except:`` that translates (``except: raise ThumbnailError(...)``) asks for
``Exception`` and for ``from`` together: SAD103 then stays quiet on that handler's ``raise``. The claim is made by
the finding itself, when it is reported (the walk meets a handler before the ``raise`` statements inside it), so a
handler SAD102 leaves alone (``# noqa: E722``, a handler nested in a reported one whose message asks nothing
about ``from``) keeps its SAD103 finding whichever other rules run.
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext

_KEY = "handler_claims.cause_asked"


def claim_cause(ctx: ModuleContext, handler: ast.ExceptHandler) -> None:
    """A finding on ``handler`` already asks for its new error to be raised ``from`` the caught one."""
    ctx.fact(_KEY, set).add(id(handler))


def cause_claimed(ctx: ModuleContext, handler: ast.ExceptHandler) -> bool:
    return id(handler) in ctx.fact(_KEY, set)
