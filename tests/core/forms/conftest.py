"""An Order with a user per role and, on demand, a dossier of any procedure with everything a form may use:
two debtors, creditors (one whose name needs escaping), the debtor's lawyer, an appointed gestore, a saved
fee estimate, a meeting in the agenda and a protocol registration with two files."""
from __future__ import annotations

import io
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
import transaction
from sqlalchemy import func, select

from occ_core.accounts.models import User
from occ_core.agenda.models import Event
from occ_core.audit.models import AuditEntry
from occ_core.db import transactional_session
from occ_core.demo import make_codice_fiscale
from occ_core.documents import samples
from occ_core.documents.models import Document
from occ_core.dossiers import registration
from occ_core.dossiers.models import Creditor, Debtor, OtherParty
from occ_core.fees.inputs import read
from occ_core.fees.services import save_estimate
from occ_core.forms.models import FormTemplate, FormTemplateVersion
from occ_core.gestori.models import Appointment, Gestore
from occ_core.protocol import services as protocol
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_registrant, make_tenant, make_user

from ..documents.conftest import storage, stored_files  # noqa: F401  (fixtures)

ROLES = ("amministratore", "segreteria", "referente", "gestore", "consultazione")
CATEGORY = {"concordato_minore": "professionista"}
ESCAPED_CREDITOR = "Rossi & Figli <s.r.l.>"


@pytest.fixture
def env_of(registry):
    """``with env_of(tenant, email) as env:`` one committed transaction of the Order as ``email``."""

    @contextmanager
    def open_env(tenant, email="segreteria@milano.it"):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            db = transactional_session(registry["db.session_factory"], tm, tenant.id)
            user = db.scalar(select(User).where(User.email == email)) if email else None
            yield protocol.ProtocolEnv(registry=registry, dbsession=db, tenant=db.get(Tenant, tenant.id),
                                       identity=user, tm=tm)

    return open_env


def make_order(db, pm, slug: str):
    tenant = make_tenant(db, pm, slug, name=f"Ordine degli Avvocati di {slug.title()}")
    tenant.address, tenant.postal_code, tenant.city, tenant.province = "Via Freguglia 1", "20122", slug.title(), "MI"
    tenant.pec, tenant.referente_name = f"occ@pec.{slug}.example.it", "Avv. Paola Ferrari"
    for role in ROLES:
        make_user(db, f"{role}@{slug}.it", tenant, role, full_name=f"Utente {role}")
    return tenant


@pytest.fixture
def order(dbtx, pm):
    with dbtx() as db:
        return make_order(db, pm, "milano")


@pytest.fixture
def other_order(dbtx, pm):
    with dbtx() as db:
        return make_order(db, pm, "torino")


