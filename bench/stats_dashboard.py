"""The statistics dashboard and the Ministry's report on an Order of 100,000 dossiers, against the raw SQL of
the same aggregates, measured side by side in the same run.

    su postgres -c "createdb -O occ -T occ_bench occ_bench_stats"   # a copy of bench/dossier_data.py's Order
    .venv/bin/python bench/stats_dashboard.py --database-url postgresql+psycopg://occ:occ@127.0.0.1:5432/occ_bench_stats

The database is migrated to the current schema first, and the Order «bench» gets fee estimates, invoices and
ledger movements for some of its dossiers (once; the dossiers' benchmark has none), so that the amounts are
real aggregates too. Then, for each period (the current year, as the page opens; the last three years; every
dossier; every dossier of one procedure):

1. each query of the dashboard (``occ_core.statistics.queries``) against the same statements replayed through the
   driver (captured from the query, so the comparison is the ORM, the scoping and the Python around it);
2. the whole page (application in-process through WebTest: session, permissions, every table, SVG charts,
   rendering) against the raw SQL of all its aggregates.

Then the Ministry's report of last year, its page and its CSV, the same way. Rounds alternate the two sides of
each comparison so that both see the same load; the medians and 95th percentiles are printed with the ratio."""
from __future__ import annotations

import argparse
import random
import statistics as stats
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from webtest import TestApp

from dossiers import captured_sql  # bench/dossiers.py, beside this script
from occ_core import migrate
from occ_core.clock import today
from occ_core.config import make_app
from occ_core.db import bind_tenant
from occ_core.dossiers.models import Dossier
from occ_core.fees.models import FeeEstimate
from occ_core.invoicing.models import Invoice
from occ_core.ledger.models import Movement
from occ_core.statistics import dashboard, ministry, queries
from occ_core.tenants import services as tenants
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import login

SLUG, EMAIL, PASSWORD = "bench", "segreteria@bench.example.it", "bench-occ-2026"


def replayer(raw, statements):
    def replay():
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        cursor.close()
    return replay


def side_by_side(first, second, repeat: int) -> tuple[list[float], list[float]]:
    """Both functions ``repeat`` times, alternating, after one warm-up call each: their times in ms."""
    first(), second()
    times = ([], [])
    for _ in range(repeat):
        for fn, found in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            fn()
            found.append((time.perf_counter() - started) * 1000)
    return times


def p50_p95(samples) -> tuple[float, float]:
    ordered = sorted(samples)
    return stats.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def line(label: str, ours, raw) -> None:
    a, b = p50_p95(ours), p50_p95(raw)
    print(f"  {label:44} {a[0]:>9.1f}/{a[1]:<9.1f} {b[0]:>9.1f}/{b[1]:<9.1f} {a[0] / b[0]:>7.2f}")


def header(title: str, ours: str) -> None:
    print(f"\n{title}")
    print(f"  {'':44} {ours + ' p50/p95 ms':>19} {'SQL p50/p95 ms':>19} {'rapporto':>8}")


def add_accounting(factory, tenant_id: int) -> None:
    """Fee estimates (1-3 versions) for 40% of the dossiers, invoices for 30% (a credit note for some) and
    ledger movements for 30%: once, deterministic."""
    with factory() as db:
        bind_tenant(db, tenant_id)
        if db.scalar(select(func.count(FeeEstimate.id))):
            return
        started = time.perf_counter()
        rng = random.Random(6)
        dossiers = db.execute(select(Dossier.id, Dossier.filed_on).where(Dossier.tenant_id == tenant_id)).all()
        estimates, invoices, movements, numbers = [], [], [], {}
        for dossier_id, filed_on in dossiers:
            if rng.random() < 0.4:
                for version in range(1, rng.randrange(2, 5)):
                    fee = Decimal(rng.randrange(800, 12_000))
                    estimates.append({"tenant_id": tenant_id, "dossier_id": dossier_id, "version": version,
                                      "rules_version": "bench", "inputs": {}, "result": {}, "proposed_fee": fee,
                                      "proposed_total": fee * Decimal("1.22")})
            if rng.random() < 0.3:
                for kind in ("invoice", "credit_note") if rng.random() < 0.1 else ("invoice",):
                    numbers[filed_on.year] = number = numbers.get(filed_on.year, 0) + 1
                    total = Decimal(rng.randrange(200, 5_000))
                    invoices.append({"tenant_id": tenant_id, "kind": kind, "status": "issued", "dossier_id": dossier_id,
                                     "year": filed_on.year, "number": number, "issued_on": filed_on, "total": total,
                                     "amount_due": total})
            if rng.random() < 0.3:
                for category, direction in (("start_fee", "entrata"), ("advance", "entrata"), ("refund", "uscita"),
                                            ("court_fee", "uscita")):
                    if rng.random() < 0.6:
                        movements.append({"tenant_id": tenant_id, "dossier_id": dossier_id,
                                          "on": filed_on + timedelta(days=rng.randrange(0, 200)),
                                          "direction": direction, "category": category, "description": category,
                                          "amount": Decimal(rng.randrange(20, 3_000))})
        for model, rows in ((FeeEstimate, estimates), (Invoice, invoices), (Movement, movements)):
            db.execute(insert(model), rows)
        db.commit()
        print(f"Contabilità aggiunta: {len(estimates)} preventivi, {len(invoices)} fatture, {len(movements)} "
              f"movimenti in {time.perf_counter() - started:.1f} s")


