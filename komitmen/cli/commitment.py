"""Reading one commitment and a cycle's records: `show`, `audit`, `audit-verify`, `reminders`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.commitment import DeadlineKey
from domain.display import format_rupiah
from domain.plan import ISSUE_LABELS, StrategicIssue
from komitmen.cli.context import database, find_target
from komitmen.cli.output import (
    QUARTERS,
    REPORT_STATE,
    TIMELINESS,
    days_text,
    deadline_label,
    decimal_text,
    mark_of,
    nip_text,
    pairs,
    say,
    source_label,
    stage_label,
    table,
    when,
)
from services import audit, commitments, cycles
from services.schemas import AuditOut, views
from services.settings import Settings


def stream_label(stream: str) -> str:
    """Whose audit stream this is: "cycle", or the regency code of a commitment."""
    return "cycle" if stream.startswith("cycle:") else stream.rsplit(":", 1)[-1]


def audit_table(events: Sequence[AuditOut], indent: str = "") -> str:
    """The audit trail as a table."""
    rows: list[tuple[object, ...]] = []
    for e in events:
        stream = stream_label(e.stream)
        if e.from_stage is None or e.to_stage is None:
            stages = ""
        elif e.from_stage == e.to_stage:
            stages = stage_label(e.to_stage)
        else:
            stages = f"{stage_label(e.from_stage)} -> {stage_label(e.to_stage)}"
        rows.append(
            (when(e.occurred_at), stream, e.action, e.actor, stages, audit_detail(e.detail))
        )
    return table(("WHEN (WITA)", "REGENCY", "ACTION", "BY", "STAGE", "DETAIL"), rows, indent)


def audit_detail(detail: dict[str, Any]) -> str:
    """The interesting parts of an audit row's detail, compactly."""
    parts = []
    if "version" in detail:
        parts.append(f"v{detail['version']}")
    if "round" in detail:
        parts.append(f"round {detail['round']}")
    if detail.get("quarter"):
        parts.append(f"Triwulan {QUARTERS.get(detail['quarter'], detail['quarter'])}")
    if detail.get("timeliness"):
        parts.append(TIMELINESS.get(detail["timeliness"], detail["timeliness"]))
    if detail.get("office"):
        mark = mark_of(detail.get("acting", "definitive"))
        parts.append(f"{mark}{detail['office']}")
    if detail.get("document_hash"):
        parts.append(f"sha256 {str(detail['document_hash'])[:12]}")
    if detail.get("comments"):
        parts.append(f"{detail['comments']} comments")
    if detail.get("reason"):
        parts.append(f"reason: {detail['reason']}")
    return ", ".join(parts)


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """Everything about one commitment: stage, deadlines, versions, comments, signatures."""
    with database(settings) as session:
        target = find_target(session, args.cycle_id, args.regency)
        row = target.row
        ref, cid = target.ref, target.id
        versions = [
            (v, len(cycles.items_of(session, cid, v.number)))
            for v in commitments.versions(session, ref)
        ]
        latest = row.latest_version if row else 0
        items = cycles.items_of(session, cid, latest)
        comments = commitments.comments(session, ref)
        signatures = commitments.signatures(session, ref)
        reports = commitments.reports(session, ref)
        trail = views(AuditOut, commitments.audit(session, ref))
    say(f'{target.label}, cycle {target.cycle.id} "{target.cycle.name}"')
    if row is None:
        say("not recorded yet: the commitment is starting")
        return 0
    say(
        pairs(
            [
                ("Stage", stage_label(row.stage)),
                ("Round", row.round),
                ("Latest version", row.latest_version or "-"),
                ("Approved version", row.approved_version or "-"),
                ("Document", f"sha256 {row.document_hash}" if row.document_hash else "-"),
                ("Next due", f"{when(row.next_due_at)} WITA" if row.next_due_at else "-"),
                ("Overdue since", f"{when(row.overdue_since)} WITA" if row.overdue_since else "-"),
            ]
        )
    )
    say("\nDeadlines (WITA)")
    deadlines = [
        (deadline_label(key.value), when(datetime.fromisoformat(row.deadlines[key.value])))
        for key in DeadlineKey
        if key.value in row.deadlines
    ]
    say(pairs(deadlines, indent="  "))
    say("\nVersions")
    if versions:
        say(
            table(
                ("VERSION", "ROUND", "ITEMS", "SAVED BY", "SAVED AT (WITA)"),
                [(v.number, v.round, n, v.saved_by, when(v.saved_at)) for v, n in versions],
                indent="  ",
            )
        )
    else:
        say("  none saved yet")
    if items:
        say(f"\nItems of version {latest}")
        for item in items:
            issue = ISSUE_LABELS["id"].get(
                StrategicIssue(item.strategic_issue), item.strategic_issue
            )
            quarters = ", ".join(QUARTERS.get(int(q), str(q)) for q in item.due_quarters)
            say(f"  {item.position}. {item.activity}")
            say(
                pairs(
                    [
                        ("isu", f"{issue}; fase {item.phase.replace('_', ' ')}"),
                        ("indikator", item.indicator),
                        ("target", f"{decimal_text(item.target_value)} {item.target_unit}"),
                        ("triwulan", quarters),
                        ("penanggung jawab", item.responsible_unit),
                        ("mitra", ", ".join(p.replace("_", " ") for p in item.partners) or "-"),
                        (
                            "anggaran",
                            f"{format_rupiah(item.budget_rp)} ({source_label(item.budget_source)})",
                        ),
                        ("lokasi", item.location),
                    ],
                    indent="     ",
                )
            )
    if comments:
        say("\nReview comments")
        say(
            table(
                ("ROUND", "VERSION", "ITEM", "COMMENT", "BY", "AT (WITA)"),
                [
                    (
                        c.round,
                        c.version,
                        c.item_position or "all",
                        c.text,
                        c.author,
                        when(c.created_at),
                    )
                    for c in comments
                ],
                indent="  ",
            )
        )
    if signatures:
        say("\nSignatures")
        rows: list[tuple[object, ...]] = []
        for sig in signatures:
            mark = mark_of(sig.acting)
            current = "" if sig.document_hash == row.document_hash else " (earlier document)"
            rows.append(
                (
                    f"{mark}{sig.title}",
                    sig.signer_name,
                    nip_text(sig.nip),
                    sig.version,
                    f"{sig.document_hash[:16]}{current}",
                    when(sig.signed_at),
                )
            )
        say(table(("AS", "SIGNER", "NIP", "VERSION", "SHA-256", "SIGNED AT (WITA)"), rows, "  "))
    if reports:
        say("\nQuarterly reports")
        rows = []
        for r in reports:
            done = [Decimal(str(i.get("percent_realised", 0))) for i in r.items]
            average = f"{decimal_text(sum(done, Decimal(0)) / len(done))}%" if done else "-"
            rows.append(
                (
                    f"Triwulan {QUARTERS[r.quarter]}",
                    REPORT_STATE.get(r.state, r.state),
                    TIMELINESS.get(r.timeliness, r.timeliness),
                    len(r.items),
                    average,
                    f"{r.submitted_by or '-'}, {when(r.submitted_at)}" if r.submitted_by else "",
                    f"{r.verified_by}, {when(r.verified_at)}" if r.verified_by else "",
                    r.return_reason or "",
                )
            )
        say(
            table(
                (
                    "QUARTER",
                    "STATE",
                    "TIMELINESS",
                    "ITEMS",
                    "AVERAGE",
                    "SUBMITTED",
                    "VERIFIED",
                    "RETURNED",
                ),
                rows,
                "  ",
            )
        )
    say("\nAudit trail")
    say(audit_table(trail, indent="  "))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """The audit trail of a cycle or of one regency's commitment."""
    with database(settings) as session:
        if args.regency:
            target = find_target(session, args.cycle_id, args.regency)
            events = audit.list_audit(session, target.cycle.id, stream=target.id)
        else:
            cycle = cycles.find_cycle(session, args.cycle_id)
            events = audit.list_audit(session, cycle.id)
    say(audit_table(events))
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute the audit hash chain of every cycle (or one); status 2 names a broken row."""
    with database(settings) as session:
        cycle_ids = [cycles.find_cycle(session, args.cycle_id).id] if args.cycle_id else None
        checks = [(c.cycle_id, c.check, c.head) for c in audit.verify_chains(session, cycle_ids)]
    if not checks:
        say("no audit rows yet")
        return 0
    rows = [
        (
            cycle_id,
            check.checked,
            head.hash if head else None,
            "OK" if check.broken is None else f"BROKEN at position {check.broken.position}",
        )
        for cycle_id, check, head in checks
    ]
    say(table(("CYCLE", "ROWS CHECKED", "CHAIN HEAD (SHA-256)", "RESULT"), rows))
    broken = [(cycle_id, check.broken) for cycle_id, check, _ in checks if check.broken]
    for cycle_id, found in broken:
        row = f" ({stream_label(found.stream)} seq {found.seq})" if found.stream else ""
        say(f"{cycle_id}: position {found.position}{row}: {found.reason.value}: {found.message}")
    return 2 if broken else 0


def cmd_reminders(args: argparse.Namespace, settings: Settings) -> int:
    """Reminders, escalations and notices sent for a cycle."""
    with database(settings) as session:
        cycle = cycles.find_cycle(session, args.cycle_id)
        sent = cycles.reminders(session, cycle.id)
        rows = [
            (
                when(r.created_at),
                r.kind,
                r.commitment_id.rsplit(":", 1)[-1],
                deadline_label(r.deadline_key) if r.deadline_key else "",
                when(r.due_at) if r.due_at else "",
                days_text(r.days),
                r.recipient,
                when(r.sent_at) if r.sent_at else "not yet",
            )
            for r in sent
        ]
    if not rows:
        say(f"no reminders or notices for cycle {cycle.id} yet")
        return 0
    say(
        table(
            ("CREATED (WITA)", "KIND", "REGENCY", "DEADLINE", "DUE", "DAYS", "TO", "SENT"),
            rows,
        )
    )
    return 0
