"""A swallow whose harm is what callers get, in a method that nothing in the project names while the rest of its
class is used, has no one to harm: SAD101 stays quiet there. Its used sibling with the same swallow is reported,
and so is the dead-looking method once any other module names it."""

from pathlib import Path

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

MODELS = '''import logging

log = logging.getLogger(__name__)


class FeedbackTable:
    def get_feedback_by_id(self, db, feedback_id):
        try:
            return db.query_one("SELECT * FROM feedback WHERE id = %s", feedback_id)
        except Exception as e:
            log.error(f"get_feedback_by_id: {e}")
            return None

    def get_feedbacks_by_chat_id(self, db, chat_id):
        try:
            return db.query_all("SELECT * FROM feedback WHERE chat_id = %s", chat_id)
        except Exception as e:
            log.error(f"feedbacks of chat {chat_id}: {e}")
            return None


Feedbacks = FeedbackTable()
'''

ROUTES = '''from app.models import Feedbacks


def show_feedback(db, feedback_id):
    feedback = Feedbacks.get_feedback_by_id(db, feedback_id)
    return {"rating": feedback.rating}
'''


def _findings(tmp_path: Path, routes: str = ROUTES) -> dict[int, str]:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "routes.py").write_text(routes)
    path = package / "models.py"
    path.write_text(MODELS)
    found = lint(SourceFile(str(path), MODELS), Settings()).findings
    return {f.span.line: f.message for f in found if f.code == "SAD101"}


def test_the_used_method_is_reported_and_the_uncalled_twin_is_quiet(tmp_path):
    found = _findings(tmp_path)
    assert 10 in found and "callers of" in found[10]  # get_feedback_by_id: a route dereferences its None
    assert 17 not in found  # get_feedbacks_by_chat_id: nothing in the project names it


def test_a_method_another_module_names_is_reported(tmp_path):
    routes = ROUTES + "\n\ndef list_feedback(db, chat_id):\n    return Feedbacks.get_feedbacks_by_chat_id(db, chat_id)\n"
    found = _findings(tmp_path, routes)
    assert 10 in found and 17 in found
