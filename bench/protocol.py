"""Protocol registration under concurrency, and the daily register of a busy day (PostgreSQL).

    su postgres -c "createdb -O occ occ_bench_protocol"
    .venv/bin/python bench/protocol.py --database-url postgresql+psycopg://occ:occ@127.0.0.1:5432/occ_bench_protocol

1. Registrations per second with 16 concurrent clients (threads, each with its own connection and its own
   transactions), three ways in alternating rounds: through the real service (``services.register``: checks,
   the file stored in the content-addressed storage, number under the counter's lock, registration,
   correspondent, file row, audit), against raw SQL of the same rows (counter locked and incremented,
   registration, correspondent and file rows, one transaction each), and the same raw SQL plus storing the
   file (what of the difference the storage's fsync takes). Same isolation (PostgreSQL's READ COMMITTED) for
   all; numbering checked for gaps and duplicates at the end.
2. The daily register of a day of 5,000 registrations (with annulments and corrections): time and peak memory
   of producing it (CSV, plain PDF, PDF/A through LibreOffice) against a baseline, the raw SELECT of the day's
   rows written with a bare ``csv.writer``. Each measure runs in a process of its own, so that its peak
   memory (``ru_maxrss``, and LibreOffice's as a child process) is its own."""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone

import transaction
from sqlalchemy import select, text

from occ_core import migrate
from occ_core.accounts.models import User
from occ_core.clock import ROME
from occ_core.config import make_app
from occ_core.db import bind_tenant, transactional_session, utcnow
from occ_core.documents import samples
from occ_core.documents.storage import storage_of
from occ_core.protocol import daily, numbering, services
from occ_core.protocol.models import ProtocolRegister
from occ_core.tenants import services as tenants
from occ_core.tenants.models import Tenant
from occ_core.web.ui import csv_bytes
from occ_core.testing.factories import make_user

SLUG, EMAIL = "bench-protocollo", "segreteria@bench-protocollo.example.it"
SENDER = {"name": "Banca Alfa S.p.A.", "tax_code": "01234560017", "address": "banca.alfa@pec.example.it"}
BUSY_DAY = date(2025, 6, 16)  # a Monday
TABLES = ("protocol_daily_registers", "protocol_corrections", "protocol_annulments", "protocol_files",
          "protocol_correspondents", "protocol_registrations", "protocol_counters", "protocol_registers")

RAW_STATEMENTS = {
    "counter": text("INSERT INTO protocol_counters (tenant_id, register_id, year, last_number) "
                    "VALUES (:tenant, :register, :year, 0) ON CONFLICT (register_id, year) DO NOTHING"),
    "lock": text("SELECT id, last_number FROM protocol_counters WHERE register_id = :register AND year = :year "
                 "FOR UPDATE"),
    "next": text("UPDATE protocol_counters SET last_number = :number WHERE id = :id"),
    "registration": text(
        "INSERT INTO protocol_registrations (tenant_id, register_id, year, number, registered_at, registered_by_id, "
        "direction, subject, means, received_doc_number, classification, assigned_office, notes, source, "
        "source_ref, correspondent_names) VALUES (:tenant, :register, :year, :number, :at, :user, 'entrata', "
        ":subject, 'pec', '', '', '', '', 'manuale', '', :names) RETURNING id"),
    "correspondent": text(
        "INSERT INTO protocol_correspondents (tenant_id, registration_id, role, position, name, tax_code, address) "
        "VALUES (:tenant, :registration, 'mittente', 0, :name, :tax_code, :address)"),
    "file": text(
        "INSERT INTO protocol_files (tenant_id, registration_id, position, role, filename, media_type, size, sha256) "
        "VALUES (:tenant, :registration, 0, 'primario', 'lettera.pdf', 'application/pdf', :size, :sha256)"),
}


def settings(database_url: str, var_dir: str) -> dict:
    return {"sqlalchemy.url": database_url, "sqlalchemy.pool_size": "20", "celery.task_always_eager": "true",
            "occ.var_dir": var_dir}


