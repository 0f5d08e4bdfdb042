"""``occ protocol segnatura`` prints a registration's segnatura; ``occ protocol verify`` exits non-zero and names
what is wrong when the numbering has a gap, a duplicate, a counter out of step or numbers out of time order."""
from datetime import datetime, timezone

import click
import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import text

from occ_core.protocol import numbering
from occ_core.protocol.cli import protocol
from occ_core.testing.cli import CliEnvironment

from .conftest import outgoing

YEAR = 2026
CLOCK = {"clock": lambda: datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)}
# Registered now: the daily registers of earlier days, which verify checks too, are not due.
THIS_YEAR = numbering.register_year(datetime.now(timezone.utc))


@pytest.fixture
def occ(registry):
    def run(*args, status=0):
        result = CliRunner().invoke(protocol, list(args), obj=CliEnvironment(registry), catch_exceptions=False)
        assert result.exit_code == status, result.output
        return result.output

    return run


def test_the_command_is_offered_to_occ(pm):
    group = click.Group()
    pm.hook.occ_cli_commands(cli=group)
    assert set(group.commands["protocol"].commands) == {"segnatura", "verify"}


def test_segnatura_prints_the_xml(occ, order, register):
    register(outgoing(), **CLOCK)
    output = occ("segnatura", "milano", str(YEAR), "1")
    document = etree.fromstring(output.encode())
    assert document.findtext("{*}Intestazione/{*}Identificatore/{*}NumeroRegistrazione") == "0000001"
    assert "Nessuna registrazione PROT 2026-0000002" in occ("segnatura", "milano", str(YEAR), "2", status=1)
    assert "Nessuna registrazione ALTRO 2026-0000001" in occ("segnatura", "milano", str(YEAR), "1", "--register",
                                                              "ALTRO", status=1)
    assert "inesistente" in occ("segnatura", "nessuno", str(YEAR), "1", status=1)


def test_verify_passes_and_fails_with_what_is_wrong(occ, order, register, registry):
    assert "numerazione e registri giornalieri in ordine" in occ("verify", "milano")
    for _ in range(4):
        register()
    assert "in ordine" in occ("verify", "milano")
    engine = registry["db.engine"]
    with engine.begin() as connection:  # a gap, made behind the application's back
        connection.execute(text("UPDATE protocol_registrations SET number = 7 WHERE number = 3"))
    output = occ("verify", "milano", status=1)
    assert f"Registro PROT, anno {THIS_YEAR}: numeri mancanti (3): 0000003, 0000005, 0000006" in output
    assert "il contatore è a 0000004 ma l'ultimo numero registrato è 0000007" in output
    with engine.begin() as connection:
        connection.execute(text("UPDATE protocol_registrations SET number = 3 WHERE number = 7"))
        connection.execute(text("UPDATE protocol_registrations SET registered_at = (SELECT registered_at FROM "
                                "protocol_registrations WHERE number = 1) WHERE number = 4"))
    assert "numeri con data e ora precedenti a quelle del numero prima: 0000004" in occ("verify", "milano", status=1)
    assert "inesistente" in occ("verify", "nessuno", status=1)


def test_duplicates_and_wrong_years_are_named():
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    problems = numbering.year_problems([(1, moment), (2, moment), (2, moment)], 2, 2026)
    assert problems == ["numeri ripetuti: 0000002"]
    assert numbering.year_problems([(1, moment)], 1, 2025) == ["registrazioni con data di un altro anno: 0000001"]
    assert numbering.year_problems([], 3, 2026) == [
        "numeri mancanti (3): 0000001, 0000002, 0000003",
        "il contatore è a 0000003 ma l'ultimo numero registrato è 0000000"]
