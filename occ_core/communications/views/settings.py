"""The Order's settings of communications: the automatic notices (/settings/notices) and the tax offices it
writes to under CCII art. 68 co. 4 (/settings/offices)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.communications import notices, parties
from occ_core.communications.hooks import MANAGE
from occ_core.communications.models import TaxOffice
from occ_core.communications.views import TEMPLATES
from occ_core.dossiers.fields import InvalidData
from occ_core.dossiers.views.registration import form_field, form_macros
from occ_core.errors import UserError
from occ_core.web.forms import posted, posted_all, refuse

OFFICE_FORM = (("Ufficio", (
    form_field(parties.OFFICE_FIELDS, "kind", input="select", options=parties.OFFICE_KINDS),
    form_field(parties.OFFICE_FIELDS, "name"),
    form_field(parties.OFFICE_FIELDS, "pec", input="email"),
    form_field(parties.OFFICE_FIELDS, "email", input="email"),
    form_field(parties.OFFICE_FIELDS, "province", width="col-md-3",
               hint="Vuota per un ufficio competente per tutti i debitori (es. l'agente della riscossione)."),
    form_field(parties.OFFICE_FIELDS, "city", width="col-md-6",
               hint="Per l'ufficio tributi di un Comune: lo si propone ai debitori residenti in quel Comune."),
    form_field(parties.OFFICE_FIELDS, "active", input="checkbox", width="col-md-3"),
)),)


def includeme(config):
    config.add_tenant_route("communication_notices", "/settings/notices")
    config.add_tenant_route("communication_offices", "/settings/offices")
    config.add_tenant_route("communication_office", r"/settings/offices/{office:\d{1,9}}")
    config.scan("occ_core.communications.views.settings")


# --- notices --------------------------------------------------------------------------------------------

def _notices_page(request, error: str | None = None, error_kind: str = "", posted_values: dict | None = None):
    from occ_core.forms.context import VARIABLES

    return {"page_title": "Avvisi automatici", "settings": notices.settings_of(request.dbsession),
            "roles": notices.RECIPIENT_ROLES, "reminder": notices.REMINDER, "variables": VARIABLES, "error": error,
            "error_kind": error_kind, "posted": posted_values or {}}


@view_config(route_name="communication_notices", renderer=TEMPLATES + "notices.pt", permission=MANAGE)
def notice_settings(request):
    if request.method != "POST":
        return _notices_page(request)
    code = posted(request, "kind")
    if code not in notices.KINDS:
        raise HTTPNotFound()
    label = notices.KINDS[code].label
    if posted(request, "azione") == "ripristina":
        restored = notices.restore_builtin(request.dbsession, code)
        request.flash(f"{label}: ripristinato il testo predefinito." if restored else
                      f"{label}: il testo era già quello predefinito.", "success" if restored else "info")
        return HTTPFound(request.route_url("communication_notices", tenant=request.tenant.slug) + f"#notice-{code}")
    values = {"enabled": posted(request, "attivo") == "1", "subject": posted(request, "oggetto"),
              "body": posted(request, "testo"), "recipients": posted_all(request, "destinatari"),
              "days_before": posted(request, "giorni")}
    try:
        notices.save_setting(request.dbsession, request.tenant.id, code, **values)
    except UserError as error:
        return _notices_page(request, refuse(request, error), code, values)
    request.flash(f"{label}: impostazioni salvate" + (" (attivo)." if values["enabled"] else " (disattivato)."))
    return HTTPFound(request.route_url("communication_notices", tenant=request.tenant.slug) + f"#notice-{code}")


# --- tax offices ----------------------------------------------------------------------------------------

def _office_form(request, office: TaxOffice | None):
    values, errors = parties.office_values(office), {}
    if request.method == "POST":
        values = {name: posted(request, name) for name in parties.OFFICE_FIELDS}
        try:
            parties.save_office(request.dbsession, request.tenant.id, office, values)
        except InvalidData as error:
            refuse(request, error)
            errors = error.errors
        else:
            request.flash("Ufficio salvato.")
            return HTTPFound(request.route_url("communication_offices", tenant=request.tenant.slug))
    return {"page_title": "Uffici fiscali destinatari" if office is None else f"Modifica di {office.name}",
            "offices": parties.offices(request.dbsession, active_only=False) if office is None else [],
            "kinds": parties.OFFICE_KINDS, "sections": OFFICE_FORM, "values": values, "errors": errors,
            "form": form_macros(), "office": office,
            "office_url": lambda row: request.route_url("communication_office", tenant=request.tenant.slug,
                                                        office=row.id),
            "back_url": request.route_url("communication_offices", tenant=request.tenant.slug)}


@view_config(route_name="communication_offices", renderer=TEMPLATES + "offices.pt", permission=MANAGE)
def offices(request):
    return _office_form(request, None)


@view_config(route_name="communication_office", renderer=TEMPLATES + "offices.pt", permission=MANAGE)
def office(request):
    row = request.dbsession.scalar(select(TaxOffice).where(TaxOffice.id == int(request.matchdict["office"])))
    if row is None:
        raise HTTPNotFound()
    return _office_form(request, row)