def fresh_order(registry) -> tuple[int, int]:
    """The benchmark's Order, emptied of any protocol of an earlier run, with its secretariat user."""
    factory, pm = registry["db.session_factory"], registry.occ_plugins
    with factory() as db:
        tenant = tenants.get_tenant(db, SLUG) or tenants.create_tenant(db, pm, SLUG, "Ordine del benchmark")
        db.commit()
        for table in TABLES:
            db.execute(text(f"DELETE FROM {table} WHERE tenant_id = :tenant"), {"tenant": tenant.id})
        db.commit()
        user = db.scalar(select(User).where(User.email == EMAIL))
        if user is None:
            user = make_user(db, EMAIL, tenant, "segreteria", full_name="Segreteria del benchmark")
            db.commit()
        return tenant.id, user.id


def in_transaction(registry, tenant_id, work):
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        db = transactional_session(registry["db.session_factory"], tm, tenant_id)
        return work(db, tm)


# --- 1. registrations per second -------------------------------------------------------------------

def service_client(registry, tenant_id, user_id, count, tag):
    for index in range(count):
        def work(db, tm):
            env = services.ProtocolEnv(registry=registry, dbsession=db, tenant=db.get(Tenant, tenant_id),
                                       identity=db.get(User, user_id), tm=tm)
            services.register(env, {"direction": "entrata", "subject": f"Precisazione del credito {tag}-{index}",
                                    "mittente": dict(SENDER), "means": "pec"},
                              [("lettera.pdf", samples.pdf(f"Lettera {tag}-{index}"))])
        in_transaction(registry, tenant_id, work)


def raw_client(registry, tenant_id, user_id, count, tag, register_id, store):
    engine, storage = registry["db.engine"], storage_of(registry)
    with engine.connect() as connection:
        for index in range(count):
            content = samples.pdf(f"Lettera {tag}-{index}")
            digest = storage.put(content) if store else hashlib.sha256(content).hexdigest()
            now = utcnow()
            year = numbering.register_year(now)
            with connection.begin():
                connection.execute(RAW_STATEMENTS["counter"], {"tenant": tenant_id, "register": register_id,
                                                               "year": year})
                counter_id, last = connection.execute(RAW_STATEMENTS["lock"], {"register": register_id,
                                                                               "year": year}).one()
                connection.execute(RAW_STATEMENTS["next"], {"number": last + 1, "id": counter_id})
                registration_id = connection.execute(RAW_STATEMENTS["registration"], {
                    "tenant": tenant_id, "register": register_id, "year": year, "number": last + 1, "at": utcnow(),
                    "user": user_id, "subject": f"Precisazione del credito {tag}-{index}",
                    "names": SENDER["name"]}).scalar_one()
                connection.execute(RAW_STATEMENTS["correspondent"], {"tenant": tenant_id,
                                                                     "registration": registration_id, **SENDER})
                connection.execute(RAW_STATEMENTS["file"], {"tenant": tenant_id, "registration": registration_id,
                                                            "size": len(content), "sha256": bytes.fromhex(digest)})


def concurrent(clients, target) -> float:
    errors = []

    def run(number):
        try:
            target(number)
        except Exception as error:  # reported: a failed registration is a finding, not a crash
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(number,)) for number in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  errori: {len(errors)}, per esempio {errors[0]}")
    return time.perf_counter() - started


def bench_registrations(registry, clients, per_client, rounds):
    tenant_id, user_id = fresh_order(registry)
    with registry["db.session_factory"]() as db:
        bind_tenant(db, tenant_id)
        numbering.ensure_default_register(db, tenant_id)
        raw_registers = []
        for code in ("RAW", "RAWFILE"):
            register = ProtocolRegister(tenant_id=tenant_id, code=code, name=f"Registro {code}")
            db.add(register)
            db.flush()
            raw_registers.append(register.id)
        db.commit()
        isolation = db.execute(text("SHOW transaction_isolation")).scalar()
    total = clients * per_client
    ways = {
        "servizio (register)": lambda r: lambda n: service_client(registry, tenant_id, user_id, per_client,
                                                                  f"s{r}.{n}"),
        "INSERT diretti": lambda r: lambda n: raw_client(registry, tenant_id, user_id, per_client, f"r{r}.{n}",
                                                         raw_registers[0], False),
        "INSERT diretti + file salvato": lambda r: lambda n: raw_client(registry, tenant_id, user_id, per_client,
                                                                        f"f{r}.{n}", raw_registers[1], True),
    }
    rates = {name: [] for name in ways}
    print(f"{clients} client concorrenti x {per_client} registrazioni per turno, isolamento {isolation}")
    for round_number in range(rounds):
        for name, make in ways.items():
            elapsed = concurrent(clients, make(round_number))
            rates[name].append(total / elapsed)
            print(f"  turno {round_number + 1}: {name:32} {total / elapsed:7.1f} registrazioni/s")
    service = statistics.median(rates["servizio (register)"])
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:32} mediana {median:7.1f}/s (min {min(values):.1f}, max {max(values):.1f})  "
              f"servizio/questo {service / median:5.2f}")
    with registry["db.session_factory"]() as db:
        problems = numbering.verify_numbering(db, tenant_id)
    print("Numerazione: " + ("nessun buco e nessun doppione." if not problems else "; ".join(problems)))


