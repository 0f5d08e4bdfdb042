"""stored search vectors of the dossier list (PostgreSQL)

The list's full-text filters tested ``to_tsvector(...)`` of every row they walked, computing it each time: on
100,000 dossiers a creditor's name shared by a third of them took 200 ms. Each searched table now keeps the
vector as a stored generated column with its GIN index, replacing the expression indexes. SQLite, which
searches with LIKE, is left as it is.

Revision ID: f1a2b3c4d5e6
Revises: d8b3e4f5a6c7
Create Date: 2026-11-27 00:10:00
"""
from alembic import op


revision = 'f1a2b3c4d5e6'
down_revision = 'd8b3e4f5a6c7'
branch_labels = None
depends_on = None

# table -> (stored column, the text it is the vector of, the expression index it replaces)
VECTORS = {
    "dossiers": ("search_words", "search_text", "ix_dossiers_search"),
    "dossier_debtors": ("name_words", "last_name || ' ' || first_name || ' ' || company_name",
                        "ix_dossier_debtors_search"),
    "dossier_creditors": ("name_words", "name", "ix_dossier_creditors_search"),
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (column, text, old_index) in VECTORS.items():
        op.execute(f"DROP INDEX {old_index}")
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} tsvector "
                   f"GENERATED ALWAYS AS (to_tsvector('simple', {text})) STORED")
        op.execute(f"CREATE INDEX ix_{table}_{column} ON {table} USING gin ({column})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (column, text, old_index) in VECTORS.items():
        op.execute(f"DROP INDEX ix_{table}_{column}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        op.execute(f"CREATE INDEX {old_index} ON {table} USING gin (to_tsvector('simple', {text}))")
