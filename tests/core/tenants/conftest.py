"""An Order with an administrator, a secretary and a read-only user, and helpers to read what was written."""
import struct
import zlib
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.tenants import services as tenants
from occ_core.testing.factories import login, make_tenant, make_user

ADMIN = "admin@ordine-milano.it"
SECRETARY = "segreteria@ordine-milano.it"
READER = "consultazione@ordine-milano.it"
OPERATOR = "operatore@piattaforma.it"


@pytest.fixture
def order(dbtx, pm):
    """The Order «milano», with no module under contract, and the emails of three of its users."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano", "Ordine degli Avvocati di Milano")
        make_user(db, ADMIN, tenant, "amministratore")
        make_user(db, SECRETARY, tenant, "segreteria")
        make_user(db, READER, tenant, "consultazione")
    return SimpleNamespace(tenant=tenant, admin=ADMIN, secretary=SECRETARY, reader=READER)


@pytest.fixture
def operator(dbtx):
    """The email of a platform operator."""
    with dbtx() as db:
        make_user(db, OPERATOR, operator=True)
    return OPERATOR


@pytest.fixture
def browse_as(testapp):
    """``browse_as(email)``: a new browser session, logged in as ``email``."""
    def start(email):
        testapp.reset()
        login(testapp, email)

    return start


@pytest.fixture
def prova_status(testapp, browse_as):
    """``prova_status(email)``: what the sample module's page of «milano» answers to ``email``."""
    def status(email):
        browse_as(email)
        return testapp.get("/milano/prova/", expect_errors=True).status_int

    return status


@pytest.fixture
def stored_tenant(dbtx):
    """``stored_tenant(slug)``: the Order as committed in the database."""
    def load(slug="milano"):
        with dbtx() as db:
            return tenants.get_tenant(db, slug)

    return load


@pytest.fixture
def audited(dbtx):
    """``audited(action)``: the audit entries of that action, oldest first."""
    def entries(action):
        with dbtx() as db:
            return db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()

    return entries


@pytest.fixture
def png() -> bytes:
    """A valid 1x1 PNG, built by hand so that the tests need no imaging library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))
