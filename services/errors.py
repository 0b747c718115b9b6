"""What the services refuse, whichever door a request came through.

Refusal                  a request the services will not carry out; `detail` says why
├── Unauthenticated      no valid token or page session
├── OutOfScope           the person's role or regency does not cover the target
├── NotFound             nothing by that id, or nothing the person may know of
├── Conflict             the target's state forbids the request
│   └── ActionRefused    a workflow refused an action; `reason` is the workflow's
├── LockedOut            too many failed sign-ins; `retry_after` seconds to wait
├── FileTooLarge         a file handed in is larger than allowed
├── FileNotAccepted      a file handed in is not of a kind accepted (by its content)
├── Unprocessable        what may not be taken: a file's name, a field the services fill
│   └── FieldRefused     one field of a valid body refused (a village outside the regency)
├── ServiceFailed        an outside service (BSrE) answered with something unusable
└── SignatureRefused     the signing service refused the signatory (passphrase, NIK)

The JSON API maps them to 401, 403, 404, 409, 429, 413, 415, 422 and 502 (`api/errors.py`),
the pages to their error page in the visitor's language, the CLI to `refused: ...` and exit 2.
"""

from __future__ import annotations

from typing import Self

from domain.refusals import RefusalCode, english_reason


class Refusal(Exception):
    """A request the services will not carry out.

    `detail` is the English sentence the JSON API has always answered with; where the
    refusal has a `code` (`domain.refusals.RefusalCode`) and its `params`, the pages and
    the mail word it in the reader's language instead.
    """

    def __init__(
        self, detail: str, code: str | None = None, params: dict[str, str | int] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.params: dict[str, str | int] = params or {}

    @classmethod
    def coded(cls, code: RefusalCode, **params: str | int) -> Self:
        """The refusal of `code`, its detail the English reason (`domain.refusals`)."""
        return cls(english_reason(code, params), code.value, params)


class Unauthenticated(Refusal):
    """No valid token or page session came with the request."""


class OutOfScope(Refusal):
    """The person's role or regency does not cover the target."""


class NotFound(Refusal):
    """Nothing by that id, or nothing the person may know of."""


class Conflict(Refusal):
    """The target's state forbids the request."""


class ActionRefused(Conflict):
    """A workflow refused an action; `reason` says why in English, `code` and `params` in
    the form each door words in its reader's language (`domain.refusals`)."""

    code: str

    def __init__(
        self, reason: str, code: str = "refused", params: dict[str, str | int] | None = None
    ) -> None:
        super().__init__(reason, code, params)
        self.reason = reason


class LockedOut(Refusal):
    """Too many failed sign-ins; sign-in may be tried again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


class FileTooLarge(Refusal):
    """A file handed in is larger than allowed."""


class FileNotAccepted(Refusal):
    """A file handed in is not of a kind accepted; its content decides, not its name."""


class Unprocessable(Refusal):
    """A request well formed but naming what may not be taken (a file's name, a field the
    services fill themselves)."""


class FieldRefused(Unprocessable):
    """One field of a valid body that the services refuse (a Destana village outside the
    commitment's regency); `path` is where it is, as pydantic locates a field
    (("plan", "items", 0, "outcomes", "destana", 1, "village_code")), so the API names it
    and a page shows the refusal next to its input."""

    def __init__(
        self,
        path: tuple[str | int, ...],
        detail: str,
        code: str | None = None,
        params: dict[str, str | int] | None = None,
    ) -> None:
        super().__init__(detail, code, params)
        self.path = path

    @classmethod
    def at(cls, path: tuple[str | int, ...], code: RefusalCode, **params: str | int) -> Self:
        """The refusal of `code` at `path`, its detail the English reason."""
        return cls(path, english_reason(code, params), code.value, params)


class ServiceFailed(Refusal):
    """An outside service answered with something that cannot be accepted."""


class SignatureRefused(Refusal):
    """The signing service refused the signatory (wrong passphrase, NIK not registered)."""
