"""CSV reading (separators, BOM, encodings, bad files), import preview, upsert idempotency and search."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.demo import make_codice_fiscale
from occ_core.testing.factories import make_registrant, make_tenant
from shared_registry import services
from shared_registry.models import Registrant

CF_ROSSI = make_codice_fiscale("Rossi", "Mario", date(1980, 5, 17), False, "F205")
CF_BIANCHI = make_codice_fiscale("Bianchi", "Giulia", date(1975, 3, 2), True, "F205")
CF_VERDI = make_codice_fiscale("Verdi", "Luca", date(1990, 7, 30), False, "A794")


def csv_bytes(rows, delimiter=";", encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


HEADER = ["Codice fiscale", "Cognome", "Nome", "Email", "Crediti formativi"]


@pytest.mark.parametrize("delimiter, encoding, bom", [
    (";", "utf-8", False), (",", "utf-8", False), (";", "utf-8", True), (";", "cp1252", False),
    ("\t", "utf-16", False),  # Excel's "testo Unicode": UTF-16 with its BOM, tab separated
])
def test_read_csv_separators_bom_and_encodings(delimiter, encoding, bom):
    content = csv_bytes([HEADER, [CF_ROSSI.lower(), "Rossi", "Niccolò", "m@r.it", "2024:15; 2025:20,5"]],
                        delimiter, encoding, bom)
    rows = services.read_csv(content)
    assert rows == [{"codice_fiscale": CF_ROSSI.lower(), "last_name": "Rossi", "first_name": "Niccolò",
                     "email": "m@r.it", "credits": "2024:15; 2025:20,5", "_line": 2}]


def test_read_csv_accepts_field_names_and_ignores_unnamed_empty_columns():
    rows = services.read_csv(csv_bytes([["codice_fiscale", "LAST_NAME", "  Nome ", ""], [CF_ROSSI, "Rossi", "Mario", ""]]))
    assert rows == [{"codice_fiscale": CF_ROSSI, "last_name": "Rossi", "first_name": "Mario", "_line": 2}]


@pytest.mark.parametrize("content, message", [
    (b"", "vuoto"),
    (b"\r\n  \r\n", "vuoto"),
    (csv_bytes([HEADER]), "solo l'intestazione"),
    (csv_bytes([["Codice fiscale", "Cognome", "Colore preferito"], [CF_ROSSI, "Rossi", "blu"]]),
     "Colonna «Colore preferito» non riconosciuta"),
    (csv_bytes([["Cognome", "Nome"], ["Rossi", "Mario"]]), "Manca la colonna «Codice fiscale»"),
    (csv_bytes([["CF", "Codice fiscale"], [CF_ROSSI, CF_ROSSI]]), "compare due volte"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "foglio di calcolo"),
    (b"codice_fiscale;cognome\r\n\x00\x01\x02\x00", "non è un CSV di testo"),
    ("codice_fiscale;cognome\r\nX;Y".encode("utf-16-le"), "non è un CSV di testo"),  # UTF-16 without BOM
])
def test_read_csv_refuses_bad_files_with_clear_messages(content, message):
    with pytest.raises(services.CsvFormatError) as error:
        services.read_csv(content)
    assert message in str(error.value)


def test_read_csv_marks_rows_with_missing_or_extra_values_and_counts_physical_lines():
    content = (b"Codice fiscale;Cognome;Nome\r\n"
               + f'{CF_ROSSI};"Rossi\r\nsu due righe";Mario\r\n'.encode()
               + f"{CF_BIANCHI};Bianchi\r\n".encode()
               + f"{CF_VERDI};Verdi;Luca;in più\r\n".encode())
    rows = services.read_csv(content)
    assert [row["_line"] for row in rows] == [3, 4, 5]
    assert "_error" not in rows[0]
    assert "meno valori" in rows[1]["_error"]
    assert "più valori" in rows[2]["_error"]


@pytest.fixture
def order(dbtx, pm):
    with dbtx() as db:
        return make_tenant(db, pm, "milano")


def test_preview_writes_nothing_and_apply_then_reimport_changes_nothing(dbtx, order):
    with dbtx() as db:
        make_registrant(db, order, CF_ROSSI, last_name="Rossi", first_name="Mario", email="old@r.it")
    content = csv_bytes([HEADER,
                         [CF_ROSSI, "Rossi", "Mario", "new@r.it", "2025:20"],
                         [CF_BIANCHI, "Bianchi", "Giulia", "", ""],
                         ["RSSMRA00A00X000X", "Nessuno", "Errato", "", ""],
                         [CF_VERDI, "Verdi", "Luca", "non-email", ""]])
    with dbtx(order) as db:
        rows = services.preview_import(db, order.id, content)
        assert [row.action for row in rows] == ["modifica", "nuovo", "errore", "errore"]
        assert rows[0].changes == {"email": ("old@r.it", "new@r.it"), "credits_2025": (None, Decimal("20.00"))}
        assert rows[1].changes["birth_date"] == (None, date(1975, 3, 2)) and rows[1].changes["gender"] == (None, "F")
        assert "codice_fiscale" in rows[2].errors and rows[3].errors == {
            "email": "«non-email» non è un indirizzo di posta valido (ad esempio nome@dominio.it)."}
    with dbtx(order) as db:
        assert db.scalar(select(func.count(Registrant.id))) == 1
        assert services.get_by_codice_fiscale(db, order.id, CF_ROSSI).email == "old@r.it"
        assert services.apply_import(db, order.id, content) == {"nuovo": 1, "modifica": 1, "invariato": 0, "errore": 2}
    with dbtx(order) as db:
        assert services.import_counts(services.preview_import(db, order.id, content)) == {
            "nuovo": 0, "modifica": 0, "invariato": 2, "errore": 2}
        rossi = services.get_by_codice_fiscale(db, order.id, CF_ROSSI)
        assert rossi.email == "new@r.it" and [(c.year, c.credits) for c in rossi.credits] == [(2025, Decimal("20.00"))]


def test_a_code_repeated_in_the_file_is_an_error_on_every_occurrence(dbtx, order):
    content = csv_bytes([HEADER, [CF_ROSSI, "Rossi", "Mario", "", ""], [CF_BIANCHI, "Bianchi", "Giulia", "", ""],
                         [CF_ROSSI.lower(), "Rossi", "Mario", "altro@r.it", ""]])
    with dbtx(order) as db:
        rows = services.preview_import(db, order.id, content)
    assert [row.action for row in rows] == ["errore", "nuovo", "errore"]
    assert rows[0].errors["codice_fiscale"] == rows[2].errors["codice_fiscale"] == "Codice fiscale ripetuto (righe 2, 4)."


def test_absent_columns_leave_stored_values_alone(dbtx, order):
    with dbtx() as db:
        make_registrant(db, order, CF_ROSSI, email="m@r.it", city="Milano", credits={"2023": 10})
    content = csv_bytes([["Codice fiscale", "Crediti formativi"], [CF_ROSSI, "2024:12"], [CF_VERDI, "2024:3"]])
    with dbtx(order) as db:
        rows = services.preview_import(db, order.id, content)
        assert rows[0].action == "modifica" and rows[0].changes == {"credits_2024": (None, Decimal("12.00"))}
        # A new registrant needs a name, which this file does not have.
        assert rows[1].errors == {"last_name": "Campo obbligatorio.", "first_name": "Campo obbligatorio."}
        services.apply_import(db, order.id, content)
    with dbtx(order) as db:
        rossi = services.get_by_codice_fiscale(db, order.id, CF_ROSSI)
        assert (rossi.email, rossi.city) == ("m@r.it", "Milano")
        assert {c.year: c.credits for c in rossi.credits} == {2023: Decimal("10.00"), 2024: Decimal("12.00")}


def test_export_reads_back_unchanged(dbtx, order):
    with dbtx() as db:
        make_registrant(db, order, CF_ROSSI, email="m@r.it", registration_date="01/02/2010",
                        specialisations=["Crisi d'impresa", "Diritto bancario"], credits={"2024": "15.5", "2025": 20},
                        phone="+39 02 123456", postal_code="20121", province="MI", status="sospeso")
        make_registrant(db, order, CF_BIANCHI, last_name="Bianchi", first_name="Giulia", category="notaio")
    with dbtx(order) as db:
        registrants = db.scalars(services.search(db, order.id)).all()
        rows = services.export_rows(registrants)
        assert rows[0][0] == "Codice fiscale" and rows[0][-1] == "Crediti formativi"
        assert rows[2][-1] == "2024:15,5; 2025:20"
        content = csv_bytes(rows, bom=True)
        assert [row.action for row in services.preview_import(db, order.id, content)] == ["invariato", "invariato"]


def test_apply_is_idempotent(dbtx, order):
    data = {"codice_fiscale": CF_ROSSI, "last_name": "Rossi", "first_name": "Mario", "credits": {"2025": 20}}
    with dbtx(order) as db:
        _registrant, created, changes = services.apply(db, order.id, services.parse_record(data))
        assert created and set(changes) >= {"last_name", "first_name", "birth_date", "gender", "credits_2025"}
    with dbtx(order) as db:
        registrant, created, changes = services.apply(db, order.id, services.parse_record(data))
        assert (created, changes) == (False, {})
        assert not db.dirty and not db.new


def test_search_by_name_code_and_number_with_filters_and_tenant_isolation(dbtx, pm, order):
    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
        make_registrant(db, order, CF_ROSSI, registration_number="A-1234", category="avvocato")
        make_registrant(db, order, CF_BIANCHI, last_name="Bianchi", first_name="Giulia", category="notaio",
                        status="sospeso", email="giulia_b@x.it")
        make_registrant(db, other, CF_VERDI, last_name="Verdi", first_name="Luca")

    def names(**filters):
        with dbtx(order) as db:
            return [r.last_name for r in db.scalars(services.search(db, order.id, **filters))]

    assert names() == ["Bianchi", "Rossi"]
    assert names(text="mario rossi") == names(text="ROSSI MARIO") == ["Rossi"]
    assert names(text=CF_BIANCHI.lower()[:8]) == ["Bianchi"]
    assert names(text="a-1234") == ["Rossi"]
    assert names(text="verdi") == []  # another Order's registrant
    assert names(text="%") == [] and names(text="_b@") == ["Bianchi"]  # wildcards are literal
    assert names(category="notaio") == ["Bianchi"] and names(status="attivo") == ["Rossi"]
    with dbtx(order) as db:
        assert services.count(db, order.id, category="avvocato") == 1
        assert services.counts_by(db, order.id, "status") == {"attivo": 1, "sospeso": 1}
