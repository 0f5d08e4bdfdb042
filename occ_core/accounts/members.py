"""The Order's users (memberships with a role) and its roles with the permission matrix."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import delete, func, select

from occ_core.accounts import roles as role_service
from occ_core.accounts import services
from occ_core.accounts.models import Membership, Role, RoleGrant, User
from occ_core.audit.services import audit
from occ_core.dispatch.services import queue_email
from occ_core.errors import UserError
from occ_core.web.forms import posted, posted_all, refuse

TEMPLATES = "occ_core:accounts/templates/"
ADMIN_ROLE = "amministratore"
# Without it nobody could give permissions back: the Order would lock itself out.
ADMIN_KEEPS = "core:roles:manage"
MAX_ID = 2**31 - 1


def run_action(request, actions: dict, values: dict):
    """Run the posted ``action``. On bad input the page is shown again with the message and status 400,
    and the transaction is doomed so that nothing of the failed action is written."""
    action = actions.get(posted(request, "action"))
    try:
        if action is None:
            raise UserError("Operazione non riconosciuta.")
        action(request)
    except UserError as error:
        values["error"] = refuse(request, error)
        return None
    return HTTPFound(request.current_route_url())


def posted_id(value) -> int | None:
    """An id from a form; out of the column's range it cannot exist (and PostgreSQL would refuse it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def role_of_order(request, value) -> Role:
    """A role of this Order named by an id from the form (anything else is refused)."""
    role_id = posted_id(value)
    role = None if role_id is None else request.dbsession.scalar(
        select(Role).where(Role.id == role_id, Role.tenant_id == request.tenant.id))
    if role is None:
        raise UserError("Il ruolo indicato non esiste per questo Ordine.", field="role_id")
    return role


def membership_of_order(request) -> Membership:
    membership_id = posted_id(posted(request, "membership_id"))
    membership = None if membership_id is None else request.dbsession.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.tenant_id == request.tenant.id))
    if membership is None:
        raise UserError("L'utente indicato non appartiene a questo Ordine.")
    return membership


def refuse_beyond_own_permissions(request, role: Role, message: str) -> None:
    """Who manages users but not roles may hand out, or take away, only permissions they hold
    themselves: otherwise managing users would be a way to become administrator of the Order."""
    if request.has_permission(ADMIN_KEEPS):
        return  # managing roles, they could give themselves any permission anyway
    held = role_service.role_permissions(request.dbsession, request.occ_plugins, role, request.active_modules)
    if held - request.effective_permissions:
        raise UserError(message, field="role_id")


def refuse_granting(request, role: Role) -> None:
    refuse_beyond_own_permissions(request, role, f"Il ruolo «{role.name}» comprende permessi che il suo profilo "
                                                 "non ha: può assegnarlo solo chi gestisce i ruoli dell'Ordine.")


def refuse_touching(request, membership: Membership) -> None:
    name = membership.user.full_name or membership.user.email
    refuse_beyond_own_permissions(request, membership.role,
                                  f"{name} ha un ruolo con permessi che il suo profilo non ha: solo chi gestisce "
                                  "i ruoli dell'Ordine può modificarne l'accesso.")


def audit_membership(request, action: str, membership: Membership, **details):
    audit(request, action, object_type="Membership", object_id=membership.id,
          details={"user": membership.user.email, **details})


# --- members --------------------------------------------------------------------------------------

