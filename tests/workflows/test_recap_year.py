"""A year of 22 regencies and the province on the time-skipping server, and the recap.

Every party signs a plan linking its items to every kind of outcome (SPM service and
SIPD code, IKD priority and indicator, Sendai targets, a Destana village and level,
and the "Lainnya" issue), then reports four quarters; some reports are never sent and
some are sent but never verified. After each quarter, and again at the end for every
quarter, each figure of `services.recap` equals the one computed in
`tests/workflows/recap_story.py` from the same plans and verified reports, and each
drill-down lists exactly the parties and items behind its figure. A regency officer's
recap holds their own regency only. On SQLite and on PostgreSQL.

Then next year's cycle carries the unfinished items over: each party's version 1 is
exactly its items not verified at 100 %, with the last verified realisation. Four
parties sign their carried plans, and the new cycle's first-quarter recap counts them,
all carried, and lists the other parties as not counted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from db import people, reads
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA, at_wita
from domain.catalog import load_catalog
from domain.plan import ActionPlan, CarriedFrom
from domain.reports import QuarterlyReport
from domain.schedule import default_schedule
from domain.stages import Stage
from services import actions, cycles, recap
from services.access import AuthUser
from services.recap import TOTAL, Figure, Kind
from services.schemas import StartCycleIn
from tests.harness import Komitmen, running_komitmen, until
from tests.workflows.recap_story import (
    PROVINCE,
    Figures,
    expected,
    plan_for,
    report_for,
    unfinished,
)
from workflows.commitment import CommitmentWorkflow
from workflows.common import commitment_workflow_id

W = CommitmentWorkflow
PARTIES = (*load_catalog().codes(), PROVINCE)
INDEX = {code: index for index, code in enumerate(PARTIES)}
UNSENT = {(PARTIES[3], 2), (PARTIES[10], 4), (PARTIES[17], 1)}
"""(party, quarter) reports never sent: the quarter locks with the report missing."""
UNVERIFIED = {(PARTIES[5], 3), (PARTIES[12], 1), (PROVINCE, 4)}
"""(party, quarter) reports sent but left waiting for verification."""
SECOND_YEAR_SIGNERS = (PARTIES[0], PARTIES[7], PARTIES[20], PROVINCE)


def slug(code: str) -> str:
    return code.replace(".", "")


def reviewer_of(code: str) -> str:
    """The province reviews its own plan with its own reviewer (docs/province.md)."""
    return "reviewer-53" if code == PROVINCE else "reviewer"


def user(url: str, username: str) -> AuthUser:
    with transaction(session_factory(url)) as session:
        account = people.get_user(session, username=username)
        assert account is not None, username
        return AuthUser.of(account)


async def sign(k: Komitmen, code: str, plan: ActionPlan | None, version: int = 0) -> None:
    """Save `plan` (or keep version `version`), submit, approve and sign it."""
    officer = k.actor(f"operator-{slug(code)}")
    if plan is not None:
        saved = await k.act(
            code, W.save_draft, c.SaveDraft(actor=officer, plan=plan, based_on_version=version)
        )
        version = saved.version
    await k.act(code, W.submit, c.Submit(actor=officer, version=version))
    approved = await k.act(
        code, W.approve, c.Approve(actor=k.actor(reviewer_of(code)), version=version)
    )
    assert approved.document_hash
    for office in ("kalak", "bappeda", "kada"):
        signer = k.actor(f"{office}-{slug(code)}")
        await k.act(code, W.sign, c.Sign(actor=signer, document_hash=approved.document_hash))


def figures_of(got: recap.Figures) -> tuple[object, ...]:
    return (
        got.items,
        got.budget_rp,
        got.realised_rp,
        got.progress_percent or Decimal(0),
        got.done,
        got.carried,
        got.behind_parties,
    )


def wanted(figures: Figures) -> tuple[object, ...]:
    return (
        figures.planned,
        figures.budget,
        figures.realised,
        figures.progress,
        figures.done,
        figures.carried,
        figures.behind,
    )


def compare(got: recap.Recap, want: dict[tuple[str, str], Figures]) -> int:
    """Every group of the recap against the independent figures; how many were compared.
    A group the story has no items for must be empty, and every story group must show."""
    shown = set()
    for section in got.sections:
        for group in [*section.groups, section.total]:
            key = (section.kind.value, group.code)
            shown.add(key)
            assert figures_of(group.figures) == wanted(want.get(key, Figures())), key
            behind_items = group.figures.behind_items
            assert behind_items >= len(group.figures.behind_parties), key
    assert set(want) <= shown, set(want) - shown
    return len(shown)


async def test_a_year_of_23_parties_recapped_and_carried_into_the_next(
    time_skipping_env: WorkflowEnvironment, db_url: str
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    plans = {code: plan_for(code, INDEX[code]) for code in PARTIES}
    verified: dict[str, dict[int, QuarterlyReport]] = {code: {} for code in PARTIES}
    url = db_url
    async with running_komitmen(env.client, url) as k:
        await k.start("rakor-rekap", y, default_schedule(y), list(PARTIES))
        for code in PARTIES:
            await sign(k, code, plans[code])
        manager = user(url, "manajer")
        sessions = session_factory(url)
        with transaction(sessions) as session:
            first = recap.province_recap(session, manager, "rakor-rekap", 1)
        assert first.counted == sorted(PARTIES) and first.not_counted == []
        assert compare(first, expected(plans, verified, 1)) > 50

        for quarter, month in ((1, 3), (2, 6), (3, 9), (4, 12)):
            await until(env, at_wita(date(y, month, 2), 10))  # the quarter's report opens
            for code in PARTIES:
                if (code, quarter) in UNSENT:
                    continue
                report = report_for(INDEX[code], plans[code], quarter)
                officer = k.actor(f"operator-{slug(code)}")
                await k.act(code, W.submit_report, c.SubmitReport(actor=officer, report=report))
                if (code, quarter) in UNVERIFIED:
                    continue
                reviewer = k.actor(reviewer_of(code))
                await k.act(code, W.verify_report, c.VerifyReport(actor=reviewer, quarter=quarter))
                verified[code][quarter] = report
            with transaction(sessions) as session:
                now = recap.province_recap(session, manager, "rakor-rekap", quarter)
            compare(now, expected(plans, verified, quarter))

        # Later reports never change an earlier quarter's recap.
        with transaction(sessions) as session:
            for quarter in (1, 2, 3, 4):
                again = recap.province_recap(session, manager, "rakor-rekap", quarter)
                compare(again, expected(plans, verified, quarter))
            year_end = recap.province_recap(session, manager, "rakor-rekap", 4)
        want = expected(plans, verified, 4)
        # The story is rich enough to mean something: every kind has items, some behind.
        for kind in Kind:
            assert want[(kind.value, TOTAL)].planned > 0, kind
        assert want[("issue_phase", TOTAL)].planned == 4 * len(PARTIES)
        everyone = want[("issue_phase", TOTAL)]
        assert everyone.behind and 0 < everyone.done < everyone.planned

        # Each figure drills down to the parties and items behind it.
        with transaction(sessions) as session:
            for section in year_end.sections:
                for group in [*section.groups, section.total]:
                    figures = want.get((section.kind.value, group.code), Figures())
                    behind = recap.recap_detail(
                        session,
                        manager,
                        "rakor-rekap",
                        4,
                        section.kind,
                        group.code,
                        figure=Figure.BEHIND,
                    )
                    assert {p for p, _, _ in behind.by_party()} == figures.behind
                    assert len(behind.items) == group.figures.behind_items
                    assert all(i.percent < i.expected for i in behind.items)
                    everything = recap.recap_detail(
                        session, manager, "rakor-rekap", 4, section.kind, group.code
                    )
                    assert len(everything.items) == figures.planned
                    assert sum(i.budget_rp for i in everything.items) == figures.budget
                    done = recap.recap_detail(
                        session,
                        manager,
                        "rakor-rekap",
                        4,
                        section.kind,
                        group.code,
                        figure=Figure.DONE,
                    )
                    assert len(done.items) == figures.done

            # An officer's recap is their own regency's, figure for figure.
            kupang = PARTIES[0]
            own = recap.province_recap(
                session, user(url, f"operator-{slug(kupang)}"), "rakor-rekap", 4
            )
            assert own.counted == [kupang]
            compare(own, expected({kupang: plans[kupang]}, verified, 4))

        # Next year: the unfinished items are carried into each party's first draft.
        coordinator = user(url, "koordinator")
        with transaction(sessions) as session:
            body = StartCycleIn(
                cycle_id="rakor-lanjut",
                name="Rakor PB NTT lanjutan",
                year=y + 1,
                regency_codes=list(PARTIES),
                carry_from="rakor-rekap",
            )
            spec = cycles.plan_cycle(session, coordinator, body)
        left = {code: unfinished(plans[code], verified[code]) for code in PARTIES}
        assert cycles.carried_counts(spec) == {code: len(v) for code, v in left.items() if v}
        assert sum(map(len, left.values())) > len(PARTIES)  # the story leaves work over
        k.cycle_id, k.codes = "rakor-lanjut", PARTIES
        await actions.start_cycle(k.client, spec, task_queue=k.task_queue)
        states = {
            code: await k.client.get_workflow_handle(
                commitment_workflow_id(f"rakor-lanjut:{code}")
            ).query(W.current)
            for code in PARTIES
        }
        for code in PARTIES:  # a party with nothing left over starts with no draft
            assert (states[code].stage, states[code].version) == (
                Stage.DRAFTING,
                1 if left[code] else 0,
            ), code
        with transaction(sessions) as session:
            for code in PARTIES:
                if not left[code]:
                    continue
                items = reads.version_items(session, commitment_id=f"rakor-lanjut:{code}", number=1)
                assert [CarriedFrom.model_validate(item.carried_from) for item in items] == [
                    CarriedFrom(cycle_id="rakor-rekap", position=p, realised_percent=percent)
                    for p, percent in left[code]
                ], code

        carried_plans = {}
        for code in SECOND_YEAR_SIGNERS:
            state = states[code]
            assert state.spec.carried is not None, code
            carried_plans[code] = ActionPlan(items=state.spec.carried.items)
            await sign(k, code, None, version=1)
        with transaction(sessions) as session:
            second = recap.province_recap(session, manager, "rakor-lanjut", 1)
        assert second.counted == sorted(SECOND_YEAR_SIGNERS)
        assert [code for code, _ in second.not_counted] == sorted(
            set(PARTIES) - set(SECOND_YEAR_SIGNERS)
        )
        want = expected(carried_plans, {}, 1)
        compare(second, want)
        total = second.section(Kind.ISSUE_PHASE).total.figures
        assert total.carried == total.items == sum(len(left[c]) for c in SECOND_YEAR_SIGNERS)
