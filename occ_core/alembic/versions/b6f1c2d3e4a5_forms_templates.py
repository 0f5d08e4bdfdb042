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
    pass


def downgrade():
    pass
