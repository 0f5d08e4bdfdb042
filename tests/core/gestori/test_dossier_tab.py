"""The "Gestore" tab of a dossier, as the referente and the secretariat use it."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.dossiers.models import Dossier
from occ_core.gestori.models import Appointment, AppointmentLogEntry
from occ_core.testing.factories import csrf_token, login


@pytest.fixture
def case(dbtx, order, make_gestore, make_dossier, codes):
    """A dossier whose debtor once had Bruni as advisor, and three gestori."""
    debtor = codes.cf("Bianchi", "Luca")
    with dbtx(order.tenant) as db:
        alberti = make_gestore(db, order.tenant, "Alberti", "Anna")
        bruni = make_gestore(db, order.tenant, "Bruni", "Bruno", links=[
            {"kind": "incarico", "name": "Bianchi Luca", "codice_fiscale": debtor}])
        corsi = make_gestore(db, order.tenant, "Corsi", "Carla")
        dossier = make_dossier(db, order.tenant, passivo=Decimal("600000"),
                               debtors=[{"last_name": "Bianchi", "first_name": "Luca", "codice_fiscale": debtor}])
        return dossier.id, alberti.id, bruni.id, corsi.id


def tab(testapp, dossier_id, **kw):
    return testapp.get(f"/milano/dossiers/{dossier_id}/gestore", **kw)


def post(testapp, dossier_id, action, status=302, **data):
    return testapp.post(f"/milano/dossiers/{dossier_id}/gestore",
                        {"csrf_token": csrf_token(testapp), "action": action, **data}, status=status)


def counts(dbtx):
    with dbtx() as db:
        return (db.scalar(select(func.count(Appointment.id))), db.scalar(select(func.count(AppointmentLogEntry.id))))


def test_referente_declares_gets_a_proposal_appoints_and_records_the_declarations(testapp, dbtx, order, case):
    dossier_id, alberti, bruni, corsi = case
    login(testapp, order.emails["referente"])
    page = tab(testapp, dossier_id)
    link = page.html.find(id="dossier-tabs").find("a", string="Gestore")
    assert link["aria-current"] == "page"
    page = post(testapp, dossier_id, "declaration").follow()
    assert "Dichiarazione di assenza di conflitti" in page.text
    assert page.html.find(id="declaration-done") is not None
    page = post(testapp, dossier_id, "propose").follow()
    assert page.html.find(id="proposed").strong.text == "Alberti Anna"
    assert "peso della pratica 3,00" in page.html.find(id="proposed").text  # passivo over 500.000, no creditors
    excluded = page.html.find(id="excluded").text
    assert "Bruni Bruno" in excluded and "incarico per il debitore Bianchi Luca ancora in corso" in excluded
    form = page.forms["appoint-form"]
    assert form["gestore"].value == str(alberti)
    # Every select of the college says which member it names.
    assert [label.text for label in page.html.select("#appoint-form label")][:3] == [
        "Gestore", "Secondo componente del collegio (facoltativo)", "Terzo componente del collegio (facoltativo)"]
    page = form.submit().follow()
    assert "Nomina registrata" in page.text
    # The proposal was followed: no warning, only what a replacement would need.
    assert "alert" not in page.html.find(id="outdated")["class"]
    assert "già stata seguita da una nomina di questa pratica" in page.html.find(id="outdated").text
    assert "Gestore: Alberti Anna" in page.html.find(id="dossier-header").text
    [appointment] = [a for a in page.html.find(id="in-force").find_all(id=lambda i: i and i.startswith("appointment-"))]
    appointment_id = appointment["id"].split("-")[1]
    post(testapp, dossier_id, "accept", appointment=appointment_id)
    page = post(testapp, dossier_id, "independence", appointment=appointment_id).follow()
    assert "✘" not in page.html.find(id="requirements").text
    with dbtx() as db:
        dossier = db.get(Dossier, dossier_id)
        stored = db.get(Appointment, int(appointment_id))
        assert dossier.referente_declaration_at is not None and dossier.referente_declaration_by_id == order.ids["referente"]
        assert stored.accepted_at is not None and stored.independence_declared_at is not None
        kinds = db.scalars(select(AppointmentLogEntry.kind).order_by(AppointmentLogEntry.seq)).all()
    assert kinds == ["referente_declaration", "proposal", "appointment", "acceptance", "independence"]
    log = testapp.get("/milano/gestori/log", {"verify": "1"})
    assert log.html.find(id="verification").text.strip() == "Catena integra: 5 voci verificate."


def test_override_without_reason_or_towards_a_conflicted_gestore_is_refused(testapp, dbtx, order, case):
    dossier_id, alberti, bruni, corsi = case
    login(testapp, order.emails["referente"])
    post(testapp, dossier_id, "declaration")
    post(testapp, dossier_id, "propose")
    before = counts(dbtx)
    page = post(testapp, dossier_id, "appoint", status=400, gestore=str(corsi), reason="")
    assert "Indichi il motivo della scelta" in page.html.find(id="appointment-error").text
    page = post(testapp, dossier_id, "appoint", status=400, gestore=str(bruni), reason="Lo conosce bene")
    assert "Non è possibile nominare Bruni Bruno: Conflitto di interessi" in page.html.find(id="appointment-error").text
    for bad in ({"gestore": "abc"}, {"gestore": "99999999999"}, {"gestore": ""}, {"gestore": "424242"}):
        post(testapp, dossier_id, "appoint", status=400, reason="x", **bad)
    post(testapp, dossier_id, "accept", status=400, appointment="999")
    assert counts(dbtx) == before
    post(testapp, dossier_id, "appoint", gestore=str(corsi), gestore_2=str(alberti), reason="Pratica complessa")
    with dbtx() as db:
        assert db.get(Dossier, dossier_id).gestore_names == "Corsi Carla, Alberti Anna"
        assert {a.override_reason for a in db.scalars(select(Appointment))} == {"Pratica complessa"}


def test_replacement_is_shown_in_the_history(testapp, dbtx, order, case):
    dossier_id, alberti, bruni, corsi = case
    login(testapp, order.emails["referente"])
    post(testapp, dossier_id, "declaration")
    post(testapp, dossier_id, "propose")
    post(testapp, dossier_id, "appoint", gestore=str(alberti))
    with dbtx() as db:
        appointment_id = db.scalar(select(Appointment.id))
    assert "già stata seguita da una nomina di questa pratica" in tab(testapp, dossier_id).html.find(id="outdated").text
    page = post(testapp, dossier_id, "replace", status=400, appointment=str(appointment_id), gestore=str(corsi),
                reason="")
    assert "Indichi il motivo della sostituzione" in page.text
    post(testapp, dossier_id, "propose")
    page = post(testapp, dossier_id, "replace", appointment=str(appointment_id), gestore=str(corsi),
                reason="Trasferimento in altra sede").follow()
    history = page.html.find(id="history").text
    assert "sostituito il" in history and "da Corsi Carla: Trasferimento in altra sede" in history
    assert "Gestore: Corsi Carla" in page.html.find(id="dossier-header").text


def test_secretariat_proposes_but_cannot_appoint(testapp, dbtx, order, case):
    dossier_id, alberti, *_ = case
    login(testapp, order.emails["segreteria"])
    page = tab(testapp, dossier_id)
    assert page.html.find(id="propose-button") is not None
    assert page.html.find(id="declare-button") is None and page.html.find(id="appoint") is None
    post(testapp, dossier_id, "propose")
    before = counts(dbtx)
    post(testapp, dossier_id, "declaration", status=403)
    post(testapp, dossier_id, "appoint", status=403, gestore=str(alberti), reason="x")
    assert counts(dbtx) == before
    with dbtx() as db:
        assert db.get(Dossier, dossier_id).referente_declaration_at is None


def test_read_only_and_anonymous_users(testapp, order, case):
    dossier_id, *_ = case
    assert "/login" in tab(testapp, dossier_id, status=302).location
    login(testapp, order.emails["consultazione"])
    page = tab(testapp, dossier_id)
    assert page.html.find(id="propose-button") is None
    post(testapp, dossier_id, "propose", status=403)
    tab(testapp, 999999, status=404)
    post(testapp, dossier_id, "nonesiste", status=404)
