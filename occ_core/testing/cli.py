"""Running ``occ`` commands in tests, on the test application's registry and database."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import transaction

from occ_core.db import transactional_session


@dataclass
class CliEnvironment:
    """What ``occ`` hands its commands (``occ_core.cli.Environment``), on the test application's registry."""

    registry: object

    @contextmanager
    def session(self, tenant_id=None):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            yield transactional_session(self.registry["db.session_factory"], tm, tenant_id)
