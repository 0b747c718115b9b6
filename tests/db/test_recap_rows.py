"""The recap's derived rows (item_standing, recap_part): kept in step by every recorded
change, and rebuilt alike by migration 0014 from what was recorded before it."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect, select

from db import models as m
from db import standing
from db.session import alembic_config, engine_for, migrate, session_factory, transaction
from tests.recap_data import seed_recap_year


def _rows(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    with session_factory(db_url)() as session:
        return {
            table.__tablename__: sorted(
                tuple(row) for row in session.execute(select(*table.__table__.columns))
            )
            for table in (m.ItemStanding, m.RecapPart)
        }


def test_migration_0014_derives_the_rows_the_records_kept(db_url: str) -> None:
    seed_recap_year(db_url)
    kept = _rows(db_url)
    assert kept["item_standing"] and kept["recap_part"]
    command.downgrade(alembic_config(db_url), "0013")
    tables = set(inspect(engine_for(db_url)).get_table_names())
    assert not {"item_standing", "recap_part"} & tables
    engine_for(db_url).dispose()
    migrate(db_url)
    assert _rows(db_url) == kept


def test_a_refresh_changes_nothing_the_records_kept(db_url: str) -> None:
    seed_recap_year(db_url)
    kept = _rows(db_url)
    with transaction(session_factory(db_url), write=True) as session:
        assert standing.refresh_all(session) == len(kept["item_standing"])
    assert _rows(db_url) == kept


def test_a_plan_leaving_the_counted_stages_leaves_no_rows(db_url: str) -> None:
    seed_recap_year(db_url)
    with transaction(session_factory(db_url), write=True) as session:
        commitment = session.scalars(
            select(m.Commitment).where(m.Commitment.stage == "follow_up").limit(1)
        ).one()
        commitment.stage = "withdrawn"
        session.flush()
        standing.refresh(session, [commitment.id])
        party = commitment.regency_code
        left = session.scalars(
            select(m.RecapPart.party).where(
                m.RecapPart.cycle_id == commitment.cycle_id, m.RecapPart.party == party
            )
        ).all()
        others = session.scalars(select(m.RecapPart.party).distinct()).all()
    assert left == [] and others and party not in others
