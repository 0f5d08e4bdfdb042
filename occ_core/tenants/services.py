"""Tenant lifecycle: creation, contracts, module activation."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from occ_core.errors import UserError
from occ_core.tenants.models import Contract, Tenant, TenantModule

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
# Path segments that are not tenants.
RESERVED_SLUGS = {"admin", "api", "static", "login", "logout", "password", "verify", "account", "health"}


def today() -> date:
    return date.today()


def get_tenant(db, slug: str) -> Tenant | None:
    return db.scalar(select(Tenant).where(Tenant.slug == slug))


def create_tenant(db, pm, slug: str, name: str) -> Tenant:
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        raise UserError(
            "Il codice dell'Ordine deve iniziare con una lettera e contenere solo lettere minuscole, "
            "cifre e trattini (da 2 a 40 caratteri), e non può essere una parola riservata."
        )
    if not name:
        raise UserError("Indicare il nome dell'Ordine.")
    if get_tenant(db, slug) is not None:
        raise UserError(f"Esiste già un Ordine con codice «{slug}».")
    tenant = Tenant(slug=slug, name=name, occ_name=f"OCC {name}", preferences={})
    db.add(tenant)
    db.flush()
    pm.hook.occ_tenant_created(tenant=tenant, dbsession=db)
    return tenant


def contracts_of(db, tenant: Tenant) -> list[Contract]:
    return list(
        db.scalars(
            select(Contract)
            .where(Contract.tenant_id == tenant.id)
            .order_by(Contract.module, Contract.valid_from)
            .execution_options(all_tenants=True)
        )
    )


def add_contract(db, pm, tenant: Tenant, module: str, valid_from: date, valid_until: date | None, notes=""):
    if module not in pm.modules:
        raise UserError(f"Il modulo «{module}» non è installato su questa piattaforma.")
    if valid_from is None:
        raise UserError("Indicare la data di inizio del contratto.")
    if valid_until is not None and valid_until < valid_from:
        raise UserError("La data di fine del contratto precede quella di inizio.")
    contract = Contract(tenant_id=tenant.id, module=module, valid_from=valid_from,
                        valid_until=valid_until, notes=notes or "")
    db.add(contract)
    db.flush()
    return contract


def available_modules(db, pm, tenant: Tenant, day: date | None = None) -> set[str]:
    """Installed modules that a contract covers on ``day``."""
    day = day or today()
    return {c.module for c in contracts_of(db, tenant) if c.covers(day) and c.module in pm.modules}


def enabled_modules(db, tenant: Tenant) -> set[str]:
    rows = db.scalars(
        select(TenantModule.module)
        .where(TenantModule.tenant_id == tenant.id, TenantModule.enabled.is_(True))
        .execution_options(all_tenants=True)
    )
    return set(rows)


def active_modules(db, pm, tenant: Tenant, day: date | None = None) -> frozenset[str]:
    """Active = available today under a contract and enabled by the Order."""
    return frozenset(available_modules(db, pm, tenant, day) & enabled_modules(db, tenant))


def set_module_enabled(db, pm, tenant: Tenant, module: str, enabled: bool, user_id: int | None = None):
    if enabled:
        if module not in available_modules(db, pm, tenant):
            raise UserError(f"Il modulo «{module}» non è coperto da un contratto in corso.")
        veto = pm.hook.occ_module_available(tenant=tenant, module=module, dbsession=db)
        if veto is False:
            raise UserError(f"Il modulo «{module}» non può essere attivato per questo Ordine.")
    row = db.scalar(
        select(TenantModule)
        .where(TenantModule.tenant_id == tenant.id, TenantModule.module == module)
        .execution_options(all_tenants=True)
    )
    if row is None:
        row = TenantModule(tenant_id=tenant.id, module=module, enabled=False)
        db.add(row)
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    row.changed_by_id = user_id
    db.flush()
    hook = pm.hook.occ_module_enabled if enabled else pm.hook.occ_module_disabled
    hook(tenant=tenant, module=module, dbsession=db)
    return True
