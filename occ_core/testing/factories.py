"""Building blocks for tests: Orders with modules, users with roles, logging in through the form."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

from occ_core.accounts.roles import add_membership
from occ_core.accounts.services import create_user
from occ_core.db import bind_tenant
from occ_core.tenants import services as tenants

PASSWORD = "password-di-prova-1"


def make_tenant(db, pm, slug, name=None, modules=()):
    tenant = tenants.create_tenant(db, pm, slug, name or f"Ordine {slug}")
    for module in modules:
        tenants.add_contract(db, pm, tenant, module, date(2020, 1, 1), None)
        bind_tenant(db, tenant.id)
        tenants.set_module_enabled(db, pm, tenant, module, True)
        bind_tenant(db, None)
    return tenant


def make_user(db, email, tenant=None, role=None, password=PASSWORD, operator=False, full_name=None):
    user = create_user(db, email, full_name or email.split("@")[0].title(), password, is_operator=operator,
                       verified=True)
    if tenant is not None:
        bind_tenant(db, tenant.id)
        add_membership(db, tenant, user, role or "segreteria")
        bind_tenant(db, None)
    return user


def login(testapp, email, password=PASSWORD, status=302):
    form = testapp.get("/login").forms[0]
    form["email"] = email
    form["password"] = password
    return form.submit(status=status)


def csrf_token(testapp) -> str:
    """The session's CSRF token, as every page carries it."""
    page = testapp.get("/login") if not testapp.cookies else testapp.get("/account")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def make_registrant(db, tenant, codice_fiscale=None, **fields):
    """A registrant of ``tenant`` stored through the registry's own validation."""
    from occ_core.demo import make_codice_fiscale
    from shared_registry import services as registry

    data = {"last_name": "Rossi", "first_name": "Mario", "category": "avvocato", "status": "attivo", **fields}
    data["codice_fiscale"] = codice_fiscale or make_codice_fiscale(
        data["last_name"], data["first_name"], date(1980, 5, 17), False, "F205")
    record = registry.parse_record(data)
    if record.errors:
        raise ValueError(record.errors)
    return registry.apply(db, tenant.id, record)[0]


def registry_snapshot(db):
    """Every stored value of the registrants and their credits, and the size of the audit log:
    equal before and after an operation that must write nothing."""
    from sqlalchemy import func, select

    from occ_core.audit.models import AuditEntry
    from shared_registry.models import Registrant

    registrants = [
        (tuple(getattr(r, column.key) for column in Registrant.__table__.columns),
         sorted((c.year, c.credits) for c in r.credits))
        for r in db.scalars(select(Registrant).order_by(Registrant.id))
    ]
    return registrants, db.scalar(select(func.count(AuditEntry.id)))


@contextmanager
def counted_queries(registry):
    """``with counted_queries(registry) as statements:`` the SQL statements run meanwhile, to show that
    a page does not query once per row (N+1)."""
    from sqlalchemy import event

    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = registry["db.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