def add_member(request):
    db, tenant = request.dbsession, request.tenant
    email = services.normalize_email(posted(request, "email"))
    full_name = posted(request, "full_name").strip()
    role = role_of_order(request, posted(request, "role_id"))
    refuse_granting(request, role)
    user = services.user_by_email(db, email)
    if user is None:
        if not full_name:
            raise UserError("Indicare nome e cognome della persona.", field="full_name")
        if len(full_name) > 200:
            raise UserError("Il nome può contenere al massimo 200 caratteri.", field="full_name")
    else:
        existing = db.scalar(select(Membership).where(Membership.tenant_id == tenant.id,
                                                      Membership.user_id == user.id))
        if existing is not None:
            raise UserError(f"{email} è già tra gli utenti dell'Ordine" +
                            ("." if existing.active else ", con accesso disattivato: lo riattivi dall'elenco."),
                            field="email")
    new_user = user is None
    if new_user:
        user = services.create_user(db, email, full_name)
    membership = Membership(tenant_id=tenant.id, user_id=user.id, role_id=role.id)
    db.add(membership)
    db.flush()
    audit_membership(request, "membership.added", membership, role=role.code, new_user=new_user)
    greeting = f"Gentile {user.full_name or user.email},\n\n"
    granted = f"le è stato dato accesso a {tenant.display_name} con il ruolo «{role.name}».\n\n"
    if new_user:
        link = request.route_url("password_reset",
                                 _query={"token": services.password_reset_token(request.registry.settings, user)})
        body = (greeting + granted + "Per scegliere la sua password apra questo collegamento entro un'ora:\n"
                f"{link}\n\nSe il collegamento fosse scaduto, ne chieda uno nuovo dalla pagina "
                f"«Password dimenticata»: {request.route_url('password_forgot')}\n")
    else:
        body = greeting + granted + f"Acceda con le sue credenziali abituali: {request.route_url('login')}\n"
    queue_email(request, to=[(user.full_name, user.email)], purpose="membership-added", tenant_id=tenant.id,
                subject=f"Accesso a {tenant.display_name}", body_text=body)
    request.flash(f"{user.full_name or user.email} è ora tra gli utenti dell'Ordine; "
                  f"è stata inviata un'email a {user.email}.")


def refuse_self_demotion(request, membership: Membership):
    if membership.user_id == request.identity.id and membership.role.code == ADMIN_ROLE:
        raise UserError("Non può togliere a sé stesso il ruolo di amministratore: "
                        "se necessario, lo chieda a un altro amministratore dell'Ordine.")


def change_role(request):
    membership = membership_of_order(request)
    role = role_of_order(request, posted(request, "role_id"))
    if role.id == membership.role_id:
        request.flash("Il ruolo era già quello indicato: nessuna modifica.", "info")
        return
    refuse_self_demotion(request, membership)
    refuse_touching(request, membership)
    refuse_granting(request, role)
    old_code = membership.role.code
    membership.role_id = role.id
    audit_membership(request, "membership.role_changed", membership, old_role=old_code, new_role=role.code)
    request.flash(f"Ruolo di {membership.user.full_name or membership.user.email} cambiato in «{role.name}».")


def set_active(active: bool):
    def action(request):
        membership = membership_of_order(request)
        if not active and membership.user_id == request.identity.id:
            raise UserError("Non può disattivare il proprio accesso: lo chieda a un altro amministratore.")
        if membership.active == active:
            return
        refuse_touching(request, membership)
        membership.active = active
        audit_membership(request, "membership.reactivated" if active else "membership.deactivated", membership)
        state = "riattivato" if active else "disattivato"
        request.flash(f"Accesso di {membership.user.full_name or membership.user.email} {state}.")

    return action


MEMBER_ACTIONS = {"add": add_member, "role": change_role, "deactivate": set_active(False),
                  "reactivate": set_active(True)}


@view_config(route_name="tenant_members", renderer=TEMPLATES + "members.pt", permission="core:users:manage")
def members(request):
    values = {"error": None, "form": {"email": "", "full_name": "", "role_id": ""}}
    if request.method == "POST":
        done = run_action(request, MEMBER_ACTIONS, values)
        if done is not None:
            return done
        if posted(request, "action") == "add":
            values["form"] = {key: posted(request, key) for key in values["form"]}
    rows = request.dbsession.scalars(
        select(Membership).join(User, Membership.user_id == User.id)
        .order_by(Membership.active.desc(), func.lower(User.full_name), User.email)
    ).all()
    return {**values, "memberships": rows, "roles": role_service.roles_of(request.dbsession, request.tenant),
            "page_title": "Utenti dell'Ordine"}


# --- roles and permission matrix -------------------------------------------------------------------

def visible_permissions(request) -> list:
    """Permissions of the core and of the modules active for the Order, in declaration order."""
    return [spec for spec in role_service.declared_permissions(request.occ_plugins).values()
            if spec.module is None or spec.module in request.active_modules]


