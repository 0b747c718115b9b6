"""Role × regency over every action and read: the forbidden is refused and changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import running_api

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
USERS = [
    "koordinator",
    "reviewer",
    "manajer",
    "operator-5301",
    "kalak-5301",
    "kada-5301",
    "operator-5371",
    "kalak-5371",
]
REGENCY = {"operator-5301": "53.01", "kalak-5301": "53.01", "kada-5301": "53.01"}
REGENCY |= {"operator-5371": "53.71", "kalak-5371": "53.71"}


def bodies(until: date) -> dict[str, dict[str, Any]]:
    """A well-formed body for every action route."""
    return {
        "save-draft": {"plan": PLAN, "based_on_version": 1},
        "submit": {"version": 1},
        "approve": {"version": 1},
        "request-changes": {"version": 1, "comments": [{"text": "Perbaiki"}]},
        "sign": {"document_hash": "a" * 64},
        "decline": {"reason": "Belum sesuai"},
        "reports": {
            "quarter": 1,
            "items": [{"item_position": 1, "status": "belum_mulai", "percent_realised": "0"}],
        },
        "reports/verify": {"quarter": 1},
        "reports/return": {"quarter": 1, "reason": "Lengkapi bukti"},
        "extend": {"key": "drafting", "until": until.isoformat(), "reason": "Banjir"},
        "withdraw": {"reason": "Ditunda"},
    }


READS = ["", "/versions", "/versions/1/items", "/comments", "/signatures", "/reports"]
READS += ["/audit", "/reminders", "/diff?from=1&to=1"]

# In drafting, the regency's officer may save and submit, the coordinator extend and withdraw.
ALLOWED = {("officer", "save-draft"), ("officer", "submit")}
ALLOWED |= {("koordinator", "extend"), ("koordinator", "withdraw")}


def allowed(user: str, code: str, action: str) -> bool:
    """Whether the combination is one the table allows (left out of the matrix)."""
    who = "officer" if user == f"operator-{code.replace('.', '')}" else user
    return (who, action) in ALLOWED


async def test_every_forbidden_combination_changes_nothing(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        for code, officer in (("53.01", "operator-5301"), ("53.71", "operator-5371")):
            saved = await api.post(
                f"/cycles/{cycle}/commitments/{code}/save-draft",
                officer,
                {"plan": PLAN, "based_on_version": 0},
            )
            assert saved.status_code == 200, saved.text
        before, rows = api.audit_rows(), api.commitment_rows()
        requests = bodies(date(year, 1, 15) + timedelta(days=30))

        outcomes: dict[tuple[str, str, str], int] = {}
        for code in ("53.01", "53.71"):
            base = f"/cycles/{cycle}/commitments/{code}"
            for user in USERS:
                out_of_scope = user in REGENCY and REGENCY[user] != code
                for action, body in requests.items():
                    if allowed(user, code, action):
                        continue
                    response = await api.post(f"{base}/{action}", user, body)
                    outcomes[(code, user, action)] = response.status_code
                    assert response.status_code in (403, 404, 409), (code, user, action)
                    assert response.headers["content-type"] == "application/problem+json"
                    if out_of_scope:
                        assert response.status_code == 403, (code, user, action)
                        # Nothing of the commitment's state is told.
                        assert "drafting" not in response.json()["detail"]
                for read in READS:
                    response = await api.get(f"{base}{read}", user)
                    expected = 403 if out_of_scope else 200
                    assert response.status_code == expected, (code, user, read, response.text)
                    if out_of_scope:
                        assert "drafting" not in response.text

        assert api.audit_rows() == before
        assert api.commitment_rows() == rows
        # Regency roles out of their regency are refused by the API, the rest by the workflow.
        assert outcomes[("53.01", "operator-5371", "save-draft")] == 403
        assert outcomes[("53.01", "reviewer", "approve")] == 409
        assert outcomes[("53.01", "kalak-5301", "sign")] == 409
        assert len(outcomes) == 2 * len(USERS) * len(requests) - 2 * len(ALLOWED)
