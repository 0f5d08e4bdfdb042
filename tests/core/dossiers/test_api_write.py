"""JSON API writes on dossiers: register, change, move; errors as JSON in Italian; nothing written on
error; permissions and tenancy; the OpenAPI document."""
import json
from decimal import Decimal

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from occ_core.dossiers import registration
from occ_core.dossiers.api import FIELD_SCHEMAS
from occ_core.dossiers.models import Dossier, DossierCounter, Transition
from occ_core.testing.factories import PASSWORD, make_tenant, make_user

from .conftest import CF_DEBTOR, application, open_dossier

BASE = "/milano/api/v1/dossiers"


def token_of(testapp, email, tenant="milano"):
    body = {"email": email, "password": PASSWORD, "tenant": tenant}
    return {"Authorization": "Bearer " + testapp.post_json("/api/v1/auth/token", body).json["access_token"]}


@pytest.fixture
def auth(testapp, order):
    return token_of(testapp, "segreteria@milano.it")


def stored(dbtx, order):
    with dbtx(order) as db:
        return tuple(db.scalar(select(func.count()).select_from(m)) for m in (Dossier, Transition, DossierCounter))


def test_create_update_and_move_a_dossier(testapp, dbtx, order, auth, events):
    created = testapp.post_json(BASE, application(court="Tribunale di Milano"), headers=auth, status=201)
    body = created.json
    assert created.location == f"http://127.0.0.1:6543{BASE}/{body['id']}"
    assert (body["number"], body["state"], body["state_label"], body["closed"]) == (
        1, "ISTANZA_RICEVUTA", "Istanza ricevuta", False)
    assert body["reference"] == f"1/{body['year']}"
    assert [(n["state"], n["needs_reason"], n["missing"]) for n in body["next"]] == [
        ("ISTRUTTORIA_SEGRETERIA", False, []), ("ARCHIVIATA", True, [])]
    url = f"{BASE}/{body['id']}"

    changed = testapp.patch_json(url, {"attivo": 12500.5, "passivo_declared": "40.000,00", "satisfaction_percent": 30,
                                       "incarico_accepted_on": "2025-03-20", "family": False}, headers=auth).json
    assert changed["changed"] == ["attivo", "incarico_accepted_on", "passivo_declared", "satisfaction_percent"]
    assert testapp.patch_json(url, {"attivo": "12500.50"}, headers=auth).json["changed"] == []

    moved = testapp.post_json(url + "/transition", {"to": "ISTRUTTORIA_SEGRETERIA", "reason": "Completa"},
                              headers=auth).json
    assert (moved["from"], moved["state"]) == ("ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA")
    with dbtx(order) as db:
        dossier = db.get(Dossier, body["id"])
        assert (dossier.attivo, dossier.passivo_declared, dossier.satisfaction_percent) == (
            Decimal("12500.50"), Decimal("40000.00"), Decimal("30.00"))
        assert dossier.debtors[0].codice_fiscale == CF_DEBTOR
        assert dossier.transitions[-1].reason == "Completa" and dossier.transitions[-1].user_id is not None
    assert [e.name for e in events] == ["dossier.opened", "dossier.state_changed"]


def test_refused_transitions_answer_409_with_what_is_missing(testapp, dbtx, order, tenant_env, auth):
    with tenant_env(order) as env:
        dossier = open_dossier(env)
        dossier.state = "PREVENTIVO_EMESSO"
    url = f"{BASE}/{dossier.id}/transition"
    refused = testapp.post_json(url, {"to": "INCARICO_CONFERITO"}, headers=auth, status=409).json
    assert refused == {
        "error": "Per passare a «Incarico conferito» manca: la data di conferimento dell'incarico all'OCC da parte "
                 "del debitore (Modifica dati).",
        "missing": ["la data di conferimento dell'incarico all'OCC da parte del debitore (Modifica dati)"]}
    assert testapp.post_json(url, {"to": "ARCHIVIATA"}, headers=auth, status=409).json["missing"] == [
        "il motivo del passaggio"]
    assert "i passaggi ammessi sono" in testapp.post_json(url, {"to": "DEPOSITATO"}, headers=auth, status=409).json[
        "error"]
    assert "Nel frattempo" in testapp.post_json(url, {"to": "ARCHIVIATA", "reason": "Rinuncia",
                                                      "from": "ISTANZA_RICEVUTA"}, headers=auth, status=409).json[
        "error"]
    invalid = testapp.post_json(url, {"to": "INVENTATO", "reason": 5, "extra": 1}, headers=auth, status=422).json
    assert set(invalid["errors"]) == {"reason", "extra"}
    assert set(testapp.post_json(url, {"to": "INVENTATO"}, headers=auth, status=422).json["errors"]) == {"to"}
    with dbtx(order) as db:
        stored_dossier = db.get(Dossier, dossier.id)
        assert (stored_dossier.state, len(stored_dossier.transitions)) == ("PREVENTIVO_EMESSO", 1)


