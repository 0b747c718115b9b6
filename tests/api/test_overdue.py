"""The overdue list after the clock passes deadlines: filters, scope and order."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA, end_of_day
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import running_api
from tests.harness import until

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")


async def test_overdue_list(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        await api.post(f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0})
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success
        assert (await api.get("/overdue", "manajer", cycle_id=cycle)).json() == []

        await until(env, end_of_day(date(year, 1, 15)) + timedelta(days=2))
        listed = (await api.get("/overdue", "manajer", cycle_id=cycle)).json()
        # The review (due days after submission) has waited longer than the drafting.
        assert [(e["regency_code"], e["deadline_key"]) for e in listed] == [
            ("53.01", "review"),
            ("53.71", "drafting"),
        ]
        # Time left is counted from the latest the database knows, or from `at`.
        assert listed[0]["seconds_left"] < listed[1]["seconds_left"] <= 0
        now = await env.get_current_time()
        at = (await api.get("/overdue", "manajer", cycle_id=cycle, at=now.isoformat())).json()
        assert at[1]["seconds_left"] < 0
        assert at[1]["seconds_left"] - listed[1]["seconds_left"] <= 0

        def keys(response: Any) -> list[str]:
            return [e["regency_code"] for e in response.json()]

        assert keys(await api.get("/overdue", "manajer", cycle_id=cycle, regency="5371")) == [
            "53.71"
        ]
        assert keys(await api.get("/overdue", "reviewer", cycle_id=cycle, stage="review")) == [
            "53.01"
        ]
        destana = await api.get("/overdue", "manajer", cycle_id=cycle, strategic_issue="destana")
        assert keys(destana) == ["53.01"]
        assert keys(await api.get("/overdue", "manajer", cycle_id=cycle, quarter=1)) == []
        assert keys(await api.get("/overdue", "operator-5371", cycle_id=cycle)) == ["53.71"]
        bad = await api.get("/overdue", "manajer", stage="lost", quarter=5)
        assert {e["field"] for e in bad.json()["errors"]} == {"stage", "quarter"}
