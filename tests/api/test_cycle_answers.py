"""What the cycle routes answer: a cancel answers with what it did."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA
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
