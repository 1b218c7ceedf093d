"""# SAD100 unused-suppression

## What it does

Flags a suppression comment that silences nothing: a `# sadpath: ignore[...]`,
`# noqa: SAD...` or `# sadpath: ignore-file[...]` whose codes have no finding to
silence, and one that names no sadpath rule at all (a typo such as
`# sadpath: ignore[SAD1O1]` or `# sadpath: ignore[silent-exept]`).

It judges only what it can know: a code of a rule that did not run on the file
(not selected, ignored for the path, or an opt-in rule without its option) is
left alone, since the comment may be needed where that rule runs; so are other
tools' codes in a `# noqa` (`E501`, `BLE001`) and a bare `# noqa`, which other
linters read too. A suppression that names `SAD100` itself is never reported.

## Why is this bad?

A suppression outlives the finding it was written for: the code is fixed or
moved, and the comment stays. It then hides the next real finding on that line
without anyone deciding so, and a misspelt code silences nothing while the
reader believes the line was reviewed. After `sadpath check --add-noqa` on a
legacy codebase, this rule is what shows which suppressions the clean-up made
unnecessary.

## Example

```python
import json


def load(path):
    with open(path) as handle:
        return json.load(handle)  # sadpath: ignore
```

## Use instead

```python
import json


def load(path):
    with open(path) as handle:
        return json.load(handle)
```

## Fix safety

Safe: the fix removes only the unused codes from the comment (the whole
directive when none is left, and the whole line when the comment stood alone),
so no finding that the comment silences today comes back. It never touches
another tool's codes in a shared `# noqa`.

## Options

None. It is a preview rule: enable it with `preview = true`, or by naming it
(`extend-select = ["SAD100"]`, `--extend-select SAD100`).

## References

- [ruff: unused-noqa (RUF100)](https://docs.astral.sh/ruff/rules/unused-noqa/)
"""

from __future__ import annotations

from sadpath.engine.suppressions import SuppressionReport
from sadpath.model import Applicability, FixOffer, Severity, Span
from sadpath.rules.base import Rule

OWN_NAMES = frozenset({"SAD100", "UNUSED-SUPPRESSION"})


class UnusedSuppression(Rule):
    code = "SAD100"
    slug = "unused-suppression"
    summary = "A `# sadpath: ignore[...]` or `# noqa: SAD...` comment that silences nothing, or names no rule."
    severity = Severity.WARNING
    preview = True
    fix_applicabilities = (Applicability.SAFE,)
    fix_kinds = ("remove_suppression",)

    def check_suppressions(self, report: SuppressionReport, ctx) -> None:
        for directive in report.directives:
            if directive.kind == "noqa" and directive.blanket:
                continue  # a bare `# noqa` is every linter's: not ours to judge
            used = report.used_codes(directive)
            if directive.blanket:
                if not used:
                    self._report(ctx, directive, (), f"`{directive.text}` is unused: no finding of any rule is left to silence {'in this file' if directive.file_level else 'on this line'}.")
                continue
            unused: list[str] = []
            unknown: list[str] = []
            for name in directive.names:
                if name in OWN_NAMES:
                    continue
                code = report.ran.get(name)
                if code is not None:
                    if code not in used:
                        unused.append(name)
                    continue
                if report.known is not None and name in report.known:
                    continue  # a rule that did not run on this file: its suppression may be needed where it runs
                if directive.kind == "noqa" and not name.startswith("SAD"):
                    continue  # another tool's code
                if report.known is not None:  # without the table of every rule, a name cannot be called unknown
                    unknown.append(name)
            if not unused and not unknown:
                continue
            unused = [directive.as_written(n) for n in unused]
            unknown = [directive.as_written(n) for n in unknown]
            where = "in this file" if directive.file_level else "on this line"
            parts = []
            if unused:
                parts.append(f"no {_names(unused)} finding is left to silence {where}")
            if unknown:
                parts.append(f"{_names(unknown)} {'is' if len(unknown) == 1 else 'are'} no sadpath rule")
            state = "is unused" if {n.upper() for n in (*unused, *unknown)} >= set(directive.names) else "has unused codes"
            self._report(ctx, directive, (*unused, *unknown), f"`{directive.text}` {state}: {'; '.join(parts)}.")

    def _report(self, ctx, directive, names: tuple[str, ...], message: str) -> None:
        whole = not names or {n.upper() for n in names} >= set(directive.names)
        title = "Remove the unused suppression" if whole else f"Remove {_names(list(names))} from the suppression"
        ctx.report(
            self,
            Span(directive.line, directive.start, directive.line, directive.end),
            message,
            fixes=(FixOffer("remove_suppression", title, Applicability.SAFE),),
            data={"remove": list(names) if names else [], "directive_start": directive.start, "directive_end": directive.end},
        )


def _names(names: list[str]) -> str:
    quoted = [f"`{name}`" if not name.upper().startswith("SAD") else name for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
