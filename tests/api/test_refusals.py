"""Who may ask, and what a request may say, through the real API (SQLite and PostgreSQL).

403 is for who the person is (a role that never takes the action, an acting status
other than their record's), 409 for where the commitment is; POST /cycles names its
regencies by Kemendagri code only; whole-number fields refuse booleans; a quarter's
report waits for the quarter's last month. Every refusal leaves the audit trail and
the commitments as they were.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA, at_wita
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api
from tests.harness import until
from workflows.common import cycle_workflow_id

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
PROBLEM = "application/problem+json"


def refused(response: httpx.Response, status: int, says: str) -> None:
    """A problem document with the status whose detail says `says`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert says in response.json()["detail"], response.json()


def fields(response: httpx.Response) -> set[str]:
    """The fields a 422 names."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return {e["field"] for e in response.json()["errors"]}


async def submitted(api: Api, year: int) -> str:
    """A cycle for Kabupaten Kupang whose version 1 is in review; the commitment's path."""
    cycle = await api.start_cycle(["53.01"], year)
    base = f"/cycles/{cycle}/commitments/53.01"
    saved = await api.post(
        f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
    )
    assert saved.status_code == 200, saved.text
    sent = await api.post(f"{base}/submit", "operator-5301", {"version": 1})
    assert sent.status_code == 200, sent.text
    return base


async def next_year(env: WorkflowEnvironment) -> int:
    """A year whose deadlines are all ahead."""
    return (await env.get_current_time()).astimezone(WITA).year + 1


