"""offices: who holds or acts for an office (by SK), titles per regency per date

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add office_assignment, regency_title and what a signature block prints beyond the
    title (signature.pangkat, signature.own_title)."""
    op.create_table(
        "office_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_code", sa.String(length=16), nullable=False),
        sa.Column("office", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("acting", sa.String(length=16), nullable=False),
        sa.Column("sk_number", sa.String(length=120), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("own_title", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_office_assignment_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_assignment")),
    )
    with op.batch_alter_table("office_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_office_assignment_regency_code_office", ["regency_code", "office"], unique=False
        )
        batch_op.create_index("ix_office_assignment_user_id", ["user_id"], unique=False)
    op.create_table(
        "regency_title",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regency_title")),
    )
    with op.batch_alter_table("regency_title", schema=None) as batch_op:
        batch_op.create_index("ix_regency_title_regency_code", ["regency_code"], unique=False)
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pangkat", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("own_title", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_column("own_title")
        batch_op.drop_column("pangkat")
    with op.batch_alter_table("regency_title", schema=None) as batch_op:
        batch_op.drop_index("ix_regency_title_regency_code")
    op.drop_table("regency_title")
    with op.batch_alter_table("office_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_office_assignment_user_id")
        batch_op.drop_index("ix_office_assignment_regency_code_office")
    op.drop_table("office_assignment")
