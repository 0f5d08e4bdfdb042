"""The "Scadenze" tab of a dossier: its deadlines with how each was computed, done/reopen, a deadline added by
hand, and the dated acts (milestones) that start terms."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.clock import today
from occ_core.deadlines import catalogue, preferences, queries, services
from occ_core.deadlines.models import Deadline, Milestone
from occ_core.deadlines.views import TEMPLATES
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.web.forms import posted, refuse

TAB = TEMPLATES + "dossier.pt"
VIEW, MANAGE = "deadlines:deadline:view", "deadlines:deadline:manage"
DEADLINE = r"/dossiers/{id:\d{1,9}}/deadlines/{deadline_id:\d{1,9}}"


def includeme(config):
    config.add_tenant_route("dossier_deadlines", r"/dossiers/{id:\d{1,9}}/deadlines")
    config.add_tenant_route("dossier_deadline_add", r"/dossiers/{id:\d{1,9}}/deadlines/new")
    config.add_tenant_route("dossier_deadline_done", DEADLINE + "/done")
    config.add_tenant_route("dossier_deadline_reopen", DEADLINE + "/reopen")
    config.add_tenant_route("dossier_milestone_add", r"/dossiers/{id:\d{1,9}}/milestones")
    config.scan("occ_core.deadlines.views.dossier")


def tab_values(request, dossier, error: UserError | None = None, form: str = "", posted_values=None,
               deadline_id: int | None = None) -> dict:
    """The tab; after a refused form, ``error`` says why and ``form`` which form shows ``posted_values`` again."""
    db = request.dbsession
    deadlines = list(db.scalars(select(Deadline).where(Deadline.dossier_id == dossier.id)
                                .order_by(Deadline.due_on, Deadline.id)))
    days, now = preferences.window_days(request.tenant), today()
    kinds = catalogue.milestone_kinds(db)
    return dossier_page(
        request, dossier,
        deadlines=[(deadline, queries.status_of(deadline, now, days)) for deadline in deadlines],
        milestones=list(db.scalars(select(Milestone).where(Milestone.dossier_id == dossier.id)
                                   .order_by(Milestone.on, Milestone.id))),
        milestone_kinds=kinds, who=catalogue.WHO, labels=queries.STATUS_LABELS, badges=queries.STATUS_BADGES,
        can_manage=request.has_permission(MANAGE) and not dossier.closed,
        can_edit_rules=request.has_permission("deadlines:rules:edit"),
        error=error.message if error else None, error_field=error.field if error else None,
        error_deadline=deadline_id, form=form, values=posted_values or {}, window=days,
        url=lambda name, **kw: request.route_url(name, tenant=request.tenant.slug, id=dossier.id, **kw),
    )


@view_config(route_name="dossier_deadlines", renderer=TAB, permission=VIEW)
def dossier_deadlines(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "scadenze")
    return tab_values(request, dossier)


def _deadline(request, dossier) -> Deadline:
    deadline = request.dbsession.scalar(select(Deadline).where(
        Deadline.id == int(request.matchdict["deadline_id"]), Deadline.dossier_id == dossier.id))
    if deadline is None:
        raise HTTPNotFound()
    return deadline


def _act(request, action, form: str, fields: tuple, done: str, on_deadline: bool = False):
    """Run ``action(dossier, deadline or data)``; a refusal shows the tab again with the message (400)."""
    dossier = dossier_from_url(request)
    deadline = _deadline(request, dossier) if on_deadline else None
    data = {name: posted(request, name) for name in fields}
    try:
        action(dossier, deadline, data)
    except UserError as error:
        refuse(request, error)
        return tab_values(request, dossier, error, form, data, deadline.id if deadline else None)
    request.flash(done)
    anchor = f"deadline-{deadline.id}" if deadline else form
    return HTTPFound(request.route_url("dossier_deadlines", tenant=request.tenant.slug, id=dossier.id,
                                       _anchor=anchor))


@view_config(route_name="dossier_deadline_done", request_method="POST", renderer=TAB, permission=MANAGE)
def deadline_done(request):
    return _act(request, lambda dossier, deadline, data: services.mark_done(request, deadline, data["note"]),
                "done", ("note",), "Scadenza segnata come fatta.", on_deadline=True)


@view_config(route_name="dossier_deadline_reopen", request_method="POST", renderer=TAB, permission=MANAGE)
def deadline_reopen(request):
    return _act(request, lambda dossier, deadline, data: services.reopen(request, deadline),
                "reopen", (), "Scadenza riaperta.", on_deadline=True)


@view_config(route_name="dossier_deadline_add", request_method="POST", renderer=TAB, permission=MANAGE)
def deadline_add(request):
    return _act(request, lambda dossier, deadline, data: services.add_manual(request, dossier, data),
                "manual-form", services.MANUAL_FIELDS, "Scadenza aggiunta.")


@view_config(route_name="dossier_milestone_add", request_method="POST", renderer=TAB, permission=MANAGE)
def milestone_add(request):
    return _act(request, lambda dossier, deadline, data: services.record_milestone(request, dossier, data),
                "milestone-form", services.MILESTONE_FIELDS,
                "Atto registrato: le scadenze che ne derivano sono state calcolate.")
