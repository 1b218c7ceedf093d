"""engine.long_operations: which calls get SAD202's generous bound, judged by words, never substrings."""

import ast

import pytest

from sadpath.engine.long_operations import client_transfers, takes_long, words


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
        ('requests.post(self.api_url, headers=headers, json=payload)', "lazy_load", "ExternalWebLoader"),  # a batch fetched
        ('requests.post(url, json={"url": page})', "crawl_site", ""),
        ('httpx.post(endpoint, json=body)', "scrape", ""),
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
        ('requests.get(url, params=params)', "search_mojeek", ""),  # a search, next to the loaders
        ('requests.get(url)', "load_config", ""),  # "load" is not a loader
    ],
)
def test_short_operations(text, function, owner):
    assert not takes_long(_call(text), function, owner)


def _constructor_and_scope(text: str) -> tuple[ast.Call, ast.Module]:
    tree = ast.parse(text)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "FTP"]
    return calls[0], tree


@pytest.mark.parametrize(
    "text",
    [
        # the client is yielded by one method and transfers in another: its one timeout covers the STOR
        "class Repo:\n"
        "    def client(self):\n"
        "        ftp = FTP()\n"
        "        yield ftp\n"
        "    def upload(self, f):\n"
        "        with self.client() as ftp:\n"
        "            ftp.storbinary('STOR x', f)\n",
        "with FTP() as ftp:\n    ftp.retrbinary('RETR x', out.write)\n",
        "class Mirror:\n    def __init__(self):\n        self.conn = FTP()\n    def pull(self):\n        self.conn.retrlines('LIST', print)\n",
    ],
)
def test_client_built_for_transfers_gets_the_generous_bound(text):
    call, scope = _constructor_and_scope(text)
    assert client_transfers(call, scope)


@pytest.mark.parametrize(
    "text",
    [
        "ftp = FTP()\nftp.nlst()\nother.storbinary('STOR x', f)\n",  # another client transfers, this one only lists
        "FTP().quit()\n",  # not bound to a name
        "ftp = FTP()\nftp.cwd('/')\n",
    ],
)
def test_client_without_transfers_keeps_the_short_bound(text):
    call, scope = _constructor_and_scope(text)
    assert not client_transfers(call, scope)
