"""The Order's protocol rules (/settings/protocol): how oggetto, mittente and destinatari are corrected."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.protocol import services
from occ_core.protocol.views import TEMPLATES
from occ_core.web.forms import posted, refuse

EDIT = "core:settings:edit"


def includeme(config):
    config.add_tenant_route("protocol_settings", "/settings/protocol")
    config.scan("occ_core.protocol.views.settings")


@view_config(route_name="protocol_settings", renderer=TEMPLATES + "settings.pt", permission=EDIT)
def protocol_settings(request):
    values = {"page_title": "Regole del protocollo", "readings": services.CORRECTION_READINGS, "error": None}
    if request.method != "POST":
        return {**values, "chosen": services.correction_reading(request.tenant)}
    chosen = posted(request, "corrections")
    try:
        changed = services.set_correction_reading(request, chosen)
    except UserError as error:
        return {**values, "chosen": services.correction_reading(request.tenant), "error": refuse(request, error)}
    if changed:
        audit(request, "protocol.settings.changed", object_type="Tenant", object_id=str(request.tenant.id),
              details={"corrections": chosen})
        request.flash("Regole del protocollo salvate.", "success")
    return HTTPFound(request.route_url("protocol_settings", tenant=request.tenant.slug))
