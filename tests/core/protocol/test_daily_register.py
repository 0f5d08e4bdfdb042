"""The registro giornaliero: content and order, first and last number, digests, files, idempotence, the days
``produce_missing`` fills (weekend, holiday, new year), and what ``verify_registers`` detects."""
import csv
import hashlib
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from occ_core.clock import ROME, today
from occ_core.documents.storage import storage_of
from occ_core.protocol import daily, numbering, services, tasks
from occ_core.protocol.daily_pdf import PDFA, PLAIN
from occ_core.protocol.models import DailyRegister, ProtocolRegister, Registration
from occ_core.tenants.models import Tenant

from .conftest import documents, incoming, outgoing

MONDAY, TUESDAY, WEDNESDAY = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5)


def rome(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ROME).astimezone(timezone.utc)


@pytest.fixture
def protocol(protocol_env, order, registry):
    """Registrations, annulments and corrections at chosen moments, and the registers of chosen days."""

    class Protocol:
        storage = storage_of(registry)

        def register(self, moment, data=None, files=None):
            with protocol_env(order) as env:
                return services.register(env, data or incoming(), files or documents(),
                                         clock=lambda: moment).id

        def annul(self, registration_id, moment, reason="Registrazione doppia"):
            with protocol_env(order, "amministratore@milano.it") as env:
                services.annul(env, env.dbsession.get(Registration, registration_id), reason=reason,
                               act_reference="Provvedimento del responsabile n. 3", act_date=moment.date(),
                               clock=lambda: moment)

        def correct(self, registration_id, moment, changes, reason="Errore di battitura"):
            with protocol_env(order) as env:
                services.correct(env, env.dbsession.get(Registration, registration_id), changes, reason,
                                 clock=lambda: moment)

        def produce(self, day, soffice=None):
            with protocol_env(order) as env:
                register = numbering.ensure_default_register(env.dbsession, order.id)
                row = daily.produce(env.dbsession, env.tenant, register, day, self.storage, soffice)
                return row.id, row.pdf_sha256, row.csv_sha256

        def verify(self, on=TUESDAY + timedelta(days=2)):
            """As on ``on``: the registers due then are those up to two days before."""
            with protocol_env(order) as env:
                return daily.verify_registers(env.dbsession, env.tenant, self.storage, on)

        def produce_missing(self, on):
            with protocol_env(order) as env:
                return [(row.day, row.sequence, row.registrations, row.details["identifier"])
                        for row in daily.produce_missing(env, env.tenant, on)]

        def stored(self, digest) -> bytes:
            with self.storage.open(digest) as stream:
                return stream.read()

        def csv(self, digest) -> list[list[str]]:
            content = self.stored(digest)
            assert content.startswith("\ufeff".encode())
            return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))

    return Protocol()


def rows_of(protocol, dbtx, day) -> DailyRegister:
    with dbtx() as db:
        return db.scalar(select(DailyRegister).where(DailyRegister.day == day))


