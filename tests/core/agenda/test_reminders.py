"""Reminders by e-mail at the Order's offsets: once per participant, offset and version of the appointment."""
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from occ_core.agenda import reminders, services
from occ_core.agenda.models import Event, ReminderSent
from occ_core.agenda.tasks import send_reminders
from occ_core.clock import ROME
from occ_core.db import utcnow
from occ_core.dispatch.models import Delivery, OutboxMessage
from occ_core.errors import UserError
from occ_core.tenants.models import Tenant


def set_offsets(dbtx, case, offsets):
    with dbtx() as db:
        reminders.save_offsets(db.get(Tenant, case.tenant.id), offsets)


def start_of(dbtx, case, event_id):
    with dbtx(case.tenant) as db:
        return db.get(Event, event_id).starts_at


def run(tenant_env, case, now) -> int:
    with tenant_env(case.tenant) as env:
        return reminders.send_reminders(env, now=now)


def outbox(dbtx, case) -> list[tuple[str, str, str]]:
    with dbtx(case.tenant) as db:
        return sorted(db.execute(select(Delivery.address, OutboxMessage.subject, OutboxMessage.purpose)
                                 .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)).tuples())


GUESTS = "Carla Bassi, carla.bassi@example.it"


def test_each_participant_with_an_address_is_reminded_once(dbtx, case, fix, tenant_env):
    set_offsets(dbtx, case, [1440, 120])
    event_id = fix(online_url="https://meet.example.it/occ-1", guests=GUESTS)
    start = start_of(dbtx, case, event_id)
    assert run(tenant_env, case, start - timedelta(days=2)) == 0  # too early
    # The user of the Order, the gestore, the debtor, the guest.
    assert run(tenant_env, case, start - timedelta(hours=23)) == 4
    assert run(tenant_env, case, start - timedelta(hours=22)) == 0  # already sent: nothing twice
    sent = outbox(dbtx, case)
    assert [row[0] for row in sent] == ["anna.verdi@example.it", "carla.bassi@example.it", "paolo.neri@studio.it",
                                        "segreteria@milano.it"]
    assert {row[1] for row in sent} == {"Promemoria: Incontro con il debitore - 14/07/2025 10:00"}
    # Two hours before, the second offset.
    assert run(tenant_env, case, start - timedelta(minutes=90)) == 4
    with dbtx(case.tenant) as db:
        rows = db.execute(select(ReminderSent.offset_minutes, func.count()).group_by(ReminderSent.offset_minutes)
                          .order_by(ReminderSent.offset_minutes)).all()
        body = db.scalar(select(OutboxMessage.body_text).limit(1))
    assert [tuple(row) for row in rows] == [(120, 4), (1440, 4)]
    assert "Quando: lunedì 14/07/2025, dalle 10:00 alle 11:00 (ora italiana)" in body
    assert "Dove: Sala Verde, Via Freguglia 1" in body
    assert "Collegamento per la riunione online: https://meet.example.it/occ-1" in body
    assert f"Pratica: n. {case.reference}" in body


def test_only_the_closest_missed_offset_is_sent(dbtx, case, fix, tenant_env):
    set_offsets(dbtx, case, [1440, 120])
    start = start_of(dbtx, case, fix())
    assert run(tenant_env, case, start - timedelta(hours=1)) == 3
    with dbtx(case.tenant) as db:
        assert set(db.scalars(select(ReminderSent.offset_minutes))) == {120}


def test_a_moved_appointment_is_reminded_again(dbtx, case, fix, tenant_env):
    set_offsets(dbtx, case, [1440])
    event_id = fix()
    start = start_of(dbtx, case, event_id)
    assert run(tenant_env, case, start - timedelta(hours=20)) == 3
    fix(event_id, start_day="2025-07-15")
    assert run(tenant_env, case, start - timedelta(hours=19)) == 0  # the new day is still far
    new_start = start_of(dbtx, case, event_id)
    assert run(tenant_env, case, new_start - timedelta(hours=20)) == 3
    with dbtx(case.tenant) as db:
        assert sorted(db.scalars(select(ReminderSent.event_sequence))) == [0, 0, 0, 1, 1, 1]
        assert db.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.body_text.contains("(aggiornato)"))) == 3


def test_cancelled_and_past_appointments_get_no_reminder(dbtx, case, fix, tenant_env):
    set_offsets(dbtx, case, [1440])
    cancelled = fix()
    with tenant_env(case.tenant) as env:
        services.cancel_event(env, env.dbsession.get(Event, cancelled), "Rinviato")
    later = fix(start_day="2025-07-16")
    assert run(tenant_env, case, start_of(dbtx, case, cancelled) - timedelta(hours=1)) == 0
    assert run(tenant_env, case, start_of(dbtx, case, later) + timedelta(minutes=1)) == 0  # started already
    assert outbox(dbtx, case) == []


def test_an_order_without_offsets_sends_nothing(dbtx, case, fix, tenant_env):
    set_offsets(dbtx, case, [])
    start = start_of(dbtx, case, fix())
    assert run(tenant_env, case, start - timedelta(minutes=30)) == 0


def test_the_periodic_task_sends_the_mail_with_the_ics(dbtx, case, fix, smtp_server):
    """Through Celery (eager in the tests) and the outbox, to a real SMTP server."""
    set_offsets(dbtx, case, [120])
    soon = (utcnow() + timedelta(hours=1)).astimezone(ROME)
    event_id = fix(room_id="", place="Tribunale di Milano", parties=[], users=[],
                   start_day=soon.date().isoformat(), start_time=soon.strftime("%H:%M"),
                   end_day=(soon + timedelta(hours=1)).date().isoformat(),
                   end_time=(soon + timedelta(hours=1)).strftime("%H:%M"))
    send_reminders.delay(case.tenant.id)
    send_reminders.delay(case.tenant.id)  # a second run, or a retry, sends nothing twice
    assert len(smtp_server.messages) == 1
    mail = message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    assert mail["To"] == "Neri Paolo <paolo.neri@studio.it>"
    assert mail["Subject"].startswith("Promemoria: Incontro con il debitore - ")
    [attachment] = [part for part in mail.iter_attachments()]
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "appuntamento.ics"
    vevent = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
        assert str(vevent["UID"]) == event.uid
        assert vevent.decoded("DTSTART") == event.starts_at
        assert str(vevent["LOCATION"]) == "Tribunale di Milano"


@pytest.mark.parametrize("amounts, units, message", [
    (["0"], ["ore"], "tra 5 minuti e 30 giorni"),
    (["31"], ["giorni"], "tra 5 minuti e 30 giorni"),
    (["due"], ["ore"], "non è un numero intero"),
    (["1"], ["settimane"], "non è un numero intero"),
    (["1", "2", "3", "4", "5", "6"], ["ore"] * 6, "al massimo 5"),
])
def test_bad_offsets_are_refused(amounts, units, message):
    with pytest.raises(UserError, match=message):
        reminders.parse_offsets(amounts, units)


def test_offsets_are_read_and_described():
    assert reminders.parse_offsets(["1", "", "2", "90"], ["giorni", "ore", "ore", "minuti"]) == [1440, 120, 90]
    assert [reminders.describe_offset(m) for m in (1440, 2880, 60, 120, 90, 1)] == [
        "1 giorno prima", "2 giorni prima", "1 ora prima", "2 ore prima", "90 minuti prima", "1 minuto prima"]
