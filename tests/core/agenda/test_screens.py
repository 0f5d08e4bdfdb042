"""The agenda's pages: calendars, the appointment's form and page, the dossier's tab and summary, the alerts,
the settings of rooms and reminders, and who may do what."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from occ_core.agenda import reminders
from occ_core.agenda.models import Event, Room
from occ_core.clock import today
from occ_core.deadlines.models import Deadline
from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import registration
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login

from .conftest import count_events, form


def texts(page, element_id) -> str:
    return " ".join(page.html.find(id=element_id).get_text(" ").split())


@pytest.mark.parametrize("view, container", [("mese", "month-grid"), ("settimana", "day-list"),
                                             ("giorno", "day-list"), ("elenco", "event-list")])
def test_every_calendar_view_shows_the_appointments(testapp, case, fix, view, container):
    fix(title="Incontro Verdi")
    fix(title="Udienza Verdi", kind="udienza", room_id="", place="Tribunale di Milano", start_time="15:00",
        end_time="16:00", parties=[])
    login(testapp, "consultazione@milano.it")
    page = testapp.get("/milano/agenda", {"view": view, "date": "2025-07-14"})
    shown = texts(page, container)
    assert "Incontro Verdi" in shown and "Udienza Verdi" in shown
    assert page.html.find(id="calendar-views").find("a", attrs={"aria-current": "page"}).text == {
        "mese": "Mese", "settimana": "Settimana", "giorno": "Giorno", "elenco": "Elenco"}[view]
    assert page.html.find(id="new-event") is None  # consultation only looks


def test_month_navigation_and_filters(testapp, case, fix):
    fix(title="Nella sala")
    fix(title="In tribunale", room_id="", place="Tribunale", gestore_id=str(case.other_gestore_id), parties=[],
        users=[str(case.users["consultazione"])])
    login(testapp, "consultazione@milano.it")
    page = testapp.get("/milano/agenda", {"date": "2025-07-14"})
    assert page.html.find(id="period-title").text == "Luglio 2025"
    cell = texts(page, "day-2025-07-14")
    assert "10:00 Nella sala" in cell and "10:00 In tribunale" in cell
    assert page.html.find(id="day-2025-06-30") is not None  # the grid starts on Monday
    nav = {a.text.strip(): a["href"] for a in page.html.find(id="period-nav").find_all("a")}
    assert "date=2025-06-01" in nav["‹ Precedente"] and "date=2025-08-01" in nav["Successivo ›"]
    by_room = texts(testapp.get("/milano/agenda", {"date": "2025-07-14", "room": str(case.room_id)}), "month-grid")
    assert "Nella sala" in by_room and "In tribunale" not in by_room
    mine = texts(testapp.get("/milano/agenda", {"date": "2025-07-14", "mine": "1"}), "month-grid")
    assert "In tribunale" in mine and "Nella sala" not in mine
    by_gestore = texts(testapp.get("/milano/agenda", {"date": "2025-07-14", "gestore": str(case.gestore_id)}),
                       "month-grid")
    assert "Nella sala" in by_gestore and "In tribunale" not in by_gestore
    # Stale or hand-typed parameters are no error.
    for junk in ({"date": "2025-13-45"}, {"date": "0001-01-01"}, {"view": "anno"}, {"room": "x"}, {"kind": "<b>"},
                 {"gestore": "99999999999"}):
        testapp.get("/milano/agenda", junk, status=200)


def test_open_deadlines_show_on_the_calendar(testapp, dbtx, case):
    with dbtx(case.tenant) as db:
        db.add(Deadline(tenant_id=case.tenant.id, dossier_id=case.dossier_id, label="Deposito della relazione",
                        trigger_ref="manuale:1", trigger_on=today(), due_on=today() + timedelta(days=2)))
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/agenda", {"view": "elenco", "date": (today() + timedelta(days=2)).isoformat()})
    assert "Deposito della relazione" in texts(page, "deadline-list")
    page = testapp.get("/milano/agenda", {"date": (today() + timedelta(days=2)).isoformat(), "kind": "udienza"})
    assert "Deposito della relazione" not in page.text


def test_a_dossiers_calendar_has_only_its_appointments_and_deadlines(testapp, dbtx, case, tenant_env, fix):
    fix(title="Incontro Verdi")
    with tenant_env(case.tenant) as env:
        other = registration.open_dossier(env, {
            "procedure": "liquidazione_controllata", "debtor_category": "consumatore", "filed_on": "2025-03-11",
            "family": False, "court": "Tribunale di Milano", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Gialli", "first_name": "Luca",
                       "codice_fiscale": make_codice_fiscale("Gialli", "Luca", date(1975, 1, 2), False, "F205")}})
        env.dbsession.add_all([
            Deadline(tenant_id=case.tenant.id, dossier_id=case.dossier_id, label="Relazione Verdi",
                     trigger_ref="manuale:1", trigger_on=date(2025, 7, 1), due_on=date(2025, 7, 15)),
            Deadline(tenant_id=case.tenant.id, dossier_id=other.id, label="Inventario Gialli",
                     trigger_ref="manuale:1", trigger_on=date(2025, 7, 1), due_on=date(2025, 7, 16))])
        other_reference = other.reference
    fix(title="Incontro Gialli", dossier=other_reference, start_time="15:00", end_time="16:00", parties=[])
    login(testapp, "segreteria@milano.it")
    page = testapp.get(f"/milano/dossiers/{case.dossier_id}/agenda").click(linkid="dossier-calendar")
    page = testapp.get(page.request.path_qs + "&date=2025-07-14")
    assert case.reference in texts(page, "dossier-filter")
    month = texts(page, "month-grid")
    assert "Incontro Verdi" in month and "Relazione Verdi" in month
    assert "Gialli" not in month
    # The filter travels with the views and the navigation; a dossier of no one is ignored.
    week = testapp.get(f"/milano/agenda?view=settimana&date=2025-07-14&dossier={case.dossier_id}")
    assert "Incontro Verdi" in texts(week, "day-list") and "Gialli" not in texts(week, "day-list")
    assert f"dossier={case.dossier_id}" in week.html.find(id="period-nav").find("a")["href"]
    stale = testapp.get("/milano/agenda?date=2025-07-14&dossier=99999")
    assert stale.html.find(id="dossier-filter") is None and "Gialli" in texts(stale, "month-grid")


def test_fixing_an_appointment_from_the_dossier(testapp, dbtx, case):
    login(testapp, "segreteria@milano.it")
    tab = testapp.get(f"/milano/dossiers/{case.dossier_id}/agenda")
    assert tab.html.find(id="dossier-tabs").find("a", attrs={"aria-current": "page"}).text == "Agenda"
    page = tab.click(href="/agenda/events/new")
    new = page.forms["event-form"]
    # Pre-filled: the dossier, its appointed gestore, its debtor.
    assert new["dossier"].value == case.reference and new["gestore_id"].value == str(case.gestore_id)
    assert new["kind"].value == "incontro_debitore"
    assert [box.value for box in new.fields["parties"] if box.checked] == [case.debtor_key]
    new["start_day"], new["start_time"], new["end_time"] = "2025-07-14", "10:00", "11:00"
    new["room_id"] = str(case.room_id)
    page = new.submit(status=302).follow()
    assert "Appuntamento salvato." in page.text
    details = texts(page, "event-details")
    assert "dalle 10:00 alle 11:00 del 14/07/2025" in details and "Sala Verde" in details and "Neri Paolo" in details
    assert "Verdi Anna" in texts(page, "participants")
    tab = testapp.get(f"/milano/dossiers/{case.dossier_id}/agenda")
    assert "Incontro con il debitore" in texts(tab, "past")


def test_a_clash_is_refused_in_italian_and_the_form_keeps_what_was_typed(testapp, dbtx, case, fix):
    fix(title="Incontro Verdi")
    login(testapp, "segreteria@milano.it")
    data = {**form(case, title="Secondo incontro", description="Da non perdere"), "csrf_token": csrf_token(testapp)}
    page = testapp.post("/milano/agenda/events/new", data, status=400)
    assert texts(page, "conflict") == ("Appuntamento non salvato. La sala «Sala Verde» è già occupata dalle 10:00 "
                                       "alle 11:00 del 14/07/2025 per «Incontro Verdi».")
    assert page.forms["event-form"]["description"].value == "Da non perdere"
    page = testapp.post("/milano/agenda/events/new", {**data, "start_time": "domani", "online_url": "ftp://x"},
                        status=400)
    assert "Ora di inizio: «domani» non è un orario valido" in texts(page, "f-start_time-error")
    assert "inizi con https://" in texts(page, "f-online_url-error")
    assert count_events(dbtx, case) == 1


def test_the_type_must_be_chosen_and_a_skipped_hour_is_explained(testapp, dbtx, case):
    login(testapp, "segreteria@milano.it")
    new = testapp.get("/milano/agenda/events/new").forms["event-form"]
    assert new["kind"].value == "" and "Scelga il tipo" in texts(new.response, "f-kind")
    new["title"], new["start_day"], new["start_time"], new["end_time"] = "Riunione", "2027-03-28", "02:30", "04:00"
    page = new.submit(status=400)
    assert texts(page, "f-kind-error") == "Tipo di appuntamento: campo obbligatorio."
    assert texts(page, "f-start_time-error") == ("Ora di inizio: l'ora 02:30 non esiste il 28/03/2027, è il passaggio "
                                                 "all'ora legale (gli orologi saltano dalle 02:00 alle 03:00).")
    assert "f-end_time-error" not in page.text
    assert count_events(dbtx, case) == 0


def test_editing_and_cancelling_from_the_page(testapp, dbtx, case, fix):
    event_id = fix()
    login(testapp, "segreteria@milano.it")
    page = testapp.get(f"/milano/agenda/events/{event_id}")
    edit = page.click(href=f"/agenda/events/{event_id}/edit").forms["event-form"]
    assert edit["start_time"].value == "10:00" and edit["dossier"].value == case.reference
    edit["start_time"], edit["end_time"] = "11:00", "12:00"
    page = edit.submit(status=302).follow()
    assert "dalle 11:00 alle 12:00" in texts(page, "event-details")
    cancel = page.forms["cancel-form"]
    page = cancel.submit(status=400)
    assert "Motivo dell'annullamento: campo obbligatorio." in texts(page, "reason-error")
    cancel = page.forms["cancel-form"]
    cancel["reason"] = "Il gestore è impedito"
    page = cancel.submit(status=302).follow()
    assert "Il gestore è impedito" in texts(page, "cancelled")
    assert page.html.find(id="edit-link") is None and page.html.find(id="cancel-form") is None
    testapp.get(f"/milano/agenda/events/{event_id}/edit", status=404)
    with dbtx(case.tenant) as db:
        assert db.get(Event, event_id).sequence == 2


def test_two_editors_do_not_overwrite_each_other(testapp, dbtx, case, fix):
    event_id = fix()
    login(testapp, "segreteria@milano.it")
    url = f"/milano/agenda/events/{event_id}/edit"
    first, second = testapp.get(url).forms["event-form"], testapp.get(url).forms["event-form"]
    first["title"] = "Incontro spostato"
    first.submit(status=302)
    second["title"] = "Incontro con il legale"
    page = second.submit(status=400)
    assert "modificato da altri (ora è alla versione 2)" in texts(page, "conflict")
    assert page.forms["event-form"]["title"].value == "Incontro con il legale"  # what was typed is kept
    with dbtx(case.tenant) as db:
        assert (db.get(Event, event_id).title, db.get(Event, event_id).sequence) == ("Incontro spostato", 1)
    # Reopened on the current version, the change goes through.
    again = testapp.get(url).forms["event-form"]
    again["title"] = "Incontro con il legale"
    again.submit(status=302)


def test_the_summary_shows_the_next_appointments(testapp, case, fix):
    monday = today() + timedelta(days=7 - today().weekday())
    fix(title="Prossimo incontro", start_day=monday.isoformat())
    fix(title="Incontro passato")
    login(testapp, "consultazione@milano.it")
    section = texts(testapp.get(f"/milano/dossiers/{case.dossier_id}"), "next-appointments")
    assert "Prossimo incontro" in section and "Incontro passato" not in section
    assert "Fissa un appuntamento" not in section


def test_the_alerts_page_and_the_dashboard(testapp, dbtx, case, fix):
    now = today()
    fix(title="Oggi in tribunale", start_day=now.isoformat(), room_id="", place="Tribunale", start_time="00:00",
        end_time="23:59")
    with dbtx(case.tenant) as db:
        for label, days in (("Relazione in ritardo", -3), ("Relazione imminente", 2), ("Relazione lontana", 40)):
            db.add(Deadline(tenant_id=case.tenant.id, dossier_id=case.dossier_id, label=label,
                            trigger_ref=f"manuale:{days}", trigger_on=now - timedelta(days=60),
                            due_on=now + timedelta(days=days)))
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/agenda/alerts")
    assert "Oggi in tribunale" in texts(page, "today")
    assert "Relazione in ritardo" in texts(page, "overdue") and "3 giorni" in texts(page, "overdue")
    soon = texts(page, "due-soon")
    assert "Relazione imminente" in soon and "Relazione lontana" not in soon
    widget = texts(testapp.get("/milano/"), "agenda-widget")
    assert widget == "Appuntamenti di oggi: 1 Scadenze nei prossimi 7 giorni: 1 Scadenze superate: 1"
    # The gestore role sees neither the deadlines nor the appointments he takes no part in: they name debtors and
    # creditors of dossiers he may not see.
    own = fix(title="Con il gestore", start_day=now.isoformat(), room_id="", place="Studio", start_time="00:00",
              end_time="23:59", users=[str(case.users["gestore"])], parties=[], gestore_id="")
    other = fix(title="Altrui", start_day=now.isoformat(), room_id="", place="Studio", start_time="00:00",
                end_time="23:59", users=[], parties=[case.debtor_key], gestore_id="")
    testapp.reset()
    login(testapp, "gestore@milano.it")
    page = testapp.get("/milano/agenda/alerts")
    assert page.html.find(id="overdue") is None
    assert "Con il gestore" in texts(page, "today") and "Oggi in tribunale" not in texts(page, "today")
    assert texts(testapp.get("/milano/"), "agenda-widget") == "Appuntamenti di oggi: 1"
    calendar = testapp.get("/milano/agenda", {"view": "giorno", "date": now.isoformat()}).text
    assert "Con il gestore" in calendar and "Altrui" not in calendar and "Oggi in tribunale" not in calendar
    testapp.get(f"/milano/agenda/events/{own}", status=200)
    for url in (f"/milano/agenda/events/{other}", f"/milano/agenda/events/{other}.ics"):
        testapp.get(url, status=404)


def test_rooms_are_managed_in_the_settings(testapp, dbtx, case, fix):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/settings/rooms").click(href="/settings/rooms/new")
    room = page.forms["room-form"]
    room["name"], room["capacity"], room["location"] = "Sala Blu", "10", "Secondo piano"
    room["hours_6"] = "9-12:30"
    page = room.submit(status=302).follow()
    assert "Sala «Sala Blu» salvata." in page.text
    with dbtx(case.tenant) as db:
        blue = db.scalar(select(Room).where(Room.name == "Sala Blu"))
        assert blue.opening_hours["6"] == [["09:00", "12:30"]] and blue.opening_hours["1"] == [
            ["09:00", "13:00"], ["14:00", "18:00"]] and "7" not in blue.opening_hours
    edit = testapp.get(f"/milano/settings/rooms/{blue.id}").forms["room-form"]
    edit["name"], edit["hours_1"], edit["capacity"] = "sala verde", "14-18, 9-15", "zero"
    page = edit.submit(status=400)
    assert "esiste già una sala «sala verde»" in texts(page, "f-name-error")
    assert "le fasce orarie non devono sovrapporsi" in texts(page, "f-hours_1-error")
    assert "indicare un numero di posti tra 1 e 500" in texts(page, "f-capacity-error")
    for day in "1234567":
        edit[f"hours_{day}"] = ""
    edit["name"], edit["capacity"] = "Sala Blu", "10"
    page = edit.submit(status=400)
    assert "indicare almeno un giorno" in page.text
    fix()
    token = csrf_token(testapp)
    page = testapp.post(f"/milano/settings/rooms/{case.room_id}/delete", {"csrf_token": token}, status=400)
    assert "non si può eliminare" in texts(page, "problem")
    testapp.post(f"/milano/settings/rooms/{blue.id}/delete", {"csrf_token": token}, status=302)
    with dbtx(case.tenant) as db:
        assert sorted(db.scalars(select(Room.name))) == ["Sala Verde", "Saletta"]


def test_reminder_offsets_are_set_in_the_settings(testapp, dbtx, case):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/settings/reminders")
    assert "1 giorno prima" in texts(page, "current")  # the default
    settings = page.forms["reminders-form"]
    settings.fields["amount"][0].value, settings.fields["unit"][0].value = "2", "giorni"
    settings.fields["amount"][1].value, settings.fields["unit"][1].value = "3", "ore"
    page = settings.submit(status=302).follow()
    assert "2 giorni prima, 3 ore prima" in texts(page, "current")
    bad = page.forms["reminders-form"]
    bad.fields["amount"][0].value = "-1"
    page = bad.submit(status=400)
    assert "non è un numero intero" in texts(page, "form-error")
    with dbtx() as db:
        assert reminders.offsets_of(db.get(Tenant, case.tenant.id)) == [2880, 180]


@pytest.mark.parametrize("method, url", [
    ("get", "/milano/agenda/events/new"), ("post", "/milano/agenda/events/new"),
    ("get", "/milano/agenda/events/{id}/edit"), ("post", "/milano/agenda/events/{id}/cancel"),
    ("get", "/milano/settings/rooms"), ("post", "/milano/settings/rooms/new"),
    ("get", "/milano/settings/reminders"), ("post", "/milano/settings/rooms/{room}/delete"),
])
def test_who_may_change_the_agenda(testapp, dbtx, case, fix, method, url):
    event_id = fix()
    url = url.format(id=event_id, room=case.room_id)
    response = getattr(testapp, method)(url, status=302) if method == "get" else testapp.post(url, status=302)
    assert response.location.startswith("http://127.0.0.1:6543/login")
    login(testapp, "consultazione@milano.it")
    token = csrf_token(testapp)
    if method == "get":
        testapp.get(url, status=403)
    else:
        testapp.post(url, {**form(case), "csrf_token": token, "reason": "x"}, status=403)
    assert count_events(dbtx, case) == 1
    with dbtx(case.tenant) as db:
        assert db.get(Event, event_id).cancelled_at is None
        assert db.scalar(select(func.count(Room.id))) == 2


def test_the_agenda_needs_its_view_permission(testapp, case, fix):
    event_id = fix(users=[str(case.users["gestore"])])
    assert testapp.get("/milano/agenda", status=302).location.startswith("http://127.0.0.1:6543/login")
    testapp.get(f"/milano/agenda/events/{event_id}.ics", status=302)
    login(testapp, "gestore@milano.it")
    testapp.get("/milano/agenda", status=200)
    testapp.get(f"/milano/agenda/events/{event_id}", status=200)
    testapp.get("/milano/agenda/events/999", status=404)
    testapp.get("/milano/agenda/my-calendar", status=200)
