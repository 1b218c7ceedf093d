"""The client README's settings table, generated from package.json (every setting's default and
markdownDescription). ``python scripts/settings_table.py --write`` rewrites the table in README.md, between
``<!-- settings:start -->`` and ``<!-- settings:end -->``; without ``--write`` it prints it. A test keeps them equal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXTENSION = Path(__file__).resolve().parent.parent
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def _default(value) -> str:
    return "`" + json.dumps(value) + "`" if not isinstance(value, str) or value == "" else f"`{value}`"


def table(package: dict) -> str:
    properties = package["contributes"]["configuration"]["properties"]
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    for name, spec in properties.items():
        text = " ".join(spec["markdownDescription"].split()).replace("|", "\\|")
        rows.append(f"| `{name}` | {_default(spec.get('default'))} | {text} |")
    return "\n".join(rows) + "\n"


def current(readme: str) -> str:
    """The table in the README, between the markers."""
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end].strip("\n") + "\n"


def main(argv: list[str]) -> int:
    package = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    generated = table(package)
    if "--write" not in argv:
        sys.stdout.write(generated)
        return 0
    readme_path = EXTENSION / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    start, end = readme.index(START) + len(START), readme.index(END)
    readme_path.write_text(readme[:start] + "\n" + generated + readme[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
