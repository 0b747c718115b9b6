"""What the front doors read and write: views of the records and action bodies (never an actor).

A body is declared once, bounds included: the JSON API validates it, a page turns its
form into the same model, and the CLI builds it from its arguments.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from db import reads
from domain.audit import AuditContent
from domain.catalog import Office, load_catalog
from domain.commitment import DeadlineKey, ReviewComment, SignatureMethod
from domain.cycle import CYCLE_ID_PATTERN, DEFAULT_SIGNATORIES
from domain.errors import UnknownRegency
from domain.plan import ActionPlan, ShortText, Text, WholeNumber
from domain.reports import ItemProgress
from domain.roles import Acting
from domain.schedule import ScheduleSpec

_ORM = ConfigDict(from_attributes=True)

# Version numbers are database INTEGERs: a larger one names nothing, and would not even
# fit in the query that looks for it.
MAX_NUMBER = 2**31 - 1
KEMENDAGRI_CODE = re.compile(r"\d{2}\.\d{2}")

# --- views ----------------------------------------------------------------------------


class CycleOut(BaseModel):
    """A cycle as listed."""

    model_config = _ORM
    id: str
    name: str
    year: int
    status: str
    started_by: str
    started_at: datetime
    ended_at: datetime | None


class CommitmentOut(BaseModel):
    """One regency's commitment as last recorded."""

    model_config = _ORM
    id: str
    cycle_id: str
    regency_code: str
    regency_name: str
    stage: str
    round: int
    latest_version: int
    approved_version: int | None
    document_hash: str | None
    next_due_at: datetime | None
    overdue_since: datetime | None
    deadlines: dict[str, Any]
    updated_at: datetime


class VersionOut(BaseModel):
    """A saved version of the action plan."""

    model_config = _ORM
    number: int
    round: int
    saved_by: str
    saved_at: datetime
    document_format: int | None = Field(
        description="how the version's document is written (README, 'The signed document')"
    )
    document_hash: str | None = Field(
        description="SHA-256 of the bytes at .../versions/{number}/document"
    )
    verify_code: str | None = Field(description="the code printed on the plan, for /verify")


class ItemOut(BaseModel):
    """One action item of a version."""

    model_config = _ORM
    position: int
    strategic_issue: str
    phase: str
    activity: str
    indicator: str
    target_value: Decimal
    target_unit: str
    due_quarters: list[int]
    responsible_unit: str
    partners: list[str]
    budget_rp: Decimal
    budget_source: str
    location: str
    outcomes: dict[str, Any] | None = Field(
        default=None, description="SPM, IKD, Sendai and Destana links (domain.outcomes); null: none"
    )
    baseline: Decimal | None = None
    quarter_targets: list[Decimal | None] | None = Field(
        default=None, description="cumulative targets at the end of triwulan I-IV, in target_unit"
    )
    carried_from: dict[str, Any] | None = Field(
        default=None, description="cycle_id, position, realised_percent of a carried-over item"
    )


class ItemChange(BaseModel):
    """How one item differs between two versions."""

    position: int
    change: str = Field(description="added, removed or changed")
    fields: dict[str, tuple[Any, Any]] = Field(
        default_factory=dict, description="field -> (old value, new value)"
    )


class DiffOut(BaseModel):
    """The differences between two versions, item by item (matched by position)."""

    from_version: int
    to_version: int
    changes: list[ItemChange]


class CommentOut(BaseModel):
    """A reviewer's comment."""

    model_config = _ORM
    round: int
    version: int
    item_position: int | None
    text: str
    author: str
    created_at: datetime


class SignatureOut(BaseModel):
    """A signature on an approved document."""

    model_config = _ORM
    version: int
    office: str
    title: str
    signer_name: str
    acting: str
    nip: str | None
    document_hash: str
    signed_at: datetime
    method: str = Field(description="confirmed (in Komitmen), wet (scan) or certified (TTE)")
    evidence_sha256: str | None = Field(
        description="SHA-256 of the stamped scan or of the certified PDF"
    )
    evidence_media_type: str | None
    evidence_document_id: str | None = Field(description="the signing service's document id")


class EvidenceOut(BaseModel):
    """A file attached as evidence to one item of a quarter's report."""

    model_config = _ORM
    id: int
    quarter: int
    item_position: int
    sha256: str
    file_name: str
    media_type: str
    kind: str = Field(description="photo, pdf, docx or xlsx, by its content")
    size: int
    uploaded_by: str
    uploaded_at: datetime
    taken_at: datetime | None = Field(description="a photo's EXIF time, if it has one")
    latitude: float | None
    longitude: float | None
    distance_km: float | None = Field(
        description="how far from the item's location a photo was taken, when both are known"
    )
    thumbnail_ready: bool = Field(description="the photo's thumbnail and phone copy are made")

    @classmethod
    def of(cls, row: Any) -> EvidenceOut:
        """The view of a recorded attachment."""
        return cls.model_validate(
            {
                **{name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)},
                "thumbnail_ready": row.thumbnail_sha256 is not None,
            }
        )


