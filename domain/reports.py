"""Quarterly follow-up reports (laporan triwulan) and their timeliness."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from domain.display import Language
from domain.plan import Printable, WholeNumber
from domain.words import NC_, by_language


class ProgressStatus(StrEnum):
    """An item's progress as the regency reports it."""

    BELUM_MULAI = "belum_mulai"
    SESUAI_JADWAL = "sesuai_jadwal"
    BERISIKO = "berisiko"
    TERLAMBAT = "terlambat"
    SELESAI = "selesai"


class Timeliness(StrEnum):
    """Whether a quarterly report came in by its due date, by the lock, or not at all."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"


class ReportState(StrEnum):
    """Where a quarterly report stands with the reviewer."""

    SUBMITTED = "submitted"
    RETURNED = "returned"
    VERIFIED = "verified"
    MISSING = "missing"


class ItemProgress(BaseModel):
    """Progress on one action item in one quarter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_position: WholeNumber = Field(ge=1)
    status: ProgressStatus
    percent_realised: Decimal = Field(ge=0, le=100, decimal_places=2)
    narrative: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=4000), Printable
    ] = ""
    realised_rp: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    """Budget realised (realisasi anggaran) by the end of the quarter, cumulative, in Rp;
    its share of the item's budget is computed, never typed."""
    obstacles: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=2000), Printable
    ] = ""
    """Kendala: what held the item back."""
    follow_up: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=2000), Printable
    ] = ""
    """Rencana tindak lanjut: what the regency will do about it next quarter."""
    evidence: tuple[AnyHttpUrl, ...] = Field(default=(), max_length=20)
    files: tuple[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")], ...] = Field(
        default=(), max_length=200
    )
    """The SHA-256 of each evidence file attached to the item when the report was
    submitted (`services.evidence`): set by the services, never by the one reporting."""


class QuarterlyReport(BaseModel):
    """A regency's progress report for one quarter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quarter: WholeNumber = Field(ge=1, le=4)
    items: tuple[ItemProgress, ...] = Field(min_length=1, max_length=200)


def timeliness(submitted_at: datetime, due: datetime, lock: datetime) -> Timeliness:
    """Classify a submission against the quarter's due date and lock date."""
    if submitted_at <= due:
        return Timeliness.ON_TIME
    if submitted_at <= lock:
        return Timeliness.LATE
    return Timeliness.MISSING


REPORT_STATE_LABELS_WORDS = {
    ReportState.SUBMITTED: NC_("report_state.submitted", "Submitted"),
    ReportState.RETURNED: NC_("report_state.returned", "Returned"),
    ReportState.VERIFIED: NC_("report_state.verified", "Verified"),
    ReportState.MISSING: NC_("report_state.missing", "Not reported"),
}
REPORT_STATE_LABELS: dict[Language, dict[ReportState, str]] = by_language(REPORT_STATE_LABELS_WORDS)
"""Each report state's one label."""


TIMELINESS_LABELS_WORDS = {
    Timeliness.ON_TIME: NC_("timeliness.on_time", "On time"),
    Timeliness.LATE: NC_("timeliness.late", "Late"),
    Timeliness.MISSING: NC_("timeliness.missing", "Not reported"),
}
TIMELINESS_LABELS: dict[Language, dict[Timeliness, str]] = by_language(TIMELINESS_LABELS_WORDS)
"""Each report's timeliness, one label each: "Terlambat" is a report that came in late,
and nothing else."""


PROGRESS_LABELS_WORDS = {
    ProgressStatus.BELUM_MULAI: NC_("progress.belum_mulai", "Not started"),
    ProgressStatus.SESUAI_JADWAL: NC_("progress.sesuai_jadwal", "On schedule"),
    ProgressStatus.BERISIKO: NC_("progress.berisiko", "At risk"),
    ProgressStatus.TERLAMBAT: NC_("progress.terlambat", "Behind schedule"),
    ProgressStatus.SELESAI: NC_("progress.selesai", "Done"),
}
PROGRESS_LABELS: dict[Language, dict[ProgressStatus, str]] = by_language(PROGRESS_LABELS_WORDS)
"""Each item's progress status, one label each."""
