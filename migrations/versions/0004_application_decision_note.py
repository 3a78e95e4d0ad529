"""application decision note

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:14:53.183694

The internal note of a waitlist place or an acceptance gets its own column; until now it
shared ``decision_reason`` with the decline reason that is emailed to the applicant. Notes
already stored there (applications on the waitlist or accepted) move over.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INTERNAL = "status IN ('warteliste', 'angenommen')"


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_note', sa.Text(), nullable=True))
    op.execute(
        f"UPDATE application SET decision_note = decision_reason, decision_reason = NULL "
        f"WHERE {INTERNAL}"
    )


def downgrade():
    # A declined application keeps its reason; a note kept from its waitlist place is lost.
    op.execute(
        f"UPDATE application SET decision_reason = decision_note, decision_note = NULL "
        f"WHERE {INTERNAL}"
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('decision_note')