class TteRequestOut(BaseModel):
    """Where one office's certified signature (TTE) on one document stands."""

    office: str
    requested_by: str
    document_hash: str
    status: str = Field(
        description="waiting (for the signing service), signed, refused (by it, or by the "
        "workflow) or invalid (its PDF did not validate)"
    )
    attempts: int
    last_error: str | None
    retrying: bool = Field(description="whether this API process retries it on its own")
    output_sha256: str | None = Field(description="SHA-256 of the certified PDF, once signed")
    document_id: str | None = Field(description="the signing service's document id")
    updated_at: datetime


class ReportOut(BaseModel):
    """A quarter's report as last recorded."""

    model_config = _ORM
    quarter: int
    state: str
    timeliness: str
    items: list[Any]
    submitted_by: str | None
    submitted_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None
    return_reason: str | None


class AuditOut(AuditContent):
    """One row of the audit trail: what its hash covers (`domain.audit.AuditContent`)."""


class ReminderOut(BaseModel):
    """A reminder, escalation or notice sent to one person."""

    model_config = _ORM
    commitment_id: str
    kind: str
    deadline_key: str | None
    due_at: datetime | None
    days: int | None
    recipient: str
    created_at: datetime
    sent_at: datetime | None


class OverdueOut(BaseModel):
    """One overdue obligation."""

    commitment_id: str
    cycle_id: str
    regency_code: str
    regency_name: str
    stage: str
    deadline_key: str
    quarter: int | None
    due_at: datetime
    seconds_left: int = Field(description="negative: how long ago the deadline passed")


class ActionOut(BaseModel):
    """What an accepted action returns."""

    commitment_id: str
    seq: int
    stage: str
    version: int
    round: int
    document_hash: str | None


class RecapFiguresOut(BaseModel):
    """One group's figures at the recap's quarter (`services.recap.Figures`)."""

    items: int
    parties: list[str] = Field(description="codes of the parties with items in the group")
    budget_rp: Decimal
    realised_rp: Decimal
    realised_budget_percent: Decimal | None = Field(description="None without budget")
    progress_percent: Decimal | None = Field(
        description="mean verified progress of the items; None without items"
    )
    done: int
    behind_items: int
    behind_parties: list[str]
    carried: int


class RecapGroupOut(BaseModel):
    """A row of a recap section: a code of the reference list, or "all" for the total."""

    code: str
    label: str
    figures: RecapFiguresOut


class RecapSectionOut(BaseModel):
    """One kind of outcome, a group per code and the total counting each item once."""

    kind: str
    title: str
    groups: list[RecapGroupOut]
    total: RecapGroupOut


class RecapOut(BaseModel):
    """The province recap of a cycle at the end of a quarter, in the person's scope."""

    cycle_id: str
    quarter: int
    period: str
    sections: list[RecapSectionOut]
    counted: list[str]
    not_counted: list[dict[str, str]] = Field(description="code and name of each party")


class RecapItemOut(BaseModel):
    """One counted item behind a recap figure."""

    party: str
    party_name: str
    position: int
    activity: str
    strategic_issue: str
    phase: str
    budget_rp: Decimal
    realised_rp: Decimal
    percent: Decimal
    expected: Decimal
    behind: bool
    done: bool
    carried: bool


class RecapDrillOut(BaseModel):
    """The items behind one figure of one recap group."""

    cycle_id: str
    quarter: int
    kind: str
    code: str
    label: str
    figure: str
    items: list[RecapItemOut]
    not_counted: list[dict[str, str]] = Field(
        description="code and name of each party in scope whose plan is not signed yet"
    )


def views(model: type[BaseModel], rows: Any) -> list[Any]:
    """Rows of the database as a list of views."""
    return [model.model_validate(r) for r in rows]


def commitment_view(row: reads.RecordedCommitment) -> CommitmentOut:
    """A commitment row as its view."""
    return CommitmentOut.model_validate(row)


