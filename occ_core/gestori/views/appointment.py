"""The "Gestore" tab of a dossier: the referente's declaration, the proposal, the appointment (single or
collegial), acceptance, independence, refusal, replacement and the history."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.clock import today
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.gestori import chain, services
from occ_core.gestori.models import AppointmentLogEntry, Gestore
from occ_core.gestori.policy import describe, policy_of
from occ_core.gestori.screening import gestore_name
from occ_core.gestori.views import TEMPLATES
from occ_core.web.forms import posted, refuse

TEMPLATE = TEMPLATES + "gestore.pt"


def includeme(config):
    config.add_tenant_route("dossier_gestore", r"/dossiers/{id:\d{1,9}}/gestore")
    config.scan("occ_core.gestori.views.appointment")


def _people(db, ids) -> dict:
    ids = {i for i in ids if i}
    return dict(db.execute(select(User.id, User.full_name).where(User.id.in_(sorted(ids)))).all()) if ids else {}


def _tab(request, dossier, error: str | None = None) -> dict:
    db = request.dbsession
    history = services.history(db, dossier)
    proposal = chain.latest(db, dossier.id, "proposal")
    drawn = chain.latest(db, dossier.id, "draw")
    if drawn is not None and (proposal is None or drawn.payload.get("proposal_seq") != proposal.seq):
        drawn = None
    entries = list(db.scalars(select(AppointmentLogEntry).where(AppointmentLogEntry.dossier_id == dossier.id)
                              .order_by(AppointmentLogEntry.seq)))
    in_force = [a for a in history if a.in_force]
    gestori = sorted(db.scalars(select(Gestore).where(Gestore.tenant_id == request.tenant.id, Gestore.status == "attivo")), key=gestore_name)
    appointed = {a.gestore_id for a in in_force}
    default, outdated = services.current_proposal(db, dossier)
    return dossier_page(
        request, dossier,
        history=history, in_force=in_force, by_id={a.id: a for a in history}, proposal=proposal, drawn=drawn,
        entries=entries, kinds=chain.KINDS, gestori=[g for g in gestori if g.id not in appointed],
        default_gestore=default if default not in appointed else None, gestore_name=gestore_name,
        outdated=outdated if proposal is not None else "",
        people=_people(db, [dossier.referente_declaration_by_id] + [a.appointed_by_id for a in history]
                       + [e.user_id for e in entries]),
        policy=describe(policy_of(request.tenant)), max_college=services.MAX_COLLEGE, error=error,
        form={name: posted(request, name) for name in request.POST} if error else {},
        can_propose=request.has_permission("gestori:appointment:propose"),
        can_decide=request.has_permission("gestori:appointment:decide"),
        can_configure=request.has_permission("gestori:settings:edit"),
        tab_url=request.route_url("dossier_gestore", tenant=request.tenant.slug, id=dossier.id),
    )


@view_config(route_name="dossier_gestore", request_method="GET", renderer=TEMPLATE, permission="gestori:gestore:view")
def gestore_tab(request):
    return _tab(request, dossier_from_url(request))


def _run(request, change, message: str):
    """Apply ``change(dossier)`` and go back to the tab; a refusal shows the tab again with the reason
    (400, nothing written)."""
    dossier = dossier_from_url(request)
    try:
        change(dossier)
    except UserError as error:
        return _tab(request, dossier, refuse(request, error))
    request.flash(message)
    return HTTPFound(request.route_url("dossier_gestore", tenant=request.tenant.slug, id=dossier.id))


def _action(name: str, permission: str):
    return view_config(route_name="dossier_gestore", request_method="POST", request_param=f"action={name}",
                       renderer=TEMPLATE, permission=permission)


def _gestore_ids(request, *names) -> list[int]:
    values = [posted(request, name).strip() for name in names]
    if any(v and not (v.isdecimal() and len(v) < 10) for v in values):
        raise UserError("Il gestore scelto non è nell'elenco dell'Ordine.", field="gestore")
    return [int(v) for v in values if v]


def _appointment(request, dossier):
    return services.appointment_of(request.dbsession, dossier, posted(request, "appointment"))


def _context(request):
    return request.dbsession, request.tenant, request.identity.id


@_action("declaration", "gestori:appointment:decide")
def declaration(request):
    db, tenant, user_id = _context(request)
    return _run(request, lambda d: services.declare_no_conflict(db, tenant, d, user_id),
                "Dichiarazione di assenza di conflitti di interesse dell'OCC registrata.")


@_action("propose", "gestori:appointment:propose")
def propose(request):
    db, tenant, user_id = _context(request)
    return _run(request, lambda d: services.propose(db, tenant, d, user_id, today()),
                "Proposta calcolata e registrata nel registro delle nomine.")


@_action("appoint", "gestori:appointment:decide")
def appoint(request):
    db, tenant, user_id = _context(request)
    return _run(request, lambda d: services.appoint(
        db, tenant, d, _gestore_ids(request, "gestore", "gestore_2", "gestore_3"), user_id, today(),
        posted(request, "reason")), "Nomina registrata.")


@_action("accept", "gestori:appointment:decide")
def accept(request):
    db, tenant, user_id = _context(request)
    return _run(request, lambda d: services.record_acceptance(db, tenant, d, _appointment(request, d), user_id),
                "Accettazione dell'incarico registrata.")


@_action("independence", "gestori:appointment:decide")
def independence(request):
    db, tenant, user_id = _context(request)
    return _run(request, lambda d: services.record_independence(db, tenant, d, _appointment(request, d), user_id),
                "Dichiarazione di indipendenza registrata.")


@_action("decline", "gestori:appointment:decide")
def decline(request):
    db, tenant, user_id = _context(request)
    return _run(request, lambda d: services.record_decline(
        db, tenant, d, _appointment(request, d), user_id, posted(request, "reason")),
        "Rifiuto dell'incarico registrato: può chiedere una nuova proposta.")


@_action("replace", "gestori:appointment:decide")
def replace(request):
    db, tenant, user_id = _context(request)

    def change(dossier):
        ids = _gestore_ids(request, "gestore")
        if not ids:
            raise UserError("Scelga il nuovo gestore.", field="gestore")
        services.replace(db, tenant, dossier, _appointment(request, dossier), ids[0], user_id, today(),
                         posted(request, "reason"), posted(request, "override_reason"))

    return _run(request, change, "Sostituzione registrata.")