# 9. Signers no longer choose their own acting mark.
async def test_a_signer_signs_with_the_acting_status_on_record_never_a_claimed_one(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        base = await submitted(api, await next_year(dev_server_env))
        approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
        document = approved.json()["document_hash"]
        before = api.audit_rows(), api.commitment_rows()

        # The Kepala BPBD holds the office definitively: claiming Plt. is who they are not.
        claimed = await api.post(
            f"{base}/sign", "kalak-5301", {"document_hash": document, "acting": "plt"}
        )
        refused(claimed, 403, "definitive on record")
        assert (await api.get(f"{base}/signatures", "manajer")).json() == []
        assert (api.audit_rows(), api.commitment_rows()) == before

        # Recorded as Plt., they sign as Plt. without saying so.
        api.set_acting("kalak-5301", "plt")
        signed = await api.post(f"{base}/sign", "kalak-5301", {"document_hash": document})
        assert signed.status_code == 200, signed.text
        signatures = (await api.get(f"{base}/signatures", "manajer")).json()
        assert [(s["office"], s["acting"]) for s in signatures] == [("bpbd_head", "plt")]


# 11. 403 for who you are, 409 for where the commitment is.
async def test_403_for_who_you_are_and_409_for_where_the_commitment_is(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        base = await submitted(api, await next_year(dev_server_env))
        before = api.audit_rows(), api.commitment_rows()

        # No stage lets a reviewer save a draft or an officer approve.
        draft = {"plan": PLAN, "based_on_version": 1}
        as_reviewer = await api.post(f"{base}/save-draft", "reviewer", draft)
        refused(as_reviewer, 403, "may not save_draft")
        as_officer = await api.post(f"{base}/approve", "operator-5301", {"version": 1})
        refused(as_officer, 403, "may not approve")
        # An officer does submit, just not while the version is in review: the workflow says.
        in_review = await api.post(f"{base}/submit", "operator-5301", {"version": 1})
        assert in_review.status_code == 409, in_review.text
        assert in_review.headers["content-type"] == PROBLEM
        assert "may not" not in in_review.json()["detail"]
        # The same refusals in Bahasa Indonesia when the client asks for it; the code is
        # the same in both languages.
        indonesian = {**api.token("operator-5301"), "Accept-Language": "id-ID,id;q=0.9,en;q=0.8"}
        for path, body, english, says in (
            (f"{base}/submit", {"version": 1}, in_review, "pada tahap komitmen saat ini"),
            (f"{base}/approve", {"version": 1}, as_officer, "Peran Anda tidak dapat"),
        ):
            asked = await api.http.post(path, json=body, headers=indonesian)
            assert asked.status_code == english.status_code, asked.text
            got, was = asked.json(), english.json()
            assert got["code"] == was["code"] is not None
            assert says in got["detail"] and asked.headers["content-language"] == "id"

        assert (api.audit_rows(), api.commitment_rows()) == before


# 12. POST /cycles takes Kemendagri codes only.
async def test_a_cycle_names_its_regencies_by_kemendagri_code_only(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = f"codes-{uuid.uuid4().hex[:8]}"
        api.k.cycle_id, api.k.codes = cycle, ("53.01",)
        body = {"cycle_id": cycle, "name": "Rakor", "year": await next_year(env)}

        # "5301" is Kabupaten Kupang without its dot, and Sumba Barat's BPS code.
        bps = await api.post("/cycles", "koordinator", dict(body, regency_codes=["5301"]))
        assert fields(bps) == {"regency_codes"}
        assert "Kemendagri" in bps.json()["errors"][0]["message"]
        assert (await api.get(f"/cycles/{cycle}", "manajer")).status_code == 404
        assert api.commitment_rows() == []
        with pytest.raises(RPCError):
            await env.client.get_workflow_handle(cycle_workflow_id(cycle)).describe()

        started = await api.post("/cycles", "koordinator", dict(body, regency_codes=["53.01"]))
        assert started.status_code == 201, started.text
        listed = (await api.get(f"/cycles/{cycle}/commitments", "manajer")).json()
        assert [c["regency_code"] for c in listed] == ["53.01"]


# 17. Integers are strict about booleans.
async def test_whole_numbers_refuse_true_and_false(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], await next_year(dev_server_env))
        base = f"/cycles/{cycle}/commitments/53.01"
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        before = api.audit_rows(), api.commitment_rows()

        # true was version 1, and quarter 1: now each is the field's error.
        submit = await api.post(f"{base}/submit", "operator-5301", {"version": True})
        assert fields(submit) == {"version"}
        verify = await api.post(f"{base}/reports/verify", "reviewer", {"quarter": True})
        assert fields(verify) == {"quarter"}
        # The nested whole numbers too: an item's quarters, a comment's and a report's item.
        item = dict(PLAN["items"][0], due_quarters=[True, 2])
        plan = {"items": [item, *PLAN["items"][1:]]}
        draft = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": plan, "based_on_version": 1}
        )
        assert fields(draft) == {"plan.items[0].due_quarters[0]"}
        comments = {"version": 1, "comments": [{"item_position": False, "text": "Rinci"}]}
        changes = await api.post(f"{base}/request-changes", "reviewer", comments)
        assert fields(changes) == {"comments[0].item_position"}
        progress = {"item_position": True, "status": "belum_mulai", "percent_realised": "0"}
        report = await api.post(
            f"{base}/reports", "operator-5301", {"quarter": 1, "items": [progress]}
        )
        assert fields(report) == {"items[0].item_position"}
        assert (api.audit_rows(), api.commitment_rows()) == before

        sent = await api.post(f"{base}/submit", "operator-5301", {"version": 1})
        assert sent.status_code == 200, sent.text
        assert sent.json()["stage"] == "review"


# A quarter's report opens at 00:00 WITA on the first day of the quarter's last month.
async def test_a_quarterly_report_opens_on_the_first_day_of_the_quarters_last_month(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = await next_year(env)  # the default schedule: signing due 15 February
    opens = at_wita(date(year, 3, 1), 0)
    async with running_api(env.client, db_url, tmp_path) as api:
        base = await submitted(api, year)
        approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
        document = approved.json()["document_hash"]
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            signed = await api.post(f"{base}/sign", signer, {"document_hash": document})
            assert signed.status_code == 200, signed.text
        assert signed.json()["stage"] == "follow_up"
        report = {
            "quarter": 1,
            "items": [{"item_position": 1, "status": "sesuai_jadwal", "percent_realised": "25"}],
        }
        before = api.audit_rows(), api.commitment_rows()

        early = await api.post(f"{base}/reports", "operator-5301", report)
        refused(early, 409, f"the quarter 1 report opens on {year}-03-01")
        # A minute before it opens is still too early.
        await until(env, opens - timedelta(minutes=1))
        last_minute = await api.post(f"{base}/reports", "operator-5301", report)
        refused(last_minute, 409, f"the quarter 1 report opens on {year}-03-01")
        assert (await api.get(f"{base}/reports", "manajer")).json() == []
        assert (api.audit_rows(), api.commitment_rows()) == before

        await until(env, opens)
        accepted = await api.post(f"{base}/reports", "operator-5301", report)
        assert accepted.status_code == 200, accepted.text
        (q1,) = (await api.get(f"{base}/reports", "manajer")).json()
        assert (q1["quarter"], q1["state"], q1["timeliness"]) == (1, "submitted", "on_time")
        assert opens <= datetime.fromisoformat(q1["submitted_at"]) < opens + timedelta(days=1)
        assert api.audit_rows() == before[0] + 1
