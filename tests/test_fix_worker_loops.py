"""SAD201's fixes where the catalog's place asks for a handling other than typed translation:

- a lookup that answers None (SQLAlchemy's ``session.get``) gets a None check after it, not a ``try`` around it
  (nothing raises ``NoResultFound`` there): a route answers the framework's 404;
- an external call in a worker's item loop is logged with the traceback and the loop goes on with its next item
  (``continue``): never a raise out of the loop, and never a retry that raises after its attempts; directly in the
  worker's ``while`` (where skipping the rest of the pass would skip its wait) no fix is offered.

Each fix, applied alone, parses, removes its finding, adds no pyflakes warning and changes nothing on a second run."""

from __future__ import annotations

import ast

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile
from test_fix_review31 import checked

ROUTE = '''from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Account(db.Model):
    pass


@app.get("/accounts/<int:account_id>")
def get_account(account_id):
    account = db.session.get(Account, account_id)
    return jsonify(email=account.email)
'''


def test_a_none_answering_lookup_in_a_route_gets_a_404_check_not_a_try(tmp_path):
    path = tmp_path / "accounts.py"
    (finding,) = [f for f in lint(SourceFile(str(path), ROUTE), Settings()).findings if f.code == "SAD201"]
    assert "AttributeError on a missing row" in finding.message
    out, title = checked(path, ROUTE, "SAD201", "translate_external")
    assert "    account = db.session.get(Account, account_id)\n    if account is None:\n" in out
    assert 'raise NotFound(f"Account {account_id} not found")' in out and "from werkzeug.exceptions import NotFound" in out
    assert "try:" not in out and "NoResultFound" not in out
    assert "404" in title


POLLER = '''import logging
import threading

import boto3
import requests

log = logging.getLogger("inbox")
s3 = boto3.client("s3")


def run(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            items = requests.get("https://feed.example/items", timeout=5).json()
        except requests.RequestException:
            log.warning("feed unreachable", exc_info=True)
            stop.wait(60)
            continue
        for item in items:
            s3.put_object(Bucket="items", Key=item["id"], Body=item["body"])
            log.info("filed %s", item["id"])
        stop.wait(60)
'''


def test_a_call_in_a_workers_item_loop_is_logged_and_the_loop_goes_on(tmp_path):
    path = tmp_path / "poller.py"
    (finding,) = [f for f in lint(SourceFile(str(path), POLLER), Settings()).findings if f.code == "SAD201"]
    assert "the worker loop of `run()`" in finding.message
    assert [o.kind for o in finding.fixes] == ["translate_external"]  # no retry that raises out of the loop after 3 attempts
    out, title = checked(path, POLLER, "SAD201", "translate_external")
    assert title == "Log the failure with its traceback and go on with the next item"
    expected = (
        "        for item in items:\n"
        "            try:\n"
        '                s3.put_object(Bucket="items", Key=item["id"], Body=item["body"])\n'
        "            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):\n"
        '                log.exception("S3 put_object failed; going on with the next item")\n'
        "                continue\n"
    )
    assert expected in out, out
    assert "raise" not in out and "class S3" not in out
    assert "stop.wait(60)\n" in out.split("continue\n")[-1]  # the pass still ends with its wait


def test_directly_in_the_workers_while_no_fix_is_offered(tmp_path):
    text = POLLER.replace(
        '''        for item in items:
            s3.put_object(Bucket="items", Key=item["id"], Body=item["body"])
            log.info("filed %s", item["id"])
''',
        '''        s3.put_object(Bucket="items", Key="batch", Body=repr(items).encode())
''',
    )
    path = tmp_path / "poller.py"
    source = SourceFile(str(path), text)
    (finding,) = [f for f in lint(source, Settings()).findings if f.code == "SAD201"]
    assert not finding.fixes  # skipping the rest of the pass would skip its wait: a hot loop against the failing service
    ast.parse(text)
