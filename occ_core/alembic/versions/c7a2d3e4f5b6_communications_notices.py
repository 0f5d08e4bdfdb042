"""communications and automatic notices

Revision ID: c7a2d3e4f5b6
Revises: b6f1c2d3e4a5
Create Date: 2026-11-26 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import shared_registry.db


revision = 'c7a2d3e4f5b6'
down_revision = 'b6f1c2d3e4a5'
branch_labels = None
depends_on = None


def _tenant(table):
    return [sa.Column('tenant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'))]


def _indexes(table, *columns):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade():
    op.create_table('communications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('notice_kind', sa.String(length=30), nullable=False),
    sa.Column('notice_key', sa.String(length=120), nullable=True),
    sa.Column('template_code', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('created_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    *_tenant('communications'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_communications_created_by_id_users')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_communications_dossier_id_dossiers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['protocol_registrations.id'],
                            name=op.f('fk_communications_registration_id_protocol_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communications')),
    sa.UniqueConstraint('tenant_id', 'notice_key', name=op.f('uq_communications_tenant_id'))
    )
    _indexes('communications', 'dossier_id', 'tenant_id')

    op.create_table('communication_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communication_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('party_kind', sa.String(length=20), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    *_tenant('communication_recipients'),
    sa.ForeignKeyConstraint(['communication_id'], ['communications.id'],
                            name=op.f('fk_communication_recipients_communication_id_communications'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delivery_id'], ['outbox_deliveries.id'],
                            name=op.f('fk_communication_recipients_delivery_id_outbox_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication_recipients'))
    )
    _indexes('communication_recipients', 'communication_id', 'delivery_id', 'tenant_id')

    op.create_table('communication_offices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('pec', sa.String(length=254), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('province', sa.String(length=2), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    *_tenant('communication_offices'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication_offices'))
    )
    _indexes('communication_offices', 'tenant_id')

    op.create_table('communication_notice_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('updated_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    *_tenant('communication_notice_settings'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication_notice_settings')),
    sa.UniqueConstraint('tenant_id', 'kind', name=op.f('uq_communication_notice_settings_tenant_id'))
    )
    _indexes('communication_notice_settings', 'tenant_id')


def downgrade():
    for table in ('communication_notice_settings', 'communication_offices', 'communication_recipients',
                  'communications'):
        op.drop_table(table)
