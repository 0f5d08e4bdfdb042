"""Two Orders on one installation: a crawl of every route proves that nothing of one Order is shown,
changed or counted for the other."""
import itertools
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pyramid.interfaces import IRoutesMapper
from sqlalchemy import func, select, text

from occ_core.accounts.roles import BUILTIN_ROLES
from occ_core.agenda.models import Event, Participant, Room
from occ_core.audit.services import record
from occ_core.demo import demo_registrants
from occ_core.dispatch.models import OutboxMessage
from occ_core.documents import samples
from occ_core.documents.services import add_document
from occ_core.documents.storage import storage_of
from occ_core.dossiers import numbering, summary
from occ_core.db import utcnow
from occ_core.dossiers.models import Creditor, Debtor, Dossier, OtherParty
from occ_core.gestori import services as gestori
from occ_core.deadlines.models import Deadline, DeadlineRule, Milestone
from occ_core.gestori.roster import enrol
from occ_core.protocol import services as protocol
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user
from shared_registry import services as registry_services
from shared_registry.models import Registrant

MARKER = "Betaonly"
PARAMETER = re.compile(r"{(\w+)(?::[^}]*)?}")


def seed_dossier(db, registry, tenant, marker):
    """A dossier with debtor, creditor, document and an appointed gestore, each carrying the marker."""
    first = db.scalar(select(Registrant).order_by(Registrant.id))
    enrol(db, tenant.id, str(first.id), {
        "enrolled_on": date.today() - timedelta(days=200), "partita_iva": "", "degree": f"Laurea {marker}",
        "course_hours": 200, "course_completed_on": None, "traineeship_completed_on": None,
        "circondario": "", "specialisations": [], "available": True, "notes": f"Note {marker}"})
    dossier = Dossier(tenant_id=tenant.id, year=2026, number=numbering.allocate(db, tenant.id, 2026),
                      filed_on=date(2026, 3, 2), procedure="ristrutturazione_consumatore", state="INCARICO_CONFERITO",
                      subject=f"Oggetto {marker}", court="Tribunale di Milano")
    dossier.debtors.append(Debtor(tenant_id=tenant.id, last_name=f"Verdi{marker}", first_name="Anna",
                                  codice_fiscale="VRDNNA80A41F205X"))
    dossier.creditors.append(Creditor(tenant_id=tenant.id, name=f"Banca{marker}", amount_claimed=Decimal("1000")))
    dossier.parties.append(OtherParty(tenant_id=tenant.id, role="avvocato", name=f"Avv. Neri{marker}"))
    db.add(dossier)
    db.flush()
    summary.refresh(dossier)
    add_document(db, storage_of(registry), dossier, None, content=samples.pdf(f"Documento {marker}"),
                 filename=f"istanza{marker}.pdf", limit=10**6, direction="entrata", category="istanza",
                 title=f"Istanza {marker}", visibility="interno")
    gestori.declare_no_conflict(db, tenant, dossier, None)
    proposal = gestori.propose(db, tenant, dossier, None, date.today())
    gestori.appoint(db, tenant, dossier, [proposal.proposed.gestore.id], None, date.today())
    seed_protocol_agenda_deadlines(db, registry, tenant, dossier, marker)


def seed_protocol_agenda_deadlines(db, registry, tenant, dossier, marker):
    """A protocol registration filed in the dossier, a room and an appointment, a rule, a milestone and a deadline."""
    protocol.register(protocol.ProtocolEnv(registry, db, tenant), {
        "direction": "entrata", "subject": f"Oggetto {marker}", "mittente": {"name": f"Banca{marker}"},
        "dossier": dossier}, [(f"lettera{marker}.pdf", samples.pdf(f"Lettera {marker}"))])
    room = Room(tenant_id=tenant.id, name=f"Sala{marker}", capacity=4)
    db.add(room)
    db.flush()
    start = utcnow() + timedelta(days=1)
    event = Event(tenant_id=tenant.id, title=f"Incontro {marker}", starts_at=start, ends_at=start + timedelta(hours=1),
                  dossier_id=dossier.id, room_id=room.id, uid=f"{tenant.slug}-1@occ")
    event.participants.append(Participant(tenant_id=tenant.id, name=f"Ospite {marker}", email="ospite@example.it"))
    db.add_all([event, DeadlineRule(tenant_id=tenant.id, code="X1", label=f"Regola {marker}", trigger_kind="stato",
                                    trigger="DEPOSITATO", amount=5),
                Milestone(tenant_id=tenant.id, dossier_id=dossier.id, kind="NOTIFICA_UFFICI", on=date.today(),
                          note=f"Nota {marker}"),
                Deadline(tenant_id=tenant.id, dossier_id=dossier.id, label=f"Scadenza {marker}", trigger_ref="manuale:1",
                         trigger_on=date.today(), due_on=date.today() + timedelta(days=3))])


def seed(db, pm, registry, slug, marker, count):
    # The Order's name is public (its login and activation pages show it): the marker is only in its data.
    tenant = make_tenant(db, pm, slug, modules=sorted(pm.modules))
    db.info["tenant_id"] = tenant.id
    for data in demo_registrants(count=count, seed=7):
        data["last_name"] = f"{data['last_name']}{marker}"
        registry_services.apply(db, tenant.id, registry_services.parse_record(data))
    db.add(OutboxMessage(tenant_id=tenant.id, channel="email", subject=f"Oggetto {marker}",
                         body_text=f"Testo {marker}"))
    record(db, f"prova.{marker or 'alfa'}", tenant_id=tenant.id, details={"marker": marker})
    seed_dossier(db, registry, tenant, marker)
    db.info["tenant_id"] = None
    users = {}
    for role, _name, _portal in BUILTIN_ROLES:
        users[role] = make_user(db, f"{role}@{slug}.example.it", tenant, role, full_name=f"{role} {marker}").email
    return tenant, users


