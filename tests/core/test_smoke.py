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


def test_wrong_password_is_refused_in_italian(testapp, dbtx, pm):
    with dbtx() as db:
        make_user(db, "a@b.it")
    page = login(testapp, "a@b.it", "sbagliata-123", status=400)
    assert "Email o password non corretti" in page.text
