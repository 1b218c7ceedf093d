"""Pytest test functions: code that runs under a test runner, not in a service.

A call inside ``def test_*`` (a function or a method) of a test module holds no production thread: a hang fails
one test, and test runners usually bound each test (pytest-timeout). A test module is a file named ``test_*.py``,
``*_test.py`` or ``conftest.py``, or one under a ``tests``/``test``/``testing`` folder of its package (the folders
between the module and the folder its outermost package is imported from, and its own folder). The same name in a
service module (``def test_connection(self)`` of an integration's client, which a user triggers) is service code.
``in_pytest_test(path, parents)`` tells whether the node whose ancestors are ``parents`` runs in such a test.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from sadpath.engine.project_files import import_root

TEST_FOLDERS = frozenset({"tests", "test", "testing"})


def in_pytest_test(path: str, parents: list[ast.AST]) -> bool:
    """The node runs inside a ``def test_*`` of a test module."""
    if not any(isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) and p.name.startswith("test") for p in parents):
        return False
    return test_module(str(path))


@lru_cache(maxsize=512)
def test_module(path: str) -> bool:
    """``path`` is a pytest module: by its file name, or by a test folder of its package."""
    file = Path(path)
    name = file.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    if file.parent.name in TEST_FOLDERS:
        return True
    try:
        root = import_root(file)
        folders = file.resolve().parent.relative_to(root).parts
    except (OSError, ValueError):
        return False
    return any(part in TEST_FOLDERS for part in folders)
