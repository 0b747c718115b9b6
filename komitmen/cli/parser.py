"""The argument parser: every subcommand, its options and their types."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

from domain.catalog import Office
from domain.commitment import DeadlineKey
from domain.numbers import NumberRefused, parse_number
from domain.reports import ProgressStatus
from domain.roles import Acting, Role
from domain.schedule import DueRule, parse_due_rule
from komitmen.cli.actions import (
    cmd_approve,
    cmd_decline,
    cmd_draft,
    cmd_extend,
    cmd_report,
    cmd_request_changes,
    cmd_return_report,
    cmd_sign,
    cmd_submit,
    cmd_verify,
    cmd_withdraw,
)
from komitmen.cli.commitment import cmd_audit, cmd_audit_verify, cmd_reminders, cmd_show
from komitmen.cli.cycles import (
    cmd_cycle_cancel,
    cmd_cycle_extend,
    cmd_cycle_list,
    cmd_cycle_show,
    cmd_cycle_start,
)
from komitmen.cli.demo import DEFAULT_REGENCIES, DEFAULT_SECONDS_PER_DAY, cmd_demo
from komitmen.cli.people import (
    cmd_users,
    cmd_users_add,
    cmd_users_deactivate,
    cmd_users_passwd,
    cmd_users_revoke_tokens,
)
from komitmen.cli.serve import cmd_api, cmd_migrate, cmd_up, cmd_worker
from services.settings import Settings

# --- argument types ------------------------------------------------------------------


def iso_date(text: str) -> date:
    """An argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def due_rule(text: str) -> DueRule:
    """An argparse type for a due rule: 2026-04-20, day:20, 10wd."""
    try:
        return parse_due_rule(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def int_list(text: str) -> list[int]:
    """An argparse type for comma-separated whole numbers: 7,3,1."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 7,3,1") from None


def name_list(text: str) -> list[str]:
    """An argparse type for comma-separated names or codes."""
    return [part.strip() for part in text.split(",") if part.strip()]


def percent(text: str) -> Decimal:
    """An argparse type for a percentage 0 to 100."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 100")
    return value


def rupiah(text: str) -> Decimal:
    """An argparse type for an amount in rupiah, typed the Indonesian way (37.500.000)."""
    try:
        return parse_number(text, "id")
    except NumberRefused as refused:
        raise argparse.ArgumentTypeError(f"{text!r}: {refused.message('en')}") from None


