"""Alembic environment shared by every distribution's stream; ``config.attributes['stream']`` picks one."""
from alembic import context

from occ_core.migrate import table_filter

config = context.config
stream = config.attributes["stream"]
connection = config.attributes["connection"]


context.configure(
    connection=connection,
    target_metadata=stream["metadata"],
    version_table=f"alembic_version_{stream['name']}",
    include_object=table_filter(stream),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
