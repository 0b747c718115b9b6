"""Table tests of the transition table: every stage, action, role and regency scope."""

from __future__ import annotations

import itertools

import pytest

from domain.display import LANGUAGES, Language
from domain.errors import TransitionRefused
from domain.roles import Actor, Role
from domain.stages import STAGE_LABELS, TRANSITIONS, Action, Stage, check_transition

REGENCY = "53.01"
OTHER_REGENCY = "53.02"

D, R, S, F = Stage.DRAFTING, Stage.REVIEW, Stage.SIGNING, Stage.FOLLOW_UP
OFFICER, REVIEWER, COORDINATOR, SIGNATORY = (
    Role.REGENCY_OFFICER,
    Role.REVIEWER,
    Role.COORDINATOR,
    Role.SIGNATORY,
)

# Written out by hand on purpose: if TRANSITIONS changes, these tests must fail.
# (stage, action) -> (roles allowed, stages it may lead to)
EXPECTED: dict[tuple[Stage, Action], tuple[set[Role], set[Stage]]] = {
    (D, Action.SAVE_DRAFT): ({OFFICER}, {D}),
    (D, Action.SUBMIT): ({OFFICER}, {R}),
    (D, Action.EXTEND_DEADLINE): ({COORDINATOR}, {D}),
    (D, Action.WITHDRAW): ({COORDINATOR}, {Stage.WITHDRAWN}),
    (R, Action.APPROVE): ({REVIEWER}, {S}),
    (R, Action.REQUEST_CHANGES): ({REVIEWER}, {D}),
    (R, Action.EXTEND_DEADLINE): ({COORDINATOR}, {R}),
    (R, Action.WITHDRAW): ({COORDINATOR}, {Stage.WITHDRAWN}),
    (S, Action.SIGN): ({SIGNATORY}, {S, F}),
    (S, Action.DECLINE): ({SIGNATORY}, {R}),
    (S, Action.EXTEND_DEADLINE): ({COORDINATOR}, {S}),
    (S, Action.WITHDRAW): ({COORDINATOR}, {Stage.WITHDRAWN}),
    (F, Action.SUBMIT_REPORT): ({OFFICER}, {F}),
    (F, Action.VERIFY_REPORT): ({REVIEWER}, {F, Stage.COMPLETED}),
    (F, Action.RETURN_REPORT): ({REVIEWER}, {F}),
    (F, Action.EXTEND_DEADLINE): ({COORDINATOR}, {F}),
    (F, Action.WITHDRAW): ({COORDINATOR}, {Stage.WITHDRAWN}),
}
REGENCY_ROLES = {Role.REGENCY_OFFICER, Role.SIGNATORY}

# The regency an actor is bound to: its own, another one, or none at all.
SCOPES: dict[str, str | None] = {"own": REGENCY, "other": OTHER_REGENCY, "none": None}


def actor(role: Role, scope: str) -> Actor:
    return Actor(name=f"{role.value} ({scope})", role=role, regency_code=SCOPES[scope])


CASES = list(itertools.product(Stage, Action, Role, SCOPES))


@pytest.mark.parametrize(
    ("stage", "action", "role", "scope"),
    CASES,
    ids=[f"{s.value}-{a.value}-{r.value}-{sc}" for s, a, r, sc in CASES],
)
def test_check_transition(stage: Stage, action: Action, role: Role, scope: str) -> None:
    person = actor(role, scope)
    # Scope is checked first, so another regency's people learn nothing of this one. A
    # reviewer bound to a party (the province plan's own) covers that party only.
    if (role in REGENCY_ROLES and scope != "own") or (role is Role.REVIEWER and scope == "other"):
        with pytest.raises(TransitionRefused) as refused:
            check_transition(stage, action, person, REGENCY)
        assert refused.value.reason == (
            f"{person.name} acts for regency {SCOPES[scope]}, not {REGENCY}"
        )
        return
    expected = EXPECTED.get((stage, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            check_transition(stage, action, person, REGENCY)
        assert f"cannot {action.value}" in refused.value.reason
        assert f"stage '{stage.value}'" in refused.value.reason
        return
    roles, leads_to = expected
    if role not in roles:
        with pytest.raises(TransitionRefused) as refused:
            check_transition(stage, action, person, REGENCY)
        assert f"role '{role.value}' may not {action.value}" in refused.value.reason
        assert all(r.value in refused.value.reason for r in roles)
        return
    rule = check_transition(stage, action, person, REGENCY)
    assert rule.roles == roles
    assert rule.leads_to == leads_to


def test_table_has_exactly_the_expected_pairs() -> None:
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        (D, "extend_deadline, save_draft, submit, withdraw"),
        (R, "approve, extend_deadline, request_changes, withdraw"),
        (S, "decline, extend_deadline, sign, withdraw"),
        (F, "extend_deadline, return_report, submit_report, verify_report, withdraw"),
    ],
)
def test_refusal_by_stage_lists_what_is_allowed_now(stage: Stage, allowed: str) -> None:
    # VERIFY_REPORT is allowed only in follow-up, SAVE_DRAFT only in drafting.
    action = Action.SAVE_DRAFT if stage == F else Action.VERIFY_REPORT
    with pytest.raises(TransitionRefused) as refused:
        check_transition(stage, action, actor(Role.COORDINATOR, "none"), REGENCY)
    assert refused.value.reason.endswith(f"; allowed now: {allowed}")


