"""Core feature: dashboard widgets of the core."""
from markupsafe import Markup, escape

from occ_core.hookspecs import hookimpl
from occ_core.plugins import Widget


@hookimpl
def occ_dashboard_widgets(request):
    tenant = request.tenant
    body = Markup()
    # The modules concern who turns them on; a registrant or a debtor would not know what to make of them.
    if request.has_permission("core:settings:edit"):
        labels = [request.occ_plugins.modules[name].label for name in sorted(request.active_modules)]
        body += Markup("<p>Moduli attivi: {}</p>").format(", ".join(labels) if labels else "nessuno")
    if tenant.pec:
        body += Markup("<p class='mb-0'>PEC dell'OCC: {}</p>").format(escape(tenant.pec))
    return [Widget(title=tenant.display_name, body=body, order=100)]
