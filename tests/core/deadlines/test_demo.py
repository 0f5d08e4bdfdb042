"""The demo deadlines: the engine run over the recorded transitions of the open dossiers, past ones mostly done."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from occ_core.clock import today
from occ_core.deadlines.demo import load_demo
from occ_core.deadlines.models import Deadline
from occ_core.dossiers.models import Transition

from .conftest import add_dossier, deadlines_of


def record_path(db, dossier, *steps):
    previous = ""
    for state, on in steps:
        db.add(Transition(tenant_id=dossier.tenant_id, dossier_id=dossier.id, from_state=previous, to_state=state,
                          at=datetime.combine(on, datetime.min.time(), tzinfo=timezone.utc)))
        previous = state
    db.flush()


def test_demo_deadlines_from_the_transitions(order, dbtx):
    recent = today() - timedelta(days=2)
    with dbtx(order) as db:
        running = add_dossier(db, order, state="COMUNICAZIONE_CREDITORI")
        record_path(db, running, ("DEPOSITATO", date(2024, 1, 10)), ("DECRETO_AMMISSIBILITA", date(2024, 2, 1)),
                    ("COMUNICAZIONE_CREDITORI", recent))
        closed = add_dossier(db, order, state="INAMMISSIBILE", closed=True)
        record_path(db, closed, ("DEPOSITATO", date(2024, 1, 10)), ("INAMMISSIBILE", date(2024, 3, 1)))
        assert load_demo(db, order) == 3
        found = deadlines_of(db, running)
        assert found["D3"][0].due_on == date(2024, 3, 4)  # Saturday 2 March 2024 -> Monday 4
        assert found["D4"][0].trigger_on == recent and found["D4"][0].done_at is None
        assert found["D5"][0].done_at is None
        assert deadlines_of(db, closed) == {}
        for deadline in db.scalars(select(Deadline).where(Deadline.done_at.is_not(None))):
            assert deadline.due_on < today() and deadline.done_at.date() <= deadline.due_on
    with dbtx(order) as db:
        assert load_demo(db, order) == 0
