"""The outcomes an action item can serve, and the reference lists they come from.

The province answers upward for outcomes, not for items: the three SPM services of
the disaster sub-field (with their SIPD sub-activity code, 1.05.03.2.xx), the seven
IKD priorities and their indicators, the Sendai Framework's targets A-G, and Destana
villages with the level sought. An item may serve several, or none.

The lists are data (``domain/data/outcomes/<version>.json``), each naming its source,
because ministries renumber and rename them. A later version only adds codes (or
ends one with ``valid_until``): a code is never reused nor removed, so every plan
linked under an earlier list stays valid, and validation accepts a code known to any
version. Names shown to people come from the newest version that has the code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.display import Language

SIPD_SUB_ACTIVITY = re.compile(r"^1\.05\.03\.2\.\d{2}$")
"""A sub-activity code of program 1.05.03 (Penanggulangan Bencana) in SIPD: 1.05.03.2.xx."""
BPS_VILLAGE = re.compile(r"^\d{10}$")
"""A village's BPS code: province (2), regency (2), district (3), village (3)."""


@dataclass(frozen=True)
class Entry:
    """One code of a reference list, with its names and the list's source."""

    code: str
    name_id: str
    name_en: str
    source: str
    version: str

    def name(self, language: Language) -> str:
        """The entry's name in `language`."""
        return self.name_id if language == "id" else self.name_en


@dataclass(frozen=True)
class References:
    """Every code of every version of the reference lists, newest names winning."""

    spm: dict[str, Entry]
    ikd: dict[int, Entry]
    ikd_indicator_count: int
    sendai: dict[str, Entry]
    destana_levels: dict[str, Entry]
    destana_schemes: dict[str, Entry]
    versions: tuple[str, ...]


def _entries(section: dict[str, Any], key: str, code: str, version: str) -> dict[Any, Entry]:
    return {
        row[code]: Entry(
            code=str(row[code]),
            name_id=row["name_id"],
            name_en=row["name_en"],
            source=section["source"],
            version=version,
        )
        for row in section[key]
    }


@cache
def references() -> References:
    """The reference lists of every version on file, oldest first, newer names winning."""
    folder = files("domain") / "data" / "outcomes"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    spm: dict[str, Entry] = {}
    ikd: dict[int, Entry] = {}
    sendai: dict[str, Entry] = {}
    levels: dict[str, Entry] = {}
    schemes: dict[str, Entry] = {}
    count = 0
    versions = []
    for name in names:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        version = data["version"]
        versions.append(version)
        spm |= _entries(data["spm"], "services", "code", version)
        ikd |= _entries(data["ikd"], "priorities", "number", version)
        count = max(count, int(data["ikd"]["indicator_count"]))
        sendai |= _entries(data["sendai"], "targets", "code", version)
        levels |= _entries(data["destana"], "levels", "code", version)
        schemes |= _entries(data["destana"], "schemes", "code", version)
    return References(spm, ikd, count, sendai, levels, schemes, tuple(versions))


class SpmLink(BaseModel):
    """The SPM service an item serves, with the SIPD sub-activity that budgets it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    sipd_code: Annotated[str, StringConstraints(pattern=SIPD_SUB_ACTIVITY.pattern)] | None = None

    @field_validator("service")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in references().spm:
            raise ValueError(f"unknown SPM service {value!r}: one of {', '.join(references().spm)}")
        return value


class IkdLink(BaseModel):
    """The IKD priority (1-7) an item serves, and optionally the indicator (1-71)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priority: int = Field(strict=True)
    indicator: int | None = Field(default=None, strict=True)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: int) -> int:
        if value not in references().ikd:
            raise ValueError(f"IKD priorities are 1 to {len(references().ikd)}")
        return value

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= references().ikd_indicator_count:
            raise ValueError(f"IKD indicators are 1 to {references().ikd_indicator_count}")
        return value


class DestanaLink(BaseModel):
    """A village (BPS code) an item helps become a Destana, the level sought and the scheme."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    village_code: Annotated[str, StringConstraints(pattern=BPS_VILLAGE.pattern)]
    level: str
    scheme: str = "perka_1_2012"

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in references().destana_levels:
            raise ValueError(f"Destana levels are {', '.join(references().destana_levels)}")
        return value

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if value not in references().destana_schemes:
            raise ValueError(f"Destana schemes are {', '.join(references().destana_schemes)}")
        return value


class Outcomes(BaseModel):
    """Every outcome one item serves; all empty for an item linked to none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spm: tuple[SpmLink, ...] = Field(default=(), max_length=3)
    ikd: tuple[IkdLink, ...] = Field(default=(), max_length=20)
    sendai: tuple[str, ...] = Field(default=(), max_length=7)
    destana: tuple[DestanaLink, ...] = Field(default=(), max_length=50)

    @field_validator("sendai")
    @classmethod
    def _sendai(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in references().sendai]
        if unknown:
            raise ValueError(f"Sendai targets are A to G, not {unknown[0]!r}")
        if len(set(value)) != len(value):
            raise ValueError("a Sendai target is listed twice")
        return tuple(sorted(value))

    @field_validator("spm")
    @classmethod
    def _spm_once(cls, value: tuple[SpmLink, ...]) -> tuple[SpmLink, ...]:
        if len({link.service for link in value}) != len(value):
            raise ValueError("an SPM service is listed twice")
        return tuple(sorted(value, key=lambda link: link.service))

    @field_validator("ikd")
    @classmethod
    def _ikd_once(cls, value: tuple[IkdLink, ...]) -> tuple[IkdLink, ...]:
        keys = [(link.priority, link.indicator) for link in value]
        if len(set(keys)) != len(keys):
            raise ValueError("an IKD priority and indicator is listed twice")
        return tuple(sorted(value, key=lambda link: (link.priority, link.indicator or 0)))

    @field_validator("destana")
    @classmethod
    def _village_once(cls, value: tuple[DestanaLink, ...]) -> tuple[DestanaLink, ...]:
        if len({link.village_code for link in value}) != len(value):
            raise ValueError("a village is listed twice")
        return tuple(sorted(value, key=lambda link: link.village_code))

    @property
    def empty(self) -> bool:
        """True when the item serves no outcome."""
        return not (self.spm or self.ikd or self.sendai or self.destana)

    def keys(self) -> list[tuple[str, str]]:
        """(kind, code) of every link, as the recap groups them: ("spm", "spm1"),
        ("ikd", "3"), ("ikd_indicator", "3.12"), ("sendai", "G"), ("destana", "pratama")."""
        keys = [("spm", link.service) for link in self.spm]
        for ikd in self.ikd:
            keys.append(("ikd", str(ikd.priority)))
            if ikd.indicator is not None:
                keys.append(("ikd_indicator", f"{ikd.priority}.{ikd.indicator}"))
        keys += [("sendai", t) for t in self.sendai]
        keys += [("destana", link.level) for link in self.destana]
        return list(dict.fromkeys(keys))


def villages_outside(outcomes: Outcomes, regency_bps_code: str) -> list[str]:
    """The linked villages whose BPS code does not lie in the regency (its 4-digit code);
    the province's own items may name a village of any regency ("53" prefix)."""
    return [
        link.village_code
        for link in outcomes.destana
        if not link.village_code.startswith(regency_bps_code)
    ]
