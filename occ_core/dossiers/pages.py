"""What every tab of a dossier's page shares: loading the dossier of the URL and the page frame."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from sqlalchemy import select

from occ_core.dossiers import procedures
from occ_core.dossiers.models import Dossier


DOSSIER_VIEW = "dossier:dossier:view"


def dossier_from_url(request, key: str = "id") -> Dossier:
    """The dossier named by the URL, in the request's Order; 404 for anything else, 403 for a user who may not
    see the Order's dossiers, whatever a tab's own permission (generating a letter from a template, say)."""
    if not request.has_permission(DOSSIER_VIEW):
        raise HTTPForbidden()
    raw = (request.matchdict or {}).get(key, "")
    if not raw.isdecimal():
        raise HTTPNotFound()
    dossier = request.dbsession.scalar(select(Dossier).where(Dossier.id == int(raw)))
    if dossier is None:
        raise HTTPNotFound()
    return dossier


def tabs(request, dossier, permission: str, *entries) -> list:
    """``occ_dossier_tabs`` entries for ``(label, route name, order)`` tuples, shown with ``permission``."""
    from occ_core.plugins import NavItem

    if not request.has_permission(permission):
        return []
    return [NavItem(label, request.route_url(route, tenant=request.tenant.slug, id=dossier.id), order=order,
                    active_prefix=request.route_path(route, tenant=request.tenant.slug, id=dossier.id))
            for label, route, order in entries]


def current_tab(request, shown: list):
    """The tab the page belongs to: the one whose address leads the page's path the longest way (a creditor's
    form belongs to «Creditori», the dossier's edit form and a refused change of state to the summary)."""
    path = request.path

    def leads(tab) -> bool:
        return path == tab.active_prefix or path.startswith(tab.active_prefix + "/")

    return max((tab for tab in shown if tab.active_prefix and leads(tab)), key=lambda tab: len(tab.active_prefix),
               default=None)


def dossier_tabs(request, dossier) -> list:
    tabs = [item for result in request.hooks.occ_dossier_tabs(request=request, dossier=dossier) for item in result]
    return sorted(tabs, key=lambda item: item.order)


def dossier_page(request, dossier, **values) -> dict:
    """The renderer values of a dossier tab: the frame (header, tabs) plus the tab's own ``values``.

    Tab templates use ``dossier_frame.macros['dossier']`` and fill its ``tab`` slot."""
    shown = dossier_tabs(request, dossier)
    return {
        "dossier": dossier,
        "tabs": shown,
        "current_tab": current_tab(request, shown),
        "state_label": procedures.state_label(request.tenant, dossier.state),
        "procedure_label": procedures.procedure_label(dossier.procedure),
        "page_title": f"Pratica {dossier.reference}",
        **values,
    }
