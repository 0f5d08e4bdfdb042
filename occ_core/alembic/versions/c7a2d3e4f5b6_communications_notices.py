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


def upgrade():
    pass


def downgrade():
    pass
