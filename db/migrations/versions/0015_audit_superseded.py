"""audit_event.superseded and .undo: a change recorded by a workflow task that never completed
can be taken back and recorded again

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns; (stream, seq) stays unique among the rows not superseded."""
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("superseded", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("undo", sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_audit_event_stream_seq"), type_="unique")
    op.create_index(
        "uq_audit_event_stream_seq",
        "audit_event",
        ["stream", "seq"],
        unique=True,
        sqlite_where=sa.text("superseded = 0"),
        postgresql_where=sa.text("NOT superseded"),
    )


def downgrade() -> None:
    """Drop the superseded rows' place: (stream, seq) unique again over every row."""
    op.drop_index("uq_audit_event_stream_seq", table_name="audit_event")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_audit_event_stream_seq"), ["stream", "seq"]
        )
        batch_op.drop_column("undo")
        batch_op.drop_column("superseded")
