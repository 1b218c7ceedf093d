"""Services review round 17's classes: a security control that fails open is SAD101's (fail closed, no exemption
makes it a designed fallback); a run marker popped in the handler is tidying up; the reads and decodes of one
local input are one step for SAD104; a ``None`` sentinel whose every caller dereferences it at once is described
as the crash it causes; and a module two namespace folders deep inside a package is still the package's."""

from pathlib import Path

from sadpath.engine.project_files import import_root
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

from test_fix_review31 import checked

FIXTURES = Path(__file__).parent / "fixtures"


def _findings(path: Path, text: str | None = None, code: str | None = None):
    text = path.read_text() if text is None else text
    found = lint(SourceFile(str(path), text), Settings()).findings
    return [f for f in found if code is None or f.code == code]


def test_a_permission_filter_that_fails_open_is_a_swallow_whose_advice_is_to_fail_closed():
    path = FIXTURES / "SAD101_silent-except" / "fail_open_controls.py"
    found = {f.span.line: f for f in _findings(path)}
    middleware = found[23]
    assert middleware.code == "SAD101"  # the comment beside the fallback does not make it designed
    assert "hands the caller `response` unchecked: the control fails open" in middleware.message
    assert "Fail closed: re-raise" in middleware.message
    assert not any(f.code == "SAD104" and 23 <= f.span.line <= 26 for f in found.values())  # one finding per handler
    assert {o.kind for o in middleware.fixes} == {"reraise", "translate"}


def test_the_fail_closed_fix_re_raises_and_parses():
    path = FIXTURES / "SAD101_silent-except" / "fail_open_controls.py"
    out, _ = checked(path, path.read_text(), "SAD101", "reraise", line=23)
    handler = out[out.index("except Exception as e:") : out.index("def _filter_response")]
    assert "raise" in handler and "return response" not in handler.split("raise")[-1]
    assert 23 not in {f.span.line for f in _findings(path, out, "SAD101")}


def test_a_formatting_fallback_and_a_denial_stay_quiet():
    path = FIXTURES / "SAD101_silent-except" / "fail_open_controls.py"
    lines = {f.span.line for f in _findings(path)}
    assert not lines & {43, 51, 60}  # render_record, authorize_request, sanitize_html


def test_a_popped_run_marker_is_not_handling():
    path = FIXTURES / "SAD101_silent-except" / "fail_open_controls.py"
    server = [f for f in _findings(path, code="SAD101") if f.span.line == 71]
    assert server and "only logs it with `logger.error` and no traceback" in server[0].message


def test_one_local_input_read_and_decoded_is_one_step():
    path = FIXTURES / "SAD104_lost-traceback-log" / "local_input.py"
    lines = {f.span.line for f in _findings(path, code="SAD104")}
    assert 32 not in lines  # the secret file: each error names the path or says what is wrong with the text
    assert {44, 54} <= lines  # two files; a read handed to the project's own code


CRASHING = '''import logging

log = logging.getLogger(__name__)


def create_image(client, prompt):
    try:
        images = client.generate(prompt)
    except Exception:
        log.exception("handshake failed")
        return None
    return images


def route(client, prompt):
    res = create_image(client, prompt)
    log.debug("res: %s", res)
    return [image["url"] for image in res["data"]]
'''


def test_a_sentinel_every_caller_dereferences_is_described_as_the_crash_it_causes(tmp_path):
    path = tmp_path / "images.py"
    path.write_text(CRASHING)
    found = [f for f in _findings(path, code="SAD101") if f.span.line == 9]
    assert found and "fail on it at once (`res['data']`)" in found[0].message
    assert "what reaches the user is a `TypeError` about `None` instead of the real cause" in found[0].message


def test_a_caller_that_hands_the_sentinel_on_keeps_the_misleading_result_story(tmp_path):
    path = tmp_path / "images.py"
    path.write_text(CRASHING.replace("    log.debug(\"res: %s\", res)", "    client.store(res)"))
    found = [f for f in _findings(path, code="SAD101") if f.span.line == 9]
    assert found and "cannot tell the failure from a real result" in found[0].message


