"""notifications mail calendar scheduler

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:56:15.343395

Issue 5: notifications get a topic (a newer one replaces an unread older one), an email body
and the state of their email (claimed, sent, failed, retried); staff choose per kind how they
are told; calendar feeds have hashed tokens and events a SEQUENCE; the scheduler writes a
heartbeat. Notifications raised before this revision are not emailed (``mail_status`` none):
mail starts with this version and must not send a backlog at once.
"""
from alembic import op
import sqlalchemy as sa

import caseflow.database


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_heartbeat',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('started_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('beat_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_heartbeat'))
    )
    op.create_table('notification_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.CheckConstraint("channel IN ('off', 'app', 'email')", name=op.f('ck_notification_preference_channel_known')),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_notification_preference_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preference')),
    sa.UniqueConstraint('staff_member_id', 'kind', name=op.f('uq_notification_preference_staff_member_id_kind'))
    )
    op.create_table('calendar_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_calendar_token_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_calendar_token_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_token')),
    sa.UniqueConstraint('staff_member_id', 'scope', name=op.f('uq_calendar_token_staff_member_id_scope')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_token_token_hash'))
    )
    with op.batch_alter_table('calendar_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_token_engagement_id'), ['engagement_id'], unique=False)

    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', caseflow.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('mail_status', sa.Enum('pending', 'sending', 'sent', 'failed', 'none', name='mail_status', native_enum=False, create_constraint=True, length=7), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('mail_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('mail_next_at', caseflow.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('mail_claimed_at', caseflow.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('mail_claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('mail_error', sa.String(length=500), nullable=True))
        batch_op.drop_index(batch_op.f('ix_notification_unsent'), sqlite_where=sa.text('emailed_at IS NULL'), postgresql_where=sa.text('emailed_at IS NULL'))
        batch_op.create_index('ix_notification_mail', ['mail_status', 'mail_next_at'], unique=False)
        batch_op.create_index('ix_notification_recipient_topic', ['recipient_id', 'topic'], unique=False)
    op.execute("UPDATE notification SET mail_status = 'none'")



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_recipient_topic')
        batch_op.drop_index('ix_notification_mail')
        batch_op.create_index(batch_op.f('ix_notification_unsent'), ['created_at'], unique=False, sqlite_where=sa.text('emailed_at IS NULL'), postgresql_where=sa.text('emailed_at IS NULL'))
        batch_op.drop_column('mail_error')
        batch_op.drop_column('mail_claim_token')
        batch_op.drop_column('mail_claimed_at')
        batch_op.drop_column('mail_next_at')
        batch_op.drop_column('mail_attempts')
        batch_op.drop_constraint(batch_op.f('ck_notification_mail_status'), type_='check')
        batch_op.drop_column('mail_status')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('body')
        batch_op.drop_column('topic')

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')

    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')

    with op.batch_alter_table('calendar_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_token_engagement_id'))

    op.drop_table('calendar_token')
    op.drop_table('notification_preference')
    op.drop_table('scheduler_heartbeat')
