"""The open classes of the round-4 review of fixes (bench/quality/fix-review.md): each fix, applied alone, parses,
removes its finding, changes nothing on a second run, and does what the class asks.

- a fix writes the handling its message names (SAD102: ``except asyncio.CancelledError: raise`` ahead of the handler,
  the handler kept);
- the style of the place: new string literals in the file's dominant quotes, the logger the module or class already
  logs through, the formatter's default 88 columns where a ruff or black section sets no length;
- ``extra={...}`` only where the project already passes ``extra=`` to its log calls, and never beside fields the call
  already carries."""

from __future__ import annotations

import ast

from sadpath.fixes import nodes
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile
from test_fix_layout import fixed


def findings(path, text: str, code: str) -> list[int]:
    return [f.span.line for f in lint(SourceFile(str(path), text), Settings()).findings if f.code == code]


def applied(path, text: str, code: str, kind: str, line: int | None = None) -> tuple[str, str]:
    """The fix applied alone, checked: it parses, removes one ``code`` finding, and a second run changes nothing."""
    out, title = fixed(path, text, code, kind, line=line)
    ast.parse(out)
    before, after = findings(path, text, code), findings(path, out, code)
    assert len(after) < len(before), (before, after, out)
    again = findings(path, out, code)
    assert again == after, "a second lint of the fixed text must see the same (no new) findings"
    return out, title


# ---- (1) the diff does what the message says


SERVICE = '''import abc
import logging

logger = logging.getLogger(__name__)


class Service(abc.ABC):
    async def _run(self) -> None:
        try:
            async with self._lifespan():
                await self._main_loop()
        except BaseException:
            self._remove_instance()
            logger.error(
                "Service %r failed with %s pending items.",
                type(self).__name__,
                self._queue.qsize(),
                exc_info=True,
            )
        finally:
            self._remove_instance()
'''


def test_cancellation_advice_writes_the_cancelled_error_clause_and_keeps_the_handler(tmp_path):
    path = tmp_path / "services.py"
    message = next(f.message for f in lint(SourceFile(str(path), SERVICE), Settings()).findings if f.code == "SAD102")
    assert "except asyncio.CancelledError: raise" in message
    out, title = applied(path, SERVICE, "SAD102", "narrow_except")
    assert "        except asyncio.CancelledError:\n            raise\n        except BaseException:\n" in out
    assert "except Exception" not in out
    assert "import asyncio\n" in out and "CancelledError" in title
    assert findings(path, out, "SAD102") == []
    assert fixed_twice_is_stable(path, out)


def test_cancellation_clause_uses_the_modules_own_name_for_it(tmp_path):
    text = SERVICE.replace("import abc\n", "import abc\nfrom asyncio import CancelledError\n")
    out, _ = applied(tmp_path / "services.py", text, "SAD102", "narrow_except")
    assert "        except CancelledError:\n            raise\n" in out
    assert "import asyncio\n" not in out


def fixed_twice_is_stable(path, text: str) -> bool:
    """A second run of SAD102's fixes on the fixed text finds nothing to do."""
    return not findings(path, text, "SAD102")


# ---- (2) the style of the place


SINGLE = """import logging

from .state import lookup_state

log = logging.getLogger(__name__)


def fetch_state(entity_id):
    try:
        state = lookup_state(entity_id)
    except Exception:
        log.warning('state lookup failed for %s', entity_id)
        state = {'state': None}
    return state


def other():
    return {'a': 'b', 'c': 'd'}
"""


def test_new_string_literals_follow_the_files_single_quotes(tmp_path):
    (tmp_path / "peer.py").write_text("import logging\nlog = logging.getLogger(__name__)\nlog.info('x', extra={'operation': 'sync'})\n")
    out, _ = applied(tmp_path / "m.py", SINGLE, "SAD104", "log_structured")
    new_lines = [line for line in out.splitlines() if line not in SINGLE.splitlines()]
    assert new_lines and all('"' not in line for line in new_lines), new_lines
    assert "'operation': 'fetch_state'" in out


def test_double_quoted_files_keep_double_quotes(tmp_path):
    (tmp_path / "peer.py").write_text('import logging\nlog = logging.getLogger(__name__)\nlog.info("x", extra={"operation": "sync"})\n')
    text = SINGLE.replace("'", '"')
    out, _ = applied(tmp_path / "m.py", text, "SAD104", "log_structured")
    assert '"operation": "fetch_state"' in out


def test_the_dominant_quote_counts_one_line_literals_not_docstrings():
    from sadpath.fixes.tidy import dominant_quote

    assert dominant_quote('"""Doc."""\nx = \'a\'\ny = {\'b\': "c\'s"}\n') == "'"
    assert dominant_quote('x = "a"\n') == '"'
    assert dominant_quote("x = 1\n") == '"'


HUB = '''"""Services."""

import asyncio


class Service:
    def _proc_stopped(self):
        """Called when the service process unexpectedly exits"""
        self.log.error("Service %s exited with status %i", self.name, self.proc.returncode)
        asyncio.ensure_future(self.start())

    async def start(self):
        self.log.info("starting %s", self.name)
'''


