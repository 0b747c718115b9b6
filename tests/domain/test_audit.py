"""The audit hash chain: what a row's hash covers, and how the verifier names a break."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from domain.audit import (
    EMPTY_CHAIN,
    GENESIS_HASH,
    SUPERSEDES,
    AuditContent,
    AuditEntry,
    BreakReason,
    ChainHead,
    audit_hash,
    chain_after,
    verify_chain,
)
from domain.calendar import WITA

STARTED_AT = datetime(2026, 1, 5, 8, 0, tzinfo=WITA)
ACTIONS = ["save_draft", "submit", "request_changes", "save_draft", "submit", "approve"]


def content(number: int, **changes: object) -> AuditContent:
    row = AuditContent(
        cycle_id="rakor-2026",
        stream="rakor-2026:53.01",
        seq=number,
        action=ACTIONS[(number - 1) % len(ACTIONS)],
        actor="Yohanes Bria",
        actor_role="regency_officer",
        from_stage="drafting",
        to_stage="review",
        detail={"round": 1, "version": number, "reason": None},
        occurred_at=STARTED_AT + timedelta(hours=number),
    )
    return row.model_copy(update=changes)


def chain(length: int) -> list[AuditEntry]:
    entries = []
    head = EMPTY_CHAIN
    for seq in range(1, length + 1):
        row = content(seq)
        link = chain_after(head, row)
        entries.append(AuditEntry(**row.model_dump(), **link.model_dump()))
        head = ChainHead(length=link.chain_seq, hash=link.hash)
    return entries


def head_of(entries: list[AuditEntry]) -> ChainHead:
    return ChainHead(length=entries[-1].chain_seq, hash=entries[-1].hash)


def test_the_hash_is_sha256_of_the_canonical_json_of_content_position_and_link() -> None:
    row = content(1, detail={"version": 1, "round": 1})
    text = (
        '{"action":"save_draft","actor":"Yohanes Bria","actor_role":"regency_officer",'
        '"chain_seq":1,"cycle_id":"rakor-2026","detail":{"round":1,"version":1},'
        '"from_stage":"drafting","occurred_at":"2026-01-05T01:00:00.000000Z",'
        f'"prev_hash":"{GENESIS_HASH}","seq":1,"stream":"rakor-2026:53.01","to_stage":"review"}}'
    )
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert audit_hash(row, chain_seq=1, prev_hash=GENESIS_HASH) == expected
    assert chain_after(EMPTY_CHAIN, row).hash == expected


def test_the_same_instant_in_any_zone_hashes_alike() -> None:
    wita = content(2)
    utc = content(2, occurred_at=wita.occurred_at.astimezone(UTC))
    assert audit_hash(wita, chain_seq=2, prev_hash="a" * 64) == audit_hash(
        utc, chain_seq=2, prev_hash="a" * 64
    )


@pytest.mark.parametrize(
    "change",
    [
        {"cycle_id": "rakor-2027"},
        {"stream": "rakor-2026:53.02"},
        {"seq": 9},
        {"action": "approve"},
        {"actor": "Agustina Ndun"},
        {"actor_role": "reviewer"},
        {"from_stage": None},
        {"to_stage": "signing"},
        {"detail": {"round": 1, "version": 1, "reason": "x"}},
        {"occurred_at": STARTED_AT + timedelta(hours=1, microseconds=1)},
    ],
)
def test_every_field_of_the_content_is_covered(change: dict[str, object]) -> None:
    before = audit_hash(content(1), chain_seq=1, prev_hash=GENESIS_HASH)
    assert audit_hash(content(1, **change), chain_seq=1, prev_hash=GENESIS_HASH) != before


def test_position_and_previous_hash_are_covered() -> None:
    row = content(1)
    base = audit_hash(row, chain_seq=1, prev_hash=GENESIS_HASH)
    assert audit_hash(row, chain_seq=2, prev_hash=GENESIS_HASH) != base
    assert audit_hash(row, chain_seq=1, prev_hash="f" * 64) != base


def test_an_untouched_chain_verifies_and_ends_at_its_head() -> None:
    entries = chain(6)
    check = verify_chain(entries, head_of(entries))
    assert check.ok
    assert check.checked == 6
    assert check.end == head_of(entries)
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert entries[0].prev_hash == GENESIS_HASH


def test_an_empty_chain_verifies_against_the_empty_head() -> None:
    check = verify_chain([], EMPTY_CHAIN)
    assert check.ok and check.checked == 0 and check.end == EMPTY_CHAIN


def test_an_edited_row_is_named_by_its_position() -> None:
    entries = chain(6)
    entries[3] = entries[3].model_copy(update={"detail": {"round": 1, "version": 99}})
    check = verify_chain(entries, head_of(entries))
    assert not check.ok and check.broken is not None
    assert (check.broken.position, check.broken.reason) == (4, BreakReason.EDITED)
    assert (check.broken.stream, check.broken.seq) == ("rakor-2026:53.01", 4)
    assert "hash mismatch" in check.broken.message
    assert check.checked == 4
    assert check.end == ChainHead(length=3, hash=entries[2].hash)


def test_an_edited_and_rehashed_row_breaks_the_link_of_the_next() -> None:
    entries = chain(6)
    forged = entries[3].model_copy(update={"actor": "Orang Lain"})
    forged = forged.model_copy(
        update={"hash": audit_hash(forged, chain_seq=4, prev_hash=forged.prev_hash)}
    )
    entries[3] = forged
    check = verify_chain(entries, head_of(entries))
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (5, BreakReason.UNLINKED)
    assert "position 4" in check.broken.message


def test_a_deleted_row_shows_as_a_gap() -> None:
    entries = chain(6)
    del entries[2]
    check = verify_chain(entries, head_of(entries))
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (3, BreakReason.MISSING)
    assert check.broken.seq == 4
    assert "position 3 is missing" in check.broken.message


def test_an_inserted_row_shows_as_out_of_order() -> None:
    entries = chain(6)
    entries.insert(3, entries[2].model_copy(update={"seq": 30}))
    check = verify_chain(entries, head_of(entries))
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (4, BreakReason.OUT_OF_ORDER)
    assert check.broken.seq == 30


def test_deleting_the_last_rows_is_caught_only_by_the_head() -> None:
    entries = chain(6)
    head = head_of(entries)
    del entries[-2:]
    assert verify_chain(entries).ok
    check = verify_chain(entries, head)
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (5, BreakReason.TRUNCATED)
    assert "6 rows" in check.broken.message
    emptied = verify_chain([], head)
    assert emptied.broken is not None
    assert (emptied.broken.position, emptied.broken.reason) == (1, BreakReason.TRUNCATED)


def test_a_head_that_disagrees_with_the_trail_is_reported() -> None:
    entries = chain(3)
    check = verify_chain(entries, ChainHead(length=3, hash="e" * 64))
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (3, BreakReason.HEAD_MISMATCH)
    rows_without_head = verify_chain(entries, EMPTY_CHAIN)
    assert rows_without_head.broken is not None
    assert rows_without_head.broken.reason == BreakReason.HEAD_MISMATCH


def superseding(entries: list[AuditEntry], named: list[str]) -> list[AuditEntry]:
    """`entries` with a row appended that names `named` as superseded."""
    head = head_of(entries)
    row = content(len(entries) + 1, detail={"round": 1, "version": 1, SUPERSEDES: named})
    link = chain_after(head, row)
    return [*entries, AuditEntry(**row.model_dump(), **link.model_dump())]


def test_a_row_marked_superseded_must_be_named_by_a_later_row() -> None:
    entries = chain(6)
    lost = [entries[4], entries[5]]
    marked = entries[:4] + [e.model_copy(update={"superseded": True}) for e in lost]
    # Superseded by a later row that names both: intact.
    whole = superseding(marked, [e.hash for e in lost])
    assert verify_chain(whole, head_of(whole)).ok
    # The mark is outside the hash: set on a row no later row names, it hides that row.
    hidden = superseding(marked, [lost[1].hash])
    check = verify_chain(hidden, head_of(hidden))
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason, check.broken.seq) == (
        5,
        BreakReason.HIDDEN,
        lost[0].seq,
    )
