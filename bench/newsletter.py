"""A newsletter to 10,000 recipients through the platform against a plain smtplib loop, to the same local
SMTP sink, side by side in the same run.

    .venv/bin/python bench/newsletter.py [--recipients 10000] [--broker-url redis://127.0.0.1:6390/15]
                                         [--database-url URL]

The sink is aiosmtpd in a process of its own, counting messages and distinct recipients. The baseline is
the sink's raw rate as a plain client gets it: one smtplib connection and one ``send_message`` per
recipient of the same message (built once, only "To" changed). The platform's run is the real path: an
Order with 10,000 registrants, a newsletter sent now, the ``newsletter.start`` task in a separate
``occ worker`` process (Celery on Redis) resolving the audience and storing the outbox message with its
10,000 personalised deliveries in one INSERT, then ``dispatch.deliver_batch`` tasks sending 200 a batch
over one SMTP connection each, at the Order's rate (set to the highest, 100,000 a minute). Its clock
starts when the task is sent to a worker already running. Target: at least half the baseline's rate.

The database is a fresh SQLite file unless ``--database-url`` names one: THAT DATABASE IS EMPTIED."""
from __future__ import annotations

import argparse
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SUBJECT = "Notizie dall'Ordine: formazione, assemblea e novità sul sovraindebitamento"
HTML = ("<h2>Notizie di novembre</h2><p>Gentili colleghe e colleghi,</p>"
        "<p>ecco le novità del mese: il <b>corso di aggiornamento</b> per i gestori della crisi, "
        "l'assemblea annuale e le ultime pronunce sul <a href=\"https://www.example.it/ccii\">Codice della crisi</a>.</p>"
        + "<p>Il corso si terrà nella sala convegni dell'Ordine; l'iscrizione è gratuita e dà diritto a "
          "crediti formativi. Il programma completo è pubblicato sul sito.</p>" * 8
        + "<ul><li>Corso: 4 dicembre, ore 15</li><li>Assemblea: 12 dicembre, ore 10</li></ul>")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the sink, in its own process -------------------------------------------------------------------

