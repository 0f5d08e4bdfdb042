"""Generate a large Order in PostgreSQL for the dossier benchmarks: by default 100,000 dossiers with about
1,000,000 creditors and 60 gestori, drawn from the same generator as the demo Order.

    .venv/bin/python bench/dossier_data.py --database-url postgresql+psycopg://occ:occ@127.0.0.1:5432/occ_bench

Rows are written with COPY; the Order «bench» and its user segreteria@bench.example.it (password
bench-occ-2026) are created first. Running it again on the same database replaces the Order's dossiers."""
from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, time as day_time, timezone
from decimal import Decimal

from sqlalchemy import delete, select, text

from occ_core import migrate
from occ_core.accounts.roles import add_membership
from occ_core.accounts.services import create_user, user_by_email
from occ_core.config import make_configurator
from occ_core.db import bind_tenant
from occ_core.demo import demo_registrants
from occ_core.dossiers import procedures
from occ_core.dossiers.demo import sample_dossier
from occ_core.dossiers.models import Creditor, Debtor, Dossier, DossierCounter, Transition
from occ_core.dossiers.summary import search_document
from occ_core.gestori.models import Appointment, Gestore
from occ_core.tenants import services as tenants
from shared_registry import services as registry

SLUG, EMAIL, PASSWORD = "bench", "segreteria@bench.example.it", "bench-occ-2026"
APPOINTED = {"GESTORE_NOMINATO"}


def at_noon(day: date) -> datetime:
    return datetime.combine(day, day_time(11, 0), tzinfo=timezone.utc)


def prepare_order(session, pm, gestori: int):
    """The Order, its secretariat user and ``gestori`` enrolled registrants (through the services)."""
    tenant = tenants.get_tenant(session, SLUG) or tenants.create_tenant(session, pm, SLUG, "Ordine Benchmark")
    bind_tenant(session, tenant.id)
    user = user_by_email(session, EMAIL) or create_user(session, EMAIL, "Segreteria Benchmark", PASSWORD,
                                                        verified=True)
    add_membership(session, tenant, user, "segreteria")
    existing = session.scalars(select(Gestore)).all()
    if len(existing) < gestori:
        for data in demo_registrants(count=gestori, seed=60):
            record = registry.parse_record(data)
            registrant = registry.get_by_codice_fiscale(session, tenant.id, record.codice_fiscale) \
                or registry.apply(session, tenant.id, record)[0]
            session.flush()
            if session.scalar(select(Gestore).where(Gestore.registrant_id == registrant.id)) is None:
                session.add(Gestore(registrant_id=registrant.id, enrolled_on=date(2018, 1, 15),
                                    degree="Laurea magistrale in giurisprudenza", course_hours=200,
                                    circondario="Milano", specialisations=[], status="attivo"))
    session.flush()
    return tenant, [g.id for g in session.scalars(select(Gestore).order_by(Gestore.id))][:gestori]


