"""Domain events: collected during a transaction, delivered to ``occ_domain_event`` after it commits.

Nothing is announced for work that was rolled back, and a listener's failure cannot undo it."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    name: str  # e.g. "registrant.changed", "module.enabled"
    tenant_id: int
    subject_type: str = ""
    subject_id: str = ""
    data: dict = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def emit(transaction_manager, hooks, event: DomainEvent) -> None:
    """Queue ``event`` on the current transaction; ``hooks`` is the tenant's relay."""

    def deliver(committed):
        if not committed:
            return
        try:
            hooks.occ_domain_event(event=event)
        except Exception:  # the transaction is committed: log and go on
            log.exception("listener of %s failed", event.name)

    transaction_manager.get().addAfterCommitHook(deliver)
