"""Probes for a load balancer or an orchestrator: liveness and readiness.

`/health` says the process answers; `/ready` says it can serve requests: the
database answers a query and Temporal describes the configured namespace. Both are
open to anyone, so a failure is named ("unavailable") and its cause only logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import RuntimeDep
from api.errors import PROBLEM_JSON, Problem
from services.runtime import Runtime

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

# Each check gets this long: a probe must answer before the prober gives up on it.
CHECK_SECONDS = 3.0
Checks = Annotated[
    dict[str, str],
    Field(description='each dependency ("database", "temporal") and "ok" or "unavailable"'),
]


class Readiness(BaseModel):
    """Every dependency answered."""

    status: str = "ready"
    checks: Checks


class NotReady(Problem):
    """Problem details naming the dependencies that did not answer."""

    checks: Checks


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": NotReady, "description": "The database or Temporal is unavailable"}},
)
async def ready(request: Request, runtime: RuntimeDep) -> Readiness | JSONResponse:
    """Readiness: the database answers a query and Temporal describes the namespace."""
    answers = await asyncio.gather(
        *(_check(name, probe, runtime) for name, probe in PROBES.items())
    )
    checks = dict(zip(PROBES, answers, strict=True))
    if all(answer == "ok" for answer in checks.values()):
        return Readiness(checks=checks)
    down = ", ".join(name for name, answer in checks.items() if answer != "ok")
    body = NotReady(
        title=HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        status=503,
        detail=f"not ready: {down} unavailable",
        instance=request.url.path,
        checks=checks,
    )
    return JSONResponse(body.model_dump(exclude_none=True), 503, media_type=PROBLEM_JSON)


async def _check(name: str, probe: Callable[[Runtime], Awaitable[None]], runtime: Runtime) -> str:
    try:
        await asyncio.wait_for(probe(runtime), CHECK_SECONDS)
    except Exception as error:  # whatever fails, the answer is the same: not ready
        log.warning("readiness: %s unavailable: %s", name, error or type(error).__name__)
        return "unavailable"
    return "ok"


PROBES: dict[str, Callable[[Runtime], Awaitable[None]]] = {
    "database": Runtime.database_answers,
    "temporal": Runtime.temporal_answers,
}
