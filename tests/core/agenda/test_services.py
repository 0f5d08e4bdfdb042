"""Fixing, moving and cancelling appointments: conflicts, Italian time, participants, the dossier's acts."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from occ_core.agenda import services
from occ_core.agenda.models import Event, Participant
from occ_core.audit.models import AuditEntry
from occ_core.dossiers.fields import InvalidData

from .conftest import count_events


def refusal(fix, **changes) -> str:
    with pytest.raises(services.Conflict) as refused:
        fix(**changes)
    return refused.value.message


def test_a_meeting_is_stored_in_utc_with_its_participants(dbtx, case, fix):
    event_id = fix(users=[str(case.users["segreteria"])], parties=[case.debtor_key, case.creditor_key],
                   guests="Carla Bassi, carla.bassi@example.it\nAvv. Luca Neri <LUCA@Studio-Neri.it>")
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
        assert event.starts_at == datetime(2025, 7, 14, 8, 0, tzinfo=timezone.utc)  # 10:00 in Rome, summer time
        assert event.ends_at == datetime(2025, 7, 14, 9, 0, tzinfo=timezone.utc)
        assert (event.sequence, event.dossier_id, event.room_id, event.gestore_id) == (
            0, case.dossier_id, case.room_id, case.gestore_id)
        assert event.uid.endswith("@occ")
        people = {(p.kind, p.name, p.email) for p in event.participants}
    assert people == {("utente", "Utente segreteria", "segreteria@milano.it"), ("debitore", "Verdi Anna", "anna.verdi@example.it"),
                      ("creditore", "Banca Lombarda S.p.A.", "legale@pec.bancalombarda.it"),
                      ("gestore", "Neri Paolo", "paolo.neri@studio.it"),
                      ("ospite", "Carla Bassi", "carla.bassi@example.it"),
                      ("ospite", "Avv. Luca Neri", "luca@studio-neri.it")}


@pytest.mark.parametrize("day, start, utc_hour", [
    ("2025-03-29", "10:00", 9),   # Saturday before the change: winter time (UTC+1)
    ("2025-03-31", "10:00", 8),   # Monday after it: summer time (UTC+2)
    ("2025-10-27", "10:00", 9),   # Monday after the return to winter time
])
def test_times_are_typed_on_the_italian_clock_across_daylight_saving(dbtx, case, fix, day, start, utc_hour):
    event_id = fix(start_day=day, start_time=start, end_time="11:30", room_id="", place="Tribunale di Milano")
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
    on = date.fromisoformat(day)
    assert event.starts_at == datetime(on.year, on.month, on.day, utc_hour, tzinfo=timezone.utc)
    assert (event.ends_at - event.starts_at).total_seconds() == 90 * 60


def test_opening_hours_are_read_on_the_italian_clock(case, fix):
    # 9:00 in Rome is 7:00 UTC in summer: the room opens at 9:00 Italian time, so it fits.
    fix(start_day="2025-03-31", start_time="9:00", end_time="10:00")
    assert "fuori dall'orario di apertura" in refusal(fix, start_day="2025-03-31", start_time="8:30", end_time="9:30")


def test_all_day_appointments_run_from_italian_midnight_to_midnight(dbtx, case, fix):
    event_id = fix(kind="attivita_interna", title="Formazione", all_day="1", start_time="", end_time="",
                   end_day="2025-07-15", room_id="", gestore_id="", parties=[])
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
    assert event.all_day
    assert event.starts_at == datetime(2025, 7, 13, 22, tzinfo=timezone.utc)
    assert event.ends_at == datetime(2025, 7, 15, 22, tzinfo=timezone.utc)
    assert services.describe_when(event) == "dal 14/07/2025 al 15/07/2025, tutto il giorno"


def test_the_same_room_cannot_be_booked_twice(dbtx, case, fix):
    fix(title="Incontro Verdi")
    message = refusal(fix, title="Altro incontro", start_time="10:30", end_time="11:30", gestore_id="")
    assert message == ("La sala «Sala Verde» è già occupata dalle 10:00 alle 11:00 del 14/07/2025 "
                       "per «Incontro Verdi».")
    assert count_events(dbtx, case) == 1


def test_back_to_back_appointments_are_allowed(dbtx, case, fix):
    fix(title="Prima")
    fix(title="Seconda", start_time="11:00", end_time="12:00")
    fix(title="Prima ancora", start_time="9:00", end_time="10:00")
    assert count_events(dbtx, case) == 3


def test_a_gestore_cannot_be_in_two_places(dbtx, case, fix):
    fix(title="Incontro Verdi")
    message = refusal(fix, title="Udienza Rossi", room_id="", place="Tribunale di Monza", start_time="10:45",
                      end_time="12:00", parties=[])
    assert message == ("Il gestore Neri Paolo ha già un impegno dalle 10:00 alle 11:00 del 14/07/2025: "
                       "«Incontro Verdi».")
    # Another gestore at the same time, elsewhere, is fine.
    fix(title="Udienza Rossi", room_id="", place="Tribunale di Monza", gestore_id=str(case.other_gestore_id))
    assert count_events(dbtx, case) == 2


def test_outside_opening_hours_and_closed_days_are_refused(dbtx, case, fix):
    assert refusal(fix, start_time="12:30", end_time="14:00") == (
        "La sala «Sala Verde» il lunedì è aperta 09:00-13:00, 14:00-18:00: l'appuntamento dalle 12:30 alle 14:00 "
        "è fuori dall'orario di apertura.")
    assert refusal(fix, start_day="2025-07-19") == "La sala «Sala Verde» è chiusa il sabato."
    assert refusal(fix, start_day="2025-07-20") == "La sala «Sala Verde» è chiusa la domenica."
    assert "chiusa il martedì" in refusal(fix, room_id=str(case.small_room_id), start_day="2025-07-15", parties=[])
    assert count_events(dbtx, case) == 0


def test_more_participants_than_seats_are_refused(dbtx, case, fix):
    message = refusal(fix, room_id=str(case.small_room_id), start_time="10:00", end_time="11:00")
    # The user of the Order, the debtor and the gestore: three people, two seats.
    assert message.startswith("La sala «Saletta» ha 2 posti: i partecipanti indicati sono 3.")
    fix(room_id=str(case.small_room_id), users=[])
    assert count_events(dbtx, case) == 1


def test_cancelled_appointments_free_their_slot(dbtx, case, fix, tenant_env):
    first = fix(title="Incontro annullato")
    with tenant_env(case.tenant) as env:
        services.cancel_event(env, env.dbsession.get(Event, first), "Il debitore è malato")
    fix(title="Nuovo incontro")
    with dbtx(case.tenant) as db:
        cancelled = db.get(Event, first)
        assert (cancelled.sequence, cancelled.cancelled_reason) == (1, "Il debitore è malato")
    with tenant_env(case.tenant) as env, pytest.raises(services.UserError, match="già annullato"):
        services.cancel_event(env, env.dbsession.get(Event, first), "Di nuovo")


def test_a_cancellation_needs_a_reason(case, fix, tenant_env, dbtx):
    event_id = fix()
    for reason, message in (("  ", "campo obbligatorio"), ("x" * 201, "al massimo 200 caratteri")):
        with tenant_env(case.tenant) as env, pytest.raises(services.UserError, match=message):
            services.cancel_event(env, env.dbsession.get(Event, event_id), reason)
    with dbtx(case.tenant) as db:
        assert db.get(Event, event_id).cancelled_at is None


def test_changes_raise_the_sequence_and_keep_the_participants_who_stay(dbtx, case, fix):
    event_id = fix()
    with dbtx(case.tenant) as db:
        kept = {p.kind: p.id for p in db.scalars(select(Participant).where(Participant.event_id == event_id))}
    # Moving it over itself is no conflict.
    fix(event_id, start_time="10:30", end_time="11:30", parties=[case.debtor_key, case.creditor_key], users=[])
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
        now = {p.kind: p.id for p in event.participants}
        assert event.sequence == 1
    assert now["debitore"] == kept["debitore"] and now["gestore"] == kept["gestore"]
    assert "utente" not in now and "creditore" in now


def test_the_dossier_hears_of_every_dated_act(case, fix, tenant_env, acts):
    event_id = fix(kind="udienza", title="Udienza", room_id="", place="Tribunale di Milano, aula 3", parties=[])
    fix(event_id, kind="udienza", title="Udienza", room_id="", place="Tribunale di Milano, aula 3", parties=[],
        start_day="2025-07-21")
    with tenant_env(case.tenant) as env:
        services.cancel_event(env, env.dbsession.get(Event, event_id), "Rinvio d'ufficio")
    ref = f"event:{event_id}"
    assert acts == [(case.dossier_id, "evento", "udienza", date(2025, 7, 14), ref),
                    (case.dossier_id, "evento", "udienza", date(2025, 7, 21), ref),
                    (case.dossier_id, "evento", "udienza", None, ref)]
    acts.clear()
    fix(event_id=None, kind="attivita_interna", dossier="", room_id="", gestore_id="", parties=[])
    assert acts == []


def test_moving_an_appointment_to_another_dossier_withdraws_it_from_the_first(dbtx, case, fix, tenant_env, acts):
    event_id = fix(kind="udienza", room_id="", place="Tribunale", parties=[])
    fix(event_id, kind="udienza", room_id="", place="Tribunale", parties=[], dossier="")
    assert acts[-1] == (case.dossier_id, "evento", "udienza", None, f"event:{event_id}")


def test_a_hearing_that_becomes_another_kind_withdraws_its_acts(case, fix, acts):
    event_id = fix(kind="udienza", room_id="", place="Tribunale", parties=[])
    fix(event_id, kind="altro", room_id="", place="Tribunale", parties=[])
    ref = f"event:{event_id}"
    assert acts[-2:] == [(case.dossier_id, "evento", "udienza", None, ref),
                         (case.dossier_id, "evento", "altro", date(2025, 7, 14), ref)]


@pytest.mark.parametrize("changes, field, message", [
    ({"kind": "festa"}, "kind", "Tipo di appuntamento: scegliere una delle voci proposte."),
    ({"kind": ""}, "kind", "Tipo di appuntamento: campo obbligatorio."),
    ({"start_day": "2027-03-28", "start_time": "02:30", "end_time": "03:30"}, "start_time",
     "Ora di inizio: l'ora 02:30 non esiste il 28/03/2027, è il passaggio all'ora legale"),
    ({"start_day": "2027-03-28", "start_time": "01:30", "end_time": "02:00"}, "end_time",
     "Ora di fine: l'ora 02:00 non esiste il 28/03/2027, è il passaggio all'ora legale"),
    ({"title": " "}, "title", "Titolo: campo obbligatorio."),
    ({"start_day": "31/02/2025"}, "start_day", "Data: la data «31/02/2025» non è valida"),
    ({"start_time": "25:00"}, "start_time", "Ora di inizio: «25:00» non è un orario valido"),
    ({"end_time": ""}, "end_time", "Ora di fine: campo obbligatorio"),
    ({"end_time": "09:00"}, "end_time", "Ora di fine: deve seguire l'inizio."),
    ({"end_day": "2025-07-01"}, "end_day", "non può precedere la data d'inizio"),
    ({"end_day": "2025-09-01"}, "end_day", "al massimo 31 giorni"),
    ({"dossier": "999/2025"}, "dossier", "Pratica: nessuna pratica ha il numero «999/2025»"),
    ({"room_id": "999"}, "room_id", "Sala dell'OCC: scegliere una delle voci proposte."),
    ({"room_id": "x1"}, "room_id", "Sala dell'OCC: scegliere una delle voci proposte."),
    ({"place": "Tribunale"}, "place", "non entrambi"),
    ({"gestore_id": "4242"}, "gestore_id", "Gestore: scegliere una delle voci proposte."),
    ({"online_url": "javascript:alert(1)"}, "online_url", "inizi con https://"),
    ({"online_url": "https://"}, "online_url", "inizi con https://"),
    ({"online_url": "http://[::1"}, "online_url", "inizi con https://"),
    ({"users": ["99999"]}, "users", "Utenti dell'Ordine: scegliere tra gli utenti proposti."),
    ({"parties": ["creditore:99999"]}, "parties", "Parti della pratica"),
    ({"guests": "Mario Rossi senza indirizzo"}, "guests", "indicare nome e indirizzo email"),
    ({"guests": "mario@example.it"}, "guests", "indicare nome e indirizzo email"),
])
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(dbtx, case, fix, changes, field, message):
    with dbtx(case.tenant) as db:
        audit_before = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    with pytest.raises(InvalidData) as refused:
        fix(**changes)
    assert message in refused.value.errors[field]
    assert count_events(dbtx, case) == 0
    with dbtx(case.tenant) as db:
        assert db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == audit_before


def test_every_change_is_audited(dbtx, case, fix, tenant_env):
    event_id = fix()
    fix(event_id, start_time="11:00", end_time="12:00")
    with tenant_env(case.tenant) as env:
        services.cancel_event(env, env.dbsession.get(Event, event_id), "Rinvio")
    with dbtx(case.tenant) as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Event")
                             .order_by(AuditEntry.id)).all()
    assert actions == ["agenda.event.created", "agenda.event.changed", "agenda.event.cancelled"]


def test_a_time_the_autumn_change_repeats_is_its_first_occurrence(dbtx, case, fix):
    # 26/10/2025: the clocks go back at 03:00 to 02:00, so 02:30 happens twice; the first is on summer time.
    event_id = fix(start_day="2025-10-26", start_time="02:30", end_time="03:30", room_id="", place="Tribunale")
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
        assert event.starts_at == datetime(2025, 10, 26, 0, 30, tzinfo=timezone.utc)
        assert event.ends_at == datetime(2025, 10, 26, 2, 30, tzinfo=timezone.utc)  # two hours really pass
