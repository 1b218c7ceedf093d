"""One ordered table of every rule (code → rule class, with its status) and rule selection: which rules a
``Settings`` enables for a path (``select``, ``extend-select``, ``ignore``, per-file ignores, preview), and
whether a selector names any rule."""

from __future__ import annotations

from typing import Iterable

from sadpath.rules.base import Rule
from sadpath.rules.sad100_unused_suppression import UnusedSuppression
from sadpath.rules.sad101_silent_except import SilentExcept
from sadpath.rules.sad102_bare_except import BareExcept
from sadpath.rules.sad103_unchained_translation import UnchainedTranslation
from sadpath.rules.sad104_lost_traceback_log import LostTracebackLog
from sadpath.rules.sad105_log_missing_context import LogMissingContext
from sadpath.rules.sad201_unhandled_external_call import UnhandledExternalCall
from sadpath.rules.sad202_missing_timeout import MissingTimeout
from sadpath.rules.sad203_unchecked_http_status import UncheckedHttpStatus
from sadpath.rules.sad204_naive_retry import NaiveRetry
from sadpath.rules.sad205_n_plus_one_query import NPlusOneQuery
from sadpath.rules.sad206_transaction_without_rollback import TransactionWithoutRollback
from sadpath.rules.sad207_fire_and_forget_task import FireAndForgetTask
from sadpath.rules.sad301_contract_violation import ContractViolation
from sadpath.rules.sad302_untested_error_branch import UntestedErrorBranch

from sadpath.model import SYNTAX_ERROR_CODE
from sadpath.settings import ConfigError, Settings

RULES: tuple[type[Rule], ...] = (
    UnusedSuppression,
    SilentExcept,
    BareExcept,
    UnchainedTranslation,
    LostTracebackLog,
    LogMissingContext,
    UnhandledExternalCall,
    MissingTimeout,
    UncheckedHttpStatus,
    NaiveRetry,
    NPlusOneQuery,
    TransactionWithoutRollback,
    FireAndForgetTask,
    ContractViolation,
    UntestedErrorBranch,
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
BY_SLUG: dict[str, type[Rule]] = {rule.slug: rule for rule in RULES}


def lookup(code_or_slug: str) -> type[Rule] | None:
    key = code_or_slug.strip()
    return BY_CODE.get(key.upper()) or BY_SLUG.get(key.lower())


def status(rule: type[Rule]) -> str:
    return "preview" if rule.preview else "stable"


def docs_path(rule: type[Rule]) -> str:
    """Path of the rule's generated documentation page, relative to the repository root."""
    return f"docs/rules/{rule.code}-{rule.slug}.md"


# ------------------------------------------------------------------ selection
def matches(rule: type[Rule], selectors: Iterable[str]) -> bool:
    """Whether a selector names the rule: ``ALL``, a code prefix (``SAD1``), the code or the slug."""
    for selector in selectors:
        sel = selector.strip()
        if sel.upper() == "ALL" or rule.code.startswith(sel.upper()) or sel.lower() == rule.slug:
            return True
    return False


def named_exactly(rule: type[Rule], selectors: Iterable[str]) -> bool:
    """Whether a selector names the rule by its full code or slug (a preview rule needs that, or ``preview``)."""
    return any(s.strip().upper() == rule.code or s.strip().lower() == rule.slug for s in selectors)


def enabled_rules(settings: Settings, path: str | None = None) -> list[type[Rule]]:
    """The rules ``settings`` enable, for ``path`` when given (its per-file ignores apply), in table order."""
    chosen = (*settings.select, *settings.extend_select)
    ignored = [*settings.ignore, *(settings.ignores_for(path) if path is not None else ())]
    enabled = []
    for rule in RULES:
        if not matches(rule, chosen) or matches(rule, ignored):
            continue
        if rule.preview and not settings.preview and not named_exactly(rule, chosen):
            continue
        if rule.is_active(settings):
            enabled.append(rule)
    return enabled


def is_enabled(code: str, settings: Settings, path: str | None = None) -> bool:
    return any(rule.code == code for rule in enabled_rules(settings, path))


def check_selectors(selectors: Iterable[str], where: str) -> None:
    """Raise ConfigError (naming ``where``) for a selector that is empty or names no rule."""
    for selector in selectors:
        sel = selector.strip()
        if not sel:
            raise ConfigError(f"{where}: an empty rule selector (see `sadpath rules` for the codes)")
        if sel.upper() in ("ALL", SYNTAX_ERROR_CODE):
            continue
        if any(rule.code.startswith(sel.upper()) or rule.slug == sel.lower() for rule in RULES):
            continue
        raise ConfigError(f"{where}: unknown rule selector {selector!r} (see `sadpath rules`)")
