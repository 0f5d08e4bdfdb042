"""``occ invoices export SLUG --year YYYY --out DIR`` writes one XML file per issued invoice of the year."""

import click
from click.testing import CliRunner

from occ_core.invoicing.cli import invoices
from occ_core.testing.cli import CliEnvironment

from .conftest import schema_errors


def test_the_command_is_offered_to_occ(pm):
    group = click.Group()
    pm.hook.occ_cli_commands(cli=group)
    assert set(group.commands["invoices"].commands) == {"export"}


def test_export_writes_the_years_files(registry, order, draft, issue, load, tmp_path):
    issued = [load(issue(draft("advance", amount=str(100 * n)))) for n in (1, 2)]
    draft("advance")  # a draft has no file
    year = issued[0].year
    result = CliRunner().invoke(invoices, ["export", "milano", "--year", str(year), "--out", str(tmp_path / "out")],
                                obj=CliEnvironment(registry), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 file XML" in result.output
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == sorted(i.xml_filename for i in issued)
    assert all(schema_errors(f.read_bytes()) == [] for f in files)
    assert {f.read_bytes() for f in files} == {i.xml for i in issued}
    empty = CliRunner().invoke(invoices, ["export", "milano", "--year", str(year - 1), "--out", str(tmp_path / "e")],
                               obj=CliEnvironment(registry))
    assert "0 file XML" in empty.output
    unknown = CliRunner().invoke(invoices, ["export", "nessuno", "--year", "2026", "--out", str(tmp_path)],
                                 obj=CliEnvironment(registry))
    assert unknown.exit_code != 0
