"""Activities that send reminders, escalations and notices by email, each exactly once.

Every message links to the page of the commitment it is about (a digest, to each one's),
under the public address people reach Komitmen at (`KOMITMEN_PUBLIC_URL`). A turn notice
(`domain.turns`) tells the people whose turn an action made it, once each, and never the
person who acted.

Before a message goes out, one row per (what, recipient) is written with the
message's id; after the server accepts it the rows are marked sent. A retry skips
what is marked sent and resends the rest under the same Message-ID. The one gap
SMTP leaves (accepted, then the worker dies before marking) can only repeat a
message under the same Message-ID, which mail clients show once.

Every mail activity heartbeats after each message, so the workflows can give it a
heartbeat timeout: a long batch runs as long as it keeps going, and one whose worker
died is retried within that timeout. `send_reminders` puts its progress in the
heartbeat, and a retry carries on from there. A commitment tries a notice first as a
local activity (one short attempt, no heartbeat; `workflows.commitment.NOTICES_LOCALLY`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from db import mail, people, reads
from db import models as m
from db.session import transaction
from domain.calendar import wita_date
from domain.commitment import (
    Audience,
    ReminderIntent,
    ReminderKind,
    ReviewComment,
    split_commitment_id,
)
from domain.roles import Actor
from domain.turns import Turn, page_path
from mailing.rendering import MailRenderer
from mailing.transport import Mail, Mailer


class ReminderBatch(BaseModel):
    """Reminders or escalations to send now; reminders to one person go out as one digest."""

    intents: list[ReminderIntent]


class ReminderProgress(BaseModel):
    """How far an attempt of `send_reminders` got: shown in the Temporal UI, read on retry."""

    groups_done: int = 0
    groups: int = 0
    # Chained over the recipient and kind of each group done, in order: a retry skips
    # those groups only if the directory still yields the same ones first.
    chain: str = ""


class ChangeNotice(BaseModel):
    """Tell a regency's officers that the reviewer asked for changes."""

    commitment_id: str
    event_seq: int
    cycle_name: str
    regency_code: str
    regency_name: str
    round: int
    version: int
    reviewer_name: str
    comments: list[ReviewComment]
    actor: Actor | None = None
    """Who asked for the changes (absent in runs before turn notices): never told of it."""
    sent_at: datetime | None = None
    """When the workflow sent it, given to a local attempt (`scheduled_day`)."""


class StatusNotice(BaseModel):
    """Tell people of a status change that needs them (a declined signature, a returned report)."""

    commitment_id: str
    event_seq: int
    cycle_name: str
    regency_code: str
    regency_name: str
    audience: Audience
    kind: Literal["decline", "return_report"]
    body: str


class TurnNotice(BaseModel):
    """Tell the people whose turn an action made it (`domain.turns`), at once."""

    commitment_id: str
    event_seq: int
    cycle_name: str
    regency_code: str
    regency_name: str
    turn: Turn
    actor: Actor
    version: int | None = None
    """The plan version concerned (submitted, approved, signed)."""
    quarter: int | None = None
    """The quarter of a report."""
    reason: str | None = None
    """The reason given (a decline, a returned report)."""
    sent_at: datetime | None = None
    """When the workflow sent it, given to a local attempt (`scheduled_day`)."""


NOTICE_TITLES = {
    "decline": {"id": "Penandatanganan ditolak", "en": "Signature declined"},
    "return_report": {"id": "Laporan triwulan dikembalikan", "en": "Quarterly report returned"},
}


def _dedupe_key(intent: ReminderIntent) -> str:
    due = intent.due_at.isoformat()
    return f"{intent.commitment_id}|{intent.deadline_key.value}|{due}|{intent.days}"


