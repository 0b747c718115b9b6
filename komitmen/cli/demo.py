"""`komitmen demo`: a cycle on a compressed clock, its first days acted by the demo people.

A day lasts seconds, so a newcomer watching the board, the Temporal UI and the
outbox sees drafting, review, signing, reminders, overdue items and escalation
within minutes. Each regency plays a story; the people act through the same
Workflow Updates as the CLI and the API, at half days so that they do not race the
schedule's deadlines and reminders (which fall on whole days), and everything
after the script is left to the workflows' timers.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from pydantic import BaseModel
from temporalio.client import Client

from domain import commitment as c
from domain.calendar import WITA
from domain.catalog import Office, Regency, load_catalog
from domain.cycle import CycleSpec
from domain.display import acting_mark
from domain.roles import Role
from domain.schedule import DAY, compressed_schedule, default_schedule
from domain.stages import Action
from komitmen.cli.context import UsageError, answered, client_for, database, user_for
from komitmen.cli.output import QUARTERS, deadline_label, pairs, say, stage_label
from komitmen.demo import DEMO_PASSWORD, demo_users, sample_plan, sample_report
from komitmen.devserver import DevServer
from services import actions
from services import schemas as s
from services.access import AuthUser
from services.actions import Update
from services.settings import Settings

DEFAULT_REGENCIES = 5
DEFAULT_SECONDS_PER_DAY = 20

# Who acts for a regency (or, with None, for the province) in the demo.
Cast = dict[tuple[str | None, Role, Office | None], AuthUser]


class Accepted(Protocol):
    """What the demo reads of an accepted action."""

    @property
    def stage(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def document_hash(self) -> str | None: ...


# How an action reaches a commitment's workflow: (commitment id, its update, request).
Send = Callable[[str, Update[Any], BaseModel], Awaitable[Accepted]]


def demo_cycle_id(now: datetime) -> str:
    """The id of a demo cycle started at `now`: demo-20260606-143000."""
    return f"demo-{now.astimezone(WITA):%Y%m%d-%H%M%S}"


def clock(moment: datetime) -> str:
    """An instant as a WITA wall clock to the second: "14.32.10"."""
    return f"{moment.astimezone(WITA):%H.%M.%S}"


@dataclass
class Demo:
    """One demo cycle being played: the clock, the cast, and the actions as plain sentences.

    `began` is the event loop's time at the cycle's start. `send` delivers each action;
    without it, each is one Workflow Update that gives up when no worker answers in time.
    """

    client: Client
    settings: Settings
    spec: CycleSpec
    cast: Cast
    began: float
    stories: list[tuple[Regency, Story]]
    send: Send | None = None

    @property
    def seconds_per_day(self) -> float:
        """How long a day of the compressed clock lasts."""
        return self.spec.schedule.day_length.total_seconds()

    async def _deliver(self, commitment: str, update: Update[Any], request: BaseModel) -> Accepted:
        if self.send is not None:
            return await self.send(commitment, update, request)
        return await answered(self.settings, actions.act(self.client, commitment, update, request))

    async def play(self) -> CycleSpec:
        """Act every regency's story at once, each at its own pace; the cycle played."""
        await asyncio.gather(*(story.play(self, regency) for regency, story in self.stories))
        return self.spec

    async def day(self, n: float) -> None:
        """Wait until day `n` of the compressed clock."""
        due = self.began + n * self.seconds_per_day
        delay = due - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    def person(self, regency: Regency | None, role: Role, office: Office | None = None) -> AuthUser:
        """The demo person in `role` (and `office`) for a regency, or for the province."""
        return self.cast[(regency.kemendagri_code if regency else None, role, office)]

    async def act(
        self, regency: Regency, user: AuthUser, action: Action, body: BaseModel, what: str
    ) -> Accepted:
        """Take an action as `user` and say what it did and where the commitment now stands.

        The body is the one the API validates; it becomes the workflow's request the way
        the API's does (`services.actions.STEPS`).
        """
        commitment = c.commitment_id(self.spec.cycle_id, regency.kemendagri_code)
        request = actions.request_for(action, user, body, regency_code=regency.kemendagri_code)
        result = await self._deliver(commitment, actions.STEPS[action].update, request)
        elapsed = asyncio.get_running_loop().time() - self.began
        say(
            f"  day {elapsed / self.seconds_per_day:4.1f}  {regency.kemendagri_code} "
            f"{regency.name}: {user.full_name} {what}; stage: {stage_label(result.stage)}"
        )
        return result

    async def draft_and_submit(self, regency: Regency, based_on: int) -> int:
        """The officer saves the sample plan over version `based_on` and submits it."""
        officer = self.person(regency, Role.REGENCY_OFFICER)
        plan = sample_plan(regency)
        saved = await self.act(
            regency,
            officer,
            Action.SAVE_DRAFT,
            s.SaveDraftIn(plan=plan, based_on_version=based_on),
            f"saved version {based_on + 1} ({len(plan.items)} items)",
        )
        await self.act(
            regency,
            officer,
            Action.SUBMIT,
            s.VersionIn(version=saved.version),
            f"submitted version {saved.version} for review",
        )
        return saved.version

    async def request_changes(self, regency: Regency, version: int) -> None:
        """The reviewer sends the version back with a comment on item 3 and one on the plan."""
        reviewer = self.person(None, Role.REVIEWER)
        comments = (
            c.ReviewComment(item_position=3, text="Target desa tangguh terlalu rendah."),
            c.ReviewComment(text="Lengkapi sumber anggaran setiap kegiatan."),
        )
        body = s.RequestChangesIn(version=version, comments=comments)
        await self.act(
            regency,
            reviewer,
            Action.REQUEST_CHANGES,
            body,
            f"asked for changes to version {version}",
        )

    async def approve(self, regency: Regency, version: int) -> str:
        """The reviewer approves the version; return the hash the signatories sign."""
        reviewer = self.person(None, Role.REVIEWER)
        result = await self.act(
            regency,
            reviewer,
            Action.APPROVE,
            s.VersionIn(version=version),
            f"approved version {version}",
        )
        assert result.document_hash is not None, "an approved version has a document hash"
        return result.document_hash

    async def sign(self, regency: Regency, office: Office, document: str) -> None:
        """The holder of `office` signs the approved document, as their record says they hold
        it: the Bupati Kupang of the demo directory is a Plt. (`komitmen.demo.ACTING`)."""
        signer = self.person(regency, Role.SIGNATORY, office)
        mark = acting_mark(signer.acting)
        body = s.SignIn(document_hash=document)
        await self.act(regency, signer, Action.SIGN, body, f"signed ({mark})" if mark else "signed")

    async def decline(self, regency: Regency, office: Office, reason: str) -> None:
        """The holder of `office` declines to sign, with a reason."""
        signer = self.person(regency, Role.SIGNATORY, office)
        body = s.ReasonIn(reason=reason)
        await self.act(regency, signer, Action.DECLINE, body, f"declined to sign: {reason}")

    async def report(self, regency: Regency, quarter: int) -> None:
        """The officer reports every item of the sample plan on schedule."""
        officer = self.person(regency, Role.REGENCY_OFFICER)
        body = s.SubmitReportIn(quarter=quarter, items=sample_report(regency, quarter).items)
        what = f"reported Triwulan {QUARTERS[quarter]}"
        await self.act(regency, officer, Action.SUBMIT_REPORT, body, what)

    async def verify(self, regency: Regency, quarter: int) -> None:
        """The reviewer verifies a quarterly report."""
        reviewer = self.person(None, Role.REVIEWER)
        what = f"verified the Triwulan {QUARTERS[quarter]} report"
        await self.act(regency, reviewer, Action.VERIFY_REPORT, s.QuarterIn(quarter=quarter), what)


