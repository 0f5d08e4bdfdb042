"""The JSON API and ``occ preventivo`` give the same estimate; the API saves versions; bad input is a 400 in
Italian with nothing saved; the OpenAPI document describes the endpoint; the demo Order gets estimates."""
import json

from click.testing import CliRunner
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from occ_core.demo import DEMO_USERS
from occ_core.dossiers.models import Dossier
from occ_core.fees.cli import preventivo
from occ_core.fees.demo import load_demo
from occ_core.fees.models import FeeEstimate
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import PASSWORD, make_user

from .conftest import add_dossier

URL = "/milano/api/v1/fee-estimates"


def token_of(testapp, role):
    body = {"email": f"{role}@milano.it", "password": PASSWORD, "tenant": "milano"}
    return {"Authorization": "Bearer " + testapp.post_json("/api/v1/auth/token", body).json["access_token"]}


def cli(*args, status=0):
    result = CliRunner().invoke(preventivo, list(args))
    assert result.exit_code == status, result.output
    return result.output


def count(dbtx, order):
    with dbtx(order) as db:
        return db.scalar(select(func.count()).select_from(FeeEstimate))


def test_api_and_cli_give_the_same_json(testapp, order):
    auth = token_of(testapp, "consultazione")
    api = testapp.post_json(URL, {"attivo": "1.234.567,89", "passivo": 2500000, "attributed": "300000",
                                  "incapiente": True}, headers=auth)
    assert api.json == json.loads(cli("--attivo", "1.234.567,89", "--passivo", "2500000", "--attribuito",
                                      "300000", "--incapiente", "--riduzione", "15", "--json"))
    ranged = testapp.post_json(URL, {"attivo": "30000", "passivo": "100000", "reading": "range",
                                     "general_expenses_percent": "10", "liquidation": True}, headers=auth).json
    assert ranged == json.loads(cli("--attivo", "30000.00", "--passivo", "100.000,00", "--spese-generali", "10",
                                    "--liquidazione", "--json"))
    assert ranged["values"]["minimo"]["compenso"] == "2043.07" and ranged["inputs"]["reading"] == "range"
    table = cli("--attivo", "30000", "--passivo", "100000", "--riduzione", "25")
    assert "Compenso e spese generali" in table and "€ 3.390,86" in table and "Totale attivo" in table
    assert "Riduzione: indicare una percentuale" not in table
    assert "Attivo: l'importo non può essere negativo." in cli("--attivo", "-1", "--passivo", "0", status=1)
    assert "indicare una percentuale tra 15 e 40" in cli("--attivo", "1", "--passivo", "0", "--riduzione", "50",
                                                         status=1)


def test_api_saves_a_version(testapp, order, dbtx):
    auth = token_of(testapp, "segreteria")
    body = {"attivo": "30000", "passivo": "100000", "dossier_id": order.dossier_id, "save": True,
            "proposed": "massimo"}
    first = testapp.post_json(URL, body, headers=auth, status=201).json
    second = testapp.post_json(URL, body, headers=auth, status=201).json
    assert (first["saved"]["version"], second["saved"]["version"]) == (1, 2)
    assert first["saved"]["proposed_fee"] == first["values"]["massimo"]["fee"]
    assert count(dbtx, order) == 2
    testapp.post_json(URL, {**body, "dossier_id": 999999}, headers=auth, status=404)
    reader = token_of(testapp, "consultazione")
    assert testapp.post_json(URL, body, headers=reader, status=403).json["error"]
    assert count(dbtx, order) == 2


def test_api_bad_input(testapp, order, dbtx):
    auth = token_of(testapp, "segreteria")
    cases = [
        ({"attivo": "-1", "passivo": "0"}, "Attivo: l'importo non può essere negativo.", "attivo"),
        ({"passivo": "0"}, "Attivo: indicare l'importo (anche 0).", "attivo"),
        ({"attivo": "1", "passivo": "1", "reduction_percent": 41}, "Riduzione (art. 16 co. 4): indicare una "
                                                                   "percentuale tra 15 e 40.", "reduction_percent"),
        ({"attivo": "1", "passivo": "1", "general_expenses_percent": "9"}, "Spese generali (art. 14 co. 3): "
                                                                          "indicare una percentuale tra 10 e 15.",
         "general_expenses_percent"),
        ({"attivo": "1", "passivo": "1", "colore": "blu"}, "Campo sconosciuto: «colore».", "colore"),
        ({"attivo": [1], "passivo": "1"}, "Attivo: indicare un numero (esempio: 1.234,50).", "attivo"),
        ({"attivo": 1e300, "passivo": "1"}, "Attivo: importo troppo grande.", "attivo"),
        ({"attivo": "1", "passivo": "1", "expenses": [{"description": "x"}]}, "Spesa 1: indicare descrizione e "
                                                                              "importo.", "expenses"),
        ({"attivo": "1", "passivo": "1", "save": True, "dossier_id": order.dossier_id, "reading": "x"},
         "Lettura della riduzione: scelta non valida.", "reading"),
        ({"attivo": "1", "passivo": "1", "save": True}, "Per salvare il preventivo indicare «dossier_id».",
         "dossier_id"),
    ]
    for body, message, field in cases:
        answer = testapp.post_json(URL, body, headers=auth, status=400).json
        assert (answer["error"], answer["field"]) == (message, field)
    assert testapp.post(URL, "non json", headers={**auth, "Content-Type": "application/json"}, status=400).json
    assert testapp.post_json(URL, {"attivo": "1", "passivo": "1"}, status=401).json["error"]
    assert count(dbtx, order) == 0


def test_openapi_document(testapp):
    document = testapp.get("/api/v1/openapi.json").json
    validate_openapi(document)
    operation = document["paths"]["/fee-estimates"]["post"]
    assert operation["operationId"] == "computeFeeEstimate" and "400" in operation["responses"]


def test_demo_estimates_on_a_third_of_the_dossiers(order, dbtx):
    with dbtx() as db:
        make_user(db, DEMO_USERS["segreteria"][0], db.get(Tenant, order.id), "segreteria")
    with dbtx(order) as db:
        for number in range(2, 7):
            dossier_id = add_dossier(db, order, number)
            db.get(Dossier, dossier_id).attivo = 1000 * number
    with dbtx(order) as db:
        assert load_demo(db, db.get(Tenant, order.id)) == ["Preventivi dei compensi: 2 salvati sulle pratiche "
                                                           "dimostrative."]
    with dbtx(order) as db:
        assert load_demo(db, db.get(Tenant, order.id)) == []
    assert count(dbtx, order) == 2
