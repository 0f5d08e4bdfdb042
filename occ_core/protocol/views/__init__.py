"""The protocol's screens: the list and its export, registering by hand or from a PEC, a registration's page
with its forms (correction, annulment, assignment, dossier), and the dossier's «Protocollo» tab.

Each part registers its own routes. Every registration is looked up through the request's session, bound to
the Order of the URL: only a row found that way leads to the storage."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import get_renderer
from sqlalchemy import select

from occ_core.dossiers.models import Dossier
from occ_core.protocol import segnatura, services
from occ_core.protocol.models import Registration
from occ_core.web.forms import read_upload

PARTS = ("listing", "registration", "detail", "dossier_tab", "settings")
TEMPLATES = "occ_core:protocol/templates/"
DOSSIER_CHOICES = 300


def includeme(config):
    for part in PARTS:
        config.include(f"occ_core.protocol.views.{part}")


def url(request, route: str, **parts) -> str:
    return request.route_url(route, tenant=request.tenant.slug, **parts)


def registration_from_url(request) -> Registration:
    registration = services.find_registration(request.dbsession, (request.matchdict or {}).get("id", ""))
    if registration is None:
        raise HTTPNotFound()
    return registration


def uploads(request, name: str, received: bool = False) -> list[services.Upload]:
    """The files posted under ``name`` (at most one byte over the limit each); empty file fields are skipped."""
    limit = services.upload_limit(request)
    found = []
    for field in request.POST.getall(name):
        content = read_upload(field, limit)
        filename = getattr(field, "filename", "") or ""
        if content or filename:
            found.append(services.Upload(filename, content, received))
    return found


def dossier_choices(request) -> list[str]:
    """The picker's suggestions: the open dossiers, newest first, as "12/2025 – debtor"."""
    rows = request.dbsession.execute(
        select(Dossier.number, Dossier.year, Dossier.debtor_name).where(Dossier.closed.is_(False))
        .order_by(Dossier.year.desc(), Dossier.number.desc()).limit(DOSSIER_CHOICES))
    return [f"{number}/{year} – {name}" if name else f"{number}/{year}" for number, year, name in rows]


def page_values(request, **values) -> dict:
    """What the protocol's pages share: choices, the Order's missing codes, the user's permissions."""
    return {
        "directions": services.DIRECTIONS, "means": services.MEANS,
        "missing_codes": segnatura.missing_codes(request.tenant),
        "settings_url": request.route_url("tenant_settings", tenant=request.tenant.slug)
        if request.has_permission("core:settings:edit") else None,
        "can_create": request.has_permission(services.CREATE),
        "reference": lambda r, code="": services.numbering.reference(r.year, r.number, code),
        "protocol_url": lambda route, **parts: url(request, route, **parts),
        "protocol_macros": get_renderer(TEMPLATES + "macros.pt").implementation(),
        "existing": None,  # the registration a refused duplicate already has
        **values,
    }