def test_the_day_in_number_order_then_annulments_then_corrections(protocol, dbtx):
    first = protocol.register(rome(MONDAY, 9), incoming(subject="Istanza di nomina del gestore",
                                                        received_doc_date="2025-02-28", received_doc_number="12/A"))
    second = protocol.register(rome(MONDAY, 10), outgoing())
    protocol.register(rome(MONDAY, 23, 30))  # 22:30 UTC: still Monday in Italy
    early = protocol.register(rome(TUESDAY, 0, 30))  # 23:30 UTC of Monday: Tuesday in Italy
    protocol.annul(second, rome(TUESDAY, 10))
    protocol.correct(first, rome(TUESDAY, 11), {"subject": "Istanza di nomina del gestore della crisi"})
    protocol.correct(early, rome(TUESDAY, 12), {"received_doc_number": "99/B"})

    monday = protocol.csv(protocol.produce(MONDAY)[2])
    assert monday[0] == list(daily.CSV_HEADER)
    assert [(row[0], row[1], row[2]) for row in monday[1:]] == [
        ("Registrazione", "2025", "0000001"), ("Registrazione", "2025", "0000002"), ("Registrazione", "2025", "0000003")]
    header = monday[0]
    registered = dict(zip(header, monday[1]))
    # As registered on Monday: Tuesday's correction gives back the earlier subject.
    assert registered["Oggetto"] == "Istanza di nomina del gestore"
    assert registered["Data e ora"] == "03/03/2025 09:00:00"
    assert registered["Direzione"] == "In entrata" and registered["Mezzo"] == "PEC"
    assert registered["Mittente"] == "Banca Alfa S.p.A. (01234560017) <banca.alfa@pec.example.it>"
    assert registered["Data del documento ricevuto"] == "28/02/2025"
    assert registered["Numero del documento ricevuto"] == "12/A"
    assert registered["Operatore"] == "Utente segreteria"
    digest = hashlib.sha256(documents()[0][1]).hexdigest()
    assert registered["Documenti e impronte SHA-256"] == f"lettera.pdf (primario) {digest}"
    assert dict(zip(header, monday[2]))["Destinatari"].startswith("Banca Alfa S.p.A. (01234560017)")
    assert dict(zip(header, monday[3]))["Data e ora"] == "03/03/2025 23:30:00"

    tuesday = protocol.csv(protocol.produce(TUESDAY)[2])
    assert [(row[0], row[2]) for row in tuesday[1:]] == [
        ("Registrazione", "0000004"), ("Annullamento", "0000002"), ("Correzione", "0000001"),
        ("Correzione", "0000004")]
    assert dict(zip(header, tuesday[1]))["Numero del documento ricevuto"] == "99/B"  # corrected the same day
    annulment = dict(zip(header, tuesday[2]))
    assert annulment["Motivo"] == "Registrazione doppia" and annulment["Operatore"] == "Utente amministratore"
    assert annulment["Provvedimento di autorizzazione"] == "Provvedimento del responsabile n. 3 del 04/03/2025"
    correction = dict(zip(header, tuesday[3]))
    assert (correction["Dato corretto"], correction["Valore precedente"], correction["Nuovo valore"],
            correction["Motivo"]) == ("Oggetto", "Istanza di nomina del gestore",
                                      "Istanza di nomina del gestore della crisi", "Errore di battitura")

    monday_row, tuesday_row = rows_of(protocol, dbtx, MONDAY), rows_of(protocol, dbtx, TUESDAY)
    assert (monday_row.first_number, monday_row.last_number, monday_row.registrations, monday_row.annulments,
            monday_row.corrections, monday_row.sequence) == (1, 3, 3, 0, 0, 1)
    assert (tuesday_row.first_number, tuesday_row.last_number, tuesday_row.registrations, tuesday_row.annulments,
            tuesday_row.corrections, tuesday_row.sequence) == (4, 4, 1, 1, 2, 2)
    assert tuesday_row.details["identifier"] == "MILANO-20250304-002"
    for row in (monday_row, tuesday_row):
        assert row.pdf_format == PLAIN
        pdf = protocol.stored(row.pdf_sha256)
        assert pdf.startswith(b"%PDF-") and b"/Title (Registro giornaliero di protocollo)" in pdf
        assert hashlib.sha256(pdf).hexdigest() == row.pdf_sha256
        assert hashlib.sha256(protocol.stored(row.csv_sha256)).hexdigest() == row.csv_sha256
    assert protocol.verify() == []


def test_a_register_does_not_change_when_its_day_is_corrected_later(protocol, dbtx):
    """Produced first, corrected afterwards: the register built again from the database is still the same."""
    registration = protocol.register(rome(MONDAY, 9))
    protocol.produce(MONDAY)
    protocol.correct(registration, rome(TUESDAY, 9), {"subject": "Oggetto corretto",
                                                      "mittente": "Banca Beta S.p.A.; ; beta@pec.example.it"})
    protocol.correct(registration, rome(TUESDAY, 10), {"subject": "Oggetto corretto di nuovo"})
    protocol.annul(registration, rome(TUESDAY, 11))
    protocol.produce(TUESDAY)
    assert protocol.verify() == []


def test_producing_a_day_again_changes_nothing(protocol, dbtx):
    protocol.register(rome(MONDAY, 9))
    first = protocol.produce(MONDAY)
    protocol.register(rome(MONDAY, 15))  # a late arrival cannot rewrite what was produced...
    assert protocol.produce(MONDAY) == first
    with dbtx() as db:
        assert db.scalar(select(func.count()).select_from(DailyRegister)) == 1
    assert any("non corrispondono più" in problem for problem in protocol.verify(WEDNESDAY))  # ...nor hidden