def run_sink(port: int, report: str) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        messages, recipients = 0, set()

        async def handle_DATA(self, server, session, envelope):
            Counter.messages += 1
            Counter.recipients.update(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    Path(report).write_text(json.dumps({"messages": Counter.messages, "recipients": len(Counter.recipients)}))


class Sink:
    def __init__(self, folder: Path):
        self.port, self.report = free_port(), folder / f"sink-{time.monotonic_ns()}.json"
        self.process = subprocess.Popen([sys.executable, __file__, "--sink", str(self.port), str(self.report)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the SMTP sink did not start")

    def stop(self) -> dict:
        self.process.terminate()
        self.process.wait(timeout=30)
        return json.loads(self.report.read_text())


# --- the baseline -------------------------------------------------------------------------------------

def baseline(port: int, addresses: list[str]) -> float:
    from occ_core.newsletter.content import html_to_text

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "OCC <noreply@occ.localhost>", addresses[0], SUBJECT
    message.set_content(html_to_text(HTML))
    message.add_alternative(HTML, subtype="html")
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for index, address in enumerate(addresses, 1):
            message.replace_header("To", address)
            smtp.send_message(message)
            if index % 2000 == 0:
                show("smtplib", index, len(addresses), started)
    return time.perf_counter() - started


def show(label: str, done: int, total: int, started: float, extra: str = "") -> None:
    elapsed = time.perf_counter() - started
    print(f"  {label}: {done:>6}/{total} in {elapsed:6.1f} s ({done / elapsed if elapsed else 0:6.0f}/s){extra}",
          flush=True)


# --- the platform -----------------------------------------------------------------------------------

def prepare(settings: dict, count: int):
    """A migrated database with an Order, ``count`` registrants and a newsletter to all of them, due now."""
    from sqlalchemy import insert, text

    from occ_core import migrate
    from occ_core.accounts.services import create_user
    from occ_core.background import configure_celery
    from occ_core.config import make_configurator
    from occ_core.db import transactional_session
    from occ_core.newsletter import services
    from occ_core.tenants.services import create_tenant
    from shared_registry.models import Registrant
    import transaction

    configurator = make_configurator(settings)
    registry = configurator.registry
    engine = registry["db.engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine, registry.occ_plugins)
    configure_celery(registry)
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        db = transactional_session(registry["db.session_factory"], tm)
        tenant = create_tenant(db, registry.occ_plugins, "bench", "Ordine degli Avvocati di Prova")
        user = create_user(db, "segreteria@ordine.it", "Segreteria", "password-di-prova-1", verified=True)
        db.execute(insert(Registrant), [
            {"tenant_id": tenant.id, "codice_fiscale": f"RSSMRA80A01{n:05d}", "last_name": f"Rossi{n}",
             "first_name": "Mario", "category": "avvocato", "status": "attivo", "email": f"iscritto{n:05d}@example.it",
             "specialisations": []} for n in range(count)])
        services.save_rate(tenant, str(services.MAX_RATE))
    with tm:
        db = transactional_session(registry["db.session_factory"], tm, tenant.id)
        draft = services.read_draft(db, tenant.id, {"subject": SUBJECT, "body_html": HTML, "audience": "iscritti",
                                                    "iscritti_status": "attivo"})
        newsletter = services.save_draft(db, tenant.id, None, draft, user.id)
        found = services.schedule(db, tenant, newsletter, None)
        assert len(found.recipients) == count
    return registry, tenant.id, newsletter.id


def progress(registry, newsletter_id):
    """(total, sent, failed) of the newsletter's deliveries so far."""
    from sqlalchemy import func, select

    from occ_core.dispatch.models import FAILED, SENT, Delivery
    from occ_core.newsletter.models import Newsletter

    with registry["db.engine"].connect() as connection:
        message_id = connection.scalar(select(Newsletter.message_id).where(Newsletter.id == newsletter_id))
        if message_id is None:
            return 0, 0, 0
        counts = dict(connection.execute(select(Delivery.status, func.count()).where(Delivery.message_id == message_id)
                                          .group_by(Delivery.status)).all())
    return sum(counts.values()), counts.get(SENT, 0), counts.get(FAILED, 0)


def platform(registry, tenant_id: int, newsletter_id: int, count: int, environ: dict, folder: Path) -> tuple:
    from occ_core.background import celery_app

    celery_app.control.purge()
    worker = subprocess.Popen([str(BIN / "occ"), "worker", "--concurrency", "1"], cwd=folder, env=environ,
                              stdout=subprocess.DEVNULL, stderr=open(folder / "worker.log", "w"))
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the worker did not start: see {folder / 'worker.log'}")
        started = time.perf_counter()
        queued_after = None
        celery_app.tasks["newsletter.start"].apply_async(args=(tenant_id, newsletter_id))
        shown = 0
        while True:
            total, sent, failed = progress(registry, newsletter_id)
            if total and queued_after is None:
                queued_after = time.perf_counter() - started
                print(f"  piattaforma: {total} invii accodati in {queued_after:.1f} s", flush=True)
            if sent + failed >= count:
                break
            if sent - shown >= 2000 or (sent and not shown):
                show("piattaforma", sent, count, started)
                shown = sent
            if worker.poll() is not None:
                raise RuntimeError(f"the worker stopped: see {folder / 'worker.log'}")
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        show("piattaforma", sent, count, started, f", non riusciti {failed}")
        return elapsed, queued_after, failed
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--sink":
        return run_sink(int(sys.argv[2]), sys.argv[3])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--broker-url", default=os.environ.get("OCC_BENCH_BROKER_URL", "redis://127.0.0.1:6390/15"))
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="occ-bench-newsletter-"))
    addresses = [f"iscritto{n:05d}@example.it" for n in range(options.recipients)]

    sink = Sink(folder)
    print(f"Baseline: smtplib, una connessione, {options.recipients} send_message", flush=True)
    bare = baseline(sink.port, addresses)
    bare_sink = sink.stop()

    sink = Sink(folder)
    environ = {**os.environ, "OCC_VAR_DIR": str(folder / "var"), "OCC_SECRET": "bench-secret-0123456789abcdef",
               "OCC_DATABASE_URL": options.database_url or f"sqlite:///{folder / 'occ.sqlite'}",
               "OCC_BROKER_URL": options.broker_url, "OCC_CELERY_EAGER": "false",
               "OCC_SMTP_HOST": "127.0.0.1", "OCC_SMTP_PORT": str(sink.port)}
    os.environ.update(environ)
    from occ_core.settings import build_settings

    print(f"Piattaforma: preparazione di {options.recipients} iscritti e della newsletter", flush=True)
    registry, tenant_id, newsletter_id = prepare(build_settings(), options.recipients)
    print(f"Piattaforma: invio (database {registry['db.engine'].dialect.name}, broker {options.broker_url})",
          flush=True)
    ours, queued_after, failed = platform(registry, tenant_id, newsletter_id, options.recipients, environ, folder)
    our_sink = sink.stop()

    count = options.recipients
    print()
    print(f"{'':32}{'smtplib':>12}{'piattaforma':>14}")
    print(f"{'secondi':32}{bare:12.1f}{ours:14.1f}")
    print(f"{'messaggi al secondo':32}{count / bare:12.0f}{count / ours:14.0f}")
    print(f"{'ricevuti dal server (distinti)':32}{bare_sink['recipients']:12}{our_sink['recipients']:14}")
    print(f"{'ricevuti dal server (totale)':32}{bare_sink['messages']:12}{our_sink['messages']:14}")
    print(f"accodamento (destinatari, collegamenti firmati, INSERT): {queued_after:.1f} s; non riusciti: {failed}")
    print(f"rapporto piattaforma / smtplib: {bare / ours:.2f} (obiettivo: almeno 0,50)")


if __name__ == "__main__":
    main()