def bench_dashboard(app, tenant_id: int, repeat: int) -> None:
    registry = app.registry
    engine, factory = registry["db.engine"], registry["db.session_factory"]
    client = TestApp(app)
    login(client, EMAIL, PASSWORD)
    year = today().year
    scopes = [
        ("anno in corso (come apre la pagina)", date(year, 1, 1), date(year, 12, 31), ""),
        ("ultimi tre anni", date(year - 2, 1, 1), date(year, 12, 31), ""),
        ("tutte le pratiche (dal 2016)", date(2016, 1, 1), today(), ""),
        ("tutte, liquidazione controllata", date(2016, 1, 1), today(), "liquidazione_controllata"),
    ]
    raw = engine.raw_connection()
    try:
        with factory() as db:
            bind_tenant(db, tenant_id)
            tenant = db.get(Tenant, tenant_id)
            for label, start, end, procedure in scopes:
                scope = queries.Scope(tenant_id, start, end, procedure)
                count = db.scalar(select(func.count()).select_from(Dossier).where(*scope.criteria()))
                header(f"{label}: {count} pratiche", "funzione")
                everything = []
                for key, build in dashboard.TABLES.items():
                    statements = captured_sql(engine, lambda: build(db, tenant, scope))
                    everything += statements
                    ours, sql = side_by_side(lambda: build(db, tenant, scope), replayer(raw, statements), repeat)
                    line(f"{key} ({len(statements)} istruzioni)", ours, sql)
                raw.rollback()
                params = {"from": start.isoformat(), "to": end.isoformat(), "procedure": procedure}
                page = lambda: client.get(f"/{SLUG}/statistics", params=params, status=200)  # noqa: E731
                ours, sql = side_by_side(page, replayer(raw, everything), repeat)
                line("PAGINA intera / SQL di tutti gli aggregati", ours, sql)
                raw.rollback()
            last = year - 1
            header(f"Monitoraggio ministeriale {last}", "funzione")
            statements = captured_sql(engine, lambda: ministry.build(db, tenant_id, last))
            ours, sql = side_by_side(lambda: ministry.build(db, tenant_id, last), replayer(raw, statements), repeat)
            line(f"ministry.build ({len(statements)} istruzioni)", ours, sql)
            for path in ("/statistics/ministry", "/statistics/ministry.csv"):
                ours, sql = side_by_side(lambda: client.get(f"/{SLUG}{path}", params={"year": str(last)}, status=200),
                                         replayer(raw, statements), repeat)
                line(f"PAGINA {path} / SQL", ours, sql)
            raw.rollback()
    finally:
        raw.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    app = make_app({"sqlalchemy.url": args.database_url, "celery.task_always_eager": "true", "protocol.soffice": ""})
    migrate.upgrade(app.registry["db.engine"], app.registry.occ_plugins)
    with app.registry["db.session_factory"]() as db:
        tenant = tenants.get_tenant(db, SLUG)
        if tenant is None:
            raise SystemExit(f"Nessun Ordine «{SLUG}»: generarlo prima con bench/dossier_data.py.")
        tenant_id = tenant.id
    add_accounting(app.registry["db.session_factory"], tenant_id)
    bench_dashboard(app, tenant_id, args.repeat)


if __name__ == "__main__":
    main()
