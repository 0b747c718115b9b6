"""The catalog of regencies (kabupaten/kota) and the titles of their offices.

The catalog is data, ``domain/data/regencies.json``, because names, agencies and
titles change by regulation (BPBD heads were retitled by Permendagri 18/2025).
The file is keyed by province code so other provinces can be added beside NTT;
NTT ("53") is only the default named by ``default_province``.

Each regency carries both official codes: Kemendagri ("53.01", administration)
and BPS ("5303", statistics). They differ, and a bare four-digit code is always
read as BPS: "5301" is Sumba Barat, while "53.01" is Kabupaten Kupang.

The province itself can take part in a cycle as a party beside its regencies (its own
action items, by BPBD Provinsi): `Catalog.party` is that entry, a `Regency` of kind
"provinsi" whose codes are the province's ("53"), with its own office titles. `get`
finds it by that code, so everything keyed by a party's code (scope, offices, titles,
boards, exports) treats it like a regency; `regencies` and `codes` stay the
kabupaten/kota only ("every regency" means those). docs/province.md.
"""

from __future__ import annotations

import json
import re
from datetime import date
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import UnknownRegency

_KEMENDAGRI_CODE = re.compile(r"\d{2}\.\d{2}")
_PROVINCE_CODE = re.compile(r"\d{2}")
_BPS_CODE = re.compile(r"\d{4}")


class Office(StrEnum):
    """An office whose holder signs a commitment for a regency."""

    BPBD_HEAD = "bpbd_head"
    PLANNING_HEAD = "planning_head"
    REGIONAL_HEAD = "regional_head"


