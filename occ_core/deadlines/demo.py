"""The demo Order's deadlines: the engine run over the demo dossiers' recorded transitions, then most of the past
ones marked done (some left overdue, as in real life), so that every status shows."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from occ_core.clock import ROME, today as rome_today
from occ_core.deadlines.engine import Engine
from occ_core.dossiers.models import Dossier, Transition

DONE_SHARE = 0.85


def _done_at(deadline, rng) -> datetime:
    day = deadline.due_on - timedelta(days=rng.randrange(0, 5))
    return datetime.combine(max(day, deadline.trigger_on), time(11), tzinfo=ROME).astimezone(timezone.utc)


def load_demo(db, tenant) -> int:
    """Deadlines for the open demo dossiers; safe to run again (the engine adds each deadline once)."""
    engine, today, rng = Engine(db, tenant), rome_today(), random.Random(1155)
    rows = db.execute(select(Dossier, Transition).join(Transition, Transition.dossier_id == Dossier.id)
                      .where(Dossier.tenant_id == tenant.id, Dossier.closed.is_(False))
                      .order_by(Dossier.id, Transition.id))
    created = []
    for dossier, transition in rows:
        on = transition.effective_on or transition.at.astimezone(ROME).date()
        created += engine.act(dossier, "stato", transition.to_state, on, f"transition:{transition.id}")
    pending = [deadline for deadline in created if deadline.kind == "entro"]
    while pending:
        deadline = pending.pop()
        if deadline.due_on < today and rng.random() < DONE_SHARE:
            deadline.done_at = _done_at(deadline, rng)
            following = engine.next_occurrence(deadline)
            if following is not None:
                pending.append(following)
    db.flush()
    return len(created)
