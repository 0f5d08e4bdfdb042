"""Unsubscribing (public page behind the signed link, and RFC 8058 one-click), the Order's list of
unsubscribed addresses with re-subscription on request, and the Order's sending rate."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.newsletter import services, subscriptions
from occ_core.newsletter.models import Newsletter, Unsubscribe
from occ_core.newsletter.services import MANAGE
from occ_core.newsletter.views import ID, TEMPLATES, row_or_404
from occ_core.web import ui
from occ_core.web.forms import param, posted, refuse


def includeme(config):
    config.add_tenant_route("newsletter_unsubscribe", "/newsletter/unsubscribe")
    config.add_tenant_route("newsletter_unsubscribes", "/newsletter/unsubscribes")
    config.add_tenant_route("newsletter_resubscribe", f"/newsletter/unsubscribes/{ID}/resubscribe")
    config.add_tenant_route("newsletter_settings", "/settings/newsletter")
    config.scan("occ_core.newsletter.views.subscriptions")


# --- public ---------------------------------------------------------------------------------------

def _link(request) -> tuple[str, int | None]:
    return subscriptions.read_link(request.registry.settings, request.tenant, param(request, "token"))


# Mail programs post here by themselves (RFC 8058 one-click, body "List-Unsubscribe=One-Click"), with no
# session and so no CSRF token: the signed link in the URL is what authorises the request.
@view_config(route_name="newsletter_unsubscribe", renderer=TEMPLATES + "unsubscribe.pt",
             permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def unsubscribe(request):
    """The link of a newsletter: a page asking for confirmation, which a POST (the page's, or a mail
    program's one-click) gives."""
    values = {"page_title": "Annullare l'iscrizione alla newsletter", "error": None, "token": param(request, "token")}
    try:
        address, newsletter_id = _link(request)
    except UserError as error:
        request.response.status = 400
        return {**values, "error": error.message}
    if request.method == "POST":
        subscriptions.unsubscribe(request.dbsession, request.tenant.id, address, newsletter_id)
        return {**values, "page_title": "Iscrizione annullata", "address": address, "done": True}
    return {**values, "address": address, "done": subscriptions.is_unsubscribed(request.dbsession, address)}


# --- the Order's pages ----------------------------------------------------------------------------

@view_config(route_name="newsletter_unsubscribes", renderer=TEMPLATES + "unsubscribes.pt", permission=MANAGE)
def unsubscribes(request):
    q = (request.GET.get("q") or "").strip()[:100]
    statement = (select(Unsubscribe, Newsletter.subject).outerjoin(Newsletter, Newsletter.id == Unsubscribe.newsletter_id)
                 .where(Unsubscribe.resubscribed_at.is_(None)).order_by(Unsubscribe.unsubscribed_at.desc()))
    if q:
        statement = statement.where(Unsubscribe.email.ilike(f"%{q}%"))
    return {"page_title": "Indirizzi disiscritti", "pager": ui.paginate(request, statement), "q": q,
            "pagination": ui.pagination_macro()}


def _resubscribe_values(request, found: Unsubscribe, note: str = "", error: UserError | None = None) -> dict:
    return {"page_title": f"Iscrivere di nuovo {found.email}", "found": found, "note": note,
            "error": error.message if error else None}


@view_config(route_name="newsletter_resubscribe", renderer=TEMPLATES + "resubscribe.pt", permission=MANAGE)
def resubscribe(request):
    found = row_or_404(request, Unsubscribe)
    if request.method != "POST":
        return _resubscribe_values(request, found)
    note = posted(request, "note")
    try:
        subscriptions.resubscribe(found, request.identity.id, note)
    except UserError as error:
        refuse(request, error)
        return _resubscribe_values(request, found, note, error)
    audit(request, "newsletter.resubscribed", object_type="Unsubscribe", object_id=found.id,
          details={"email": found.email, "note": note.strip()})
    request.flash(f"{found.email} riceverà di nuovo la newsletter.")
    return HTTPFound(request.route_url("newsletter_unsubscribes", tenant=request.tenant.slug))


@view_config(route_name="newsletter_settings", renderer=TEMPLATES + "settings.pt", permission=MANAGE)
def newsletter_settings(request):
    tenant = request.tenant
    values = {"page_title": "Impostazioni della newsletter", "rate": str(services.rate_of(tenant)), "error": None,
              "max_rate": services.MAX_RATE}
    if request.method != "POST":
        return values
    text = posted(request, "rate_per_minute")
    try:
        rate = services.save_rate(tenant, text)
    except UserError as error:
        refuse(request, error)
        return {**values, "rate": text, "error": error.message}
    audit(request, "newsletter.settings_changed", object_type="Tenant", object_id=tenant.id,
          details={"rate_per_minute": rate})
    request.flash("Impostazioni salvate: valgono per le newsletter avviate da ora.")
    return HTTPFound(request.route_url("newsletter_settings", tenant=tenant.slug))