def test_bad_requests_write_nothing(testapp, dbtx, order, tenant_env, auth):
    with tenant_env(order) as env:
        dossier_id = open_dossier(env).id
    before = stored(dbtx, order)
    response = testapp.post(BASE, "{non json", content_type="application/json", headers=auth, status=400)
    assert response.content_type == "application/json" and "JSON" in response.json["error"]
    assert "oggetto" in testapp.post_json(BASE, ["x"], headers=auth, status=400).json["error"]
    invalid = testapp.post_json(BASE, {**application(filed_on="2999-01-01"), "number": 5}, headers=auth,
                                status=422).json
    assert invalid["error"] == "Dati non validi: nessuna modifica salvata."
    assert invalid["errors"] == {"filed_on": "Data di presentazione dell'istanza: la data non può essere futura.",
                                 "number": "Il numero di registro non si può modificare."}
    debtor = testapp.post_json(BASE, application(debtor={"person_kind": "fisica", "codice_fiscale": "XYZ",
                                                         "eta": 3}), headers=auth, status=422).json["errors"]
    assert set(debtor) == {"debtor.codice_fiscale", "debtor.last_name", "debtor.first_name", "debtor.eta"}
    url = f"{BASE}/{dossier_id}"
    errors = testapp.patch_json(url, {"satisfaction_percent": 101, "attivo": True, "court": None, "state": "CHIUSO"},
                                headers=auth, status=422).json["errors"]
    assert set(errors) == {"satisfaction_percent", "attivo", "state"}
    testapp.patch(url, "[1", content_type="application/json", headers=auth, status=400)
    assert stored(dbtx, order) == before
    with dbtx(order) as db:
        assert db.get(Dossier, dossier_id).satisfaction_percent is None


def test_unknown_dossiers_permissions_and_tenancy(testapp, dbtx, pm, order, tenant_env, auth):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
        make_user(db, "segreteria@roma.it", roma, "segreteria")
    with tenant_env(roma) as env:
        foreign = open_dossier(env).id
    assert testapp.patch_json(f"{BASE}/{foreign}", {"court": "X"}, headers=auth, status=404).json == {
        "error": "Nessuna pratica con questo identificativo."}
    testapp.post_json(f"{BASE}/999/transition", {"to": "ARCHIVIATA"}, headers=auth, status=404)
    assert "Autenticazione richiesta" in testapp.post_json(BASE, application(), status=401).json["error"]
    reader = token_of(testapp, "consultazione@milano.it")
    assert testapp.post_json(BASE, application(), headers=reader, status=403).json == {
        "error": "Il suo profilo non ha il permesso per questa operazione."}
    testapp.post_json(f"{BASE}/{foreign}/transition", {"to": "ARCHIVIATA"}, headers=reader, status=403)
    # A token of one Order is worth nothing on another's paths.
    testapp.post_json("/roma/api/v1/dossiers", application(), headers=auth, status=401)
    with dbtx(roma) as db:
        assert db.scalar(select(func.count(Dossier.id))) == 1 and db.get(Dossier, foreign).court == ""


def test_openapi_describes_the_write_endpoints(testapp, order):
    document = json.loads(testapp.get("/api/v1/openapi.json").text)
    validate_openapi(document)
    paths = document["paths"]
    assert "post" in paths["/dossiers"] and "patch" in paths["/dossiers/{id}"]
    assert "post" in paths["/dossiers/{id}/transition"] and "409" in paths["/dossiers/{id}/transition"]["post"][
        "responses"]
    schema = paths["/dossiers/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == set(registration.DOSSIER_FIELDS) == set(FIELD_SCHEMAS)
    create = paths["/dossiers"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(create["properties"]) == {*registration.CREATE_FIELDS, "debtor"}
    assert set(create["properties"]["debtor"]["properties"]) == set(registration.DEBTOR_FIELDS)
