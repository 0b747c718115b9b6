"""Human actions as Temporal client calls, shared by the JSON API, the pages and the CLI.

Every action is a Workflow Update, named by the workflow's method (a type checker
follows it): the workflow's validator refuses an invalid one before anything is
written, and the refusal comes back here as `ActionRefused`. `STEPS` says, for each
action a person takes on a commitment, which body it reads, which update it sends
and how the body and the person become the workflow's request.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain import commitment as c
from domain.calendar import load_calendar
from domain.catalog import Catalog, load_catalog
from domain.cycle import DEFAULT_SIGNATORIES, CancelCycle, CycleSpec, CycleStatus, RegencyRef
from domain.errors import UnknownRegency
from domain.outcomes import villages_outside
from domain.plan import ActionPlan
from domain.refusals import RefusalCode, refused
from domain.reports import QuarterlyReport
from domain.roles import Actor, Role, reviews
from domain.schedule import ScheduleSpec, resolve_schedule
from domain.stages import Action, roles_for
from services import schemas as s
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.errors import ActionRefused, FieldRefused, OutOfScope, Unprocessable
from services.settings import Settings
from workflows.commitment import ActionResult, CommitmentWorkflow
from workflows.common import commitment_workflow_id, cycle_workflow_id
from workflows.cycle import CycleInput, CycleWorkflow


def build_cycle_spec(
    *,
    cycle_id: str,
    name: str,
    year: int,
    catalog: Catalog,
    schedule: ScheduleSpec,
    started_by: Actor,
    regency_codes: Sequence[str] = (),
    signatories: Sequence[str] = DEFAULT_SIGNATORIES,
    ordered_signing: bool = False,
    signature_method: c.SignatureMethod = c.SignatureMethod.CONFIRMED,
) -> CycleSpec:
    """Resolve a coordinator's request into a cycle spec: regencies, dates and holidays."""
    regencies = [catalog.get(code) for code in regency_codes] or list(catalog.regencies)
    # Deadlines run into January of the next year (the fourth quarter's report).
    calendar = load_calendar(range(year - 1, year + 2))
    return CycleSpec(
        cycle_id=cycle_id,
        name=name,
        year=year,
        regencies=tuple(RegencyRef(code=r.kemendagri_code, name=r.name) for r in regencies),
        signatories=tuple(signatories),
        ordered_signing=ordered_signing,
        signature_method=signature_method,
        schedule_rules=schedule,
        schedule=resolve_schedule(schedule, year, calendar),
        calendar=calendar,
        started_by=started_by,
    )


