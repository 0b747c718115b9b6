"""The demo directory: everyone a regency needs, able to sign in on the embedded run."""

from __future__ import annotations

from collections import Counter

from api.security import authenticate, hash_password
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from komitmen.demo import DEMO_PASSWORD, demo_users, seed_demo_users


def test_every_regency_has_an_officer_and_three_signatories() -> None:
    users = demo_users(load_catalog())
    per_regency = Counter(u.regency_code for u in users if u.regency_code)
    assert len(per_regency) == 22 and set(per_regency.values()) == {4}
    assert {u.username for u in users if u.regency_code is None} == {
        "koordinator",
        "reviewer",
        "manajer",
    }


def test_seeding_twice_adds_nobody_and_demo_people_sign_in(db_url: str) -> None:
    sessions = session_factory(db_url)
    with transaction(sessions) as session:
        assert seed_demo_users(session, load_catalog(), hash_password(DEMO_PASSWORD)) == 91
    with transaction(sessions) as session:
        assert seed_demo_users(session, load_catalog()) == 0
        assert authenticate(session, username="kada-5371", password=DEMO_PASSWORD)
        assert authenticate(session, username="kada-5371", password="bukan-sandi") is None
