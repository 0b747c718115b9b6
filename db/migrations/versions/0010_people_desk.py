"""TEMPORARY stand-in for the people desk migration (pangkat, jabatan)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add user_account.pangkat and jabatan."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pangkat", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("jabatan", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("jabatan")
        batch_op.drop_column("pangkat")
