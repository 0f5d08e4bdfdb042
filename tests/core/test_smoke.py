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
