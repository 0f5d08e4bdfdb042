"""Documents of one Order are out of reach of every other Order, whatever id is put in the URL; the
storage is read only for a version found through the Order-scoped lookup."""
import hashlib

import pytest
from sqlalchemy import select

from occ_core.documents import samples
from occ_core.documents.models import Document, DocumentVersion
from occ_core.documents.storage import REGISTRY_KEY, FilesystemStorage
from occ_core.testing.factories import csrf_token, login

SECRET = samples.pdf("Dichiarazione dei redditi riservata di Roma")


class RecordingStorage(FilesystemStorage):
    """The application's own storage, noting which contents were read."""

    def __init__(self, root):
        super().__init__(root)
        self.opened = []

    def open(self, digest):
        self.opened.append(digest)
        return super().open(digest)


@pytest.fixture
def recorder(registry, storage, monkeypatch):
    recording = RecordingStorage(storage.root)
    monkeypatch.setitem(registry, REGISTRY_KEY, recording)
    return recording


@pytest.fixture
def two_orders(testapp, new_order, dbtx, upload):
    milano, roma = new_order("milano"), new_order("roma")
    login(testapp, "segreteria@roma.it")
    upload(f"/roma/dossiers/{roma.dossier_id}/documents", SECRET, "redditi-roma.pdf",
           title="Redditi riservati di Roma", category="dichiarazioni_redditi_3_anni")
    testapp.reset()
    with dbtx() as db:
        document = db.scalars(select(Document).where(Document.tenant_id == roma.id)).one()
    return milano, roma, document.id


def snapshot(dbtx):
    with dbtx() as db:
        return [(d.id, d.tenant_id, d.visibility, d.withdrawn_at, len(d.versions))
                for d in db.scalars(select(Document).order_by(Document.id))]


def test_a_user_of_milano_reaches_no_document_of_roma(testapp, dbtx, two_orders, recorder):
    milano, roma, roma_document = two_orders
    login(testapp, "amministratore@milano.it")
    before = snapshot(dbtx)
    own = f"/milano/dossiers/{milano.dossier_id}/documents"
    assert "Redditi riservati" not in testapp.get(own).text
    # Roma's dossier and document ids under Milano's URLs: not found, in Milano's own dossier too.
    for dossier_id in (milano.dossier_id, roma.dossier_id):
        base = f"/milano/dossiers/{dossier_id}/documents"
        for url in (f"{base}/{roma_document}/versions/1/download", f"{base}/{roma_document}/versions/1/preview"):
            response = testapp.get(url, status=404)
            assert SECRET not in response.body
    testapp.get(f"/milano/dossiers/{roma.dossier_id}/documents", status=404)
    token = csrf_token(testapp)
    base = f"/milano/dossiers/{milano.dossier_id}/documents/{roma_document}"
    testapp.post(f"{base}/visibility", {"csrf_token": token, "visibility": "creditori"}, status=404)
    testapp.post(f"{base}/withdraw", {"csrf_token": token, "reason": "x"}, status=404)
    testapp.post(f"{base}/versions", {"csrf_token": token}, upload_files=[("file", "x.pdf", samples.pdf("x"))],
                 status=404)
    # Roma's own URLs: a Milano user holds no role there.
    roma_base = f"/roma/dossiers/{roma.dossier_id}/documents"
    for url in (roma_base, f"{roma_base}/{roma_document}/versions/1/download",
                f"{roma_base}/{roma_document}/versions/1/preview"):
        response = testapp.get(url, expect_errors=True)
        assert response.status_int in (403, 404) and SECRET not in response.body
    assert recorder.opened == []
    assert snapshot(dbtx) == before


def test_the_same_content_in_two_orders_stays_two_documents(testapp, dbtx, two_orders, upload, recorder):
    milano, roma, roma_document = two_orders
    login(testapp, "segreteria@milano.it")
    own = f"/milano/dossiers/{milano.dossier_id}/documents"
    upload(own, SECRET, "copia.pdf", title="Copia ricevuta a Milano")
    with dbtx() as db:
        versions = db.scalars(select(DocumentVersion).order_by(DocumentVersion.id)).all()
        milano_document = versions[1].document_id
    assert versions[0].sha256 == versions[1].sha256 == hashlib.sha256(SECRET).hexdigest()
    assert testapp.get(f"{own}/{milano_document}/versions/1/download").body == SECRET
    assert recorder.opened == [versions[1].sha256]
    # Milano's withdrawal of its own copy leaves Roma's document as it was.
    testapp.post(f"{own}/{milano_document}/withdraw", {"csrf_token": csrf_token(testapp), "reason": "Doppione"})
    with dbtx() as db:
        assert db.get(Document, roma_document).withdrawn_at is None
    page = testapp.get(own)
    assert "Redditi riservati" not in page.text and "Copia ricevuta a Milano" in page.text


@pytest.mark.parametrize("role", ["amministratore", "segreteria", "consultazione"])
def test_milano_lists_only_its_own_documents(testapp, dbtx, two_orders, role):
    milano, _roma, _document = two_orders
    login(testapp, f"{role}@milano.it")
    page = testapp.get(f"/milano/dossiers/{milano.dossier_id}/documents")
    assert "Redditi riservati" not in page.text and "redditi-roma" not in page.text
    assert page.html.select_one("#no-documents") is not None
