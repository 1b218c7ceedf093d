"""SAD202 on functions nothing in the project uses: a dead sync twin of a used async function stays quiet, a
function without callers is reported without claiming a caller it does not have, a used one as before."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sadpath.engine.analyze import analyze
from sadpath.registry import lookup
from sadpath.settings import Settings
from sadpath.source import SourceFile

EMBEDDINGS = textwrap.dedent(
    """\
    import aiohttp
    import requests


    def generate_batch_embeddings(url, texts):
        return requests.post(url, json={"input": texts}).json()


    async def agenerate_batch_embeddings(url, texts):
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json={"input": texts}) as response:
                return await response.json()


    def fetch_model_card(url):
        return requests.get(url).json()


    def fetch_status(url):
        return requests.get(url).json()
    """
)
CALLER = textwrap.dedent(
    """\
    from app.embeddings import agenerate_batch_embeddings, fetch_status


    async def embed(url, texts):
        log_line = "fetch_model_card is not used here"
        fetch_status(url)
        return await agenerate_batch_embeddings(url, texts)
    """
)


def _findings(tmp_path: Path) -> dict[int, str]:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    path = package / "embeddings.py"
    path.write_text(EMBEDDINGS)
    (package / "routes.py").write_text(CALLER)
    found = analyze(SourceFile(str(path), EMBEDDINGS), Settings(), [lookup("SAD202")]).findings
    return {f.span.line: f.message for f in found}


def test_dead_sync_twin_is_quiet_and_uncalled_function_claims_no_caller(tmp_path):
    findings = _findings(tmp_path)
    assert 6 not in findings  # generate_batch_embeddings: nothing uses it, its async twin does the work
    assert "holds whoever calls `fetch_model_card()` (nothing in the project does yet)" in findings[16]
    assert "holds the thread or worker that made the call" in findings[20]  # fetch_status has a caller


def test_a_mention_in_code_elsewhere_keeps_the_twin_reported(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text("from app.embeddings import generate_batch_embeddings\n")
    package = tmp_path / "app"
    (package / "__init__.py").write_text("")
    path = package / "embeddings.py"
    path.write_text(EMBEDDINGS)
    found = analyze(SourceFile(str(path), EMBEDDINGS), Settings(), [lookup("SAD202")]).findings
    assert 6 in {f.span.line for f in found}
