"""SAD101's advice follows the place: a ``try`` that only removes files is a best-effort cleanup (log with the
traceback and carry on), also at a module's import, where a re-raise would stop the start-up; a ``try`` that
does other work beside a removal keeps the re-raise advice."""

from __future__ import annotations

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

CLEANUP = '''from pathlib import Path

STATIC_DIR = Path("static")

try:
    if STATIC_DIR.exists():
        for item in STATIC_DIR.iterdir():
            if item.is_file() or item.is_symlink():
                item.unlink()
except Exception:
    pass
'''

WORK = '''import shutil
from pathlib import Path

STATIC_DIR = Path("static")

try:
    shutil.copytree("assets", STATIC_DIR / "new")
    for item in STATIC_DIR.iterdir():
        item.unlink()
except Exception:
    pass
'''


def _messages(tmp_path, text):
    path = tmp_path / "config.py"
    return [f.message for f in lint(SourceFile(str(path), text), Settings()).findings if f.code == "SAD101"]


def test_a_try_that_only_removes_files_is_a_best_effort_cleanup(tmp_path):
    (message,) = _messages(tmp_path, CLEANUP)
    assert "best-effort cleanup of files" in message and "carry on" in message
    assert "re-raising would stop the module's import" in message
    assert "Re-raise or translate it" not in message


def test_a_try_that_also_copies_keeps_the_re_raise_advice(tmp_path):
    (message,) = _messages(tmp_path, WORK)
    assert "best-effort cleanup" not in message
    assert "Re-raise or translate it" in message


REBUILT = '''import logging

from sqlalchemy import select

from app.access import AccessGrants
from app.db import get_db
from app.models import Skill

log = logging.getLogger(__name__)


def search_skills(user_id):
    try:
        with get_db() as db:
            stmt = select(Skill)
            stmt = AccessGrants.has_permission_filter(db=db, query=stmt, user_id=user_id)
            return db.execute(stmt).all()
    except Exception:
        return []
'''


def test_a_helper_that_rebuilds_the_statement_is_not_named_as_the_failing_call(tmp_path):
    (message,) = _messages(tmp_path, REBUILT)
    assert "the failure of `db.execute()`" in message
    assert "has_permission_filter" not in message


DOCUMENTED = '''import logging

import boto3

log = logging.getLogger(__name__)
s3 = boto3.client("s3")


class Archive:
    def __init__(self, items):
        self.items = items


def load_archive(bucket, key, path):
    """Load the archive. If the archived payload is missing, returns an empty ``Archive``."""
    try:
        s3.download_file(bucket, key, path)
    except Exception:
        log.warning("archived payload is missing for %s", key)
        return Archive(items=[])
    return Archive(items=open(path).read().split())
'''


def test_a_fallback_the_docstring_names_for_one_outcome_is_told_to_narrow_the_catch(tmp_path):
    (message,) = _messages(tmp_path, DOCUMENTED)
    assert "the archived payload is missing" in message
    assert "narrow the catch to it" in message and "re-raise the rest" in message
    assert "Re-raise or translate it" not in message


PICKER = '''import logging

from app.sessions import get_session

log = logging.getLogger(__name__)


async def {name}(engine):
    voices = []
    if engine == "openai":
        voices = [{{"id": "alloy"}}]
    elif engine == "eleven":
        try:
            session = await get_session()
            async with session.get("https://eleven.example/v1/voices") as resp:
                resp.raise_for_status()
                voices = [{{"id": v["voice_id"]}} for v in await resp.json()]
        except Exception as e:
            log.error(f"Error fetching voices: {{e}}")
    return voices
'''


def test_the_options_of_a_picker_with_a_logged_error_stay_quiet(tmp_path):
    assert _messages(tmp_path, PICKER.format(name="get_available_voices")) == []


def test_a_function_that_is_no_picker_keeps_the_finding(tmp_path):
    (message,) = _messages(tmp_path, PICKER.format(name="fetch_voices"))
    assert "swallows the failure of `session.get()`" in message


COMMITTED = '''import logging

from fastapi import APIRouter

from app.store import Collections
from app.vector import VECTOR_CLIENT

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/{{id}}/file/add")
async def add_file(id: str, file_id: str, chunks: list[str]):
{write}
    try:
        await VECTOR_CLIENT.upsert(collection_name=id, items=chunks)
    except Exception as e:
        log.debug(e)
    return {{"id": id}}
'''


