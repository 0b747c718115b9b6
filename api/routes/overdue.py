"""The overdue list: every open obligation whose deadline has passed, longest overdue first.

The list itself is `services.overdue`'s; this route reads the query and writes the
`Link` header, whose addresses start with the configured public URL
(KOMITMEN_PUBLIC_URL), never with the Host the request names.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentUser, RuntimeDep, SessionDep
from domain.cycle import CYCLE_ID_PATTERN
from domain.plan import StrategicIssue
from domain.stages import Stage
from services.overdue import DEFAULT_PAGE, MAX_PAGE, Cursor, find_overdue
from services.schemas import OverdueOut

router = APIRouter(tags=["overdue"])


@router.get("/overdue")
async def list_overdue(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    cycle_id: Annotated[
        str | None, Query(pattern=CYCLE_ID_PATTERN, description="one cycle only")
    ] = None,
    regency: Annotated[str | None, Query(description="Kemendagri or BPS code")] = None,
    stage: Stage | None = None,
    strategic_issue: StrategicIssue | None = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    at: Annotated[datetime | None, Query(description="measure time left at; default now")] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="commitments a page covers")
    ] = DEFAULT_PAGE,
    cursor: Annotated[
        str | None, Query(max_length=200, description="from a previous page's Link header")
    ] = None,
) -> list[OverdueOut]:
    """Overdue obligations, filterable by regency, stage, strategic issue and quarter.

    Longest overdue first: commitments by the moment they became overdue, then by
    id (cycle, then regency code), each with its passed deadlines, oldest first. A
    page covers up to `limit` commitments that owe something the filters ask for
    (a commitment in follow-up may owe several quarters). The `Link` header gives
    the next page (`rel="next"`) while more follow, and the previous one
    (`rel="prev"`) after the first; their `cursor` names the commitment a page
    ends or starts at, so walking the pages never repeats or skips a commitment
    however the list changes meanwhile.
    """
    # On the event loop but for the query, which goes to a thread: a plain `def` route
    # takes one hop to the thread pool to run and another to serialise its answer.
    page = await run_in_threadpool(
        partial(
            find_overdue,
            session,
            user,
            cycle_id=cycle_id,
            regency=regency,
            stage=stage,
            strategic_issue=strategic_issue,
            quarter=quarter,
            at=at,
            cursor=Cursor.decode(cursor) if cursor else None,
            limit=limit,
        )
    )
    here = runtime.settings.public_base_url + request.url.path
    links = [
        f'<{here}?{request.url.include_query_params(cursor=mark.encode()).query}>; rel="{rel}"'
        for rel, mark in (("next", page.next), ("prev", page.previous))
        if mark is not None
    ]
    if links:
        response.headers["Link"] = ", ".join(links)
    return page.entries
