"""The rule interface and the parser of a rule module's documentation.

A rule is a class with a ``code``, a ``slug`` and ``visit_<NodeType>(node, ctx)``
hooks. The walk calls each hook for the node type it names; a hook reports
findings through ``ctx.report``. A fresh rule instance is made for every module,
so a rule may keep per-module state on ``self``, never on the class.

The rule's documentation is its module docstring, in fixed sections::

    What it does / Why is this bad? / Example / Use instead / Fix safety / Options / References
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from typing import Callable, ClassVar

from sadpath.model import Applicability, Severity

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options", "References")
_SECTION_RE = re.compile(r"^## (?P<title>.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class RuleDoc:
    title: str
    sections: dict[str, str]

    @property
    def summary(self) -> str:
        text = self.sections.get("What it does", "").strip()
        first = text.split("\n\n", 1)[0]
        return " ".join(first.split())

    @property
    def why(self) -> str:
        text = self.sections.get("Why is this bad?", "").strip()
        return " ".join(text.split("\n\n", 1)[0].split())

    def code_block(self, section: str) -> str:
        """The first ```python block of a section (for the docs-as-tests)."""
        body = self.sections.get(section, "")
        match = re.search(r"```python\n(.*?)```", body, re.DOTALL)
        return match.group(1) if match else ""

    def markdown(self) -> str:
        parts = [f"# {self.title}", ""]
        for name in SECTIONS:
            if name in self.sections:
                parts.extend([f"## {name}", "", self.sections[name].strip(), ""])
        return "\n".join(parts).rstrip() + "\n"


def parse_doc(doc: str) -> RuleDoc:
    lines = (doc or "").strip("\n").splitlines()
    title = lines[0].lstrip("# ").strip() if lines else ""
    body = "\n".join(lines[1:])
    sections: dict[str, str] = {}
    matches = list(_SECTION_RE.finditer(body))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        sections[match.group("title")] = body[match.end() : end].strip("\n")
    return RuleDoc(title=title, sections=sections)


class Rule:
    code: ClassVar[str]
    slug: ClassVar[str]
    summary: ClassVar[str]  # one line for tables: `sadpath rules`, the README
    severity: ClassVar[Severity] = Severity.WARNING
    preview: ClassVar[bool] = False
    # the applicabilities of the fixes this rule can offer (tested against what it reports)
    fix_applicabilities: ClassVar[tuple[Applicability, ...]] = ()
    # the fix kinds it offers: each is the module that builds it, fixes/<kind>.py (display-only advice is none)
    fix_kinds: ClassVar[tuple[str, ...]] = ()
    # findings depend on other top-level statements than their own (incremental analysis re-runs the rule)
    module_dependent: ClassVar[bool] = False

    @classmethod
    def may_apply_to(cls, statement: ast.stmt, ctx) -> bool:  # noqa: ARG003 - rules narrow it
        """Whether a top-level statement can hold a finding of a module-dependent rule (a cheap pre-filter)."""
        return True

    @classmethod
    def context_key(cls, ctx) -> str:  # noqa: ARG003 - rules that read module-wide facts say which
        """A module-wide fact a local rule's findings depend on, beyond imports and module-level code
        (incremental analysis re-analyses every statement when it changes). Must be cheap."""
        return ""

    @classmethod
    def doc(cls) -> RuleDoc:
        return parse_doc(sys.modules[cls.__module__].__doc__ or "")

    @classmethod
    def hooks(cls) -> dict[type, str]:
        """Node type -> name of the hook method, from the ``visit_<NodeType>`` methods."""
        found: dict[type, str] = {}
        for name in dir(cls):
            if name.startswith("visit_"):
                node_type = getattr(ast, name[len("visit_") :], None)
                if isinstance(node_type, type) and issubclass(node_type, ast.AST):
                    found[node_type] = name
        return found

    @classmethod
    def is_active(cls, settings) -> bool:  # noqa: ARG003 - overridden by opt-in rules
        """Whether the rule has anything to do under these settings (opt-in rules say no without options)."""
        return True


Hook = Callable[[ast.AST, object], None]
