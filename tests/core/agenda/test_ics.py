"""iCalendar: an appointment's .ics and the personal feeds, read back with the icalendar parser."""
import re
from datetime import date, timedelta

import pytest
import webtest
from icalendar import Calendar
from sqlalchemy import select

from occ_core.agenda import services
from occ_core.agenda.models import CalendarFeed, Event
from occ_core.clock import today
from occ_core.deadlines.models import Deadline
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user


def parse(response) -> Calendar:
    assert response.content_type == "text/calendar"
    calendar = Calendar.from_ical(response.body)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    return calendar


def next_monday() -> date:
    """A day in the feed's window on which the room is open."""
    return today() + timedelta(days=7 - today().weekday())


def vevents(calendar) -> dict:
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def test_the_ics_of_an_appointment(testapp, dbtx, case, fix):
    event_id = fix(online_url="https://meet.example.it/occ-7", description="Portare l'ISEE.")
    login(testapp, "consultazione@milano.it")
    response = testapp.get(f"/milano/agenda/events/{event_id}.ics")
    assert response.content_disposition == f'attachment; filename="appuntamento-{event_id}.ics"'
    [vevent] = parse(response).walk("VEVENT")
    with dbtx(case.tenant) as db:
        event = db.get(Event, event_id)
        assert str(vevent["UID"]) == event.uid
        assert vevent.decoded("DTSTART") == event.starts_at and vevent.decoded("DTEND") == event.ends_at
        assert vevent.decoded("DTSTAMP") == event.updated_at.replace(microsecond=0)
    assert vevent["DTSTART"].to_ical() == b"20250714T080000Z"
    assert int(vevent["SEQUENCE"]) == 0 and str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["SUMMARY"]) == "Incontro con il debitore"
    assert str(vevent["LOCATION"]) == "Sala Verde, Via Freguglia 1"
    assert str(vevent["URL"]) == "https://meet.example.it/occ-7"
    description = str(vevent["DESCRIPTION"])
    assert f"Pratica n. {case.reference}" in description and "Portare l'ISEE." in description
    attendees = {str(a): a.params["CN"] for a in vevent["ATTENDEE"]}
    assert attendees == {"mailto:anna.verdi@example.it": "Verdi Anna", "mailto:paolo.neri@studio.it": "Neri Paolo",
                         "mailto:segreteria@milano.it": "Utente segreteria"}


def test_a_cancelled_all_day_appointment(testapp, case, fix, tenant_env):
    event_id = fix(kind="attivita_interna", title="Chiusura estiva", all_day="1", end_day="2025-08-15",
                   start_day="2025-08-11", start_time="", end_time="", room_id="", gestore_id="", parties=[])
    with tenant_env(case.tenant) as env:
        services.cancel_event(env, env.dbsession.get(Event, event_id), "Uffici aperti")
    login(testapp, "segreteria@milano.it")
    [vevent] = parse(testapp.get(f"/milano/agenda/events/{event_id}.ics")).walk("VEVENT")
    assert vevent.decoded("DTSTART") == date(2025, 8, 11) and vevent.decoded("DTEND") == date(2025, 8, 16)
    assert vevent["DTSTART"].params.get("VALUE") == "DATE"
    assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 1
    assert "ANNULLATO: Uffici aperti" in str(vevent["DESCRIPTION"])


def feed_url(testapp, action="renew") -> str:
    page = testapp.post("/milano/agenda/my-calendar", {"csrf_token": csrf_token(testapp), "action": action},
                        status=302).follow()
    field = page.html.find(id="feed-url")
    return field["value"] if field is not None else ""


@pytest.fixture
def deadline(dbtx, case):
    with dbtx(case.tenant) as db:
        row = Deadline(tenant_id=case.tenant.id, dossier_id=case.dossier_id, label="Relazione del gestore",
                       trigger_ref="manuale:1", trigger_on=today(), due_on=today() + timedelta(days=10),
                       computation=["Termine di 10 giorni"])
        db.add(row)
        db.flush()
        return row.id


