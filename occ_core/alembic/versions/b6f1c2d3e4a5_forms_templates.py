"""modulistica: form templates and their versions

Revision ID: b6f1c2d3e4a5
Revises: a73ef7c33ed2
Create Date: 2026-11-26 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import shared_registry.db


revision = 'b6f1c2d3e4a5'
down_revision = 'a73ef7c33ed2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('active_number', sa.Integer(), nullable=True),
    sa.Column('created_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_form_templates_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_form_templates_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_templates')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_form_templates_tenant_id'))
    )
    op.create_index(op.f('ix_form_templates_tenant_id'), 'form_templates', ['tenant_id'], unique=False)
    op.create_table('form_template_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('converted_from', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('checked_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_at', shared_registry.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['form_templates.id'], name=op.f('fk_form_template_versions_template_id_form_templates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_form_template_versions_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_form_template_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_template_versions')),
    sa.UniqueConstraint('template_id', 'number', name=op.f('uq_form_template_versions_template_id'))
    )
    op.create_index(op.f('ix_form_template_versions_template_id'), 'form_template_versions', ['template_id'], unique=False)
    op.create_index(op.f('ix_form_template_versions_tenant_id'), 'form_template_versions', ['tenant_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_form_template_versions_tenant_id'), table_name='form_template_versions')
    op.drop_index(op.f('ix_form_template_versions_template_id'), table_name='form_template_versions')
    op.drop_table('form_template_versions')
    op.drop_index(op.f('ix_form_templates_tenant_id'), table_name='form_templates')
    op.drop_table('form_templates')
