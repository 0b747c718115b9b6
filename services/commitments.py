"""One regency's commitment as the front doors read it: found in scope, with its records.

Finding a commitment checks the person's scope before anything is read, so someone
from another regency learns nothing; what the JSON API returns route by route, the
page reads at once (`CommitmentRecord`) and the CLI prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db import files, mail, reads
from db import models as m
from domain.commitment import commitment_id, signing_refusal
from domain.errors import TransitionRefused
from domain.refusals import RefusalCode as R
from domain.reports import ReportState
from domain.stages import Action, Stage, check_transition
from services.access import AuthUser, scoped_regency
from services.errors import Conflict, NotFound
from services.schemas import DiffOut, ItemChange, ItemOut


@dataclass(frozen=True)
class CommitmentRef:
    """A commitment the person's scope covers, as the database shows it (row None if unseen)."""

    cycle_id: str
    regency_code: str
    row: reads.RecordedCommitment | None

    @property
    def id(self) -> str:
        """The commitment id."""
        return commitment_id(self.cycle_id, self.regency_code)

    def recorded(self) -> reads.RecordedCommitment:
        """The recorded row; NotFound if the database has not seen the commitment."""
        if self.row is None:
            raise NotFound(f"no commitment of regency {self.regency_code} in cycle {self.cycle_id}")
        return self.row

    def ensure_open(self) -> None:
        """Conflict if the commitment has ended: nothing more can be done to it."""
        if self.row is not None and Stage(self.row.stage).is_terminal:
            raise Conflict.coded(R.COMMITMENT_CLOSED, commitment=self.id, stage=self.row.stage)


def find_commitment(
    session: Session, user: AuthUser, cycle_id: str, regency_code: str
) -> CommitmentRef:
    """The commitment of a regency in a cycle, its scope checked before it is read.

    UnknownRegency for a code the catalog lacks, OutOfScope for another regency.
    """
    code = scoped_regency(regency_code, user)
    row = reads.commitment_row(session, commitment_id=commitment_id(cycle_id, code))
    return CommitmentRef(cycle_id=cycle_id, regency_code=code, row=row)


def items_of(session: Session, ref: CommitmentRef, number: int) -> Sequence[m.ActionItem]:
    """The action items of one version, in order; none for a version never saved (or 0)."""
    return reads.version_items(session, commitment_id=ref.id, number=number)


def version_items(session: Session, ref: CommitmentRef, number: int) -> list[m.ActionItem]:
    """The action items of one version, in order; NotFound for a version never saved."""
    items = list(reads.version_items(session, commitment_id=ref.id, number=number))
    if not items:
        raise NotFound(f"commitment {ref.id} has no version {number}")
    return items


def diff(session: Session, ref: CommitmentRef, older: int, newer: int) -> DiffOut:
    """What changed between two versions, item by item."""

    def view(number: int) -> dict[int, ItemOut]:
        return {i.position: ItemOut.model_validate(i) for i in version_items(session, ref, number)}

    return DiffOut(
        from_version=older, to_version=newer, changes=item_changes(view(older), view(newer))
    )


_COMPARED = [f for f in ItemOut.model_fields if f != "position"]


def item_changes(old: dict[int, ItemOut], new: dict[int, ItemOut]) -> list[ItemChange]:
    """Items added, removed or changed between two versions, matched by position."""
    changes: list[ItemChange] = []
    for position in sorted(old.keys() | new.keys()):
        before, after = old.get(position), new.get(position)
        if before is None:
            changes.append(ItemChange(position=position, change="added"))
        elif after is None:
            changes.append(ItemChange(position=position, change="removed"))
        else:
            fields = {
                f: (getattr(before, f), getattr(after, f))
                for f in _COMPARED
                if getattr(before, f) != getattr(after, f)
            }
            if fields:
                changes.append(ItemChange(position=position, change="changed", fields=fields))
    return changes


def versions(session: Session, ref: CommitmentRef) -> Sequence[m.PlanVersion]:
    """Every saved version, oldest first."""
    return reads.list_versions(session, commitment_id=ref.id)


@dataclass(frozen=True)
class VersionDocument:
    """The exact bytes of a version's document, and what they hash to."""

    content: bytes
    document_format: int
    document_hash: str


def version_document(session: Session, ref: CommitmentRef, number: int) -> VersionDocument:
    """The document a version's hash covers; NotFound for a version never saved, or one
    recorded before documents were kept (its hash is in the audit trail)."""
    version = reads.get_version(session, commitment_id=ref.id, number=number)
    if version is None:
        raise NotFound(f"commitment {ref.id} has no version {number}")
    if version.document is None or version.document_hash is None:
        raise NotFound(
            f"version {number} of {ref.id} was recorded before documents were kept; "
            "its hash is in the audit trail"
        )
    return VersionDocument(
        content=version.document,
        document_format=version.document_format or 1,
        document_hash=version.document_hash,
    )


