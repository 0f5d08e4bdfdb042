"""Read API of dossiers: the list with the list page's filters and one dossier with its parties; bearer
tokens, permissions, tenancy, JSON errors and the OpenAPI description."""
from datetime import date

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.dossiers import parties
from occ_core.dossiers.models import Dossier
from occ_core.testing.factories import PASSWORD, make_tenant

from .party_helpers import CF_BIANCHI, CF_ROSSI, VAT_BANCA, add_dossier, add_parties, creditor, person

PATH = "/milano/api/v1/dossiers"


@pytest.fixture
def register(dbtx, pm, order):
    with dbtx(order) as db:
        first = add_parties(add_dossier(db, order, 1, filed_on=date(2025, 1, 10)),
                            person("Rossi", "Mario", CF_ROSSI, monthly_income="1.500"),
                            [creditor("Banca Alfa", "1.000,50", partita_iva=VAT_BANCA, rank="ipotecario"),
                             creditor("Luca Verdi", "200", excluded_from_vote="1", exclusion_ground="coniuge")])
        parties.add_party(first, {"role": "avvocato", "name": "Avv. Neri"})
        add_parties(add_dossier(db, order, 2, procedure="concordato_minore", state="DEPOSITATO"),
                    person("Bianchi", "Giulia", CF_BIANCHI))
        first_id = first.id
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
    with dbtx(roma) as db:
        add_parties(add_dossier(db, roma, 7), person("Rossi", "Mario", CF_ROSSI))
    return first_id


def bearer(testapp, email, tenant="milano") -> dict:
    token = testapp.post_json("/api/v1/auth/token", {"email": email, "password": PASSWORD, "tenant": tenant}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_list_with_filters_and_pages(testapp, register):
    headers = bearer(testapp, "consultazione@milano.it")
    body = testapp.get(PATH, headers=headers).json
    assert (body["total"], body["page"], body["pages"], body["page_size"]) == (2, 1, 1, 50)
    assert [item["reference"] for item in body["items"]] == ["2/2025", "1/2025"]
    first = body["items"][1]
    assert first["debtor_name"] == "Rossi Mario" and first["passivo_from_creditors"] == "1200.50"
    assert first["filed_on"] == "2025-01-10" and first["state_label"] == "Istanza ricevuta"
    assert first["url"].endswith(f"/milano/api/v1/dossiers/{register}")
    assert [i["reference"] for i in testapp.get(PATH, {"q": "rossi"}, headers=headers).json["items"]] == ["1/2025"]
    assert [i["reference"] for i in testapp.get(PATH, {"creditor": VAT_BANCA}, headers=headers).json["items"]] == [
        "1/2025"]
    body = testapp.get(PATH, {"sort": "number", "page": "2", "page_size": "1"}, headers=headers).json
    assert ([i["reference"] for i in body["items"]], body["pages"]) == (["2/2025"], 2)


@pytest.mark.parametrize("params, field", [
    ({"year": "abc"}, "year"), ({"page": "0"}, "page"), ({"page_size": "1000"}, "page_size"),
    ({"sort": "x"}, "sort"), ({"filed_from": "2025-13-01"}, "filed_from"), ({"state": "X"}, "state"),
])
def test_bad_parameters_give_422(testapp, register, params, field):
    body = testapp.get(PATH, params, headers=bearer(testapp, "consultazione@milano.it"), status=422).json
    assert field in body["errors"] and body["error"].startswith("Dati non validi")


def test_read_one_dossier_with_its_parties(testapp, dbtx, order, register):
    body = testapp.get(f"{PATH}/{register}", headers=bearer(testapp, "consultazione@milano.it")).json
    assert body["reference"] == "1/2025"
    (debtor,) = body["debtors"]
    assert (debtor["codice_fiscale"], debtor["birth_date"], debtor["monthly_income"]) == (
        CF_ROSSI, "1980-05-17", "1500.00")
    banca, verdi = body["creditors"]
    assert (banca["partita_iva"], banca["rank"], banca["amount_claimed"], banca["excluded_from_vote"]) == (
        VAT_BANCA, "ipotecario", "1000.50", False)
    assert verdi["exclusion_reason"] == "Coniuge, unito civilmente o convivente del debitore"
    assert [(p["role"], p["name"]) for p in body["parties"]] == [("avvocato", "Avv. Neri")]
    assert body["creditor_totals"]["admitted_to_vote"] == "1000.50"
    assert body["creditor_totals"]["by_rank"] == {"ipotecario": "1000.50", "chirografario": "200.00"}
    with dbtx(order) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.viewed")).one()
        assert entry.details == {"page": "api"}
    empty = testapp.post_json(PATH, {"procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore",
                                     "filed_on": "2025-03-10", "debtor": {"person_kind": "fisica", "last_name": "Neri",
                                                                          "first_name": "Ugo"}},
                              headers=bearer(testapp, "segreteria@milano.it"), status=201).json
    totals = testapp.get(f"{PATH}/{empty['id']}", headers=bearer(testapp, "consultazione@milano.it")).json[
        "creditor_totals"]
    # No creditor: the amounts keep the declared form, cents included.
    assert (totals["total"], totals["secured"], totals["excluded_from_vote"]) == ("0.00", "0.00", "0.00")


def test_tokens_permissions_and_tenancy(testapp, dbtx, pm, register):
    assert testapp.get(PATH, status=401).json["error"].startswith("Autenticazione richiesta")
    assert testapp.get(PATH, headers={"Authorization": "Bearer x.y.z"}, status=401).content_type == "application/json"
    testapp.get(PATH, headers=bearer(testapp, "gestore@milano.it"), status=403)
    headers = bearer(testapp, "segreteria@milano.it")
    testapp.get(f"{PATH}/99999", headers=headers, status=404)
    # Roma's dossier is not found from Milano, and Milano's token does not open Roma.
    with dbtx() as db:
        roma_id = db.scalar(select(Dossier.id).where(Dossier.number == 7))
    assert testapp.get(f"{PATH}/{roma_id}", headers=headers, status=404).json == {
        "error": "Nessuna pratica con questo identificativo."}
    assert [i["reference"] for i in testapp.get(PATH, headers=headers).json["items"]] == ["2/2025", "1/2025"]
    testapp.get("/roma/api/v1/dossiers", headers=headers, status=401)


def test_openapi_describes_reads_beside_writes(testapp):
    document = testapp.get("/api/v1/openapi.json").json
    validate_openapi(document)
    assert {"get", "post"} <= set(document["paths"]["/dossiers"])
    assert "get" in document["paths"]["/dossiers/{id}"]
    names = [p["name"] for p in document["paths"]["/dossiers"]["get"]["parameters"]]
    assert {"q", "year", "number", "state", "procedure", "gestore", "debtor", "creditor", "filed_from",
            "filed_to", "sort", "page"} <= set(names)
