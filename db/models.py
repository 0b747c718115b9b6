"""Typed SQLAlchemy models of everything Komitmen records.

Workflows own the state; these tables are its durable, queryable record, written
only by activities. Each write is keyed so that a retried activity finds its row
already there (see the unique constraints).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite would otherwise drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Komitmen stores aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with an explicit constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class OfCommitment:
    """What every row recorded about one commitment starts with: its id and the commitment's."""

    # Mixin columns would otherwise follow the table's own; these lead, as in the migrations.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    commitment_id: Mapped[str] = mapped_column(ForeignKey("commitment.id"), sort_order=-1)


class UserAccount(Base):
    """A person who acts in Komitmen or receives its mail."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32))
    regency_code: Mapped[str | None] = mapped_column(String(16))
    office: Mapped[str | None] = mapped_column(String(32))
    acting: Mapped[str] = mapped_column(String(16), default="definitive")
    nip: Mapped[str | None] = mapped_column(String(18))
    language: Mapped[str] = mapped_column(String(2), default="id")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    nik: Mapped[str | None] = mapped_column(String(16), default=None)
    """The signatory's NIK, which a certified signature (TTE) is requested under."""
    tasks_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the person last opened their task list: tasks that arose later are unread."""
    pangkat: Mapped[str | None] = mapped_column(String(64), default=None)
    """Pangkat/golongan as printed, e.g. "Pembina Tk. I (IV/b)" (domain.nip.pangkat_ladder)."""
    jabatan: Mapped[str | None] = mapped_column(String(200), default=None)
    """The position held, free text, e.g. "Kepala Bidang Kedaruratan"."""

    __table_args__ = (Index("ix_user_account_role_regency", "role", "regency_code"),)


class Cycle(Base):
    """A commitment cycle started by a coordinator for a set of regencies."""

    __tablename__ = "cycle"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]]
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Commitment(Base):
    """One regency's commitment in a cycle, as last recorded."""

    __tablename__ = "commitment"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycle.id"))
    regency_code: Mapped[str] = mapped_column(String(16))
    regency_name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16))
    round: Mapped[int]
    latest_version: Mapped[int]
    approved_version: Mapped[int | None]
    document_hash: Mapped[str | None] = mapped_column(String(64))
    next_due_at: Mapped[datetime | None]
    overdue_since: Mapped[datetime | None]
    deadlines: Mapped[dict[str, Any]]
    last_seq: Mapped[int]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("cycle_id", "regency_code"),
        Index("ix_commitment_stage_next_due", "stage", "next_due_at"),
        # The overdue list's order: many commitments fall overdue at the same deadline, and
        # the id settles their order, so a page (after a cursor) is a range of this index.
        Index("ix_commitment_overdue_since_id", "overdue_since", "id"),
        # The overdue list reads a cycle's overdue commitments, often of one stage; without
        # it SQLite, which keeps no statistics, picks the stage index, whose "follow_up"
        # holds most commitments of every cycle.
        Index(
            "ix_commitment_overdue_cycle_stage",
            "cycle_id",
            "stage",
            postgresql_where=text("overdue_since IS NOT NULL"),
            sqlite_where=text("overdue_since IS NOT NULL"),
        ),
    )


class PlanVersion(OfCommitment, Base):
    """A numbered save of a commitment's action plan; every version is kept."""

    __tablename__ = "plan_version"

    number: Mapped[int]
    round: Mapped[int]
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime]
    # The exact bytes the version's document hash covers (domain.document), kept so that
    # anyone can fetch them and recompute the hash. NULL for versions recorded before.
    document_format: Mapped[int | None]
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_hash: Mapped[str | None] = mapped_column(String(64))
    verify_code: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("commitment_id", "number"),
        Index("ix_plan_version_verify_code", "verify_code"),
    )


