"""overdue order index: commitment (overdue_since, id) replaces (overdue_since)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index the overdue list's order, so a page is read along the index and stops."""
    op.create_index("ix_commitment_overdue_since_id", "commitment", ["overdue_since", "id"])
    op.drop_index("ix_commitment_overdue_since", table_name="commitment")


def downgrade() -> None:
    """Back to the index on overdue_since alone."""
    op.create_index("ix_commitment_overdue_since", "commitment", ["overdue_since"])
    op.drop_index("ix_commitment_overdue_since_id", table_name="commitment")
