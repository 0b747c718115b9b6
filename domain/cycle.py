"""A commitment cycle: its specification, its lifecycle events and its requests."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import WorkingCalendar
from domain.catalog import Office
from domain.commitment import CarriedItems, CommitmentSpec, SignatureMethod
from domain.plan import ActionItem, canonical_json
from domain.roles import Actor
from domain.schedule import ResolvedSchedule, ScheduleSpec
from domain.stages import Stage

DEFAULT_SIGNATORIES = (
    Office.BPBD_HEAD.value,
    Office.PLANNING_HEAD.value,
    Office.REGIONAL_HEAD.value,
)
CYCLE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class RegencyRef(BaseModel):
    """A regency taking part in a cycle, named as the catalog had it at the start."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str


class CycleSpec(BaseModel):
    """Everything a cycle starts with, resolved: no lookup needed inside a workflow."""

    model_config = ConfigDict(frozen=True)

    cycle_id: str = Field(pattern=CYCLE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    regencies: tuple[RegencyRef, ...] = Field(min_length=1)
    signatories: tuple[str, ...] = Field(default=DEFAULT_SIGNATORIES, min_length=1)
    ordered_signing: bool = False
    signature_method: SignatureMethod = SignatureMethod.CONFIRMED
    schedule_rules: ScheduleSpec
    schedule: ResolvedSchedule
    calendar: WorkingCalendar
    started_by: Actor
    acknowledging_office: Office = Office.REGIONAL_HEAD
    """The province's office whose holder acknowledges ("Mengetahui") the joint
    commitment: the Gubernur unless the coordinator chose the Kepala (Pelaksana) BPBD."""
    carry_from: str | None = None
    """The earlier cycle whose unfinished items the parties start with, if any."""
    carried: dict[str, tuple[ActionItem, ...]] = Field(default_factory=dict)
    """Per party code, the items carried over from `carry_from` (none: no draft)."""

    def commitment_spec(self, regency: RegencyRef) -> CommitmentSpec:
        """The input of one regency's commitment workflow."""
        items = self.carried.get(regency.code, ())
        carried = (
            CarriedItems(from_cycle=self.carry_from, actor=self.started_by, items=items)
            if self.carry_from and items
            else None
        )
        return CommitmentSpec(
            cycle_id=self.cycle_id,
            cycle_name=self.name,
            regency_code=regency.code,
            regency_name=regency.name,
            signatories=self.signatories,
            ordered_signing=self.ordered_signing,
            signature_method=self.signature_method,
            schedule=self.schedule,
            calendar=self.calendar,
            carried=carried,
        )


class CycleStatus(BaseModel):
    """A cycle's status as its workflow reports it: which commitments are open, how the rest ended.

    Where an open commitment stands is the database's to show (the board): a commitment
    tells its cycle only of its end.
    """

    cycle_id: str
    name: str
    status: str
    open: list[str]
    ended: dict[str, Stage]


class CycleEvent(BaseModel):
    """A cycle-level change as the database records it."""

    cycle_id: str
    seq: int
    action: str
    status: str
    actor: Actor
    occurred_at: datetime
    ended: bool = False
    reason: str | None = None
    spec: CycleSpec | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class CancelCycle(BaseModel):
    """Cancel the whole cycle."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    reason: str = Field(min_length=1, max_length=2000)


class StageChanged(BaseModel):
    """A commitment tells its cycle where it now stands."""

    regency_code: str
    stage: Stage


def cycle_document_hash(documents: Mapping[str, str | None]) -> str:
    """SHA-256 of a cycle's signed documents: `[[code, hash or null], ...]` by regency code.

    The input maps each regency code to the hash of its signed document (None while
    unsigned). Sorting by code makes the hash independent of the order regencies were
    listed or signed in, so anyone can recompute it from a printed joint commitment:
    the canonical JSON has no spaces, e.g. `[["53.01","ab12..."],["53.71",null]]`.
    """
    pairs = [[code, documents[code]] for code in sorted(documents)]
    return hashlib.sha256(canonical_json(pairs).encode()).hexdigest()
