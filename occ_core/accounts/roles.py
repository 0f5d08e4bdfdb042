"""Roles of an Order and their permissions (livelli di accesso personalizzabili).

Permissions are declared by the core and the modules through ``occ_permissions`` with the built-in
roles that get them by default; an Order's changes are stored as overrides, so a permission added by
a newly installed module reaches the built-in roles without a data migration."""
from __future__ import annotations

from sqlalchemy import select

from occ_core.accounts.models import Membership, Role, RoleGrant
from occ_core.errors import UserError

BUILTIN_ROLES = (
    # code, name, portal role
    ("amministratore", "Amministratore", False),
    ("segreteria", "Segreteria", False),
    ("referente", "Referente", False),
    ("gestore", "Gestore della crisi", False),
    ("consultazione", "Consultazione", False),
    ("iscritto", "Iscritto", True),
    ("debitore", "Debitore", True),
    ("creditore", "Creditore", True),
)
STAFF_ROLES = tuple(code for code, _name, portal in BUILTIN_ROLES if not portal)


def declared_permissions(pm) -> dict:
    """All permissions by name, in declaration order (cached on the plugin manager)."""
    cached = getattr(pm, "_occ_permissions", None)
    if cached is None:
        cached = {}
        for specs in pm.hook.occ_permissions():
            for spec in specs or ():
                cached[spec.name] = spec
        pm._occ_permissions = cached
    return cached


def seed_roles(db, tenant) -> None:
    for code, name, portal in BUILTIN_ROLES:
        db.add(Role(tenant_id=tenant.id, code=code, name=name, builtin=True, portal=portal))
    db.flush()


def roles_of(db, tenant) -> list[Role]:
    return list(db.scalars(select(Role).where(Role.tenant_id == tenant.id).order_by(Role.builtin.desc(), Role.id)))


def role_by_code(db, tenant, code: str) -> Role | None:
    return db.scalar(select(Role).where(Role.tenant_id == tenant.id, Role.code == code))


def grants_of(db, tenant) -> dict[tuple[int, str], bool]:
    rows = db.execute(
        select(RoleGrant.role_id, RoleGrant.permission, RoleGrant.granted).where(RoleGrant.tenant_id == tenant.id)
    )
    return {(role_id, permission): granted for role_id, permission, granted in rows}


def effective_matrix(db, pm, tenant, active_modules) -> dict[int, set[str]]:
    """Permissions of each role of the Order, limited to the core and the active modules."""
    overrides = grants_of(db, tenant)
    permissions = [spec for spec in declared_permissions(pm).values()
                   if spec.module is None or spec.module in active_modules]
    matrix = {}
    for role in roles_of(db, tenant):
        matrix[role.id] = {
            spec.name for spec in permissions
            if overrides.get((role.id, spec.name), role.code in spec.default_roles and role.builtin)
        }
    return matrix


def role_permissions(db, pm, role, active_modules) -> set[str]:
    overrides = {
        permission: granted
        for permission, granted in db.execute(
            select(RoleGrant.permission, RoleGrant.granted).where(RoleGrant.role_id == role.id)
        )
    }
    return {
        spec.name for spec in declared_permissions(pm).values()
        if (spec.module is None or spec.module in active_modules)
        and overrides.get(spec.name, role.builtin and role.code in spec.default_roles)
    }


def set_role_permissions(db, pm, tenant, role, wanted: set[str]) -> list[tuple[str, bool]]:
    """Store the overrides that make ``role`` have exactly ``wanted``; return what changed."""
    declared = declared_permissions(pm)
    unknown = set(wanted) - set(declared)
    if unknown:
        raise UserError("Permessi sconosciuti: " + ", ".join(sorted(unknown)))
    existing = {g.permission: g for g in db.scalars(select(RoleGrant).where(RoleGrant.role_id == role.id))}
    changes = []
    for name, spec in declared.items():
        default = role.builtin and role.code in spec.default_roles
        want = name in wanted
        current = existing[name].granted if name in existing else default
        if current != want:
            changes.append((name, want))
        if want == default:
            if name in existing:
                db.delete(existing[name])
        elif name in existing:
            existing[name].granted = want
        else:
            db.add(RoleGrant(tenant_id=tenant.id, role_id=role.id, permission=name, granted=want))
    db.flush()
    return changes


def create_custom_role(db, tenant, name: str) -> Role:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise UserError("Indicare un nome per il ruolo (massimo 100 caratteri).")
    existing = roles_of(db, tenant)
    if any(role.name.lower() == name.lower() for role in existing):
        raise UserError(f"Esiste già un ruolo chiamato «{name}».")
    # The code is only an identifier: it must be unique, not equal to the (renamable) name.
    stem = "custom-" + "".join(ch if ch.isalnum() else "-" for ch in name.lower())[:30]
    codes = {role.code for role in existing}
    code = stem
    suffix = 2
    while code in codes:
        code = f"{stem}-{suffix}"
        suffix += 1
    role = Role(tenant_id=tenant.id, code=code, name=name, builtin=False)
    db.add(role)
    db.flush()
    return role


def membership_of(db, tenant, user_id) -> Membership | None:
    return db.scalar(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user_id,
                                 Membership.active.is_(True))
    )


def add_membership(db, tenant, user, role_code: str) -> Membership:
    role = role_by_code(db, tenant, role_code)
    if role is None:
        raise UserError(f"Ruolo «{role_code}» inesistente per questo Ordine.")
    # Deactivated memberships too: there is one row per user and Order, so adding the person again
    # gives the access back with the new role.
    membership = db.scalar(select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id))
    if membership is None:
        membership = Membership(tenant_id=tenant.id, user_id=user.id, role_id=role.id)
        db.add(membership)
    else:
        membership.role_id, membership.active = role.id, True
    db.flush()
    return membership
