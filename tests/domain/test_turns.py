"""Whose turn each action makes it (`domain.turns`), on the same states the workflow keeps."""

from __future__ import annotations

from datetime import date

from domain.commitment import Audience, DeadlineKey
from domain.turns import Turn, TurnKind, page_path, turn_after
from tests.domain.test_commitment import (
    ORDERED_SPEC,
    SIGNATORIES,
    approve,
    decline,
    drafted,
    extend,
    in_follow_up,
    in_review,
    in_signing,
    report,
    request_changes,
    return_report,
    save,
    sign,
    submit,
    verify,
    wita,
)

REVIEWERS = (Audience.REVIEWER,)
OFFICERS = (Audience.REGENCY_OFFICER,)


def test_drafting_and_review_pass_the_plan_between_officer_and_reviewer() -> None:
    state = drafted()
    assert turn_after(save(state, wita(2026, 1, 6)), state) is None
    assert turn_after(submit(state, wita(2026, 1, 6)), state) == Turn(
        kind=TurnKind.SUBMITTED, audiences=REVIEWERS
    )
    assert turn_after(request_changes(state, wita(2026, 1, 7)), state) == Turn(
        kind=TurnKind.CHANGES_REQUESTED, audiences=OFFICERS
    )
    assert (
        turn_after(extend(state, DeadlineKey.DRAFTING, date(2026, 1, 30), wita(2026, 1, 7)), state)
        is None
    )


def test_approval_tells_every_office_and_only_the_last_signature_passes_a_turn() -> None:
    state = in_review()
    approved = turn_after(approve(state, wita(2026, 1, 8)), state)
    assert approved == Turn(
        kind=TurnKind.APPROVED, audiences=(Audience.SIGNATORY,), offices=SIGNATORIES
    )
    assert turn_after(sign(state, "bpbd_head", wita(2026, 1, 9)), state) is None
    declined = turn_after(decline(state, "regional_head", wita(2026, 1, 9)), state)
    assert declined == Turn(kind=TurnKind.DECLINED, audiences=REVIEWERS + OFFICERS)
    # The same version approved again keeps the signature: only the offices left are told.
    again = turn_after(approve(state, wita(2026, 1, 10)), state)
    assert again is not None and again.offices == ("planning_head", "regional_head")
    assert turn_after(sign(state, "planning_head", wita(2026, 1, 11)), state) is None
    assert turn_after(sign(state, "regional_head", wita(2026, 1, 11)), state) == Turn(
        kind=TurnKind.FULLY_SIGNED, audiences=(Audience.REGENCY_OFFICER, Audience.COORDINATOR)
    )


def test_in_ordered_signing_each_office_is_told_in_its_turn() -> None:
    state = in_signing(ORDERED_SPEC)
    told = []
    for office in SIGNATORIES:
        event = sign(state, office, wita(2026, 1, 9))
        told.append(turn_after(event, state))
    assert [t.kind if t else None for t in told] == [
        TurnKind.SIGNED,
        TurnKind.SIGNED,
        TurnKind.FULLY_SIGNED,
    ]
    assert [t.offices if t else None for t in told] == [("planning_head",), ("regional_head",), ()]
    state = in_review(ORDERED_SPEC)
    first = turn_after(approve(state, wita(2026, 1, 8)), state)
    assert first is not None and first.offices == ("bpbd_head",)


def test_reports_pass_between_officer_and_reviewer() -> None:
    state = in_follow_up()
    submitted = turn_after(report(state, 1, wita(2026, 3, 10)), state)
    assert submitted == Turn(kind=TurnKind.REPORT_SUBMITTED, audiences=REVIEWERS)
    returned = turn_after(return_report(state, 1, wita(2026, 3, 11)), state)
    assert returned == Turn(kind=TurnKind.REPORT_RETURNED, audiences=OFFICERS)
    report(state, 1, wita(2026, 3, 12))
    verified = turn_after(verify(state, 1, wita(2026, 3, 13)), state)
    assert verified == Turn(kind=TurnKind.REPORT_VERIFIED, audiences=OFFICERS)


def test_the_page_path_is_the_apps_commitment_page() -> None:
    # The route is api/pages/commitment.py's PAGE; tests/workflows/test_turns.py opens it.
    assert page_path("rakor-2026", "53.01") == "/cycles/rakor-2026/commitments/53.01/page"
