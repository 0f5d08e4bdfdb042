"""The Order chooses how oggetto, mittente and destinatari are corrected: kept with the earlier value (DPCM
3 dicembre 2013 art. 8, the default) or only by annulment (Linee guida AgID)."""
import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.errors import UserError
from occ_core.protocol import services
from occ_core.protocol.models import Registration
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token


def choose(testapp, reading, status=302):
    return testapp.post("/milano/settings/protocol", {"csrf_token": csrf_token(testapp), "corrections": reading},
                        status=status)


def test_corrections_of_the_subject_follow_the_orders_reading(testapp, as_role, order, register, protocol_env, dbtx,
                                                               snapshot):
    registration_id = register()
    as_role("amministratore")
    page = testapp.get("/milano/settings").click(linkid="protocol-settings-link")
    assert page.html.select_one("#corrections-corregge")["checked"] == "checked"  # the default
    choose(testapp, "annulla")
    with dbtx() as db:
        assert db.get(Tenant, order.id).preferences["protocol"] == {"corrections": "annulla"}
        assert db.scalar(select(AuditEntry.details).where(AuditEntry.action == "protocol.settings.changed")) == {
            "corrections": "annulla"}
    before = snapshot()
    with pytest.raises(UserError, match="Oggetto: per le regole scelte dall'Ordine non si corregge"):
        with protocol_env(order) as env:
            services.correct(env, env.dbsession.get(Registration, registration_id),
                             {"subject": "Altro oggetto"}, "Refuso")
    assert snapshot() == before
    # What is not oggetto, mittente or destinatari is corrected under either reading.
    with protocol_env(order) as env:
        services.correct(env, env.dbsession.get(Registration, registration_id),
                         {"received_doc_number": "42/2026"}, "Numero letto male")
    choose(testapp, "corregge")
    with protocol_env(order) as env:
        corrections = services.correct(env, env.dbsession.get(Registration, registration_id),
                                       {"subject": "Altro oggetto"}, "Refuso")
        assert [(c.field, c.new_value) for c in corrections] == [("subject", "Altro oggetto")]


def test_only_the_administrator_chooses_and_only_the_two_readings(testapp, as_role, order, dbtx):
    as_role("segreteria")
    testapp.get("/milano/settings/protocol", status=403)
    as_role("amministratore")
    page = choose(testapp, "qualsiasi", status=400)
    assert "Scelga una delle due regole proposte." in page.html.select_one("#form-error").text
    with dbtx() as db:
        assert "protocol" not in (db.get(Tenant, order.id).preferences or {})


def test_under_annulment_only_the_page_corrects_the_other_fields(testapp, as_role, order, register):
    registration_id = register()
    as_role("amministratore")
    choose(testapp, "annulla")
    url = f"/milano/protocol/{registration_id}"
    form = testapp.get(url).html
    assert form.select_one("#annul-only-note") is not None
    assert form.select_one("#c-subject").has_attr("readonly") and form.select_one("#c-mittente_name").has_attr("readonly")
    fields = {field["name"]: field.get("value", field.text) for field in
              form.select("#correct-box input[name], #correct-box textarea[name]") if field["name"] != "csrf_token"}
    token = csrf_token(testapp)
    # The unchanged oggetto and mittente travel with the form and are no obstacle.
    page = testapp.post(f"{url}/correct", {**fields, "csrf_token": token, "means": "raccomandata",
                                           "reason": "Arrivata per posta"}).follow()
    assert "Correzione registrata (mezzo di ricezione o di spedizione)" in page.text
    refused = testapp.post(f"{url}/correct", {**fields, "csrf_token": token, "subject": "Altro oggetto",
                                              "reason": "Refuso"}, status=400)
    assert "Oggetto: per le regole scelte dall'Ordine non si corregge" in refused.text
