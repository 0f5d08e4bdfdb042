"""Migrations: one alembic stream and version table per distribution (core, registry, each module)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from occ_core.db import DATABASE_ONLY

ENV_DIR = Path(__file__).parent / "alembic"


def streams(pm) -> list[dict]:
    """Every installed distribution's stream: core first, then the registry, then modules by name."""
    found = []
    for result in pm.hook.occ_migrations():
        found.extend(result if isinstance(result, list) else [result])
    prefixes = tuple(s["table_prefix"] for s in found if s.get("table_prefix"))
    for stream in found:
        stream.setdefault("table_prefix", None)
        stream["foreign_prefixes"] = prefixes
    order = {"occ_core": 0, "shared_registry": 1}
    return sorted(found, key=lambda s: (order.get(s["name"], 2), s["name"]))


def table_filter(stream: dict):
    """alembic ``include_object`` limiting a stream to its own tables (by prefix; the core: the rest)."""
    prefix, foreign = stream["table_prefix"], tuple(stream["foreign_prefixes"])

    def include_object(obj, name, type_, reflected, compare_to):
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else (table.name if table is not None else "")
        if table_name.startswith("alembic_version"):
            return False
        mapped = stream["metadata"].tables.get(table_name)
        if mapped is not None and name in mapped.info.get(DATABASE_ONLY, ()):
            return False
        return table_name.startswith(prefix) if prefix else not table_name.startswith(foreign)

    return include_object


def drift(engine, pm) -> dict[str, list]:
    """Stream name -> differences between its models and the migrated database (empty when in step)."""
    from alembic.autogenerate import compare_metadata

    result = {}
    with engine.connect() as connection:
        for stream in streams(pm):
            context = MigrationContext.configure(connection, opts={
                "include_object": table_filter(stream), "compare_type": True,
                "version_table": f"alembic_version_{stream['name']}"})
            result[stream["name"]] = compare_metadata(context, stream["metadata"])
    return result


def _config(stream: dict, connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENV_DIR))
    config.set_main_option("version_locations", str(Path(stream["script_location"]) / "versions"))
    config.set_main_option("path_separator", "os")
    config.attributes["stream"] = stream
    config.attributes["connection"] = connection
    return config


def upgrade(engine, pm) -> list[str]:
    done = []
    for stream in streams(pm):
        with engine.begin() as connection:
            command.upgrade(_config(stream, connection), "head")
        done.append(stream["name"])
    return done


def current_heads(engine, pm) -> dict[str, tuple]:
    """Stream name -> (database revision, script head); equal when up to date."""
    result = {}
    with engine.connect() as connection:
        for stream in streams(pm):
            config = _config(stream, connection)
            head = ScriptDirectory.from_config(config).get_current_head()
            context = MigrationContext.configure(connection, opts={"version_table": f"alembic_version_{stream['name']}"})
            result[stream["name"]] = (context.get_current_revision(), head)
    return result


def revision(engine, pm, stream_name: str, message: str) -> None:
    """Autogenerate a revision of one stream (for developers)."""
    stream = next(s for s in streams(pm) if s["name"] == stream_name)
    Path(stream["script_location"], "versions").mkdir(parents=True, exist_ok=True)
    with engine.begin() as connection:
        command.revision(_config(stream, connection), message=message, autogenerate=True)
