from __future__ import annotations

from helpers import open_document, wait_for_version

TEXT = (
    "import requests\n\n\ndef f():\n    try:\n        requests.get('x', timeout=3)\n    except Exception as e:\n        print(e)\n\n\n"
    "def refresh(failed):\n    try:\n        requests.get('x', timeout=3).raise_for_status()\n    except requests.RequestException as e:\n"
    "        print(e)\n        failed.append('x')\n    return failed\n"
)


async def test_open_publishes(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, TEXT)
    diagnostics = await wait_for_version(client, uri, 1)
    assert sorted(d.code for d in diagnostics) == ["SAD101", "SAD104"]
