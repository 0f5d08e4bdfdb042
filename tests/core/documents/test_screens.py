"""The documents tab: upload, versions, visibility, withdrawal, downloads and previews, permissions."""
import hashlib

import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.documents import samples, services
from occ_core.documents.models import Document, DocumentVersion
from occ_core.testing.factories import csrf_token

PDF = samples.pdf("Istanza di ristrutturazione")


def only_document(dbtx):
    with dbtx() as db:
        document = db.scalars(select(Document)).one()
        return document, [(v.version, v.sha256, v.size, v.media_type, v.filename, v.note) for v in document.versions]


def audit_rows(dbtx, action):
    with dbtx() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_upload_keeps_content_hash_size_and_type(testapp, dbtx, order, tab, upload, storage, as_role):
    as_role("segreteria")
    response = upload(tab, PDF, "istanza firmata.pdf", category="istanza", visibility="gestore",
                      description="Depositata allo sportello")
    document, versions = only_document(dbtx)
    assert response.location.endswith(f"{tab}#document-{document.id}")
    digest = hashlib.sha256(PDF).hexdigest()
    assert versions == [(1, digest, len(PDF), "application/pdf", "istanza firmata.pdf", "")]
    assert (document.category, document.visibility, document.direction, document.title) == \
        ("istanza", "gestore", "entrata", "Istanza del debitore")
    assert storage.open(digest).read() == PDF
    page = response.follow()
    assert "Istanza del debitore" in page.text and "caricato nel fascicolo" in page.text
    row = page.html.select_one(f"#document-{document.id} tr.occ-version")
    assert digest in row.text and "PDF" in row.text and "Segreteria Milano" in row.text
    [entry] = audit_rows(dbtx, "document.uploaded")
    assert entry.details["sha256"] == digest and entry.details["dossier_id"] == order.dossier_id


def test_type_comes_from_content_not_from_name_or_browser(testapp, dbtx, order, tab, upload, stored_files,
                                                          counts, as_role):
    as_role("segreteria")
    # A PDF with a program's name and content type is a PDF, and is downloaded as one.
    upload(tab, PDF, "scansione.exe", content_type="application/x-msdownload")
    document, versions = only_document(dbtx)
    assert versions[0][3] == "application/pdf"
    download = testapp.get(f"{tab}/{document.id}/versions/1/download")
    assert download.content_type == "application/pdf"
    assert 'filename="scansione.pdf"' in download.headers["Content-Disposition"]
    # A program named and sent as a PDF is refused, and nothing is kept of it.
    before, files = counts(), stored_files()
    page = upload(tab, samples.executable(), "istanza.pdf", content_type="application/pdf", status=400)
    assert "Il tipo del file non è ammesso" in page.html.select_one("#form-error").text
    assert counts() == before and stored_files() == files


@pytest.mark.parametrize(("content", "label"), [
    (samples.p7m(PDF), "Firmato digitalmente"), (samples.png(), "Immagine PNG"), (samples.odt(), "OpenDocument"),
    (samples.docx(), "Documento Word"), (samples.fattura_xml(), "XML"), (samples.csv_text(), "CSV"),
    (samples.eml(), "Messaggio email"), (samples.tiff(), "TIFF"), (samples.jpeg(), "JPEG"),
])
def test_every_accepted_type_uploads(testapp, dbtx, order, tab, upload, as_role, content, label):
    as_role("segreteria")
    page = upload(tab, content, "file.bin").follow()
    assert label in page.html.select_one("tr.occ-version").text


def test_new_versions_are_kept_and_identical_content_is_refused(testapp, dbtx, order, tab, upload, counts,
                                                                as_role):
    as_role("referente")
    upload(tab, PDF, "elenco.pdf", category="elenco_creditori", title="Elenco dei creditori")
    document, _ = only_document(dbtx)
    versions_url = f"{tab}/{document.id}/versions"
    second = samples.pdf("Elenco aggiornato")
    upload(versions_url, second, "elenco-v2.pdf", note="Aggiunta la banca Gamma")
    before = counts()
    page = upload(versions_url, second, "copia.pdf", status=400)
    assert "identico alla versione corrente (n. 2)" in page.text
    assert counts() == before
    upload(versions_url, PDF, "elenco-originale.pdf")
    _, versions = only_document(dbtx)
    assert [(v[0], v[1]) for v in versions] == [(1, hashlib.sha256(PDF).hexdigest()),
                                                (2, hashlib.sha256(second).hexdigest()),
                                                (3, hashlib.sha256(PDF).hexdigest())]
    assert versions[1][5] == "Aggiunta la banca Gamma"
    assert versions[2][5] == "Contenuto identico alla versione n. 1."
    assert testapp.get(f"{tab}/{document.id}/versions/2/download").body == second
    assert testapp.get(f"{tab}/{document.id}/versions/1/download").body == PDF
    page = testapp.get(tab)
    assert [row["data-version"] for row in page.html.select(f"#document-{document.id} tr.occ-version")] == \
        ["3", "2", "1"]
    assert len(audit_rows(dbtx, "document.uploaded")) == 3


