"""Stages of a commitment and the transition table that governs them.

The table is data: each (stage, action) pair names the roles allowed to take it
and the stage it leads to. Conditional outcomes (the last signature moves the
commitment on, earlier ones keep it in signing) are resolved by the caller and
recorded here as the set of stages an action may lead to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.display import Language
from domain.refusals import RefusalCode as R
from domain.refusals import refused
from domain.roles import Actor, Role, reviews
from domain.words import NC_, by_language


class Stage(StrEnum):
    """Where a regency's commitment stands."""

    DRAFTING = "drafting"
    REVIEW = "review"
    SIGNING = "signing"
    FOLLOW_UP = "follow_up"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True once nothing more can happen to the commitment."""
        return self in TERMINAL


TERMINAL = frozenset({Stage.COMPLETED, Stage.WITHDRAWN, Stage.CANCELLED})

STAGE_LABELS_WORDS = {
    Stage.DRAFTING: NC_("stage.drafting", "Draft"),
    Stage.REVIEW: NC_("stage.review", "In review"),
    Stage.SIGNING: NC_("stage.signing", "Approved, awaiting signatures"),
    Stage.FOLLOW_UP: NC_("stage.follow_up", "Follow-up"),
    Stage.COMPLETED: NC_("stage.completed", "Completed"),
    Stage.WITHDRAWN: NC_("stage.withdrawn", "Withdrawn from the cycle"),
    Stage.CANCELLED: NC_("stage.cancelled", "Cancelled"),
}
STAGE_LABELS: dict[Language, dict[Stage, str]] = by_language(STAGE_LABELS_WORDS)
"""Each stage's one label, in every language (`domain.words`)."""


class Action(StrEnum):
    """A human action on a commitment."""

    SAVE_DRAFT = "save_draft"
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    SIGN = "sign"
    DECLINE = "decline"
    SUBMIT_REPORT = "submit_report"
    VERIFY_REPORT = "verify_report"
    RETURN_REPORT = "return_report"
    EXTEND_DEADLINE = "extend_deadline"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Rule:
    """Who may take an action in a stage, and where it may lead."""

    roles: frozenset[Role]
    leads_to: frozenset[Stage]


def _rule(roles: set[Role], *leads_to: Stage) -> Rule:
    return Rule(frozenset(roles), frozenset(leads_to))


_OPEN = (Stage.DRAFTING, Stage.REVIEW, Stage.SIGNING, Stage.FOLLOW_UP)
_OFFICER = {Role.REGENCY_OFFICER}
_REVIEWER = {Role.REVIEWER}
_COORDINATOR = {Role.COORDINATOR}

TRANSITIONS: dict[tuple[Stage, Action], Rule] = {
    (Stage.DRAFTING, Action.SAVE_DRAFT): _rule(_OFFICER, Stage.DRAFTING),
    (Stage.DRAFTING, Action.SUBMIT): _rule(_OFFICER, Stage.REVIEW),
    (Stage.REVIEW, Action.APPROVE): _rule(_REVIEWER, Stage.SIGNING),
    (Stage.REVIEW, Action.REQUEST_CHANGES): _rule(_REVIEWER, Stage.DRAFTING),
    (Stage.SIGNING, Action.SIGN): _rule({Role.SIGNATORY}, Stage.SIGNING, Stage.FOLLOW_UP),
    (Stage.SIGNING, Action.DECLINE): _rule({Role.SIGNATORY}, Stage.REVIEW),
    (Stage.FOLLOW_UP, Action.SUBMIT_REPORT): _rule(_OFFICER, Stage.FOLLOW_UP),
    (Stage.FOLLOW_UP, Action.VERIFY_REPORT): _rule(_REVIEWER, Stage.FOLLOW_UP, Stage.COMPLETED),
    (Stage.FOLLOW_UP, Action.RETURN_REPORT): _rule(_REVIEWER, Stage.FOLLOW_UP),
    **{(s, Action.EXTEND_DEADLINE): _rule(_COORDINATOR, s) for s in _OPEN},
    **{(s, Action.WITHDRAW): _rule(_COORDINATOR, Stage.WITHDRAWN) for s in _OPEN},
}


def check_transition(stage: Stage, action: Action, actor: Actor, regency_code: str) -> Rule:
    """Return the rule for taking `action` now, or raise TransitionRefused saying why."""
    # Scope first: someone from another regency learns nothing about this commitment.
    if not actor.may_act_for(regency_code):
        raise refused(
            R.OUT_OF_REGENCY, name=actor.name, own=str(actor.regency_code), regency=regency_code
        )
    rule = TRANSITIONS.get((stage, action))
    if rule is None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == stage)
        raise refused(
            R.WRONG_STAGE,
            action=action.value,
            stage=stage.value,
            allowed=f"; allowed now: {', '.join(allowed)}" if allowed else "",
        )
    if actor.role not in rule.roles:
        roles = ", ".join(sorted(r.value for r in rule.roles))
        raise refused(R.WRONG_ROLE, role=actor.role.value, action=action.value, roles=roles)
    if actor.role is Role.REVIEWER and not reviews(actor.role, actor.regency_code, regency_code):
        raise refused(R.NOT_PARTY_REVIEWER, name=actor.name, regency=regency_code)
    return rule


def leads_to(stage: Stage, action: Action, target: Stage | None = None) -> Stage:
    """The stage `action` takes a commitment to from `stage`, as the table says.

    An action with one outcome needs no `target`; one with several (the last
    signature, the last verified report) names the outcome, and the table must
    allow it. The `apply_*` functions take their targets from here, so the table
    is enforced, not only documented; a disagreement is a bug and raises at once.
    """
    allowed = TRANSITIONS[(stage, action)].leads_to
    if target is None:
        if len(allowed) != 1:
            raise ValueError(f"{action.value} from {stage.value} may lead to several stages")
        (target,) = allowed
    if target not in allowed:
        raise ValueError(f"{action.value} from {stage.value} does not lead to {target.value}")
    return target


def roles_for(action: Action) -> frozenset[Role]:
    """Every role the table lets take `action` in some stage: who may ever take it."""
    return frozenset(
        role for (_, a), rule in TRANSITIONS.items() if a == action for role in rule.roles
    )