def build_case(env, procedure: str, number: int = 0) -> int:
    """A dossier of ``procedure`` with every kind of data; its id."""
    db = env.dbsession
    tenant = env.tenant
    dossier = registration.open_dossier(env, {
        "procedure": procedure, "debtor_category": CATEGORY.get(procedure, "consumatore"), "filed_on": "2026-03-10",
        "family": False, "court": "Tribunale di Milano", "subject": "",
        "debtor": {"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna",
                   "codice_fiscale": make_codice_fiscale("Verdi", "Anna", date(1970, 4, 12), True, "F205")}})
    first = dossier.debtors[0]
    first.address, first.postal_code, first.city, first.province = "Via Padova 3", "20132", "Milano", "MI"
    first.birth_place, first.birth_date, first.pec = "Milano", date(1970, 4, 12), "anna.verdi@pec.it"
    dossier.debtors.append(Debtor(tenant_id=tenant.id, position=1, last_name="Bruni", first_name="Carlo",
                                  codice_fiscale=make_codice_fiscale("Bruni", "Carlo", date(1968, 1, 2), False,
                                                                     "F205"), city="Milano"))
    for name, amount, rank in (("Banca Lombarda S.p.A.", "98500.00", "ipotecario"),
                               (ESCAPED_CREDITOR, "1250.50", "chirografario"),
                               ("Agenzia delle Entrate-Riscossione", "41200.00", "privilegiato_generale")):
        dossier.creditors.append(Creditor(tenant_id=tenant.id, name=name, pec="crediti@pec.example.it",
                                          amount_claimed=Decimal(amount), rank=rank))
    dossier.parties.append(OtherParty(tenant_id=tenant.id, role="avvocato", name="Avv. Marco Rossi",
                                      email="avv.rossi@example.it"))
    dossier.attivo, dossier.incarico_accepted_on = Decimal("35000.00"), date(2026, 3, 20)
    registrant = make_registrant(db, tenant, make_codice_fiscale("Neri", "Paolo", date(1965, 9, 3), False, "F205"),
                                 last_name="Neri", first_name="Paolo", pec="paolo.neri@pec.example.it")
    gestore = db.scalar(select(Gestore).where(Gestore.registrant_id == registrant.id))
    if gestore is None:
        gestore = Gestore(tenant_id=tenant.id, registrant_id=registrant.id, enrolled_on=date(2020, 1, 1))
        db.add(gestore)
        db.flush()
    db.add(Appointment(tenant_id=tenant.id, dossier_id=dossier.id, gestore_id=gestore.id,
                       appointed_at=datetime(2026, 3, 25, 9, tzinfo=timezone.utc)))
    db.flush()
    save_estimate(env, dossier, read({"attivo": "35.000,00", "passivo": "140.950,50"}, tenant))
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=10)
    db.add(Event(tenant_id=tenant.id, kind="incontro_debitore", title="Incontro con il debitore", starts_at=start,
                 ends_at=start + timedelta(hours=1), dossier_id=dossier.id, place="Sala A", uid=uuid4().hex))
    protocol.register(env, {"direction": "entrata", "subject": "Integrazione documentale", "means": "pec",
                            "mittente": {"name": "Verdi Anna", "tax_code": "", "address": "anna.verdi@pec.it"},
                            "dossier": dossier},
                      [("lettera.pdf", samples.pdf(f"Lettera {procedure}")),
                       ("allegato.pdf", samples.pdf(f"Allegato {procedure}"))])
    db.flush()
    return dossier.id


@pytest.fixture
def case(order, env_of):
    """``case(procedure)``: the id of a full dossier of ``procedure`` in «milano»."""

    def create(procedure="ristrutturazione_consumatore"):
        with env_of(order) as env:
            return build_case(env, procedure)

    return create


def odt_parts(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in ("content.xml", "styles.xml")}


def odt_text(content: bytes) -> str:
    """The text of a document's body, header and footer, as a reader sees it (entities resolved)."""
    from xml.dom import minidom

    texts = []
    for xml in odt_parts(content).values():
        document = minidom.parseString(xml)
        for node in document.getElementsByTagName("text:p"):
            texts.append("".join(child.data for child in _texts(node)))
    return "\n".join(texts)


def _texts(node):
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            yield child
        else:
            yield from _texts(child)


@pytest.fixture
def snapshot(dbtx):
    """Templates, versions, documents and audit entries: equal before and after what must change nothing."""

    def take():
        with dbtx() as db:
            return tuple(db.scalar(select(func.count()).select_from(model))
                         for model in (FormTemplate, FormTemplateVersion, Document, AuditEntry))

    return take


NAMESPACES = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
              'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
              'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
              'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2"')


def odt(body: str, header: str = "", footer: str = "") -> bytes:
    """A minimal ODT whose body, page header and page footer are the XML given (as a word processor leaves
    them: placeholders split across spans, input fields ...)."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES}><office:body>'
               f'<office:text>{body}</office:text></office:body></office:document-content>')
    styles = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NAMESPACES}><office:master-styles>'
              f'<style:master-page style:name="Standard"><style:header>{header}</style:header>'
              f'<style:footer>{footer}</style:footer></style:master-page></office:master-styles>'
              '</office:document-styles>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        archive.writestr("styles.xml", styles)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return buffer.getvalue()


def table(name: str, *rows) -> str:
    """A table whose rows are lists of cell texts (each cell one paragraph)."""
    cells = ("".join(f"<table:table-cell><text:p>{cell}</text:p></table:table-cell>" for cell in row) for row in rows)
    return f'<table:table table:name="{name}">' + "".join(f"<table:table-row>{r}</table:table-row>" for r in cells) \
        + "</table:table>"