# --- bodies ---------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartCycleIn(_Body):
    """Start a cycle (coordinator)."""

    cycle_id: str = Field(pattern=CYCLE_ID_PATTERN)
    name: ShortText
    year: WholeNumber = Field(ge=2000, le=2100)

    @field_validator("cycle_id")
    @classmethod
    def _not_a_page(cls, value: str) -> str:
        # /cycles/new is the coordinator's page: a cycle of that id could not be opened.
        if value == "new":
            raise ValueError("'new' is reserved: choose another cycle id")
        return value

    regency_codes: list[str] = Field(
        default_factory=list,
        description="empty: every regency; the province's code (53) adds the province as a "
        "party, with its own action plan",
    )
    signatories: list[Office] = Field(
        default_factory=lambda: [Office(o) for o in DEFAULT_SIGNATORIES],
        min_length=1,
        max_length=len(Office),
    )
    ordered_signing: bool = False
    signature_method: SignatureMethod = Field(
        default=SignatureMethod.CONFIRMED,
        description="confirmed (in Komitmen), wet (stamped scan) or certified (TTE via BSrE)",
    )
    schedule: ScheduleSpec | None = Field(default=None, description="default: the year's")
    acknowledging_office: Office = Field(
        default=Office.REGIONAL_HEAD,
        description="the province's office that acknowledges (Mengetahui) the joint "
        "commitment: regional_head (the Gubernur) or bpbd_head (Kepala Pelaksana BPBD)",
    )
    carry_from: str | None = Field(
        default=None,
        pattern=CYCLE_ID_PATTERN,
        description="an earlier cycle whose unfinished items (not verified at 100 % by its "
        "last lock) each party starts with, as its first draft",
    )

    @field_validator("acknowledging_office")
    @classmethod
    def _acknowledging(cls, value: Office) -> Office:
        if value is Office.PLANNING_HEAD:
            raise ValueError("the joint commitment is acknowledged by regional_head or bpbd_head")
        return value

    @field_validator("regency_codes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        # A body naming a regency the catalog lacks is invalid input (422), not a missing
        # resource. Only the Kemendagri form is taken: "5301" is Kabupaten Kupang's
        # Kemendagri number without its dot, but Sumba Barat's BPS code (53.12).
        catalog = load_catalog()
        for code in value:
            if catalog.party is not None and code == catalog.party.kemendagri_code:
                continue
            if not KEMENDAGRI_CODE.fullmatch(code):
                raise ValueError(
                    f"{code!r} is not a Kemendagri code: write it as 53.01 (two digits, a dot, "
                    "two digits); BPS codes such as 5301 are not taken here, as they are ambiguous"
                )
            try:
                catalog.get(code)
            except UnknownRegency as unknown:
                raise ValueError(str(unknown)) from None
        return value

    @field_validator("signatories")
    @classmethod
    def _distinct(cls, value: list[Office]) -> list[Office]:
        if len(set(value)) != len(value):
            raise ValueError("an office is listed twice")
        return value


class CancelCycleIn(_Body):
    """Cancel a cycle (coordinator)."""

    reason: Text


class StartedOut(BaseModel):
    """A started cycle."""

    cycle_id: str
    regency_codes: list[str]
    years_without_holidays: list[int] = Field(
        default_factory=list,
        description="years of the cycle's deadlines with no holiday data (SKB not yet in "
        "Komitmen): their deadlines count Monday to Friday only",
    )


class SaveDraftIn(_Body):
    """Save a new version; `based_on_version` is the version the edit started from."""

    plan: ActionPlan
    based_on_version: WholeNumber = Field(ge=0, le=MAX_NUMBER)


class VersionIn(_Body):
    """Name the version acted on."""

    version: WholeNumber = Field(ge=1, le=MAX_NUMBER)


class RequestChangesIn(_Body):
    """Send a submitted version back with comments."""

    version: WholeNumber = Field(ge=1, le=MAX_NUMBER)
    comments: tuple[ReviewComment, ...] = Field(min_length=1, max_length=500)


class CertifiedSignIn(_Body):
    """Sign the approved document with a certified electronic signature (TTE) through BSrE.

    The passphrase goes to the signing service and nowhere else: it is never stored,
    logged or echoed.
    """

    document_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    nik: str = Field(pattern=r"^[0-9]{16}$", description="the signatory's 16-digit NIK")
    passphrase: SecretStr = Field(min_length=1, max_length=200)
    acting: Acting | None = Field(default=None, description="if given, the signer's own on record")


class SignIn(_Body):
    """Sign the approved document, naming its hash.

    The acting status (Plt., Plh., Pj., a.n.) is the one on the signer's record;
    `acting`, if given, must agree with it (otherwise 403), so no signer can claim one.
    """

    document_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    acting: Acting | None = Field(default=None, description="if given, the signer's own on record")


class ReasonIn(_Body):
    """A reason for declining."""

    reason: Text


class SubmitReportIn(_Body):
    """A quarter's progress report."""

    quarter: WholeNumber = Field(ge=1, le=4)
    items: tuple[ItemProgress, ...] = Field(min_length=1, max_length=200)


class QuarterIn(_Body):
    """Name the quarter acted on."""

    quarter: WholeNumber = Field(ge=1, le=4)


class ReturnReportIn(_Body):
    """Return a report with a reason."""

    quarter: WholeNumber = Field(ge=1, le=4)
    reason: Text


class ExtendIn(_Body):
    """Move one deadline later."""

    key: DeadlineKey
    until: date
    reason: Text


class WithdrawIn(_Body):
    """Withdraw the regency from the cycle."""

    reason: ShortText