# --- the stories: what each regency does, day by day --------------------------------


async def signed_and_reporting(demo: Demo, regency: Regency) -> None:
    """Two rounds of review, every signature, the first quarter reported and verified."""
    await demo.day(0.5)
    first = await demo.draft_and_submit(regency, based_on=0)
    await demo.day(1.5)
    await demo.request_changes(regency, first)
    await demo.day(2.5)
    second = await demo.draft_and_submit(regency, based_on=first)
    await demo.day(3.5)
    document = await demo.approve(regency, second)
    await demo.day(4.5)
    await demo.sign(regency, Office.BPBD_HEAD, document)
    await demo.sign(regency, Office.PLANNING_HEAD, document)
    await demo.sign(regency, Office.REGIONAL_HEAD, document)
    await demo.day(5.5)
    await demo.report(regency, 1)
    await demo.day(6.5)
    await demo.verify(regency, 1)


async def drafted_and_approved(demo: Demo, regency: Regency) -> tuple[int, str]:
    """Submitted on day 1.5 and approved on day 2.5: the version and its document hash."""
    await demo.day(1.5)
    version = await demo.draft_and_submit(regency, based_on=0)
    await demo.day(2.5)
    return version, await demo.approve(regency, version)


async def waiting_for_signatures(demo: Demo, regency: Regency) -> None:
    """Approved, but only the Kepala BPBD signs."""
    _, document = await drafted_and_approved(demo, regency)
    await demo.day(3.5)
    await demo.sign(regency, Office.BPBD_HEAD, document)


