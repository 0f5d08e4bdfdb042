"""The demo Order's agenda: rooms and appointments that do not clash and respect the rooms."""
from itertools import combinations

from sqlalchemy import func, select

from occ_core.agenda.demo import EVENTS, load_demo_agenda
from occ_core.agenda.models import Event, Room
from occ_core.agenda.rooms import closed_reason


def test_demo_appointments_fit_their_rooms_and_never_clash(dbtx, case):
    with dbtx(case.tenant) as db:
        for room in db.scalars(select(Room)):
            db.delete(room)  # the demo adds its own rooms to an Order that has none
    with dbtx(case.tenant) as db:
        load_demo_agenda(db, db.merge(case.tenant))
    with dbtx(case.tenant) as db:
        rooms = {room.id: room for room in db.scalars(select(Room))}
        events = [e for e in db.scalars(select(Event)) if e.cancelled_at is None]
        assert len(rooms) == 3 and len(events) > EVENTS * 0.8
        kinds = {event.kind for event in events}
        assert kinds == {"incontro_debitore", "incontro_creditori", "udienza", "attivita_interna"}
        for event in events:
            if event.room_id is not None:
                room = rooms[event.room_id]
                assert closed_reason(room, event.starts_at, event.ends_at, False) is None
                assert len(event.participants) <= room.capacity
        for first, second in combinations(events, 2):
            if first.starts_at < second.ends_at and second.starts_at < first.ends_at:
                assert first.room_id is None or first.room_id != second.room_id
                assert first.gestore_id is None or first.gestore_id != second.gestore_id
        assert any(event.dossier_id == case.dossier_id and event.participants for event in events)
    with dbtx(case.tenant) as db:
        load_demo_agenda(db, db.merge(case.tenant))  # again: nothing added
        assert db.scalar(select(func.count(Event.id))) == EVENTS