@pytest.mark.parametrize("stage", [Stage.COMPLETED, Stage.WITHDRAWN, Stage.CANCELLED])
def test_refusal_in_terminal_stage_lists_nothing(stage: Stage) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_transition(stage, Action.WITHDRAW, actor(Role.COORDINATOR, "none"), REGENCY)
    assert refused.value.reason == f"cannot withdraw a commitment in stage '{stage.value}'"


@pytest.mark.parametrize(
    ("stage", "terminal"),
    [
        (Stage.DRAFTING, False),
        (Stage.REVIEW, False),
        (Stage.SIGNING, False),
        (Stage.FOLLOW_UP, False),
        (Stage.COMPLETED, True),
        (Stage.WITHDRAWN, True),
        (Stage.CANCELLED, True),
    ],
)
def test_is_terminal(stage: Stage, terminal: bool) -> None:
    assert stage.is_terminal is terminal


@pytest.mark.parametrize(
    ("role", "regency_role"),
    [
        (Role.COORDINATOR, False),
        (Role.REVIEWER, False),
        (Role.MANAGER, False),
        (Role.REGENCY_OFFICER, True),
        (Role.SIGNATORY, True),
    ],
)
def test_is_regency_role(role: Role, regency_role: bool) -> None:
    assert role.is_regency_role is regency_role


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_stage_has_a_label(language: Language) -> None:
    labels = STAGE_LABELS[language]
    assert set(labels) == set(Stage)
    assert all(label.strip() for label in labels.values())
    assert len(set(labels.values())) == len(Stage)


def test_labels_exist_in_exactly_two_languages() -> None:
    assert set(STAGE_LABELS) == {"id", "en"}
    assert STAGE_LABELS["id"][Stage.REVIEW] == "Dalam Reviu"
    assert STAGE_LABELS["en"][Stage.REVIEW] == "In review"
    # The words BPBD staff use.
    assert STAGE_LABELS["id"][Stage.FOLLOW_UP] == "Tindak Lanjut"
    assert STAGE_LABELS["id"][Stage.WITHDRAWN] == "Dikeluarkan dari siklus"


PROVINCE = "53"
REVIEW_ACTIONS = {
    (R, Action.APPROVE),
    (R, Action.REQUEST_CHANGES),
    (F, Action.VERIFY_REPORT),
    (F, Action.RETURN_REPORT),
}


@pytest.mark.parametrize(("stage", "action"), sorted(REVIEW_ACTIONS))
def test_the_province_plan_is_reviewed_by_its_own_reviewer_only(
    stage: Stage, action: Action
) -> None:
    """BPBD Provinsi's reviewers (no party) review the regencies, never the province's own
    plan; a reviewer bound to the province reviews it, and no regency's."""
    bpbd = Actor(name="Reviewer BPBD", role=Role.REVIEWER)
    own = Actor(name="Inspektorat", role=Role.REVIEWER, regency_code=PROVINCE)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(stage, action, bpbd, PROVINCE)
    assert refused.value.code == "not_party_reviewer"
    assert check_transition(stage, action, own, PROVINCE).roles == {Role.REVIEWER}
    assert check_transition(stage, action, bpbd, REGENCY).roles == {Role.REVIEWER}
    with pytest.raises(TransitionRefused) as refused:
        check_transition(stage, action, own, REGENCY)
    assert refused.value.code == "out_of_regency"


def test_the_province_plan_is_drafted_and_signed_by_its_own_people() -> None:
    """The province is a party like a regency: its officers and signatories act for "53"."""
    officer = Actor(name="Operator BPBD Provinsi", role=Role.REGENCY_OFFICER, regency_code=PROVINCE)
    assert check_transition(D, Action.SAVE_DRAFT, officer, PROVINCE).roles == {OFFICER}
    with pytest.raises(TransitionRefused):
        check_transition(D, Action.SAVE_DRAFT, officer, REGENCY)