async def start_cycle(
    client: Client, spec: CycleSpec, *, task_queue: str, digest_window_minutes: int = 15
) -> bool:
    """Start the cycle and wait for its commitments; False if it was started before."""
    if spec.started_by.role != Role.COORDINATOR:
        raise ActionRefused(
            f"role '{spec.started_by.role.value}' may not start a cycle; needs coordinator"
        )
    started = True
    try:
        await client.start_workflow(
            CycleWorkflow.run,
            CycleInput(spec=spec, digest_window_minutes=digest_window_minutes),
            id=cycle_workflow_id(spec.cycle_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        started = False
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(spec.cycle_id))
    await handle.execute_update(CycleWorkflow.ready)
    return started


R = TypeVar("R", bound=BaseModel)
B = TypeVar("B", bound=BaseModel)

Update = UpdateMethodMultiParam[[CommitmentWorkflow, R], ActionResult]
"""A commitment workflow's update method, e.g. `CommitmentWorkflow.sign`."""


async def start_configured_cycle(client: Client, spec: CycleSpec, settings: Settings) -> bool:
    """Start the cycle on the configured task queue and digest window; False if it existed."""
    return await start_cycle(
        client,
        spec,
        task_queue=settings.temporal_task_queue,
        digest_window_minutes=settings.digest_window_minutes,
    )


async def act(
    client: Client,
    commitment_id: str,
    update: Update[R],
    request: R,
    *,
    update_id: str | None = None,
) -> ActionResult:
    """Send one human action to a commitment; raise ActionRefused with the workflow's reason.

    Updates sent with the same `update_id` to the same workflow run are one update:
    Temporal answers a repeat with the first one's result.
    """
    handle = client.get_workflow_handle_for(
        CommitmentWorkflow.run, commitment_workflow_id(commitment_id)
    )
    # A run that continues as new (after each quarter locks) answers an update that reaches
    # it mid-way "already completed"; the next run takes it. The same update id makes the
    # retry the same update, so it is never applied twice.
    update_id = update_id or str(uuid.uuid4())
    for pause in (0.1, 0.3, 1.0, None):
        try:
            return await handle.execute_update(update, request, id=update_id)
        except WorkflowUpdateFailedError as failed:
            raise _refusal(failed) from None
        except RPCError as gone:
            if gone.status != RPCStatusCode.NOT_FOUND:
                raise
            if pause is not None:
                await asyncio.sleep(pause)
    # Still no run: the commitment's workflow has ended (its last quarter locked, it was
    # withdrawn or cancelled) since it was found open, which is where the commitment is.
    ended = refused(RefusalCode.COMMITMENT_ENDED)
    raise ActionRefused(ended.reason, ended.code, ended.params)


@dataclass(frozen=True)
class Step(Generic[B]):
    """One action on a commitment: the body it reads, and the update it sends."""

    body: type[B]
    update: Update[Any]
    request: Callable[[AuthUser, B], BaseModel]


def _report(user: AuthUser, body: s.SubmitReportIn) -> BaseModel:
    report = QuarterlyReport(quarter=body.quarter, items=body.items)
    return c.SubmitReport(actor=user.actor(), report=report)


def _copying(request: type[BaseModel], *fields: str) -> Callable[[AuthUser, Any], BaseModel]:
    """The workflow request made of the person as actor and these fields of the body."""

    def made(user: AuthUser, body: Any) -> BaseModel:
        return request(actor=user.actor(), **{f: getattr(body, f) for f in fields})

    return made


W = CommitmentWorkflow
STEPS: dict[Action, Step[Any]] = {
    Action.SAVE_DRAFT: Step(
        s.SaveDraftIn, W.save_draft, _copying(c.SaveDraft, "plan", "based_on_version")
    ),
    Action.SUBMIT: Step(s.VersionIn, W.submit, _copying(c.Submit, "version")),
    Action.APPROVE: Step(s.VersionIn, W.approve, _copying(c.Approve, "version")),
    Action.REQUEST_CHANGES: Step(
        s.RequestChangesIn, W.request_changes, _copying(c.RequestChanges, "version", "comments")
    ),
    # The acting status is the signer's record (`AuthUser.actor`), never the body's.
    Action.SIGN: Step(s.SignIn, W.sign, _copying(c.Sign, "document_hash")),
    Action.DECLINE: Step(s.ReasonIn, W.decline, _copying(c.Decline, "reason")),
    Action.SUBMIT_REPORT: Step(s.SubmitReportIn, W.submit_report, _report),
    Action.VERIFY_REPORT: Step(s.QuarterIn, W.verify_report, _copying(c.VerifyReport, "quarter")),
    Action.RETURN_REPORT: Step(
        s.ReturnReportIn, W.return_report, _copying(c.ReturnReport, "quarter", "reason")
    ),
    Action.EXTEND_DEADLINE: Step(
        s.ExtendIn, W.extend_deadline, _copying(c.ExtendDeadline, "key", "until", "reason")
    ),
    Action.WITHDRAW: Step(s.WithdrawIn, W.withdraw, _copying(c.Withdraw, "reason")),
}


def village_prefix(regency_code: str) -> tuple[str, str]:
    """The BPS code every Destana village of a regency's plan starts with, and the name to
    say it by: the regency's 4-digit BPS code (from the catalog, by either of its codes),
    or the province's 2 digits for the province's own plan (code "53")."""
    catalog = load_catalog()
    province = catalog.province
    if regency_code.strip() == province.code:
        return province.code, province.name
    try:
        regency = catalog.get(regency_code)
    except UnknownRegency:
        return province.code, province.name
    return regency.bps_code, regency.name


def check_villages(plan: ActionPlan, regency_code: str) -> None:
    """FieldRefused (422) naming the first item and village of the plan that lies outside
    the commitment's regency: a regency answers for Destana in its own villages."""
    prefix, name = village_prefix(regency_code)
    for index, item in enumerate(plan.items):
        outside = set(villages_outside(item.outcomes, prefix))
        for link_index, link in enumerate(item.outcomes.destana):
            if link.village_code in outside:
                path = ("plan", "items", index, "outcomes", "destana", link_index, "village_code")
                raise FieldRefused.at(
                    path,
                    RefusalCode.VILLAGE_OUTSIDE_REGENCY,
                    item=index + 1,
                    village=link.village_code,
                    regency=name,
                    prefix=prefix,
                )


def request_for(
    action: Action,
    user: AuthUser,
    body: BaseModel,
    *,
    attached: Mapping[int, tuple[str, ...]] | None = None,
    regency_code: str | None = None,
) -> BaseModel:
    """The workflow's request for a person's action with a validated body.

    OutOfScope (403) for who the person is: a role that never takes this action, a
    reviewer who does not review the commitment's party (`regency_code`; the reviewer
    rule, `domain.roles.reviews`), or a signature claiming an acting status (Plt., Plh.,
    Pj., a.n.) other than the one on the person's record. Where the commitment stands
    (409) is the workflow's to say.
    A report takes, for each item, the evidence `attached` to it then
    (`services.evidence.attached_hashes`); a body listing files itself is refused (422).
    A draft linking a Destana village outside the commitment's regency (`regency_code`,
    by default the person's own) is refused (422, `check_villages`).
    """
    step = STEPS[action]
    if not isinstance(body, step.body):
        raise TypeError(f"{action.value} reads a {step.body.__name__}, not {type(body).__name__}")
    roles = roles_for(action)
    if user.role not in roles:
        names = ", ".join(sorted(r.value for r in roles))
        raise OutOfScope.coded(
            RefusalCode.WRONG_ROLE, role=user.role.value, action=action.value, roles=names
        )
    if (
        regency_code is not None
        and user.role is Role.REVIEWER
        and not reviews(user.role, user.regency_code, regency_code)
    ):
        raise OutOfScope.coded(
            RefusalCode.NOT_PARTY_REVIEWER, name=user.username, regency=regency_code
        )
    if isinstance(body, s.SignIn) and body.acting not in (None, user.acting):
        raise OutOfScope.coded(
            RefusalCode.ACTING_NOT_ON_RECORD,
            name=user.username,
            acting=user.acting.value,
            claimed=body.acting.value,
        )
    request = step.request(user, body)
    commitment_regency = regency_code or user.regency_code
    if isinstance(request, c.SaveDraft) and commitment_regency is not None:
        check_villages(request.plan, commitment_regency)
    if isinstance(request, c.SubmitReport):
        if any(item.files for item in request.report.items):
            raise Unprocessable.coded(RefusalCode.EVIDENCE_LISTED)
        request = request.model_copy(update={"report": with_files(request.report, attached or {})})
    return request


def with_files(report: QuarterlyReport, attached: Mapping[int, tuple[str, ...]]) -> QuarterlyReport:
    """The report with each item carrying the files attached to it: what the record keeps."""
    items = tuple(
        item.model_copy(update={"files": attached.get(item.item_position, ())})
        for item in report.items
    )
    return report.model_copy(update={"items": items})


async def take(
    client: Client,
    ref: CommitmentRef,
    action: Action,
    request: BaseModel,
    *,
    update_id: str | None = None,
) -> s.ActionOut:
    """Take an action on an open commitment in scope; ActionRefused with the workflow's reason."""
    ref.ensure_open()
    result = await act(client, ref.id, STEPS[action].update, request, update_id=update_id)
    return s.ActionOut(
        commitment_id=ref.id,
        seq=result.seq,
        stage=result.stage.value,
        version=result.version,
        round=result.round,
        document_hash=result.document_hash,
    )


CANCEL_SETTLES_WITHIN = timedelta(seconds=15)
"""How long cancelling a cycle waits for its open commitments to end before answering."""


async def cancel_cycle(
    client: Client,
    cycle_id: str,
    request: CancelCycle,
    *,
    settle_within: timedelta = CANCEL_SETTLES_WITHIN,
) -> CycleStatus:
    """Cancel a cycle and every open commitment in it; the status once they have ended.

    The cycle tells each open commitment to cancel and hears back as each ends, so
    the answer waits (at most `settle_within`) until none is open. A status that still
    lists open commitments means the cancelling is under way for them.
    """
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(cycle_id))
    try:
        status = await handle.execute_update(CycleWorkflow.cancel, request)
    except WorkflowUpdateFailedError as failed:
        raise _refusal(failed) from None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_within.total_seconds()
    while status.open and loop.time() < deadline:
        await asyncio.sleep(0.1)
        status = await handle.query(CycleWorkflow.status)
    return status