def _message_id(kind: str, recipient: str, keys: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join([kind, recipient, *sorted(keys)]).encode()).hexdigest()
    # Only the label before any ":" goes in the id: an escalation's kind carries its dedupe
    # key, whose ":" the email library cannot serialise in a msg-id (it cut the header
    # to "<escalation", so every escalation went out under one Message-ID).
    label = kind.split(":", 1)[0]
    return f"<{label}.{digest[:32]}@komitmen>"


def _chained(chain: str, user: m.UserAccount, kind: str) -> str:
    return hashlib.sha256(f"{chain}\n{user.email}\n{kind}".encode()).hexdigest()


def _resumed(groups: list[tuple[m.UserAccount, str]]) -> tuple[int, str]:
    """The groups the last attempt's heartbeat counts as done and their chain, if still first."""
    details = activity.info().heartbeat_details
    if not details:
        return 0, ""
    last = ReminderProgress.model_validate(details[0])
    chain = ""
    for user, kind in groups[: last.groups_done]:
        chain = _chained(chain, user, kind)
    if chain != last.chain:
        activity.logger.info("the directory changed since the last attempt: claiming every group")
        return 0, ""
    return last.groups_done, chain


def page_url(base_url: str, commitment_id: str) -> str:
    """The address of a commitment's page under the public base address."""
    return base_url + page_path(*split_commitment_id(commitment_id))


def _is_actor(user: m.UserAccount, actor: Actor | None) -> bool:
    """Whether the account is the person who acted (by username; by who they are before)."""
    if actor is None:
        return False
    if actor.username is not None:
        return user.username == actor.username
    return (user.full_name, user.role, user.regency_code, user.office) == (
        actor.name,
        actor.role.value,
        actor.regency_code,
        actor.office,
    )


def _entry(intent: ReminderIntent, base_url: str) -> dict[str, object]:
    key = intent.deadline_key
    kind = "report" if key.quarter is not None else key.value
    return {
        "kind": intent.kind.value,
        "deadline_kind": kind,
        "quarter": key.quarter,
        "regency_name": intent.regency_name,
        "due_at": intent.due_at,
        "days": intent.days,
        "cycle_name": intent.cycle_name,
        "page_url": page_url(base_url, intent.commitment_id),
    }


def scheduled_day(sent_at: datetime | None = None) -> date | None:
    """The WITA day the workflow asked for this activity: the day whose office holders a
    notice goes to (the workflow's clock, which a test may run ahead of the wall's).

    A local activity's scheduled time is the worker's clock, so a workflow gives a local
    attempt its own time as `sent_at`.
    """
    if sent_at is not None:
        return wita_date(sent_at)
    try:
        return wita_date(activity.info().scheduled_time)
    except RuntimeError:  # called outside an activity, as a unit test may
        return None


