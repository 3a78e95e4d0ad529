"""application reference counter

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:42:05.094318

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('application_reference_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_number > 0', name=op.f('ck_application_reference_counter_last_number_positive')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_application_reference_counter'))
    )

def downgrade():
    op.drop_table('application_reference_counter')