def test_the_secretariat_feed_has_every_appointment_and_the_open_deadlines(testapp, app, case, fix, deadline):
    soon = next_monday().isoformat()
    mine, other = fix(start_day=soon), fix(start_day=soon, users=[], title="Altro", room_id="", place="Tribunale",
                                           gestore_id="")
    login(testapp, "segreteria@milano.it")
    url = feed_url(testapp)
    assert url.startswith("http://127.0.0.1:6543/milano/agenda/feed/") and url.endswith(".ics")
    anonymous = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1:6543"})
    calendar = parse(anonymous.get(url))
    assert str(calendar["X-WR-CALNAME"]) == "Agenda - OCC Ordine milano"
    found = vevents(calendar)
    assert len(found) == 3
    [due] = [v for uid, v in found.items() if uid.startswith("scadenza-")]
    assert str(due["UID"]) == f"scadenza-{deadline}@milano.occ"
    assert due.decoded("DTSTART") == today() + timedelta(days=10)
    assert due.decoded("DTEND") == today() + timedelta(days=11)
    assert str(due["SUMMARY"]) == f"Scadenza: Relazione del gestore (pratica {case.reference})"
    assert str(due["TRANSP"]) == "TRANSPARENT"
    assert {str(v["SUMMARY"]) for v in found.values()} >= {"Incontro con il debitore", "Altro"}
    assert mine != other


def test_other_users_get_their_own_appointments(testapp, app, dbtx, case, fix):
    soon = next_monday().isoformat()
    fix(start_day=soon, users=[str(case.users["consultazione"])], title="Con la consultazione")
    fix(start_day=soon, start_time="15:00", end_time="16:00", users=[], title="Senza", gestore_id="")
    login(testapp, "consultazione@milano.it")
    url = feed_url(testapp)
    anonymous = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1:6543"})
    assert [str(v["SUMMARY"]) for v in vevents(parse(anonymous.get(url))).values()] == ["Con la consultazione"]


def test_a_revoked_renewed_or_forged_feed_is_not_found(testapp, app, dbtx, pm, case):
    login(testapp, "segreteria@milano.it")
    first = feed_url(testapp)
    anonymous = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1:6543"})
    anonymous.get(first, status=200)
    second = feed_url(testapp)  # a new address: the first stops working
    assert second != first
    anonymous.get(first, status=404)
    anonymous.get(second, status=200)
    assert feed_url(testapp, "revoke") == ""
    anonymous.get(second, status=404)
    third = feed_url(testapp)
    with dbtx(case.tenant) as db:
        assert [feed.revoked_at is None for feed in db.scalars(select(CalendarFeed).order_by(CalendarFeed.id))] == [
            False, False, True]
    token = re.search(r"/feed/(.+)\.ics$", third)[1]
    head, payload, signature = token.split(".")
    for bad in ("nonsense", f"{head}.{payload}.{signature[:-2]}xx", f"{head}.{payload}", "a" * 400):
        anonymous.get(f"/milano/agenda/feed/{bad}.ics", status=404)
    # The token names a row of «milano»: another Order's address with it leads nowhere.
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
        make_user(db, "segreteria@roma.it", roma, "segreteria")
    anonymous.get(f"/roma/agenda/feed/{token}.ics", status=404)
    # Someone who left the Order loses the feed with the access.
    from occ_core.accounts.models import Membership

    with dbtx(case.tenant) as db:
        db.scalar(select(Membership).where(Membership.user_id == case.users["segreteria"])).active = False
    anonymous.get(third, status=404)


def test_daylight_saving_is_right_in_the_feed(testapp, app, case, fix):
    # The last Sunday of October the clocks go back: 10:00 is 08:00 UTC on the Friday before, 09:00 on the Monday.
    year = today().year + 1
    sunday = max(date(year, 10, day) for day in range(25, 32) if date(year, 10, day).weekday() == 6)
    before, after = sunday - timedelta(days=2), sunday + timedelta(days=1)
    fix(start_day=before.isoformat(), room_id="", place="Tribunale")
    fix(start_day=after.isoformat(), room_id="", place="Tribunale")
    login(testapp, "segreteria@milano.it")
    anonymous = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1:6543"})
    starts = sorted(v["DTSTART"].to_ical() for v in parse(anonymous.get(feed_url(testapp))).walk("VEVENT"))
    assert starts == [f"{before:%Y%m%d}T080000Z".encode(), f"{after:%Y%m%d}T090000Z".encode()]
