"""The Order's own settings: configuration parameters, logo, and the modules it switches on and off."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.tenants import services
from occ_core.web.forms import posted, read_upload, refuse

TEMPLATES = "occ_core:tenants/templates/"
FEES_SLOT = "tenant_settings.fees"


def switch_module(request, tenant, module: str, enable: bool) -> None:
    """Enable or disable ``module`` for ``tenant`` on behalf of the user; audited when something changed."""
    info = request.occ_plugins.modules.get(module)
    if info is None:
        raise UserError("Il modulo indicato non è installato su questa piattaforma.")
    changed = services.set_module_enabled(request.dbsession, request.occ_plugins, tenant, module, enable,
                                          user_id=request.identity.id)
    if not changed:
        request.flash(f"Il modulo «{info.label}» era già {'attivo' if enable else 'disattivato'}.", "info")
        return
    audit(request, "module.enabled" if enable else "module.disabled", object_type="module", object_id=module,
          tenant=tenant)
    request.flash(f"Modulo «{info.label}» attivato." if enable else
                  f"Modulo «{info.label}» disattivato: i suoi dati restano conservati.")


@view_config(route_name="tenant_settings", renderer=TEMPLATES + "settings.pt", permission="core:settings:edit")
def tenant_settings(request):
    tenant = request.tenant
    values = {name: getattr(tenant, name) for name in services.PARAMETERS}
    errors = {}
    if request.method == "POST":
        try:
            changes = services.update_parameters(
                tenant, request.POST,
                logo=read_upload(request.POST.get("logo"), services.LOGO_MAX_BYTES),
                remove_logo=bool(posted(request, "remove_logo")),
            )
        except services.InvalidParameters as error:
            refuse(request, error)
            errors = error.errors
            values = {name: posted(request, name) for name in services.PARAMETERS}
        else:
            if changes:
                audit(request, "tenant.settings.changed", object_type="Tenant", object_id=tenant.id,
                      details={"changes": changes})
                request.flash("Parametri dell'Ordine salvati.")
            else:
                request.flash("Nessuna modifica da salvare.", "info")
            return HTTPFound(request.route_url("tenant_settings", tenant=tenant.slug))
    labels = {name: parameter.label for name, parameter in services.PARAMETERS.items()} | {"logo": "Logo"}
    fees_html = [html for html in request.hooks.occ_template_slot(slot=FEES_SLOT, request=request) if html]
    return {
        "page_title": "Impostazioni dell'Ordine",
        "sections": services.PARAMETER_SECTIONS,
        "values": values,
        "errors": errors,
        "labels": labels,
        "logo_max_kb": services.LOGO_MAX_BYTES // 1024,
        "fees_html": fees_html,
    }


@view_config(route_name="tenant_modules", renderer=TEMPLATES + "modules.pt", permission="core:modules:manage")
def tenant_modules(request):
    tenant = request.tenant
    error = None
    if request.method == "POST":
        action = posted(request, "action")
        try:
            if action not in ("enable", "disable"):
                raise UserError("Operazione non riconosciuta.")
            switch_module(request, tenant, posted(request, "module"), action == "enable")
        except UserError as refused:
            error = refuse(request, refused)
        else:
            return HTTPFound(request.route_url("tenant_modules", tenant=tenant.slug))
    return {
        "page_title": "Moduli dell'Ordine",
        "states": services.module_states(request.dbsession, request.occ_plugins, tenant),
        "manage": True,
        "error": error,
    }


def includeme(config):
    config.add_tenant_route("tenant_settings", "/settings")
    config.add_tenant_route("tenant_modules", "/settings/modules")
    config.scan("occ_core.tenants.views")