async def never_drafting(demo: Demo, regency: Regency) -> None:
    """Nobody acts: the timers alone move this one."""


async def review_late(demo: Demo, regency: Regency) -> None:
    """Submitted at once; the reviewer never gets to it."""
    await demo.day(0.5)
    await demo.draft_and_submit(regency, based_on=0)


async def declined_then_signed(demo: Demo, regency: Regency) -> None:
    """The regent declines; approved again and signed; no quarterly report follows."""
    version, document = await drafted_and_approved(demo, regency)
    await demo.day(3.5)
    await demo.decline(
        regency, Office.REGIONAL_HEAD, "pagu Destana belum sesuai KUA-PPAS, mohon ditinjau"
    )
    await demo.day(4.5)
    await demo.approve(regency, version)
    await demo.day(5.5)
    for office in (Office.BPBD_HEAD, Office.PLANNING_HEAD, Office.REGIONAL_HEAD):
        await demo.sign(regency, office, document)


@dataclass(frozen=True)
class Story:
    """What one regency does in the demo: in a line, and as the coroutine that acts it."""

    summary: str
    play: Callable[[Demo, Regency], Awaitable[None]]


STORIES = (
    Story(
        "drafts, gets changes requested, resubmits, is approved, signed by every office "
        "(the regent, a Plt. on record, as Plt.) and reports Triwulan I on time",
        signed_and_reporting,
    ),
    Story(
        "is approved but only its Kepala BPBD signs: the other offices are reminded, "
        "then signing goes overdue and is escalated",
        waiting_for_signatures,
    ),
    Story(
        "never drafts: reminders D-7, D-3, D-1, overdue, escalated to its Kepala BPBD (D+1) "
        "and to the managers (D+7)",
        never_drafting,
    ),
    Story(
        "submits, but the reviewer never reviews: the reviewer is reminded, "
        "then the managers get the escalation",
        review_late,
    ),
    Story(
        "is approved, its regent declines, approved again and signed; Triwulan I is never "
        "reported: reminders, escalation, missing at the lock",
        declined_then_signed,
    ),
)
IDLE = Story("does nothing, like the one that never drafts", never_drafting)


def cast_of(settings: Settings, codes: list[str]) -> Cast:
    """The demo people of the province and of the regencies taking part."""
    cast: Cast = {}
    with database(settings) as session:
        for user in demo_users(load_catalog()):
            if user.regency_code not in (None, *codes):
                continue
            try:
                person = user_for(session, user.username)
            except UsageError:
                raise UsageError(
                    f"the demo acts as the demo people, and {user.username!r} is missing: "
                    "start the stack with `make up` (or `komitmen up`), which adds them"
                ) from None
            cast[(user.regency_code, user.role, user.office)] = person
    return cast


