"""selfcheck and client links

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:00:00

Issue 9: the Selbstcheck (versioned statements, rounds per engagement with the statements
they froze, each person's response and answers) and the secret, revocable links of the
client view. The questionnaire caseflow shipped then (``data/selfcheck_statements.json``,
written out below so that a later change of the file does not change this migration)
becomes version 1 of every statement.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import caseflow.database


# Version 1 of the questionnaire as caseflow shipped it then (data/selfcheck_statements.json
# may change later; a migration seeds what it was written with): key, category, wording.
STATEMENTS = (
    (
        'sprache_information.sprachmittlung',
        'sprache_information',
        (
            'Für wichtige Gespräche mit Menschen, die wenig Deutsch sprechen, ziehen wir '
            'professionelle Sprachmittlung hinzu – vor Ort, per Telefon oder per Video.'
        ),
    ),
    (
        'sprache_information.sprachmittlung_budget',
        'sprache_information',
        (
            'In unserem Haushalt sind feste Mittel für Sprachmittlung eingeplant, sodass '
            'sie für Ratsuchende kostenlos ist.'
        ),
    ),
    (
        'sprache_information.mehrsprachige_infos',
        'sprache_information',
        (
            'Unsere wichtigsten Merkblätter liegen in den Sprachen vor, die Ratsuchende bei '
            'uns am häufigsten sprechen.'
        ),
    ),
    (
        'sprache_information.einfache_sprache',
        'sprache_information',
        'Unsere Standardschreiben an Ratsuchende sind in Einfacher Sprache formuliert.',
    ),
    (
        'verfahren_formulare.ablauf_erklaeren',
        'verfahren_formulare',
        (
            'Wir erklären Ratsuchenden gleich zu Beginn, welche Schritte ihr Anliegen bei '
            'uns durchläuft.'
        ),
    ),
    (
        'verfahren_formulare.ausfuellhilfen',
        'verfahren_formulare',
        (
            'Zu unseren meistgenutzten Formularen gibt es Ausfüllhilfen in mehreren '
            'Sprachen.'
        ),
    ),
    (
        'verfahren_formulare.nachweise_pruefen',
        'verfahren_formulare',
        (
            'Wir prüfen regelmäßig, ob unsere Anforderungen an Nachweise '
            'Drittstaatsangehörige ohne sachlichen Grund benachteiligen.'
        ),
    ),
    (
        'verfahren_formulare.weitervermittlung',
        'verfahren_formulare',
        (
            'Wir haben eine aktuelle Liste von Fachstellen, etwa für psychosoziale Beratung '
            'von Geflüchteten, an die wir Ratsuchende gezielt weitervermitteln.'
        ),
    ),
    (
        'digitale_zugaenge.termin_ohne_online',
        'digitale_zugaenge',
        (
            'Wer keinen Termin online buchen kann, bekommt bei uns auch telefonisch oder '
            'direkt vor Ort einen Termin.'
        ),
    ),
    (
        'digitale_zugaenge.website_sprachen',
        'digitale_zugaenge',
        (
            'Die wichtigsten Informationen auf unserer Website sind auch in anderen '
            'Sprachen als Deutsch abrufbar.'
        ),
    ),
    (
        'digitale_zugaenge.antrag_ohne_online',
        'digitale_zugaenge',
        (
            'Anträge, die online möglich sind, können Ratsuchende bei uns auch auf Papier '
            'oder im persönlichen Gespräch stellen.'
        ),
    ),
    (
        'personal_kompetenz.fortbildung_diskriminierung',
        'personal_kompetenz',
        (
            'Alle unsere Mitarbeitenden mit Kontakt zu Ratsuchenden haben in den letzten '
            'zwei Jahren eine Fortbildung zu Diskriminierung im Arbeitsalltag besucht.'
        ),
    ),
    (
        'personal_kompetenz.einarbeitung',
        'personal_kompetenz',
        (
            'Zur Einarbeitung neuer Mitarbeitender gehört bei uns ein fester Baustein zum '
            'Thema Vielfalt.'
        ),
    ),
    (
        'personal_kompetenz.rechte_uebersicht',
        'personal_kompetenz',
        (
            'Unsere Mitarbeitenden haben eine aktuelle Übersicht, welche Leistungen '
            'Drittstaatsangehörigen je nach Aufenthaltsstatus zustehen.'
        ),
    ),
    (
        'personal_kompetenz.personalgewinnung',
        'personal_kompetenz',
        (
            'Bei Stellenausschreibungen sprechen wir Menschen mit Migrationsgeschichte '
            'gezielt als Bewerber*innen an.'
        ),
    ),
    (
        'beteiligung_beschwerde.mso_perspektive',
        'beteiligung_beschwerde',
        (
            'Bevor wir Angebote verändern, holen wir die Sicht von '
            'Migrant*innenselbstorganisationen ein.'
        ),
    ),
    (
        'beteiligung_beschwerde.mso_kooperation',
        'beteiligung_beschwerde',
        (
            'Wir haben mit mindestens einer Migrant*innenselbstorganisation eine feste Form '
            'der Zusammenarbeit vereinbart.'
        ),
    ),
    (
        'beteiligung_beschwerde.beschwerde_sprachen',
        'beteiligung_beschwerde',
        (
            'Ratsuchende können sich bei uns auch in anderen Sprachen als Deutsch '
            'beschweren.'
        ),
    ),
    (
        'beteiligung_beschwerde.beschwerde_diskriminierung',
        'beteiligung_beschwerde',
        (
            'Beschwerden über Diskriminierung bearbeiten wir nach einem schriftlich '
            'festgelegten Ablauf.'
        ),
    ),
    (
        'strategie_verantwortung.leitung',
        'strategie_verantwortung',
        (
            'Unsere Leitung setzt sich gegenüber den Mitarbeitenden sichtbar für den Abbau '
            'von Zugangsbarrieren ein.'
        ),
    ),
    (
        'strategie_verantwortung.verantwortliche_person',
        'strategie_verantwortung',
        (
            'Bei uns ist eine Person benannt, die für den Abbau von Zugangsbarrieren '
            'verantwortlich ist.'
        ),
    ),
    (
        'strategie_verantwortung.konzept',
        'strategie_verantwortung',
        (
            'Wir haben ein schriftliches Konzept mit Zielen, Maßnahmen und Zeitplan für '
            'einen gerechten Zugang zu unseren Angeboten.'
        ),
    ),
    (
        'strategie_verantwortung.ressourcen',
        'strategie_verantwortung',
        (
            'Unsere Einrichtung stellt für den Abbau von Zugangsbarrieren feste Personal- '
            'oder Sachmittel bereit.'
        ),
    ),
    (
        'daten_monitoring.sprachbedarf',
        'daten_monitoring',
        'Wir erfassen, wie oft in unseren Gesprächen eine Sprachmittlung benötigt wird.',
    ),
    (
        'daten_monitoring.datenschutz',
        'daten_monitoring',
        (
            'Wie wir Daten zum Zugang datenschutzgerecht erheben, haben wir mit der für '
            'Datenschutz zuständigen Stelle unseres Hauses geklärt.'
        ),
    ),
    (
        'daten_monitoring.zugang_auswerten',
        'daten_monitoring',
        (
            'Wir werten regelmäßig aus, ob Drittstaatsangehörige unsere Angebote ebenso gut '
            'erreichen wie andere Ratsuchende.'
        ),
    ),
    (
        'daten_monitoring.ergebnisse_nutzen',
        'daten_monitoring',
        (
            'Mindestens einmal im Jahr nutzt unsere Leitung Daten zum Zugang von '
            'Drittstaatsangehörigen, um unsere Angebote zu verbessern.'
        ),
    ),
)


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('selfcheck_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('sprache_information', 'verfahren_formulare', 'digitale_zugaenge', 'personal_kompetenz', 'beteiligung_beschwerde', 'strategie_verantwortung', 'daten_monitoring', name='category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('text', sa.String(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', caseflow.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_selfcheck_statement_text_not_empty')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_selfcheck_statement_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_member.id'], name=op.f('fk_selfcheck_statement_created_by_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfcheck_statement')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_selfcheck_statement_key_version'))
    )
    with op.batch_alter_table('selfcheck_statement', schema=None) as batch_op:
        batch_op.create_index('uq_selfcheck_statement_one_current', ['key'], unique=True, sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))

    op.create_table('client_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_salt', sa.String(length=32), nullable=False),
    sa.Column('created_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', caseflow.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_member.id'], name=op.f('fk_client_link_created_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_client_link_engagement_id_engagement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_client_link_token_hash'))
    )
    with op.batch_alter_table('client_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_link_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index('uq_client_link_one_active', ['engagement_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('selfcheck_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('vorher', 'nachher', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_salt', sa.String(length=32), nullable=True),
    sa.Column('opened_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', caseflow.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_selfcheck_round_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['staff_member.id'], name=op.f('fk_selfcheck_round_opened_by_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfcheck_round')),
    sa.UniqueConstraint('engagement_id', 'kind', name=op.f('uq_selfcheck_round_engagement_id_kind')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_selfcheck_round_token_hash'))
    )
    with op.batch_alter_table('selfcheck_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfcheck_round_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('selfcheck_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('resume_token_hash', sa.String(length=64), nullable=False),
    sa.Column('respondent_name', sa.String(length=120), nullable=True),
    sa.Column('respondent_role', sa.String(length=120), nullable=True),
    sa.Column('started_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('saved_at', caseflow.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', caseflow.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['selfcheck_round.id'], name=op.f('fk_selfcheck_response_round_id_selfcheck_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfcheck_response')),
    sa.UniqueConstraint('resume_token_hash', name=op.f('uq_selfcheck_response_resume_token_hash'))
    )
    with op.batch_alter_table('selfcheck_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfcheck_response_round_id'), ['round_id'], unique=False)

    op.create_table('selfcheck_round_statement',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['selfcheck_round.id'], name=op.f('fk_selfcheck_round_statement_round_id_selfcheck_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['selfcheck_statement.id'], name=op.f('fk_selfcheck_round_statement_statement_id_selfcheck_statement'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('round_id', 'statement_id', name=op.f('pk_selfcheck_round_statement')),
    sa.UniqueConstraint('round_id', 'position', name=op.f('uq_selfcheck_round_statement_round_id_position'))
    )
    with op.batch_alter_table('selfcheck_round_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfcheck_round_statement_statement_id'), ['statement_id'], unique=False)

    op.create_table('selfcheck_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('dont_know', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint('NOT (dont_know AND rating IS NOT NULL)', name=op.f('ck_selfcheck_answer_dont_know_no_rating')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 4', name=op.f('ck_selfcheck_answer_rating_in_range')),
    sa.ForeignKeyConstraint(['response_id'], ['selfcheck_response.id'], name=op.f('fk_selfcheck_answer_response_id_selfcheck_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['selfcheck_statement.id'], name=op.f('fk_selfcheck_answer_statement_id_selfcheck_statement'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfcheck_answer')),
    sa.UniqueConstraint('response_id', 'statement_id', name=op.f('uq_selfcheck_answer_response_id_statement_id'))
    )
    with op.batch_alter_table('selfcheck_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfcheck_answer_statement_id'), ['statement_id'], unique=False)

    # ### end Alembic commands ###
    _seed_statements()


def _seed_statements() -> None:
    """Version 1 of each statement of ``STATEMENTS``, in that order."""
    table = sa.table(
        "selfcheck_statement",
        sa.column("key", sa.String),
        sa.column("version", sa.Integer),
        sa.column("category", sa.String),
        sa.column("text", sa.String),
        sa.column("position", sa.Integer),
        sa.column("created_at", caseflow.database.UTCDateTime()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "key": key,
                "version": 1,
                "category": category,
                "text": text,
                "position": position,
                "created_at": now,
            }
            for position, (key, category, text) in enumerate(STATEMENTS, start=1)
        ],
    )


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('selfcheck_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfcheck_answer_statement_id'))

    op.drop_table('selfcheck_answer')
    with op.batch_alter_table('selfcheck_round_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfcheck_round_statement_statement_id'))

    op.drop_table('selfcheck_round_statement')
    with op.batch_alter_table('selfcheck_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfcheck_response_round_id'))

    op.drop_table('selfcheck_response')
    with op.batch_alter_table('selfcheck_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfcheck_round_engagement_id'))

    op.drop_table('selfcheck_round')
    with op.batch_alter_table('client_link', schema=None) as batch_op:
        batch_op.drop_index('uq_client_link_one_active', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_client_link_engagement_id'))

    op.drop_table('client_link')
    with op.batch_alter_table('selfcheck_statement', schema=None) as batch_op:
        batch_op.drop_index('uq_selfcheck_statement_one_current', sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))

    op.drop_table('selfcheck_statement')
    # ### end Alembic commands ###