class OfficeTitle(BaseModel):
    """An office's title over a period; both ends are inclusive and None means open.

    Inclusive ends read the way people write them: "Kepala Pelaksana BPBD" until
    16 December 2025, "Kepala BPBD" from 17 December 2025.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    office: Office
    title: str = Field(min_length=1)
    valid_from: date | None = None
    valid_until: date | None = None
    source: str | None = None
    """Where the title comes from (a regulation, or what is still to be confirmed)."""

    @model_validator(mode="after")
    def _period_not_reversed(self) -> OfficeTitle:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(
                f"{self.title!r}: valid_until {self.valid_until} is before valid_from "
                f"{self.valid_from}"
            )
        return self

    def covers(self, on: date) -> bool:
        """True when this title is the one in force on date `on`."""
        starts_ok = self.valid_from is None or self.valid_from <= on
        ends_ok = self.valid_until is None or on <= self.valid_until
        return starts_ok and ends_ok


class AgencyName(BaseModel):
    """The planning agency's name in a regency over a period (ends inclusive, None open)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    valid_from: date | None = None
    valid_until: date | None = None
    source: str | None = None

    def covers(self, on: date) -> bool:
        """True when this name is the one in force on date `on`."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )


class Regency(BaseModel):
    """A party of a cycle: a kabupaten or kota (or the province itself, kind "provinsi",
    with the province's two-digit codes), its two codes, its seat and its office titles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kemendagri_code: str = Field(pattern=r"^\d{2}(\.\d{2})?$")
    bps_code: str = Field(pattern=r"^\d{2}(\d{2})?$")
    name: str
    short_name: str
    kind: Literal["kabupaten", "kota", "provinsi"]
    head_title: str
    planning_agency: str
    """The planning agency's name today: Bappeda, Bapperida or Bappelitbangda."""
    seat: str
    office_titles: tuple[OfficeTitle, ...] = ()
    planning_agencies: tuple[AgencyName, ...] = ()
    """The agency's names over time, where it was renamed; empty: `planning_agency` always."""

    @model_validator(mode="after")
    def _periods_do_not_overlap(self) -> Regency:
        for office in Office:
            periods = sorted(
                (t for t in self.office_titles if t.office is office),
                key=lambda t: t.valid_from or date.min,
            )
            for earlier, later in zip(periods, periods[1:], strict=False):
                if earlier.valid_until is None or (
                    later.valid_from is not None and later.valid_from <= earlier.valid_until
                ):
                    raise ValueError(
                        f"{self.name}: titles {earlier.title!r} and {later.title!r} "
                        f"of {office.value} overlap"
                    )
        return self

    def title_of(self, office: Office, on: date) -> str:
        """Return the title of `office` in force on `on`, or raise LookupError."""
        for entry in self.office_titles:
            if entry.office is office and entry.covers(on):
                return entry.title
        raise LookupError(f"{self.name} has no title for {office.value} on {on.isoformat()}")

    def agency_on(self, on: date) -> str:
        """The planning agency's name on `on`."""
        for entry in self.planning_agencies:
            if entry.covers(on):
                return entry.name
        return self.planning_agency


class Province(BaseModel):
    """The province the catalog's regencies belong to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^\d{2}$")
    name: str
    head_title: str
    planning_agency: str
    capital: str
    disaster_agency: str


class Catalog(BaseModel):
    """The regencies of one province, looked up by Kemendagri or BPS code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    province: Province
    party: Regency | None = None
    """The province as a party of a cycle (its own action plan), if it takes part."""
    regencies: tuple[Regency, ...]

    @model_validator(mode="after")
    def _codes_consistent(self) -> Catalog:
        party = self.party
        if party is not None and (
            party.kind != "provinsi"
            or party.kemendagri_code != self.province.code
            or party.bps_code != self.province.code
        ):
            raise ValueError(
                f"the province's party must be of kind 'provinsi' with code {self.province.code}"
            )
        for kind in ("kemendagri_code", "bps_code"):
            seen: set[str] = set()
            for regency in self.regencies:
                code: str = getattr(regency, kind)
                if code in seen:
                    raise ValueError(f"{kind} {code} appears twice")
                seen.add(code)
                if not code.startswith(self.province.code):
                    raise ValueError(
                        f"{regency.name}: {kind} {code} is outside province {self.province.code}"
                    )
        return self

    def get(self, code: str) -> Regency:
        """Return the regency with Kemendagri code "53.01" or BPS code "5303"; the
        province's code ("53") gives the province as a party, where it takes part."""
        wanted = code.strip()
        if self.party is not None and wanted == self.party.kemendagri_code:
            return self.party
        if _KEMENDAGRI_CODE.fullmatch(wanted):
            scheme, known = "Kemendagri", self.codes()
        elif _BPS_CODE.fullmatch(wanted):
            scheme, known = "BPS", [r.bps_code for r in self.regencies]
        else:
            example = self.regencies[0] if self.regencies else None
            raise UnknownRegency(
                code,
                f"{code!r} is not a regency code: use a Kemendagri code such as "
                f"{example.kemendagri_code if example else 'NN.NN'!r} or a BPS code such as "
                f"{example.bps_code if example else 'NNNN'!r}",
            )
        if wanted not in known:
            raise UnknownRegency(
                code,
                f"no regency in {self.province.name} has {scheme} code {wanted!r}; "
                f"known {scheme} codes: {', '.join(known)}",
            )
        return self.regencies[known.index(wanted)]

    def codes(self) -> list[str]:
        """Return the Kemendagri codes of all regencies, in catalog order."""
        return [r.kemendagri_code for r in self.regencies]

    def parties(self) -> list[Regency]:
        """Everyone who may take part in a cycle: the province (if it does), then the regencies."""
        return [*([self.party] if self.party else []), *self.regencies]


def is_province_code(code: str) -> bool:
    """Whether a party's Kemendagri code is a province's ("53"), not a regency's ("53.01")."""
    return _PROVINCE_CODE.fullmatch(code) is not None


@cache
def load_catalog(province_code: str | None = None) -> Catalog:
    """Load the catalog of `province_code` from package data; None means default_province (NTT)."""
    data = json.loads((files("domain") / "data" / "regencies.json").read_text(encoding="utf-8"))
    code = province_code or data["default_province"]
    provinces = data["provinces"]
    if code not in provinces:
        raise LookupError(
            f"no catalog for province {code!r}; available: {', '.join(sorted(provinces))}"
        )
    return Catalog.model_validate(provinces[code])
