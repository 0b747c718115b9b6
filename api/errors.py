"""The one error map of the API: every failure becomes RFC 9457 problem details.

ApiProblem                    an HTTP-level refusal raised by the API itself
├── Unauthorized (401)        no valid bearer token
├── OutOfScope (403)          the user's role or regency does not cover the target
├── NotFound (404)            nothing by that id (or none the user may know of)
├── Conflict (409)            the target is in a state that forbids the request
└── TooManyRequests (429)     too many failed sign-ins; Retry-After says when to try again

Mapped besides (see `install_error_handlers`):
HTTPException                  its status and detail
RequestValidationError   422   each bad field as {"field": "plan.items[2].target_value", ...}
pydantic ValidationError 422   the same, for input checked inside a route
ActionRefused            409   the workflow validator's reason
InvalidInput             422   the domain's FieldErrors
UnknownRegency           404   the unknown code
RPCError (Temporal)      404   no such workflow running; 503 for anything else
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import InvalidInput, UnknownRegency
from komitmen.actions import ActionRefused

PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    """A refusal with an HTTP status and a human-readable detail."""

    status = 400

    def __init__(self, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class Unauthorized(ApiProblem):
    """No valid bearer token came with the request."""

    status = 401


class OutOfScope(ApiProblem):
    """The user's role or regency does not cover the target."""

    status = 403


class NotFound(ApiProblem):
    """Nothing by that id, or nothing the user may know of."""

    status = 404


class Conflict(ApiProblem):
    """The target's state forbids the request."""

    status = 409


class TooManyRequests(ApiProblem):
    """Too many failed attempts; the client may try again after `retry_after` seconds."""

    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, {"Retry-After": str(retry_after)})


def problem(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: Sequence[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for `request`."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


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
    """Each pydantic error as {"field", "message"}."""
    return [{"field": field_path(e["loc"]), "message": str(e["msg"])} for e in errors]


def _describe(errors: Sequence[dict[str, str]]) -> str:
    return "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the API can raise to problem details."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(request, exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        return problem(request, exc.status, exc.detail, headers={**headers, **exc.headers})

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        return problem(request, 422, _describe(errors), errors=errors)

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        return problem(request, 422, _describe(errors), errors=errors)

    @app.exception_handler(ActionRefused)
    async def refused(request: Request, exc: ActionRefused) -> JSONResponse:
        return problem(request, 409, exc.reason)

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
