"""``occ stats ministry SLUG --year YYYY``: the Ministry's monitoring as CSV on standard output, for scheduled
exports. The CSV is byte for byte the one the page's «Scarica in CSV» gives."""
from __future__ import annotations

import click


class Refused(click.ClickException):
    """Wrong input (an unknown Order, a year that is not one): the message and exit status 2, as for a wrong
    option, so that a scheduled export tells it apart from a failure of the platform."""

    exit_code = 2


@click.group()
def stats():
    """Statistiche e monitoraggio ministeriale."""


@stats.command("ministry")
@click.argument("slug")
@click.option("--year", "raw_year", default="", metavar="AAAA", help="Anno della rilevazione (predefinito: l'anno in "
                                                                       "corso)")
@click.pass_obj
def ministry_command(env, slug, raw_year):
    """Stampa in CSV i dati del monitoraggio ministeriale dell'Ordine SLUG per l'anno indicato."""
    from occ_core.errors import UserError
    from occ_core.statistics import ministry
    from occ_core.tenants.services import get_tenant
    from occ_core.web.ui import csv_bytes

    try:
        year = ministry.parse_year(raw_year)
    except UserError as error:
        raise Refused(error.message) from None
    with env.session() as db:
        tenant = get_tenant(db, slug)
        if tenant is None:
            raise Refused(f"Ordine «{slug}» inesistente.")
        tenant_id = tenant.id
    with env.session(tenant_id) as db:
        content = csv_bytes(ministry.build(db, tenant_id, year).csv_rows())
    click.echo(content, nl=False)
