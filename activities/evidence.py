"""The activity that makes a photo's thumbnail and phone copy (`workflows.evidence`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from db import evidence as records
from db.session import transaction
from evidence.imaging import derivatives
from evidence.store import BlobStore

JPEG = "image/jpeg"


class Deriver:
    """Holds the evidence store and the database the copies are recorded in."""

    def __init__(self, sessions: sessionmaker[Session], store: BlobStore) -> None:
        """Keep the database and the store."""
        self.sessions = sessions
        self.store = store

    @activity.defn(name="derive_evidence")
    def derive_evidence(self, sha256: str) -> bool:
        """Make and keep the copies of one photo, and note them on every attachment of it.

        Idempotent: the copies are content-addressed, so a retry keeps the same ones.
        False when the photo is not in the store (nothing to make).
        """
        original = self.store.get(sha256)
        if original is None:
            return False
        thumbnail, phone = derivatives(original)
        names = []
        for content in (thumbnail, phone):
            digest = hashlib.sha256(content).hexdigest()
            self.store.put(digest, content, JPEG)
            names.append(digest)
        with transaction(self.sessions) as session:
            records.note_derivatives(
                session,
                sha256=sha256,
                thumbnail=names[0],
                phone=names[1],
                now=datetime.now(UTC),
            )
        return True
