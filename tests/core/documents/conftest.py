from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.documents.models import Document, DocumentVersion
from occ_core.documents.storage import storage_of
from occ_core.dossiers.models import Dossier
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")


def add_dossier(db, tenant, number=1, procedure="ristrutturazione_consumatore") -> int:
    """A dossier row as the register would write it: enough for the electronic file."""
    dossier = Dossier(tenant_id=tenant.id, year=2025, number=number, filed_on=date(2025, 3, 3),
                      procedure=procedure, state="ISTANZA_RICEVUTA", debtor_name="Rossi Mario")
    db.add(dossier)
    db.flush()
    return dossier.id


def make_order(db, pm, slug):
    tenant = make_tenant(db, pm, slug)
    for role in ROLES:
        make_user(db, f"{role}@{slug}.it", tenant, role, full_name=f"{role.title()} {slug.title()}")
    db.info["tenant_id"] = tenant.id
    dossier_id = add_dossier(db, tenant)
    db.info["tenant_id"] = None
    return tenant, dossier_id


@pytest.fixture
def new_order(dbtx, pm):
    """``new_order(slug)``: an Order with a user per role (``<role>@<slug>.it``) and dossier 1/2025
    (ristrutturazione del consumatore), whose id is ``tenant.dossier_id``."""
    def create(slug):
        with dbtx() as db:
            tenant, dossier_id = make_order(db, pm, slug)
        tenant.dossier_id = dossier_id
        return tenant
    return create


@pytest.fixture
def new_dossier(dbtx):
    """``new_dossier(tenant, number, procedure)``: the id of a further dossier."""
    def create(tenant, number, procedure="ristrutturazione_consumatore"):
        with dbtx(tenant) as db:
            return add_dossier(db, tenant, number, procedure)
    return create


@pytest.fixture
def order(new_order):
    return new_order("milano")


@pytest.fixture
def tab(order):
    return f"/milano/dossiers/{order.dossier_id}/documents"


@pytest.fixture
def storage(registry):
    return storage_of(registry)


@pytest.fixture
def stored_files(storage):
    """Every content file in the storage (the storage is shared by the whole test session)."""
    def files():
        return {path for path in Path(storage.root).rglob("*") if path.is_file()}
    return files


@pytest.fixture
def counts(dbtx):
    def count():
        with dbtx() as db:
            return (db.scalar(select(func.count(Document.id))), db.scalar(select(func.count(DocumentVersion.id))),
                    db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("document%"))))
    return count


@pytest.fixture
def upload(testapp):
    """POST a file to the documents tab (or to ``url``) as the logged-in user."""
    def post(url, content, filename="documento.pdf", status=302, content_type=None, **fields):
        params = {"csrf_token": csrf_token(testapp), "category": "istanza", "title": "Istanza del debitore",
                  "direction": "entrata", "visibility": "interno", "description": ""}
        params.update(fields)
        files = [("file", filename, content, content_type)] if content is not None else []
        return testapp.post(url, params, upload_files=files, status=status)
    return post


@pytest.fixture
def as_role(testapp, order):
    def log_in(role):
        testapp.reset()
        login(testapp, f"{role}@milano.it")
    return log_in
