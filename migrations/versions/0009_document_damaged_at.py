"""document damaged_at

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:40:00

Issue 10: when a stored file was first found not to match its SHA-256 (or missing), by a
download or the daily check; the admins are told of it, and it is cleared once the file
is found intact again (restored from a backup).
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


def downgrade():
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.drop_column("damaged_at")