def test_a_kept_task_logs_through_the_classs_self_log_not_a_new_module_logger(tmp_path):
    lines = findings(tmp_path / "service.py", HUB, "SAD207")
    if not lines:  # the rule judges the task kept elsewhere: what matters is the logger the fix would pick
        tree = ast.parse(HUB)
        from sadpath.fixes.request import FixRequest
        from sadpath.model import Finding, FixOffer, Span, Applicability

        finding = Finding("SAD207", "m", Span(10, 8, 10, 43), "error")  # type: ignore[call-arg]
        req = FixRequest(SourceFile("service.py", HUB), tree, finding, FixOffer("keep_task", "t", Applicability.UNSAFE), Settings(), tree)
        assert nodes.logger_for(req, 10) == "self.log"
        return
    out, _ = applied(tmp_path / "service.py", HUB, "SAD207", "keep_task")
    assert "getLogger" not in out
    assert "self.log" in out.split("def start")[0].split("_proc_stopped")[1]


def test_the_module_logger_is_the_projects_imported_one(tmp_path):
    tree = ast.parse("from open_webui.env import log\nfrom math import log as ln\n")
    assert nodes.module_logger(tree) == "log"
    assert nodes.module_logger(ast.parse("from math import log\n")) is None
    assert nodes.module_logger(ast.parse("from logging import getLogger\nLOGGER = getLogger(__name__)\n")) == "LOGGER"


def test_a_ruff_or_black_section_without_a_length_means_88(tmp_path):
    long_file = "x = 1\n" + "".join(f"y{n} = '{'a' * 100}'\n" for n in range(10))
    for section in ("[tool.ruff]\nselect = ['E']\n", "[tool.black]\ntarget-version = ['py311']\n"):
        project = tmp_path / section[7:11]
        (project / "pkg").mkdir(parents=True)
        (project / "pyproject.toml").write_text(section)
        nodes.configured_line_length.cache_clear()
        assert nodes.line_limit(SourceFile(str(project / "pkg" / "m.py"), long_file)) == 88


def test_a_formatted_files_few_long_strings_do_not_raise_the_limit(tmp_path):
    text = "".join(f"x{n} = {n}\n" for n in range(200)) + "y = '" + "a" * 100 + "'\n"
    assert nodes.line_limit(SourceFile(str(tmp_path / "m.py"), text)) == 88


# ---- (3) extra= only where the project uses it, never beside the call's own fields


PLAIN = '''import logging

from .charts import analyse

logger = logging.getLogger(__name__)


def suggest(chart):
    try:
        hints = analyse(chart)
    except Exception:
        logger.warning("suggestion failed for %s", chart)
        hints = []
    return hints
'''


def test_no_extra_where_the_project_never_passes_extra(tmp_path):
    out, _ = applied(tmp_path / "m.py", PLAIN, "SAD104", "log_structured")
    assert "extra=" not in out
    assert "exc_info" in out or ".exception(" in out


def test_no_extra_key_beside_the_fields_the_call_already_carries(tmp_path):
    (tmp_path / "peer.py").write_text('import logging\nlogger = logging.getLogger(__name__)\nlogger.info("x", extra={"a": 1})\n')
    text = PLAIN.replace(
        'logger.warning("suggestion failed for %s", chart)',
        'logger.warning("suggestion failed for %s", chart, extra={"event": "suggest.error"})',
    )
    out, _ = applied(tmp_path / "m.py", text, "SAD104", "log_structured")
    assert '"operation"' not in out
    assert 'extra={"event": "suggest.error"}' in out


# ---- (5) timeouts by operation


LOADER = '''import requests


class TikaLoader:
    def __init__(self, url, file_path):
        self.url = url
        self.file_path = file_path

    def load(self):
        with open(self.file_path, "rb") as f:
            data = f.read()
        r = requests.put(self.url + "/tika/text", data=data)
        r.raise_for_status()
        return r.json()

    def poll_status(self, job):
        r = requests.get(self.url + "/status/" + job)
        r.raise_for_status()
        return r.json()
'''


def test_a_document_upload_gets_a_generous_timeout_and_a_poll_keeps_the_short_one(tmp_path):
    path = tmp_path / "loaders.py"
    lines = sorted(findings(path, LOADER, "SAD202"))
    assert len(lines) == 2
    out, title = applied(path, LOADER, "SAD202", "add_timeout", line=lines[0])
    assert 'requests.put(self.url + "/tika/text", data=data, timeout=300)' in out and "generous" in title
    out, _ = applied(path, LOADER, "SAD202", "add_timeout", line=lines[1])
    assert 'requests.get(self.url + "/status/" + job, timeout=10)' in out


def test_a_class_with_a_configured_timeout_passes_it(tmp_path):
    text = LOADER.replace("        self.file_path = file_path\n", "        self.file_path = file_path\n        self.ocr_timeout = 600\n")
    path = tmp_path / "loaders.py"
    line = sorted(findings(path, text, "SAD202"))[0]
    out, _ = applied(path, text, "SAD202", "add_timeout", line=line)
    assert "data=data, timeout=self.ocr_timeout)" in out


# ---- (6) a fail-open hot path: the traceback at DEBUG, not at warning per request


LIMITER = '''import logging

from .counters import count_requests

logger = logging.getLogger(__name__)


class RedisRateLimiter:
    def is_rate_limited(self, key, limit):
        try:
            count = count_requests(key)
        except Exception:
            logger.warning("rate limiter error for %s, allowing the request", key)
            count = 0
        return count > limit
'''


def test_a_fail_open_rate_limiter_logs_the_traceback_only_at_debug(tmp_path):
    out, title = applied(tmp_path / "middleware.py", LIMITER, "SAD104", "log_structured")
    assert "exc_info=logger.isEnabledFor(logging.DEBUG)" in out
    assert "exc_info=True" not in out and "every request" in title
