"""The protocol's pages: list, filters and CSV; registering by hand and from a PEC; a registration's page with
its downloads and forms; the dossier's tab; who may do what."""
import hashlib

import pytest
from lxml import etree

from occ_core.clock import today
from occ_core.documents import samples
from occ_core.protocol import pec_import, services
from occ_core.testing.factories import csrf_token, make_tenant, make_user
from occ_core.testing.shared_data import SHARED_DATA

from .conftest import documents, incoming, outgoing

LIST = "/milano/protocol"


def registration_url(registration_id):
    return f"{LIST}/{registration_id}"


def test_list_filters_and_csv(order, register, as_role, testapp):
    first = register(incoming(subject="Precisazione del credito Banca Alfa"))
    register(outgoing(subject="Convocazione dei creditori"))
    as_role("segreteria")
    page = testapp.get(LIST)
    assert [row["data-number"] for row in page.html.select("#registrations tbody tr")] == ["2", "1"]
    assert page.html.find(id="codes-warning") is not None  # the Order has no IPA codes yet
    filtered = testapp.get(LIST, {"direction": "entrata"})
    assert [row["data-number"] for row in filtered.html.select("#registrations tbody tr")] == ["1"]
    assert [row["data-number"] for row in testapp.get(LIST, {"q": "convocazione"}).html.select(
        "#registrations tbody tr")] == ["2"]
    for number in ("0000001", f"PROT {today().year}-0000001"):  # the second as the list shows it
        found = testapp.get(LIST, {"q": number})
        assert [a["href"] for a in found.html.select("#registrations tbody th a")] == [
            f"http://127.0.0.1:6543{registration_url(first)}"]
    bad = testapp.get(LIST, {"year": "duemila", "dossier": "Rossi"}, status=400)
    assert "Anno: «duemila» non è valido" in bad.text and "indichi numero e anno" in bad.text
    export = testapp.get(filtered.html.find(id="export-link")["href"])
    assert export.content_type == "text/csv" and export.body.startswith(b"\xef\xbb\xbf")
    lines = export.body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Registro;Anno;Numero;Data e ora di registrazione;Direzione;Oggetto;Mittente")
    assert len(lines) == 2 and ";0000001;" in lines[1] and "Banca Alfa S.p.A. (01234560017)" in lines[1]


def test_the_pager_links_only_to_pages_that_exist(order, protocol_env, as_role, testapp):
    with protocol_env(order) as env:
        for _ in range(26):  # one more than a page
            services.register(env, incoming(), documents())
    as_role("consultazione")

    def links(page):
        return {a.text: a.get("href") for a in page.html.select(".pagination a")}

    first = links(testapp.get(LIST))
    assert first["Precedente"] is None and "page=2" in first["Successiva"]
    last = links(testapp.get(LIST, {"page": "2"}))
    assert "page=1" in last["Precedente"] and last["Successiva"] is None


def test_correspondents_are_written_for_people(order, register, as_role, testapp):
    sender = {"name": "Costa Paola", "tax_code": "CSTPLA58S42C933B", "address": "costa.paola@pec.it"}
    incoming_id = register(incoming(mittente=sender))
    outgoing_id = register(outgoing(destinatari=["no-reply@example.com; ; no-reply@example.com",
                                                 "Banca Alfa S.p.A.; 01234560017; banca.alfa@pec.example.it",
                                                 "Ufficio postale"]))
    as_role("consultazione")
    page = testapp.get(registration_url(incoming_id))
    assert page.html.find(id="senders").text == "Costa Paola (CF CSTPLA58S42C933B) – costa.paola@pec.it"
    page = testapp.get(registration_url(outgoing_id))
    assert [li.text for li in page.html.select("#recipients li")] == [
        "no-reply@example.com", "Banca Alfa S.p.A. (CF 01234560017) – banca.alfa@pec.example.it", "Ufficio postale"]


