"""Exceptions raised by the domain rules.

DomainError                        a domain rule refused something
├── InvalidInput (ValueError)      input breaks a rule; .errors lists FieldError(field, message)
│   └── ScheduleError              a schedule's dates contradict each other; .field, .message
├── TransitionRefused              a stage change is not allowed now; .reason says why
└── UnknownRegency (LookupError)   no regency has the given code; .code
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field, named by its path (e.g. "quarters[2].lock")."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every exception the domain raises on purpose."""


class InvalidInput(DomainError, ValueError):
    """Input that breaks a domain rule; `errors` names each offending field."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: list[FieldError] = list(errors)
        # Keep args equal to the constructor arguments so the exception pickles.
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)


class ScheduleError(InvalidInput):
    """A schedule whose dates contradict each other.

    `kind` names the contradiction, so a page words it in its reader's language:
    outside, signing_before_drafting, report_in_quarter, lock_before_report,
    report_before_previous, lock_before_previous; `message` is the English sentence.
    """

    def __init__(self, field: str, message: str, kind: str = "other") -> None:
        super().__init__([FieldError(field, message)])
        self.args = (field, message, kind)
        self.field = field
        self.message = message
        self.kind = kind


class TransitionRefused(DomainError):
    """A stage change that is not allowed for this actor at this moment.

    `code` and `params` say why in a form each door words in its reader's language
    (`domain.refusals`); `reason` is the English sentence. Build one with `refused(...)`.
    """

    def __init__(
        self, reason: str, code: str = "refused", params: Mapping[str, str | int] | None = None
    ) -> None:
        super().__init__(reason, code, dict(params or {}))
        self.reason = reason
        self.code = code
        self.params: dict[str, str | int] = dict(params or {})

    def __str__(self) -> str:
        return self.reason


class UnknownRegency(DomainError, LookupError):
    """No regency in the catalog has the given code."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message or f"no regency has code {code!r}"

    def __str__(self) -> str:
        return self.message
