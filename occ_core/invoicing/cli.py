"""``occ invoices export SLUG --year YYYY --out DIR``: the year's FatturaPA files for the accountant."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click


@click.group()
def invoices():
    """Fatture alle parti (FatturaPA)."""


@invoices.command("export")
@click.argument("slug")
@click.option("--year", type=click.IntRange(1970, 2999), required=True, help="Anno di emissione")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Cartella in cui scrivere i file XML (creata se manca)")
@click.pass_obj
def export(env, slug, year, out):
    """Scrive un file XML per ogni fattura emessa nell'anno dall'Ordine SLUG, col nome dato dal SdI."""
    from occ_core.cli import tenant_or_fail
    from occ_core.invoicing.services import issued_between

    with env.session() as db:
        tenant_id = tenant_or_fail(db, slug).id
    out.mkdir(parents=True, exist_ok=True)
    with env.session(tenant_id) as db:
        found = issued_between(db, date(year, 1, 1), date(year, 12, 31))
        for invoice in found:
            # The names come from the Order's own counter, never from input: no path can escape ``out``.
            (out / invoice.xml_filename).write_bytes(invoice.xml)
    click.echo(f"Fatture dell'Ordine «{slug}» del {year}: {len(found)} file XML scritti in {out}.")