def post_new(testapp, token, files=None, status=302, **fields):
    params = {"csrf_token": token, "direction": "entrata", "subject": "Istanza di accesso", "means": "pec",
              "mittente_name": "Rossi Mario", "mittente_tax_code": "RSSMRA80E17F205X",
              "mittente_address": "mario.rossi@example.it", "dossier": "1/2025 – Rossi Mario", **fields}
    upload = [("primary", "istanza.pdf", samples.pdf("Istanza"))] if files is None else files
    return testapp.post(f"{LIST}/new", params, upload_files=upload, status=status)


def test_new_registration_with_attachments(order, as_role, testapp):
    as_role("segreteria")
    token = csrf_token(testapp)
    form = testapp.get(f"{LIST}/new?dossier=1/2025")
    assert form.html.find(id="f-dossier")["value"] == "1/2025"
    assert form.html.find(id="files-again") is None  # the notice is for a form shown again after an error
    assert all(form.html.find("label", attrs={"for": field.get("id")}) for field in
               form.html.select("#protocol-new-form input:not([type=hidden]), #protocol-new-form select, "
                                "#protocol-new-form textarea"))
    attachments = [("attachments", "allegato-1.pdf", samples.pdf("A1")), ("attachments", "foto.png", samples.png())]
    response = post_new(testapp, token, [("primary", "istanza.pdf", samples.pdf("Istanza")), *attachments])
    page = response.follow()
    assert "Registrazione di protocollo PROT" in page.text and "eseguita" in page.text
    assert page.html.find(id="protocol-number").text == "0000001"
    assert [code.text for code in page.html.select(".occ-sha256-hex")] == [
        hashlib.sha256(content).hexdigest() for content in (samples.pdf("Istanza"), samples.pdf("A1"), samples.png())]
    assert "archiviato nel fascicolo della pratica" in page.text


@pytest.mark.parametrize(("fields", "files", "message"), [
    ({"subject": ""}, None, "Oggetto: campo obbligatorio"),
    ({"mittente_name": ""}, None, "Mittente: indichi il nome o la denominazione"),
    ({"dossier": "77/2025"}, None, "La pratica «77/2025» non esiste"),
    ({}, [], "Documento principale: Selezioni il file"),
    ({}, [("primary", "virus.exe", samples.executable())], "Il tipo del file non è ammesso"),
    ({"received_doc_date": "31/02/2025"}, None, "Data del documento ricevuto: la data «31/02/2025» non è valida"),
])
def test_new_registration_with_bad_input_writes_nothing(order, as_role, testapp, snapshot, fields, files, message):
    as_role("segreteria")
    token = csrf_token(testapp)
    before = snapshot()
    page = post_new(testapp, token, files, status=400, **fields)
    assert "Non è stato salvato nulla" in page.text and message in page.text
    assert page.html.find(id="f-subject").text == fields.get("subject", "Istanza di accesso")
    # What was typed comes back, even a wrong date (which a date input would show as empty).
    typed = page.html.find(id="f-received_doc_date")
    assert (typed["value"], typed["type"]) == (fields.get("received_doc_date", ""),
                                               "text" if "received_doc_date" in fields else "date")
    assert " ".join(page.html.find(id="files-again").text.split()) == (
        "Selezioni di nuovo i documenti: per sicurezza il browser non li conserva dopo un errore.")
    assert "files-again" in page.html.find(id="f-primary")["aria-describedby"]
    assert snapshot() == before