def copy_rows(cursor, table, rows: list[dict]):
    columns = list(rows[0])
    with cursor.copy(f'COPY {table} ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def generate(engine, session_factory, pm, count: int, gestori: int, seed: int):
    rng = random.Random(seed)
    today = date.today()
    with session_factory() as session:
        tenant, gestore_ids = prepare_order(session, pm, gestori)
        names = dict(session.execute(text(
            "SELECT g.id, r.last_name || ' ' || r.first_name FROM gestori g "
            "JOIN registry_registrants r ON r.id = g.registrant_id WHERE g.tenant_id = :t"), {"t": tenant.id}).all())
        for model in (Appointment, Creditor, Debtor, Transition, Dossier, DossierCounter):
            session.execute(delete(model).where(model.tenant_id == tenant.id))
        session.commit()
        tenant_id = tenant.id
    samples = sorted((sample_dossier(rng, 2016, today) for _ in range(count)), key=lambda d: d.filed_on)
    start_id = 1 + (session_factory().scalar(text("SELECT coalesce(max(id), 0) FROM dossiers")) or 0)
    dossiers, debtors, creditors, transitions, appointments, counters = [], [], [], [], [], {}
    for offset, sample in enumerate(samples):
        dossier_id = start_id + offset
        year = sample.filed_on.year
        counters[year] = counters.get(year, 0) + 1
        states = [state for state, _ in sample.path]
        appointed = [g for g in [rng.choice(gestore_ids)] if any(s in APPOINTED for s in states)] \
            if "GESTORE_NOMINATO" in procedures.states_of(sample.procedure) else []
        gestore_names = ", ".join(names[g] for g in appointed)
        passivo = sum((c.amount_claimed for c in sample.creditors), Decimal("0"))
        last_state, last_date = sample.path[-1]
        final = procedures.is_final(sample.procedure, last_state)
        first = sample.debtors[0]
        dossiers.append({
            "id": dossier_id, "tenant_id": tenant_id, "year": year, "number": counters[year],
            "registered_at": at_noon(sample.filed_on), "filed_on": sample.filed_on, "procedure": sample.procedure,
            "debtor_category": sample.debtor_category, "family": sample.family, "state": last_state,
            "state_changed_at": at_noon(last_date), "court": sample.court, "court_case_number": "", "subject": "",
            "attivo": sample.attivo, "passivo_from_creditors": passivo, "creditor_count": len(sample.creditors),
            "satisfaction_percent": sample.satisfaction_percent, "outcome": last_state if final else "",
            "outcome_on": last_date if final else None, "outcome_notes": "", "closed": final,
            "debtor_name": first.display_name, "debtor_tax_code": first.codice_fiscale or first.partita_iva,
            "gestore_names": gestore_names,
            "search_text": search_document(f"{counters[year]}/{year}", sample.debtors, (), sample.creditors,
                                           gestore_names),
            "updated_at": at_noon(last_date),
        })
        for position, person in enumerate(sample.debtors):
            debtors.append({
                "tenant_id": tenant_id, "dossier_id": dossier_id, "position": position,
                "person_kind": person.person_kind, "codice_fiscale": person.codice_fiscale,
                "partita_iva": person.partita_iva, "last_name": person.last_name, "first_name": person.first_name,
                "company_name": person.company_name, "birth_date": person.birth_date,
                "birth_place": person.birth_place, "address": person.address, "postal_code": person.postal_code,
                "city": person.city, "province": person.province, "email": "", "pec": "", "phone": "",
                "occupation": person.occupation, "household_members": person.household_members,
                "dependants": person.dependants, "monthly_income": person.monthly_income,
                "monthly_family_expenses": person.monthly_family_expenses, "notes": ""})
        for creditor in sample.creditors:
            creditors.append({
                "tenant_id": tenant_id, "dossier_id": dossier_id, "kind": creditor.kind, "name": creditor.name,
                "codice_fiscale": creditor.codice_fiscale, "partita_iva": creditor.partita_iva,
                "pec": creditor.pec, "email": "", "address": "", "amount_claimed": creditor.amount_claimed,
                "rank": creditor.rank, "secured": creditor.secured, "class_name": "",
                "excluded_from_vote": False, "exclusion_reason": "", "notes": ""})
        previous = ""
        for state, when in sample.path:
            transitions.append({"tenant_id": tenant_id, "dossier_id": dossier_id, "from_state": previous,
                                "to_state": state, "at": at_noon(when), "reason": ""})
            previous = state
        for gestore_id in appointed:
            appointed_on = next(when for state, when in sample.path if state in APPOINTED)
            appointments.append({
                "tenant_id": tenant_id, "dossier_id": dossier_id, "gestore_id": gestore_id, "weight": Decimal("1"),
                "appointed_at": at_noon(appointed_on), "override_reason": "", "accepted_at": at_noon(appointed_on),
                "independence_declared_at": at_noon(appointed_on), "end_reason": ""})
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for table, rows in (("dossiers", dossiers), ("dossier_debtors", debtors), ("dossier_creditors", creditors),
                            ("dossier_transitions", transitions), ("appointments", appointments)):
            copy_rows(cursor, table, rows)
            print(f"  {table}: {len(rows):,} righe")
        copy_rows(cursor, "dossier_counters", [{"tenant_id": tenant_id, "year": y, "last_number": n}
                                               for y, n in sorted(counters.items())])
        cursor.execute("SELECT setval('dossiers_id_seq', (SELECT max(id) FROM dossiers))")
        connection.commit()
        connection.driver_connection.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    finally:
        connection.close()
    return tenant_id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--gestori", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    config = make_configurator({"sqlalchemy.url": args.database_url})
    engine, factory = config.registry["db.engine"], config.registry["db.session_factory"]
    migrate.upgrade(engine, config.registry.occ_plugins)
    started = time.perf_counter()
    generate(engine, factory, config.registry.occ_plugins, args.dossiers, args.gestori, args.seed)
    print(f"Generati {args.dossiers:,} fascicoli in {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
