"""Platform operator pages: the Orders, their contracts and modules, their first administrator.

No Order is bound to the session here, so queries see every Order: rows owned by an Order are
filtered and written with its ``tenant_id`` explicitly."""
from __future__ import annotations

import re

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import func, select

from occ_core.accounts import services as accounts
from occ_core.accounts.models import Membership, Role, User
from occ_core.accounts.roles import add_membership, membership_of
from occ_core.audit.services import audit
from occ_core.db import bind_tenant
from occ_core.dispatch.services import queue_email
from occ_core.errors import UserError
from occ_core.tenants import services
from occ_core.tenants.models import Contract, Tenant
from occ_core.tenants.views import TEMPLATES
from occ_core.web.forms import parse_date, posted, refuse

ADMIN_ROLE = "amministratore"
ID_PATTERN = re.compile(r"[0-9]{1,9}")
# Fields shown again as typed when a form of the Order's page is refused.
FORM_FIELDS = ("email", "full_name", "module", "valid_from", "valid_until", "notes")


@view_config(route_name="admin_tenants", renderer=TEMPLATES + "admin_tenants.pt", permission="platform:admin")
def admin_tenants(request):
    db = request.dbsession
    values = {"slug": "", "name": "", "error": None}
    if request.method == "POST":
        values.update(slug=posted(request, "slug"), name=posted(request, "name"))
        try:
            tenant = services.create_tenant(db, request.occ_plugins, values["slug"], values["name"])
        except UserError as error:
            values["error"] = refuse(request, error)
        else:
            audit(request, "tenant.created", object_type="Tenant", object_id=tenant.id, tenant=tenant,
                  details={"slug": tenant.slug, "name": tenant.name})
            request.flash(f"Ordine «{tenant.name}» creato: registri ora i contratti e il primo amministratore.")
            return HTTPFound(request.route_url("admin_tenant", slug=tenant.slug))
    users = dict(db.execute(
        select(Membership.tenant_id, func.count()).where(Membership.active.is_(True)).group_by(Membership.tenant_id)
    ).all())
    active = services.active_modules_by_tenant(db, request.occ_plugins)
    rows = [{"tenant": tenant, "users": users.get(tenant.id, 0), "modules": len(active.get(tenant.id, ()))}
            for tenant in db.scalars(select(Tenant).order_by(Tenant.name))]
    return {"page_title": "Ordini della piattaforma", "rows": rows, **values}


def _add_contract(request, tenant):
    contract = services.add_contract(
        request.dbsession, request.occ_plugins, tenant, posted(request, "module"),
        parse_date(posted(request, "valid_from"), "Inizio"), parse_date(posted(request, "valid_until"), "Fine"),
        posted(request, "notes").strip(),
    )
    audit(request, "contract.added", object_type="Contract", object_id=contract.id, tenant=tenant,
          details={"module": contract.module, "valid_from": contract.valid_from.isoformat(),
                   "valid_until": contract.valid_until.isoformat() if contract.valid_until else None,
                   "notes": contract.notes})
    return f"Contratto per il modulo «{request.occ_plugins.modules[contract.module].label}» registrato."


def _end_contract(request, tenant):
    contract_id = posted(request, "contract_id")
    # Bounded so that a forged number cannot overflow the integer column.
    contract = request.dbsession.get(Contract, int(contract_id)) if ID_PATTERN.fullmatch(contract_id) else None
    if contract is None or contract.tenant_id != tenant.id:
        raise UserError("Il contratto indicato non esiste per questo Ordine.")
    previous = services.end_contract(contract, parse_date(posted(request, "valid_until"), "Ultimo giorno"))
    audit(request, "contract.ended", object_type="Contract", object_id=contract.id, tenant=tenant,
          details={"module": contract.module,
                   "valid_until": [previous.isoformat() if previous else None, contract.valid_until.isoformat()]})
    return f"Contratto terminato: ultimo giorno {contract.valid_until.strftime('%d/%m/%Y')}."


def _set_active(request, tenant):
    active = posted(request, "active") == "1"
    if tenant.active == active:
        return "Nessuna modifica: lo stato dell'Ordine era già quello richiesto."
    tenant.active = active
    audit(request, "tenant.activated" if active else "tenant.deactivated", object_type="Tenant",
          object_id=tenant.id, tenant=tenant)
    return "Ordine riattivato." if active else "Ordine disattivato: le sue pagine non sono più raggiungibili."