def test_a_pec_is_protocolled_into_a_dossier(order, as_role, testapp, snapshot):
    as_role("segreteria")
    token = csrf_token(testapp)
    raw = (SHARED_DATA / "pec" / "go-pec__email_3.eml").read_bytes()
    form = testapp.get(f"/milano/dossiers/{order.dossier_id}/protocol").click(href="protocol/pec")
    assert form.html.find(id="f-dossier")["value"] == "1/2025" and form.html.find(id="files-again") is None
    page = testapp.post(f"{LIST}/pec", {"csrf_token": token, "dossier": "1/2025"},
                        upload_files=[("file", "messaggio.eml", raw)]).follow()
    assert "postacert.eml" in page.text and "CZPXCJRZKQDRVYXFAZYUIAWNACDAAHEVAEXAKN@example.com" in page.text
    tab = testapp.get(f"/milano/dossiers/{order.dossier_id}/protocol")
    assert [row["data-number"] for row in tab.html.select("#registrations tbody tr")] == ["1"]
    before = snapshot()
    again = testapp.post(f"{LIST}/pec", {"csrf_token": token}, upload_files=[("file", "messaggio.eml", raw)],
                         status=400)
    assert "già stato protocollato" in again.text and again.html.find(id="existing-link") is not None
    assert "Selezioni di nuovo i documenti" in again.html.find(id="files-again").text
    receipt = testapp.post(f"{LIST}/pec", {"csrf_token": token}, status=400, upload_files=[
        ("file", "ricevuta.eml", (SHARED_DATA / "pec" / "java-pec-parser__accettazione.eml").read_bytes())])
    assert "ricevuta di accettazione, non corrispondenza" in receipt.text
    assert snapshot() == before


def test_downloads_of_documents_and_segnatura(order, register, as_role, testapp):
    files = documents(attachments=1)
    registration_id = register(incoming(), files)
    as_role("consultazione")
    page = testapp.get(registration_url(registration_id))
    assert page.html.find(id="correct-box") is None and page.html.find(id="annul-box") is None
    download = testapp.get(f"{registration_url(registration_id)}/files/1")
    assert download.body == files[1][1] and "allegato-1.pdf" in download.headers["Content-Disposition"]
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    testapp.get(f"{registration_url(registration_id)}/files/9", status=404)
    segnatura = testapp.get(page.html.find(id="segnatura-link")["href"])
    assert segnatura.content_type == "application/xml"
    assert etree.fromstring(segnatura.body).findtext("{*}Intestazione/{*}Oggetto") == "Precisazione del credito"


def test_annulment_through_the_page(order, register, as_role, testapp):
    registration_id = register()
    act_date = today()
    as_role("segreteria")
    token = csrf_token(testapp)
    testapp.post(f"{registration_url(registration_id)}/annul",
                 {"csrf_token": token, "reason": "x", "act_reference": "y", "act_date": act_date.isoformat()},
                 status=403)
    as_role("amministratore")
    token = csrf_token(testapp)
    refused = testapp.post(f"{registration_url(registration_id)}/annul",
                           {"csrf_token": token, "reason": "Doppione", "act_reference": "", "act_date": act_date.isoformat()},
                           status=400)
    assert "provvedimento di autorizzazione: campo obbligatorio" in refused.text
    assert refused.html.find(id="annul-box").get("open") == "open"
    page = testapp.post(f"{registration_url(registration_id)}/annul",
                        {"csrf_token": token, "reason": "Doppione", "act_reference": "Decreto n. 4",
                         "act_date": act_date.isoformat()}).follow()
    assert "Registrazione annullata" in page.html.find(id="annulment").text
    assert f"Decreto n. 4 del {act_date.strftime('%d/%m/%Y')}" in page.text
    assert page.html.find(id="subject").find("s").text == "Precisazione del credito"
    assert page.html.find(id="annul-box") is None and page.html.find(id="correct-box") is None
    listing = testapp.get(LIST, {"annulled": "si"})
    assert [row["data-number"] for row in listing.html.select("#registrations tbody tr.occ-annulled")] == ["1"]


