"""Dossier list and register numbering on a large Order (generate it first with bench/dossier_data.py).

    .venv/bin/python bench/dossiers.py --database-url postgresql+psycopg://occ:occ@127.0.0.1:5432/occ_bench

1. The list page with typical filters and with full-text search: server time of the whole page (the
   application called in-process, session login, permissions, rendering) and of the listing service alone,
   against the raw SQL of the service's statements and of all the page's statements (captured, replayed
   through the driver), the four called in turn in every round; p50 and p95 and their ratios. Target: page at
   most 2x the raw query, p95 < 50 ms.
2. Dossier registration by 16 concurrent clients: full registrations (number, dossier, debtor, transition,
   audit) in their own transactions; then the numbers are checked for gaps and duplicates."""
from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import date

from sqlalchemy import delete, event, select
from webtest import TestApp

from occ_core.background import run_in_tenant
from occ_core.config import make_app
from occ_core.db import bind_tenant
from occ_core.dossiers import listing
from occ_core.dossiers.models import Debtor, Dossier, DossierCounter, Transition
from occ_core.dossiers.registration import open_dossier
from occ_core.tenants import services as tenants
from occ_core.testing.factories import login

SLUG, EMAIL, PASSWORD = "bench", "segreteria@bench.example.it", "bench-occ-2026"
NUMBERS_SLUG = "bench-numeri"


def cases(db, tenant_id):
    """Typical searches of the secretariat, with values taken from the data."""
    sample = db.scalar(select(Dossier).where(Dossier.tenant_id == tenant_id, Dossier.creditor_count > 3)
                       .order_by(Dossier.id).offset(5000).limit(1))
    surname = sample.debtor_name.split()[0]
    return [
        ("nessun filtro (prima pagina)", {}),
        ("anno", {"year": str(sample.year)}),
        ("stato + procedura", {"state": "ISTRUTTORIA_GESTORE", "procedure": "liquidazione_controllata"}),
        ("numero/anno", {"number": sample.reference}),
        ("debitore (cognome)", {"debtor": surname}),
        ("debitore (codice fiscale)", {"debtor": sample.debtor_tax_code}),
        ("creditore (nome)", {"creditor": "Findomestic"}),
        ("gestore", {"gestore": (sample.gestore_names or "Rossi").split(",")[0].split()[0]}),
        ("deposito dal/al + stato", {"filed_from": f"{sample.year}-01-01", "filed_to": f"{sample.year}-06-30",
                                     "state": "CHIUSA"}),
        ("ricerca libera: cognome e nome", {"q": sample.debtor_name}),
        ("ricerca libera: codice fiscale", {"q": sample.debtor_tax_code}),
        ("ricerca libera: creditore", {"q": "Compass"}),
    ]


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def timed_side_by_side(functions, repeat):
    """(p50, p95) of each function, called in turn in every round: all see the same load and caches."""
    samples = [[] for _ in functions]
    for _ in range(repeat):
        for fn, taken in zip(functions, samples):
            started = time.perf_counter()
            fn()
            taken.append(time.perf_counter() - started)
    return [percentiles(taken) for taken in samples]


def captured_sql(engine, fn):
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return statements


def replayer(raw, statements):
    """The raw SQL of ``statements`` through the driver, in a transaction of its own as the page's."""
    def replay():
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description:  # not for a SET
                cursor.fetchall()
        cursor.close()
        raw.rollback()
    return replay


