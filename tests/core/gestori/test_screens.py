"""Screens of the list of gestori: list, filters and CSV, enrolment, status, training, declared ties,
criteria of appointment and the distribution report; bad input and permissions."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.gestori.models import AppointmentLogEntry, Gestore, GestoreLink, GestoreTraining
from occ_core.gestori.policy import PREFERENCE
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login, make_registrant


@pytest.fixture
def roster(dbtx, order, make_gestore):
    """Two gestori: Alberti in regola in Milano (liquidazione), Bruni late with training, in Monza."""
    with dbtx(order.tenant) as db:
        alberti = make_gestore(db, order.tenant, "Alberti", "Anna", specialisations=["liquidazione_controllata"])
        bruni = make_gestore(db, order.tenant, "Bruni", "Bruno", enrolled_on=date(2022, 1, 10), circondario="Monza",
                             trainings=[(date(2023, 5, 1), "40"), (date(2025, 5, 1), "30")])
        return alberti.id, bruni.id


def names_in(page) -> list[str]:
    return [row.th.a.text for row in page.html.find(id="gestori").tbody.find_all("tr")]


def test_list_with_filters_and_training_status(testapp, order, roster):
    login(testapp, order.emails["segreteria"])
    page = testapp.get("/milano/")
    assert page.html.find("a", string="Gestori")["href"].endswith("/milano/gestori")
    page = testapp.get("/milano/gestori")
    assert names_in(page) == ["Alberti Anna", "Bruni Bruno"]
    assert "Non in regola" in page.html.find(id="gestori").text
    assert names_in(testapp.get("/milano/gestori", {"regola": "no"})) == ["Bruni Bruno"]
    assert names_in(testapp.get("/milano/gestori", {"regola": "si"})) == ["Alberti Anna"]
    assert names_in(testapp.get("/milano/gestori", {"circondario": "Monza"})) == ["Bruni Bruno"]
    assert names_in(testapp.get("/milano/gestori", {"specialisation": "liquidazione_controllata"})) == ["Alberti Anna"]
    assert names_in(testapp.get("/milano/gestori", {"q": "bruni"})) == ["Bruni Bruno"]
    # Unknown filter values are ignored, never an error.
    assert names_in(testapp.get("/milano/gestori", {"status": "nonesiste", "regola": "forse"})) == \
        ["Alberti Anna", "Bruni Bruno"]


def test_csv_export_follows_the_filters(testapp, order, roster):
    login(testapp, order.emails["consultazione"])
    response = testapp.get("/milano/gestori/export.csv", {"regola": "no"})
    assert response.content_type == "text/csv"
    lines = response.body.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Cognome e nome;Codice fiscale;Partita IVA")
    assert len(lines) == 2 and lines[1].startswith("Bruni Bruno;")
    assert "Non in regola: 30 ore di 40 nel biennio 10/01/2024–09/01/2026 (mancano 10)" in lines[1]


def test_enrolment_of_a_registrant(testapp, dbtx, order, codes):
    with dbtx(order.tenant) as db:
        registrant = make_registrant(db, order.tenant, last_name="Ferrari", first_name="Giulia")
        registrant_id = registrant.id
    login(testapp, order.emails["segreteria"])
    page = testapp.get("/milano/gestori/new", {"q": "ferrari"})
    form = page.forms["gestore-form"]
    assert form["registrant"].value == str(registrant_id)
    form["enrolled_on"] = "2020-03-15"
    form["circondario"] = "Milano"
    form["partita_iva"] = f"IT {codes.piva(77)}"
    form["course_hours"] = "200"
    form["specialisation"] = ["ristrutturazione_consumatore"]
    form["topics"] = "Crisi d'impresa agricola"
    page = form.submit().follow()
    assert "Ferrari Giulia è stato iscritto" in page.text
    with dbtx() as db:
        gestore = db.scalar(select(Gestore))
        assert (gestore.enrolled_on, gestore.partita_iva, gestore.course_hours) == (date(2020, 3, 15), codes.piva(77), 200)
        assert gestore.specialisations == ["ristrutturazione_consumatore", "Crisi d'impresa agricola"]
    # Once enrolled, the registrant is no longer offered.
    assert "Nessun iscritto trovato" in testapp.get("/milano/gestori/new", {"q": "ferrari"}).text


@pytest.mark.parametrize("field, value, message", [
    ("enrolled_on", "", "Data di iscrizione nell'elenco: campo obbligatorio."),
    ("enrolled_on", "31/02/2020", "la data «31/02/2020» non è valida"),
    ("partita_iva", "12345678901", "non è una partita IVA valida"),
    ("course_hours", "duecento", "Ore del corso di perfezionamento"),
    ("registrant", "", "Scelga l'iscritto"),
])
def test_bad_enrolment_is_refused_and_nothing_written(testapp, dbtx, order, field, value, message):
    with dbtx(order.tenant) as db:
        registrant_id = make_registrant(db, order.tenant, last_name="Ferrari", first_name="Giulia").id
    login(testapp, order.emails["segreteria"])
    data = {"csrf_token": csrf_token(testapp), "registrant": str(registrant_id), "enrolled_on": "2020-03-15",
            "available": "1", field: value}
    page = testapp.post("/milano/gestori/new?q=ferrari", data, status=400)
    assert message in page.html.find(id="form-error").text
    with dbtx() as db:
        assert db.scalar(select(func.count(Gestore.id))) == 0


def test_status_change_needs_reason_and_date_and_is_audited(testapp, dbtx, order, roster):
    alberti, _ = roster
    login(testapp, order.emails["segreteria"])
    url = f"/milano/gestori/{alberti}/status"
    page = testapp.post(url, {"csrf_token": csrf_token(testapp), "status": "sospeso", "since": "2026-02-01",
                              "reason": "  "}, status=400)
    assert "Motivo: campo obbligatorio." in page.html.find(id="status-error").text
    page = testapp.post(url, {"csrf_token": csrf_token(testapp), "status": "espulso", "since": "2026-02-01",
                              "reason": "x"}, status=400)
    assert "Stato non valido" in page.text
    with dbtx() as db:
        assert db.get(Gestore, alberti).status == "attivo"
    testapp.post(url, {"csrf_token": csrf_token(testapp), "status": "sospeso", "since": "2026-02-01",
                       "reason": "Mancato pagamento della polizza"}, status=302)
    page = testapp.get(f"/milano/gestori/{alberti}")
    assert page.html.find(id="status-badge").text == "Sospeso"
    assert "Mancato pagamento della polizza" in page.html.find(id="status-reason").text
    with dbtx() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "gestori.updated"))
        assert entry.details["changes"]["status"] == ["attivo", "sospeso"]
        assert entry.details["changes"]["status_reason"][1] == "Mancato pagamento della polizza"


def test_training_hours_are_recorded_and_counted(testapp, dbtx, order, roster):
    _, bruni = roster
    login(testapp, order.emails["segreteria"])
    page = testapp.get(f"/milano/gestori/{bruni}")
    assert page.html.find(id="training-badge").text == "Non in regola"
    url = f"/milano/gestori/{bruni}/trainings"
    for hours, on, message in (("tre", "2026-02-01", "indicare un numero di ore"),
                               ("4,5", (today() + timedelta(days=3)).isoformat(), "non prima"),
                               ("4,5", "", "Data: campo obbligatorio")):
        page = testapp.post(url, {"csrf_token": csrf_token(testapp), "on": on, "title": "Corso", "hours": hours},
                            status=400)
        assert message in page.html.find(id="training-error").text
    testapp.post(url, {"csrf_token": csrf_token(testapp), "on": "2026-02-01", "title": "Crisi e sovraindebitamento",
                       "provider": "Ordine", "hours": "12,5"}, status=302)
    page = testapp.get(f"/milano/gestori/{bruni}")
    assert page.html.find(id="training-progress").text.strip() == \
        "Biennio in corso: 12,5 di 40 ore, mancano 27,5 entro il 09/01/2028"
    with dbtx() as db:
        training = db.scalar(select(GestoreTraining).where(GestoreTraining.hours == Decimal("12.5")))
    testapp.post(f"/milano/gestori/{bruni}/trainings/{training.id}/delete", {"csrf_token": csrf_token(testapp)},
                 status=302)
    with dbtx() as db:
        assert db.get(GestoreTraining, training.id) is None


def test_declared_ties_are_validated(testapp, dbtx, order, roster, codes):
    alberti, _ = roster
    login(testapp, order.emails["segreteria"])
    url = f"/milano/gestori/{alberti}/links"
    page = testapp.post(url, {"csrf_token": csrf_token(testapp), "kind": "incarico", "name": "Verdi Luca",
                              "codice_fiscale": "VRDLCU80A01F205X"}, status=400)
    assert "non è un codice fiscale valido" in page.html.find(id="links-error").text
    page = testapp.post(url, {"csrf_token": csrf_token(testapp), "kind": "amicizia", "name": "Verdi Luca"}, status=400)
    assert "Tipo di legame non valido" in page.text
    page = testapp.post(url, {"csrf_token": csrf_token(testapp), "kind": "relazione", "name": ""}, status=400)
    assert "Nome o denominazione: campo obbligatorio." in page.text
    with dbtx() as db:
        assert db.scalar(select(func.count(GestoreLink.id))) == 0
    code = codes.cf("Verdi", "Luca", date(1980, 1, 1))
    testapp.post(url, {"csrf_token": csrf_token(testapp), "kind": "incarico", "name": "Verdi Luca",
                       "codice_fiscale": code.lower(), "ended_on": "2023-06-30", "description": "Consulenza"},
                 status=302)
    with dbtx() as db:
        link = db.scalar(select(GestoreLink))
        assert (link.codice_fiscale, link.ended_on) == (code, date(2023, 6, 30))


def test_permissions_of_the_list(testapp, order, roster):
    alberti, _ = roster
    assert "/login" in testapp.get("/milano/gestori", status=302).location
    login(testapp, order.emails["consultazione"])
    testapp.get("/milano/gestori", status=200)
    page = testapp.get(f"/milano/gestori/{alberti}")
    assert page.html.find(id="edit-link") is None
    testapp.get("/milano/gestori/new", status=403)
    testapp.post(f"/milano/gestori/{alberti}/status", {"csrf_token": csrf_token(testapp), "status": "sospeso",
                                                       "since": "2026-02-01", "reason": "x"}, status=403)
    testapp.get("/milano/settings/appointments", status=403)
    testapp.get("/milano/gestori/999999", status=404)


def test_criteria_of_appointment(testapp, dbtx, order):
    login(testapp, order.emails["amministratore"])
    page = testapp.get("/milano/settings/appointments")
    form = page.forms["policy-form"]
    assert form["rotation"].value == "weighted"
    form.set("passivo_limit", "80.000,00", index=0)  # 80.000, still below the next limit (150.000)
    form.set("passivo_weight", "abc", index=0)
    page = form.submit(status=400)
    assert "Scaglioni del passivo, riga 1: indicare un peso da 0 a 100" in page.html.find(id="form-error").text
    with dbtx() as db:
        assert PREFERENCE not in (db.get(Tenant, order.tenant.id).preferences or {})
        assert db.scalar(select(func.count(AppointmentLogEntry.id))) == 0
    form = page.forms["policy-form"]
    form.set("passivo_weight", "1,25", index=0)
    form["draw"] = "top"
    form["draw_size"] = "4"
    form["territory"] = "required"
    form["training_rule"] = "last_completed_or_current"
    form.submit().follow()
    with dbtx() as db:
        preferences = db.get(Tenant, order.tenant.id).preferences
        policy = preferences[PREFERENCE]
        assert policy["passivo_brackets"][0] == ["80000.00", "1.25"]
        assert (policy["draw"], policy["draw_size"], policy["territory"]) == ("top", 4, "required")
        assert preferences["gestori_training_rule"] == "last_completed_or_current"
        entry = db.scalar(select(AppointmentLogEntry))
        assert entry.kind == "policy" and entry.payload["policy"]["draw"] == "top"


def test_distribution_report(testapp, dbtx, order, roster, make_dossier):
    from occ_core.gestori.models import Appointment

    alberti, bruni = roster
    with dbtx(order.tenant) as db:
        dossier = make_dossier(db, order.tenant)
        db.add(Appointment(tenant_id=order.tenant.id, dossier_id=dossier.id, gestore_id=alberti, weight=Decimal("2.5")))
    login(testapp, order.emails["referente"])
    page = testapp.get("/milano/gestori/report")
    rows = [[cell.text.strip() for cell in tr.find_all(["th", "td"])] for tr in page.html.find(id="report").tbody("tr")]
    assert rows == [["Alberti Anna", "Attivo", "1", "2,50"], ["Bruni Bruno", "Attivo", "0", "0,00"]]
    assert "differenza" in page.html.find(id="spread").text
    last_year = today().year - 1
    empty = testapp.get("/milano/gestori/report", {"from": f"{last_year}-01-01", "to": f"{last_year}-12-31"})
    assert [tr("td")[1].text for tr in empty.html.find(id="report").tbody("tr")] == ["0", "0"]
    page = testapp.get("/milano/gestori/report", {"from": "2026-05-01", "to": "2026-01-01"}, status=400)
    assert "finisce prima di cominciare" in page.html.find(id="report-error").text
    testapp.get("/milano/gestori/report", {"from": "ieri"}, status=400)
    csv = testapp.get("/milano/gestori/report.csv").body.decode("utf-8")
    assert "Alberti Anna;Attivo;1;2,50" in csv
