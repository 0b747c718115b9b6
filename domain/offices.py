"""Who holds or acts for an office on a day, and how their signature block is written.

An office (Kepala BPBD, the planning agency's head, the Bupati or Wali Kota) is held
by someone definitively or, for a period set by a decree (SK), by someone acting for
it. Permendagri 1/2023 on tata naskah dinas, Article 44, says which acting marks an
office allows and how the block reads:

- a kepala daerah may have a Pj. (penjabat), a Pjs. (penjabat sementara), a Plt. or a
  Plh.; the head of an agency a Plt. (pelaksana tugas) or a Plh. (pelaksana harian),
  never a Pj. or Pjs.;
- "a.n." (atas nama) is someone signing on the holder's behalf: the block reads
  "a.n. BUPATI KUPANG" and, on the next line, the signer's own title;
- officials show their pangkat/golongan and NIP under their name; a kepala daerah,
  definitive or Pj./Pjs./Plt./Plh., shows neither.

Two assignments of one office may not overlap within one tier: definitive holders
follow each other, and so do acting ones. An acting assignment may lie over a
definitive one (a Plh. while the holder is on leave): on its days it is the acting
official who signs. Days on which no one holds an office are gaps: shown, not refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.catalog import Office, Regency
from domain.display import acting_mark
from domain.refusals import RefusalCode as R
from domain.roles import Acting

ACTING_FOR: dict[Office, frozenset[Acting]] = {
    Office.REGIONAL_HEAD: frozenset(Acting),
    Office.BPBD_HEAD: frozenset({Acting.DEFINITIVE, Acting.PLT, Acting.PLH, Acting.AN}),
    Office.PLANNING_HEAD: frozenset({Acting.DEFINITIVE, Acting.PLT, Acting.PLH, Acting.AN}),
}
"""The ways an office may be held (Permendagri 1/2023, Art. 44): Pj. and Pjs. are for a
kepala daerah only."""

KEPALA_DAERAH = frozenset({Office.REGIONAL_HEAD})
"""Offices whose holder, definitive or acting, shows no pangkat or NIP in the block."""


class Assignment(BaseModel):
    """That a person holds or acts for an office of a regency, over a period, by a decree.

    Both ends are inclusive, in WITA days; `valid_from` None is "since before records
    began" (an account's own office carried over), `valid_until` None is open-ended.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int | None = None
    regency_code: str = Field(pattern=r"^\d{2}(\.\d{2})?$")
    office: Office
    username: str = Field(min_length=1, max_length=64)
    acting: Acting
    sk_number: str = Field(default="", max_length=120)
    """The decree (SK) that made the assignment, as written on it."""
    valid_from: date | None = None
    valid_until: date | None = None
    own_title: str | None = Field(default=None, max_length=200)
    """For a.n.: the signer's own title, printed on the line after the office's."""

    @model_validator(mode="after")
    def _strip(self) -> Assignment:
        object.__setattr__(self, "sk_number", self.sk_number.strip())
        if self.own_title is not None:
            object.__setattr__(self, "own_title", self.own_title.strip() or None)
        return self

    @property
    def is_acting(self) -> bool:
        """True for Plt., Plh., Pj., Pjs. and a.n.: the acting tier, over a definitive one."""
        return self.acting is not Acting.DEFINITIVE

    def covers(self, on: date) -> bool:
        """True when the assignment is in force on day `on`."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )

    def overlaps(self, other: Assignment) -> bool:
        """True when the two periods share a day."""
        starts = max(self.valid_from or date.min, other.valid_from or date.min)
        ends = min(self.valid_until or date.max, other.valid_until or date.max)
        return starts <= ends


@dataclass(frozen=True)
class Problem:
    """Why an assignment cannot be recorded: a refusal code and its parameters."""

    code: R
    params: dict[str, str]


def problems(new: Assignment, existing: Iterable[Assignment]) -> list[Problem]:
    """Everything wrong with recording `new` beside the office's `existing` assignments."""
    found: list[Problem] = []
    if new.acting not in ACTING_FOR[new.office]:
        # Every office may be held definitively; the list names the acting marks.
        allowed = ", ".join(
            acting_mark(a)
            for a in Acting
            if a in ACTING_FOR[new.office] and a.value != "definitive"
        )
        found.append(
            Problem(
                R.ACTING_NOT_FOR_OFFICE,
                {"mark": acting_mark(new.acting), "office": new.office.value, "allowed": allowed},
            )
        )
    if not new.sk_number and new.valid_from is not None:
        found.append(Problem(R.SK_REQUIRED, {}))
    if new.acting is Acting.AN and not new.own_title:
        found.append(Problem(R.OWN_TITLE_REQUIRED, {}))
    if new.valid_from and new.valid_until and new.valid_until < new.valid_from:
        found.append(
            Problem(
                R.PERIOD_REVERSED,
                {"start": new.valid_from.isoformat(), "end": new.valid_until.isoformat()},
            )
        )
        return found
    for other in existing:
        same_office = (other.regency_code, other.office) == (new.regency_code, new.office)
        if (
            other.id != new.id
            and same_office
            and other.is_acting == new.is_acting
            and other.overlaps(new)
        ):
            found.append(
                Problem(
                    R.ASSIGNMENT_OVERLAP,
                    {
                        "username": other.username,
                        "mark": acting_mark(other.acting) or "definitif",
                        "start": other.valid_from.isoformat() if other.valid_from else "-",
                        "end": other.valid_until.isoformat() if other.valid_until else "-",
                        "sk": other.sk_number or "-",
                    },
                )
            )
    return found


