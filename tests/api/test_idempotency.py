"""Idempotency-Key: a repeated request gets the first answer and nothing happens twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")


async def post(api: Api, path: str, username: str, body: dict[str, Any], key: str) -> Any:
    """POST as a user with an Idempotency-Key."""
    headers = {**api.token(username), "Idempotency-Key": key}
    return await api.http.post(path, json=body, headers=headers)


async def test_a_repeated_request_gets_the_first_answer_and_acts_once(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        draft = {"plan": PLAN, "based_on_version": 0}

        first = await post(api, f"{base}/save-draft", "operator-5301", draft, "draft-1")
        assert first.status_code == 200, first.text
        audit = api.audit_rows()
        again = await post(api, f"{base}/save-draft", "operator-5301", draft, "draft-1")
        assert again.status_code == 200 and again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert api.audit_rows() == audit and api.commitment_rows()[0][3] == 1

        other = await post(api, f"{base}/save-draft", "operator-5301", draft, "draft-1")
        assert other.status_code == 200  # the same request: the same answer
        changed = {"plan": PLAN, "based_on_version": 1}
        misuse = await post(api, f"{base}/save-draft", "operator-5301", changed, "draft-1")
        assert misuse.status_code == 422
        assert misuse.json()["errors"][0]["field"] == "Idempotency-Key"
        # Keys belong to a user: the same key from someone else is a new request.
        reviewer = await post(api, f"{base}/approve", "reviewer", {"version": 1}, "draft-1")
        assert reviewer.status_code == 409

        # Two copies at the same moment: one acts, the other is told to wait or replays.
        copies = await asyncio.gather(
            *(post(api, f"{base}/submit", "operator-5301", {"version": 1}, "kirim") for _ in "ab")
        )
        assert sorted(r.status_code for r in copies) in ([200, 200], [200, 409])
        assert api.audit_rows() == audit + 1 and api.commitment_rows()[0][1] == "review"

        # A refusal is an answer too: the repeat is refused the same way.
        stale = await post(api, f"{base}/approve", "reviewer", {"version": 9}, "setuju")
        repeat = await post(api, f"{base}/approve", "reviewer", {"version": 9}, "setuju")
        assert stale.status_code == repeat.status_code == 409
        assert repeat.json()["detail"] == stale.json()["detail"]
        assert repeat.headers["idempotent-replayed"] == "true"

        bad = await post(api, f"{base}/approve", "reviewer", {"version": 1}, "kunci dengan spasi")
        assert bad.status_code == 422


async def test_a_request_whose_process_died_is_taken_over_without_acting_twice(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        path = f"/cycles/{cycle}/commitments/53.01/save-draft"
        draft = {"plan": PLAN, "based_on_version": 0}
        first = await post(api, path, "operator-5301", draft, "simpan")
        assert first.status_code == 200
        # As if the API process died after the workflow took the update, before storing
        # the answer: the claim is left unanswered and grows old.
        with transaction(session_factory(api.url)) as session:
            session.execute(
                update(m.IdempotentRequest).values(
                    status_code=None,
                    response=None,
                    created_at=datetime.now(UTC) - timedelta(minutes=3),
                )
            )
        retry = await post(api, path, "operator-5301", draft, "simpan")
        assert retry.status_code == 200, retry.text
        assert retry.json() == first.json()  # Temporal answered with the first update's result
        assert api.commitment_rows()[0][3] == 1