# --- the parser ----------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, Settings], int]


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help: str,
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """A subcommand of `sub` run by `handler`, its description the same as its help."""
    p = sub.add_parser(name, help=help, description=help, parents=list(parents))
    p.set_defaults(handler=handler)
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="komitmen",
        description="Track the disaster-management action-plan commitments of NTT's regencies.",
        epilog="Settings come from KOMITMEN_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    as_user = argparse.ArgumentParser(add_help=False)
    as_user.add_argument(
        "--as", dest="as_user", required=True, metavar="USER", help="the username acting"
    )
    commitment = argparse.ArgumentParser(add_help=False, parents=[as_user])
    commitment.add_argument("cycle_id", metavar="CYCLE")
    commitment.add_argument("regency", metavar="REGENCY", help="Kemendagri code, e.g. 53.01")

    command = partial(add_command, sub)
    up = command("up", cmd_up, "run database, dev server, worker and API on embedded defaults")
    up.add_argument("--no-server", action="store_true", help="use the configured cluster")
    command("worker", cmd_worker, "run only the worker against the configured cluster")
    command("api", cmd_api, "serve only the HTTP API against the configured cluster")
    command("migrate", cmd_migrate, "apply the database migrations")
    demo = command(
        "demo",
        cmd_demo,
        "start a demo cycle whose days last seconds and act its first days as the demo people "
        "(run it beside `komitmen up`)",
    )
    demo.add_argument(
        "--regencies",
        type=int,
        default=DEFAULT_REGENCIES,
        metavar="N",
        help=f"how many regencies take part (default {DEFAULT_REGENCIES})",
    )
    demo.add_argument(
        "--seconds-per-day",
        type=int,
        default=DEFAULT_SECONDS_PER_DAY,
        metavar="S",
        help=f"how long a day of the cycle lasts (default {DEFAULT_SECONDS_PER_DAY})",
    )

    users = command("users", cmd_users, "list people, or add one with `users add`")
    users.add_argument("--regency", help="only people of this regency")
    users_sub = users.add_subparsers(
        dest="users_command", metavar="add|passwd|deactivate|revoke-tokens"
    )
    add = users_sub.add_parser("add", help="add a person", description="Add a person.")
    add.set_defaults(handler=cmd_users_add)
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="full name, as it appears when signing")
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--regency", help="for regency officers and signatories")
    add.add_argument("--office", choices=[o.value for o in Office], help="for signatories")
    add.add_argument("--acting", choices=[a.value for a in Acting], default="definitive")
    add.add_argument("--nip", help="18-digit NIP of a civil servant")
    add.add_argument("--language", choices=["id", "en"], default="id")
    person_commands = (
        (
            "passwd",
            cmd_users_passwd,
            "set a password for signing in (revokes the person's tokens)",
            "Set a password (asked for, or read from standard input when piped); "
            "every API token and page session of the person is revoked.",
        ),
        (
            "deactivate",
            cmd_users_deactivate,
            "refuse a person's sign-in from now on and revoke their tokens",
            "Deactivate a person: sign-in is refused from now on and every API "
            "token and page session is revoked. The account stays, for the record.",
        ),
        (
            "revoke-tokens",
            cmd_users_revoke_tokens,
            "revoke every API token and page session of a person",
            "Revoke every API token and page session of a person; their password still signs in.",
        ),
    )
    for name, handler, short, long in person_commands:
        person = users_sub.add_parser(name, help=short, description=long)
        person.set_defaults(handler=handler)
        person.add_argument("username")

    cycle = sub.add_parser("cycle", help="start, list, show, cancel or extend cycles")
    cycle_sub = cycle.add_subparsers(dest="cycle_command", required=True, metavar="ACTION")
    cycle_command = partial(add_command, cycle_sub)
    start = cycle_command("start", cmd_cycle_start, "start a cycle", [as_user])
    start.add_argument("cycle_id", metavar="CYCLE_ID", help="e.g. rakor-2026")
    start.add_argument("--name", required=True)
    start.add_argument("--year", required=True, type=int, help="the follow-up year")
    start.add_argument(
        "--regencies",
        type=name_list,
        help="Kemendagri codes, e.g. 53.01,53.71 (default: all); BPS codes are refused",
    )
    start.add_argument(
        "--signatories",
        type=name_list,
        help="offices in order, default bpbd_head,planning_head,regional_head",
    )
    start.add_argument("--ordered", action="store_true", help="signatures in the listed order")
    start.add_argument(
        "--signature-method",
        choices=["confirmed", "wet", "certified"],
        default="confirmed",
        help="how offices sign: in Komitmen, wet (stamped scan) or certified (TTE via BSrE)",
    )
    start.add_argument(
        "--carry-from",
        metavar="CYCLE",
        help="an earlier cycle whose unfinished items each party starts with as its draft",
    )
    start.add_argument(
        "--acknowledged-by",
        choices=["regional_head", "bpbd_head"],
        default="regional_head",
        help="the province's office under 'Mengetahui' on the joint commitment",
    )
    start.add_argument("--drafting-due", type=iso_date, metavar="DATE")
    start.add_argument("--signing-due", type=iso_date, metavar="DATE")
    start.add_argument("--review-days", type=int, metavar="N", help="working days for review")
    start.add_argument(
        "--report-due", type=due_rule, metavar="RULE", help="2026-04-20, day:20 or 10wd"
    )
    start.add_argument("--lock", type=due_rule, metavar="RULE", help="when a quarter locks")
    start.add_argument("--reminders", type=int_list, metavar="DAYS", help="e.g. 7,3,1")

    cycle_command("list", cmd_cycle_list, "list the cycles")
    show = cycle_command("show", cmd_cycle_show, "the board of a cycle")
    show.add_argument("cycle_id", metavar="CYCLE_ID")
    cancel = cycle_command("cancel", cmd_cycle_cancel, "cancel a cycle", [as_user])
    cancel.add_argument("cycle_id", metavar="CYCLE_ID")
    cancel.add_argument("--reason", required=True)
    extend_all = cycle_command(
        "extend", cmd_cycle_extend, "extend a deadline of every open commitment", [as_user]
    )
    extend_all.add_argument("cycle_id", metavar="CYCLE_ID")
    extend_all.add_argument("--deadline", required=True, choices=[k.value for k in DeadlineKey])
    extend_all.add_argument("--until", required=True, type=iso_date, metavar="DATE")
    extend_all.add_argument("--reason", required=True)

    detail = command("show", cmd_show, "everything about one commitment")
    detail.add_argument("cycle_id", metavar="CYCLE")
    detail.add_argument("regency", metavar="REGENCY")

    draft = command("draft", cmd_draft, "save a new version of the plan", [commitment])
    source = draft.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help='the plan as JSON: {"items": [...]}')
    source.add_argument("--sample", action="store_true", help="the demo sample plan")
    draft.add_argument("--based-on", type=int, metavar="N", help="default: the latest version")

    submit = command("submit", cmd_submit, "submit a version for review", [commitment])
    submit.add_argument("--version", type=int, help="default: the latest")
    approve = command("approve", cmd_approve, "approve the submitted version", [commitment])
    approve.add_argument("--version", type=int, help="default: the latest")
    changes = command("request-changes", cmd_request_changes, "send the version back", [commitment])
    changes.add_argument(
        "--comment",
        action="append",
        required=True,
        help='repeatable; "3: text" comments on item 3',
    )
    changes.add_argument("--version", type=int, help="default: the latest")
    sign = command("sign", cmd_sign, "sign the approved document", [commitment])
    sign.add_argument(
        "--acting",
        choices=[a.value for a in Acting],
        help="only asserts the acting status on the signer's record (plt/plh/pj: Plt./Plh./Pj., "
        "an: a.n., or definitive) and is refused if it differs; the signature always takes "
        "the record's",
    )
    decline = command("decline", cmd_decline, "decline to sign", [commitment])
    decline.add_argument("--reason", required=True)

    report = command("report", cmd_report, "submit a quarterly report", [commitment])
    report.add_argument("--quarter", required=True, type=int, choices=[1, 2, 3, 4])
    report_source = report.add_mutually_exclusive_group(required=True)
    report_source.add_argument("--file", type=Path, help="the report as JSON")
    report_source.add_argument(
        "--sample-status", choices=[s.value for s in ProgressStatus], help="same for every item"
    )
    report.add_argument("--percent", type=percent, default=Decimal(0), help="with --sample-status")
    report.add_argument(
        "--realised-rp",
        type=rupiah,
        metavar="RP",
        help="with --sample-status: budget realised by the quarter's end (realisasi anggaran), "
        "cumulative, typed the Indonesian way (37.500.000)",
    )
    report.add_argument("--obstacles", default="", help="with --sample-status: kendala")
    report.add_argument(
        "--follow-up", default="", help="with --sample-status: rencana tindak lanjut"
    )
    verify = command("verify", cmd_verify, "verify a quarterly report", [commitment])
    verify.add_argument("--quarter", required=True, type=int, choices=[1, 2, 3, 4])
    back = command("return-report", cmd_return_report, "return a quarterly report", [commitment])
    back.add_argument("--quarter", required=True, type=int, choices=[1, 2, 3, 4])
    back.add_argument("--reason", required=True)
    extend = command("extend", cmd_extend, "extend one deadline", [commitment])
    extend.add_argument("--deadline", required=True, choices=[k.value for k in DeadlineKey])
    extend.add_argument("--until", required=True, type=iso_date, metavar="DATE")
    extend.add_argument("--reason", required=True)
    withdraw = command("withdraw", cmd_withdraw, "withdraw a regency", [commitment])
    withdraw.add_argument("--reason", required=True)

    audit = command("audit", cmd_audit, "the audit trail of a cycle")
    audit.add_argument("cycle_id", metavar="CYCLE_ID")
    audit.add_argument("--regency", help="only this regency's commitment")
    audit_verify = command(
        "audit-verify",
        cmd_audit_verify,
        "check the audit trail's hash chain; exit status 2 names the first broken row",
    )
    audit_verify.add_argument(
        "--cycle", dest="cycle_id", metavar="CYCLE_ID", help="only this cycle (default: all)"
    )
    reminders = command("reminders", cmd_reminders, "reminders and notices sent for a cycle")
    reminders.add_argument("cycle_id", metavar="CYCLE_ID")
    return parser