def test_a_module_two_namespace_folders_deep_belongs_to_the_package(tmp_path):
    (tmp_path / "app" / "utils" / "images").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    module = tmp_path / "app" / "utils" / "images" / "comfy.py"
    module.write_text("")
    assert import_root(module) == tmp_path.resolve()


NAMED = '''import logging

from fastapi import APIRouter

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/{id}/file/remove")
async def remove_file(id: str, file_id: str, db, vectors):
    await db.remove_file(id, file_id)
    try:
        await vectors.reindex(collection_name=id, without=file_id)
    except Exception as e:
        log.debug("This was most likely caused by a file that was never embedded")
        log.debug(e)
    return {"status": "removed"}
'''


def test_carry_on_advice_splits_the_case_the_handler_says_it_expects(tmp_path):
    path = tmp_path / "chunks.py"
    path.write_text(NAMED)
    found = [f for f in _findings(path, code="SAD101") if f.span.line == 14]
    assert found and "carry on" in found[0].message
    assert 'names the case it expects ("This was most likely caused by a file that was never embedded")' in found[0].message


def test_a_handler_that_names_no_case_gets_no_split(tmp_path):
    path = tmp_path / "chunks.py"
    path.write_text(NAMED.replace("This was most likely caused by a file that was never embedded", "could not delete the chunks"))
    found = [f for f in _findings(path, code="SAD101") if f.span.line == 14]
    assert found and "names the case it expects" not in found[0].message


BASE_RAISES = '''import logging

log = logging.getLogger(__name__)


async def call_tool(session, spec, name, params):
    try:
        schema = spec.resolve(name)
        if schema is None:
            raise Exception(f"tool {name} is not in the spec")
        response = await session.post(spec.url(name), json=params)
        if response.status >= 400:
            raise Exception(f"tool {name} answered {response.status}")
        return await response.json()
    except Exception as err:
        log.warning(f"API Request Error: {err}")
        return {"error": str(err)}
'''


def test_own_raises_of_the_base_exception_are_told_to_get_a_class_of_their_own(tmp_path):
    path = tmp_path / "tools.py"
    path.write_text(BASE_RAISES)
    found = [f for f in _findings(path, code="SAD104") if f.span.line == 16]
    assert found, [f.message for f in _findings(path)]
    message = found[0].message
    assert "raises the base `Exception` itself (lines 10, 13)" in message
    assert "raise an exception class of its own there" in message
    assert not found[0].fixes  # the split is the project's to write


def test_own_raises_of_a_named_class_keep_the_branch_advice(tmp_path):
    path = tmp_path / "tools.py"
    path.write_text(BASE_RAISES.replace("raise Exception(", "raise ToolRefused(").replace("import logging\n", "import logging\n\nfrom tools_app import ToolRefused\n"))
    found = [f for f in _findings(path, code="SAD104") if f.span.line == 18]
    assert found and "raises `ToolRefused` itself (lines 12, 15), an outcome it expects" in found[0].message


RETRIED = '''import time

import requests


def search(url, headers, params):
    response = requests.get(url, headers=headers, params=params)
    if response.status_code == 429:
        time.sleep(1)
        response = requests.get(url, headers=headers, params=params)
    response.raise_for_status()
    return response.json()
'''


def test_a_request_repeated_as_its_retry_is_one_finding_whose_fix_bounds_both(tmp_path):
    path = tmp_path / "search.py"
    path.write_text(RETRIED)
    found = _findings(path, code="SAD202")
    assert [f.span.line for f in found] == [7]
    assert "repeated at line 10" in found[0].message
    out, title = checked(path, RETRIED, "SAD202", "add_timeout", line=7)
    assert out.count("timeout=") == 2 and "to both calls" in title
    assert not _findings(path, out, "SAD202")


def test_two_different_requests_are_two_findings(tmp_path):
    path = tmp_path / "search.py"
    path.write_text(RETRIED.replace("        response = requests.get(url, headers=headers, params=params)", "        response = requests.get(url, headers=headers)"))
    assert [f.span.line for f in _findings(path, code="SAD202")] == [7, 10]


HANDED = '''from fastapi import Depends

from app.models import Channels, get_db


async def index_file(file_id: str, user_id: str, db=Depends(get_db)):
    channel = await Channels.get_channel_by_file_id_and_user_id(file_id, user_id, db=db)
    await db.commit()
    return {"id": channel.id}
'''


