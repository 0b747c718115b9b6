"""Mail claims: reminders and escalations noted before they are sent, so each goes out once.

`claim_message` notes a message to one person under its dedupe key before it is sent (False
if it was sent already), `mark_sent` marks every reminder a message carried once the mail
server took it, and `list_reminders` reads what was sent for a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import models as m
from domain.commitment import ReminderIntent


def event_key(commitment_id: str, seq: int) -> str:
    """The dedupe key of the notices about one recorded change of a commitment."""
    return f"{commitment_id}|event|{seq}"


SET_ASIDE = "|superseded:"


def set_aside(session: Session, *, commitment_id: str, seq: int, tag: str) -> None:
    """Move the claims of the notices about change `seq`, superseded (`db.records`), out of
    the way of the change recorded in its place: their key gets `SET_ASIDE` and `tag`.

    They stay as a record of what may have gone out, sent or not: nothing will try them
    again, as the workflow task that owed them never completed.
    """
    key = event_key(commitment_id, seq)
    session.execute(
        update(m.ReminderSent)
        .where(m.ReminderSent.commitment_id == commitment_id, m.ReminderSent.dedupe_key == key)
        .values(dedupe_key=f"{key}{SET_ASIDE}{tag}")
    )


def is_set_aside(dedupe_key: str) -> bool:
    """Whether a claim is of a notice about a superseded change (`set_aside`)."""
    return SET_ASIDE in dedupe_key


def claim_message(
    session: Session,
    *,
    commitment_id: str,
    kind: str,
    dedupe_key: str,
    recipient: str,
    message_id: str,
    now: datetime,
    intent: ReminderIntent | None = None,
) -> bool:
    """Note a message to one person before sending it; False if it was sent already."""
    row = session.scalar(
        select(m.ReminderSent).where(
            m.ReminderSent.dedupe_key == dedupe_key, m.ReminderSent.recipient == recipient
        )
    )
    if row is None:
        session.add(
            m.ReminderSent(
                commitment_id=commitment_id,
                kind=kind,
                dedupe_key=dedupe_key,
                deadline_key=intent.deadline_key.value if intent else None,
                due_at=intent.due_at if intent else None,
                days=intent.days if intent else None,
                recipient=recipient,
                message_id=message_id,
                created_at=now,
                sent_at=None,
            )
        )
        session.flush()
        return True
    if row.sent_at is None:
        row.message_id = message_id
        return True
    return False


def mark_sent(session: Session, *, message_id: str, sent_at: datetime) -> None:
    """Mark every reminder carried by one message as sent."""
    session.execute(
        update(m.ReminderSent)
        .where(m.ReminderSent.message_id == message_id)
        .values(sent_at=sent_at)
    )


def list_reminders(session: Session, *, cycle_id: str) -> Sequence[m.ReminderSent]:
    """Reminders and escalations sent for a cycle's commitments."""
    return session.scalars(
        select(m.ReminderSent)
        .join(m.Commitment, m.ReminderSent.commitment_id == m.Commitment.id)
        .where(m.Commitment.cycle_id == cycle_id)
        .order_by(m.ReminderSent.id)
    ).all()
