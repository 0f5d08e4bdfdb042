"""Registration with the OCC platform (entry point ``occ.plugins``); pluggy only, no platform import."""
from pathlib import Path

import pluggy

hookimpl = pluggy.HookimplMarker("occ")


@hookimpl
def occ_migrations():
    from shared_registry.db import RegistryBase
    from shared_registry import models  # noqa: F401  (tables on the metadata)

    return {
        "name": "shared_registry",
        "script_location": str(Path(__file__).parent / "migrations"),
        "metadata": RegistryBase.metadata,
        "table_prefix": "registry_",
    }
