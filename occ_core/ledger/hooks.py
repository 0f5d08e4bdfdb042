"""Core feature: the Order's income and expenses (prima nota), the accounting landing page and its exports."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.ledger.services import EXPORT, MANAGE, VIEW
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Contabilità"
STAFF = ("amministratore", "segreteria")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare la contabilità: entrate, uscite e saldi", GROUP,
                       (*STAFF, "referente", "consultazione")),
        PermissionSpec(MANAGE, "Registrare, correggere e riconciliare entrate e uscite", GROUP, STAFF),
        PermissionSpec(EXPORT, "Esportare i movimenti e la prima nota per il commercialista", GROUP, STAFF),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.ledger.views")


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission(VIEW):
        return []
    slug = request.tenant.slug
    return [NavItem("Contabilità", request.route_url("accounting", tenant=slug), icon="it-card", order=60,
                    active_prefix=(f"/{slug}/accounting", f"/{slug}/fees/"))]


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, VIEW, ("Contabilità", "dossier_accounting", 70))


# Last: it invoices the estimates the fees feature saves and pays the gestori the dossiers appointed.
@hookimpl(trylast=True)
def occ_demo_data(dbsession, tenant, registry):
    from occ_core.ledger.demo import load_demo_accounting

    return load_demo_accounting(dbsession, registry, tenant)
