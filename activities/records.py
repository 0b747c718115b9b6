"""Activities that record workflow changes in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from db import records
from db.session import transaction
from domain.calendar import wita_date
from domain.catalog import Catalog, Office
from domain.commitment import Event
from domain.cycle import CycleEvent


class Recorder:
    """Writes commitment and cycle events; each write is idempotent by (stream, seq)."""

    def __init__(self, sessions: sessionmaker[Session], catalog: Catalog) -> None:
        """Hold the session factory and the catalog used for official titles."""
        self.sessions = sessions
        self.catalog = catalog

    @activity.defn(name="record_event")
    def record_event(self, event: Event) -> bool:
        """Record one commitment change; False when a retry finds it recorded already."""
        regency = self.catalog.get(event.regency_code)
        title = None
        if event.signature is not None:
            signed_on = wita_date(event.signature.signed_at)
            title = regency.title_of(Office(event.signature.office), signed_on)
        with transaction(self.sessions) as session:
            return records.record_event(
                session, event=event, regency_name=regency.name, signature_title=title
            )

    @activity.defn(name="record_cycle_event")
    def record_cycle_event(self, event: CycleEvent) -> bool:
        """Record one cycle change; False when a retry finds it recorded already."""
        with transaction(self.sessions) as session:
            return records.record_cycle_event(session, event=event)