def test_correction_assignment_and_dossier_through_the_page(order, register, as_role, testapp):
    registration_id = register()
    as_role("segreteria")
    token = csrf_token(testapp)
    url = registration_url(registration_id)
    form = testapp.get(url).html
    fields = {field["name"]: field.get("value", field.text) for field in
              form.select("#correct-box input[name], #correct-box textarea[name]") if field["name"] != "csrf_token"}
    fields["means"] = "raccomandata"
    refused = testapp.post(f"{url}/correct", {"csrf_token": token, **fields, "reason": ""}, status=400)
    assert "Motivo della correzione: campo obbligatorio" in refused.text
    page = testapp.post(f"{url}/correct", {"csrf_token": token, **fields, "reason": "Arrivata per posta"}).follow()
    assert "Correzione registrata (mezzo di ricezione o di spedizione)" in page.text
    assert [cell.text for cell in page.html.select("#corrections tbody td")][2:5] == [
        "Mezzo di ricezione o di spedizione", "PEC", "Raccomandata"]
    page = testapp.post(f"{url}/assign", {"csrf_token": token, "classification": "3.2", "assigned_to_id": "",
                                          "assigned_office": "Segreteria OCC"}).follow()
    assert "3.2" in page.html.find(id="classification").text
    assert "Segreteria OCC" in page.html.find(id="assignment").text
    bad = testapp.post(f"{url}/dossier", {"csrf_token": token, "dossier": "88/2025"}, status=400)
    assert "La pratica «88/2025» non esiste" in bad.text
    page = testapp.post(f"{url}/dossier", {"csrf_token": token, "dossier": "1/2025"}).follow()
    assert "Registrazione collegata alla pratica" in page.text


@pytest.mark.parametrize(("role", "path", "status"), [
    ("gestore", LIST, 403),
    ("gestore", f"{LIST}/new", 403),
    ("consultazione", f"{LIST}/new", 403),
    ("consultazione", f"{LIST}/pec", 403),
    ("referente", LIST, 200),
    ("consultazione", f"{LIST}/export.csv", 200),
])
def test_who_may_see_and_register(order, as_role, testapp, role, path, status):
    as_role(role)
    testapp.get(path, status=status)


def test_anonymous_visitors_are_sent_to_login(order, testapp):
    response = testapp.get(LIST, status=302)
    assert "/login" in response.location


def test_the_menu_and_the_dossier_tab(order, register, as_role, testapp):
    register(incoming(dossier="1/2025"))
    as_role("referente")
    page = testapp.get(f"/milano/dossiers/{order.dossier_id}/protocol")
    assert "Protocollo" in [a.text.strip() for a in page.html.select("#dossier-tabs a")]
    assert page.html.find(id="new-link") is None  # the referente consults, the secretariat registers
    assert [row["data-number"] for row in page.html.select("#registrations tbody tr")] == ["1"]
    as_role("gestore")
    testapp.get(f"/milano/dossiers/{order.dossier_id}/protocol", status=403)


def test_another_orders_protocol_is_never_shown(order, register, protocol_env, as_role, testapp, dbtx, pm):
    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
        make_user(db, "segreteria@roma.it", other, "segreteria")
    raw = (SHARED_DATA / "pec" / "go-pec__email_3.eml").read_bytes()
    with protocol_env(other, "segreteria@roma.it") as env:
        theirs = services.register(env, incoming(subject="Segretissimo Betaonly"), documents()).id
        pec_import.protocol_pec(env, raw)  # the same PEC may reach two Orders
    with protocol_env(order) as env:
        pec_import.protocol_pec(env, raw)
    register(incoming(subject="Nostra"))
    as_role("segreteria")
    for path in (LIST, f"{LIST}?q=Segretissimo", f"{LIST}/export.csv", f"/milano/dossiers/{order.dossier_id}/protocol"):
        assert "Betaonly" not in testapp.get(path).text
    for suffix in ("", "/files/0", "/segnatura.xml"):
        testapp.get(f"{registration_url(theirs)}{suffix}", status=404)
    token = csrf_token(testapp)
    testapp.post(f"{registration_url(theirs)}/assign", {"csrf_token": token, "classification": "1"}, status=404)


