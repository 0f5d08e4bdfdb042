"""JSON API: tokens, registrant reads and idempotent upserts, validation, tenancy, JSON errors, OpenAPI."""
import json
from datetime import date

import pyotp
import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.accounts.roles import add_membership
from occ_core.audit.models import AuditEntry
from occ_core.db import bind_tenant
from occ_core.demo import make_codice_fiscale
from occ_core.testing.factories import PASSWORD, login, make_registrant, make_tenant, make_user, registry_snapshot
from shared_registry.models import Registrant

CF_ROSSI = make_codice_fiscale("Rossi", "Mario", date(1980, 5, 17), False, "F205")
CF_BIANCHI = make_codice_fiscale("Bianchi", "Giulia", date(1975, 3, 2), True, "F205")
CF_VERDI = make_codice_fiscale("Verdi", "Luca", date(1990, 7, 30), False, "A794")


@pytest.fixture
def orders(dbtx, pm):
    with dbtx() as db:
        milano = make_tenant(db, pm, "milano")
        roma = make_tenant(db, pm, "roma")
        make_user(db, "segreteria@milano.it", milano, "segreteria")
        make_user(db, "consultazione@milano.it", milano, "consultazione")
        make_user(db, "gestore@milano.it", milano, "gestore")
        both = make_user(db, "entrambi@ordini.it", milano, "segreteria")
        bind_tenant(db, roma.id)
        add_membership(db, roma, both, "segreteria")
        bind_tenant(db, None)
        make_registrant(db, milano, CF_ROSSI, email="mario@rossi.it", credits={"2025": 20})
        make_registrant(db, roma, CF_BIANCHI, last_name="Bianchi", first_name="Giulia")
    return milano, roma


def get_token(testapp, email, tenant="milano", status=200, **extra):
    body = {"email": email, "password": PASSWORD, **extra}
    if tenant:
        body["tenant"] = tenant
    return testapp.post_json("/api/v1/auth/token", body, status=status).json


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def registry_state(dbtx):
    with dbtx() as db:
        return registry_snapshot(db)


def test_token_issue_and_wrong_credentials(testapp, orders):
    token = get_token(testapp, "segreteria@milano.it")
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600 and token["access_token"].count(".") == 2
    refused = get_token(testapp, "segreteria@milano.it", status=401, password="sbagliata")
    assert refused == {"error": "Email o password non corretti."}
    refused = get_token(testapp, "segreteria@milano.it", tenant="roma", status=403)
    assert "non ha accesso all'Ordine «roma»" in refused["error"]
    response = testapp.post("/api/v1/auth/token", "{non json", content_type="application/json", status=400)
    assert response.content_type == "application/json" and "JSON" in response.json["error"]
    assert "email" in testapp.post_json("/api/v1/auth/token", {"email": 1}, status=400).json["error"]
    assert "oggetto" in testapp.post_json("/api/v1/auth/token", ["x"], status=400).json["error"]


def test_token_is_throttled_after_repeated_failures(testapp, orders):
    for _attempt in range(5):
        get_token(testapp, "segreteria@milano.it", status=401, password="sbagliata")
    refused = get_token(testapp, "segreteria@milano.it", status=429)
    assert "Troppi tentativi" in refused["error"]


def test_totp_users_must_send_the_code(testapp, dbtx, orders):
    secret = pyotp.random_base32()
    with dbtx() as db:
        user = db.scalar(select(User).where(User.email == "segreteria@milano.it"))
        user.totp_secret, user.totp_enabled = secret, True
    assert "totp" in get_token(testapp, "segreteria@milano.it", status=401)["error"]
    assert "totp" in get_token(testapp, "segreteria@milano.it", status=401, totp="000000")["error"]
    assert get_token(testapp, "segreteria@milano.it", totp=pyotp.TOTP(secret).now())["access_token"]


def test_reads_with_search_filters_and_paging(testapp, dbtx, orders):
    milano, _roma = orders
    with dbtx() as db:
        make_registrant(db, milano, CF_VERDI, last_name="Verdi", first_name="Luca", category="notaio", status="sospeso")
    headers = bearer(get_token(testapp, "consultazione@milano.it")["access_token"])
    listing = testapp.get("/milano/api/v1/registrants", headers=headers).json
    assert [item["codice_fiscale"] for item in listing["items"]] == [CF_ROSSI, CF_VERDI]
    assert (listing["total"], listing["page"], listing["pages"]) == (2, 1, 1)
    rossi = listing["items"][0]
    assert rossi["birth_date"] == "1980-05-17" and rossi["credits"] == {"2025": 20} and rossi["gender"] == "M"
    found = testapp.get("/milano/api/v1/registrants", {"q": "luca", "category": "notaio", "status": "sospeso"},
                        headers=headers).json
    assert [item["last_name"] for item in found["items"]] == ["Verdi"]
    assert testapp.get("/milano/api/v1/registrants", {"page": "2"}, headers=headers).json["items"] == []
    errors = testapp.get("/milano/api/v1/registrants", {"page": "zero", "status": "x"}, headers=headers, status=422).json
    assert set(errors["errors"]) == {"page"}
    errors = testapp.get("/milano/api/v1/registrants", {"status": "x"}, headers=headers, status=422).json
    assert "status" in errors["errors"]

    one = testapp.get(f"/milano/api/v1/registrants/{CF_ROSSI.lower()}", headers=headers).json
    assert one["email"] == "mario@rossi.it"
    assert testapp.get(f"/milano/api/v1/registrants/{CF_BIANCHI}", headers=headers, status=404).json == {
        "error": "Nessun iscritto con questo codice fiscale."}  # Roma's registrant
    assert "codice_fiscale" in testapp.get("/milano/api/v1/registrants/ABC", headers=headers, status=422).json["errors"]