@pytest.fixture
def orders(dbtx, pm, registry):
    with dbtx() as db:
        alfa, alfa_users = seed(db, pm, registry, "alfa", "", 12)
        beta, beta_users = seed(db, pm, registry, "beta", MARKER, 20)
    return alfa, alfa_users, beta, beta_users


def tenant_routes(registry):
    return [route for route in registry.getUtility(IRoutesMapper).get_routes()
            if route.pattern.startswith("/{tenant}")]


def candidate_urls(route, slug, values):
    names = [name for name in PARAMETER.findall(route.pattern) if name != "tenant"]
    for combination in itertools.product(values, repeat=len(names)):
        url = route.pattern.replace("{tenant}", slug)
        for name, value in zip(names, combination):
            url = PARAMETER.sub(lambda m, n=name, v=value: str(v) if m.group(1) == n else m.group(0), url, count=1)
        yield url


def id_values(db):
    ids = [1, 2, 3, 5]
    codes = [db.scalar(select(Registrant.codice_fiscale).limit(1))]
    return ids + codes


def normalized(body: str) -> str:
    # CSRF tokens and link tokens differ per session; timestamps of "now" differ per request.
    body = re.sub(r'(csrf[-_]token"?[^>]*?(content|value)=")[^"]*', r"\1", body)
    return re.sub(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", "", body)


def crawl(testapp, registry, slug, values):
    pages = {}
    for route in tenant_routes(registry):
        for url in candidate_urls(route, slug, values):
            response = testapp.get(url, expect_errors=True)
            assert response.status_int < 500, (url, response.status)
            if response.status_int == 200:
                pages[url] = normalized(response.text if response.content_type.startswith(("text", "application/json")) else "")
    return pages


@pytest.mark.parametrize("role", [code for code, _name, _portal in BUILTIN_ROLES])
def test_nothing_of_beta_is_shown_to_alfa(testapp, registry, dbtx, pm, orders, role):
    _alfa, alfa_users, _beta, _ = orders
    login(testapp, alfa_users[role])
    with dbtx() as db:
        values = id_values(db)
    pages = crawl(testapp, registry, "alfa", values)
    assert pages, "the crawl reached no page"
    leaks = {url: body.count(MARKER) for url, body in pages.items() if MARKER in body}
    assert not leaks


def test_alfa_pages_do_not_change_when_beta_grows(testapp, registry, dbtx, pm, orders):
    """What Alfa sees (lists, counts, totals) is the same however much Beta holds."""
    _alfa, alfa_users, beta, _ = orders
    login(testapp, alfa_users["amministratore"])
    with dbtx() as db:
        values = id_values(db)
    before = crawl(testapp, registry, "alfa", values)
    with dbtx(beta) as db:
        for data in demo_registrants(count=30, seed=99):
            data["last_name"] += "Zz"
            record_ = registry_services.parse_record(data)
            if registry_services.get_by_codice_fiscale(db, beta.id, record_.codice_fiscale) is None:
                registry_services.apply(db, beta.id, record_)
        for index in range(5):
            db.add(OutboxMessage(tenant_id=beta.id, channel="email", subject=f"Altro {index}", body_text="x"))
    after = crawl(testapp, registry, "alfa", values)
    assert before.keys() == after.keys()
    # Alfa's own audit log grows with the crawl itself (exports are audited): it is checked for leaks above.
    changed = [url for url in before if before[url] != after[url] and "/audit" not in url]
    assert not changed


def table_fingerprint(db):
    counts = {}
    for table in db.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")).scalars():
        counts[table] = db.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
    return counts


def test_alfa_user_cannot_read_or_change_beta(testapp, registry, dbtx, pm, orders):
    _alfa, alfa_users, _beta, _ = orders
    login(testapp, alfa_users["amministratore"])
    token = csrf_token(testapp)
    with dbtx() as db:
        values = id_values(db)
        before = table_fingerprint(db) if db.bind.dialect.name == "postgresql" else None
        registrants_before = db.scalar(select(func.count()).select_from(Registrant))
    for route in tenant_routes(registry):
        for url in candidate_urls(route, "beta", values):
            # Public pages of an Order (activation, logo) answer too: what matters is that no data of
            # Beta shows and nothing of Beta changes.
            response = testapp.get(url, expect_errors=True)
            assert response.status_int < 500, (url, response.status)
            assert MARKER not in response.text
            response = testapp.post(url, {"csrf_token": token, "name": "x", "enabled": "1"}, expect_errors=True)
            assert response.status_int < 500, (url, response.status)
            assert MARKER not in response.text
    with dbtx() as db:
        assert db.scalar(select(func.count()).select_from(Registrant)) == registrants_before
        if before is not None:
            after = table_fingerprint(db)
            # Only the login attempts of this test may have been written.
            assert {t: n for t, n in after.items() if t not in ("login_attempts", "audit_entries")} == \
                   {t: n for t, n in before.items() if t not in ("login_attempts", "audit_entries")}
