"""The demo Order's protocol: months of correspondence on working days, filed in dossiers, some corrected or
annulled, numbered without gaps, with a daily register for every day up to yesterday that still verifies."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.clock import ROME, today
from occ_core.demo import DEMO_USERS, make_codice_fiscale
from occ_core.documents.storage import storage_of
from occ_core.dossiers.demo import INSTITUTION_CODES
from occ_core.dossiers.models import Creditor, Debtor, Dossier
from occ_core.protocol import daily, numbering
from occ_core.protocol.demo import is_working_day, load_demo_protocol
from occ_core.protocol.models import Annulment, Correction, DailyRegister, Registration, RegistrationFile
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_tenant, make_user

DAYS_BACK = 45  # the demo loads four months; six weeks show the same in a third of the time
BANKS = ("Intesa Sanpaolo S.p.A.", "Findomestic Banca S.p.A.", "Agenzia delle Entrate-Riscossione")


@pytest.fixture
def demo_order(dbtx, pm):
    """An Order with the demo's secretariat and administrator and a few dossiers with debtor and creditors."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "demo")
        for role in ("segreteria", "amministratore"):
            make_user(db, DEMO_USERS[role][0], tenant, role, full_name=DEMO_USERS[role][1])
    with dbtx(tenant) as db:
        for number, (last, first) in enumerate((("Rossi", "Mario"), ("Bianchi", "Anna"), ("Greco", "Luca")), 1):
            dossier = Dossier(tenant_id=tenant.id, year=2025, number=number, filed_on=date(2025, 1, 10),
                              procedure="liquidazione_controllata", state="ISTRUTTORIA_GESTORE",
                              debtor_name=f"{last} {first}")
            dossier.debtors.append(Debtor(tenant_id=tenant.id, last_name=last, first_name=first,
                                          codice_fiscale=make_codice_fiscale(last, first, date(1970, 5, number),
                                                                             number == 2, "F205")))
            for bank in BANKS:
                dossier.creditors.append(Creditor(tenant_id=tenant.id, name=bank, partita_iva=INSTITUTION_CODES[bank],
                                                  pec=f"crediti@pec.{bank.split()[0].lower()}.it",
                                                  amount_claimed=Decimal("1000")))
            db.add(dossier)
    return tenant


def test_the_demo_protocol(dbtx, registry, demo_order):
    with dbtx(demo_order) as db:
        lines = load_demo_protocol(db, registry, db.get(Tenant, demo_order.id), DEMO_USERS["segreteria"][0],
                                   DEMO_USERS["amministratore"][0], DAYS_BACK)
    with dbtx(demo_order) as db:
        registrations = db.scalars(select(Registration).order_by(Registration.registered_at)).all()
        assert 60 <= len(registrations) <= 180
        days = {r.registered_at.astimezone(ROME).date() for r in registrations}
        assert min(days) >= today() - timedelta(days=DAYS_BACK) and max(days) < today()
        assert all(is_working_day(day) and day.weekday() < 5 for day in days)
        assert {r.direction for r in registrations} == {"entrata", "uscita", "interno"}
        assert sum(r.dossier_id is not None for r in registrations) > len(registrations) * 0.7
        filed = db.scalar(select(func.count()).select_from(RegistrationFile)
                          .where(RegistrationFile.document_id.is_not(None)))
        assert filed > len(registrations) * 0.7
        annulled = db.scalar(select(func.count()).select_from(Annulment))
        corrected = db.scalar(select(func.count(func.distinct(Correction.registration_id))))
        assert annulled >= 1 and corrected >= 3
        later = db.scalars(select(Correction.corrected_at)).all() + db.scalars(select(Annulment.annulled_at)).all()
        assert all(is_working_day(moment.astimezone(ROME).date()) for moment in later
                   if moment.astimezone(ROME).date() < today())  # in office hours (today's may be clamped to now)
        assert numbering.verify_numbering(db, demo_order.id) == []
        tenant = db.get(Tenant, demo_order.id)
        assert (tenant.ipa_code, tenant.aoo_code) == ("oa_mi_demo", "AOO_OCC")
        # Produced by the background task once the demo committed (eagerly in the tests).
        produced = db.scalars(select(DailyRegister.day).order_by(DailyRegister.day)).all()
        first = registrations[0].registered_at.astimezone(ROME).date()
        assert produced == [first + timedelta(days=n) for n in range((today() - first).days)]
        assert lines[0].startswith(f"Protocollo dimostrativo: {len(registrations)} registrazioni, {corrected} "
                                   f"corrette, {annulled} annullate;")
        assert daily.verify_registers(db, tenant, storage_of(registry)) == []
    with dbtx(demo_order) as db:  # loaded once: a second run adds nothing
        assert load_demo_protocol(db, registry, db.get(Tenant, demo_order.id), DEMO_USERS["segreteria"][0],
                                  DEMO_USERS["amministratore"][0]) == []
        assert db.scalar(select(func.count()).select_from(Registration)) == len(registrations)