def test_size_limit_from_settings(testapp, registry, dbtx, order, tab, upload, counts, stored_files, as_role):
    as_role("segreteria")
    saved = registry.settings["occ.document_max_bytes"]
    registry.settings["occ.document_max_bytes"] = "2048"
    try:
        before, files = counts(), stored_files()
        page = upload(tab, samples.pdf("x" * 3000), status=400)
        assert "supera la dimensione massima consentita di 2 kB" in page.html.select_one("#form-error").text
        assert counts() == before and stored_files() == files
        upload(tab, samples.pdf("piccolo"))
    finally:
        registry.settings["occ.document_max_bytes"] = saved
    assert registry.settings["occ.document_max_bytes"] == str(25 * 1024 * 1024)


BAD_INPUT = {
    "no file": ({}, None, "Selezioni il file da caricare", "upload-file"),
    "empty file": ({}, b"", "Il file è vuoto", "upload-file"),
    "unknown category": ({"category": "segreti"}, PDF, "Scelga la categoria", "upload-category"),
    "no category": ({"category": ""}, PDF, "Scelga la categoria", "upload-category"),
    "no title": ({"title": "   "}, PDF, "Indichi il titolo", "upload-title-field"),
    "long title": ({"title": "x" * 201}, PDF, "al massimo 200 caratteri", "upload-title-field"),
    "unknown visibility": ({"visibility": "tutti"}, PDF, "Scelga chi può vedere", "upload-visibility"),
    "unknown direction": ({"direction": "laterale"}, PDF, "in entrata, in uscita o interno", "upload-direction"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_writes_and_stores_nothing(testapp, order, tab, upload, counts, stored_files, as_role, case):
    fields, content, message, invalid = BAD_INPUT[case]
    as_role("segreteria")
    before, files = counts(), stored_files()
    page = upload(tab, content, **{"title": "Busta paga di marzo", "description": "Da verificare", **fields},
                  status=400)
    assert message in page.html.select_one("#form-error").text
    assert [tag["id"] for tag in page.html.select("[aria-invalid=true]")] == [invalid]
    assert counts() == before and stored_files() == files
    form = page.html.select_one("#upload-form")
    if "title" not in fields:  # what was typed is kept for the next try
        assert form.select_one("#upload-title-field")["value"] == "Busta paga di marzo"
        assert form.select_one("#upload-description").text == "Da verificare"


def test_a_form_sent_without_choosing_a_file(testapp, order, tab, upload, counts, as_role):
    as_role("segreteria")
    before = counts()
    page = upload(tab, b"", filename="", status=400)  # what a browser sends when no file was chosen
    assert "Selezioni il file da caricare" in page.text
    assert counts() == before


def test_anonymous_posts_write_nothing(testapp, order, tab, counts):
    before = counts()
    testapp.post(tab, {"category": "istanza", "title": "x"}, upload_files=[("file", "a.pdf", PDF)],
                 expect_errors=True)
    assert counts() == before


def test_text_posted_in_place_of_the_file_is_no_file(testapp, order, tab, counts, as_role):
    as_role("segreteria")
    before = counts()
    page = testapp.post(tab, {"csrf_token": csrf_token(testapp), "file": "non un file", "category": "istanza",
                              "title": "x", "direction": "entrata", "visibility": "interno"}, status=400)
    assert "Selezioni il file" in page.text
    assert counts() == before


def test_visibility_change_is_audited(testapp, dbtx, order, tab, upload, as_role):
    as_role("segreteria")
    upload(tab, PDF)
    document, _ = only_document(dbtx)
    token = csrf_token(testapp)
    testapp.post(f"{tab}/{document.id}/visibility", {"csrf_token": token, "visibility": "creditori"}, status=302)
    document, _ = only_document(dbtx)
    assert document.visibility == "creditori"
    changes = [e.details["changes"] for e in audit_rows(dbtx, "documents.updated")]
    assert {"visibility": ["interno", "creditori"]} in changes
    page = testapp.post(f"{tab}/{document.id}/visibility", {"csrf_token": token, "visibility": "pubblico"},
                        status=400)
    assert "Scelga chi può vedere" in page.text
    assert only_document(dbtx)[0].visibility == "creditori"


def test_withdrawal_keeps_the_document_marked_with_the_reason(testapp, dbtx, order, tab, upload, as_role):
    as_role("segreteria")
    upload(tab, PDF)
    document, _ = only_document(dbtx)
    token = csrf_token(testapp)
    url = f"{tab}/{document.id}/withdraw"
    page = testapp.post(url, {"csrf_token": token, "reason": ""}, status=400)
    assert "Indichi il motivo del ritiro" in page.text
    assert only_document(dbtx)[0].withdrawn_at is None
    testapp.post(url, {"csrf_token": token, "reason": "Caricato per errore nella pratica sbagliata"}, status=302)
    document, versions = only_document(dbtx)
    assert document.withdrawn_at is not None and len(versions) == 1
    assert document.withdrawn_reason == "Caricato per errore nella pratica sbagliata"
    article = testapp.get(tab).html.select_one(f"#document-{document.id}")
    assert "Ritirato" in article.text and "Caricato per errore" in article.text
    assert testapp.get(f"{tab}/{document.id}/versions/1/download").body == PDF
    assert "già stato ritirato" in testapp.post(url, {"csrf_token": token, "reason": "di nuovo"}, status=400).text
    page = testapp.post(f"{tab}/{document.id}/versions", {"csrf_token": token},
                        upload_files=[("file", "nuova.pdf", samples.pdf("nuova"))], status=400)
    assert "è stato ritirato" in page.text
    assert [e.details["changes"]["withdrawn_reason"][1] for e in audit_rows(dbtx, "documents.updated")] == \
        ["Caricato per errore nella pratica sbagliata"]


def test_every_download_and_preview_is_audited(testapp, dbtx, order, tab, upload, as_role):
    as_role("segreteria")
    upload(tab, PDF, "istanza.pdf")
    upload(tab, samples.csv_text(), "creditori.csv", category="elenco_creditori", title="Elenco")
    with dbtx() as db:
        pdf_doc, csv_doc = db.scalars(select(Document).order_by(Document.id)).all()
        pdf_version = db.scalar(select(DocumentVersion.id).where(DocumentVersion.document_id == pdf_doc.id))
    as_role("consultazione")
    for _ in range(2):
        download = testapp.get(f"{tab}/{pdf_doc.id}/versions/1/download")
    assert download.body == PDF
    assert download.headers["Content-Disposition"].startswith('attachment; filename="istanza.pdf"')
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "no-store" in download.headers["Cache-Control"]
    preview = testapp.get(f"{tab}/{pdf_doc.id}/versions/1/preview")
    assert preview.content_type == "application/pdf" and preview.body == PDF
    assert preview.headers["Content-Disposition"].startswith("inline;")
    assert preview.headers["Content-Security-Policy"].startswith("sandbox")
    # A CSV cannot be shown safely in the browser: its "preview" is a download, and is audited as one.
    csv_preview = testapp.get(f"{tab}/{csv_doc.id}/versions/1/preview")
    assert csv_preview.headers["Content-Disposition"].startswith("attachment;")
    assert csv_preview.content_type == "text/csv" and csv_preview.charset == "utf-8"
    downloads = audit_rows(dbtx, "document.downloaded")
    previews = audit_rows(dbtx, "document.previewed")
    assert len(downloads) == 3 and len(previews) == 1
    assert previews[0].object_type == "DocumentVersion" and previews[0].object_id == str(pdf_version)
    assert previews[0].details["dossier_id"] == order.dossier_id and previews[0].details["version"] == 1
    with dbtx() as db:
        consultazione = db.scalar(select(AuditEntry.user_id).where(AuditEntry.action == "document.previewed"))
        assert consultazione != db.scalar(select(AuditEntry.user_id).where(AuditEntry.action == "document.uploaded"))
    assert {e.details["document_id"] for e in downloads} == {pdf_doc.id, csv_doc.id}


def test_unsafe_file_names_are_cleaned(testapp, dbtx, order, tab, upload, as_role):
    as_role("segreteria")
    upload(tab, PDF, "..\\..\\Windows\\nome\tstrano €.pdf")
    document, versions = only_document(dbtx)
    assert versions[0][4] == "nomestrano €.pdf"
    disposition = testapp.get(f"{tab}/{document.id}/versions/1/download").headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"nomestrano_.pdf\"; filename*=UTF-8''nomestrano%20%E2%82%AC.pdf"


@pytest.mark.parametrize(("name", "clean"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\a.pdf", "a.pdf"), ('a"b\r\nc.pdf', 'a"bc.pdf'),
    ("...", "documento"), ("", "documento"), ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_clean_filename(name, clean):
    assert services.clean_filename(name) == clean


def test_content_disposition_quotes_what_it_must():
    header = services.content_disposition("attachment", 'a"b;c\\d.pdf')
    assert header == "attachment; filename=\"a_b_c_d.pdf\"; filename*=UTF-8''a%22b%3Bc%5Cd.pdf"


def test_missing_ids_are_not_found(testapp, dbtx, order, tab, upload, new_dossier, as_role):
    as_role("segreteria")
    upload(tab, PDF)
    document, _ = only_document(dbtx)
    other = new_dossier(order, 2)
    for url in ("/milano/dossiers/999/documents", "/milano/dossiers/abc/documents",
                f"{tab}/{document.id}/versions/2/download", f"{tab}/{document.id}/versions/x/preview",
                f"{tab}/999/versions/1/download",
                f"/milano/dossiers/{other}/documents/{document.id}/versions/1/download"):
        testapp.get(url, status=404)
    token = csrf_token(testapp)
    testapp.post(f"/milano/dossiers/{other}/documents/{document.id}/withdraw", {"csrf_token": token, "reason": "x"},
                 status=404)
    assert only_document(dbtx)[0].withdrawn_at is None


def test_checklist_and_tab_in_the_dossier_page(testapp, order, tab, upload, as_role):
    as_role("segreteria")
    page = testapp.get(tab)
    assert page.html.select_one("#dossier-tabs a[aria-current=page]").text.strip() == "Documenti"
    assert "0 di 16" in page.html.select_one("#completeness").text
    assert "Il fascicolo non contiene ancora documenti" in page.text
    upload(tab, PDF, category="istanza")
    upload(tab, samples.csv_text(), "creditori.csv", category="elenco_creditori", title="Elenco")
    upload(tab, samples.pdf("lettera"), category="corrispondenza", title="Lettera")  # not required
    page = testapp.get(tab)
    assert "2 di 16" in page.html.select_one("#completeness").text
    assert page.html.select_one("[role=progressbar]")["aria-valuenow"] == "12"
    missing = [li.text for li in page.html.select("#required-list li") if "Mancante" in li.text]
    assert len(missing) == 14 and not any("Elenco dei creditori" in text for text in missing)
    assert [h.text for h in page.html.select("#documents h3")] == [
        "Istanza all'OCC", "Elenco dei creditori con importi e cause di prelazione", "Corrispondenza"]


def test_permissions(testapp, dbtx, order, tab, upload, counts, as_role):
    as_role("segreteria")
    upload(tab, PDF)
    document, _ = only_document(dbtx)
    as_role("consultazione")
    page = testapp.get(tab)
    assert "Istanza del debitore" in page.text and not page.html.select("#upload-form")
    assert not page.html.select("form[action$=withdraw]")
    testapp.get(f"{tab}/{document.id}/versions/1/download", status=200)
    before = counts()
    upload(tab, samples.pdf("altro"), status=403)
    upload(f"{tab}/{document.id}/versions", samples.pdf("altro"), status=403)
    token = csrf_token(testapp)
    testapp.post(f"{tab}/{document.id}/visibility", {"csrf_token": token, "visibility": "creditori"}, status=403)
    testapp.post(f"{tab}/{document.id}/withdraw", {"csrf_token": token, "reason": "x"}, status=403)
    assert counts()[:2] == before[:2]
    as_role("referente")  # uploads, but does not manage visibility
    upload(f"{tab}/{document.id}/versions", samples.pdf("altro"))
    testapp.post(f"{tab}/{document.id}/visibility", {"csrf_token": csrf_token(testapp), "visibility": "creditori"},
                 status=403)
    assert only_document(dbtx)[0].visibility == "interno"
    as_role("gestore")  # the gestore will see documents through the gestori portal, not the staff screens
    testapp.get(tab, status=403)
    testapp.get(f"{tab}/{document.id}/versions/1/download", status=403)
    testapp.reset()
    for url in (tab, f"{tab}/{document.id}/versions/1/download", f"{tab}/{document.id}/versions/1/preview"):
        assert "/login" in testapp.get(url, status=302).location


def test_upload_needs_the_csrf_token(testapp, order, tab, counts, as_role):
    as_role("segreteria")
    before = counts()
    testapp.post(tab, {"category": "istanza", "title": "x"}, upload_files=[("file", "a.pdf", PDF)], status=400)
    assert counts() == before


@pytest.mark.parametrize(("size", "text"), [(840, "840 byte"), (1024, "1 kB"), (12800, "12,5 kB"),
                                            (25 * 1024 * 1024, "25 MB"), (3355443, "3,2 MB")])
def test_sizes_in_italian(size, text):
    assert services.fmt_size(size) == text
