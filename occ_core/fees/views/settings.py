"""The Order's fee defaults (/settings/fees): reading of the reduction, spese generali, minimum fee, start
fee, rounding, proposed value, the gestore's share, the readings of the cap's boundaries (art. 16 co. 5)."""
from __future__ import annotations

from dataclasses import asdict, replace
from decimal import Decimal

from markupsafe import Markup
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.fees import preferences
from occ_core.fees.calculation import READINGS, ROUNDINGS
from occ_core.fees.services import SETTINGS
from occ_core.fees.views import TEMPLATES, percent
from occ_core.web.forms import parse_money, posted, refuse
from occ_core.web.ui import fmt_amount, fmt_decimal, fmt_money, fmt_number

AMOUNTS = {"reduction_percent": "Riduzione predefinita", "general_expenses_percent": "Spese generali",
           "minimum_fee": "Compenso minimo", "start_fee": "Diritto di avvio", "gestore_percent": "Quota del gestore"}
CHOICES = ("reading", "rounding", "proposed")
MONEY = ("minimum_fee", "start_fee")
FLAGS = ("start_fee_vat_included", "high_cap_at_threshold", "cap_exempt_at_threshold",
         "general_expenses_on_liquidation")


def includeme(config):
    config.add_tenant_route("fee_settings", "/settings/fees")
    config.scan("occ_core.fees.views.settings")


def _shown(prefs: preferences.FeePreferences) -> dict:
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(prefs).items()}


def _form(prefs: preferences.FeePreferences) -> dict:
    """The defaults as the form shows them: amounts and percentages the Italian way."""
    return {**_shown(prefs), **{name: (fmt_amount if name in MONEY else fmt_number)(getattr(prefs, name))
                                for name in AMOUNTS}}


def _posted(request) -> dict:
    values = {name: posted(request, name).strip() for name in (*AMOUNTS, *CHOICES)}
    values.update({flag: bool(posted(request, flag)) for flag in FLAGS})
    return values


def _parsed(values: dict) -> preferences.FeePreferences:
    amounts = {}
    for name, label in AMOUNTS.items():
        try:
            amounts[name] = parse_money(values[name], label)
        except UserError as error:
            raise UserError(error.message, field=name)
        if amounts[name] is None:
            raise UserError(f"{label}: indicare un valore.", field=name)
    return replace(preferences.FeePreferences(), **amounts, **{name: values[name] for name in (*CHOICES, *FLAGS)})


def _page(request, values: dict, error: UserError | None = None) -> dict:
    return {"page_title": "Compensi e preventivi", "values": values, "readings": READINGS, "roundings": ROUNDINGS,
            "proposals": preferences.PROPOSED, "error": error.message if error else None,
            "error_field": error.field if error else None, **vat_note(request)}


def vat_note(request) -> dict:
    """The IVA the preventivi take from the invoicing's settings, and where to change it."""
    return {"vat_percent": percent(preferences.vat_rate_of(request.tenant)),
            "invoicing_settings_url": request.route_url("invoicing_settings", tenant=request.tenant.slug)}


@view_config(route_name="fee_settings", renderer=TEMPLATES + "settings.pt", permission=SETTINGS)
def fee_settings(request):
    tenant = request.tenant
    current = preferences.preferences_of(tenant)
    if request.method != "POST":
        return _page(request, _form(current))
    values = _posted(request)
    try:
        new = _parsed(values)
        preferences.save(tenant, new)
    except UserError as error:
        refuse(request, error)
        return _page(request, values, error)
    if new != current:
        audit(request, "fees.settings.changed", object_type="Tenant", object_id=tenant.id, details=_shown(new))
        request.flash("Impostazioni dei compensi salvate: valgono per i preventivi calcolati da ora.")
    else:
        request.flash("Nessuna modifica da salvare.", "info")
    return HTTPFound(request.route_url("fee_settings", tenant=tenant.slug))


def settings_summary(request) -> Markup:
    """The Order's fee defaults in words, for the «Compensi e parametri» card of the Order's settings."""
    prefs = preferences.preferences_of(request.tenant)
    values = {"prefs": prefs, "percent": fmt_decimal, "money": fmt_money,
              "reading": READINGS[prefs.reading], "rounding": ROUNDINGS[prefs.rounding],
              "proposed": preferences.PROPOSED[prefs.proposed],
              "settings_url": request.route_url("fee_settings", tenant=request.tenant.slug), **vat_note(request)}
    return Markup(render(TEMPLATES + "settings_summary.pt", values, request=request))
