"""Evidence files as attached to report items: keyword-only functions over `evidence_file`.

The blobs themselves are kept by `evidence.store`; these rows say where each is attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models as m


def attach(session: Session, **columns: object) -> m.EvidenceFile:
    """Record a file attached to one item of one quarter's report."""
    row = m.EvidenceFile(**columns)
    session.add(row)
    session.flush()
    return row


def attached(
    session: Session, *, commitment_id: str, quarter: int | None = None
) -> Sequence[m.EvidenceFile]:
    """The files attached (not removed) to a commitment's reports, by quarter, item and time."""
    query = select(m.EvidenceFile).where(
        m.EvidenceFile.commitment_id == commitment_id, m.EvidenceFile.removed_at.is_(None)
    )
    if quarter is not None:
        query = query.where(m.EvidenceFile.quarter == quarter)
    return session.scalars(
        query.order_by(m.EvidenceFile.quarter, m.EvidenceFile.item_position, m.EvidenceFile.id)
    ).all()


def get(session: Session, *, evidence_id: int) -> m.EvidenceFile | None:
    """One attached file's row, removed or not."""
    return session.get(m.EvidenceFile, evidence_id)


def remove(session: Session, *, evidence_id: int, by: str, now: datetime) -> None:
    """Mark a file removed from its report (the row stays, for the record)."""
    row = session.get(m.EvidenceFile, evidence_id)
    if row is not None and row.removed_at is None:
        row.removed_at, row.removed_by = now, by
        session.flush()


def rows_of(session: Session, *, sha256: str) -> Sequence[m.EvidenceFile]:
    """Every attachment of one file (the same photo may be attached twice)."""
    return session.scalars(select(m.EvidenceFile).where(m.EvidenceFile.sha256 == sha256)).all()


def derived_copies(session: Session, *, sha256: str) -> tuple[str, str, datetime] | None:
    """A photo's thumbnail, phone copy and when they were made, if any attachment has them."""
    row = session.scalar(
        select(m.EvidenceFile)
        .where(m.EvidenceFile.sha256 == sha256, m.EvidenceFile.derived_at.is_not(None))
        .limit(1)
    )
    if row is None or row.thumbnail_sha256 is None or row.phone_sha256 is None:
        return None
    assert row.derived_at is not None
    return row.thumbnail_sha256, row.phone_sha256, row.derived_at


def note_derivatives(
    session: Session, *, sha256: str, thumbnail: str | None, phone: str | None, now: datetime
) -> None:
    """Record the thumbnail and phone copy made of a photo, on every attachment of it."""
    for row in rows_of(session, sha256=sha256):
        row.thumbnail_sha256, row.phone_sha256, row.derived_at = thumbnail, phone, now
    session.flush()


def quarters_by_item(
    session: Session, *, commitment_ids: Sequence[str]
) -> dict[str, dict[int, list[int]]]:
    """For each commitment, each item's attached files as the quarter of each, in one query."""
    found: dict[str, dict[int, list[int]]] = {}
    if not commitment_ids:
        return found
    query = select(
        m.EvidenceFile.commitment_id, m.EvidenceFile.item_position, m.EvidenceFile.quarter
    ).where(m.EvidenceFile.commitment_id.in_(commitment_ids), m.EvidenceFile.removed_at.is_(None))
    for commitment_id, position, quarter in session.execute(query):
        found.setdefault(commitment_id, {}).setdefault(position, []).append(quarter)
    return found
