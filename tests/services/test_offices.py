"""Every party's offices desk at once (the coordinator's /offices) is what each party's own
desk shows, read in a fixed number of statements however many parties there are."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event

from db import people
from db.session import engine_for, session_factory, transaction
from domain.catalog import Office, load_catalog
from domain.offices import TITLE_KINDS, Assignment
from domain.roles import Acting
from komitmen.demo import seed_demo_users
from services import offices
from services.access import AuthUser

TODAY = date(2026, 12, 7)


def _seen(desk: offices.RegencyOffices) -> tuple[Any, ...]:
    return (
        desk.regency.kemendagri_code,
        [(o.office, o.title, o.holder, o.assignments, o.gaps) for o in desk.offices],
        [(t.kind, t.title, t.valid_from) for t in desk.titles],
        desk.agency,
        [u.username for u in desk.signatories],
        desk.names,
    )


def test_every_party_desk_at_once_is_each_desk_in_three_statements(db_url: str) -> None:
    catalog = load_catalog()
    now = datetime(2026, 12, 7, 1, tzinfo=UTC)
    with transaction(session_factory(db_url)) as session:
        seed_demo_users(session, catalog)
        coordinator = people.get_user(session, username="koordinator")
        assert coordinator is not None
        user = AuthUser.of(coordinator)
        offices.assign(
            session,
            user,
            Assignment(
                regency_code="53.01",
                office=Office.BPBD_HEAD,
                username="kalak-5301",
                acting=Acting.PLT,
                sk_number="800.1.3.3/27/BKPSDM/2026",
                valid_from=date(2026, 11, 1),
            ),
            now=now,
        )
        offices.record_title(
            session,
            user,
            regency_code="53.71",
            kind=sorted(TITLE_KINDS)[0],
            title="Kepala Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah",
            valid_from=date(2026, 1, 1),
            source="Perda Kota Kupang 1/2026",
            now=now,
        )
    with session_factory(db_url)() as session:
        one_by_one = [
            _seen(offices.regency_offices(session, user, r.kemendagri_code, TODAY))
            for r in catalog.parties()
        ]
        statements: list[str] = []
        engine = engine_for(db_url)

        def note(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", note)
        try:
            at_once = [_seen(d) for d in offices.every_party_offices(session, user, TODAY)]
        finally:
            event.remove(engine, "before_cursor_execute", note)
    assert at_once == one_by_one
    assert len(at_once) == len(catalog.parties()) == 23
    assert any(view[1][0][2] is not None for view in at_once)  # the Plt. holds an office
    assert len(statements) == 3, statements
