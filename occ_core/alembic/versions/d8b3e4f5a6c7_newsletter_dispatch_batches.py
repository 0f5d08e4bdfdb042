"""newsletter, mailing lists, unsubscribes, personalised deliveries

Revision ID: d8b3e4f5a6c7
Revises: c7a2d3e4f5b6
Create Date: 2026-11-26 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import shared_registry.db


revision = 'd8b3e4f5a6c7'
down_revision = 'c7a2d3e4f5b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rate_per_minute', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('batch_round', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_batch_at', shared_registry.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_at', shared_registry.db.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personalisation', sa.JSON(), server_default='{}', nullable=False))

    op.create_table('newsletter_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_newsletter_lists_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_lists')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_newsletter_lists_tenant_id'))
    )
    with op.batch_alter_table('newsletter_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_lists_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('newsletter_list_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('registrant_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['newsletter_lists.id'], name=op.f('fk_newsletter_list_members_list_id_newsletter_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_newsletter_list_members_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_list_members')),
    sa.UniqueConstraint('list_id', 'email', name=op.f('uq_newsletter_list_members_list_id'))
    )
    with op.batch_alter_table('newsletter_list_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_list_members_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_list_members_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('newsletters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.Column('audience_label', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('scheduled_at', shared_registry.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('started_at', shared_registry.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', shared_registry.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_newsletters_created_by_id_users')),
    sa.ForeignKeyConstraint(['list_id'], ['newsletter_lists.id'], name=op.f('fk_newsletters_list_id_newsletter_lists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_newsletters_message_id_outbox_messages')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_newsletters_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletters'))
    )
    with op.batch_alter_table('newsletters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletters_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletters_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('newsletter_unsubscribes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('unsubscribed_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('newsletter_id', sa.Integer(), nullable=True),
    sa.Column('resubscribed_at', shared_registry.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resubscribed_by_id', sa.Integer(), nullable=True),
    sa.Column('resubscribe_note', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['newsletter_id'], ['newsletters.id'], name=op.f('fk_newsletter_unsubscribes_newsletter_id_newsletters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resubscribed_by_id'], ['users.id'], name=op.f('fk_newsletter_unsubscribes_resubscribed_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_newsletter_unsubscribes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_unsubscribes')),
    sa.UniqueConstraint('tenant_id', 'email', name=op.f('uq_newsletter_unsubscribes_tenant_id'))
    )
    with op.batch_alter_table('newsletter_unsubscribes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_unsubscribes_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    op.drop_table('newsletter_unsubscribes')
    op.drop_table('newsletters')
    op.drop_table('newsletter_list_members')
    op.drop_table('newsletter_lists')
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_column('personalisation')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('completed_at')
        batch_op.drop_column('next_batch_at')
        batch_op.drop_column('batch_round')
        batch_op.drop_column('rate_per_minute')
        batch_op.drop_column('batch_size')
