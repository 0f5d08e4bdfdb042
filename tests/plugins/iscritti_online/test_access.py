"""Who may open what: permissions, the module switched off for an Order, and Orders kept apart."""
import pytest
from pyramid.interfaces import IRoutesMapper

from occ_core.tenants import services as tenants

from iscritti_online.models import PENDING


def module_urls(registry, order, request_id=1):
    """Every route of the module, with real ids where a route takes one."""
    urls = []
    for route in registry.getUtility(IRoutesMapper).get_routes():
        if route.name.startswith("iscritti_online."):
            path = route.pattern.replace("{tenant}", order.slug)
            path = path.replace(r"{id:\d{1,9}}", str(request_id))
            urls.append(path.replace(r"{registrant_id:\d{1,9}}", str(order.registrant_id)))
    return urls


def ask_change(sign_in, post, order, pec="nuova@pec.example.it"):
    sign_in(order.iscritto)
    post(order.url("/profilo"), {"pec": pec})


@pytest.mark.parametrize("path", ["/profilo", "/richieste", "/richieste/1", "/richieste/iscritto/1", "/impostazioni"])
def test_anonymous_is_sent_to_login(testapp, make_order, path):
    order = make_order()
    response = testapp.get(order.url(path), status=302)
    assert "/login?next=" in response.location


@pytest.mark.parametrize("role, allowed, refused", [
    ("iscritto", ["/profilo"], ["/richieste", "/richieste/iscritto/{registrant}", "/impostazioni"]),
    ("segreteria", ["/richieste", "/richieste/iscritto/{registrant}"], ["/profilo", "/impostazioni"]),
    ("amministratore", ["/richieste", "/impostazioni"], ["/profilo"]),
])
def test_permissions_by_role(testapp, sign_in, make_order, role, allowed, refused):
    order = make_order()
    email = {"iscritto": order.iscritto, "segreteria": order.segreteria, "amministratore": order.amministratore}[role]
    sign_in(email)
    for path in allowed:
        testapp.get(order.url(path.format(registrant=order.registrant_id)), status=200)
    for path in refused:
        testapp.get(order.url(path.format(registrant=order.registrant_id)), status=403)


def test_menu_and_widgets_by_role(testapp, sign_in, make_order):
    order = make_order()
    sign_in(order.iscritto)
    dashboard = testapp.get(f"/{order.slug}/")
    assert dashboard.html.find("a", class_="nav-link", href=lambda h: h and h.endswith("/iscritti/profilo"))
    assert "Richieste iscritti" not in dashboard.text
    assert dashboard.html.find("h2", string="I miei dati")

    sign_in(order.segreteria)
    dashboard = testapp.get(f"/{order.slug}/")
    assert "Richieste iscritti (0)" in dashboard.text
    assert "0 richieste in attesa di approvazione." in dashboard.text
    assert "I miei dati" not in dashboard.text


def test_module_disabled_for_the_order(testapp, sign_in, post, make_order, registry, dbtx, pm, change_requests):
    order = make_order()
    ask_change(sign_in, post, order)
    [request] = change_requests(order)
    with dbtx(order.tenant_id) as db:
        tenants.set_module_enabled(db, pm, tenants.get_tenant(db, order.slug), "iscritti_online", False)

    urls = module_urls(registry, order, request.id)
    assert len(urls) == 7
    testapp.reset()
    for url in urls:
        testapp.get(url, status=404)
    for email in (order.iscritto, order.segreteria, order.amministratore):
        sign_in(email)
        for url in urls:
            testapp.get(url, status=404)
        dashboard = testapp.get(f"/{order.slug}/")
        assert "/iscritti/" not in dashboard.text
        assert "I miei dati" not in dashboard.text and "Richieste" not in dashboard.text
    registrant_page = testapp.get(f"/{order.slug}/registrants/{order.registrant_id}")
    assert "/iscritti/" not in registrant_page.text

    # Enabling it again loses nothing.
    with dbtx(order.tenant_id) as db:
        tenants.set_module_enabled(db, pm, tenants.get_tenant(db, order.slug), "iscritti_online", True)
    sign_in(order.segreteria)
    assert "Richieste iscritti (1)" in testapp.get(f"/{order.slug}/").text
    assert change_requests(order)[0].status == PENDING


