"""Regressions found in the review of the registry screens and API: crafted input gives 400/422, never 500."""
import pytest

from occ_core.testing.factories import PASSWORD, csrf_token, login, make_registrant, registry_snapshot


@pytest.fixture
def registrant_id(order, dbtx):
    with dbtx() as db:
        return make_registrant(db, order).id


def test_an_api_page_number_in_other_digits_is_refused(testapp, order):
    token = testapp.post_json("/api/v1/auth/token", {"email": "segreteria@milano.it", "password": PASSWORD,
                                                     "tenant": "milano"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    # "²" passes str.isdigit() but int() refuses it; "٣" is a digit int() reads, but not an ASCII one.
    for page in ("²", "٣", "000", "123456"):
        answer = testapp.get("/milano/api/v1/registrants", {"page": page}, headers=headers, status=422).json
        assert set(answer["errors"]) == {"page"}


def test_a_file_as_a_credit_year_is_refused_politely(testapp, order, registrant_id, dbtx):
    login(testapp, "segreteria@milano.it")
    before = registry_snapshot_of(dbtx)
    page = testapp.post(f"/milano/registrants/{registrant_id}/edit",
                        {"csrf_token": csrf_token(testapp), "last_name": "Rossi", "credit_amount": "20"},
                        upload_files=[("credit_year", "anno.txt", b"2025")], status=400)
    assert "Crediti formativi" in page.text
    assert registry_snapshot_of(dbtx) == before


def registry_snapshot_of(dbtx):
    with dbtx() as db:
        return registry_snapshot(db)


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_file_as_the_import_token_is_refused_politely(testapp, order, action):
    login(testapp, "segreteria@milano.it")
    page = testapp.post("/milano/registrants/import", {"csrf_token": csrf_token(testapp), "action": action},
                        upload_files=[("token", "token.txt", b"0" * 32)], status=400)
    assert "Il file caricato non è più disponibile" in page.text


def test_a_file_as_a_search_is_ignored(testapp, order, registrant_id):
    login(testapp, "segreteria@milano.it")
    page = testapp.post("/milano/registrants", {"csrf_token": csrf_token(testapp)},
                        upload_files=[("q", "q.txt", b"Rossi")])
    assert "Rossi" in page.text
