"""The audit log: the Order's (its own rows only, by the tenant scoping) and the platform's (every row)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pyramid.view import view_config
from sqlalchemy import or_, select

from occ_core.accounts.models import User
from occ_core.audit.models import AuditEntry
from occ_core.errors import UserError
from occ_core.tenants.models import Tenant
from occ_core.web import ui
from occ_core.web.forms import parse_date

TEMPLATE = "occ_core:audit/templates/audit.pt"
ACTION_LABELS = {
    "login": "Accesso",
    "password.reset": "Password reimpostata",
    "password.changed": "Password cambiata",
    "email.verified": "Email verificata",
    "totp.enabled": "Verifica in due passaggi attivata",
    "totp.disabled": "Verifica in due passaggi disattivata",
    "membership.added": "Utente aggiunto",
    "membership.role_changed": "Ruolo cambiato",
    "membership.deactivated": "Accesso disattivato",
    "membership.reactivated": "Accesso riattivato",
    "role.created": "Ruolo creato",
    "role.renamed": "Ruolo rinominato",
    "role.deleted": "Ruolo eliminato",
    "role.permissions_changed": "Permessi modificati",
}


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    user: str = ""
    date_from: date | None = None
    date_to: date | None = None


def parse_filters(params) -> AuditFilters:
    filters = AuditFilters(action=params.get("action", "").strip()[:80], user=params.get("user", "").strip()[:254],
                           date_from=parse_date(params.get("from", ""), "Dal"),
                           date_to=parse_date(params.get("to", ""), "Al"))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise UserError("La data iniziale è successiva a quella finale.")
    return filters


def rome_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ui.ROME)


def contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def audit_statement(filters: AuditFilters):
    """Entries newest first with their user and Order; inside an Order the session's tenant scoping
    leaves only that Order's rows."""
    statement = (
        select(AuditEntry, User, Tenant)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .outerjoin(Tenant, Tenant.id == AuditEntry.tenant_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if filters.action:
        statement = statement.where(AuditEntry.action.ilike(contains(filters.action), escape="\\"))
    if filters.user:
        pattern = contains(filters.user)
        statement = statement.where(or_(User.full_name.ilike(pattern, escape="\\"),
                                        User.email.ilike(pattern, escape="\\")))
    if filters.date_from:
        statement = statement.where(AuditEntry.at >= rome_midnight(filters.date_from))
    if filters.date_to:
        statement = statement.where(AuditEntry.at < rome_midnight(filters.date_to + timedelta(days=1)))
    return statement


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "")


def details_text(details) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str) if details else ""


def user_text(user) -> str:
    return "" if user is None else (user.full_name or user.email)


def tenant_text(tenant) -> str:
    return tenant.name if tenant is not None else "Piattaforma"


def csv_rows(db, statement, show_tenant: bool):
    head = ["Data e ora", *(["Ordine"] if show_tenant else []), "Utente", "Email", "Azione", "Descrizione",
            "Oggetto", "Identificativo", "Dettagli", "Indirizzo IP"]
    yield head
    for entry, user, tenant in db.execute(statement):
        yield [ui.fmt_datetime(entry.at), *([tenant_text(tenant)] if show_tenant else []), user_text(user),
               user.email if user is not None else "", entry.action, action_label(entry.action),
               entry.object_type, entry.object_id, details_text(entry.details), entry.ip]


def audit_page(request, *, page_title: str, show_tenant: bool, filename: str):
    """The list shared by the Order's page and the operator's: filters, pages of 50, CSV export."""
    values = {"page_title": page_title, "error": None, "show_tenant": show_tenant, "params": request.GET,
              "pager": None, "action_label": action_label, "details_text": details_text, "user_text": user_text,
              "tenant_text": tenant_text, "pagination": ui.pagination_macro()}
    try:
        filters = parse_filters(request.GET)
    except UserError as error:
        request.response.status = 400
        return {**values, "error": error.message}
    statement = audit_statement(filters)
    if request.GET.get("format") == "csv":
        return ui.csv_response(csv_rows(request.dbsession, statement, show_tenant), filename)
    csv_query = [(key, value) for key, value in request.GET.items() if key not in ("page", "format")]
    return {**values, "pager": ui.paginate(request, statement),
            "csv_url": request.current_route_url(_query=csv_query + [("format", "csv")])}


@view_config(route_name="tenant_audit", renderer=TEMPLATE, permission="core:audit:view")
def tenant_audit(request):
    return audit_page(request, page_title="Registro delle attività", show_tenant=False,
                      filename=f"attivita-{request.tenant.slug}.csv")


@view_config(route_name="admin_audit", renderer=TEMPLATE, permission="platform:admin")
def admin_audit(request):
    return audit_page(request, page_title="Registro delle attività della piattaforma", show_tenant=True,
                      filename="attivita-piattaforma.csv")


def includeme(config):
    # The operator's routes first: "/{tenant}/audit" would otherwise take "/admin/audit" for an Order.
    config.add_route("admin_audit", "/admin/audit")
    config.add_tenant_route("tenant_audit", "/audit")
    config.scan("occ_core.audit.views")