def test_orders_are_kept_apart(testapp, sign_in, post, make_order, change_requests):
    alfa = make_order("alfa")
    beta = make_order("beta")
    ask_change(sign_in, post, beta, pec="solo-beta@pec.example.it")
    [beta_request] = change_requests(beta)

    # A registrant of «alfa» has no role in «beta»: nothing of it is open to them (the core answers
    # outsiders "not found" or "forbidden", depending on how much of the Order it wants to reveal).
    sign_in(alfa.iscritto)
    for url in (beta.url("/richieste"), beta.url(f"/richieste/{beta_request.id}"), beta.url("/profilo")):
        assert "solo-beta" not in testapp.get(url, status=[403, 404]).text
    testapp.get(alfa.url(f"/richieste/{beta_request.id}"), status=403)
    assert "solo-beta" not in testapp.get(alfa.url("/profilo")).text

    # The secretariat of «alfa» reviews only its own Order's requests.
    sign_in(alfa.segreteria)
    assert "Richieste iscritti (0)" in testapp.get(f"/{alfa.slug}/").text
    assert "solo-beta" not in testapp.get(alfa.url("/richieste")).text
    testapp.get(alfa.url(f"/richieste/{beta_request.id}"), status=404)
    testapp.get(alfa.url(f"/richieste/iscritto/{beta.registrant_id}"), status=404)
    post(alfa.url(f"/richieste/{beta_request.id}"), {"action": "approve"}, status=404)
    assert change_requests(beta)[0].status == PENDING


def test_a_user_with_the_permission_but_no_registrant(testapp, sign_in, make_order):
    order = make_order(activated=False)
    sign_in(order.iscritto)
    page = testapp.get(order.url("/profilo"))
    assert "Nessun iscritto collegato" in page.text
    assert "profile-form" not in page.text


def test_unknown_ids_are_not_found(testapp, sign_in, make_order):
    order = make_order()
    sign_in(order.segreteria)
    testapp.get(order.url("/richieste/999999"), status=404)
    testapp.get(order.url("/richieste/iscritto/999999999"), status=404)
    testapp.get(order.url("/richieste/9999999999"), status=404)
    testapp.get(order.url("/richieste/abc"), status=404)


def test_settings(testapp, sign_in, post, make_order, dbtx):
    order = make_order()
    with dbtx() as db:
        # Enabling the module stored the defaults.
        stored = tenants.get_tenant(db, order.slug).preferences["iscritti_online"]["fields"]
        assert (stored["pec"], stored["phone"], stored["last_name"]) == ("approval", "direct", "none")
    sign_in(order.amministratore)
    form = testapp.get(order.url("/impostazioni")).forms["policies-form"]
    assert form["pec"].value == "approval" and form["email"].value == "direct" and form["last_name"].value == "none"
    assert "status" not in form.fields and "registration_number" not in form.fields
    form["last_name"] = "approval"
    form["phone"] = "none"
    assert "Impostazioni salvate." in form.submit(status=302).follow().text
    form = testapp.get(order.url("/impostazioni")).forms["policies-form"]
    assert (form["last_name"].value, form["phone"].value) == ("approval", "none")

    assert "Scelta non valida" in post(order.url("/impostazioni"), {"phone": "sempre"}, status=400).text
    assert "non configurabili" in post(order.url("/impostazioni"), {"status": "direct"}, status=400).text
    form = testapp.get(order.url("/impostazioni")).forms["policies-form"]
    assert form["phone"].value == "none"

    sign_in(order.iscritto)
    assert "last_name" in testapp.get(order.url("/profilo")).forms["profile-form"].fields
