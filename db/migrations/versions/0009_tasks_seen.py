"""tasks: user_account.tasks_seen_at, reports waiting for verification by submission

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add user_account.tasks_seen_at (everyone's tasks start unread) and the index the
    reviewer's task list reads waiting reports along."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tasks_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("quarterly_report", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quarterly_report_state_submitted_at",
            ["state", "submitted_at", "commitment_id"],
            unique=False,
        )


def downgrade() -> None:
    """Drop the index and user_account.tasks_seen_at."""
    with op.batch_alter_table("quarterly_report", schema=None) as batch_op:
        batch_op.drop_index("ix_quarterly_report_state_submitted_at")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("tasks_seen_at")
