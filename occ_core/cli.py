"""The ``occ`` command: database, demo, web and background processes, Orders, contracts, users."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import transaction

from occ_core.errors import UserError


def load_settings(config_path: str | None) -> dict:
    if config_path:
        from pyramid.paster import get_appsettings, setup_logging

        setup_logging(config_path)
        return dict(get_appsettings(config_path))
    return {}


class Environment:
    """The configured registry, built once per command."""

    def __init__(self, config_path):
        self.config_path = config_path
        self._registry = None

    @property
    def registry(self):
        if self._registry is None:
            from occ_core.background import configure_celery
            from occ_core.config import make_configurator

            configurator = make_configurator(load_settings(self.config_path))
            configurator.commit()
            configure_celery(configurator.registry)
            self._registry = configurator.registry
        return self._registry

    @property
    def pm(self):
        return self.registry.occ_plugins

    @contextmanager
    def session(self, tenant_id=None):
        from occ_core.db import transactional_session

        tm = transaction.TransactionManager(explicit=True)
        with tm:
            yield transactional_session(self.registry["db.session_factory"], tm, tenant_id)


def default_config() -> str | None:
    path = os.environ.get("OCC_CONFIG")
    if path:
        return path
    return "development.ini" if Path("development.ini").exists() else None


@click.group()
@click.option("--config", "-c", "config_path", default=default_config, help="File ini (predefinito: development.ini)")
@click.pass_context
def cli(ctx, config_path):
    """Piattaforma OCC: comandi di amministrazione."""
    ctx.obj = Environment(config_path)


def fail(message: str):
    raise click.ClickException(message)


def tenant_or_fail(db, slug):
    from occ_core.tenants.services import get_tenant

    tenant = get_tenant(db, slug)
    if tenant is None:
        fail(f"Ordine «{slug}» inesistente.")
    return tenant


# --- database ----------------------------------------------------------------------------------

@cli.group()
def db():
    """Migrazioni del database (una per distribuzione)."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(env):
    """Porta il database all'ultima versione di ogni distribuzione installata."""
    from occ_core import migrate

    for name in migrate.upgrade(env.registry["db.engine"], env.pm):
        click.echo(f"{name}: aggiornato")


@db.command("status")
@click.pass_obj
def db_status(env):
    """Versione del database e versione attesa, per ogni distribuzione; esce con 1 se non allineato."""
    from occ_core import migrate

    behind = False
    for name, (current, head) in migrate.current_heads(env.registry["db.engine"], env.pm).items():
        state = "allineato" if current == head else "da aggiornare"
        behind = behind or current != head
        click.echo(f"{name}: {current or '-'} (attesa {head}) {state}")
    sys.exit(1 if behind else 0)


@db.command("check")
@click.pass_obj
def db_check(env):
    """Confronta i modelli con il database migrato; esce con 1 se una migrazione manca."""
    from occ_core import migrate

    differences = {name: diff for name, diff in migrate.drift(env.registry["db.engine"], env.pm).items() if diff}
    for name, diff in differences.items():
        click.echo(f"{name}: {len(diff)} differenze tra modelli e migrazioni: {diff}")
    if differences:
        sys.exit(1)
    click.echo("Modelli e migrazioni allineati.")


@db.command("revision")
@click.argument("stream")
@click.option("-m", "--message", required=True)
@click.pass_obj
def db_revision(env, stream, message):
    """Genera una migrazione per STREAM (sviluppatori)."""
    from occ_core import migrate

    migrate.revision(env.registry["db.engine"], env.pm, stream, message)


# --- Orders, contracts, modules, users ---------------------------------------------------------

