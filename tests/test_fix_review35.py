"""The classes of round 9 of bench/quality/fix-review.md that asked for changes: each fix, applied alone, parses,
removes its finding, changes nothing on a second run, adds no pyflakes warning, and does what the class asks; each
class has a look-alike that keeps the old behaviour.

- SAD104's log (#6) in a loop over items names the item that failed: the id-like attribute of the loop's item that
  the ``try`` hands to a call (``backend.entrypoint``), also when a ``print(e)`` becomes the log call;
- SAD104's log (#23) says which of the configured connections failed: an address in scope (``url``) is an id of
  the record, after every other id, and never a connection string (``db_uri``, ``broker_url``) nor a presigned URL;
- SAD202's timeout (#10) on a client built in one arm of an ``if`` goes on the same client built from a configured
  URL in the other arm too (``redis.Redis.from_url``), and a call followed by a pragma comment keeps its line."""

from __future__ import annotations

import re

from test_fix_review31 import checked


def _flat(text: str) -> str:
    """The text without its layout: black's one-argument-per-line calls compare equal to one line."""
    return re.sub(r"\s+|,(?=\s*\))", "", text)

EXTENSIONS = '''import logging

logger = logging.getLogger(__name__)


def eager_import(entrypoint):
    return __import__(entrypoint)


def init_extensions(extensions):
    for extension in extensions.values():
        backend = extension.manifest.backend
        if backend and backend.entrypoint:
            try:
                eager_import(backend.entrypoint)
            except Exception as ex:
                print(ex)
'''


def test_a_print_in_a_loop_names_the_item_that_failed(tmp_path):
    out, _ = checked(tmp_path / "init.py", EXTENSIONS, "SAD104", "log_structured")
    assert _flat('logger.exception("init_extensions failed (entrypoint=%s)", backend.entrypoint)') in _flat(out)


def test_an_attribute_of_something_else_than_the_loop_item_stays_out(tmp_path):
    text = EXTENSIONS.replace("(extensions):", "(extensions, settings):").replace(
        "eager_import(backend.entrypoint)", "eager_import(settings.entrypoint)"
    )
    out, _ = checked(tmp_path / "init.py", text, "SAD104", "log_structured")
    assert 'logger.exception("init_extensions failed")' in out


def test_an_attribute_that_names_no_id_stays_out_of_the_message(tmp_path):
    text = EXTENSIONS.replace("eager_import(backend.entrypoint)", "eager_import(backend.files)")
    out, _ = checked(tmp_path / "init.py", text, "SAD104", "log_structured")
    assert 'logger.exception("init_extensions failed")' in out


MODELS = '''import logging

import aiohttp
from fastapi import APIRouter
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)
router = APIRouter()
TIMEOUT = aiohttp.ClientTimeout(total=10)


@router.get("/models")
async def list_models(url: str, key: str):
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, trust_env=True) as session:
            async with session.get(url, headers={"Authorization": f"Bearer {key}"}) as response:
                response.raise_for_status()
                return await response.json()
    except Exception as e:
        log.error(e)
        return JSONResponse(status_code=502, content={"detail": "the model server did not answer"})
'''


def test_the_record_says_which_connection_failed(tmp_path):
    out, _ = checked(tmp_path / "models.py", MODELS, "SAD104", "log_structured")
    assert 'log.exception("list_models failed (url=%s)", url)' in out
    assert "key" not in out.split("except Exception")[1]


def test_an_id_comes_before_the_address(tmp_path):
    text = MODELS.replace("(url: str, key: str)", "(url: str, model_id: str, key: str)")
    out, _ = checked(tmp_path / "models.py", text, "SAD104", "log_structured")
    assert 'log.exception("list_models failed (model_id=%s)", model_id)' in out


def test_a_connection_string_never_goes_into_the_record(tmp_path):
    text = MODELS.replace("url", "database_url")
    out, _ = checked(tmp_path / "models.py", text, "SAD104", "log_structured")
    assert 'log.exception("list_models failed")' in out


BLOCK = '''import redis


class RedisStorage:
    def read_path(self, path):
        if self.connection_string:
            client = redis.Redis.from_url(self.connection_string)
        else:
            client = redis.Redis(host=self.host, port=self.port)
        try:
            return client.get(str(path))
        finally:
            client.close()
'''


def test_the_timeout_goes_on_the_url_built_client_of_the_other_arm(tmp_path):
    out, title = checked(tmp_path / "block.py", BLOCK, "SAD202", "add_timeout")
    assert "redis.Redis.from_url(self.connection_string, socket_timeout=10)" in out
    assert "redis.Redis(host=self.host, port=self.port, socket_timeout=10)" in out
    assert "both branches" in title


def test_a_url_built_client_that_sets_its_timeout_is_left_alone(tmp_path):
    text = BLOCK.replace("from_url(self.connection_string)", "from_url(self.connection_string, socket_timeout=5)")
    out, title = checked(tmp_path / "block.py", text, "SAD202", "add_timeout")
    assert "from_url(self.connection_string, socket_timeout=5)" in out
    assert "both branches" not in title


def test_a_call_followed_by_a_pragma_keeps_its_line(tmp_path):
    text = BLOCK.replace(
        "            client = redis.Redis(host=self.host, port=self.port)\n",
        "            client = redis.Redis(host=self.host, port=self.port, db=self.database_number)  # type: ignore[arg-type]\n",
    )
    out, _ = checked(tmp_path / "block.py", text, "SAD202", "add_timeout")
    assert "db=self.database_number, socket_timeout=10)  # type: ignore[arg-type]\n" in out
