"""engine.long_operations: which calls get SAD202's generous bound, judged by words, never substrings."""

import ast

import pytest

from sadpath.engine.long_operations import takes_long, words


def _call(text: str) -> ast.Call:
    node = ast.parse(text).body[0].value
    assert isinstance(node, ast.Call)
    return node


def test_words_split_names_paths_and_camel_case():
    assert words("uploadFile") == ["upload", "file"]
    assert words("process_pdf") == ["process", "pdf"]
    assert words("/v1/ocr/jobs") == ["v1", "ocr", "jobs"]


@pytest.mark.parametrize(
    ("text", "function", "owner"),
    [
        ('requests.put(url + "/tika/text", data=data)', "load", "TikaLoader"),
        ('subprocess.run(["git", "clone", url], check=True)', "main", ""),
        ('subprocess.check_call(["docker", "push", ref])', "release", ""),
        ('session.post(url, files=files)', "send", ""),
        ('requests.get(url)', "download_archive", ""),
    ],
)
def test_long_operations(text, function, owner):
    assert takes_long(_call(text), function, owner)


@pytest.mark.parametrize(
    ("text", "function", "owner"),
    [
        ('subprocess.run(["git", "fetch", remote], check=True)', "git_fetch", ""),  # "subprocess" is not "process"
        ('requests.get(url + "/status/" + job)', "wait", "TikaLoader"),  # a poll in a processing class
        ('requests.get(url)', "check_upload", ""),  # a status check of an upload
        ('requests.post(url, json=payload)', "notify", ""),
        ('requests.put(url, data={"a": 1})', "update", ""),  # a literal body, not a file's
    ],
)
def test_short_operations(text, function, owner):
    assert not takes_long(_call(text), function, owner)
