"""What every request of an Order needs, kept per web process: active modules, permissions of each role,
role of each user.

Any number of web processes serve the same Orders, so a process cannot hear of a change made by
another. Instead every change to an Order's access configuration (the Order itself, its contracts and
modules, roles, grants, memberships) gives the Order a new random ``config_stamp`` in the same
transaction, and a request reads the stamp with the Order's row, which it loads anyway: a cached
configuration is used only while the stamp it was built from is still the Order's, and on the day it
was built for (contracts begin and end with the calendar).

Changes through the ORM (flushed objects, ``update()``/``delete()``/``insert()`` statements) restamp by
themselves; SQL text or a raw connection must call ``restamp``. A session that changed the configuration
bypasses the cache until it ends: what it sees is not committed yet and may be rolled back."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select, update

from occ_core.accounts.models import Membership, Role, RoleGrant
from occ_core.accounts.roles import effective_matrix
from occ_core.tenants import services
from occ_core.tenants.models import Contract, Tenant, TenantModule, new_config_stamp

# Changing any of these changes what the requests of its Order may see or do.
CONFIG_CLASSES = (Tenant, Contract, TenantModule, Role, RoleGrant, Membership)
CONFIG_TABLES = frozenset(cls.__tablename__ for cls in CONFIG_CLASSES)
CHANGED = "occ.config_changed"
REGISTRY_KEY = "occ.order_cache"

_MEMBER_ROLE = select(Membership.role_id).where(
    Membership.tenant_id == bindparam("tenant_id"), Membership.user_id == bindparam("user_id"),
    Membership.active.is_(True),
)


def _tenant_of(obj) -> int | None:
    return obj.id if isinstance(obj, Tenant) else obj.tenant_id


def restamp(session, tenant_ids=None) -> None:
    """A new stamp for ``tenant_ids`` (every Order when None), in the session's transaction."""
    statement = update(Tenant.__table__).values(config_stamp=new_config_stamp())
    if tenant_ids is not None:
        statement = statement.where(Tenant.__table__.c.id.in_(sorted(tenant_ids)))
    session.connection().execute(statement)
    session.info[CHANGED] = True


def restamp_after_flush(session, _flush_context) -> None:
    changed = {_tenant_of(obj) for obj in (*session.new, *session.deleted) if isinstance(obj, CONFIG_CLASSES)}
    changed.update(_tenant_of(obj) for obj in session.dirty
                   if isinstance(obj, CONFIG_CLASSES) and session.is_modified(obj))
    changed.discard(None)
    if changed:
        restamp(session, changed)


def restamp_on_bulk_change(execute_state) -> None:
    """``update()``/``delete()``/``insert()`` statements on configuration tables skip the flush."""
    if not (execute_state.is_update or execute_state.is_delete or execute_state.is_insert):
        return
    table = getattr(execute_state.statement, "table", None)
    if getattr(table, "name", None) in CONFIG_TABLES:
        # Bound to an Order, the statement can only reach that Order's rows (see occ_core.db).
        tenant_id = execute_state.session.info.get("tenant_id")
        restamp(execute_state.session, None if tenant_id is None else {tenant_id})


@dataclass
class OrderConfig:
    """An Order's access configuration as of one stamp and day."""

    active_modules: frozenset
    permissions: dict[int, frozenset]  # role id -> permissions
    # user id -> role id, None for a non-member; filled as users come.
    roles: dict[int, int | None] = field(default_factory=dict)
    key: tuple | None = None  # (stamp, day); None when built for one session only
    # (role id, host URL) -> the Order's menu, see occ_core.web.menu
    menus: dict[tuple, object] = field(default_factory=dict)

    def role_of(self, db, tenant_id: int, user_id: int) -> int | None:
        try:
            return self.roles[user_id]
        except KeyError:
            role_id = db.scalar(_MEMBER_ROLE, {"tenant_id": tenant_id, "user_id": user_id})
            if not db.info.get(CHANGED):  # an uncommitted membership must not reach other requests
                self.roles[user_id] = role_id
            return role_id

    def permissions_of(self, role_id: int | None) -> frozenset:
        return self.permissions.get(role_id, frozenset())


class OrderCache:
    """The ``OrderConfig`` of each Order, one per process (and application)."""

    def __init__(self, pm):
        self._pm = pm
        self._configs: dict[int, OrderConfig] = {}

    def config(self, db, tenant: Tenant) -> OrderConfig:
        day = services.today()
        if db.info.get(CHANGED):
            return self._build(db, tenant, day, None)
        key = (tenant.config_stamp, day)
        found = self._configs.get(tenant.id)
        if found is None or found.key != key:
            # Threads racing here build the same thing; the last one stored wins.
            found = self._configs[tenant.id] = self._build(db, tenant, day, key)
        return found

    def _build(self, db, tenant: Tenant, day: date, key) -> OrderConfig:
        modules = services.active_modules(db, self._pm, tenant, day)
        matrix = effective_matrix(db, self._pm, tenant, modules)
        return OrderConfig(modules, {role_id: frozenset(names) for role_id, names in matrix.items()}, key=key)
