"""Stored files (signed scans, certified PDFs) and certified-signature requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models as m
from db.records import dialect_insert


def put_file(
    session: Session, *, sha256: str, content: bytes, media_type: str, now: datetime
) -> None:
    """Keep a file under its SHA-256; the same file handed in twice is kept once."""
    session.execute(
        dialect_insert(session, m.StoredFile)
        .values(
            sha256=sha256, media_type=media_type, size=len(content), content=content, created_at=now
        )
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def get_file(session: Session, sha256: str) -> m.StoredFile | None:
    """The file kept under this SHA-256, or None."""
    return session.get(m.StoredFile, sha256)


def file_exists(session: Session, *, sha256: str) -> bool:
    """Whether a file is kept under this SHA-256, without reading its bytes."""
    found = session.scalar(select(m.StoredFile.sha256).where(m.StoredFile.sha256 == sha256))
    return found is not None


def tte_request(
    session: Session, *, commitment_id: str, document_hash: str, office: str
) -> m.TteRequest | None:
    """The certified-signature request of one office on one document, or None."""
    return session.scalar(
        select(m.TteRequest).where(
            m.TteRequest.commitment_id == commitment_id,
            m.TteRequest.document_hash == document_hash,
            m.TteRequest.office == office,
        )
    )


def tte_requests(session: Session, *, commitment_id: str) -> list[m.TteRequest]:
    """Every certified-signature request of a commitment, oldest first."""
    return list(
        session.scalars(
            select(m.TteRequest)
            .where(m.TteRequest.commitment_id == commitment_id)
            .order_by(m.TteRequest.id)
        )
    )