def test_put_creates_then_repeating_it_changes_nothing(testapp, dbtx, orders):
    headers = bearer(get_token(testapp, "segreteria@milano.it")["access_token"])
    body = {"last_name": "Verdi", "first_name": "Luca", "category": "commercialista", "email": "Luca@Verdi.it",
            "specialisations": ["Crisi d'impresa"], "credits": {"2025": 20, "2024": "12,5"}}
    url = f"/milano/api/v1/registrants/{CF_VERDI}"
    created = testapp.put_json(url, body, headers=headers).json
    assert created["created"] is True and created["codice_fiscale"] == CF_VERDI
    assert {"last_name", "email", "birth_date", "gender", "credits_2024", "credits_2025"} <= set(created["changed"])
    before = registry_state(dbtx)
    repeated = testapp.put_json(url, body, headers=headers).json
    assert repeated == {"codice_fiscale": CF_VERDI, "created": False, "changed": []}
    assert registry_state(dbtx) == before  # nothing written, not even an audit entry or updated_at

    changed = testapp.put_json(url, {"email": "nuova@verdi.it", "credits": {"2025": 22}}, headers=headers).json
    assert changed == {"codice_fiscale": CF_VERDI, "created": False, "changed": ["email", "credits_2025"]}
    stored = testapp.get(url, headers=headers).json
    assert stored["email"] == "nuova@verdi.it" and stored["first_name"] == "Luca"  # absent fields are kept
    assert stored["credits"] == {"2024": 12.5, "2025": 22}
    with dbtx() as db:  # the changes are audited in the name of the token's user
        verdi = db.scalar(select(Registrant.id).where(Registrant.codice_fiscale == CF_VERDI))
        user = db.scalar(select(User.id).where(User.email == "segreteria@milano.it"))
        entries = db.execute(select(AuditEntry.action, AuditEntry.user_id).where(
            AuditEntry.object_type == "Registrant", AuditEntry.object_id == str(verdi)).order_by(AuditEntry.id)).all()
        assert entries == [("registry_registrants.created", user), ("registry_registrants.updated", user)]


@pytest.mark.parametrize("body, field", [
    ({"last_name": "Verdi"}, "first_name"),
    ({"last_name": "Verdi", "first_name": "Luca", "email": "x"}, "email"),
    ({"last_name": "Verdi", "first_name": "Luca", "birth_date": "1990-07-31"}, "birth_date"),
    ({"last_name": "Verdi", "first_name": "Luca", "credits": {"2025": "tanti"}}, "credits"),
    ({"last_name": ["Verdi"], "first_name": "Luca"}, "last_name"),
    ({"last_name": "Verdi", "first_name": "Luca", "colore": "blu"}, "colore"),
    ({"last_name": "Verdi", "first_name": "Luca", "codice_fiscale": CF_ROSSI}, "codice_fiscale"),
])
def test_put_with_invalid_data_answers_422_and_writes_nothing(testapp, dbtx, orders, body, field):
    headers = bearer(get_token(testapp, "segreteria@milano.it")["access_token"])
    before = registry_state(dbtx)
    response = testapp.put_json(f"/milano/api/v1/registrants/{CF_VERDI}", body, headers=headers, status=422)
    assert response.content_type == "application/json"
    assert field in response.json["errors"] and response.json["errors"][field]
    assert registry_state(dbtx) == before


def test_malformed_bodies_answer_400(testapp, orders):
    headers = bearer(get_token(testapp, "segreteria@milano.it")["access_token"])
    url = f"/milano/api/v1/registrants/{CF_VERDI}"
    assert "JSON" in testapp.put(url, b"{", headers={**headers, "Content-Type": "application/json"}, status=400).json["error"]
    assert "JSON" in testapp.put(url, b"\xff\xfe", headers={**headers, "Content-Type": "application/json"}, status=400).json["error"]
    assert "oggetto" in testapp.put_json(url, [1], headers=headers, status=400).json["error"]
    assert "lista" in testapp.post_json("/milano/api/v1/registrants/batch", {"a": 1}, headers=headers, status=400).json["error"]


