"""The one error map of the API: every failure becomes RFC 9457 problem details.

services.errors.Refusal        a refusal of the services (`STATUS_OF`):
├── Unauthenticated      401   no valid bearer token
├── OutOfScope           403   who the user is: role, regency or acting status does not fit
├── NotFound             404   nothing by that id (or none the user may know of)
├── Conflict             409   where the target is: its state forbids the request
│   └── ActionRefused    409   the workflow validator's reason (stage, version, quarter)
├── LockedOut            429   too many failed sign-ins; Retry-After says when to try again
├── FileTooLarge         413   a scan or evidence file larger than allowed
├── FileNotAccepted      415   a file whose content is not of a kind accepted (or is hostile)
├── Unprocessable        422   what may not be taken: a file's name, a field the services fill
│   └── FieldRefused     422   one field refused, named in `errors` (a village of another regency)
├── ServiceFailed        502   the signing service returned a PDF that does not validate
└── SignatureRefused     422   the signing service refused the signatory (passphrase, NIK)

Mapped besides (see `install_error_handlers`):
HTTPException                  its status and detail (400: why the body could not be read)
RequestValidationError   422   each bad field as {"field": "plan.items[2].target_value", ...}
pydantic ValidationError 422   the same, for input checked inside a route
InvalidInput             422   the domain's FieldErrors
UnknownRegency           404   the unknown code
RPCError (Temporal)      404   no such workflow running; 503 for anything else

Every answer is a `Problem`; routes declare theirs with `PROBLEM_RESPONSES`, and the
OpenAPI schema lists them as application/problem+json. A refusal with a code
(`domain.refusals`) carries it as `code`, and words its detail in Bahasa Indonesia when
the request's Accept-Language prefers it (`api_language`); in English otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import InvalidInput, UnknownRegency
from domain.refusals import refusal_text
from services.errors import (
    Conflict,
    FieldRefused,
    FileNotAccepted,
    FileTooLarge,
    LockedOut,
    NotFound,
    OutOfScope,
    Refusal,
    ServiceFailed,
    SignatureRefused,
    Unauthenticated,
    Unprocessable,
)
from services.stored_answers import Replayed

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    """One bad field of a request, named by its path."""

    field: str = Field(description='e.g. "plan.items[2].target_value"; "" for the whole body')
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: how the API answers every error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str = Field(description="the path of the request")
    code: str | None = Field(
        default=None,
        description="a refusal's stable code (e.g. stale_document), the same in every language",
    )
    errors: list[FieldProblem] | None = Field(default=None, description="each bad field (422)")


_MEANINGS = {
    400: "The body could not be read at all (e.g. it is not UTF-8)",
    401: "No valid bearer token (or, signing in, wrong credentials)",
    403: (
        "Who the user is: their role never takes this action, or their regency or acting "
        "status does not fit it, whatever the target's state"
    ),
    404: "Nothing by that id, or nothing the user may know of",
    409: (
        "Where the target is: its state (stage, version, quarter) forbids the request now; "
        "the detail gives the reason"
    ),
    413: "The request body is larger than KOMITMEN_MAX_BODY_BYTES",
    422: "Bad input; `errors` names each bad field",
    429: "Too many failed sign-ins; Retry-After says when to try again",
    503: "Temporal is not available",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` declaring problem answers with these statuses."""
    return {s: {"model": Problem, "description": _MEANINGS[s]} for s in statuses}


# What any route of the JSON API may answer besides its success.
PROBLEM_RESPONSES = problem_responses(400, 401, 403, 404, 409, 413, 422, 503)


STATUS_OF: dict[type[Refusal], int] = {
    Unauthenticated: 401,
    OutOfScope: 403,
    NotFound: 404,
    Conflict: 409,
    LockedOut: 429,
    FileTooLarge: 413,
    FileNotAccepted: 415,
    Unprocessable: 422,
    ServiceFailed: 502,
    SignatureRefused: 422,
}
"""The HTTP status of each refusal of the services (a subclass takes its parent's)."""


def refusal_status(refusal: Refusal) -> int:
    """The HTTP status a refusal answers with."""
    for kind in type(refusal).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: Sequence[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    language: str | None = None,
) -> JSONResponse:
    """A problem+json response for `request`; with `language`, the detail is in it."""
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        code=code,
        errors=None if errors is None else [FieldProblem.model_validate(e) for e in errors],
    )
    sent = dict(headers or {})
    if language is not None:
        sent |= {"Content-Language": language, "Vary": "Accept-Language"}
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=sent,
    )


def api_language(request: Request) -> str:
    """The language of the JSON API's refusals: Bahasa Indonesia when the request's
    Accept-Language prefers it ("id", "id-ID"), else English, as the API has always
    answered (its programs may match on the English text; `code` is the stable key)."""
    best, best_q = "en", -1.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params else 1.0
        except ValueError:
            continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("id", "en") and q > best_q:
            best, best_q = primary, q
    return best


def field_path(loc: Iterable[int | str]) -> str:
    """A pydantic location as a field path: ("body", "items", 2, "x") -> "items[2].x"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("body", "query", "path", "header", "cookie") and not path:
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_errors(errors: Iterable[Any]) -> list[dict[str, str]]:
    """Each pydantic error as {"field", "message"}, leaving out mere echoes of other errors."""
    errors = list(errors)
    failed = [tuple(e["loc"]) for e in errors]

    def echo(e: Any) -> bool:
        # A list whose items failed also has "too few items after validation": noise.
        loc = tuple(e["loc"])
        return e["type"] == "too_short" and any(f[: len(loc)] == loc != f for f in failed)

    return [
        {"field": field_path(e["loc"]), "message": str(e["msg"])} for e in errors if not echo(e)
    ]


def _describe(errors: Sequence[dict[str, str]]) -> str:
    return "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)


def problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every 4xx and 5xx answer of an OpenAPI schema as application/problem+json."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    response["content"] = {PROBLEM_JSON: content["application/json"]}
    return schema


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the API can raise to problem details, and document them so."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return problem_media_type(generate())

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 400 and exc.__cause__ is not None:
            detail += f": {exc.__cause__}"  # FastAPI's "error parsing the body" says no more
        return problem(request, exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> JSONResponse:
        status = refusal_status(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if isinstance(exc, LockedOut):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Replayed):
            headers["Idempotent-Replayed"] = "true"
        language = api_language(request)
        detail = exc.detail
        if exc.code is not None and language == "id":
            detail = refusal_text(exc.code, exc.params, language)
        errors = None
        if isinstance(exc, FieldRefused):
            errors = [{"field": field_path(exc.path), "message": detail}]
        return problem(
            request,
            status,
            detail,
            errors=errors,
            headers=headers,
            code=exc.code,
            language=language if exc.code is not None else None,
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        return problem(request, 422, _describe(errors), errors=errors)

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        return problem(request, 422, _describe(errors), errors=errors)

    @app.exception_handler(InvalidInput)
    async def invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return problem(request, 422, str(exc), errors=errors)

    @app.exception_handler(UnknownRegency)
    async def unknown_regency(request: Request, exc: UnknownRegency) -> JSONResponse:
        return problem(request, 404, exc.message)

    @app.exception_handler(RPCError)
    async def temporal_error(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return problem(request, 404, f"no running workflow for this request: {exc.message}")
        return problem(request, 503, f"Temporal is not available: {exc.message}")
