"""Who may act: roles, the acting person, and their scope."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """A user's role; regency roles are bound to one regency."""

    COORDINATOR = "coordinator"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    REGENCY_OFFICER = "regency_officer"
    SIGNATORY = "signatory"

    @property
    def is_regency_role(self) -> bool:
        """True for roles that only act within their own regency."""
        return self in (Role.REGENCY_OFFICER, Role.SIGNATORY)


class Acting(StrEnum):
    """How a signatory signs: in person, as an acting official, or on the holder's behalf.

    AN ("a.n.", atas nama) is someone signing on behalf of the office-holder, e.g.
    the Sekretaris Daerah for the Bupati; the office and its title stay the holder's.
    Which marks an office allows is `domain.offices.ACTING_FOR` (Permendagri 1/2023, Art. 44).
    """

    DEFINITIVE = "definitive"
    PLT = "plt"
    PLH = "plh"
    PJ = "pj"
    PJS = "pjs"
    AN = "an"


class Actor(BaseModel):
    """The authenticated person behind a human action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role
    regency_code: str | None = None
    office: str | None = None
    acting: Acting = Acting.DEFINITIVE
    nip: str | None = Field(default=None, pattern=r"^\d{18}$")
    username: str | None = Field(default=None, max_length=64)
    """The account that acted, so mail about the action leaves that person out; None in
    actions recorded before it was carried, and for the system."""

    def may_act_for(self, regency_code: str) -> bool:
        """Whether this actor's scope covers the given regency."""
        return covers(self.role, self.regency_code, regency_code)


def covers(role: Role, own_regency: str | None, regency_code: str) -> bool:
    """The scope rule: province roles cover every regency, regency roles their own only."""
    return not role.is_regency_role or own_regency == regency_code


SYSTEM = Actor(name="Komitmen", role=Role.COORDINATOR)
"""The actor recorded for timed changes (a quarter locking, a deadline passing)."""
