"""The JSON API and ``occ preventivo`` give the same estimate; the API saves versions; bad input is a 400 in
Italian with nothing saved; the OpenAPI document describes the endpoint; the demo Order gets estimates."""
import json
from decimal import Decimal

from click.testing import CliRunner
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from occ_core.demo import DEMO_USERS
from occ_core.dossiers.models import Dossier
from occ_core.fees.cli import preventivo
from occ_core.fees.demo import load_demo
from occ_core.fees.models import FeeEstimate
from occ_core.fees.preferences import FeePreferences, save as save_fees
from occ_core.invoicing.preferences import InvoicingPreferences, save as save_invoicing
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import PASSWORD, make_user
from occ_core.testing.cli import CliEnvironment

from .conftest import add_dossier

URL = "/milano/api/v1/fee-estimates"


def token_of(testapp, role):
    body = {"email": f"{role}@milano.it", "password": PASSWORD, "tenant": "milano"}
    return {"Authorization": "Bearer " + testapp.post_json("/api/v1/auth/token", body).json["access_token"]}


def cli(*args, status=0, obj=None):
    result = CliRunner().invoke(preventivo, list(args), obj=obj)
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
                                    "--liquidazione", "--intera-forbice", "--json"))
    assert ranged["values"]["minimo"]["compenso"] == "2043.07" and ranged["inputs"]["reading"] == "range"
    table = cli("--attivo", "30000", "--passivo", "100000", "--riduzione", "25")
    assert "Compenso e spese generali" in table and "€ 3.390,86" in table and "Totale attivo" in table
    assert "Riduzione: indicare una percentuale" not in table
    assert "Attivo: l'importo non può essere negativo." in cli("--attivo", "-1", "--passivo", "0", status=1)
    assert "indicare una percentuale tra 15 e 40" in cli("--attivo", "1", "--passivo", "0", "--riduzione", "50",
                                                         status=1)
    assert "--riduzione oppure --intera-forbice" in cli("--attivo", "1", "--passivo", "0", "--riduzione", "20",
                                                        "--intera-forbice", status=1)


def test_cli_with_the_order_gives_the_json_of_its_api(testapp, order, dbtx, registry):
    """Without --riduzione or --intera-forbice the command takes the default reading: the platform's without
    --tenant, the Order's with it, and then its answer is the API's for the same inputs, IVA included."""
    with dbtx() as db:
        tenant = db.get(Tenant, order.id)
        save_fees(tenant, FeePreferences(reading="range", general_expenses_percent=Decimal("10"),
                                         minimum_fee=Decimal("3000"), rounding="euro"))
        save_invoicing(tenant, InvoicingPreferences(vat_rate=Decimal("0"), vat_nature="N4"))
    auth = token_of(testapp, "consultazione")
    environment = CliEnvironment(registry)

    def occ(*args):
        return cli(*args, "--json", obj=environment)

    for body, args in (({"attivo": "30000", "passivo": "100000"}, ()),
                       ({"attivo": "30000", "passivo": "100000", "reading": "single", "reduction_percent": "20"},
                        ("--riduzione", "20")),
                       ({"attivo": "0", "passivo": "50000", "incapiente": True, "attributed": "30000"},
                        ("--incapiente", "--attribuito", "30000"))):
        api = testapp.post_json(URL, body, headers=auth).json
        options = ("--attivo", body["attivo"], "--passivo", body["passivo"], *args)
        assert json.loads(occ(*options, "--tenant", "milano")) == api
        assert json.loads(occ(*options)) != api  # the platform's defaults
    api = testapp.post_json(URL, {"attivo": "30000", "passivo": "100000"}, headers=auth).json
    assert (api["inputs"]["reading"], api["inputs"]["vat_rate"], api["values"]["minimo"]["vat"]) == (
        "range", "0.00", "0.00")
    assert api["values"]["minimo"]["minimum_raised"]
    platform = json.loads(occ("--attivo", "30000", "--passivo", "100000"))
    assert (platform["inputs"]["reading"], platform["inputs"]["vat_rate"]) == ("single", "22.00")
    assert json.loads(occ("--attivo", "30000", "--passivo", "100000", "--intera-forbice"))["inputs"]["reading"] == \
        "range"
    assert "Ordine «nessuno» inesistente." in cli("--attivo", "1", "--passivo", "1", "--tenant", "nessuno",
                                                 obj=environment, status=1)
    assert "--tenant SLUG" in cli("--help")


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
    testapp.post_json(URL, {**body, "dossier_id": 10 ** 30}, headers=auth, status=404)
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


def test_expenses_are_limited_in_number_and_in_total(testapp, order, dbtx):
    """Each expense, their total and the estimate's total fit NUMERIC(14,2): a 400 in Italian, not a 500 of the
    database, and nothing saved."""
    auth = token_of(testapp, "segreteria")
    base = {"attivo": "30000", "passivo": "100000", "dossier_id": order.dossier_id, "save": True}
    largest = {"description": "Perizia", "amount": "999999999999.99"}
    # With it the massimo's total (fee 4.429,81 and IVA 974,56 on it) is exactly the largest storable amount.
    fitting = {"description": "Perizia", "amount": "999999994595.62"}
    for expenses, message in (
            ([largest] * 51, "Spese documentate: indicare un elenco di al massimo 50 voci."),
            ([largest] * 50, "Spese documentate: il totale non può superare € 999.999.999.999,99."),
            ([largest, {"description": "Posta", "amount": "0.01"}], "Spese documentate: il totale non può superare"),
            ([{**fitting, "amount": "999999994595.63"}], "Il totale del preventivo (€ 1.000.000.000.000,00) supera "
                                                         "l'importo massimo registrabile (€ 999.999.999.999,99)"),
            ([{**fitting, "amount": "900000000000", "taxable": True}], "Il totale del preventivo (€ "
                                                                       "1.098.000.005.404,37) supera")):
        answer = testapp.post_json(URL, {**base, "expenses": expenses}, headers=auth, status=400).json
        assert answer["error"].startswith(message) and answer["field"] == "expenses"
    assert count(dbtx, order) == 0
    saved = testapp.post_json(URL, {**base, "expenses": [fitting]}, headers=auth, status=201).json
    assert saved["values"]["massimo"]["total"] == "999999999999.99"
    assert saved["saved"]["proposed_total"] == "999999999284.06"
    with dbtx(order) as db:
        assert db.scalar(select(FeeEstimate.proposed_total)) == Decimal("999999999284.06")
