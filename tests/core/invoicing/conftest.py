"""An Order able to invoice (valid partita IVA, address), a user per staff role, a dossier whose debtor is
a consumer, and an environment for the services in a transaction of its own."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
import transaction
from sqlalchemy import func, select

from occ_core.accounts.models import User
from occ_core.audit.models import AuditEntry
from occ_core.db import transactional_session
from occ_core.dossiers.models import Debtor, Dossier
from occ_core.invoicing import fatturapa, services
from occ_core.invoicing.models import Invoice, InvoiceCounter, InvoiceLine, TransmissionCounter
from occ_core.invoicing.preferences import InvoicingPreferences, save
from occ_core.protocol.services import ProtocolEnv
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_tenant, make_user
from occ_core.testing.shared_data import SHARED_DATA

SCHEMA_DIR = SHARED_DATA / "fatturapa"
ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")
PARTITA_IVA = "01234560157"
CONSUMER = {"person_kind": "fisica", "codice_fiscale": "RSSMRA80E17F205X", "last_name": "Rossi",
            "first_name": "Mario", "address": "Via Roma 1", "postal_code": "20121", "city": "Milano",
            "province": "MI", "email": "mario.rossi@example.it", "pec": "mario.rossi@pec.example.it"}
COMPANY = {"person_kind": "giuridica", "company_name": "Bianchi S.r.l.", "partita_iva": "07654320154",
           "codice_fiscale": "07654320154", "address": "Corso Italia 5", "postal_code": "20122", "city": "Milano",
           "province": "MI", "pec": "bianchi@pec.example.it"}


def add_dossier(db, tenant, number=1, debtor=None) -> int:
    dossier = Dossier(tenant_id=tenant.id, year=2025, number=number, filed_on=date(2025, 3, 3),
                      procedure="ristrutturazione_consumatore", state="ISTANZA_RICEVUTA", debtor_name="Rossi Mario")
    db.add(dossier)
    db.flush()
    db.add(Debtor(tenant_id=tenant.id, dossier_id=dossier.id, position=0, **(CONSUMER if debtor is None else debtor)))
    db.flush()
    return dossier.id


@pytest.fixture(autouse=True)
def schema_checked(registry):
    """Every file issued in these tests is validated against the official schema, as where an installation
    points ``occ.fatturapa_schema_dir`` at it."""
    saved = registry.settings.get(fatturapa.SCHEMA_SETTING)
    registry.settings[fatturapa.SCHEMA_SETTING] = str(SCHEMA_DIR)
    yield
    registry.settings[fatturapa.SCHEMA_SETTING] = saved


@pytest.fixture
def order(dbtx, pm):
    """«milano», able to invoice, with ``<role>@milano.it`` users and dossier 1/2025 (``tenant.dossier_id``)."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        for role in ROLES:
            make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}")
        row = db.get(Tenant, tenant.id)
        row.occ_name, row.partita_iva, row.codice_fiscale = "OCC dell'Ordine di Milano", PARTITA_IVA, "80123450150"
        row.address, row.postal_code, row.city, row.province = "Via Freguglia 1", "20122", "Milano", "MI"
    with dbtx(tenant) as db:
        tenant.dossier_id = add_dossier(db, tenant)
    return tenant


@pytest.fixture
def env_of(registry):
    """``with env_of(tenant, email) as env:`` one committed transaction of the Order as ``email``."""

    @contextmanager
    def open_env(tenant, email="segreteria@milano.it", factory=None):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            db = transactional_session(factory or registry["db.session_factory"], tm, tenant.id)
            user = db.scalar(select(User).where(User.email == email)) if email else None
            yield ProtocolEnv(registry=registry, dbsession=db, tenant=db.get(Tenant, tenant.id), identity=user, tm=tm)

    return open_env


@pytest.fixture
def configure(dbtx, order):
    """``configure(**preferences)``: the Order's invoicing preferences."""

    def set_preferences(**values):
        with dbtx() as db:
            save(db.get(Tenant, order.id), InvoicingPreferences(**values))

    return set_preferences


@pytest.fixture
def draft(env_of, order):
    """``draft(kind="advance", dossier_id=None, amount="1000.00", lines=(), **header)``: a committed draft's id."""

    def create(kind="advance", dossier_id=None, amount="1000.00", lines=(), corrects=None, **header):
        with env_of(order) as env:
            dossier = env.dbsession.get(Dossier, dossier_id or order.dossier_id)
            corrected = env.dbsession.get(Invoice, corrects) if corrects else None
            invoice = services.create_draft(env, dossier, kind, amount=Decimal(amount) if amount else None,
                                            corrects=corrected)
            for line in lines:
                services.add_line(env, invoice, line)
            if header:
                services.update_header(env, invoice, header)
            return invoice.id

    return create


@pytest.fixture
def issue(env_of, order):
    def run(invoice_id):
        with env_of(order) as env:
            return services.issue(env, env.dbsession.get(Invoice, invoice_id)).id

    return run


@pytest.fixture
def load(dbtx, order):
    """``load(invoice_id)``: the invoice with its lines, detached."""

    def read(invoice_id):
        with dbtx(order) as db:
            invoice = db.get(Invoice, invoice_id)
            invoice.lines  # noqa: B018  (loaded before the session closes)
            db.expunge_all()
            return invoice

    return read


@pytest.fixture
def snapshot(dbtx):
    """Every invoicing row and audit entry: equal before and after an operation that must write nothing."""

    def take():
        with dbtx() as db:
            invoices = tuple(db.execute(select(Invoice.id, Invoice.status, Invoice.number, Invoice.total,
                                               Invoice.customer_tax_code, Invoice.xml_sha256).order_by(Invoice.id)))
            lines = tuple(db.execute(select(InvoiceLine.id, InvoiceLine.description, InvoiceLine.amount,
                                            InvoiceLine.vat_nature).order_by(InvoiceLine.id)))
            counters = tuple(db.scalar(select(func.count()).select_from(model))
                             for model in (InvoiceCounter, TransmissionCounter, AuditEntry))
            return invoices, lines, counters

    return take


@pytest.fixture
def estimate(dbtx, order):
    """``estimate("3000.00", "375.00")``: the dossier's preventivo proposing that compenso and spese generali."""

    def make(compenso, general="0.00"):
        from occ_core.fees.models import FeeEstimate

        fee = Decimal(compenso) + Decimal(general)
        with dbtx(order) as db:
            db.add(FeeEstimate(tenant_id=order.id, dossier_id=order.dossier_id, version=1, rules_version="t",
                               inputs={}, result={"values": {"medio": {"compenso": compenso,
                                                                       "general_expenses": general}}},
                               proposed="medio", proposed_fee=fee, proposed_total=fee * Decimal("1.22")))

    return make


def schema_errors(xml: bytes) -> list[str]:
    return fatturapa.schema_errors(xml, SCHEMA_DIR)
