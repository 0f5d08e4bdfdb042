"""The templates' pages and the dossier's «Modulistica» tab: versions, rollback, generation, permissions,
bad input and other Orders' templates."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from occ_core.accounts.roles import role_by_code, role_permissions, set_role_permissions
from occ_core.audit.models import AuditEntry
from occ_core.documents import samples
from occ_core.documents.models import Document
from occ_core.dossiers.pages import DOSSIER_VIEW
from occ_core.forms import library
from occ_core.forms.models import FormTemplate
from occ_core.protocol.models import Registration
from occ_core.tenants.models import Tenant
from occ_core.tenants.services import active_modules
from occ_core.testing.factories import csrf_token, login

from .conftest import odt, odt_text

BASE = "/milano/settings/forms"
EDITED = odt('<text:p>Lettera per {{ debitore.nominativo }} – pratica {{ pratica.riferimento }}</text:p>'
             '<text:p>Versione dell\'Ordine</text:p>')
BROKEN = odt("<text:p>Primo</text:p><text:p>Gentile {{ debitore.nome_completo }}</text:p>")


@pytest.fixture
def as_user(testapp, order):
    def log_in(role: str):
        testapp.reset()
        login(testapp, f"{role}@milano.it")
        return testapp

    return log_in


def upload(testapp, code, content, filename="modello.odt", status=302, **fields):
    return testapp.post(f"{BASE}/{code}", {"csrf_token": csrf_token(testapp), "activate": "1", **fields},
                        upload_files=[("file", filename, content)], status=status)


def activate(testapp, code, number, status=302):
    return testapp.post(f"{BASE}/{code}/activate", {"csrf_token": csrf_token(testapp), "number": str(number)},
                        status=status)


def active_number(dbtx, order, code):
    with dbtx(order) as db:
        return db.scalar(select(FormTemplate.active_number).where(FormTemplate.code == code))


def test_the_list_shows_every_template_and_the_catalogue(as_user):
    page = as_user("segreteria").get(BASE)
    rows = page.html.select("#templates tbody tr")
    assert [row["id"] for row in rows] == [f"template-{code}" for code in library.CODES]
    assert all("versione predefinita" in row.text for row in rows)
    catalogue = page.html.select_one("#variables").text
    assert "{{ debitore.nominativo }}" in catalogue and "Rossi Mario" in catalogue and "{{ c.importo }}" in catalogue


def test_upload_activation_and_rollback(as_user, order, dbtx, snapshot):
    testapp = as_user("segreteria")
    default = testapp.get(f"{BASE}/preventivo/versions/0/download")
    assert default.content_type == "application/vnd.oasis.opendocument.text"
    assert default.body == library.default("preventivo").content

    upload(testapp, "convocazione_incontro", EDITED, note="Con il logo")
    assert active_number(dbtx, order, "convocazione_incontro") == 1
    page = testapp.get(f"{BASE}/convocazione_incontro")
    assert "Con il logo" in page.html.select_one("#version-1").text
    assert "In uso" in page.html.select_one("#version-1").text
    assert testapp.get(f"{BASE}/convocazione_incontro/versions/1/download").body == EDITED
    preview = testapp.get(f"{BASE}/convocazione_incontro/versions/1/preview?format=odt")
    assert "Lettera per Rossi Mario – pratica 57/2026" in odt_text(preview.body)

    upload(testapp, "convocazione_incontro", odt("<text:p>Seconda {{ oggi }}</text:p>"), activate="")
    assert active_number(dbtx, order, "convocazione_incontro") == 1  # uploaded, not activated
    activate(testapp, "convocazione_incontro", 2)
    assert active_number(dbtx, order, "convocazione_incontro") == 2
    activate(testapp, "convocazione_incontro", 1)  # rollback to an earlier version
    assert active_number(dbtx, order, "convocazione_incontro") == 1
    activate(testapp, "convocazione_incontro", 0)  # back to the default
    assert active_number(dbtx, order, "convocazione_incontro") is None
    with dbtx(order) as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("forms.%"))
                             .order_by(AuditEntry.id)).all()
    assert actions == ["forms.template.uploaded", "forms.template.uploaded", "forms.template.activated",
                       "forms.template.activated", "forms.template.activated"]
    before = snapshot()
    activate(testapp, "convocazione_incontro", 7, status=400)
    assert snapshot() == before


def test_a_template_with_problems_is_refused_with_their_place_and_nothing_stored(as_user, snapshot, stored_files):
    testapp = as_user("segreteria")
    before, files = snapshot(), stored_files()
    page = upload(testapp, "preventivo", BROKEN, status=400)
    assert "Il modello non è stato caricato" in page.html.select_one("#form-error").text
    assert [item.text for item in page.html.select("#problems li")] == [
        "«{{ debitore.nome_completo }}» in paragrafo 2 del testo («Gentile {{ debitore.nome_completo }}»): "
        "«nome_completo» non è un dato disponibile: controlli il nome nell'elenco dei dati disponibili "
        "(le maiuscole contano)"]
    assert snapshot() == before and stored_files() == files


@pytest.mark.parametrize("body, problem", [
    ("<text:p>{% for a in range(10000) %}{% for b in range(10000) %}{{ a }}{% endfor %}{% endfor %}</text:p>",
     "richiede troppi passaggi: un ciclo o un calcolo è troppo lungo"),
    ("<text:p>{{ debitore.nominativo * 10**10 }}</text:p>", "il risultato sarebbe troppo grande"),
    ('<text:section text:name="Condizioni" xmlns:xlink="http://www.w3.org/1999/xlink"><text:section-source '
     'xlink:href="file:///etc/passwd"/></text:section>',
     "il documento contiene un collegamento esterno per una sezione («file:///etc/passwd»): inserisca il contenuto nel "
     "documento invece di collegarlo"),
])
def test_a_template_that_would_stall_the_server_or_fetch_files_is_refused(as_user, snapshot, body, problem):
    testapp = as_user("segreteria")
    before = snapshot()
    page = upload(testapp, "preventivo", odt(body), status=400)
    assert problem in page.html.select_one("#problems").text
    assert snapshot() == before


@pytest.mark.parametrize("files, message", [
    ([], "Selezioni il file del modello"),
    ([("file", "lettera.pdf", samples.pdf("x"))], "deve essere un documento di testo OpenDocument"),
    ([("file", "grande.odt", b"PK\x03\x04" + b"0" * 2000)], "supera la dimensione massima"),
])
def test_bad_uploads_are_refused_and_change_nothing(as_user, registry, monkeypatch, snapshot, files, message):
    monkeypatch.setitem(registry.settings, "forms.max_bytes", "1000")
    testapp = as_user("segreteria")
    before = snapshot()
    page = testapp.post(f"{BASE}/preventivo", {"csrf_token": csrf_token(testapp), "activate": "1"},
                        upload_files=files, status=400)
    assert message in page.html.select_one("#form-error").text
    assert snapshot() == before


def test_a_word_file_without_libreoffice_says_how_to_save_it(as_user, snapshot):
    testapp = as_user("segreteria")
    before = snapshot()
    docx = samples.zip_archive([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
    page = upload(testapp, "preventivo", docx, filename="modello.docx", status=400)
    assert "salvi come «Testo OpenDocument (.odt)»" in page.html.select_one("#form-error").text
    assert snapshot() == before


def test_the_order_adds_its_own_template(as_user, order, dbtx, snapshot):
    testapp = as_user("segreteria")
    form = {"csrf_token": csrf_token(testapp), "code": "lettera_avvocato", "title": "Lettera all'avvocato",
            "description": "Per il legale del debitore"}
    testapp.post(f"{BASE}/new", form, upload_files=[("file", "lettera.odt", EDITED)], status=302)
    assert "Lettera all'avvocato" in testapp.get(BASE).html.select_one("#template-lettera_avvocato").text
    assert active_number(dbtx, order, "lettera_avvocato") == 1
    before = snapshot()
    for code, message in (("preventivo", "Esiste già un modello"), ("Non va!", "lettere minuscole"),
                          ("lettera_avvocato", "Esiste già un modello")):
        page = testapp.post(f"{BASE}/new", {**form, "code": code}, upload_files=[("file", "l.odt", EDITED)],
                            status=400)
        assert message in page.html.select_one("#form-error").text
    assert snapshot() == before
    activate(testapp, "lettera_avvocato", 0, status=400)  # no default for the Order's own templates


def test_generation_from_the_dossier_tab(as_user, case, order, dbtx):
    dossier_id = case()
    testapp = as_user("segreteria")
    upload(testapp, "convocazione_incontro", EDITED)
    tab = f"/milano/dossiers/{dossier_id}/forms"
    assert "Modulistica" in testapp.get(f"/milano/dossiers/{dossier_id}/documents").text
    response = testapp.post(tab, {"csrf_token": csrf_token(testapp), "code": "convocazione_incontro",
                                  "format": "odt"}, status=302)
    page = response.follow()
    link = page.html.select_one("#generated a")
    assert link.text == "Convocazione a un incontro"
    generated = testapp.get(link["href"])
    assert "Lettera per Verdi Anna – pratica 1/2026" in odt_text(generated.body)
    with dbtx(order) as db:
        document = db.scalar(select(Document).where(Document.direction == "uscita"))
        assert (document.title, document.dossier_id) == ("Convocazione a un incontro", dossier_id)

    page = testapp.post(tab, {"csrf_token": csrf_token(testapp), "code": "ricevuta_protocollo"}, status=400)
    assert "registrazione di protocollo" in page.html.select_one("#form-error").text
    page = testapp.post(tab, {"csrf_token": csrf_token(testapp), "code": "ricevuta_protocollo",
                              "registration": "999999"}, status=400)
    assert "Scelga la registrazione di protocollo" in page.text
    page = testapp.post(tab, {"csrf_token": csrf_token(testapp), "code": "preventivo", "format": "pdf"}, status=400)
    assert "LibreOffice non è installato" in page.html.select_one("#form-error").text
    page = testapp.post(tab, {"csrf_token": csrf_token(testapp), "code": "inesistente"}, status=400)
    assert "Il modello scelto non esiste" in page.text
    with dbtx(order) as db:
        assert len(db.scalars(select(Document).where(Document.direction == "uscita")).all()) == 1


def test_permissions(testapp, as_user, case, order, dbtx):
    dossier_id = case()
    for url in (BASE, f"{BASE}/preventivo", f"{BASE}/preventivo/versions/0/download",
                f"/milano/dossiers/{dossier_id}/forms"):
        testapp.reset()
        assert "/login" in testapp.get(url, status=302).location
    consultazione = as_user("consultazione")
    for url in (BASE, f"{BASE}/preventivo", f"{BASE}/new", f"/milano/dossiers/{dossier_id}/forms"):
        consultazione.get(url, status=403)
    gestore = as_user("gestore")
    gestore.get(BASE, status=403)
    upload(gestore, "preventivo", EDITED, status=403)
    # A gestore may generate letters, but not from the Order's dossiers, which he may not see: nothing of them
    # is shown, nothing is generated or filed.
    tab = f"/milano/dossiers/{dossier_id}/forms"
    gestore.get(tab, status=403)
    gestore.post(tab, {"csrf_token": csrf_token(gestore), "code": "comunicazione_creditori", "format": "odt"},
                 status=403)
    with dbtx(order) as db:
        assert db.scalars(select(Document).where(Document.direction == "uscita")).all() == []
    # The tab links the Order's templates only for who may manage them.
    assert as_user("referente").get(tab).html.select_one("#templates-link") is None
    link = as_user("segreteria").get(tab).html.select_one("#templates-link")
    assert link["href"].endswith(BASE)


def test_a_gestore_generates_without_seeing_the_protocol_nor_the_fascicolo(as_user, case, order, dbtx, pm):
    """In an Order that lets its gestori consult the dossiers, the gestore may generate documents but neither
    consult the protocol nor download from the fascicolo."""
    dossier_id = case()
    with dbtx() as db:
        tenant = db.get(Tenant, order.id)
        role = role_by_code(db, tenant, "gestore")
        set_role_permissions(db, pm, tenant, role, role_permissions(db, pm, role, active_modules(db, pm, tenant))
                             | {DOSSIER_VIEW})
    tab = f"/milano/dossiers/{dossier_id}/forms"
    staff = as_user("segreteria")
    staff.post(tab, {"csrf_token": csrf_token(staff), "code": "nomina_gestore", "format": "odt"}, status=302)
    page = staff.get(tab)
    assert "Integrazione documentale" in page.text and page.html.select_one("#generated a")
    assert page.html.select_one("#generate-code option[value=ricevuta_protocollo]")
    with dbtx(order) as db:
        registration_id = str(db.scalar(select(Registration.id).where(Registration.dossier_id == dossier_id)))

    gestore = as_user("gestore")
    page = gestore.get(tab)
    assert page.html.select_one("#generate-registration") is None and "Integrazione documentale" not in page.text
    assert page.html.select_one("#generated-title") is None and "nomina_gestore-" not in page.text
    offered = {option["value"] for option in page.html.select("#generate-code option")}
    assert "convocazione_incontro" in offered and "ricevuta_protocollo" not in offered
    for refused in ({"code": "ricevuta_protocollo"}, {"code": "ricevuta_protocollo", "registration": registration_id},
                    {"code": "convocazione_incontro", "registration": registration_id}):
        page = gestore.post(tab, {"csrf_token": csrf_token(gestore), "format": "odt", **refused}, status=400)
        assert "riservati a chi può consultare il protocollo" in page.html.select_one("#form-error").text
        assert "lettera.pdf" not in page.text and "Integrazione documentale" not in page.text

    response = gestore.post(tab, {"csrf_token": csrf_token(gestore), "code": "convocazione_incontro",
                                  "format": "odt"}, status=200)
    assert response.content_type == "application/vnd.oasis.opendocument.text"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "Verdi Anna" in odt_text(response.body)
    with dbtx(order) as db:
        titles = db.scalars(select(Document.title).where(Document.direction == "uscita")).all()
    assert sorted(titles) == ["Convocazione a un incontro", "Nomina del gestore della crisi"]


def test_another_orders_template_is_not_found(as_user, other_order, dbtx, env_of):
    from occ_core.forms import services

    with env_of(other_order, "segreteria@torino.it") as env:
        services.create(env, "lettera_torino", "Lettera di Torino", "", EDITED, "t.odt")
    testapp = as_user("segreteria")
    for url in (f"{BASE}/lettera_torino", f"{BASE}/lettera_torino/versions/1/download",
                f"{BASE}/lettera_torino/versions/1/preview", f"{BASE}/preventivo/versions/1/download"):
        testapp.get(url, status=404)
    assert "lettera_torino" not in testapp.get(BASE).text
