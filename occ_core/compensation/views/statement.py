"""A gestore's statement for a period (rows per dossier and collection, his invoices, payments and the
ritenute due to the Erario), printable; and his tax profile (how he invoices the OCC)."""
from __future__ import annotations

from itertools import groupby

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.clock import today
from occ_core.compensation import services, tax
from occ_core.compensation.views import GESTORE, TEMPLATES, gestore_from_url, page_values, requested_period, url
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.gestori.screening import gestore_name
from occ_core.ledger.services import METHODS
from occ_core.money import ZERO
from occ_core.web.forms import posted, refuse
from occ_core.web.ui import fmt_number


def includeme(config):
    config.add_tenant_route("compensation_statement", GESTORE)
    config.add_tenant_route("compensation_tax_profile", GESTORE + "/profile")
    config.scan("occ_core.compensation.views.statement")


@view_config(route_name="compensation_statement", renderer=TEMPLATES + "statement.pt", permission=services.VIEW)
def statement(request):
    return statement_values(request, gestore_from_url(request))


def statement_values(request, gestore, error: str | None = None) -> dict:
    period, period_error = requested_period(request)
    error = error or period_error
    db = request.dbsession
    result = services.compensation(db, request.tenant, period, gestore.id)
    dossier_ids = {share.collection.dossier_id for share in result.shares} | {
        invoice.dossier_id for invoice in result.invoices if invoice.dossier_id}
    dossiers = {d.id: d for d in db.scalars(select(Dossier).where(Dossier.id.in_(list(dossier_ids))))}
    by_dossier = [(dossiers[dossier_id], list(shares)) for dossier_id, shares in groupby(
        sorted(result.shares, key=lambda s: (s.collection.dossier_id, s.collection.on, s.collection.movement_id)),
        key=lambda s: s.collection.dossier_id)]
    paid = {invoice.id: ZERO for invoice in result.invoices}
    for payment in result.payments:
        paid[payment.invoice.id] += payment.movement.amount
    return page_values(
        request, page_title=f"Prospetto dei compensi di {gestore_name(gestore)}", gestore=gestore, period=period,
        error=error, figures=result.of_gestore(gestore.id), by_dossier=by_dossier, invoices=result.invoices,
        paid=paid, payments=result.payments, dossiers=dossiers, methods=METHODS, today=today(),
        profile=services.tax_profile(db, gestore.id), regimes=tax.REGIMES, funds=tax.PENSION_FUNDS)


def profile_form(profile: tax.TaxProfile) -> dict[str, str]:
    return {"vat_regime": profile.vat_regime, "vat_rate": fmt_number(profile.vat_rate),
            "pension_fund": profile.pension_fund, "pension_fund_rate": fmt_number(profile.pension_fund_rate),
            "withholding": "1" if profile.withholding else "", "withholding_rate": fmt_number(profile.withholding_rate)}


def _profile_values(request, gestore, values: dict, error=None) -> dict:
    return page_values(request, page_title=f"Profilo fiscale di {gestore_name(gestore)}", gestore=gestore,
                       values=values, regimes=tax.REGIMES, funds=tax.PENSION_FUNDS,
                       withholding_type=tax.WITHHOLDING_TYPE, error=error)


@view_config(route_name="compensation_tax_profile", renderer=TEMPLATES + "profile.pt", permission=services.VIEW,
             request_method="GET")
def tax_profile(request):
    gestore = gestore_from_url(request)
    return _profile_values(request, gestore, profile_form(services.tax_profile(request.dbsession, gestore.id)))


@view_config(route_name="compensation_tax_profile", renderer=TEMPLATES + "profile.pt", permission=services.MANAGE,
             request_method="POST")
def save_tax_profile(request):
    gestore = gestore_from_url(request)
    form = {name: posted(request, name) for name in (
        "vat_regime", "vat_rate", "pension_fund", "pension_fund_rate", "withholding", "withholding_rate")}
    try:
        profile = services.parse_profile(form)
    except UserError as error:
        return _profile_values(request, gestore, form, refuse(request, error))
    if services.save_profile(request, gestore, profile):
        request.flash("Profilo fiscale salvato.", "success")
    return HTTPFound(url(request, "compensation_statement", gestore_id=gestore.id))