@cli.group()
def tenant():
    """Ordini (tenant)."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Nome dell'Ordine")
@click.pass_obj
def tenant_create(env, slug, name):
    from occ_core.tenants.services import create_tenant

    try:
        with env.session() as db:
            created = create_tenant(db, env.pm, slug, name)
            click.echo(f"Ordine «{created.slug}» creato.")
    except UserError as error:
        fail(error.message)


@cli.group()
def contract():
    """Contratti: i moduli disponibili per un Ordine."""


@contract.command("add")
@click.argument("slug")
@click.argument("module")
@click.option("--from", "valid_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--until", "valid_until", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--notes", default="")
@click.pass_obj
def contract_add(env, slug, module, valid_from, valid_until, notes):
    from occ_core.tenants.services import add_contract

    try:
        with env.session() as db:
            found = tenant_or_fail(db, slug)
            add_contract(db, env.pm, found, module, valid_from.date(), valid_until.date() if valid_until else None, notes)
            click.echo(f"Contratto per «{module}» registrato.")
    except UserError as error:
        fail(error.message)


@cli.group()
def module():
    """Attivazione dei moduli per un Ordine."""


def _set_module(env, slug, name, enabled):
    from occ_core.audit.services import record
    from occ_core.tenants.services import set_module_enabled

    try:
        with env.session() as db:
            found = tenant_or_fail(db, slug)
            changed = set_module_enabled(db, env.pm, found, name, enabled)
            if changed:
                record(db, "module.enabled" if enabled else "module.disabled", tenant_id=found.id,
                       object_type="module", object_id=name, details={"via": "cli"})
            click.echo(f"Modulo «{name}» {'attivato' if enabled else 'disattivato'}"
                       f"{'' if changed else ' (già in questo stato)'}.")
    except UserError as error:
        fail(error.message)


@module.command("enable")
@click.argument("slug")
@click.argument("name")
@click.pass_obj
def module_enable(env, slug, name):
    _set_module(env, slug, name, True)


@module.command("disable")
@click.argument("slug")
@click.argument("name")
@click.pass_obj
def module_disable(env, slug, name):
    _set_module(env, slug, name, False)


@cli.group()
def user():
    """Utenti."""


@user.command("add")
@click.argument("email")
@click.option("--name", "full_name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--tenant", "slug", help="Ordine a cui associarlo")
@click.option("--role", default="segreteria", show_default=True)
@click.option("--operator", is_flag=True, help="Operatore della piattaforma (pagine /admin)")
@click.pass_obj
def user_add(env, email, full_name, password, slug, role, operator):
    from occ_core.accounts.roles import add_membership
    from occ_core.accounts.services import create_user, user_by_email

    try:
        with env.session() as db:
            found = user_by_email(db, email)
            if found is None:
                found = create_user(db, email, full_name, password, is_operator=operator, verified=True)
            if slug:
                target = tenant_or_fail(db, slug)
                db.info["tenant_id"] = target.id
                add_membership(db, target, found, role)
            click.echo(f"Utente {found.email} pronto.")
    except UserError as error:
        fail(error.message)


@cli.command("plugins")
@click.pass_obj
def plugins(env):
    """Moduli installati e, per ogni Ordine, disponibili / attivati."""
    from sqlalchemy import select

    from occ_core.tenants.models import Tenant
    from occ_core.tenants.services import available_modules, enabled_modules

    click.echo("Moduli installati:")
    for name, info in sorted(env.pm.modules.items()):
        click.echo(f"  {name} {info.version}  {info.label}")
    with env.session() as db:
        for found in db.scalars(select(Tenant).order_by(Tenant.slug)):
            available = available_modules(db, env.pm, found)
            enabled = enabled_modules(db, found)
            click.echo(f"Ordine {found.slug}:")
            for name in sorted(env.pm.modules):
                state = ("attivo" if name in enabled else "disponibile") if name in available else (
                    "attivato, senza contratto" if name in enabled else "non disponibile")
                click.echo(f"  {name}: {state}")


# --- demo, web, background -----------------------------------------------------------------------

@cli.command("demo")
@click.pass_obj
def demo(env):
    """Carica l'Ordine dimostrativo «demo» con dati realistici e gli utenti di prova."""
    from occ_core.demo import load_demo

    with env.session() as db:
        lines = load_demo(db, env.registry)
    for line in lines:
        click.echo(line)


@cli.command("serve")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 6543)), show_default="6543")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-worker", is_flag=True, help="Senza il lavoro in background")
@click.pass_obj
def serve(env, port, host, no_worker):
    """Server web (waitress) e, nella configurazione integrata, il lavoro in background."""
    from waitress import serve as waitress_serve

    from occ_core.config import make_app

    app = make_app(load_settings(env.config_path))
    worker = None
    if not no_worker:
        command = [sys.executable, "-m", "occ_core.cli"]
        if env.config_path:
            command += ["--config", env.config_path]
        worker = subprocess.Popen(command + ["worker", "--beat"], preexec_fn=_die_with_parent)
    # A plain SIGTERM would end the server without the ``finally`` below and leave the worker running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"Piattaforma OCC su http://{host}:{port}/")
    try:
        waitress_serve(app, host=host, port=port, threads=8)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)


def _die_with_parent() -> None:
    """In the embedded worker's process: ask Linux to end it when the server dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@cli.command("worker")
@click.option("--beat", is_flag=True, help="Esegue anche le attività periodiche (solo per un processo)")
@click.option("--concurrency", type=int, default=None)
@click.pass_obj
def worker(env, beat, concurrency):
    """Processo Celery che esegue il lavoro in background."""
    from occ_core.background import celery_app

    env.registry  # configures Celery
    argv = ["worker", "--loglevel=INFO"]
    if celery_app.conf.broker_url.startswith("filesystem://"):
        argv += ["--pool=solo"]
    if concurrency:
        argv += [f"--concurrency={concurrency}"]
    if beat:
        argv += ["--beat"]
    celery_app.worker_main(argv)


@cli.command("beat")
@click.pass_obj
def beat(env):
    """Processo Celery beat: pianifica le attività periodiche."""
    from occ_core.background import celery_app

    env.registry
    celery_app.start(["beat", "--loglevel=INFO"])


def main():
    from occ_core.plugins import OccPluginManager

    # Modules add their own commands; discovering them needs no database or settings.
    OccPluginManager().load().hook.occ_cli_commands(cli=cli)
    return cli(prog_name="occ")


if __name__ == "__main__":
    main()
