"""The classes of the round-33 review of fixes (round 8 of bench/quality/fix-review.md): each fix, applied alone,
parses, removes its finding, changes nothing on a second run, adds no pyflakes warning, and does what the class asks;
each class has a look-alike that keeps the old behaviour.

- SAD202's timeout (#28) keeps to the project's line length: a call that fitted and no longer does is split one
  argument per line, black's way; a call already past the limit keeps its layout;
- SAD104's log (#24) keeps the traceback (``exc_info=True``) in a retry loop that runs a bounded number of passes;
  the DEBUG gate stays for a poll that runs until stopped (#6);
- a keyword added to a call laid out one argument per line, with ``)`` on its own line, ends with black's trailing
  comma;
- a log record a fix writes or keeps names the ids in scope (#4, #6, #9, #14, #24): the message gains
  ``(pipe_id={pipe_id})`` (or ``%s`` and the argument), a task made by ``ensure_future`` is named with
  ``set_name(...)`` after the ids its function logs;
- the status check's new error class (#8) carries no ``status`` nothing reads and promises no ``__cause__``."""

from __future__ import annotations

from test_fix_review31 import checked

LONG = '''import requests


def gateway_proxy_handler(request, target_uri, gateway_path, json_data):
    response = requests.request(request.method, f"{target_uri}/{gateway_path}", json=json_data)
    return response
'''


def test_a_timeout_that_pushes_the_line_past_the_limit_splits_the_call(tmp_path):
    out, _ = checked(tmp_path / "proxy.py", LONG, "SAD202", "add_timeout")
    assert (
        "    response = requests.request(\n"
        "        request.method,\n"
        '        f"{target_uri}/{gateway_path}",\n'
        "        json=json_data,\n"
        "        timeout=10,\n"
        "    )\n"
    ) in out
    assert max(len(line) for line in out.splitlines()) <= 88


def test_a_short_call_keeps_one_line(tmp_path):
    text = LONG.replace('request.method, f"{target_uri}/{gateway_path}", json=json_data', "target_uri")
    out, _ = checked(tmp_path / "proxy.py", text, "SAD202", "add_timeout")
    assert "    response = requests.request(target_uri, timeout=10)\n" in out


RETRIES = '''import logging
import time

import requests

_logger = logging.getLogger(__name__)


class Repo:
    def _presigned_url(self, path):
        response = requests.get(f"https://store.example/presign/{path}", timeout=10)
        response.raise_for_status()
        return response.json()["url"]

    def download(self, path, fetch, chunks, max_retries=3):
        num_retries = max_retries
        failed = chunks
        url = None
        while failed:
            if num_retries <= 0:
                raise RuntimeError("retries exhausted")
            time.sleep(2 ** (max_retries - num_retries))
            try:
                url = self._presigned_url(path)
                fetch.prepare(url)
            except Exception as e:
                _logger.warning(
                    f"Failed to refresh presigned URL: {e}. Using previous URL."
                )
            num_retries -= 1
            failed = fetch(url, failed)
'''


def test_a_bounded_retry_loop_keeps_the_traceback(tmp_path):
    out, title = checked(tmp_path / "repo.py", RETRIES, "SAD104", "log_structured")
    assert (
        "                _logger.warning(\n"
        '                    f"Failed to refresh presigned URL: {e}. Using previous URL. (path={path})",\n'
        "                    exc_info=True,\n"
        "                )\n"
    ) in out, out
    assert "isEnabledFor" not in out and "DEBUG" not in title


def test_a_poll_until_stopped_keeps_the_debug_gate(tmp_path):
    text = RETRIES.replace("        while failed:\n            if num_retries <= 0:\n                raise RuntimeError(\"retries exhausted\")\n", "        while True:\n")
    assert text != RETRIES
    out, title = checked(tmp_path / "repo.py", text, "SAD104", "log_structured")
    assert "exc_info=_logger.isEnabledFor(logging.DEBUG)" in out
    assert "only at DEBUG" in title


SERVICE = '''import asyncio
import logging

log = logging.getLogger(__name__)


class Service:
    def __init__(self, name):
        self.name = name

    async def start(self):
        await asyncio.sleep(0)

    def _proc_stopped(self, status):
        log.error("Service %s exited with status %i", self.name, status)
        asyncio.ensure_future(self.start())
'''


def test_an_ensure_future_task_is_named_after_the_ids_its_function_logs(tmp_path):
    out, title = checked(tmp_path / "service.py", SERVICE, "SAD207", "keep_task")
    assert (
        "        task = asyncio.ensure_future(self.start())\n"
        '        task.set_name(f"start name={self.name}")\n'
        "        _background_tasks.add(task)\n"
    ) in out
    assert "`self.name`" in title


def test_without_ids_in_its_logs_the_task_keeps_its_default_name(tmp_path):
    text = SERVICE.replace('log.error("Service %s exited with status %i", self.name, status)', 'log.error("exited with status %i", status)')
    out, _ = checked(tmp_path / "service.py", text, "SAD207", "keep_task")
    assert "set_name" not in out


def test_the_status_checks_new_error_class_carries_nothing_it_does_not_use(tmp_path):
    from test_fix_review31 import SERPAPI

    out, _ = checked(tmp_path / "serpapi.py", SERPAPI, "SAD203", "raise_for_status")
    assert 'class SerpapiError(Exception):\n    """Serpapi failed."""\n' in out, out
    assert "status = " not in out and "__cause__" not in out


PIPE = '''import json
import logging

import httpx

log = logging.getLogger(__name__)


async def execute_pipe(pipe_id, form_data):
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"https://pipes.example/{pipe_id}", json=form_data)
    return response.json()


def render(res):
    return json.dumps(res)


async def generate(form_data, get_pipe_id):
    pipe_id = get_pipe_id(form_data)

    async def stream_content():
        try:
            res = await execute_pipe(pipe_id, form_data)
            yield render(res)
        except Exception as e:
            log.error(f"Error: {e}")
            yield "error"

    return stream_content
'''


def test_a_log_call_gains_the_nearest_id_in_scope(tmp_path):
    out, _ = checked(tmp_path / "functions.py", PIPE, "SAD104", "log_exception")
    assert 'log.exception(f"Error: {e} (pipe_id={pipe_id})")' in out, out


FLOWS = '''import logging

logger = logging.getLogger(__name__)


def state_flows(transitions, entity):
    flows = []
    for transition_name, transition_class in transitions.items():
        try:
            transition = transition_class()
            target = transition.get_target_state(entity)
            flows.append({"name": transition_name, "target": target})
        except Exception:
            continue
    return flows
'''


def test_a_skipped_item_is_advised_and_logged_as_the_fix_writes_it(tmp_path):
    from sadpath.linter import lint
    from sadpath.settings import Settings
    from sadpath.source import SourceFile

    path = tmp_path / "flows.py"
    (finding,) = [f for f in lint(SourceFile(str(path), FLOWS), Settings()).findings if f.code == "SAD101"]
    assert "carry on with the next one" in finding.message and "Re-raise or translate" not in finding.message
    out, _ = checked(path, FLOWS, "SAD101", "reraise")
    flat = " ".join(out.split())
    assert 'logger.exception( "transition.get_target_state() failed; carrying on (transition_name=%s)", transition_name, )' in flat, out
    assert "\n            continue\n" in out