class ActionItem(Base):
    """One row of the rencana aksi in one version."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))
    position: Mapped[int]
    strategic_issue: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(32))
    activity: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str] = mapped_column(Text)
    target_value: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    target_unit: Mapped[str] = mapped_column(String(200))
    due_quarters: Mapped[list[Any]]
    responsible_unit: Mapped[str] = mapped_column(String(200))
    partners: Mapped[list[Any]]
    budget_rp: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    budget_source: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(200))
    # Since document format 3 (migration 0013); NULL on items saved before.
    outcomes: Mapped[dict[str, Any] | None]
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(20, 2))
    quarter_targets: Mapped[list[Any] | None]
    carried_from: Mapped[dict[str, Any] | None]

    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        Index("ix_action_item_issue_phase", "strategic_issue", "phase"),
    )


class ItemOutcome(Base):
    """One outcome an action item serves, a row per (kind, code) of
    `domain.outcomes.Outcomes.keys`: what the province recap groups items by."""

    __tablename__ = "item_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"))
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))

    __table_args__ = (UniqueConstraint("item_id", "kind", "code"),)


class ItemStanding(Base):
    """An item of a signed plan at the end of a quarter, as the province recap counts it:
    its verified progress and what its schedule expects by then (`domain.standing`).

    Derived, never entered: `db.standing` rewrites a commitment's rows whenever what they
    derive from changes (`db.records.record_event`), and keeps rows only for the plans
    the recap counts (approved, in follow-up or completed). Amounts are whole cents and
    percents hundredths, so that sums are exact on SQLite too. Party, issue and phase are
    copied from the commitment and the item, so a drill-down reads this table first.
    """

    __tablename__ = "item_standing"

    item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    quarter: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycle.id"))
    party: Mapped[str] = mapped_column(String(16))
    strategic_issue: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(32))
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    realised_cents: Mapped[int] = mapped_column(BigInteger)
    percent_hundredths: Mapped[int]
    expected_hundredths: Mapped[int]
    carried: Mapped[bool]

    __table_args__ = (
        Index("ix_item_standing_cycle_quarter_party", "cycle_id", "quarter", "party"),
    )


class RecapPart(Base):
    """One party's share of one recap group at the end of a quarter: its item_standing
    rows summed (`db.standing`), so that a recap sums a few rows per party instead of
    every item. Groups are (kind, code) of `domain.standing.memberships`, a kind's total
    included (each item counted once).

    Its primary key leads with what a recap reads and groups by, so a recap is one range
    read in order; on SQLite the table is that key (WITHOUT ROWID).
    """

    __tablename__ = "recap_part"

    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycle.id"), primary_key=True)
    quarter: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(16), primary_key=True)
    items: Mapped[int]
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    realised_cents: Mapped[int] = mapped_column(BigInteger)
    percent_hundredths: Mapped[int] = mapped_column(BigInteger)
    done: Mapped[int]
    behind: Mapped[int]
    carried: Mapped[int]

    __table_args__ = (
        Index("ix_recap_part_cycle_id_party", "cycle_id", "party"),
        {"sqlite_with_rowid": False},
    )


class ReviewComment(OfCommitment, Base):
    """A reviewer's comment on a submitted version, on one item or on the whole plan."""

    __tablename__ = "review_comment"

    event_seq: Mapped[int]
    position: Mapped[int]
    round: Mapped[int]
    version: Mapped[int]
    item_position: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("commitment_id", "event_seq", "position"),)


class Signature(OfCommitment, Base):
    """A signature on the approved document of a commitment."""

    __tablename__ = "signature"

    version: Mapped[int]
    office: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200))
    acting: Mapped[str] = mapped_column(String(16))
    nip: Mapped[str | None] = mapped_column(String(18))
    document_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(16), server_default="confirmed")
    # The stamped scan (wet) or the PAdES-signed PDF (certified), kept in stored_file.
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_media_type: Mapped[str | None] = mapped_column(String(100))
    evidence_document_id: Mapped[str | None] = mapped_column(String(200))
    # What the signature block prints beyond the title (`domain.offices.block_lines`):
    # the signer's pangkat/golongan and, for a.n., their own title, as they were that day.
    pangkat: Mapped[str | None] = mapped_column(String(64))
    own_title: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("commitment_id", "document_hash", "office"),)


class OfficeAssignment(Base):
    """That a person holds or acts for a regency's office over a period, by a decree (SK).

    `domain.offices` says who signs on a day; an assignment is ended (its `valid_until`
    set) or withdrawn (`withdrawn_at`, kept for the record), never deleted.
    """

    __tablename__ = "office_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(16))
    office: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting: Mapped[str] = mapped_column(String(16))
    sk_number: Mapped[str] = mapped_column(String(120))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    own_title: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_office_assignment_regency_code_office", "regency_code", "office"),
        Index("ix_office_assignment_user_id", "user_id"),
    )


class RegencyTitle(Base):
    """An office's title or the planning agency's name in one regency from a date on.

    Recorded by a coordinator when a regency's own regulation changes it; it holds from
    `valid_from` until a later row of the same kind, and over the catalog's data
    (`domain.catalog`) from that date on. Rows are only added, never changed.
    """

    __tablename__ = "regency_title"

    id: Mapped[int] = mapped_column(primary_key=True)
    regency_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date]
    source: Mapped[str] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]

    __table_args__ = (Index("ix_regency_title_regency_code", "regency_code"),)