def bench_list(app, registry, repeat, only=()):
    engine, factory = registry["db.engine"], registry["db.session_factory"]
    client = TestApp(app)
    login(client, EMAIL, PASSWORD)
    with factory() as db:
        tenant = tenants.get_tenant(db, SLUG)
        bind_tenant(db, tenant.id)
        searches = [(label, params) for label, params in cases(db, tenant.id)
                    if not only or any(word in label for word in only)]
    print(f"{'ricerca':34} {'righe':>7} {'pagina p50/p95':>16} {'servizio p50/p95':>18} {'SQL p50/p95':>14}"
          f" {'SQL pag. p50/p95':>16} {'pag/SQL':>8} {'serv/SQL':>9} {'pag/SQL pag.':>13}")
    raw = engine.raw_connection()
    try:
        for label, params in searches:
            filters = listing.DossierFilters.from_params(params)
            url = f"/{SLUG}/dossiers"

            def whole_page():
                client.get(url, params=params, status=200)

            with factory() as db:
                bind_tenant(db, tenant.id)
                # As the page does: the count stops where the page no longer needs it.
                rows, total = listing.search(db, filters, exact=False)
                statements = captured_sql(engine, lambda: listing.search(db, filters, exact=False))
                db.rollback()
                whole_page()
                # Every statement of the page: the Order and its user, the form's gestori, the saved filters and
                # the list's own; what the database must answer for the page whatever the code around it.
                page_statements = captured_sql(engine, whole_page)

                def service_alone():
                    listing.search(db, filters, exact=False)
                    db.rollback()

                measured = (whole_page, service_alone, replayer(raw, statements), replayer(raw, page_statements))
                for warm_up in measured:
                    warm_up()
                page, served, sql, page_sql = timed_side_by_side(measured, repeat)
            cap = listing.count_cap(filters)
            shown = str(total) if total <= cap else f">{cap}"
            print(f"{label:34} {shown:>7} {page[0]:>7.1f}/{page[1]:<7.1f} {served[0]:>8.1f}/{served[1]:<8.1f}"
                  f" {sql[0]:>6.1f}/{sql[1]:<6.1f} {page_sql[0]:>8.1f}/{page_sql[1]:<6.1f}"
                  f" {page[0] / sql[0]:>8.1f} {served[0] / sql[0]:>9.2f} {page[0] / page_sql[0]:>13.2f}")
    finally:
        raw.close()


def bench_numbering(registry, clients, per_client):
    factory = registry["db.session_factory"]
    pm = registry.occ_plugins
    with factory() as db:
        tenant = tenants.get_tenant(db, NUMBERS_SLUG) or tenants.create_tenant(db, pm, NUMBERS_SLUG, "Numeri")
        for model in (Transition, Debtor, Dossier, DossierCounter):
            db.execute(delete(model).where(model.tenant_id == tenant.id))
        db.commit()
        tenant_id = tenant.id
    data = {"procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore",
            "filed_on": date.today().isoformat(),
            "debtor": {"person_kind": "fisica", "last_name": "Rossi", "first_name": "Mario",
                       "codice_fiscale": "RSSMRA80E17F205X"}}
    errors = []

    def client():
        try:
            for _ in range(per_client):
                run_in_tenant(registry, tenant_id, None, lambda env: open_dossier(env, data), None)
        except Exception as error:  # reported below: a failed registration is a finding, not a crash
            errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with factory() as db:
        numbers = db.execute(select(Dossier.year, Dossier.number).where(Dossier.tenant_id == tenant_id)).all()
    by_year = {}
    for year, number in numbers:
        by_year.setdefault(year, []).append(number)
    gaps = sum(max(n) - len(set(n)) for n in by_year.values())
    duplicates = sum(len(n) - len(set(n)) for n in by_year.values())
    print(f"{clients} client concorrenti x {per_client} registrazioni: {len(numbers)} pratiche in {elapsed:.1f} s "
          f"= {len(numbers) / elapsed:.0f} registrazioni/s; buchi: {gaps}, doppioni: {duplicates}, "
          f"errori: {len(errors)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--only", nargs="+", default=(), metavar="WORD",
                        help="only the searches whose label contains one of these words (e.g. gestore libera)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--skip-numbering", action="store_true")
    args = parser.parse_args()
    app = make_app({"sqlalchemy.url": args.database_url, "celery.task_always_eager": "true"})
    bench_list(app, app.registry, args.repeat, args.only)
    if not args.skip_numbering:
        bench_numbering(app.registry, args.clients, args.per_client)


if __name__ == "__main__":
    main()
