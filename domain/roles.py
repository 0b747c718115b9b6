"""Who may act: roles, the acting person, and their scope."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog import is_province_code


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
    """The scope rule: province roles cover every party, regency roles their own only.

    A reviewer bound to a party (an account with a regency code: the province plan's
    own reviewer, say from the Inspektorat) covers that party only.
    """
    if role is Role.REVIEWER and own_regency is not None:
        return own_regency == regency_code
    return not role.is_regency_role or own_regency == regency_code


def bound_to(role: Role, own_regency: str | None) -> str | None:
    """The one party a person's scope is limited to (`covers`), or None for every party."""
    if role.is_regency_role or role is Role.REVIEWER:
        return own_regency
    return None


def party_allowed(role: Role, party_code: str | None) -> bool:
    """Whether an account of `role` may name this party: regency roles must name one;
    province roles name none, but for the province plan's own reviewer (the province's
    code, e.g. "53")."""
    if role.is_regency_role:
        return party_code is not None
    return party_code is None or (role is Role.REVIEWER and is_province_code(party_code))


def reviews(role: Role, own_regency: str | None, regency_code: str) -> bool:
    """Whether a reviewer may review (approve, request changes, verify or return reports
    of) a party's plan: the reviewer rule of docs/province.md.

    BPBD Provinsi's reviewers (no regency code) review the regencies, never the province's
    own plan: their agency's plan is reviewed by a reviewer bound to the province ("53"),
    who reviews it alone. Other roles never review.
    """
    if role is not Role.REVIEWER:
        return False
    if own_regency is not None:
        return own_regency == regency_code
    return not is_province_code(regency_code)


SYSTEM = Actor(name="Komitmen", role=Role.COORDINATOR)
"""The actor recorded for timed changes (a quarter locking, a deadline passing)."""