def test_a_lookup_named_by_its_keys_is_a_read_not_a_write_before_the_commit(tmp_path):
    path = tmp_path / "index.py"
    path.write_text(HANDED)
    assert not _findings(path, code="SAD206")  # "and" names a second key of the lookup, not a second action


def test_a_helper_named_for_a_write_still_counts(tmp_path):
    path = tmp_path / "index.py"
    path.write_text(HANDED.replace("get_channel_by_file_id_and_user_id", "update_channel_by_file_id"))
    assert [f.span.line for f in _findings(path, code="SAD206")] == [8]


CACHE = 'import redis\n\nclient = redis.Redis(host="cache")\nother = redis.from_url("redis://cache:6379/0")\n'


def _cache_project(tmp_path: Path, requirement: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "svc"\ndependencies = ["{requirement}"]\n')
    (tmp_path / "app").mkdir()
    path = tmp_path / "app" / "cache.py"
    path.write_text(CACHE)
    return path


def test_a_redis_client_is_bounded_when_the_project_allows_only_redis_8_and_later(tmp_path):
    assert not _findings(_cache_project(tmp_path, "redis>=8.0.0"), code="SAD202")


def test_a_redis_client_older_releases_can_reach_says_where_the_claim_holds(tmp_path):
    found = _findings(_cache_project(tmp_path, "redis>=5"), code="SAD202")
    assert [f.span.line for f in found] == [3, 4]
    assert all("(on redis before 8.0; from 8.0 its default is finite)" in f.message for f in found)


def test_the_declared_floor_reads_pyproject_requirements_and_poetry(tmp_path):
    from sadpath.declared_dependencies import declared_floor

    module = _cache_project(tmp_path, "redis[hiredis]>=8.1,<9")
    assert declared_floor(module, "redis") == 8
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.11"\nredis = "^7.2"\n')
    assert declared_floor(module, "redis") == 7
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\ndependencies = ["redis"]\n')
    assert declared_floor(module, "redis") is None


def test_a_malformed_finite_from_is_a_knowledge_error():
    import pytest

    from sadpath.knowledge.interfaces import KnowledgeError, parse_interface

    with pytest.raises(KnowledgeError, match="finite_from"):
        parse_interface("cachex", {"kind": "cache", "clients": ["cachex.Client"], "timeout": {"param": "timeout", "on": "client", "finite_from": "cachex"}}, "test")


DECORATED = '''import functools
import logging

import socketio

log = logging.getLogger(__name__)
sio = socketio.AsyncServer(async_mode="asgi")


def with_lock(handler):
    @functools.wraps(handler)
    async def wrapped(sid, data):
        try:
            async with LOCKS.lock(data["document_id"]):
                return await handler(sid, data)
        except Exception:
            log.exception("Error in %s", handler.__name__)

    return wrapped


@sio.on("document:leave")
@with_lock
async def document_leave(sid, data):
    try:
        users = await MANAGER.remove_user(data["document_id"], sid)
        await MANAGER.clear(data["document_id"], users)
        await EMITTER.emit("left", {"sid": sid})
    except Exception as e:
        log.error(f"Error in leave: {e}")
'''


def test_under_a_decorator_that_logs_the_traceback_the_advice_is_to_drop_the_inner_catch(tmp_path):
    path = tmp_path / "socket_handlers.py"
    path.write_text(DECORATED)
    found = [f for f in _findings(path, code="SAD104") if f.span.line == 30]
    assert found, [f.message for f in _findings(path)]
    assert "`@with_lock` already logs what escapes the function, traceback included: drop this catch" in found[0].message
    assert not found[0].fixes  # a second traceback beside the decorator's is not the fix


def test_a_decorator_that_does_not_log_keeps_the_traceback_advice(tmp_path):
    path = tmp_path / "socket_handlers.py"
    path.write_text(DECORATED.replace('log.exception("Error in %s", handler.__name__)', "return None"))
    found = [f for f in _findings(path, code="SAD104") if f.span.line == 30]
    assert found and "drop this catch" not in found[0].message and found[0].fixes