def _invitation(request, tenant, user) -> tuple[str, str]:
    """Subject and text of the email to a new administrator: a link to choose the password if the
    person has none yet, otherwise the address of the Order."""
    order_url = request.route_url("dashboard", tenant=tenant.slug)
    greeting = f"Gentile {user.full_name or user.email},\n\n"
    if user.password_hash:
        return (f"Amministratore di {tenant.display_name}",
                greeting + f"le è stato assegnato il ruolo di amministratore di {tenant.display_name} "
                f"sulla piattaforma OCC.\nAcceda con le sue credenziali: {order_url}\n")
    token = accounts.password_reset_token(request.registry.settings, user)
    link = request.route_url("password_reset", _query={"token": token})
    return (f"Accesso alla piattaforma OCC: {tenant.display_name}",
            greeting + f"le è stato creato un profilo di amministratore di {tenant.display_name} "
            "sulla piattaforma OCC.\n\n"
            f"Per scegliere la sua password apra questo collegamento entro un'ora:\n{link}\n\n"
            "Se il collegamento fosse scaduto, ne chieda uno nuovo da "
            f"{request.route_url('password_forgot')}.\nDopo l'accesso troverà l'Ordine qui: {order_url}\n")


def _add_administrator(request, tenant):
    db = request.dbsession
    email = accounts.normalize_email(posted(request, "email"))
    user = accounts.user_by_email(db, email)
    if user is None:
        full_name = posted(request, "full_name").strip()
        if not full_name:
            raise UserError("Indicare nome e cognome dell'amministratore.", field="full_name")
        user = accounts.create_user(db, email, full_name)
    # Membership rows belong to the Order: bind the session so that they are stamped and checked.
    bind_tenant(db, tenant.id)
    current = membership_of(db, tenant, user.id)
    if current is not None and current.role.code == ADMIN_ROLE:
        raise UserError(f"{user.email} è già amministratore di questo Ordine.", field="email")
    add_membership(db, tenant, user, ADMIN_ROLE)
    audit(request, "tenant.administrator.added", object_type="User", object_id=user.id, tenant=tenant,
          details={"email": user.email, "role": ADMIN_ROLE})
    subject, body = _invitation(request, tenant, user)
    queue_email(request, subject=subject, body_text=body, to=[(user.full_name, user.email)],
                purpose="administrator-invitation", tenant_id=tenant.id)
    return f"{user.full_name or user.email} è ora amministratore dell'Ordine: gli abbiamo scritto a {user.email}."


ACTIONS = {
    "add-contract": _add_contract,
    "end-contract": _end_contract,
    "set-active": _set_active,
    "add-administrator": _add_administrator,
}


@view_config(route_name="admin_tenant", renderer=TEMPLATES + "admin_tenant.pt", permission="platform:admin")
def admin_tenant(request):
    db = request.dbsession
    tenant = services.get_tenant(db, request.matchdict["slug"])
    if tenant is None:
        raise HTTPNotFound()
    failed_action = error = None
    if request.method == "POST":
        action = ACTIONS.get(posted(request, "action"))
        try:
            if action is None:
                raise UserError("Operazione non riconosciuta.")
            message = action(request, tenant)
        except UserError as refused:
            failed_action, error = posted(request, "action"), refuse(request, refused)
        else:
            request.flash(message)
            return HTTPFound(request.route_url("admin_tenant", slug=tenant.slug))
    administrators = db.scalars(
        select(User).join(Membership, Membership.user_id == User.id).join(Role, Role.id == Membership.role_id)
        .where(Membership.tenant_id == tenant.id, Membership.active.is_(True), Role.code == ADMIN_ROLE)
        .order_by(User.full_name)
    ).all()
    return {
        "page_title": tenant.name,
        "order": tenant,
        "contracts": services.contracts_of(db, tenant),
        "states": services.module_states(db, request.occ_plugins, tenant),
        "manage": False,
        "modules": sorted(request.occ_plugins.modules.values(), key=lambda info: info.label),
        "administrators": administrators,
        "parameters": services.PARAMETERS.values(),
        "today": services.today(),
        "error": error,
        "failed_action": failed_action,
        "form": {name: posted(request, name) for name in FORM_FIELDS},
    }


def includeme(config):
    config.add_route("admin_tenants", "/admin")
    config.add_route("admin_tenant", "/admin/tenants/{slug}")
    config.scan("occ_core.tenants.admin")