def test_batch_is_all_or_nothing(testapp, dbtx, orders):
    headers = bearer(get_token(testapp, "segreteria@milano.it")["access_token"])
    batch = [{"codice_fiscale": CF_VERDI, "last_name": "Verdi", "first_name": "Luca"},
             {"codice_fiscale": CF_ROSSI, "email": "non-valida"}]
    before = registry_state(dbtx)
    refused = testapp.post_json("/milano/api/v1/registrants/batch", batch, headers=headers, status=422).json
    bad_email = "«non-valida» non è un indirizzo di posta valido (ad esempio nome@dominio.it)."
    assert refused["results"] == [{"index": 1, "codice_fiscale": CF_ROSSI, "errors": {"email": bad_email}}]
    assert refused["errors"] == {"1.email": bad_email}
    assert registry_state(dbtx) == before

    duplicated = testapp.post_json("/milano/api/v1/registrants/batch", [batch[0], batch[0]], headers=headers,
                                   status=422).json
    assert [item["index"] for item in duplicated["results"]] == [0, 1]
    assert registry_state(dbtx) == before
    for bad in ([], [1, 2], [batch[0]] * 1001):
        testapp.post_json("/milano/api/v1/registrants/batch", bad, headers=headers, status=422)

    batch[1]["email"] = "mario@nuova.it"
    done = testapp.post_json("/milano/api/v1/registrants/batch", batch, headers=headers).json
    assert done["results"][0]["created"] is True and done["results"][1] == {
        "index": 1, "codice_fiscale": CF_ROSSI, "created": False, "changed": ["email"]}
    again = testapp.post_json("/milano/api/v1/registrants/batch", batch, headers=headers).json
    assert [item["changed"] for item in again["results"]] == [[], []]


def test_authentication_permissions_and_tenancy(testapp, dbtx, orders):
    url = "/milano/api/v1/registrants"
    anonymous = testapp.get(url, status=401)
    assert anonymous.content_type == "application/json" and "Bearer" in anonymous.json["error"]
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert testapp.get(url, headers={"Authorization": "Bearer non.un.token"}, status=401).json["error"]

    # A token for one Order does not open another's URLs, even for a user who belongs to both.
    for_milano = bearer(get_token(testapp, "entrambi@ordini.it", tenant="milano")["access_token"])
    testapp.get(url, headers=for_milano, status=200)
    assert testapp.get("/roma/api/v1/registrants", headers=for_milano, status=401).json["error"]
    before = registry_state(dbtx)
    testapp.put_json(f"/roma/api/v1/registrants/{CF_BIANCHI}", {"email": "x@y.it"}, headers=for_milano, status=401)
    assert registry_state(dbtx) == before
    unbound = bearer(get_token(testapp, "entrambi@ordini.it", tenant=None)["access_token"])
    assert testapp.get("/roma/api/v1/registrants", headers=unbound).json["total"] == 1
    # To a user of another Order, as on the pages, this Order's resources do not exist.
    outsider = bearer(get_token(testapp, "segreteria@milano.it", tenant=None)["access_token"])
    assert testapp.get("/roma/api/v1/registrants", headers=outsider, status=404).json == {"error": "Risorsa non trovata."}

    # The session cookie is never a credential on API paths.
    login(testapp, "segreteria@milano.it")
    testapp.get(url, status=401)

    viewer = bearer(get_token(testapp, "consultazione@milano.it")["access_token"])
    before = registry_state(dbtx)
    refused = testapp.put_json(f"/milano/api/v1/registrants/{CF_ROSSI}", {"email": "a@b.it"}, headers=viewer, status=403)
    assert refused.json["error"] and registry_state(dbtx) == before
    gestore = bearer(get_token(testapp, "gestore@milano.it")["access_token"])
    assert testapp.get(url, headers=gestore, status=403).json["error"]


def test_every_api_error_is_json(testapp, orders):
    headers = bearer(get_token(testapp, "segreteria@milano.it")["access_token"])
    for method, url, status in (("get", "/nessuno/api/v1/registrants", 404), ("get", "/milano/api/v1/nulla", 404),
                                ("delete", f"/milano/api/v1/registrants/{CF_ROSSI}", 404),
                                ("get", "/api/v1/auth/token", 404)):
        response = getattr(testapp, method)(url, headers=headers, status=status)
        assert response.content_type == "application/json" and response.json["error"]


def test_openapi_document_is_valid_and_lists_the_paths(testapp, orders):
    response = testapp.get("/api/v1/openapi.json")
    document = json.loads(response.text)
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    assert {"/auth/token", "/openapi.json", "/registrants", "/registrants/{codice_fiscale}",
            "/registrants/batch"} <= set(document["paths"])
    assert set(document["paths"]["/registrants/{codice_fiscale}"]) >= {"get", "put"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["servers"][0]["url"].endswith("/{tenant}/api/v1")
    assert document["paths"]["/auth/token"]["servers"][0]["url"].endswith("/api/v1")
    properties = document["paths"]["/registrants/{codice_fiscale}"]["put"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]
    assert {"last_name", "category", "credits", "specialisations"} <= set(properties)
    assert document == json.loads(testapp.get("/api/v1/openapi.json").text)  # built afresh, not mutated
