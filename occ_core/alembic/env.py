"""Alembic environment shared by every distribution's stream; ``config.attributes['stream']`` picks one."""
from alembic import context

config = context.config
stream = config.attributes["stream"]
connection = config.attributes["connection"]
prefix = stream["table_prefix"]
foreign_prefixes = stream.get("foreign_prefixes", ())


def include_object(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else (table.name if table is not None else "")
    if table_name.startswith("alembic_version"):
        return False
    if prefix:
        return table_name.startswith(prefix)
    return not table_name.startswith(tuple(foreign_prefixes))


context.configure(
    connection=connection,
    target_metadata=stream["metadata"],
    version_table=f"alembic_version_{stream['name']}",
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
