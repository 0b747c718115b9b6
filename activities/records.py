"""Activities that record workflow changes in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from db import offices, people, records
from db.session import transaction
from domain.calendar import wita_date
from domain.catalog import Catalog, Office, Regency
from domain.commitment import Event
from domain.cycle import CycleEvent
from domain.offices import RecordedTitle, in_force, title_on
from domain.roles import Acting


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
        with transaction(self.sessions, write=True) as session:
            title = pangkat = own_title = None
            if event.signature is not None:
                title, pangkat, own_title = self._signer(session, regency, event)
            return records.record_event(
                session,
                event=event,
                regency_name=regency.name,
                signature_title=title,
                signer_pangkat=pangkat,
                signer_own_title=own_title,
            )

    @staticmethod
    def _signer(
        session: Session, regency: Regency, event: Event
    ) -> tuple[str, str | None, str | None]:
        """The office's title on the signing day (as the regency had it recorded then), the
        signer's pangkat, and for a.n. their own title from the assignment in force."""
        assert event.signature is not None
        signature = event.signature
        signed_on = wita_date(signature.signed_at)
        recorded = [
            RecordedTitle(kind=r.kind, title=r.title, valid_from=r.valid_from)
            for r in offices.regency_titles(session, regency_code=regency.kemendagri_code)
        ]
        title = title_on(regency, signature.office, signed_on, recorded)
        username = event.actor.username
        account = people.find_user(session, username=username) if username else None
        own_title = None
        if signature.acting is Acting.AN:
            signer = in_force(
                offices.assignments(
                    session, regency_code=regency.kemendagri_code, offices=[signature.office]
                ),
                Office(signature.office),
                signed_on,
            )
            if signer is not None and signer.username == username:
                own_title = signer.own_title
        return title, account.pangkat if account is not None else None, own_title

    @activity.defn(name="record_cycle_event")
    def record_cycle_event(self, event: CycleEvent) -> bool:
        """Record one cycle change; False when a retry finds it recorded already."""
        with transaction(self.sessions, write=True) as session:
            return records.record_cycle_event(session, event=event)
