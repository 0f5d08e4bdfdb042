from webob import Request

from occ_core.testing.factories import login, make_tenant, make_user


def test_login_and_dashboard(testapp, dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, "segreteria@milano.it", tenant, "segreteria")
    response = login(testapp, "segreteria@milano.it")
    assert response.location.endswith("/")
    page = testapp.get("/").follow()
    assert "Cruscotto" in page.text
    assert "Ordine milano" in page.text
    assert "Moduli attivi" not in page.text  # the administrator's business


def test_the_administrator_sees_the_active_modules(testapp, dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, "admin@milano.it", tenant, "amministratore")
    login(testapp, "admin@milano.it")
    assert "Moduli attivi:" in testapp.get("/milano/").text


def test_wrong_password_is_refused_in_italian(testapp, dbtx, pm):
    with dbtx() as db:
        make_user(db, "a@b.it")
    page = login(testapp, "a@b.it", "sbagliata-123", status=400)
    assert "Email o password non corretti" in page.text


def test_pages_carry_security_headers(testapp):
    response = testapp.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_current_menu_entry_is_marked(testapp, dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, "admin@milano.it", tenant, "amministratore")
    login(testapp, "admin@milano.it")
    page = testapp.get("/milano/members")
    assert page.html.find("a", attrs={"aria-current": "page"}).text.strip() == "Utenti"


def test_operator_menu_marks_the_current_page(testapp, dbtx):
    with dbtx() as db:
        make_user(db, "op@piattaforma.it", operator=True)
    login(testapp, "op@piattaforma.it")
    assert testapp.get("/admin").html.find("a", attrs={"aria-current": "page"}).text.strip() == "Ordini"


def test_addresses_that_are_not_utf8_are_refused_not_failed(testapp, dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, "segreteria@milano.it", tenant, "segreteria")
    assert "codificati in modo errato" in testapp.get("/login?next=%ff", status=400).text
    # A path WebTest itself cannot build: straight to the application.
    request = Request.blank("/")
    request.environ["PATH_INFO"] = "/milano/dossiers/\xff"
    response = request.get_response(testapp.app)
    assert response.status_code == 400 and "codificati in modo errato" in response.text
    login(testapp, "segreteria@milano.it")
    for path in ("/milano/dossiers?q=%ff", "/milano/registrants?q=caf%e8"):
        assert "codificati in modo errato" in testapp.get(path, status=400).text
    assert "codificati" in testapp.get("/milano/api/v1/dossiers?q=%ff", status=400).json["error"]
    assert testapp.get("/milano/dossiers?q=caff%C3%A8", status=200)  # UTF-8 escapes are fine


def test_json_nested_past_the_parser_is_refused(testapp):
    body = "[" * 100_000 + "]" * 100_000
    response = testapp.post("/api/v1/auth/token", body, content_type="application/json", status=400)
    assert response.json["error"] == "Il corpo della richiesta non è JSON valido (UTF-8)."


def test_a_form_without_its_security_token_is_refused_in_italian(testapp, dbtx, pm):
    with dbtx() as db:
        make_user(db, "a@b.it")
    page = testapp.post("/login", {"email": "a@b.it", "password": "x"}, status=400)
    assert "Modulo scaduto" in page.text and "Non è stato salvato nulla" in page.text
    assert page.html.find(id="main") is not None  # the application's layout, not the framework's page