# --- 2. the daily register of a busy day -----------------------------------------------------------

def seed_busy_day(registry, count) -> None:
    """``count`` registrations on BUSY_DAY (one to three correspondents, one or two files each), 1% of them
    annulled and 2% corrected the same day, written with executemany (the service would take minutes)."""
    tenant_id, user_id = fresh_order(registry)
    rng = random.Random(5000)
    with registry["db.session_factory"]() as db:
        bind_tenant(db, tenant_id)
        register = numbering.ensure_default_register(db, tenant_id)
        db.commit()
        start = datetime.combine(BUSY_DAY, clock_time(8), ROME).astimezone(timezone.utc)
        step = timedelta(seconds=36_000 / count)
        rows = [{"tenant": tenant_id, "register": register.id, "year": BUSY_DAY.year, "number": n + 1,
                 "at": start + step * n, "user": user_id, "subject": f"Precisazione del credito, pratica {n % 900}/2025",
                 "names": SENDER["name"]} for n in range(count)]
        connection = db.connection()
        ids = [connection.execute(RAW_STATEMENTS["registration"], row).scalar_one() for row in rows]
        correspondents, files = [], []
        for registration_id in ids:
            for position in range(rng.randrange(1, 4)):
                correspondents.append({"tenant_id": tenant_id, "registration_id": registration_id,
                                       "role": "mittente" if position == 0 else "destinatario", "position": position,
                                       "name": f"Corrispondente {position} di {registration_id}",
                                       "tax_code": "01234560017", "address": f"c{position}@pec.example.it"})
            for position in range(rng.randrange(1, 3)):
                files.append({"tenant_id": tenant_id, "registration_id": registration_id, "position": position,
                              "role": "primario" if position == 0 else "allegato", "filename": f"doc-{position}.pdf",
                              "media_type": "application/pdf", "size": 1000,
                              "sha256": hashlib.sha256(f"{registration_id}-{position}".encode()).digest()})
        connection.execute(text("INSERT INTO protocol_correspondents (tenant_id, registration_id, role, position, "
                                "name, tax_code, address) VALUES (:tenant_id, :registration_id, :role, :position, "
                                ":name, :tax_code, :address)"), correspondents)
        connection.execute(text("INSERT INTO protocol_files (tenant_id, registration_id, position, role, filename, "
                                "media_type, size, sha256) VALUES (:tenant_id, :registration_id, :position, :role, "
                                ":filename, :media_type, :size, :sha256)"), files)
        later = start + timedelta(hours=10, minutes=30)
        connection.execute(text(
            "INSERT INTO protocol_annulments (tenant_id, registration_id, annulled_at, annulled_by_id, reason, "
            "act_reference, act_date) VALUES (:tenant, :registration, :at, :user, 'Registrazione doppia', "
            "'Provvedimento n. 1', :day)"),
            [{"tenant": tenant_id, "registration": i, "at": later, "user": user_id, "day": BUSY_DAY}
             for i in ids[::100]])
        connection.execute(text(
            "INSERT INTO protocol_corrections (tenant_id, registration_id, corrected_at, corrected_by_id, field, "
            "old_value, new_value, reason) VALUES (:tenant, :registration, :at, :user, 'subject', 'Vecchio oggetto', "
            ":new, 'Refuso')"),
            [{"tenant": tenant_id, "registration": i, "at": later, "user": user_id,
              "new": f"Precisazione del credito, pratica {n % 900}/2025"} for n, i in enumerate(ids) if n % 50 == 7])
        db.commit()


