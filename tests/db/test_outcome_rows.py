"""A plan with outcome links is recorded with its format-3 columns and item_outcome rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from db import models as m
from db import records
from db.session import session_factory, transaction
from domain.calendar import at_wita
from domain.commitment import CommitmentState, SaveDraft, apply_save_draft, started_event
from domain.cycle import CycleEvent
from domain.document import DocumentFormat, bytes_hash
from domain.plan import ActionItem, ActionPlan
from tests.db.test_repository import KUPANG, OFFICER, cycle_spec, record
from tests.domain.test_outcomes import LINKED
from tests.domain.test_plan import item_data


def test_outcome_links_are_recorded_once_as_columns_and_rows(db_url: str) -> None:
    spec = cycle_spec()
    state = CommitmentState.start(
        spec.commitment_spec(spec.regencies[0]), at_wita(date(2026, 1, 5), 9)
    )
    linked = ActionItem.model_validate(
        item_data(outcomes=LINKED, baseline="2", quarter_targets=[1, 2, "3.5", 5])
    )
    plain = ActionItem.model_validate(item_data(activity="Sosialisasi"))
    plan = ActionPlan(items=(plain, linked))
    started = started_event(state)
    save = SaveDraft(actor=OFFICER, plan=plan, based_on_version=0)
    event = apply_save_draft(
        state, save, at_wita(date(2026, 1, 6), 10), DocumentFormat.for_plan(plan)
    )
    sessions = session_factory(db_url)
    with transaction(sessions) as session:
        records.record_cycle_event(
            session,
            event=CycleEvent(
                cycle_id=spec.cycle_id,
                seq=1,
                action="started",
                status="running",
                actor=OFFICER,
                occurred_at=at_wita(date(2026, 1, 5), 8),
                spec=spec,
            ),
        )
    assert record(sessions, started) is True
    assert record(sessions, event) is True
    assert record(sessions, event) is False  # a retry writes nothing twice

    with sessions() as session:
        version = session.scalars(select(m.PlanVersion)).one()
        assert version.document_format == 3
        assert version.document is not None
        assert bytes_hash(version.document) == version.document_hash == state.version_hash
        items = session.scalars(select(m.ActionItem).order_by(m.ActionItem.position)).all()
        assert [i.outcomes is None for i in items] == [True, False]
        assert items[0].baseline is None and items[0].quarter_targets is None
        assert items[1].baseline == Decimal(2)
        assert items[1].quarter_targets == ["1", "2", "3.5", "5"]
        assert items[1].outcomes is not None and items[1].outcomes["sendai"] == ["E", "G"]
        rows = session.execute(
            select(m.ItemOutcome.item_id, m.ItemOutcome.kind, m.ItemOutcome.code).order_by(
                m.ItemOutcome.id
            )
        ).all()
    assert {r.item_id for r in rows} == {items[1].id}
    assert [(r.kind, r.code) for r in rows] == linked.outcomes.keys()
    assert KUPANG.bps_code == "5303"
