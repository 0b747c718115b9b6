"""outcomes: what action items serve, planning fields, carried-over items

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 08:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the format-3 item fields and item_outcome."""
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcomes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("baseline", sa.Numeric(20, 2), nullable=True))
        batch_op.add_column(sa.Column("quarter_targets", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("carried_from", sa.JSON(), nullable=True))
    op.create_table(
        "item_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["action_item.id"], name=op.f("fk_item_outcome_item_id_action_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_outcome")),
        sa.UniqueConstraint(
            "item_id", "kind", "code", name=op.f("uq_item_outcome_item_id_kind_code")
        ),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("item_outcome")
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.drop_column("carried_from")
        batch_op.drop_column("quarter_targets")
        batch_op.drop_column("baseline")
        batch_op.drop_column("outcomes")
