"""The Order renames dossier states; the legal sequence stays the law's."""
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.dossiers import procedures
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login

from .conftest import open_dossier

URL = "/milano/settings/dossier-states"


def test_renamed_states_show_everywhere_and_empty_restores_the_standard(testapp, dbtx, order, tenant_env):
    with tenant_env(order) as env:
        dossier_id = open_dossier(env).id
    login(testapp, "amministratore@milano.it")
    form = testapp.get(URL).forms["states-form"]
    form["label_ISTANZA_RICEVUTA"] = "  Domanda   ricevuta "
    form["label_ARCHIVIATA"] = "Archiviata"  # the standard name: nothing to store
    page = form.submit(status=302).follow()
    assert "Nomi degli stati salvati" in page.text
    assert page.forms["states-form"]["label_ISTANZA_RICEVUTA"].value == "Domanda ricevuta"
    with dbtx() as db:
        assert db.get(Tenant, order.id).preferences[procedures.STATE_LABELS_PREFERENCE] == {
            "ISTANZA_RICEVUTA": "Domanda ricevuta"}
    summary = testapp.get(f"/milano/dossiers/{dossier_id}")
    assert summary.html.find(id="dossier-state").text == "Domanda ricevuta"
    assert "Domanda ricevuta" in testapp.get(f"/milano/dossiers/{dossier_id}/history").html.find(id="history").text
    # The sequence shown for each procedure keeps its order and uses the new name.
    assert "Domanda ricevuta" in page.html.find("details").text
    form = page.forms["states-form"]
    form["label_ISTANZA_RICEVUTA"] = ""
    form.submit(status=302)
    with dbtx() as db:
        assert procedures.STATE_LABELS_PREFERENCE not in db.get(Tenant, order.id).preferences
        changes = [e.details["changes"] for e in db.scalars(
            select(AuditEntry).where(AuditEntry.action == "dossier.state_labels.changed").order_by(AuditEntry.id))]
    assert changes == [{"ISTANZA_RICEVUTA": ["Istanza ricevuta", "Domanda ricevuta"]},
                       {"ISTANZA_RICEVUTA": ["Domanda ricevuta", "Istanza ricevuta"]}]


def test_ambiguous_or_long_names_are_refused(testapp, dbtx, order):
    login(testapp, "amministratore@milano.it")
    form = testapp.get(URL).forms["states-form"]
    form["label_RIGETTATO"] = "rigetto"
    form["label_CHIUSO"] = "x" * 61
    page = form.submit(status=400)
    assert "«rigetto» è già il nome dello stato «Rigetto»" in page.html.find(id="err-RIGETTATO").text
    assert "al massimo 60 caratteri" in page.html.find(id="err-CHIUSO").text
    assert page.forms["states-form"]["label_RIGETTATO"].value == "rigetto"
    with dbtx() as db:
        assert db.get(Tenant, order.id).preferences == {}


def test_only_the_administrator_renames_states(testapp, dbtx, order):
    assert testapp.get(URL, status=302).location.startswith("http://127.0.0.1:6543/login")
    for role in ("segreteria", "referente", "consultazione"):
        testapp.reset()
        login(testapp, f"{role}@milano.it")
        testapp.get(URL, status=403)
        testapp.post(URL, {"csrf_token": csrf_token(testapp), "label_ARCHIVIATA": "Chiusa"}, status=403)
    with dbtx() as db:
        assert db.get(Tenant, order.id).preferences == {}