async def extend_everywhere(
    client: Client,
    cycle_id: str,
    codes: Sequence[str],
    actor: Actor,
    key: str,
    until: date,
    reason: str,
) -> dict[str, ActionResult | str]:
    """Extend one deadline for each listed commitment; a refusal is reported, not raised."""
    request = c.ExtendDeadline(actor=actor, key=c.DeadlineKey(key), until=until, reason=reason)
    outcome: dict[str, ActionResult | str] = {}
    for code in codes:
        try:
            outcome[code] = await act(
                client, c.commitment_id(cycle_id, code), CommitmentWorkflow.extend_deadline, request
            )
        except ActionRefused as refused:
            outcome[code] = refused.reason
    return outcome


def _reason(failed: WorkflowUpdateFailedError) -> str:
    cause = failed.cause
    return str(getattr(cause, "message", None) or cause or failed)


def _refusal(failed: WorkflowUpdateFailedError) -> ActionRefused:
    """The workflow's refusal: its reason, and its code and parameters where it sent them."""
    cause = failed.cause
    details = cause.details if isinstance(cause, ApplicationError) else ()
    coded = details[0] if details and isinstance(details[0], dict) else {}
    return ActionRefused(
        _reason(failed), str(coded.get("code", "refused")), dict(coded.get("params") or {})
    )
