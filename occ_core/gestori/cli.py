"""``occ appointments verify SLUG``: check the hash chain of an Order's appointment log."""
from __future__ import annotations

import sys

import click


@click.group()
def appointments():
    """Registro delle nomine dei gestori."""


@appointments.command("verify")
@click.argument("slug")
@click.pass_obj
def verify(env, slug):
    """Verifica la catena di impronte del registro delle nomine dell'Ordine SLUG; esce con 1 se è interrotta."""
    from occ_core.cli import tenant_or_fail
    from occ_core.gestori.chain import verification_message

    with env.session() as db:
        tenant = tenant_or_fail(db, slug)
        ok, message = verification_message(db, tenant.id)
    click.echo(message)
    sys.exit(0 if ok else 1)