def test_a_quiet_day_gets_a_register_stating_none(protocol, dbtx, order_codes):
    protocol.register(rome(MONDAY, 9))
    protocol.produce(TUESDAY)
    row = rows_of(protocol, dbtx, TUESDAY)
    assert (row.registrations, row.annulments, row.corrections, row.first_number, row.last_number) == (0, 0, 0, None,
                                                                                                        None)
    assert protocol.csv(row.csv_sha256) == [list(daily.CSV_HEADER)]
    assert row.details["identifier"] == "c_f205AOO_OCC-20250304-001"


@pytest.fixture
def order_codes(dbtx, order):
    with dbtx(order) as db:
        tenant = db.get(Tenant, order.id)
        tenant.ipa_code, tenant.aoo_code = "c_f205", "AOO_OCC"


def test_a_day_not_over_cannot_be_produced(protocol):
    with pytest.raises(ValueError):
        protocol.produce(today())


def test_which_program_converts(registry, monkeypatch):
    """The tests write plain PDFs (``protocol.soffice`` empty); an installation finds LibreOffice on its PATH."""
    assert daily.soffice_of(registry.settings) is None
    monkeypatch.setitem(registry.settings, daily.SOFFICE_SETTING, "soffice-che-non-esiste")
    assert daily.soffice_of(registry.settings) is None
    monkeypatch.setitem(registry.settings, daily.SOFFICE_SETTING, "soffice")
    assert daily.soffice_of(registry.settings).endswith("soffice")  # installed here and in CI


def test_pdf_a_through_libreoffice(protocol, dbtx, registry, monkeypatch):
    monkeypatch.setitem(registry.settings, daily.SOFFICE_SETTING, "soffice")
    protocol.register(rome(MONDAY, 9))
    protocol.produce(MONDAY, daily.soffice_of(registry.settings))
    row = rows_of(protocol, dbtx, MONDAY)
    pdf = protocol.stored(row.pdf_sha256)
    assert row.pdf_format == PDFA == "PDF/A-2b"
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == row.pdf_sha256
    # The XMP metadata of PDF/A (kept uncompressed, as the standard wants them readable).
    assert b"<pdfaid:part>2</pdfaid:part>" in pdf and b"<pdfaid:conformance>B</pdfaid:conformance>" in pdf
    assert b"Registro giornaliero di protocollo MILANO-20250303-001" in pdf


def test_a_failed_conversion_still_gives_the_day_its_register(protocol, dbtx):
    protocol.register(rome(MONDAY, 9))
    protocol.produce(MONDAY, "/bin/false")  # a LibreOffice that converts nothing
    row = rows_of(protocol, dbtx, MONDAY)
    assert row.pdf_format == PLAIN and protocol.stored(row.pdf_sha256).startswith(b"%PDF-")


def test_missing_days_across_a_weekend_a_holiday_and_the_new_year(protocol):
    protocol.register(rome(date(2025, 12, 31), 16))  # Wednesday
    protocol.register(rome(date(2026, 1, 2), 9))  # Friday, after New Year's Day
    produced = protocol.produce_missing(date(2026, 1, 5))  # Monday
    assert produced == [
        (date(2025, 12, 31), 1, 1, "MILANO-20251231-001"),
        (date(2026, 1, 1), 1, 0, "MILANO-20260101-001"),
        (date(2026, 1, 2), 2, 1, "MILANO-20260102-002"),
        (date(2026, 1, 3), 3, 0, "MILANO-20260103-003"),
        (date(2026, 1, 4), 4, 0, "MILANO-20260104-004"),
    ]
    assert protocol.produce_missing(date(2026, 1, 5)) == []
    assert protocol.produce_missing(date(2026, 1, 6)) == [(date(2026, 1, 5), 5, 0, "MILANO-20260105-005")]
    assert protocol.verify(date(2026, 1, 7)) == []
    assert protocol.verify(date(2026, 1, 8)) == [
        "Registro giornaliero del 06/01/2026 (registro PROT): non è stato prodotto."]


