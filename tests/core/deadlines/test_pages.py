"""The pages: the dossier's «Scadenze» tab (done, reopen, manual deadline, milestone), the act date of the move
form, the Order's list with filters and CSV, the rules and calendar settings; bad input and permissions."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from occ_core.clock import today
from occ_core.deadlines import preferences
from occ_core.deadlines.models import Deadline, DeadlineRule, Milestone
from occ_core.dossiers.models import Dossier, Transition
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login

from .conftest import add_dossier


@pytest.fixture
def as_role(testapp, order):
    def log_in(role):
        testapp.reset()
        login(testapp, f"{role}@torino.it")
    return log_in


@pytest.fixture
def dossier_id(dbtx, order):
    with dbtx(order) as db:
        return add_dossier(db, order, state="DECRETO_AMMISSIBILITA").id


def tab_of(dossier_id):
    return f"/torino/dossiers/{dossier_id}/deadlines"


def post(testapp, url, status=302, **fields):
    return testapp.post(url, {"csrf_token": csrf_token(testapp), **fields}, status=status)


def counts(dbtx, order):
    with dbtx(order) as db:
        return tuple(db.scalar(select(func.count(model.id))) for model in (Deadline, Milestone, Transition))


def manual(dbtx, order, dossier_id, label, due_on, who="occ"):
    from occ_core.deadlines import services

    class Env:  # what a service needs of a request: a session, nobody logged in
        def __init__(self, db):
            self.dbsession = db

    with dbtx(order) as db:
        return services.add_manual(Env(db), db.get(Dossier, dossier_id),
                                   {"label": label, "due_on": due_on.isoformat(), "who": who}).id


def test_the_act_date_of_a_move_starts_the_terms_shown_on_the_tab(testapp, dbtx, order, dossier_id, as_role):
    as_role("segreteria")
    post(testapp, f"/torino/dossiers/{dossier_id}/transition", to_state="COMUNICAZIONE_CREDITORI",
         from_state="DECRETO_AMMISSIBILITA", reason="", effective_on="2025-05-01")
    page = testapp.get(tab_of(dossier_id))
    tabs = [a.text for a in page.html.select("#dossier-tabs a")]
    assert tabs.index("Documenti") < tabs.index("Scadenze") < tabs.index("Storico")
    assert page.html.select_one("#dossier-tabs a.active").text == "Scadenze"
    rows = page.html.select("#deadlines tbody tr")
    assert [row.select("td")[0].text.strip() for row in rows] == ["21/05/2025", "03/06/2025"]
    assert "Osservazioni dei creditori" in rows[0].text and "Creditori" in rows[0].text
    steps = [li.text for li in rows[1].select("details li")]
    assert "02/06/2025 Festa della Repubblica: prorogato al 03/06/2025" in steps
    assert "Scaduta" in rows[1].select_one(".badge").text  # June 2025 is past
    with dbtx(order) as db:
        assert db.scalar(select(Transition.effective_on).where(Transition.to_state == "COMUNICAZIONE_CREDITORI")) \
            == date(2025, 5, 1)


@pytest.mark.parametrize("effective_on, message", [
    ("31/02/2025", "Data dell&#39;atto: la data «31/02/2025» non è valida"),
    ("domani", "non è valida"),
    ((date.today() + timedelta(days=3)).isoformat(), "non può essere successiva a oggi"),
])
def test_a_bad_act_date_refuses_the_move(testapp, dbtx, order, dossier_id, as_role, effective_on, message):
    as_role("segreteria")
    before = counts(dbtx, order)
    page = post(testapp, f"/torino/dossiers/{dossier_id}/transition", status=400, to_state="COMUNICAZIONE_CREDITORI",
                from_state="DECRETO_AMMISSIBILITA", effective_on=effective_on)
    assert message.replace("&#39;", "'") in page.html.select_one("#transition-refused").text
    assert page.html.select_one("#effective-on-COMUNICAZIONE_CREDITORI")["value"] == effective_on
    assert counts(dbtx, order) == before
    with dbtx(order) as db:
        assert db.get(Dossier, dossier_id).state == "DECRETO_AMMISSIBILITA"


def test_mark_done_with_a_note_and_reopen(testapp, dbtx, order, dossier_id, as_role):
    deadline_id = manual(dbtx, order, dossier_id, "Deposito memoria", today() + timedelta(days=2))
    as_role("referente")
    page = testapp.get(tab_of(dossier_id))
    assert page.html.select_one(f"#deadline-{deadline_id} .badge").text == "In scadenza"
    done = post(testapp, f"{tab_of(dossier_id)}/{deadline_id}/done", note="Depositata il giorno prima").follow()
    row = done.html.select_one(f"#deadline-{deadline_id}")
    assert row.select_one(".badge").text == "Fatta" and "Depositata il giorno prima" in row.text
    with dbtx(order) as db:
        assert db.get(Deadline, deadline_id).done_note == "Depositata il giorno prima"
    # Already done: refused with a message, nothing changes.
    again = post(testapp, f"{tab_of(dossier_id)}/{deadline_id}/done", status=400, note="altra")
    assert "già segnata come fatta" in again.html.select_one("#form-error").text
    reopened = post(testapp, f"{tab_of(dossier_id)}/{deadline_id}/reopen").follow()
    assert reopened.html.select_one(f"#deadline-{deadline_id} .badge").text == "In scadenza"
    with dbtx(order) as db:
        assert db.get(Deadline, deadline_id).done_at is None


def test_bad_input_on_the_tab_is_refused_and_nothing_is_written(testapp, dbtx, order, dossier_id, as_role):
    deadline_id = manual(dbtx, order, dossier_id, "Deposito memoria", today() + timedelta(days=20))
    as_role("segreteria")
    before = counts(dbtx, order)
    page = post(testapp, f"{tab_of(dossier_id)}/{deadline_id}/done", status=400, note="x" * 201)
    assert "Nota: al massimo 200 caratteri." in page.html.select_one("#form-error").text
    page = post(testapp, f"{tab_of(dossier_id)}/new", status=400, label="Memoria", due_on="32/13/2025", who="occ")
    assert "Data di scadenza" in page.html.select_one("#form-error").text
    assert page.html.select_one("#manual-label")["value"] == "Memoria"
    assert page.html.select_one("#manual-due-on")["aria-invalid"] == "true"
    page = post(testapp, f"/torino/dossiers/{dossier_id}/milestones", status=400, kind="NON_ESISTE", on="2025-01-01")
    assert "Atto: scelta non valida." in page.html.select_one("#form-error").text
    assert counts(dbtx, order) == before
    with dbtx(order) as db:
        assert db.get(Deadline, deadline_id).done_at is None
        other = add_dossier(db, order).id
    # A deadline looked up through another dossier of the URL does not exist.
    post(testapp, f"{tab_of(other)}/{deadline_id}/done", status=404)


def test_manual_deadline_and_milestone_from_the_tab(testapp, dbtx, order, dossier_id, as_role):
    as_role("segreteria")
    page = post(testapp, f"{tab_of(dossier_id)}/new", label="Termine fissato dal giudice", due_on="2026-09-15",
                who="gestore").follow()
    assert "Termine fissato dal giudice" in page.html.select_one("#deadlines").text
    page = post(testapp, f"/torino/dossiers/{dossier_id}/milestones", kind="NOTIFICA_UFFICI", on="2025-03-10",
                note="PEC").follow()
    assert "10/03/2025: Notifica all'agente della riscossione e agli uffici fiscali — PEC" in \
        page.html.select_one("#milestones").text
    assert "25/03/2025" in page.html.select_one("#deadlines").text  # D2: 15 days


def test_permissions(testapp, dbtx, order, dossier_id, as_role):
    deadline_id = manual(dbtx, order, dossier_id, "Deposito memoria", today() + timedelta(days=20))
    tab = tab_of(dossier_id)
    as_role("consultazione")
    page = testapp.get(tab)
    assert "Deposito memoria" in page.text and not page.html.select("form[action$=done], #manual-form")
    testapp.get("/torino/deadlines")
    post(testapp, f"{tab}/{deadline_id}/done", status=403)
    post(testapp, f"{tab}/new", status=403, label="x", due_on="2026-01-01", who="occ")
    post(testapp, f"/torino/dossiers/{dossier_id}/milestones", status=403, kind="NOTIFICA_UFFICI", on="2025-01-01")
    testapp.get("/torino/settings/deadlines", status=403)
    as_role("segreteria")
    testapp.get("/torino/settings/deadlines", status=403)
    as_role("gestore")
    testapp.get(tab, status=403)
    testapp.get("/torino/deadlines", status=403)
    with dbtx(order) as db:
        assert db.get(Deadline, deadline_id).done_at is None
    testapp.reset()
    for url in (tab, "/torino/deadlines", "/torino/deadlines/export.csv", "/torino/settings/deadlines"):
        assert "/login" in testapp.get(url, status=302).location


def test_the_order_s_list_filters_and_csv(testapp, dbtx, order, dossier_id, as_role):
    late = manual(dbtx, order, dossier_id, "Scaduta ieri", today() - timedelta(days=1))
    soon = manual(dbtx, order, dossier_id, "Fra tre giorni", today() + timedelta(days=3), who="gestore")
    with dbtx(order) as db:
        l3 = add_dossier(db, order, "piano_consumatore", filed_on=date(2021, 2, 1)).id
    later = manual(dbtx, order, l3, "Fra un mese", today() + timedelta(days=30), who="tribunale")
    as_role("consultazione")

    def shown(**query):
        page = testapp.get("/torino/deadlines", query)
        return [int(row["id"].split("-")[1]) for row in page.html.select("#deadlines tbody tr")]

    assert shown() == [late, soon, later]
    assert shown(status="scadute") == [late]
    assert shown(status="in_scadenza") == [soon]
    assert shown(who="tribunale") == [later]
    assert shown(procedure="piano_consumatore") == [later]
    refused = testapp.get("/torino/deadlines", {"status": "tutte?"}, status=400)
    assert "Stato: scelta non valida." in refused.html.select_one("#form-error").text
    testapp.get("/torino/deadlines/export.csv", {"who": "chiunque"}, status=400)
    csv = testapp.get("/torino/deadlines/export.csv", {"status": "in_scadenza"})
    assert csv.body.startswith("\ufeff".encode())
    lines = csv.body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Data;Tipo;Pratica;Debitore")
    assert len(lines) == 2 and "Fra tre giorni" in lines[1] and "Gestore" in lines[1]


def test_settings_calendar_preferences(testapp, dbtx, order, as_role):
    as_role("amministratore")
    page = testapp.get("/torino/settings/deadlines")
    assert len(page.html.select("#rules tbody tr")) == 21
    assert "San Giovanni Battista" in page.text  # the province's patron, shown as the default
    post(testapp, "/torino/settings/deadlines", patron_mode="personalizzato", patron_day="4", patron_month="11",
         patron_name="San Carlo", backward="anticipato", window_days="10")
    with dbtx() as db:
        saved = preferences.preferences_of(db.get(Tenant, order.id))
    assert (saved.patron_mode, saved.patron_day, saved.backward, saved.window_days) == (
        "personalizzato", 4, "anticipato", 10)
    for fields, message in (
            ({"patron_mode": "personalizzato", "patron_day": "31", "patron_month": "2", "patron_name": "X"},
             "giorno e un mese esistenti"),
            ({"patron_mode": "personalizzato", "patron_day": "4", "patron_month": "11", "patron_name": ""},
             "indicare il nome"),
            ({"patron_mode": "provincia", "window_days": "mille"}, "Giorni di preavviso"),
            # A digit to str.isdigit(), not to int().
            ({"patron_mode": "provincia", "window_days": "²"}, "Giorni di preavviso"),
            ({"patron_mode": "provincia", "window_days": "500"}, "da 0 a 90"),
            ({"patron_mode": "altro"}, "Santo patrono: scelta non valida"),
            ({"patron_mode": "provincia", "backward": "dopo"}, "Termini a ritroso")):
        page = post(testapp, "/torino/settings/deadlines", status=400,
                    **{"backward": "fermo", "window_days": "7", **fields})
        assert message in page.html.select_one("#form-error").text
    with dbtx() as db:
        assert preferences.preferences_of(db.get(Tenant, order.id)) == saved


def test_settings_rules_edit_add_restore(testapp, dbtx, order, as_role):
    as_role("amministratore")
    with dbtx(order) as db:
        d3 = db.scalar(select(DeadlineRule).where(DeadlineRule.code == "D3")).id
    edit = f"/torino/settings/deadlines/rules/{d3}"
    form = testapp.get(edit).forms["rule-form"]
    assert form["trigger"].value == "DECRETO_AMMISSIBILITA" and form["amount"].value == "30"
    for amount in ("abc", "³"):
        form["amount"] = amount
        page = form.submit(status=400)
        assert "Durata: indicare un numero intero" in page.html.select_one("#form-error").text
    form = page.forms["rule-form"]
    form["amount"] = "25"
    form["active"] = False
    form.submit(status=302)
    with dbtx(order) as db:
        rule = db.get(DeadlineRule, d3)
        assert (rule.amount, rule.active) == (25, False)
    post(testapp, f"{edit}/restore")
    with dbtx(order) as db:
        rule = db.get(DeadlineRule, d3)
        assert (rule.amount, rule.active) == (30, True)
    new = testapp.get("/torino/settings/deadlines/rules/new").forms["rule-form"]
    new["code"], new["label"], new["trigger_kind"], new["trigger"], new["amount"] = (
        "x1", "Memoria conclusiva", "scadenza", "D3", "5")
    new.submit(status=302)
    with dbtx(order) as db:
        added = db.scalar(select(DeadlineRule).where(DeadlineRule.code == "X1"))
        assert (added.trigger_kind, added.trigger, added.amount, added.builtin) == ("scadenza", "D3", 5, False)
    for fields, message in (({"code": "X1"}, "già una regola X1"), ({"code": "x y"}, "Codice"),
                            ({"code": "X2", "trigger": "NON_UNO_STATO"}, "Stato che fa decorrere"),
                            ({"code": "X2", "trigger_kind": "scadenza", "trigger": "D99"}, "un'altra regola"),
                            ({"code": "X2", "unit": "anni", "amount": "11"}, "da 1 a 10 anni"),
                            ({"code": "X2", "label": ""}, "Descrizione")):
        data = {"label": "Prova", "trigger_kind": "stato", "trigger": "DEPOSITATO", "amount": "5", "unit": "giorni",
                "direction": "avanti", "kind": "entro", "who": "occ", **fields}
        page = post(testapp, "/torino/settings/deadlines/rules/new", status=400, **data)
        assert message in page.html.select_one("#form-error").text
    with dbtx(order) as db:
        assert db.scalar(select(func.count(DeadlineRule.id))) == 22
    testapp.get("/torino/settings/deadlines/rules/999999", status=404)
