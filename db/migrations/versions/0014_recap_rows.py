"""item_standing and recap_part: what the province recap sums, derived from plans and reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the tables and derive their rows from the plans and reports recorded."""
    op.create_table(
        "item_standing",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("strategic_issue", sa.String(length=32), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("budget_cents", sa.BigInteger(), nullable=False),
        sa.Column("realised_cents", sa.BigInteger(), nullable=False),
        sa.Column("percent_hundredths", sa.Integer(), nullable=False),
        sa.Column("expected_hundredths", sa.Integer(), nullable=False),
        sa.Column("carried", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_item_standing_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["action_item.id"], name=op.f("fk_item_standing_item_id_action_item")
        ),
        sa.PrimaryKeyConstraint("item_id", "quarter", name=op.f("pk_item_standing")),
    )
    op.create_index(
        "ix_item_standing_cycle_quarter_party",
        "item_standing",
        ["cycle_id", "quarter", "party"],
    )
    op.create_table(
        "recap_part",
        sa.Column("cycle_id", sa.String(length=64), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("budget_cents", sa.BigInteger(), nullable=False),
        sa.Column("realised_cents", sa.BigInteger(), nullable=False),
        sa.Column("percent_hundredths", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("behind", sa.Integer(), nullable=False),
        sa.Column("carried", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_recap_part_cycle_id_cycle")
        ),
        sa.PrimaryKeyConstraint(
            "cycle_id", "quarter", "kind", "code", "party", name=op.f("pk_recap_part")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_recap_part_cycle_id_party", "recap_part", ["cycle_id", "party"])
    # Derived rows, worked out by the code that keeps them (db.standing), as it is today.
    from db.standing import refresh_all

    refresh_all(Session(bind=op.get_bind()))


def downgrade() -> None:
    """Drop it: its rows are derived, nothing is lost."""
    op.drop_index("ix_recap_part_cycle_id_party", table_name="recap_part")
    op.drop_table("recap_part")
    op.drop_index("ix_item_standing_cycle_quarter_party", table_name="item_standing")
    op.drop_table("item_standing")
