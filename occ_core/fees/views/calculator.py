"""The calculator (/fees/calculator): the estimate recalculated as the user types (htmx asks the fragment
route), and by submitting the form when JavaScript is off. Nothing is saved."""
from __future__ import annotations

from pyramid.view import view_config

from occ_core.errors import UserError
from occ_core.fees import inputs
from occ_core.fees.services import VIEW
from occ_core.fees.views import TEMPLATES, blank_form, form_context, form_values, raw_inputs


def includeme(config):
    config.add_tenant_route("fee_calculator", "/fees/calculator")
    config.add_tenant_route("fee_calculator_result", "/fees/calculator/result")
    config.scan("occ_core.fees.views.calculator")


def computed(request) -> dict:
    """The form as sent and its estimate; a refused input answers 400 with the message."""
    if not any(request.params.get(name) for name in ("attivo", "passivo")):
        return form_context(request, blank_form(request), None)
    values = form_values(request)
    try:
        asked = inputs.read(raw_inputs(values), request.tenant)
    except UserError as error:
        request.response.status = 400
        return form_context(request, values, None, error)
    return form_context(request, values, asked)


@view_config(route_name="fee_calculator", renderer=TEMPLATES + "calculator.pt", permission=VIEW)
def calculator(request):
    return {"page_title": "Calcolo del preventivo", **computed(request)}


@view_config(route_name="fee_calculator_result", renderer=TEMPLATES + "result_fragment.pt", permission=VIEW)
def calculator_result(request):
    return computed(request)
