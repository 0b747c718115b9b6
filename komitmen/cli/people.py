"""The directory of people who act: `users`, `users add`, `users passwd`, `users deactivate`
and `users revoke-tokens`.

Every change is appended to the account's history (`account_event`) with who ran the
command; a password reset, a deactivation and a revocation are also logged to standard
error.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from domain.calendar import WITA
from domain.catalog import Office, load_catalog
from domain.display import acting_mark
from domain.roles import Acting, Actor, Role, party_allowed
from komitmen.cli.context import UsageError, database
from komitmen.cli.output import say, table
from komitmen.cli.serve import configure_logging
from services import people
from services.settings import Settings
from services.signin import revoke_all_tokens, set_password


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """List the people who can act, optionally those of one regency."""
    code = load_catalog().get(args.regency).kemendagri_code if args.regency else None
    with database(settings) as session:
        users = people.list_people(session, regency_code=code)
        rows = [
            (
                u.username,
                u.full_name,
                u.role,
                u.regency_code,
                u.office,
                acting_mark(u.acting),
                u.language,
                u.email,
            )
            for u in users
        ]
    say(table(("USERNAME", "NAME", "ROLE", "REGENCY", "OFFICE", "ACTING", "LANG", "EMAIL"), rows))
    say(f"{len(rows)} users")
    return 0


USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add a person to the directory."""
    role = Role(args.role)
    regency = load_catalog().get(args.regency) if args.regency else None
    if not USERNAME.fullmatch(args.username):
        raise UsageError(
            f"username {args.username!r}: use lowercase letters, digits, '.', '_' or '-'"
        )
    if role.is_regency_role and regency is None:
        raise UsageError(f"a {role.value} acts for one regency: give --regency")
    if not party_allowed(role, regency.kemendagri_code if regency else None):
        raise UsageError(f"a {role.value} works for the province: leave out --regency")
    if role == Role.SIGNATORY and not args.office:
        offices = ", ".join(o.value for o in Office)
        raise UsageError(f"a signatory signs for an office: give --office ({offices})")
    if "@" not in args.email:
        raise UsageError(f"{args.email!r} is not an email address")
    nip = args.nip.replace(" ", "") if args.nip else None
    # Validates the NIP and the rest the same way an action will.
    actor = Actor(
        name=args.name,
        role=role,
        regency_code=regency.kemendagri_code if regency else None,
        office=args.office,
        acting=Acting(args.acting),
        nip=nip,
    )
    with database(settings) as session:
        if people.find_person(session, args.username) is not None:
            raise UsageError(f"user {args.username!r} exists already")
        people.add_person(
            session,
            username=args.username,
            person=actor,
            email=args.email,
            language=args.language,
            now=datetime.now(WITA),
            recorded_by=operator(),
        )
    where = f" for {regency.kemendagri_code} {regency.name}" if regency else ""
    say(f"added {args.username}: {actor.name}, {role.value}{where}")
    return 0


MIN_PASSWORD = 10


def read_password() -> str:
    """Ask twice on a terminal; read one line when standard input is piped."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def operator() -> str:
    """Who runs the command, as the log names them."""
    try:
        name = getpass.getuser()
    except Exception:  # no login name anywhere (a bare container)
        name = "unknown"
    return f"{name} (command line)"


def cmd_users_passwd(args: argparse.Namespace, settings: Settings) -> int:
    """Set a person's password (stored as an argon2id hash); their tokens are revoked."""
    password = read_password()
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password has at least {MIN_PASSWORD} characters")
    configure_logging()
    with database(settings) as session:
        if not set_password(session, username=args.username, password=password, actor=operator()):
            raise UsageError(f"no active user {args.username!r}")
    say(f"password set for {args.username}; their tokens and page sessions are revoked")
    return 0


def _revoking(
    args: argparse.Namespace,
    settings: Settings,
    act: Callable[..., int | None],
    done: str,
) -> int:
    """Run a service that revokes a person's tokens; `done` is said with {username}, {n}."""
    configure_logging()
    with database(settings) as session:
        revoked = act(session, username=args.username, actor=operator(), now=datetime.now(UTC))
    if revoked is None:
        raise UsageError(f"no active user {args.username!r}")
    say(done.format(username=args.username, n=revoked))
    return 0


def cmd_users_deactivate(args: argparse.Namespace, settings: Settings) -> int:
    """Deactivate a person: sign-in refused from now on, every token revoked."""
    done = "deactivated {username}; revoked {n} tokens"
    return _revoking(args, settings, people.deactivate_person, done)


def cmd_users_revoke_tokens(args: argparse.Namespace, settings: Settings) -> int:
    """Revoke every API token and page session of a person; signing in still works."""
    return _revoking(args, settings, revoke_all_tokens, "revoked {n} tokens of {username}")
