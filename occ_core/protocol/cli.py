"""``occ protocol segnatura SLUG YEAR NUMBER`` and ``occ protocol verify SLUG``: for operators and scripts."""
from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from occ_core.tenants.models import Tenant

DAILY_MODULE = "occ_core.protocol.daily"


@click.group()
def protocol():
    """Protocollo informatico."""


@protocol.command("segnatura")
@click.argument("slug")
@click.argument("year", type=int)
@click.argument("number", type=int)
@click.option("--register", "code", default=None, help="Codice del registro (predefinito: il protocollo generale)")
@click.pass_obj
def segnatura_command(env, slug, year, number, code):
    """Stampa la segnatura XML della registrazione NUMBER/YEAR dell'Ordine SLUG."""
    from occ_core.cli import fail, tenant_or_fail
    from occ_core.protocol import numbering, segnatura, services

    with env.session() as db:
        tenant_id = tenant_or_fail(db, slug).id
    with env.session(tenant_id) as db:
        tenant = db.get(Tenant, tenant_id)
        registration = services.find_by_number(db, tenant.id, year, number, code)
        if registration is None:
            fail(f"Nessuna registrazione {numbering.reference(year, number, code or numbering.DEFAULT_CODE)} "
                 f"nell'Ordine «{slug}».")
        xml = segnatura.build(db, tenant, registration, env.registry.settings["occ.secret"])
        if registration.annulment is not None:
            click.echo("Attenzione: la registrazione è annullata.", err=True)
    click.echo(xml.decode("utf-8"), nl=False)


def daily_problems(db, tenant, registry) -> list[str]:
    """The daily registers' own check, once the daily register exists (``occ_core.protocol.daily``)."""
    if importlib.util.find_spec(DAILY_MODULE) is None:
        return []
    from occ_core.documents.storage import storage_of

    return list(importlib.import_module(DAILY_MODULE).verify_registers(db, tenant, storage_of(registry)))


@protocol.command("verify")
@click.argument("slug")
@click.pass_obj
def verify(env, slug):
    """Verifica che la numerazione dell'Ordine SLUG non abbia buchi né doppioni in nessun anno e che ogni
    registro giornaliero corrisponda alla sua impronta; esce con 1 e l'elenco dei problemi se qualcosa non va."""
    from occ_core.cli import tenant_or_fail
    from occ_core.protocol import numbering

    with env.session() as db:
        tenant_id = tenant_or_fail(db, slug).id
    # Bound to the Order, so that every query of the checks sees its rows only.
    with env.session(tenant_id) as db:
        tenant = db.get(Tenant, tenant_id)
        problems = numbering.verify_numbering(db, tenant.id) + daily_problems(db, tenant, env.registry)
    if problems:
        click.echo(f"Protocollo dell'Ordine «{slug}»: {len(problems)} problemi.")
        for problem in problems:
            click.echo(f"- {problem}")
        sys.exit(1)
    click.echo(f"Protocollo dell'Ordine «{slug}»: numerazione e registri giornalieri in ordine.")