def measure(database_url: str, var_dir: str, way: str) -> dict:
    """One measure in this process: seconds, and the peak resident memory of the process and its children."""
    app = make_app(settings(database_url, var_dir))
    registry = app.registry
    with registry["db.session_factory"]() as db:
        tenant = tenants.get_tenant(db, SLUG)
        bind_tenant(db, tenant.id)
        register = numbering.ensure_default_register(db, tenant.id)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if way == "baseline":
            start, end = daily.day_bounds(BUSY_DAY)
            rows = db.connection().exec_driver_sql(
                "SELECT r.year, r.number, r.registered_at, r.direction, r.means, r.subject, r.received_doc_date, "
                "r.received_doc_number, r.registered_by_id, "
                "(SELECT string_agg(c.name || ' <' || c.address || '>', '; ' ORDER BY c.position) "
                " FROM protocol_correspondents c WHERE c.registration_id = r.id), "
                "(SELECT string_agg(f.filename || ' ' || encode(f.sha256, 'hex'), '; ' ORDER BY f.position) "
                " FROM protocol_files f WHERE f.registration_id = r.id) "
                "FROM protocol_registrations r WHERE r.register_id = %(register)s AND r.registered_at >= %(start)s "
                "AND r.registered_at < %(end)s ORDER BY r.year, r.number",
                {"register": register.id, "start": start, "end": end}).all()
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";")
            writer.writerows(rows)
            size, lines = len(buffer.getvalue().encode()), len(rows)
        else:
            soffice = daily.soffice_of({daily.SOFFICE_SETTING: "soffice"}) if way == "pdfa" else None
            if way == "csv":
                content, _names = daily._content(db, tenant, register, BUSY_DAY, 1, "X", daily.PRODUCER, utcnow())
                size, lines = len(csv_bytes(daily.csv_rows(content))), content.size
            else:
                row = daily.produce(db, tenant, register, BUSY_DAY, storage_of(registry), soffice)
                size = storage_of(registry).size(row.pdf_sha256)
                lines = row.registrations + row.annulments + row.corrections
                if row.pdf_format != ("PDF/A-2b" if way == "pdfa" else "PDF"):
                    raise RuntimeError(f"produced {row.pdf_format}")
            db.rollback()  # measured, not kept: the next measure produces the day again
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "lines": lines, "bytes": size,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_before_mb": rss_before / 1024,
            "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def bench_daily(database_url, var_dir, count, repeat):
    print(f"Registro giornaliero di un giorno con {count} registrazioni (più 1% annullamenti, 2% correzioni)")
    print(f"{'modo':44} {'s (mediana)':>12} {'righe':>7} {'KB':>8} {'RSS MB':>7} {'+MB':>5} {'figli MB':>9} "
          f"{'x base':>7}")
    labels = {"baseline": "base: SELECT diretta + csv.writer", "csv": "contenuto + CSV (daily._content, csv_rows)",
              "plain": "produce: CSV + PDF semplice (fpdf2)", "pdfa": "produce: CSV + PDF/A-2b (LibreOffice)"}
    base = None
    for way, label in labels.items():
        runs = [json.loads(subprocess.run(
            [sys.executable, __file__, "--database-url", database_url, "--var-dir", var_dir, "--measure", way],
            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            for _ in range(1 if way == "pdfa" else repeat)]
        seconds = statistics.median(run["seconds"] for run in runs)
        base = base or seconds
        last = runs[-1]
        print(f"{label:44} {seconds:12.2f} {last['lines']:7d} {last['bytes'] / 1024:8.0f} {last['rss_mb']:7.0f} "
              f"{last['rss_mb'] - last['rss_before_mb']:5.0f} {last['child_rss_mb']:9.0f} {seconds / base:7.1f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--day-size", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-registrations", action="store_true")
    parser.add_argument("--skip-daily", action="store_true")
    parser.add_argument("--var-dir")
    parser.add_argument("--measure", choices=("baseline", "csv", "plain", "pdfa"))
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.database_url, args.var_dir, args.measure)))
        return
    var_dir = args.var_dir or tempfile.mkdtemp(prefix="occ-bench-protocol-")
    app = make_app(settings(args.database_url, var_dir))
    migrate.upgrade(app.registry["db.engine"], app.registry.occ_plugins)
    if not args.skip_registrations:
        bench_registrations(app.registry, args.clients, args.per_client, args.rounds)
    if not args.skip_daily:
        seed_busy_day(app.registry, args.day_size)
        bench_daily(args.database_url, var_dir, args.day_size, args.repeat)
    print(f"File in {var_dir}")


if __name__ == "__main__":
    main()