def test_a_step_after_a_committed_write_is_not_told_to_re_raise(tmp_path):
    (message,) = _messages(tmp_path, COMMITTED.format(write="    await Collections.add_file(collection_id=id, file_id=file_id)"))
    assert "Collections.add_file()" in message and "already committed" in message
    assert "cannot simply retry" in message and "warning level or above with the traceback" in message and "exc_info=True" in message
    assert "never retries it" not in message


def test_a_step_with_no_earlier_write_keeps_the_retry_story(tmp_path):
    (message,) = _messages(tmp_path, COMMITTED.format(write="    seen = set()\n    seen.add(file_id)"))
    assert "never retries it" in message and "Re-raise or translate it" in message


STDOUT = '''import subprocess


def create_account(name):
    try:
        subprocess.run(["gcloud", "iam", "service-accounts", "create", name], check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        if "already exists" not in e.output.decode("utf-8"):
            return
        raise RuntimeError("Error creating the service account.") from e
'''


def test_a_test_of_the_commands_standard_output_says_the_errors_are_on_stderr(tmp_path):
    (message,) = _messages(tmp_path, STDOUT)
    assert "standard error (`e.stderr`)" in message and "the test is inverted" in message
    assert 'if "already exists" in e.stderr' in message


def test_a_test_of_stderr_for_the_expected_case_stays_quiet(tmp_path):
    text = STDOUT.replace('not in e.output', 'in e.stderr').replace("            return\n", "            return\n", 1)
    assert _messages(tmp_path, text) == []


def test_a_view_that_falls_off_its_end_gets_advice_and_no_fix_that_contradicts_it():
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "SAD101_silent-except" / "caller_uses.py"
    (finding,) = [
        f for f in lint(SourceFile(str(path), path.read_text(encoding="utf-8")), Settings()).findings
        if f.code == "SAD101" and "falls off its end" in f.message
    ]
    assert "messages.error(...)" in finding.message
    assert not finding.fixes  # a bare re-raise (a 500) is not the handling the message describes


RUNNER = '''class JobRunner:
    def __init__(self, docker):
        self.docker = docker

    def _remove_container(self, container_id):
        try:
            container = self.docker.containers.get(container_id)
        except Exception:
            return
        container.remove(force=True)

    def run(self, container_id):
        try:
            return self.docker.wait(container_id)
        finally:
            self._remove_container(container_id)

    def submit(self, container_id):
        try:
            self.docker.start(container_id)
        except Exception:
            self._remove_container(container_id)
            raise
'''


def test_a_cleanup_helper_only_teardown_paths_call_gets_the_best_effort_advice(tmp_path):
    (message,) = _messages(tmp_path, RUNNER)
    assert "which only teardown paths call" in message and "It is best-effort cleanup" in message
    assert "Re-raise" not in message


def test_a_cleanup_helper_also_called_as_the_work_keeps_the_re_raise_advice(tmp_path):
    text = RUNNER + "\n    def replace(self, container_id):\n        self._remove_container(container_id)\n        return {'replaced': container_id}\n"
    (message,) = _messages(tmp_path, text)
    assert "teardown paths" not in message and "best-effort" not in message


def test_the_cleanup_helpers_fix_logs_with_the_traceback_and_carries_on(tmp_path):
    from sadpath.fixes import apply_edits, build_fix

    source = SourceFile(str(tmp_path / "runner.py"), RUNNER)
    (finding,) = [f for f in lint(source, Settings()).findings if f.code == "SAD101"]
    (offer,) = finding.fixes
    assert offer.title == "Log the failure with its traceback and carry on"
    out = apply_edits(RUNNER, build_fix(source, finding, offer, Settings()).edits)
    handler = out[out.index("        except Exception"):out.index("        container.remove")]
    assert "exc_info=True" in handler or ".exception(" in handler, handler
    assert "raise" not in handler and "return" in handler, handler


ROUTE = '''import logging

log = logging.getLogger(__name__)


async def remove_file_from_knowledge(store, vectors, knowledge_id, file_id):
    await store.remove_file_from_knowledge(knowledge_id, file_id)
    try:
        await vectors.reindex(collection_name=knowledge_id)
    except Exception:
        pass
    return {"removed": file_id}


async def sync_cleanup(store, knowledge_id, file_ids):
    for file_id in file_ids:
        await store.remove_file_from_knowledge(knowledge_id, file_id)
'''


def test_another_objects_method_of_the_same_name_in_a_cleanup_does_not_make_a_cleanup_helper(tmp_path):
    (message,) = _messages(tmp_path, ROUTE)
    assert "teardown paths" not in message
