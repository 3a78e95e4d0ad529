"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 21:34:56.067483

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('application_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_application_round_closes_after_opening')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_round')),
    sa.UniqueConstraint('name', name=op.f('uq_application_round_name'))
    )
    with op.batch_alter_table('application_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_round_opens_at'), ['opens_at'], unique=False)

    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.Enum('buergerdienst', 'kinder_familie', 'gesundheit', 'sonstige', name='sector', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('subtype', sa.String(length=40), nullable=False),
    sa.Column('district', sa.Enum('mitte', 'friedrichshain-kreuzberg', 'pankow', 'charlottenburg-wilmersdorf', 'spandau', 'steglitz-zehlendorf', 'tempelhof-schoeneberg', 'neukoelln', 'treptow-koepenick', 'marzahn-hellersdorf', 'lichtenberg', 'reinickendorf', 'berlinweit', name='district', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('staff_size', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(sector = 'buergerdienst' AND subtype IN ('jugendamt', 'sozialamt', 'gesundheitsamt', 'buergeramt', 'einwanderungsbehoerde', 'jobcenter', 'sonstige_behoerde')) OR (sector = 'kinder_familie' AND subtype IN ('familienzentrum', 'erziehungsberatung', 'kita_traeger', 'jugendhilfe_traeger', 'sonstiger_dienst')) OR (sector = 'gesundheit' AND subtype IN ('krankenhaus', 'pflegeeinrichtung', 'ambulanter_dienst', 'praxis_mvz', 'sonstige_gesundheit')) OR (sector = 'sonstige' AND subtype IN ('sonstige'))", name=op.f('ck_organisation_subtype_matches_sector')),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_organisation_name_not_empty')),
    sa.CheckConstraint('staff_size IS NULL OR staff_size > 0', name=op.f('ck_organisation_staff_size_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_sector'), ['sector'], unique=False)

    op.create_table('phase_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase_template')),
    sa.UniqueConstraint('name', name=op.f('uq_phase_template_name'))
    )
    with op.batch_alter_table('phase_template', schema=None) as batch_op:
        batch_op.create_index('uq_phase_template_one_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('staff_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('role', sa.Enum('consultant', 'lead', 'admin', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("locale IS NULL OR locale IN ('de', 'en')", name=op.f('ck_staff_member_locale_known')),
    sa.CheckConstraint('email IS NULL OR email = lower(email)', name=op.f('ck_staff_member_email_lower_case')),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_staff_member_name_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_member')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_member_email'))
    )
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_member_role'), ['role'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_member.id'], name=op.f('fk_audit_event_actor_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('contact_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_restricted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_contact_person_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_person'))
    )
    with op.batch_alter_table('contact_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_person_email'), ['email'], unique=False)
        batch_op.create_index('ix_contact_person_organisation_id', ['organisation_id'], unique=False)

    op.create_table('engagement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('geplant', 'aktiv', 'pausiert', 'abgeschlossen', 'abgebrochen', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('planned_end_date', sa.Date(), nullable=False),
    sa.Column('baseline_end_date', sa.Date(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('actual_end_date', sa.Date(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("(status IN ('abgeschlossen', 'abgebrochen')) = (actual_end_date IS NOT NULL)", name=op.f('ck_engagement_actual_end_iff_closed')),
    sa.CheckConstraint('baseline_end_date > start_date', name=op.f('ck_engagement_baseline_after_start')),
    sa.CheckConstraint('planned_end_date > start_date', name=op.f('ck_engagement_end_after_start')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_engagement_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement'))
    )
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_planned_end_date'), ['planned_end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_start_date'), ['start_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_status'), ['status'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('dedup_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['staff_member.id'], name=op.f('fk_notification_recipient_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_notification_dedup_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_recipient_unread', ['recipient_id', 'read_at'], unique=False)
        batch_op.create_index('ix_notification_unsent', ['created_at'], unique=False, sqlite_where=sa.text('emailed_at IS NULL'), postgresql_where=sa.text('emailed_at IS NULL'))

    op.create_table('staff_measure',
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.Integer(), nullable=False),
    sa.CheckConstraint('measure IN (1, 2, 3)', name=op.f('ck_staff_measure_measure_known')),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_staff_measure_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_member_id', 'measure', name=op.f('pk_staff_measure'))
    )
    with op.batch_alter_table('staff_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_measure_measure'), ['measure'], unique=False)

    op.create_table('template_phase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('share_percent', sa.Integer(), nullable=False),
    sa.CheckConstraint('share_percent BETWEEN 1 AND 100', name=op.f('ck_template_phase_share_in_range')),
    sa.ForeignKeyConstraint(['template_id'], ['phase_template.id'], name=op.f('fk_template_phase_template_id_phase_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_phase')),
    sa.UniqueConstraint('template_id', 'position', name=op.f('uq_template_phase_template_id_position'))
    )
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('treffen', 'workshop', 'fortbildung', 'telefonat', 'notiz', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('participants_count', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes IS NULL OR duration_minutes >= 0', name=op.f('ck_activity_duration_not_negative')),
    sa.CheckConstraint('participants_count IS NULL OR participants_count >= 0', name=op.f('ck_activity_participants_not_negative')),
    sa.ForeignKeyConstraint(['author_id'], ['staff_member.id'], name=op.f('fk_activity_author_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_activity_engagement_id_engagement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('reference_year', sa.Integer(), nullable=False),
    sa.Column('reference_number', sa.Integer(), nullable=False),
    sa.Column('status_token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('eingegangen', 'in_pruefung', 'vorgespraech', 'angenommen', 'abgelehnt', 'warteliste', 'zurueckgezogen', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.Enum('buergerdienst', 'kinder_familie', 'gesundheit', 'sonstige', name='sector', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('subtype', sa.String(length=40), nullable=False),
    sa.Column('district', sa.Enum('mitte', 'friedrichshain-kreuzberg', 'pankow', 'charlottenburg-wilmersdorf', 'spandau', 'steglitz-zehlendorf', 'tempelhof-schoeneberg', 'neukoelln', 'treptow-koepenick', 'marzahn-hellersdorf', 'lichtenberg', 'reinickendorf', 'berlinweit', name='district', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('staff_size', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_role', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=50), nullable=True),
    sa.Column('motivation', sa.Text(), nullable=False),
    sa.Column('known_barriers', sa.Text(), nullable=True),
    sa.Column('target_groups', sa.Text(), nullable=True),
    sa.Column('has_leadership_support', sa.Boolean(), nullable=False),
    sa.Column('leadership_support_by', sa.String(length=200), nullable=True),
    sa.Column('steering_group', sa.Text(), nullable=True),
    sa.Column('desired_start', sa.Date(), nullable=False),
    sa.Column('desired_duration_months', sa.Integer(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_text_version', sa.String(length=40), nullable=False),
    sa.Column('preliminary_talk_on', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(sector = 'buergerdienst' AND subtype IN ('jugendamt', 'sozialamt', 'gesundheitsamt', 'buergeramt', 'einwanderungsbehoerde', 'jobcenter', 'sonstige_behoerde')) OR (sector = 'kinder_familie' AND subtype IN ('familienzentrum', 'erziehungsberatung', 'kita_traeger', 'jugendhilfe_traeger', 'sonstiger_dienst')) OR (sector = 'gesundheit' AND subtype IN ('krankenhaus', 'pflegeeinrichtung', 'ambulanter_dienst', 'praxis_mvz', 'sonstige_gesundheit')) OR (sector = 'sonstige' AND subtype IN ('sonstige'))", name=op.f('ck_application_subtype_matches_sector')),
    sa.CheckConstraint("(status = 'zurueckgezogen') = (withdrawn_at IS NOT NULL)", name=op.f('ck_application_withdrawn_at_iff_withdrawn')),
    sa.CheckConstraint("(status IN ('angenommen', 'abgelehnt', 'warteliste')) = (decided_at IS NOT NULL)", name=op.f('ck_application_decided_at_iff_decided')),
    sa.CheckConstraint("status <> 'abgelehnt' OR decision_reason IS NOT NULL", name=op.f('ck_application_declined_has_reason')),
    sa.CheckConstraint("status <> 'angenommen' OR engagement_id IS NOT NULL", name=op.f('ck_application_accepted_has_engagement')),
    sa.CheckConstraint('desired_duration_months BETWEEN 6 AND 18', name=op.f('ck_application_desired_duration_in_range')),
    sa.CheckConstraint('reference_number > 0', name=op.f('ck_application_reference_number_positive')),
    sa.CheckConstraint('staff_size IS NULL OR staff_size > 0', name=op.f('ck_application_staff_size_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_member.id'], name=op.f('fk_application_decided_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_application_engagement_id_engagement'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_application_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['application_round.id'], name=op.f('fk_application_round_id_application_round'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application')),
    sa.UniqueConstraint('engagement_id', name=op.f('uq_application_engagement_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_application_reference')),
    sa.UniqueConstraint('reference_year', 'reference_number', name=op.f('uq_application_reference_year_reference_number')),
    sa.UniqueConstraint('status_token_hash', name=op.f('uq_application_status_token_hash'))
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_contact_email'), ['contact_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('lead', 'co', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_assignment_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_assignment_staff_member_id_staff_member'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('engagement_id', 'staff_member_id', name=op.f('uq_assignment_engagement_id_staff_member_id'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_staff_member_id'), ['staff_member_id'], unique=False)
        batch_op.create_index('uq_assignment_one_lead', ['engagement_id'], unique=True, sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))

    op.create_table('barrier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('sprache_information', 'verfahren_formulare', 'digitale_zugaenge', 'personal_kompetenz', 'beteiligung_beschwerde', 'strategie_verantwortung', 'daten_monitoring', name='category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('erkannt', 'in_bearbeitung', 'abgebaut', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('measure_taken', sa.Text(), nullable=True),
    sa.Column('identified_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'abgebaut') = (resolved_on IS NOT NULL)", name=op.f('ck_barrier_resolved_on_iff_removed')),
    sa.CheckConstraint('length(description) > 0', name=op.f('ck_barrier_description_not_empty')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_barrier_engagement_id_engagement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_barrier'))
    )
    with op.batch_alter_table('barrier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_barrier_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('check_in', 'reminder', 'nachhaltigkeit', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('offen', 'erledigt', 'verworfen', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('rule_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'offen') = (closed_at IS NULL)", name=op.f('ck_follow_up_closed_at_iff_closed')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_member.id'], name=op.f('fk_follow_up_assignee_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_follow_up_engagement_id_engagement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('rule_key', name=op.f('uq_follow_up_rule_key'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index('ix_follow_up_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('phase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_phase_end_not_before_start')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_phase_position_positive')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_phase_engagement_id_engagement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase')),
    sa.UniqueConstraint('engagement_id', 'position', name=op.f('uq_phase_engagement_id_position'))
    )
    op.create_table('template_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_phase_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Enum('start', 'middle', 'end', name='position', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_gate', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['template_phase_id'], ['template_phase.id'], name=op.f('fk_template_milestone_template_phase_id_template_phase'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_milestone'))
    )
    with op.batch_alter_table('template_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_milestone_template_phase_id'), ['template_phase_id'], unique=False)

    op.create_table('activity_staff',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_activity_staff_activity_id_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_activity_staff_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'staff_member_id', name=op.f('pk_activity_staff'))
    )
    with op.batch_alter_table('activity_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_staff_staff_member_id'), ['staff_member_id'], unique=False)

    op.create_table('application_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('score_leadership', sa.Integer(), nullable=False),
    sa.Column('score_resources', sa.Integer(), nullable=False),
    sa.Column('score_relevance', sa.Integer(), nullable=False),
    sa.Column('score_feasibility', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score_feasibility BETWEEN 1 AND 5', name=op.f('ck_application_review_score_feasibility_in_range')),
    sa.CheckConstraint('score_leadership BETWEEN 1 AND 5', name=op.f('ck_application_review_score_leadership_in_range')),
    sa.CheckConstraint('score_relevance BETWEEN 1 AND 5', name=op.f('ck_application_review_score_relevance_in_range')),
    sa.CheckConstraint('score_resources BETWEEN 1 AND 5', name=op.f('ck_application_review_score_resources_in_range')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_application_review_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['staff_member.id'], name=op.f('fk_application_review_reviewer_id_staff_member'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_review')),
    sa.UniqueConstraint('application_id', 'reviewer_id', name=op.f('uq_application_review_application_id_reviewer_id'))
    )
    with op.batch_alter_table('application_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_review_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('baseline_due_date', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('offen', 'erledigt', 'entfallen', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_gate', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('evidence_note', sa.Text(), nullable=True),
    sa.Column('drop_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'entfallen') = (drop_reason IS NOT NULL)", name=op.f('ck_milestone_drop_reason_iff_dropped')),
    sa.CheckConstraint("(status = 'erledigt') = (completed_on IS NOT NULL)", name=op.f('ck_milestone_completed_on_iff_done')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_milestone_title_not_empty')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['staff_member.id'], name=op.f('fk_milestone_completed_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['staff_member.id'], name=op.f('fk_milestone_owner_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], name=op.f('fk_milestone_phase_id_phase'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_phase_id'), ['phase_id'], unique=False)
        batch_op.create_index('ix_milestone_status_due_date', ['status', 'due_date'], unique=False)



def downgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_status_due_date')
        batch_op.drop_index(batch_op.f('ix_milestone_phase_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_owner_id'))

    op.drop_table('milestone')
    with op.batch_alter_table('application_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_review_reviewer_id'))

    op.drop_table('application_review')
    with op.batch_alter_table('activity_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_staff_staff_member_id'))

    op.drop_table('activity_staff')
    with op.batch_alter_table('template_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_milestone_template_phase_id'))

    op.drop_table('template_milestone')
    op.drop_table('phase')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_status_due_at')
        batch_op.drop_index(batch_op.f('ix_follow_up_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_assignee_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('barrier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_barrier_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_barrier_category'))

    op.drop_table('barrier')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_assignment_one_lead', sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))
        batch_op.drop_index(batch_op.f('ix_assignment_staff_member_id'))

    op.drop_table('assignment')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_application_status'))
        batch_op.drop_index(batch_op.f('ix_application_sector'))
        batch_op.drop_index(batch_op.f('ix_application_round_id'))
        batch_op.drop_index(batch_op.f('ix_application_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_application_district'))
        batch_op.drop_index(batch_op.f('ix_application_contact_email'))

    op.drop_table('application')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_engagement_id'))

    op.drop_table('activity')
    op.drop_table('template_phase')
    with op.batch_alter_table('staff_measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_measure_measure'))

    op.drop_table('staff_measure')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_unsent', sqlite_where=sa.text('emailed_at IS NULL'), postgresql_where=sa.text('emailed_at IS NULL'))
        batch_op.drop_index('ix_notification_recipient_unread')

    op.drop_table('notification')
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_status'))
        batch_op.drop_index(batch_op.f('ix_engagement_start_date'))
        batch_op.drop_index(batch_op.f('ix_engagement_planned_end_date'))
        batch_op.drop_index(batch_op.f('ix_engagement_organisation_id'))

    op.drop_table('engagement')
    with op.batch_alter_table('contact_person', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_person_organisation_id')
        batch_op.drop_index(batch_op.f('ix_contact_person_email'))

    op.drop_table('contact_person')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_member_role'))

    op.drop_table('staff_member')
    with op.batch_alter_table('phase_template', schema=None) as batch_op:
        batch_op.drop_index('uq_phase_template_one_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.drop_table('phase_template')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_sector'))
        batch_op.drop_index(batch_op.f('ix_organisation_name'))
        batch_op.drop_index(batch_op.f('ix_organisation_district'))

    op.drop_table('organisation')
    with op.batch_alter_table('application_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_round_opens_at'))

    op.drop_table('application_round')