class Notifier:
    """Resolves recipients, renders mail in each person's language, and sends it once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        mailer: Mailer,
        renderer: MailRenderer,
        sender: str,
        *,
        public_url: str,
    ) -> None:
        """Hold the database, the mail transport, the templates, the From address and the
        public address that links in mail start with (`Settings.public_base_url`)."""
        self.sessions = sessions
        self.mailer = mailer
        self.renderer = renderer
        self.sender = sender
        self.public_url = public_url.rstrip("/")

    @activity.defn(name="send_reminders")
    async def send_reminders(self, batch: ReminderBatch) -> int:
        """Send reminders as one digest per person, escalations one by one; return messages sent.

        Messages go out one group (a person's digest or one escalation) at a time, in an
        order fixed by the batch and the directory, with a heartbeat after each that
        counts the groups done. A retry skips, without claiming them, the groups the
        last heartbeat to reach the server counts, when the directory still yields the
        same groups first; it claims the rest (or, if the directory changed, every
        group), and a claim skips what was sent. The count returned is this attempt's.
        """
        groups = await asyncio.to_thread(self._group_by_recipient, batch.intents)
        done, chain = _resumed(list(groups))
        sent = 0
        for (user, kind), intents in list(groups.items())[done:]:
            keys = [_dedupe_key(i) for i in intents]
            sent += await self._deliver(
                user=user,
                kind=kind,
                keys=keys,
                commitment_ids=[i.commitment_id for i in intents],
                intents=intents,
                template="reminder_digest",
                context={"entries": [_entry(i, self.public_url) for i in intents]},
            )
            done, chain = done + 1, _chained(chain, user, kind)
            activity.heartbeat(ReminderProgress(groups_done=done, groups=len(groups), chain=chain))
        return sent

    def _group_by_recipient(
        self, intents: list[ReminderIntent]
    ) -> dict[tuple[m.UserAccount, str], list[ReminderIntent]]:
        groups: dict[tuple[m.UserAccount, str], list[ReminderIntent]] = defaultdict(list)
        with transaction(self.sessions) as session:
            for intent in sorted(intents, key=lambda i: (i.due_at, i.regency_code)):
                for user in people.recipients(
                    session,
                    audience=intent.audience,
                    regency_code=intent.regency_code,
                    offices=intent.offices,
                    on=wita_date(intent.fires_at),
                ):
                    # Escalations go out on their own, reminders gather into a digest.
                    kind = (
                        "digest"
                        if intent.kind == ReminderKind.REMINDER
                        else f"escalation:{_dedupe_key(intent)}"
                    )
                    groups[(user, kind)].append(intent)
        return groups

    @activity.defn(name="send_change_notice")
    async def send_change_notice(self, notice: ChangeNotice) -> int:
        """Tell the regency's officers which items the reviewer wants changed."""
        activities = await asyncio.to_thread(self._item_activities, notice)
        context = {
            "cycle_name": notice.cycle_name,
            "regency_name": notice.regency_name,
            "round": notice.round,
            "version": notice.version,
            "reviewer_name": notice.reviewer_name,
            "general_comment": "\n".join(c.text for c in notice.comments if c.item_position is None)
            or None,
            "item_comments": [
                {
                    "item_position": c.item_position,
                    "text": c.text,
                    "activity": activities.get(c.item_position, ""),
                }
                for c in notice.comments
                if c.item_position is not None
            ],
            "page_url": page_url(self.public_url, notice.commitment_id),
        }
        users = await asyncio.to_thread(
            self._recipients,
            notice.regency_code,
            (Audience.REGENCY_OFFICER,),
            (),
            notice.actor,
            scheduled_day(notice.sent_at),
        )
        return await self._notify_each(
            notice, users, "changes", "changes_requested", lambda _user: context
        )

    def _item_activities(self, notice: ChangeNotice) -> dict[int, str]:
        with transaction(self.sessions) as session:
            items = reads.version_items(
                session, commitment_id=notice.commitment_id, number=notice.version
            )
            return {item.position: item.activity for item in items}

    @activity.defn(name="send_status_notice")
    async def send_status_notice(self, notice: StatusNotice) -> int:
        """Tell the people concerned of a status change."""
        context: dict[str, object] = {
            "cycle_name": notice.cycle_name,
            "regency_name": notice.regency_name,
            "body": notice.body,
            "page_url": page_url(self.public_url, notice.commitment_id),
        }
        users = await asyncio.to_thread(
            self._recipients, notice.regency_code, (notice.audience,), (), None, scheduled_day()
        )
        return await self._notify_each(
            notice,
            users,
            "notice",
            "notice",
            lambda user: {**context, "title": NOTICE_TITLES[notice.kind][user.language]},
        )

    @activity.defn(name="send_turn_notice")
    async def send_turn_notice(self, notice: TurnNotice) -> int:
        """Tell each person whose turn an action made it, once, in their language; never the
        person who acted."""
        turn = notice.turn
        users = await asyncio.to_thread(
            self._recipients,
            notice.regency_code,
            turn.audiences,
            turn.offices,
            notice.actor,
            scheduled_day(notice.sent_at),
        )
        context: dict[str, object] = {
            "cycle_name": notice.cycle_name,
            "regency_name": notice.regency_name,
            "turn": turn.kind.value,
            "actor_name": notice.actor.name,
            "version": notice.version,
            "quarter": notice.quarter,
            "reason": notice.reason,
            "page_url": page_url(self.public_url, notice.commitment_id),
        }
        return await self._notify_each(
            notice, users, "turn", "turn", lambda user: {**context, "role": user.role}
        )

    async def _notify_each(
        self,
        notice: ChangeNotice | StatusNotice | TurnNotice,
        users: Sequence[m.UserAccount],
        kind: str,
        template: str,
        context_for: Callable[[m.UserAccount], dict[str, object]],
    ) -> int:
        """Send one notice about one workflow event to each of `users`, once."""
        key = mail.event_key(notice.commitment_id, notice.event_seq)
        sent = 0
        for user in users:
            sent += await self._deliver(
                user=user,
                kind=kind,
                keys=[key],
                commitment_ids=[notice.commitment_id],
                intents=None,
                template=template,
                context=context_for(user),
            )
            # A local attempt (the workflow's first) has no heartbeat to send.
            if not activity.info().is_local:
                activity.heartbeat()
        return sent

    def _recipients(
        self,
        regency_code: str,
        audiences: Sequence[Audience],
        offices: Sequence[str],
        actor: Actor | None,
        on: date | None,
    ) -> list[m.UserAccount]:
        """The people of the audiences, each once, in order, leaving out the one who acted;
        signatories as they hold their offices on day `on`."""
        found: dict[int, m.UserAccount] = {}
        with transaction(self.sessions) as session:
            for audience in audiences:
                for user in people.recipients(
                    session, audience=audience, regency_code=regency_code, offices=offices, on=on
                ):
                    if not _is_actor(user, actor):
                        found.setdefault(user.id, user)
        return list(found.values())

    async def _deliver(
        self,
        *,
        user: m.UserAccount,
        kind: str,
        keys: list[str],
        commitment_ids: list[str],
        intents: list[ReminderIntent] | None,
        template: str,
        context: dict[str, object],
    ) -> int:
        """Claim, render, send and mark one message; 0 if everything in it went out before."""
        message_id = _message_id(kind, user.email, keys)
        pending = await asyncio.to_thread(
            self._claim, user.email, kind, keys, commitment_ids, intents, message_id
        )
        if not pending:
            return 0
        if intents is not None and len(pending) < len(keys):
            # Part of a digest went out on an earlier attempt: send only the rest.
            keep = [i for i, k in zip(intents, keys, strict=True) if k in pending]
            context = {**context, "entries": [_entry(i, self.public_url) for i in keep]}
        rendered = self.renderer.render(
            template, user.language, {"recipient_name": user.full_name, **context}
        )
        await self.mailer.send(
            Mail(
                message_id=message_id,
                sender=self.sender,
                to=user.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
            )
        )
        await asyncio.to_thread(self._mark_sent, message_id)
        activity.logger.info("sent %s %s to user %s", kind, message_id, user.username)
        return 1

    def _claim(
        self,
        recipient: str,
        kind: str,
        keys: list[str],
        commitment_ids: list[str],
        intents: list[ReminderIntent] | None,
        message_id: str,
    ) -> set[str]:
        now = datetime.now(UTC)
        pending: set[str] = set()
        with transaction(self.sessions, write=True) as session:
            for n, key in enumerate(keys):
                intent = intents[n] if intents is not None else None
                if mail.claim_message(
                    session,
                    commitment_id=commitment_ids[n],
                    kind=kind.split(":")[0],
                    dedupe_key=key,
                    recipient=recipient,
                    message_id=message_id,
                    now=now,
                    intent=intent,
                ):
                    pending.add(key)
        return pending

    def _mark_sent(self, message_id: str) -> None:
        with transaction(self.sessions, write=True) as session:
            mail.mark_sent(session, message_id=message_id, sent_at=datetime.now(UTC))
