"""A commitment from draft to follow-up over HTTP, with refusals, bad input and scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import running_api
from tests.schedules import reporting_cycle

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
PROBLEM = "application/problem+json"


async def test_login_and_logout(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        api.set_password("operator-5301", "kata-sandi-panjang")
        wrong = await api.http.post(
            "/auth/token", json={"username": "operator-5301", "password": "salah"}
        )
        assert wrong.status_code == 401
        assert wrong.headers["content-type"] == PROBLEM
        assert wrong.json()["detail"] == "wrong username or password"
        unknown = await api.http.post("/auth/token", json={"username": "nobody", "password": "x"})
        assert unknown.status_code == 401

        login = await api.http.post(
            "/auth/token", json={"username": "operator-5301", "password": "kata-sandi-panjang"}
        )
        assert login.status_code == 201, login.text
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = await api.http.get("/auth/me", headers=headers)
        assert me.json()["regency_code"] == "53.01"

        assert (await api.http.get("/cycles")).status_code == 401
        bogus = await api.http.get("/cycles", headers={"Authorization": "Bearer nope"})
        assert bogus.status_code == 401
        assert bogus.headers["www-authenticate"] == "Bearer"

        assert (await api.http.delete("/auth/token", headers=headers)).status_code == 204
        revoked = await api.http.get("/cycles", headers=headers)
        assert revoked.status_code == 401
        assert revoked.json()["detail"] == "the token is unknown or revoked"


async def test_a_commitment_from_draft_to_follow_up(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    # Last year's cycle: its first-quarter report is open today (see reporting_cycle).
    year, schedule = reporting_cycle(await env.get_current_time())
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year, schedule.model_dump(mode="json"))
        base = f"/cycles/{cycle}/commitments/53.01"

        again = await api.post(
            "/cycles",
            "koordinator",
            {"cycle_id": cycle, "name": "Rakor", "year": year, "regency_codes": ["53.01"]},
        )
        assert again.status_code == 409
        not_coordinator = await api.post(
            "/cycles", "reviewer", {"cycle_id": "other", "name": "Rakor", "year": year}
        )
        assert not_coordinator.status_code == 403

        # A refused transition carries the workflow's reason.
        refused = await api.post(f"{base}/submit", "operator-5301", {"version": 1})
        assert refused.status_code == 409
        assert refused.headers["content-type"] == PROBLEM
        assert "save a draft first" in refused.json()["detail"]

        # Bad input names every bad field.
        bad = dict(PLAN, items=[dict(PLAN["items"][0], due_quarters=[5]), *PLAN["items"][1:]])
        bad["items"][2] = dict(bad["items"][2], target_value="-1")
        invalid = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": bad, "based_on_version": -1}
        )
        assert invalid.status_code == 422
        fields = {e["field"] for e in invalid.json()["errors"]}
        assert fields == {
            "plan.items[0].due_quarters",
            "plan.items[2].target_value",
            "based_on_version",
        }
        actor_sent = await api.post(
            f"{base}/submit", "operator-5301", {"version": 1, "actor": {"name": "x"}}
        )
        assert actor_sent.status_code == 422
        assert actor_sent.json()["errors"][0]["field"] == "actor"

        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == 1
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success
        changes = await api.post(
            f"{base}/request-changes",
            "reviewer",
            {"version": 1, "comments": [{"item_position": 2, "text": "Rinci target IKD"}]},
        )
        assert changes.json()["stage"] == "drafting"

        edited = dict(PLAN, items=[PLAN["items"][0], dict(PLAN["items"][1], target_value="2")])
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": edited, "based_on_version": 1}
        )
        assert saved.json()["version"] == 2
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 2})).is_success
        approved = await api.post(f"{base}/approve", "reviewer", {"version": 2})
        assert approved.json()["stage"] == "signing"
        document = approved.json()["document_hash"]

        # An officer of Kota Kupang can neither read nor act for Kabupaten Kupang.
        before = api.audit_rows()
        rows = api.commitment_rows()
        outsider = await api.post(f"{base}/sign", "kalak-5371", {"document_hash": document})
        assert outsider.status_code == 403
        assert "53.71" in outsider.json()["detail"]
        assert (await api.get(base, "operator-5371")).status_code == 403
        other = await api.post(f"{base}/submit", "operator-5371", {"version": 2})
        assert other.status_code == 403
        assert api.audit_rows() == before and api.commitment_rows() == rows

        for signer in ("kalak-5301", "bappeda-5301"):
            signed = await api.post(f"{base}/sign", signer, {"document_hash": document})
            assert signed.json()["stage"] == "signing", signed.text
        twice = await api.post(f"{base}/sign", "kalak-5301", {"document_hash": document})
        assert twice.status_code == 409 and "already signed" in twice.json()["detail"]
        # The demo directory's Bupati Kupang is a Plt. on record: naming it only agrees.
        last = await api.post(
            f"{base}/sign", "kada-5301", {"document_hash": document, "acting": "plt"}
        )
        assert last.json()["stage"] == "follow_up"

        commitment = (await api.get(base, "operator-5301")).json()
        assert commitment["stage"] == "follow_up" and commitment["document_hash"] == document
        versions = (await api.get(f"{base}/versions", "manajer")).json()
        assert [(v["number"], v["round"]) for v in versions] == [(1, 1), (2, 2)]
        items = (await api.get(f"{base}/versions/2/items", "manajer")).json()
        assert [i["position"] for i in items] == [1, 2]
        diff = (await api.get(f"{base}/diff", "reviewer", **{"from": 1, "to": 2})).json()
        kinds = {(ch["position"], ch["change"]) for ch in diff["changes"]}
        assert (2, "changed") in kinds and (3, "removed") in kinds
        changed = next(ch for ch in diff["changes"] if ch["position"] == 2)
        assert changed["fields"]["target_value"] == ["1.00", "2.00"]
        assert (await api.get(f"{base}/versions/9/items", "manajer")).status_code == 404
        comments = (await api.get(f"{base}/comments", "operator-5301")).json()
        assert [(x["item_position"], x["text"]) for x in comments] == [(2, "Rinci target IKD")]
        signatures = (await api.get(f"{base}/signatures", "kada-5301")).json()
        assert [s["acting"] for s in signatures] == ["definitive", "definitive", "plt"]
        assert {s["document_hash"] for s in signatures} == {document}
        audit = (await api.get(f"{base}/audit", "operator-5301")).json()
        assert [a["action"] for a in audit] == [
            "started",
            "save_draft",
            "submit",
            "request_changes",
            "save_draft",
            "submit",
            "approve",
            "sign",
            "sign",
            "sign",
        ]
        assert audit[-1]["actor_role"] == "signatory"
        assert (await api.get(f"{base}/reminders", "manajer")).status_code == 200

        report = {
            "quarter": 1,
            "items": [{"item_position": 1, "status": "sesuai_jadwal", "percent_realised": "25"}],
        }
        submitted = await api.post(f"{base}/reports", "operator-5301", report)
        assert submitted.status_code == 200, submitted.text
        verified = await api.post(f"{base}/reports/verify", "reviewer", {"quarter": 1})
        assert verified.status_code == 200, verified.text
        reports = (await api.get(f"{base}/reports", "operator-5301")).json()
        assert [(r["quarter"], r["state"]) for r in reports] == [(1, "verified")]

        board = (await api.get(f"/cycles/{cycle}/commitments", "operator-5371")).json()
        assert [b["regency_code"] for b in board] == ["53.71"]
        board = (await api.get(f"/cycles/{cycle}/commitments", "manajer")).json()
        assert [b["regency_code"] for b in board] == ["53.01", "53.71"]
        assert (await api.get(f"/cycles/{cycle}/audit", "operator-5301")).status_code == 403

        withdrawn = await api.post(
            f"/cycles/{cycle}/commitments/53.71/withdraw", "koordinator", {"reason": "Ditunda"}
        )
        assert withdrawn.json()["stage"] == "withdrawn"
        ended = await api.post(
            f"/cycles/{cycle}/commitments/53.71/extend",
            "koordinator",
            {"key": "drafting", "until": f"{year}-03-01", "reason": "x"},
        )
        assert ended.status_code == 409 and "has ended" in ended.json()["detail"]
