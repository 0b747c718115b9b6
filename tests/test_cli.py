"""The `komitmen` command line end to end: a real dev server, a worker process, real commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from pydantic import ValidationError

from db.session import migrate, session_factory, transaction
from domain.calendar import WITA
from domain.catalog import load_catalog
from domain.plan import ActionPlan
from komitmen.cli.actions import review_comment
from komitmen.cli.output import field_errors, table
from komitmen.demo import seed_demo_users
from komitmen.devserver import search_attribute_flags, split_address
from tests.stack import ROOT, Stack, komitmen_stack

TEMPORAL = Path(sys.executable).parent / "temporal"
CYCLE = "cli-e2e"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A dev server on free ports, a migrated database with the demo people, and a worker."""
    with komitmen_stack(tmp_path) as running:
        yield running


def outbox_messages(folder: Path) -> list[tuple[str, EmailMessage]]:
    """The .eml files in an outbox, parsed, with their file names."""
    parser = BytesParser(policy=policy.default)
    messages = []
    for path in sorted(folder.glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        messages.append((path.name, message))
    return messages


def workflows_in_stage(stack: Stack, stage: str) -> str:
    """`temporal workflow list` for one stage, waiting briefly for visibility to catch up."""
    deadline = time.monotonic() + 15
    while True:
        listed = subprocess.run(
            [
                str(TEMPORAL),
                "workflow",
                "list",
                "--address",
                stack.settings.temporal_address,
                "--query",
                f"Stage='{stage}'",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert listed.returncode == 0, listed.stderr
        if "commitment:" in listed.stdout or time.monotonic() > deadline:
            return listed.stdout
        time.sleep(0.5)


@pytest.mark.temporal
def test_a_commitment_from_draft_to_follow_up(stack: Stack) -> None:
    year = datetime.now(WITA).year + 1
    run = stack.run

    assert "koordinator" in run("users").stdout

    start = ["cycle", "start", CYCLE, "--name", f"Rakor PB NTT {year - 1}", "--year", str(year)]
    # Kemendagri codes only: "5301" would be Sumba Barat's BPS code.
    bps = run(*start, "--regencies", "5301", "--as", "koordinator", expect=2)
    assert "regency_codes" in bps.stderr and "Kemendagri" in bps.stderr
    start += ["--regencies", "53.01,53.71", "--as", "koordinator"]
    assert f"started cycle {CYCLE}" in run(*start).stdout
    assert "already started (nothing duplicated)" in run(*start).stdout
    board = run("cycle", "show", CYCLE).stdout
    assert "Kabupaten Kupang" in board and "Kota Kupang" in board

    where = (CYCLE, "53.01")
    assert "version 1 saved" in run("draft", *where, "--sample", "--as", "operator-5301").stdout

    # An officer of Kota Kupang may not act for Kabupaten Kupang: refused, nothing changes.
    refused = run("submit", *where, "--as", "operator-5371", expect=2)
    assert refused.stderr.startswith("refused: ")
    assert "53.71" in refused.stderr and "53.01" in refused.stderr

    run("submit", *where, "--as", "operator-5301")
    run(
        "request-changes",
        *where,
        "--comment",
        "Lengkapi anggaran",
        "--comment",
        "3: Target desa tangguh terlalu rendah",
        "--as",
        "reviewer",
    )
    assert "version 2 saved" in run("draft", *where, "--sample", "--as", "operator-5301").stdout
    run("submit", *where, "--as", "operator-5301")
    run("approve", *where, "--as", "reviewer")
    run("sign", *where, "--as", "kalak-5301")
    # --acting only asserts the record: the Kepala Bappeda is definitive, so not as Plt.
    claimed = run("sign", *where, "--acting", "plt", "--as", "bappeda-5301", expect=2)
    assert claimed.stderr.startswith("refused: ") and "definitive on record" in claimed.stderr
    run("sign", *where, "--as", "bappeda-5301")
    # The demo directory's Bupati Kupang is a Plt. on record; --acting plt agrees with it.
    assert "Tindak Lanjut" in run("sign", *where, "--acting", "plt", "--as", "kada-5301").stdout

    shown = run("show", *where).stdout
    assert "Tindak Lanjut" in shown
    assert "Plt. Bupati Kupang" in shown
    assert "Target desa tangguh terlalu rendah" in shown

    assert f"commitment:{CYCLE}:53.01" in workflows_in_stage(stack, "follow_up")

    changes = [
        message
        for name, message in outbox_messages(stack.settings.outbox)
        if name.startswith("changes.") and message["To"] == "operator-5301@example.org"
    ]
    assert len(changes) == 1
    body = changes[0].get_body(preferencelist=("plain",))
    assert body is not None
    assert "Target desa tangguh terlalu rendah" in body.get_content()


@pytest.mark.temporal
def test_the_demo_runs_beside_the_stack(stack: Stack) -> None:
    said = stack.run("demo", "--regencies", "1", "--seconds-per-day", "1").stdout
    started = re.search(r"started demo cycle (demo-[0-9-]+)", said)
    assert started is not None, said
    cycle = started.group(1)
    assert f"http://127.0.0.1:8000/cycles/{cycle}/board" in said
    assert "verified the Triwulan I report" in said
    assert f"komitmen cycle cancel {cycle}" in said
    assert "Berjalan" in stack.run("cycle", "show", cycle).stdout


# --- the pieces, without a server -------------------------------------------------------


def test_bad_fields_are_named_by_their_path() -> None:
    item = {
        "strategic_issue": "destana",
        "phase": "pra_bencana",
        "activity": "Pembentukan Destana",
        "indicator": "Desa terbentuk",
        "target_value": 3,
        "target_unit": "desa",
        "due_quarters": [3],
        "responsible_unit": "Bidang Pencegahan",
        "location": "Kupang",
    }
    with pytest.raises(ValidationError) as caught:
        ActionPlan.model_validate({"items": [item, item, {**item, "target_value": -1}]})
    assert field_errors(caught.value) == [
        "items[2].target_value: Input should be greater than or equal to 0"
    ]


def test_review_comments_name_their_item() -> None:
    assert review_comment("3: rinci target").item_position == 3
    assert review_comment("3: rinci target").text == "rinci target"
    assert review_comment("Lengkapi anggaran").item_position is None


def test_tables_align_their_columns() -> None:
    assert table(("A", "BB"), [("xyz", None), ("1", "2")]).splitlines() == [
        "A    BB",
        "---  --",
        "xyz  -",
        "1    2",
    ]


def test_the_demo_explains_itself_and_refuses_a_bad_pace(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def demo(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "komitmen", "demo", *args]
        return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)

    explained = demo("--help")
    assert explained.returncode == 0
    assert "--seconds-per-day" in explained.stdout and "--regencies" in explained.stdout
    for args, message in [
        (("--regencies", "0"), "--regencies must be 1 to 22"),
        (("--seconds-per-day", "0"), "--seconds-per-day must be 1 to 86399"),
    ]:
        refused = demo(*args)
        assert refused.returncode == 2 and message in refused.stderr


def test_dev_server_flags() -> None:
    assert split_address("127.0.0.1:7233") == ("127.0.0.1", 7233)
    with pytest.raises(ValueError):
        split_address("localhost")
    flags = search_attribute_flags()
    assert flags[flags.index("Overdue=Bool") - 1] == "--search-attribute"
    assert "NextDue=Datetime" in flags


def test_a_password_set_from_the_terminal_signs_in(tmp_path: Path) -> None:
    """`users passwd` stores an argon2 hash the API accepts; short passwords are refused."""
    from services.signin import authenticate

    url = f"sqlite:///{tmp_path / 'k.db'}"
    migrate(url)
    with transaction(session_factory(url)) as session:
        seed_demo_users(session, load_catalog())
    env = {**os.environ, "KOMITMEN_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "komitmen", "users", "passwd", "reviewer"]
    short = subprocess.run(command, input="pendek\n", env=env, capture_output=True, text=True)
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    done = subprocess.run(
        command, input="reviu-rencana-aksi\n", env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with transaction(session_factory(url)) as session:
        assert authenticate(session, username="reviewer", password="reviu-rencana-aksi")
        assert authenticate(session, username="reviewer", password="salah-sandi-123") is None


def test_the_report_command_takes_budget_realised_obstacles_and_follow_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from komitmen.cli.parser import build_parser

    common = ["report", "rakor-2026", "53.01", "--quarter", "1", "--as", "operator-5301"]
    args = build_parser().parse_args(
        [
            *common,
            "--sample-status",
            "sesuai_jadwal",
            "--realised-rp",
            "Rp37.500.000",
            "--obstacles",
            "Akses jalan terputus",
            "--follow-up",
            "Dijadwalkan ulang",
        ]
    )
    assert args.realised_rp == 37_500_000
    assert (args.obstacles, args.follow_up) == ("Akses jalan terputus", "Dijadwalkan ulang")
    assert (
        build_parser().parse_args([*common, "--sample-status", "belum_mulai"]).realised_rp is None
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(
            [*common, "--sample-status", "belum_mulai", "--realised-rp", "1.5"]
        )
    assert "could be misread" in capsys.readouterr().err
