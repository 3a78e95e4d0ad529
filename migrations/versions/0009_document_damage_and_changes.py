"""documents: damaged_at, updated_at, a wider title_key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:40:00

Issue 10, after its review:
- ``document_version.damaged_at``: when a stored file was first found not to match its
  SHA-256 (or missing), by a download or the daily check; the admins are told of it, and
  it is cleared once the file is found intact again (restored from a backup);
- ``document.updated_at``: written with every new version, trashing and restoring, so that
  the row's version counts up and a delete form shown before a new version is stale;
- ``document.title_key`` 600 characters: case folding can make a title of 200 longer.
"""
from alembic import op
import sqlalchemy as sa

import caseflow.database


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("damaged_at", caseflow.database.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", caseflow.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column(
            "title_key",
            existing_type=sa.String(length=200),
            type_=sa.String(length=600),
            existing_nullable=False,
        )


def downgrade():
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column(
            "title_key",
            existing_type=sa.String(length=600),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.drop_column("damaged_at")
