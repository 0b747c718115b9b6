"""audit chain: audit_event.chain_seq, prev_hash, hash and the audit_chain_head table

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UtcDateTime
from domain.audit import EMPTY_CHAIN, AuditContent, ChainHead, chain_after

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The audit_event columns this revision reads and writes, as they are at this revision.
AUDIT_EVENT = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("cycle_id", sa.String()),
    sa.column("stream", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("actor_role", sa.String()),
    sa.column("from_stage", sa.String()),
    sa.column("to_stage", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("occurred_at", UtcDateTime()),
    sa.column("chain_seq", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
AUDIT_CHAIN_HEAD = sa.table(
    "audit_chain_head",
    sa.column("cycle_id", sa.String()),
    sa.column("chain_seq", sa.Integer()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    """Chain every existing audit row per cycle in order of id, then require the chain."""
    op.create_table(
        "audit_chain_head",
        sa.Column("cycle_id", sa.String(length=64), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("cycle_id", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_rows(op.get_bind())
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("chain_seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_audit_event_cycle_id_chain_seq"), ["cycle_id", "chain_seq"]
        )


def _chain_existing_rows(conn: sa.Connection) -> None:
    heads: dict[str, ChainHead] = {}
    links = []
    rows = conn.execute(sa.select(AUDIT_EVENT).order_by(AUDIT_EVENT.c.id)).mappings()
    for row in rows:
        head = heads.get(row["cycle_id"], EMPTY_CHAIN)
        link = chain_after(head, AuditContent.model_validate(dict(row)))
        heads[row["cycle_id"]] = ChainHead(length=link.chain_seq, hash=link.hash)
        # Bound parameters may not share the names of the columns they set.
        links.append({"row_id": row["id"], **{f"new_{k}": v for k, v in link.model_dump().items()}})
    if links:
        conn.execute(
            sa.update(AUDIT_EVENT)
            .where(AUDIT_EVENT.c.id == sa.bindparam("row_id"))
            .values(
                chain_seq=sa.bindparam("new_chain_seq"),
                prev_hash=sa.bindparam("new_prev_hash"),
                hash=sa.bindparam("new_hash"),
            ),
            links,
        )
    if heads:
        conn.execute(
            sa.insert(AUDIT_CHAIN_HEAD),
            [
                {"cycle_id": cycle_id, "chain_seq": head.length, "hash": head.hash}
                for cycle_id, head in heads.items()
            ],
        )


def downgrade() -> None:
    """Drop the chain columns and the audit_chain_head table."""
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_cycle_id_chain_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_seq")
    op.drop_table("audit_chain_head")
