"""signed documents: canonical document bytes, stored files, signature evidence, TTE requests

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:21:44.345719

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep document bytes and verification codes; files, evidence and TTE requests."""
    op.create_table(
        "stored_file",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_file")),
    )
    op.create_table(
        "tte_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(length=96), nullable=False),
        sa.Column("office", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("output_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_tte_request_commitment_id_commitment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tte_request")),
        sa.UniqueConstraint(
            "commitment_id",
            "document_hash",
            "office",
            name=op.f("uq_tte_request_commitment_id_document_hash_office"),
        ),
    )
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_format", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("document_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("verify_code", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_plan_version_verify_code", ["verify_code"], unique=False)

    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=16), server_default="confirmed", nullable=False)
        )
        batch_op.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("evidence_media_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("evidence_document_id", sa.String(length=200), nullable=True))

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nik", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("nik")

    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_column("evidence_document_id")
        batch_op.drop_column("evidence_media_type")
        batch_op.drop_column("evidence_sha256")
        batch_op.drop_column("method")

    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_version_verify_code")
        batch_op.drop_column("verify_code")
        batch_op.drop_column("document_hash")
        batch_op.drop_column("document")
        batch_op.drop_column("document_format")

    op.drop_table("tte_request")
    op.drop_table("stored_file")
