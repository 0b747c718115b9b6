"""What the cycle routes answer: a cancel answers with what it did."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA, years_without_holidays
from tests.api.client import running_api


async def test_cancelling_a_cycle_answers_once_its_commitments_have_ended(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.02", "53.71"], year)
        cancelled = await api.post(f"/cycles/{cycle}/cancel", "koordinator", {"reason": "Ditunda"})
        assert cancelled.status_code == 200, cancelled.text
        answer = cancelled.json()
        assert answer["status"] == "cancelled" and answer["open"] == []
        assert answer["ended"] == {"53.01": "cancelled", "53.02": "cancelled", "53.71": "cancelled"}
        # The answer is what the database shows too: nothing is left open.
        assert {stage for _, stage, _, _ in api.commitment_rows()} == {"cancelled"}
        again = await api.post(f"/cycles/{cycle}/cancel", "koordinator", {"reason": "Lagi"})
        assert again.status_code == 409


async def test_starting_a_cycle_names_the_years_without_holiday_data(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle_id = f"libur-{year}-{db_url[:6]}"
        body = {"cycle_id": cycle_id, "name": "Rakor", "year": year}
        started = await api.post("/cycles", "koordinator", {**body, "regency_codes": ["53.01"]})
        assert started.status_code == 201, started.text
        # The default schedule's deadlines run from January into the next January.
        assert started.json()["years_without_holidays"] == years_without_holidays([year, year + 1])
        api.k.cycle_id, api.k.codes = cycle_id, ("53.01",)
