"""The demo: its directory of people, and `komitmen demo` playing a compressed cycle."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from db import mail, reads
from db.session import session_factory, transaction
from domain.catalog import Office, load_catalog
from domain.roles import Acting, Role
from komitmen.cli.demo import demo_cycle_id, start_demo
from komitmen.demo import DEMO_PASSWORD, demo_users, seed_demo_users
from services.signin import authenticate, hash_password
from tests.databases import sqlite_database
from tests.harness import running_komitmen, until


def test_every_regency_has_an_officer_and_three_signatories() -> None:
    users = demo_users(load_catalog())
    per_regency = Counter(
        u.regency_code for u in users if u.regency_code and u.regency_code != "53"
    )
    assert len(per_regency) == 22 and set(per_regency.values()) == {4}
    # The province as a party: an officer, its three signatories and its own reviewer.
    province = {u.username: (u.role, u.office) for u in users if u.regency_code == "53"}
    assert province == {
        "operator-53": (Role.REGENCY_OFFICER, None),
        "kalak-53": (Role.SIGNATORY, Office.BPBD_HEAD),
        "bappeda-53": (Role.SIGNATORY, Office.PLANNING_HEAD),
        "kada-53": (Role.SIGNATORY, Office.REGIONAL_HEAD),
        "reviewer-53": (Role.REVIEWER, None),
    }
    assert {u.username for u in users if u.regency_code is None} == {
        "koordinator",
        "reviewer",
        "manajer",
    }
    # The demo's first story signs with a Plt. regent on record; everyone else is definitive.
    assert {u.username: u.acting for u in users if u.acting != Acting.DEFINITIVE} == {
        "kada-5301": Acting.PLT
    }


def test_seeding_twice_adds_nobody_and_demo_people_sign_in(db_url: str) -> None:
    sessions = session_factory(db_url)
    with transaction(sessions) as session:
        assert seed_demo_users(session, load_catalog(), hash_password(DEMO_PASSWORD)) == 96
    with transaction(sessions) as session:
        assert seed_demo_users(session, load_catalog()) == 0
        assert authenticate(session, username="kada-5371", password=DEMO_PASSWORD)
        assert authenticate(session, username="kada-5371", password="bukan-sandi") is None


# --- `komitmen demo`: a compressed cycle, played against a real worker ------------------

FIVE = load_catalog().codes()[:5]
FULL, WAITING, IDLE, REVIEW_LATE, DECLINED = FIVE


async def test_the_demo_shows_every_stage_reminders_and_escalation(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The people act on a day of one second; the timers then remind, overdue and escalate."""
    env = time_skipping_env
    day = timedelta(seconds=1)
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, outbox=tmp_path / "outbox") as k:
            now = await env.get_current_time()
            k.cycle_id, k.codes = demo_cycle_id(now), tuple(FIVE)
            settings = k.settings.model_copy(update={"temporal_task_queue": k.task_queue})
            demo = await start_demo(env.client, settings, now=now, regencies=5, day_length=day)
            spec = await demo.play()
            # Past the never-drafted one's escalation to the managers (D+7 = day 15) and the
            # signing deadline (day 16); the people finished on day 6.5.
            await until(env, now + 16.5 * day)

            with transaction(session_factory(url)) as session:
                rows = {
                    r.regency_code: r
                    for r in reads.list_commitments(session, cycle_id=spec.cycle_id)
                }
                full = rows[FULL].id
                reports = reads.list_reports(session, commitment_id=full)
                signatures = {
                    code: len(reads.list_signatures(session, commitment_id=rows[code].id))
                    for code in (FULL, WAITING, DECLINED)
                }
                acting = {
                    s.office: s.acting for s in reads.list_signatures(session, commitment_id=full)
                }
                declined = [
                    e.action
                    for e in reads.list_audit(
                        session, cycle_id=spec.cycle_id, stream=rows[DECLINED].id
                    )
                ]
                sent = {
                    (r.commitment_id.rsplit(":", 1)[1], r.kind, r.deadline_key, r.days, r.recipient)
                    for r in mail.list_reminders(session, cycle_id=spec.cycle_id)
                }
                stages = {code: row.stage for code, row in rows.items()}
                overdue = {code for code, row in rows.items() if row.overdue_since is not None}
                versions = (rows[FULL].latest_version, rows[FULL].round)

    assert stages == {
        FULL: "follow_up",
        WAITING: "signing",
        IDLE: "drafting",
        REVIEW_LATE: "review",
        DECLINED: "follow_up",
    }
    assert versions == (2, 2)
    assert [(r.quarter, r.state, r.timeliness) for r in reports] == [(1, "verified", "on_time")]
    assert signatures == {FULL: 3, WAITING: 1, DECLINED: 3}
    # The regent signs as Plt. because the record says so, not because the demo claims it.
    assert acting == {
        "bpbd_head": "definitive",
        "planning_head": "definitive",
        "regional_head": "plt",
    }
    assert "decline" in declined
    assert overdue == {WAITING, IDLE, REVIEW_LATE}

    idle = IDLE.replace(".", "")
    for days in (7, 3, 1):
        assert (IDLE, "digest", "drafting", days, f"operator-{idle}@example.org") in sent
    assert (IDLE, "escalation", "drafting", -1, f"kalak-{idle}@example.org") in sent
    assert (IDLE, "escalation", "drafting", -7, "manajer@example.org") in sent
    assert (REVIEW_LATE, "digest", "review", 1, "reviewer@example.org") in sent
    assert (REVIEW_LATE, "escalation", "review", -1, "manajer@example.org") in sent
    # Only the offices still to sign are reminded.
    waiting = WAITING.replace(".", "")
    assert (WAITING, "digest", "signing", 7, f"kada-{waiting}@example.org") in sent
    # (Each office was told at approval that it was its turn: a turn notice, not a reminder.)
    assert not any(
        s[0] == WAITING and s[1] != "turn" and s[4] == f"kalak-{waiting}@example.org" for s in sent
    )
    escalated = [
        path.name
        for path in (tmp_path / "outbox").glob("escalation.*.eml")
        if b"To: kalak-" + idle.encode() in path.read_bytes()
    ]
    assert len(escalated) == 1

    said = capsys.readouterr().out
    assert f"/cycles/{spec.cycle_id}/board" in said
    assert f"workflows?query=Cycle%3D%27{spec.cycle_id}%27" in said
    assert "manajer" in said and DEMO_PASSWORD in said
    assert "reported Triwulan I" in said and "declined to sign" in said
