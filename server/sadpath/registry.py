"""One ordered table of every rule: code → rule class, with its status."""

from __future__ import annotations

from sadpath.rules.base import Rule
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

from sadpath.model import SYNTAX_ERROR_CODE, SYNTAX_ERROR_SLUG  # noqa: F401 - re-exported for the reporters

RULES: tuple[type[Rule], ...] = (
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