def in_force(assignments: Iterable[Assignment], office: Office, on: date) -> Assignment | None:
    """Who signs for `office` on day `on`: an acting assignment over the definitive one."""
    covering = [a for a in assignments if a.office is office and a.covers(on)]
    acting = [a for a in covering if a.is_acting]
    chosen = acting or covering
    return chosen[0] if chosen else None


def gaps(
    assignments: Iterable[Assignment], office: Office, start: date, end: date
) -> list[tuple[date, date]]:
    """The runs of days from `start` to `end` (inclusive) on which no one holds `office`."""
    periods = sorted(
        (
            (a.valid_from or date.min, a.valid_until or date.max)
            for a in assignments
            if a.office is office
        ),
        key=lambda p: p[0],
    )
    found: list[tuple[date, date]] = []
    day = start
    for begins, ends in periods:
        if ends < day:
            continue
        if begins > end:
            break
        if begins > day:
            found.append((day, begins - timedelta(days=1)))
        if ends >= end:
            return found
        day = ends + timedelta(days=1)
    if day <= end:
        found.append((day, end))
    return found


@dataclass(frozen=True)
class BlockLines:
    """The words of a signature block below place and date, by Art. 44."""

    title: str
    """The office's title as signed: "Plt. KEPALA BPBD KABUPATEN KUPANG,"; "a.n. BUPATI
    KUPANG" (no comma: the signer's own title follows)."""
    own_title: str | None
    """For a.n.: the signer's own title, "SEKRETARIS DAERAH,"."""
    name: str
    pangkat: str | None
    nip: str | None


def block_lines(
    *,
    office: str,
    acting: str,
    office_title: str,
    name: str,
    pangkat: str | None,
    nip: str | None,
    own_title: str | None = None,
) -> BlockLines:
    """A signature block's lines for one signer (Permendagri 1/2023, Art. 44).

    `office` and `acting` are as recorded (strings, so older signatures read too); a
    kepala daerah's block carries neither pangkat nor NIP, unless someone signs a.n.
    for them (the Sekda, an official who shows both).
    """
    mark = acting_mark(acting)
    heading = f"{mark} {office_title.upper()}" if mark else office_title.upper()
    signing_for_head = office in {o.value for o in KEPALA_DAERAH} and acting != Acting.AN
    if acting == Acting.AN and own_title:
        return BlockLines(
            title=heading,
            own_title=f"{own_title.upper()},",
            name=name,
            pangkat=pangkat or None,
            nip=nip or None,
        )
    return BlockLines(
        title=f"{heading},",
        own_title=None,
        name=name,
        pangkat=None if signing_for_head else (pangkat or None),
        nip=None if signing_for_head else (nip or None),
    )


def offices_held(assignments: Sequence[Assignment], username: str, on: date) -> list[Assignment]:
    """The assignments by which `username` signs on day `on`, one per office, in office order.

    An office's assignment counts only if it is the one in force for the office that
    day: a definitive holder does not sign on the days a Plh. acts for them.
    """
    held = []
    for office in Office:
        signer = in_force(assignments, office, on)
        if signer is not None and signer.username == username:
            held.append(signer)
    return held


PLANNING_AGENCY = "planning_agency"
"""The kind of a recorded name that is the planning agency's, beside the offices' titles."""

TITLE_KINDS: tuple[str, ...] = (*(o.value for o in Office), PLANNING_AGENCY)
"""What a coordinator records per regency and date: each office's title, the agency's name."""


@dataclass(frozen=True)
class RecordedTitle:
    """A title or agency name recorded for a regency from a date on."""

    kind: str
    title: str
    valid_from: date


def title_on(regency: Regency, kind: str, on: date, recorded: Iterable[RecordedTitle]) -> str:
    """The title of `kind` in the regency on day `on`; `recorded` in the order recorded.

    The latest recorded title from on or before that day holds; before the first one,
    the catalog's (`domain/data/regencies.json`), so a regency whose regulation changed
    a title on its own date reads the old title up to that day and the new one after.
    """
    held = [r for r in recorded if r.kind == kind and r.valid_from <= on]
    if held:
        # Sorting is stable: of two recorded for one date, the later recorded (a correction).
        return sorted(held, key=lambda r: r.valid_from)[-1].title
    if kind == PLANNING_AGENCY:
        return regency.agency_on(on)
    return regency.title_of(Office(kind), on)