def comments(session: Session, ref: CommitmentRef) -> Sequence[m.ReviewComment]:
    """Review comments, oldest first."""
    return reads.list_comments(session, commitment_id=ref.id)


def signatures(session: Session, ref: CommitmentRef) -> Sequence[m.Signature]:
    """Signatures in the order given."""
    return reads.list_signatures(session, commitment_id=ref.id)


def reports(session: Session, ref: CommitmentRef) -> Sequence[m.QuarterlyReport]:
    """Quarterly reports by quarter."""
    return reads.list_reports(session, commitment_id=ref.id)


def audit(session: Session, ref: CommitmentRef) -> Sequence[m.AuditEvent]:
    """The commitment's audit trail, in order."""
    return reads.list_audit(session, cycle_id=ref.cycle_id, stream=ref.id)


def reminders(session: Session, ref: CommitmentRef) -> list[m.ReminderSent]:
    """Reminders, escalations and notices sent about the commitment."""
    return [
        r for r in mail.list_reminders(session, cycle_id=ref.cycle_id) if r.commitment_id == ref.id
    ]


@dataclass(frozen=True)
class CommitmentRecord:
    """Everything recorded of one commitment, read at once for a page or a terminal."""

    row: reads.RecordedCommitment
    cycle: m.Cycle | None
    versions: Sequence[m.PlanVersion]
    items: list[m.ActionItem]
    approved: list[m.ActionItem]
    comments: Sequence[m.ReviewComment]
    signatures: Sequence[m.Signature]
    reports: Sequence[m.QuarterlyReport]
    audit: Sequence[m.AuditEvent]
    tte: Sequence[m.TteRequest] = ()
    """Certified signatures asked of BSrE, in the order asked."""

    @property
    def signature_method(self) -> str:
        """How the cycle signs: confirmed, wet or certified (`services.signing`)."""
        spec: dict[str, Any] = self.cycle.spec if self.cycle is not None else {}
        return str(spec.get("signature_method", "confirmed"))

    @property
    def waiting_reports(self) -> list[m.QuarterlyReport]:
        """Reports submitted and waiting for the reviewer."""
        return [r for r in self.reports if r.state == ReportState.SUBMITTED.value]

    @property
    def open_quarters(self) -> list[int]:
        """Quarters whose report may still come in (neither verified nor missing)."""
        closed = {r.quarter for r in self.reports if r.state in _CLOSED_REPORTS}
        return [q for q in (1, 2, 3, 4) if q not in closed]


_CLOSED_REPORTS = {ReportState.VERIFIED.value, ReportState.MISSING.value}


def read_commitment(session: Session, ref: CommitmentRef) -> CommitmentRecord:
    """The commitment and everything recorded of it; NotFound if it was never recorded."""
    row = ref.recorded()
    return CommitmentRecord(
        row=row,
        cycle=session.get(m.Cycle, row.cycle_id),
        versions=versions(session, ref),
        items=list(reads.version_items(session, commitment_id=ref.id, number=row.latest_version)),
        approved=(
            list(reads.version_items(session, commitment_id=ref.id, number=row.approved_version))
            if row.approved_version
            else []
        ),
        comments=comments(session, ref),
        signatures=signatures(session, ref),
        reports=reports(session, ref),
        audit=audit(session, ref),
        tte=files.tte_requests(session, commitment_id=ref.id),
    )


PAGE_ACTIONS = (
    Action.SAVE_DRAFT,
    Action.SUBMIT,
    Action.APPROVE,
    Action.REQUEST_CHANGES,
    Action.SIGN,
    Action.DECLINE,
    Action.SUBMIT_REPORT,
    Action.VERIFY_REPORT,
    Action.RETURN_REPORT,
)
"""The actions a regency's or the reviewer's work consists of (the coordinator's are apart)."""


def available_actions(record: CommitmentRecord, user: AuthUser) -> set[Action]:
    """The actions the rules let this person take on the commitment now.

    The transition table decides by stage and role; signing follows the rule the
    workflow applies (`domain.commitment.signing_refusal`), read from the records.
    """
    row = record.row
    allowed = set()
    for action in PAGE_ACTIONS:
        try:
            check_transition(Stage(row.stage), action, user.actor(), row.regency_code)
        except TransitionRefused:
            continue
        allowed.add(action)
    if row.latest_version == 0:
        allowed.discard(Action.SUBMIT)
    signed = {s.office for s in record.signatures if s.document_hash == row.document_hash}
    spec: dict[str, Any] = record.cycle.spec if record.cycle is not None else {}
    signatories: Sequence[str] = spec.get("signatories", ())
    refusal = signing_refusal(
        user.office,
        signatories=signatories,
        signed=signed,
        ordered=bool(spec.get("ordered_signing")),
    )
    if refusal is not None:
        allowed.discard(Action.SIGN)
    # A decline comes from an office whose signature is still pending, in any order.
    if user.office not in signatories or user.office in signed:
        allowed.discard(Action.DECLINE)
    return allowed
