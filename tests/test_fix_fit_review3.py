"""The open classes of the round-3 review of fixes (bench/quality/fix-review.md): each fix, applied alone, as a
reviewer of that project would want it.

- a back-off rewrite leaves no comment or log text that states the old constant delay;
- a traceback added in a polling loop is not logged on every pass;
- a timeout in a probe polled under a deadline is sized below it, and an ``errno`` handler still classifies the
  timeout as the outcome it replaces;
- nothing that raises (re-raise or translation) is offered at import time;
- a FastAPI route's swallow becomes the framework's error with a status and a detail, in the router's idiom;
- generated lines keep to the project's configured line length, else the file's own style, else 88."""

from __future__ import annotations

import ast

import pytest

from sadpath.fixes import FixRefused, build_fix
from sadpath.fixes import nodes
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile
from test_fix_layout import fixed


def offers(path, text: str, code: str) -> list[tuple[int, str, str]]:
    """(line, kind, title or "refused: ...") of every fix the ``code`` findings offer."""
    source = SourceFile(str(path), text)
    out = []
    for finding in lint(source, Settings()).findings:
        if finding.code != code:
            continue
        for offer in finding.fixes:
            try:
                out.append((finding.span.line, offer.kind, build_fix(source, finding, offer, Settings()).title))
            except FixRefused as exc:
                out.append((finding.span.line, offer.kind, f"refused: {exc}"))
    return out


# ---- (1) back-off: the prose that names the old delay


BACKOFF = '''import logging
import time

import requests

logger = logging.getLogger(__name__)


def fetch(url):
    for attempt in range(5):
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            # retry, then 1 second delay
            logger.debug("Sleeping for 1 second before next attempt.")
            time.sleep(1)
    raise RuntimeError("gave up")
'''


def test_backoff_rewrites_comments_and_log_text_that_state_the_old_delay(tmp_path):
    out, _ = fixed(tmp_path / "m.py", BACKOFF, "SAD204", "backoff_sleep")
    assert "random.uniform" in out
    assert "1 second" not in out
    assert "# retry, then exponential back-off delay" in out
    assert 'logger.debug("Sleeping with exponential back-off before next attempt.")' in out


def test_backoff_leaves_prose_about_other_numbers_alone(tmp_path):
    text = BACKOFF.replace("# retry, then 1 second delay", "# at most 5 attempts, 10 s apart at worst")
    out, _ = fixed(tmp_path / "m.py", text, "SAD204", "backoff_sleep")
    assert "# at most 5 attempts, 10 s apart at worst" in out


# ---- (2) a traceback per poll


POLL = '''import logging
import time

logger = logging.getLogger(__name__)


def watch(cursor, running):
    while running():
        try:
            lines = cursor.fetch_logs()
        except Exception:
            logger.warning("Call to GetLog() failed")
            lines = []
        for line in lines:
            logger.info("%s", line)
        time.sleep(5)
'''


def test_a_handler_in_a_polling_loop_logs_the_error_text_and_the_traceback_only_at_debug(tmp_path):
    out, title = fixed(tmp_path / "m.py", POLL, "SAD104", "log_structured")
    call = next(
        n for n in ast.walk(ast.parse(out)) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "warning"
    )
    assert ast.literal_eval(call.args[0]) == "Call to GetLog() failed: %s"
    assert ast.unparse(call.args[1]) == "exc"
    exc_info = next(k for k in call.keywords if k.arg == "exc_info")
    assert ast.unparse(exc_info.value) == "logger.isEnabledFor(logging.DEBUG)"
    assert "except Exception as exc:" in out
    assert "loop" in title


def test_a_handler_outside_a_loop_still_gets_the_traceback(tmp_path):
    text = '''import logging

logger = logging.getLogger(__name__)


def read(cursor):
    try:
        lines = cursor.fetch_logs()
    except Exception:
        logger.warning("Call to GetLog() failed")
        lines = []
    for line in lines:
        logger.info("%s", line)
'''
    out, _ = fixed(tmp_path / "m.py", text, "SAD104", "log_structured")
    assert "exc_info=True" in out
    assert "isEnabledFor" not in out


# ---- (3) a probe's timeout under its caller's deadline


PROBE = '''import errno
import logging
import socket

log = logging.getLogger(__name__)


def can_connect(ip, port):
    try:
        socket.create_connection((ip, port))
    except OSError as e:
        if e.errno not in {errno.ECONNREFUSED, errno.ETIMEDOUT}:
            log.error("Unexpected error connecting to %s:%i %s", ip, port, e)
        return False
    return True


async def wait_for_server(ip, port, timeout=10):
    await exponential_backoff(lambda: can_connect(ip, port), timeout=timeout)
'''


def test_a_probe_timeout_stays_below_the_callers_deadline_and_is_classified_as_etimedout(tmp_path):
    out, title = fixed(tmp_path / "m.py", PROBE, "SAD202", "add_timeout")
    assert "socket.create_connection((ip, port), timeout=1)" in out
    assert "if not isinstance(e, TimeoutError) and e.errno not in {errno.ECONNREFUSED, errno.ETIMEDOUT}:" in out
    assert "deadline" in title


def test_a_timeout_with_no_visible_deadline_keeps_the_default(tmp_path):
    text = PROBE.split("\n\nasync def wait_for_server")[0] + "\n"
    out, _ = fixed(tmp_path / "m.py", text, "SAD202", "add_timeout")
    assert "timeout=10)" in out


