"""An Order with a user per staff role, dossiers, and registrations made through the real services."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import transaction
from sqlalchemy import func, select

from occ_core.accounts.models import User
from occ_core.audit.models import AuditEntry
from occ_core.db import transactional_session
from occ_core.documents import samples
from occ_core.documents.models import Document
from occ_core.protocol import services
from occ_core.protocol.models import Correction, Correspondent, ProtocolCounter, Registration, RegistrationFile
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_tenant, make_user

from ..documents.conftest import add_dossier, as_role  # noqa: F401  (as_role: a fixture)
from ..dossiers.conftest import events  # noqa: F401  (a fixture: the domain events' recorder)

STAFF_ROLES = ("amministratore", "segreteria", "referente", "consultazione")
SENDER = {"name": "Banca Alfa S.p.A.", "tax_code": "01234560017", "address": "banca.alfa@pec.example.it"}


@pytest.fixture
def order(dbtx, pm):
    """The Order «milano» with a user per staff role (``<role>@milano.it``, named «Utente <role>») and dossier
    1/2025, whose id is ``tenant.dossier_id``."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        for role in (*STAFF_ROLES, "gestore"):
            make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}")
    with dbtx(tenant) as db:
        tenant.dossier_id = add_dossier(db, tenant)
    return tenant


@pytest.fixture
def protocol_env(registry):
    """``with protocol_env(tenant, email) as env:`` one transaction of the Order as ``email`` (None for no
    user), committed at the end of the block, rolled back if it raises."""

    @contextmanager
    def open_env(tenant, email="segreteria@milano.it", factory=None):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            db = transactional_session(factory or registry["db.session_factory"], tm, tenant.id)
            user = db.scalar(select(User).where(User.email == email)) if email else None
            yield services.ProtocolEnv(registry=registry, dbsession=db, tenant=db.get(Tenant, tenant.id),
                                       identity=user, tm=tm)

    return open_env


def incoming(**fields) -> dict:
    return {"direction": "entrata", "subject": "Precisazione del credito", "mittente": dict(SENDER),
            "means": "pec", **fields}


def outgoing(**fields) -> dict:
    return {"direction": "uscita", "subject": "Comunicazione ai creditori",
            "destinatari": ["Banca Alfa S.p.A.; 01234560017; banca.alfa@pec.example.it",
                            "Rossi Mario; RSSMRA80E17F205X; mario.rossi@example.it"], "means": "pec", **fields}


def documents(attachments=0, text="Lettera") -> list[tuple[str, bytes]]:
    """A primary PDF and ``attachments`` more, each with its own content."""
    return [("lettera.pdf", samples.pdf(text))] + [(f"allegato-{n}.pdf", samples.pdf(f"{text}, allegato {n}"))
                                                   for n in range(1, attachments + 1)]


@pytest.fixture
def register(protocol_env, order):
    """``register(data=None, files=None, email=..., **options)``: a committed registration of «milano»."""

    def create(data=None, files=None, email="segreteria@milano.it", **options):
        with protocol_env(order, email) as env:
            registration = services.register(env, data or incoming(), files or documents(), **options)
            return registration.id

    return create


@pytest.fixture
def small_uploads(registry, monkeypatch):
    """Files and messages of at most 1000 bytes, for this test only."""
    monkeypatch.setitem(registry.settings, services.documents.MAX_BYTES_SETTING, "1000")


@pytest.fixture
def snapshot(dbtx):
    """Counts of every protocol row, the documents and the audit entries: equal before and after an
    operation that must write nothing."""

    def take():
        with dbtx() as db:
            return tuple(db.scalar(select(func.count()).select_from(model)) for model in (
                Registration, Correspondent, RegistrationFile, Correction, ProtocolCounter, Document, AuditEntry))

    return take