class StoredFile(Base):
    """A file people handed in (a signed scan, a certified PDF), kept by its SHA-256.

    In the database rather than on a disk, so that any API process behind any load
    balancer serves it and a database backup holds it; files are a few MB at most.
    """

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class TteRequest(OfCommitment, Base):
    """A certified signature asked of the signing service, until it is given or refused.

    The passphrase is never here: a request that waits for the service is retried by the
    API process that holds it in memory, and otherwise asks the signatory for it again.
    """

    __tablename__ = "tte_request"

    office: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(200))
    document_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(Text)
    input_sha256: Mapped[str] = mapped_column(String(64))
    output_sha256: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("commitment_id", "document_hash", "office"),)


class QuarterlyReport(OfCommitment, Base):
    """The latest state of a commitment's report for one quarter."""

    __tablename__ = "quarterly_report"

    quarter: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    timeliness: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[Any]]
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("commitment_id", "quarter"),
        Index("ix_quarterly_report_quarter_state", "quarter", "timeliness"),
        # The reviewer's task list reads the reports waiting for verification, oldest first,
        # and counts them; with the commitment in it, the count reads no report row.
        Index("ix_quarterly_report_state_submitted_at", "state", "submitted_at", "commitment_id"),
    )


class ReminderSent(OfCommitment, Base):
    """One reminder, escalation or notice to one person; unique so it is never sent twice."""

    __tablename__ = "reminder_sent"

    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    deadline_key: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime | None]
    days: Mapped[int | None]
    recipient: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("dedupe_key", "recipient"),
        Index("ix_reminder_sent_message_id", "message_id"),
        Index("ix_reminder_sent_commitment_id", "commitment_id"),
    )


class AuditEvent(Base):
    """Append-only trail: who did what, when, from which stage to which, hash-chained per cycle."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(96))
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    # The row's place in its cycle's hash chain (domain.audit): position, link, own hash.
    chain_seq: Mapped[int]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Outside the hash, kept for `db.records`: whether a later row under the same (stream,
    # seq) took this one's place (it came from a workflow task that never completed, and
    # that later row names this one's hash in its detail), and what recording this row
    # changed beside it, so that it can be taken back (a plan version, a signature, a
    # report's state before).
    superseded: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    undo: Mapped[dict[str, Any] | None]

    __table_args__ = (
        # One standing row per (stream, seq): the key every recording is idempotent by.
        Index(
            "uq_audit_event_stream_seq",
            "stream",
            "seq",
            unique=True,
            sqlite_where=text("superseded = 0"),
            postgresql_where=text("NOT superseded"),
        ),
        UniqueConstraint("cycle_id", "chain_seq"),
        Index("ix_audit_event_cycle_occurred", "cycle_id", "occurred_at"),
    )


class AuditChainHead(Base):
    """The end of a cycle's audit chain; its row lock serializes appends to the chain."""

    __tablename__ = "audit_chain_head"

    cycle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token for the HTTP API, stored only as the SHA-256 of its text."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_api_token_user_id", "user_id"),)


class LoginFailure(Base):
    """A failed sign-in, counted per username and per client address to throttle guessing."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[datetime]

    __table_args__ = (Index("ix_login_failure_key_failed_at", "key", "failed_at"),)


class IdempotentRequest(Base):
    """The first answer to an API request sent with an Idempotency-Key, replayed on repeats."""

    __tablename__ = "idempotent_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # None while the first request is still being answered.
    status_code: Mapped[int | None]
    response: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("user_id", "key"),)


class AccountEvent(Base):
    """Append-only history of a person's account: added, invited, reset, deactivated, ...

    Kept apart from the cycles' hash-chained audit trail: accounts belong to no cycle.
    """

    __tablename__ = "account_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    """The username of who acted; the subject's own for what they did themselves."""
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    """The username of the account the event is about."""
    details: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_account_event_subject_occurred", "subject", "occurred_at"),)


class PasswordReset(Base):
    """A set-password link (a reset or an invitation), stored only as its token's SHA-256."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    """"reset" (asked for, or by a coordinator) or "invite" (a new account)."""
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_password_reset_user_id", "user_id"),)


class EvidenceFile(OfCommitment, Base):
    """A file attached as evidence (bukti dukung) to one item of one quarter's report.

    The content is a blob kept under its SHA-256 (`evidence.store`); this row is where it
    is attached, by whom, what it is, and what a photo tells of where and when it was
    taken. A file attached to a report still open may be removed (`removed_at`, kept
    for the record); once the report is submitted its hashes are in the report's record.
    """

    __tablename__ = "evidence_file"

    quarter: Mapped[int]
    item_position: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int]
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    distance_km: Mapped[float | None]
    """How far a photo was taken from the item's location, when both are known."""
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    phone_sha256: Mapped[str | None] = mapped_column(String(64))
    derived_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_evidence_file_commitment_id_quarter", "commitment_id", "quarter"),
        Index("ix_evidence_file_sha256", "sha256"),
    )