def test_the_periodic_task_produces_up_to_yesterday(protocol, order, dbtx):
    protocol.register(datetime.now(timezone.utc) - timedelta(days=2))
    assert tasks.produce_daily_registers.delay(order.id).get() == 2
    assert tasks.produce_daily_registers.delay(order.id).get() == 0
    with dbtx() as db:
        assert max(db.scalars(select(DailyRegister.day))) == today() - timedelta(days=1)


def test_a_register_out_of_use_stops_at_its_last_activity(protocol, registry):
    protocol.register(rome(MONDAY, 9))
    with registry["db.engine"].begin() as connection:
        connection.execute(text("UPDATE protocol_registers SET active = false"))
    assert [day for day, *_ in protocol.produce_missing(date(2025, 3, 10))] == [MONDAY]


def test_verify_finds_missing_and_altered_files_and_edited_rows(protocol, registry):
    first = protocol.register(rome(MONDAY, 9))
    protocol.register(rome(TUESDAY, 9))
    _id, monday_pdf, monday_csv = protocol.produce(MONDAY)
    _id, tuesday_pdf, tuesday_csv = protocol.produce(TUESDAY)
    assert protocol.verify() == []

    protocol.storage.path_of(monday_pdf).unlink()
    altered = protocol.storage.path_of(tuesday_csv)
    altered.write_bytes(altered.read_bytes().replace(b"Precisazione", b"Precisazioni"))
    with registry["db.engine"].begin() as connection:  # behind the application's back
        connection.execute(text("UPDATE protocol_registrations SET subject = 'Altro oggetto' WHERE id = :id"),
                           {"id": first})
    assert protocol.verify() == [
        "Registro giornaliero del 03/03/2025 (registro PROT): il file PDF non è più presente nell'archivio dei "
        "documenti.",
        "Registro giornaliero del 03/03/2025 (registro PROT): le registrazioni, gli annullamenti o le correzioni "
        "del giorno nel database non corrispondono più al registro prodotto (dati modificati o cancellati dopo la "
        "sua produzione).",
        "Registro giornaliero del 04/03/2025 (registro PROT): il file CSV è stato alterato: non corrisponde più "
        "alla sua impronta SHA-256.",
    ]


def test_verify_finds_a_deleted_registration(protocol, registry):
    protocol.register(rome(MONDAY, 9))
    removed = protocol.register(rome(MONDAY, 10))
    protocol.produce(MONDAY)
    with registry["db.engine"].begin() as connection:
        for table in ("protocol_files", "protocol_correspondents"):
            connection.execute(text(f"DELETE FROM {table} WHERE registration_id = :id"), {"id": removed})
        connection.execute(text("DELETE FROM protocol_registrations WHERE id = :id"), {"id": removed})
    assert [problem.split(":")[0] for problem in protocol.verify(WEDNESDAY)] == [
        "Registro giornaliero del 03/03/2025 (registro PROT)"]


def test_operators_are_named_as_they_were(protocol, registry):
    """A user who changes name later does not make an older register look tampered with; a registration
    given to another user behind the application's back does."""
    protocol.register(rome(MONDAY, 9))
    protocol.produce(MONDAY)
    with registry["db.engine"].begin() as connection:
        connection.execute(text("UPDATE users SET full_name = 'Nome nuovo' WHERE email = 'segreteria@milano.it'"))
    assert protocol.verify(WEDNESDAY) == []
    with registry["db.engine"].begin() as connection:
        connection.execute(text("UPDATE protocol_registrations SET registered_by_id = (SELECT id FROM users WHERE "
                                "email = 'referente@milano.it')"))
    assert len(protocol.verify(WEDNESDAY)) == 1


def test_registers_of_an_order_only(protocol, dbtx, pm):
    from occ_core.testing.factories import make_tenant

    protocol.register(rome(MONDAY, 9))
    protocol.produce(MONDAY)
    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
    with dbtx(other) as db:
        db.add(ProtocolRegister(tenant_id=other.id, code="PROT", name="Protocollo generale", is_default=True))
    with dbtx(other) as db:
        assert daily.verify_registers(db, db.get(Tenant, other.id), protocol.storage) == []
        assert db.scalar(select(func.count()).select_from(DailyRegister)) == 0
