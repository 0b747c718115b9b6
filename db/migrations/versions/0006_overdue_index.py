"""overdue index: commitment (cycle_id, stage) over overdue commitments only

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 17:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERDUE = sa.text("overdue_since IS NOT NULL")


def upgrade() -> None:
    """Index the overdue commitments by cycle and stage."""
    op.create_index(
        "ix_commitment_overdue_cycle_stage",
        "commitment",
        ["cycle_id", "stage"],
        postgresql_where=OVERDUE,
        sqlite_where=OVERDUE,
    )


def downgrade() -> None:
    """Drop the overdue index."""
    op.drop_index("ix_commitment_overdue_cycle_stage", table_name="commitment")