def introduce(
    settings: Settings, spec: CycleSpec, start: datetime, stories: list[tuple[Regency, Story]]
) -> None:
    """Say where to watch, what each regency will do and when each deadline falls."""
    s = spec.schedule
    seconds = s.day_length.total_seconds()
    ui = DevServer(settings).ui_url
    query = urlencode({"query": f"Cycle='{spec.cycle_id}'"})
    mail = (
        f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else f".eml files in {settings.outbox}"
    )
    say(f'started demo cycle {spec.cycle_id} "{spec.name}": a day lasts {seconds:g} s')
    say(
        pairs(
            [
                (
                    "board",
                    f"http://{settings.api_host}:{settings.api_port}/cycles/{spec.cycle_id}/board",
                ),
                ("sign in as", f"manajer (or koordinator, reviewer), password {DEMO_PASSWORD!r}"),
                ("Temporal UI", f"{ui}/namespaces/{settings.temporal_namespace}/workflows?{query}"),
                ("mail", mail),
            ],
            indent="  ",
        )
    )
    say("the story:")
    for regency, story in stories:
        say(f"  {regency.kemendagri_code} {regency.name} {story.summary}")

    def falls(moment: datetime) -> str:
        return f"{clock(moment)}  (day {(moment - start) / s.day_length:g})"

    deadlines: list[tuple[str, object]] = [
        (deadline_label(c.DeadlineKey.DRAFTING), falls(s.drafting_due)),
        (deadline_label(c.DeadlineKey.REVIEW), f"{s.review_working_days} days after submission"),
        (deadline_label(c.DeadlineKey.SIGNING), falls(s.signing_due)),
    ]
    for q in s.quarters:
        deadlines += [
            (deadline_label(c.report_key(q.quarter)), falls(q.report_due)),
            (deadline_label(c.lock_key(q.quarter)), falls(q.lock)),
        ]
    say("deadlines (WITA); reminders come D-7, D-3 and D-1 days before, escalations D+1 and D+7:")
    say(pairs(deadlines, indent="  "))
    say("what the people do:")


async def start_demo(
    client: Client,
    settings: Settings,
    *,
    now: datetime,
    regencies: int = DEFAULT_REGENCIES,
    day_length: timedelta = timedelta(seconds=DEFAULT_SECONDS_PER_DAY),
    send: Send | None = None,
) -> Demo:
    """Start a demo cycle at `now` on days of `day_length` and say so; return it ready to play."""
    began = asyncio.get_running_loop().time()
    catalog = load_catalog()
    chosen = list(catalog.regencies[:regencies])
    codes = [r.kemendagri_code for r in chosen]
    cast = cast_of(settings, codes)
    rules = default_schedule(now.astimezone(WITA).year)
    spec = actions.build_cycle_spec(
        cycle_id=demo_cycle_id(now),
        name=f"Demo Komitmen (1 hari = {day_length.total_seconds():g} detik)",
        year=now.astimezone(WITA).year,
        catalog=catalog,
        schedule=rules,
        started_by=cast[(None, Role.COORDINATOR, None)].actor(),
        regency_codes=codes,
    )
    spec = spec.model_copy(update={"schedule": compressed_schedule(rules, now, day_length)})
    started = await answered(settings, actions.start_configured_cycle(client, spec, settings))
    if not started:
        raise UsageError(f"cycle {spec.cycle_id} exists already; start the demo again")
    stories = [(r, STORIES[i] if i < len(STORIES) else IDLE) for i, r in enumerate(chosen)]
    introduce(settings, spec, now, stories)
    return Demo(client, settings, spec, cast, began, stories, send)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Start a compressed demo cycle against the running stack and act its first days."""
    count = len(load_catalog().regencies)
    if not 1 <= args.regencies <= count:
        raise UsageError(f"--regencies must be 1 to {count}, got {args.regencies}")
    day_length = timedelta(seconds=args.seconds_per_day)
    if not timedelta(0) < day_length < DAY:
        raise UsageError(f"--seconds-per-day must be 1 to 86399, got {args.seconds_per_day}")

    async def play() -> CycleSpec:
        client = await client_for(settings)
        now = datetime.now(WITA)
        demo = await start_demo(
            client, settings, now=now, regencies=args.regencies, day_length=day_length
        )
        return await demo.play()

    cycle = asyncio.run(play()).cycle_id
    say(f"the people are done at {clock(datetime.now(WITA))}; the timers take it from here:")
    say(f"  komitmen cycle show {cycle}    the board in this terminal")
    say(f"  komitmen reminders {cycle}     reminders and escalations sent so far")
    say(f'  komitmen cycle cancel {cycle} --reason "demo selesai" --as koordinator    to end it')
    return 0
