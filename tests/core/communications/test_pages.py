"""The compose page and the log: what they offer, bad input refused with nothing protocolled nor queued,
permissions, and the Orders kept apart."""
import pytest

from occ_core.testing.factories import login, make_tenant, make_user

from .conftest import compose_form, counts


def test_the_compose_page_offers_the_parties_with_their_addresses(case, as_user, dbtx):
    testapp = as_user("segreteria")
    page = testapp.get(f"{case.base}/new?modello=convocazione_incontro")
    assert "Convocazione all'incontro" in page.forms["compose-form"]["oggetto"].value
    text = page.text
    for address in ("anna.verdi@example.it", "legale@pec.bancalombarda.it", "paolo.neri@studio.it",
                    "dp.milano@pce.agenziaentrate.it"):
        assert address in text
    assert "suggerito per la residenza del debitore" in text
    preview = page.forms["compose-form"].submit("azione", value="anteprima")
    assert "Anteprima" in preview.text and case.reference in preview.html.find(id="preview-subject").text
    assert counts(dbtx, case) == (0, 0, 0)


@pytest.mark.parametrize("change, message", [
    ({"recipients": ()}, "Scelga almeno un destinatario"),
    ({"channel": "fax"}, "il canale di invio «fax» non è disponibile"),
    ({"testo": "Gentile {{ destinatario_ignoto }}"}, "destinatario_ignoto"),
    ({"oggetto": "{% if %}"}, "non è scritto correttamente"),
    ({"modello": "modello_inesistente"}, "Il modello scelto non esiste"),
    ({"modello": "convocazione_incontro"}, "fissi prima l'incontro nell'agenda"),
    ({"documento": "999999"}, "non è più nel fascicolo"),
    ({"testo": "{{ 'x' * 10**10 }}"}, "il risultato sarebbe troppo grande"),
    ({"testo": "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"},
     "richiede troppi passaggi"),
    ({"testo": "{{ " + "(" * 200 + "1" + ")" * 200 + " }}"}, "troppe parentesi"),
])
def test_bad_input_is_refused_and_nothing_is_protocolled_nor_queued(case, as_user, post_compose, dbtx, change,
                                                                    message):
    as_user("segreteria")
    page = post_compose(case, compose_form(case, **change), status=400)
    assert message in page.text
    assert counts(dbtx, case) == (0, 0, 0)


def test_permissions(case, testapp, as_user, post_compose):
    assert "/login" in testapp.get(case.base, status=302).location
    reader = as_user("consultazione")
    reader.get(case.base)
    reader.get(f"{case.base}/new", status=403)
    post_compose(case, compose_form(case), status=403)
    reader.get(f"/{case.tenant.slug}/settings/notices", status=403)
    as_user("segreteria").get(f"/{case.tenant.slug}/settings/offices", status=403)
    as_user("amministratore").get(f"/{case.tenant.slug}/settings/offices")


def test_another_order_sees_nothing_of_the_communications(case, dbtx, pm, testapp, as_user, post_compose):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
        make_user(db, "admin@roma.it", roma, "amministratore")
    as_user("segreteria")
    post_compose(case, compose_form(case))
    testapp.reset()
    login(testapp, "admin@roma.it")
    testapp.get(f"/roma/dossiers/{case.dossier_id}/communications", status=404)
    testapp.get(f"/roma/dossiers/{case.dossier_id}/communications/1", status=404)
    testapp.get(case.base, status=404)
    assert "DP Milano" not in testapp.get("/roma/settings/offices").text


def test_the_order_configures_its_tax_offices(case, as_user, dbtx):
    admin = as_user("amministratore")
    page = admin.get(f"/{case.tenant.slug}/settings/offices")
    form = page.forms["office-form"]
    form["kind"], form["name"], form["province"] = "riscossione", "Agenzia delle Entrate-Riscossione", "Roma"
    refused = form.submit(status=400)
    assert "indicare la PEC o l'indirizzo email" in refused.text and "sigla di due lettere" in refused.text
    form = refused.forms["office-form"]
    form["province"], form["pec"] = "", "protocollo@pec.agenziariscossione.gov.it"
    listing = form.submit().follow()
    assert "Agenzia delle Entrate-Riscossione" in listing.text and "Tutti i debitori" in listing.text
