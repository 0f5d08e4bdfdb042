"""Core feature: dashboard widgets of the core."""
from markupsafe import Markup, escape

from occ_core.hookspecs import hookimpl
from occ_core.plugins import Widget


@hookimpl
def occ_dashboard_widgets(request):
    tenant = request.tenant
    modules = sorted(request.active_modules)
    labels = [request.occ_plugins.modules[name].label for name in modules]
    body = Markup("<p>Moduli attivi: {}</p>").format(", ".join(labels) if labels else "nessuno")
    if tenant.pec:
        body += Markup("<p class='mb-0'>PEC dell'OCC: {}</p>").format(escape(tenant.pec))
    return [Widget(title=tenant.display_name, body=body, order=100)]
