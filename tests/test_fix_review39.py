"""The classes of round 11 of bench/quality/fix-review.md (seed 25) that asked for changes: each fix, applied
alone, parses, removes its finding, changes nothing on a second run, adds no pyflakes warning, and writes what its
finding's message asks; each class has a look-alike that keeps the old behaviour.

- #13, #22: the fix writes what the message says: for a coroutine that handles its own failures the message asks
  for a done-callback that discards the task and logs what its handling lets through (the catalog's "a
  done-callback that logs"), which is what the fix installs; a task is named after an id-like attribute its
  function read before it (``automation.id``), so the callback's record says which automation failed;
- #10: a client built once and then used for a file transfer gets the transfer bound (``timeout=300``)."""

from __future__ import annotations

from test_fix_review31 import checked

GUARDED = '''import asyncio
import logging

log = logging.getLogger(__name__)


async def generate_title(chat_id):
    await asyncio.sleep(0)


async def start_chat(chat_id):
    async def run_initial_title_generation():
        try:
            await generate_title(chat_id)
        except Exception:
            log.exception("Error generating initial chat title")

    asyncio.create_task(run_initial_title_generation())
    return chat_id
'''


def test_a_guarded_coroutine_gets_the_callback_its_message_describes(tmp_path):
    from sadpath.linter import lint
    from sadpath.settings import Settings
    from sadpath.source import SourceFile

    (finding,) = [f for f in lint(SourceFile(str(tmp_path / "chats.py"), GUARDED), Settings()).findings if f.code == "SAD207"]
    assert "a done-callback that discards the task and logs whatever its own handling lets through" in finding.message
    out, _ = checked(tmp_path / "chats.py", GUARDED, "SAD207", "keep_task")
    assert "task.add_done_callback(_log_task_result)\n" in out and "_background_tasks.discard(task)" in out, out


AUTOMATION = '''import asyncio
import logging

log = logging.getLogger(__name__)


async def execute_automation(app, automation):
    await app.run(automation)


async def run_automation_by_id(app, automations, id):
    automation = await automations.get_by_id(id)
    await automations.update_last_run_at(automation.id)
    asyncio.create_task(execute_automation(app, automation))
    return {"started": True}
'''


def test_a_task_that_can_fail_unseen_is_logged_under_an_id_its_function_read(tmp_path):
    out, title = checked(tmp_path / "automations.py", AUTOMATION, "SAD207", "keep_task")
    assert "name=f\"execute_automation automation_id={automation.id}\"" in out, out
    assert "task.add_done_callback(_log_task_result)\n" in out
    assert "`automation.id`" in title


def test_an_id_read_only_after_the_task_does_not_name_it(tmp_path):
    text = AUTOMATION.replace(
        "    await automations.update_last_run_at(automation.id)\n    asyncio.create_task(execute_automation(app, automation))\n",
        "    asyncio.create_task(execute_automation(app, automation))\n    await automations.update_last_run_at(automation.id)\n",
    )
    out, _ = checked(tmp_path / "automations.py", text, "SAD207", "keep_task")
    assert "name=" not in out and "task.add_done_callback(_log_task_result)\n" in out


MIRROR = '''import ftplib


class ArtifactMirror:
    def client(self, host):
        ftp = ftplib.FTP()
        ftp.connect(host, 21)
        return ftp

    def upload(self, host, name, body):
        ftp = self.client(host)
        ftp.storbinary("STOR " + name, body)
'''


def test_a_client_used_for_a_transfer_gets_the_transfer_bound(tmp_path):
    out, _ = checked(tmp_path / "mirror.py", MIRROR, "SAD202", "add_timeout")
    assert "ftp = ftplib.FTP(timeout=300)\n" in out


def test_a_client_that_only_lists_keeps_the_short_bound(tmp_path):
    out, _ = checked(tmp_path / "mirror.py", MIRROR.replace('ftp.storbinary("STOR " + name, body)', "ftp.nlst()"), "SAD202", "add_timeout")
    assert "ftp = ftplib.FTP(timeout=10)\n" in out