# ---- (4) nothing that raises at import time


CONFIG = '''from pathlib import Path

STATIC_DIR = Path("static")

try:
    if STATIC_DIR.exists():
        for item in STATIC_DIR.iterdir():
            item.unlink()
except Exception as e:
    pass
'''


def test_no_raising_fix_is_offered_at_import_time(tmp_path):
    found = offers(tmp_path / "config.py", CONFIG, "SAD101")
    assert found, "the fixture must still be a SAD101 finding"
    for _, kind, title in found:
        if kind in ("reraise", "translate"):  # refused, or the best-effort step's log-and-carry-on (no raise)
            assert title.startswith(("refused: the handler runs at import time", "Log the failure with its traceback and carry on")), (kind, title)


# ---- (5) a FastAPI route's swallow


ROUTE = '''import logging
import os

from fastapi import APIRouter, HTTPException, status

from app.constants import ERROR_MESSAGES

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/config")
async def update_config(form):
    try:
        return {"saved": form.save()}
    except Exception as e:
        log.exception(f"Problem updating config: {e}")
        raise HTTPException(
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
            detail=ERROR_MESSAGES.DEFAULT(e, "Error updating configuration"),
        )


@router.post("/reset/uploads")
async def reset_upload_dir():
    try:
        for name in os.listdir("/data/uploads"):
            os.unlink(os.path.join("/data/uploads", name))
    except Exception as e:
        log.exception(f"Failed to reset the upload dir: {e}")
    return True
'''


def test_a_route_swallow_becomes_the_routers_own_http_exception_raised_from_the_error(tmp_path):
    line = ROUTE.splitlines().index("    except Exception as e:", 20) + 1
    out, title = fixed(tmp_path / "m.py", ROUTE, "SAD101", "reraise", line=line)
    handler = out.split("async def reset_upload_dir():")[1]
    assert "raise HTTPException(" in handler and ") from e" in handler
    assert "status_code=status.HTTP_500_INTERNAL_SERVER_ERROR" in handler
    assert 'detail=ERROR_MESSAGES.DEFAULT(e, "reset upload dir failed")' in handler
    assert "\n        raise\n" not in handler
    assert "HTTPException" in title
    assert max(len(x) for x in handler.splitlines()) <= 88


def test_a_route_with_no_idiom_answers_500_with_a_detail(tmp_path):
    text = '''import os

from fastapi import APIRouter

router = APIRouter()


@router.post("/dirs/reset")
async def reset_dirs():
    try:
        for name in os.listdir("/data/uploads"):
            os.unlink(os.path.join("/data/uploads", name))
    except Exception:
        pass
    return True
'''
    out, _ = fixed(tmp_path / "m.py", text, "SAD101", "reraise")
    assert 'raise HTTPException(status_code=500, detail="reset dirs failed") from exc' in out
    assert "from fastapi import APIRouter, HTTPException" in out


# ---- (6) the project's line length


def test_line_limit_follows_the_projects_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    package = tmp_path / "pkg"
    package.mkdir()
    assert nodes.line_limit(SourceFile(str(package / "m.py"), "x = 1\n")) == 100
    flake = tmp_path / "other"
    (flake / "src").mkdir(parents=True)
    (flake / "setup.cfg").write_text("[flake8]\nmax-line-length = 79\n")
    assert nodes.configured_line_length(str(flake / "src")) == 79


@pytest.mark.parametrize(("longest", "limit"), [(40, 88), (88, 88), (110, 110), (200, 120)])
def test_line_limit_without_configuration_is_the_files_own_style_or_88(tmp_path, longest, limit):
    text = "x = 1\n" + "y = '" + "a" * (longest - 6) + "'\n"
    assert nodes.line_limit(SourceFile(str(tmp_path / "m.py"), text)) == limit


def test_a_polling_log_fix_is_wrapped_to_the_configured_length(tmp_path):
    (tmp_path / "setup.cfg").write_text("[flake8]\nmax-line-length = 79\n")
    out, _ = fixed(tmp_path / "m.py", POLL, "SAD104", "log_structured")
    assert max(len(x) for x in out.splitlines()) <= 79


# ---- (7) a best-effort step the rule advises to log and carry on gets that fix, not a re-raise


BACKGROUND = '''import asyncio
import logging

log = logging.getLogger(__name__)


async def refresh_title(chat_id, store):
    try:
        title = await store.generate_title(chat_id)
        await store.save_title(chat_id, title)
    except Exception as e:
        log.warning(f"title generation failed: {e}")


def schedule_title(chat_id, store):
    return asyncio.create_task(refresh_title(chat_id, store))
'''


def test_a_background_step_is_fixed_by_logging_the_traceback_and_carrying_on(tmp_path):
    path = tmp_path / "titles.py"
    source = SourceFile(str(path), BACKGROUND)
    finding = next(f for f in lint(source, Settings()).findings if f.code == "SAD101")
    assert "background step" in finding.message
    after, title = fixed(path, BACKGROUND, "SAD101", "reraise")
    assert "carry on" in title
    ast.parse(after)
    handler = after.split("except Exception as e:", 1)[1].split("def schedule_title", 1)[0]
    assert "raise" not in handler
    assert "exc_info" in handler or "log.exception" in handler
    assert not [f for f in lint(SourceFile(str(path), after), Settings()).findings if f.code == "SAD101"]
