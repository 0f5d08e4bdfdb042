"""tenant config stamp

Revision ID: 332a9a23d023
Revises: 14e723362bc8
Create Date: 2026-11-26 08:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '332a9a23d023'
down_revision = '14e723362bc8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('config_stamp', sa.String(length=32), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('config_stamp')