def save_matrix(request):
    db, pm, tenant = request.dbsession, request.occ_plugins, request.tenant
    visible = {spec.name: spec for spec in visible_permissions(request)}
    every_module = frozenset(pm.modules)
    planned = []
    # Validate every column before writing any, so that a refused matrix changes nothing.
    for value in posted_all(request, "roles"):
        role = role_of_order(request, value)
        submitted = set(posted_all(request, f"role-{role.id}"))
        if submitted - set(visible):
            raise UserError("Il modulo contiene permessi sconosciuti o non disponibili per l'Ordine.")
        if role.builtin and role.code == ADMIN_ROLE and ADMIN_KEEPS not in submitted:
            raise UserError(f"Il ruolo «{role.name}» deve mantenere il permesso «{visible[ADMIN_KEEPS].label}»: "
                            "senza di esso nessuno potrebbe più modificare i permessi dell'Ordine.")
        # Permissions of modules not active now are not on the page: keep what the role has for them.
        hidden = role_service.role_permissions(db, pm, role, every_module) - set(visible)
        planned.append((role, submitted | hidden))
    changed = 0
    for role, wanted in planned:
        changes = role_service.set_role_permissions(db, pm, tenant, role, wanted)
        if changes:
            changed += 1
            audit(request, "role.permissions_changed", object_type="Role", object_id=role.id,
                  details={"role": role.name, "changes": [list(change) for change in changes]})
    if changed:
        request.flash(f"Permessi aggiornati per {changed} ruol{'o' if changed == 1 else 'i'}.")
    else:
        request.flash("Nessuna modifica ai permessi.", "info")


def role_name(request, exclude: Role | None = None) -> str:
    name = posted(request, "name").strip()
    if not name or len(name) > 100:
        raise UserError("Indicare un nome per il ruolo (massimo 100 caratteri).", field="name")
    for role in role_service.roles_of(request.dbsession, request.tenant):
        if role is not exclude and role.name.casefold() == name.casefold():
            raise UserError(f"Esiste già un ruolo chiamato «{role.name}».", field="name")
    return name


def custom_role(request) -> Role:
    role = role_of_order(request, posted(request, "role_id"))
    if role.builtin:
        raise UserError(f"«{role.name}» è un ruolo predefinito: non si può rinominare né eliminare.")
    return role


def create_role(request):
    role = role_service.create_custom_role(request.dbsession, request.tenant, role_name(request))
    audit(request, "role.created", object_type="Role", object_id=role.id, details={"role": role.name})
    request.flash(f"Ruolo «{role.name}» creato: ora può assegnargli i permessi.")


def rename_role(request):
    role = custom_role(request)
    name = role_name(request, exclude=role)
    audit(request, "role.renamed", object_type="Role", object_id=role.id, details={"old": role.name, "new": name})
    role.name = name
    request.flash(f"Ruolo rinominato in «{name}».")


def delete_role(request):
    db = request.dbsession
    role = custom_role(request)
    holders = db.scalar(select(func.count()).select_from(Membership).where(Membership.role_id == role.id))
    if holders:
        raise UserError(f"Il ruolo «{role.name}» è assegnato a {holders} utent{'e' if holders == 1 else 'i'}: "
                        "assegni loro un altro ruolo prima di eliminarlo.")
    audit(request, "role.deleted", object_type="Role", object_id=role.id, details={"role": role.name})
    db.execute(delete(RoleGrant).where(RoleGrant.role_id == role.id))
    db.delete(role)
    request.flash(f"Ruolo «{role.name}» eliminato.")


ROLE_ACTIONS = {"matrix": save_matrix, "create": create_role, "rename": rename_role, "delete": delete_role}


def permission_groups(specs) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for spec in specs:
        groups.setdefault(spec.group, []).append(spec)
    return list(groups.items())


@view_config(route_name="tenant_roles", renderer=TEMPLATES + "roles.pt", permission="core:roles:manage")
def roles(request):
    values = {"error": None, "new_name": ""}
    if request.method == "POST":
        done = run_action(request, ROLE_ACTIONS, values)
        if done is not None:
            return done
        if posted(request, "action") == "create":
            values["new_name"] = posted(request, "name")
    db = request.dbsession
    holders = dict(db.execute(select(Membership.role_id, func.count()).group_by(Membership.role_id)).all())
    return {**values,
            "roles": role_service.roles_of(db, request.tenant),
            "groups": permission_groups(visible_permissions(request)),
            "matrix": role_service.effective_matrix(db, request.occ_plugins, request.tenant, request.active_modules),
            "holders": holders, "admin_role": ADMIN_ROLE, "admin_keeps": ADMIN_KEEPS,
            "page_title": "Ruoli e permessi"}


def includeme(config):
    config.add_tenant_route("tenant_members", "/members")
    config.add_tenant_route("tenant_roles", "/members/roles")
    config.scan("occ_core.accounts.members")
