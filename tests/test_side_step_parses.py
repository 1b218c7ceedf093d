"""A step every caller runs after its main write, whose ``try`` also parses text: SAD101 advises splitting the
parse out (a quiet fallback) only when the parse can fail on malformed text. A project parser that catches its own
parse errors and answers a fallback cannot, so the advice is only to log with the traceback and carry on."""

from pathlib import Path

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

TASKS = '''import json


def parse_follow_ups(content):
    try:
        data = json.loads(content)
    except (ValueError, TypeError):
        return []
    return data.get("follow_ups", [])


def parse_strict(content):
    return json.loads(content)["follow_ups"]
'''

MIDDLEWARE = '''from app.models import Chats
from app.tasks import {parser}


def store_follow_ups(chat_id, reply):
    try:
        follow_ups = {parser}(reply)
        Chats.update_message(chat_id, follow_ups)
    except Exception:
        pass
'''

ROUTES = '''from app.middleware import store_follow_ups
from app.models import Chats


def answer(chat_id, reply):
    Chats.insert_message(chat_id, reply)
    store_follow_ups(chat_id, reply)
'''


def _message(tmp_path: Path, parser: str) -> str:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("Chats = None\n")
    (package / "tasks.py").write_text(TASKS)
    (package / "routes.py").write_text(ROUTES)
    path = package / "middleware.py"
    text = MIDDLEWARE.replace("{parser}", parser)
    path.write_text(text)
    (finding,) = [f for f in lint(SourceFile(str(path), text), Settings()).findings if f.code == "SAD101"]
    assert finding.span.line == 9
    return finding.message


def test_a_parser_that_falls_back_on_its_own_is_not_split_out(tmp_path):
    message = _message(tmp_path, "parse_follow_ups")
    assert "after its main write (`insert_message()`)" in message
    assert "parses text" not in message and "quiet fallback" not in message
    assert "`logger.exception`" in message and "carry on" in message


def test_a_parser_that_raises_on_malformed_text_is_split_out(tmp_path):
    message = _message(tmp_path, "parse_strict")
    assert "The `try` also parses text the code holds (`parse_strict()`)" in message
    assert "quiet fallback" in message
