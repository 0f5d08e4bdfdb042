"""The archive of newsletters, composing one, its page (preview, audience, actions, progress, recipients)."""
from __future__ import annotations

from markupsafe import Markup
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import or_, select

from occ_core.accounts.models import User
from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.dispatch.channels import fill
from occ_core.dispatch.models import STATUS_LABELS, Delivery
from occ_core.dispatch.views import status_view
from occ_core.errors import UserError
from occ_core.newsletter import audience as audiences, services
from occ_core.newsletter.content import UNSUBSCRIBE_FIELD, email_bodies
from occ_core.newsletter.models import (
    AUDIENCES, BOZZA, IN_INVIO, PROGRAMMATA, STATES, Newsletter,
)
from occ_core.newsletter.services import MANAGE, VIEW
from occ_core.newsletter.views import ID, TEMPLATES, macro, row_or_404
from occ_core.web import ui
from occ_core.web.forms import posted, refuse

STATE_BADGES = {"bozza": "bg-secondary", "programmata": "bg-info text-dark", "in_invio": "bg-warning text-dark",
                "inviata": "bg-success", "annullata": "bg-light text-dark"}
EXCLUDED_LABELS = {"senza_email": "senza un indirizzo email valido", "disiscritti": "disiscritti",
                   "duplicati": "indirizzi ripetuti"}
# The form's fields besides the filters, which are named "<audience>_<filter>".
FIELDS = ("subject", "body_html", "body_text", "audience", "list_id")
ACTIONS = "test|schedule|send|cancel|duplicate"


def includeme(config):
    config.add_tenant_route("newsletters", "/newsletter")
    config.add_tenant_route("newsletters_export", "/newsletter/export.csv")
    config.add_tenant_route("newsletter_new", "/newsletter/new")
    config.add_tenant_route("newsletter_audience", "/newsletter/audience")
    config.add_tenant_route("newsletter", f"/newsletter/{ID}")
    config.add_tenant_route("newsletter_edit", f"/newsletter/{ID}/edit")
    config.add_tenant_route("newsletter_progress", f"/newsletter/{ID}/progress")
    config.add_tenant_route("newsletter_recipients_export", f"/newsletter/{ID}/recipients.csv")
    config.add_tenant_route("newsletter_action", f"/newsletter/{ID}/{{action:{ACTIONS}}}")
    config.scan("occ_core.newsletter.views.newsletters")


# --- archive --------------------------------------------------------------------------------------

def _archive(request):
    q = (request.GET.get("q") or "").strip()[:100]
    state = request.GET.get("state", "") if request.GET.get("state") in STATES else ""
    statement = (select(Newsletter, User.full_name).outerjoin(User, User.id == Newsletter.created_by_id)
                 .order_by(Newsletter.id.desc()))
    if q:
        statement = statement.where(or_(Newsletter.subject.ilike(f"%{q}%"), Newsletter.audience_label.ilike(f"%{q}%")))
    if state:
        statement = statement.where(Newsletter.state == state)
    return statement, {"q": q, "state": state}


def when(newsletter: Newsletter):
    """The date that matters for the archive: when it was sent, else when it is due, else last changed."""
    return newsletter.started_at or newsletter.scheduled_at or newsletter.updated_at


def audience_text(request, newsletter: Newsletter) -> str:
    return newsletter.audience_label or audiences.describe(request.dbsession, request.tenant.id,
                                                           services.segment_of(newsletter))


@view_config(route_name="newsletters", renderer=TEMPLATES + "archive.pt", permission=VIEW)
def archive(request):
    statement, filters = _archive(request)
    pager = ui.paginate(request, statement)
    return {"page_title": "Newsletter", "pager": pager, "filters": filters, "states": STATES,
            "badges": STATE_BADGES, "progress": services.progress_of(request.dbsession, [r[0] for r in pager.items]),
            "audience_text": lambda n: audience_text(request, n), "when": when,
            "can_manage": request.has_permission(MANAGE), "pagination": ui.pagination_macro(),
            "export_url": request.route_url("newsletters_export", tenant=request.tenant.slug,
                                            _query={k: v for k, v in filters.items() if v})}


@view_config(route_name="newsletters_export", permission=VIEW)
def archive_export(request):
    statement, _filters = _archive(request)
    rows = request.dbsession.execute(statement).all()
    progress = services.progress_of(request.dbsession, [row[0] for row in rows])
    lines = [["Oggetto", "Stato", "Data", "Autore", "Destinatari", "Totale", "Inviati", "Non riusciti", "In coda",
              "Annullati"]]
    for newsletter, author in rows:
        counts = progress[newsletter.id]
        lines.append([newsletter.subject, STATES[newsletter.state], ui.fmt_datetime(when(newsletter)), author or "",
                      audience_text(request, newsletter), counts.total, counts.sent, counts.failed, counts.queued,
                      counts.cancelled])
    return ui.csv_response(lines, f"newsletter-{request.tenant.slug}.csv")


# --- composing ------------------------------------------------------------------------------------

def _form_values(newsletter: Newsletter | None) -> dict:
    if newsletter is None:
        return {"audience": "iscritti", "iscritti_status": "attivo", "gestori_status": "attivo"}
    values = {"subject": newsletter.subject, "body_html": newsletter.body_html, "body_text": newsletter.body_text,
              "audience": newsletter.audience, "list_id": str(newsletter.list_id or "")}
    values.update({f"{newsletter.audience}_{name}": value for name, value in (newsletter.filters or {}).items()})
    return values


def _posted_values(request) -> dict:
    names = list(FIELDS) + [f"{audience}_{name}" for audience, labels in audiences.FILTER_LABELS.items()
                            for name in labels]
    return {name: posted(request, name) for name in names}


def _form(request, newsletter: Newsletter | None, values: dict, error: UserError | None = None) -> dict:
    db = request.dbsession
    return {"page_title": "Nuova newsletter" if newsletter is None else f"Modifica: {newsletter.subject}",
            "newsletter": newsletter, "values": values, "error": error.message if error else None,
            "error_field": error.field if error else None, "audiences": AUDIENCES,
            "filter_labels": audiences.FILTER_LABELS, "options": audiences.options(db, request.tenant.id),
            "lists": audiences.lists_of(db), "count": _count(request, values),
            "count_macro": macro("audience_count.pt", "count")}


def _count(request, values: dict) -> dict:
    """How many the audience of ``values`` reaches, or why it cannot be counted."""
    try:
        segment = audiences.read_segment(request.dbsession, request.tenant.id, values)
    except UserError as error:
        return {"error": error.message}
    found = audiences.resolve(request.dbsession, request.tenant, segment, today())
    return {"error": None, "audience": found, "excluded_labels": EXCLUDED_LABELS}


def _save(request, newsletter: Newsletter | None):
    values = _posted_values(request)
    try:
        draft = services.read_draft(request.dbsession, request.tenant.id, values)
        saved = services.save_draft(request.dbsession, request.tenant.id, newsletter, draft, request.identity.id)
    except UserError as error:
        refuse(request, error)
        return _form(request, newsletter, values, error)
    if draft.removed:
        request.flash("Dal testo HTML sono stati tolti elementi non ammessi in una newsletter "
                      f"({', '.join(draft.removed)}): controlli l'anteprima.", "warning")
    else:
        request.flash("Bozza salvata.")
    return HTTPFound(request.route_url("newsletter", tenant=request.tenant.slug, id=saved.id))


@view_config(route_name="newsletter_new", renderer=TEMPLATES + "form.pt", permission=MANAGE)
def newsletter_new(request):
    if request.method == "POST":
        return _save(request, None)
    return _form(request, None, _form_values(None))


@view_config(route_name="newsletter_edit", renderer=TEMPLATES + "form.pt", permission=MANAGE)
def newsletter_edit(request):
    newsletter = row_or_404(request, Newsletter)
    if newsletter.state != BOZZA:
        request.flash("Si può modificare solo una bozza: per inviarla di nuovo, la duplichi.", "warning")
        return HTTPFound(request.route_url("newsletter", tenant=request.tenant.slug, id=newsletter.id))
    if request.method == "POST":
        return _save(request, newsletter)
    return _form(request, newsletter, _form_values(newsletter))


@view_config(route_name="newsletter_audience", renderer=TEMPLATES + "audience_count.pt", permission=MANAGE)
def audience_count(request):
    values = {name: value for name, value in request.GET.items() if isinstance(value, str)}
    return {"count": _count(request, values)}


# --- the page of a newsletter ------------------------------------------------------------------------

def _recipients(request, newsletter: Newsletter):
    q = (request.GET.get("q") or "").strip()[:100]
    status = request.GET.get("status", "") if request.GET.get("status") in STATUS_LABELS else ""
    statement = select(Delivery).where(Delivery.message_id == newsletter.message_id).order_by(Delivery.id)
    if q:
        statement = statement.where(or_(Delivery.address.ilike(f"%{q}%"), Delivery.recipient_name.ilike(f"%{q}%")))
    if status:
        statement = statement.where(Delivery.status == status)
    return statement, {"q": q, "status": status}


def progress_values(request, newsletter: Newsletter) -> dict:
    return {"newsletter": newsletter, "progress": services.progress_of(request.dbsession, [newsletter])[newsletter.id],
            "polling": newsletter.state in (PROGRAMMATA, IN_INVIO)}


@view_config(route_name="newsletter", renderer=TEMPLATES + "detail.pt", permission=VIEW)
def newsletter_page(request):
    newsletter = row_or_404(request, Newsletter)
    body_html, body_text = email_bodies(newsletter.subject, newsletter.body_html, newsletter.body_text,
                                        request.tenant.display_name)
    preview = {UNSUBSCRIBE_FIELD: "#anteprima"}
    values = {"page_title": newsletter.subject, "states": STATES, "badges": STATE_BADGES,
              "audience_text": audience_text(request, newsletter),
              "author": request.dbsession.get(User, newsletter.created_by_id) if newsletter.created_by_id else None,
              "preview_html": Markup(fill(body_html, preview)), "preview_text": fill(body_text, preview),
              "can_manage": request.has_permission(MANAGE), "excluded_labels": EXCLUDED_LABELS,
              "count": _count(request, _form_values(newsletter)) if newsletter.state == BOZZA else None,
              "pager": None, "status_labels": STATUS_LABELS, "status_view": status_view, "action_error": None,
              "pagination": ui.pagination_macro(), "count_macro": macro("audience_count.pt", "count"),
              "progress_macro": macro("progress.pt", "progress"), **progress_values(request, newsletter)}
    if newsletter.message_id is not None:
        statement, filters = _recipients(request, newsletter)
        values.update(pager=ui.paginate(request, statement), filters=filters)
    return values


@view_config(route_name="newsletter_progress", renderer=TEMPLATES + "progress.pt", permission=VIEW)
def newsletter_progress(request):
    return progress_values(request, row_or_404(request, Newsletter))


@view_config(route_name="newsletter_recipients_export", permission=VIEW)
def recipients_export(request):
    newsletter = row_or_404(request, Newsletter)
    lines = [["Destinatario", "Indirizzo", "Stato", "Inviato", "Errore"]]
    if newsletter.message_id is not None:
        statement, _filters = _recipients(request, newsletter)
        lines += [[d.recipient_name, d.address, STATUS_LABELS.get(d.status, d.status), ui.fmt_datetime(d.sent_at),
                   d.last_error] for d in request.dbsession.scalars(statement)]
    return ui.csv_response(lines, f"newsletter-{newsletter.id}-destinatari.csv")


# --- actions --------------------------------------------------------------------------------------

def _test(request, newsletter):
    return f"Prova inviata a {services.test_send(request, newsletter)}: controlli la sua casella di posta."


def _schedule(request, newsletter):
    moment = services.parse_when(posted(request, "day"), posted(request, "hour"))
    found = services.schedule(request.dbsession, request.tenant, newsletter, moment)
    audit(request, "newsletter.scheduled", object_type="Newsletter", object_id=newsletter.id,
          details={"at": moment.isoformat(), "recipients": len(found.recipients)})
    return (f"Newsletter programmata per il {ui.fmt_datetime(moment)}: oggi raggiungerebbe "
            f"{len(found.recipients)} destinatari.")


def _send(request, newsletter):
    from occ_core.background import send_after_commit
    from occ_core.newsletter.tasks import start

    found = services.schedule(request.dbsession, request.tenant, newsletter, None)
    send_after_commit(request.tm, start, request.tenant.id, newsletter.id)
    audit(request, "newsletter.sent", object_type="Newsletter", object_id=newsletter.id,
          details={"recipients": len(found.recipients)})
    return f"Invio avviato a {len(found.recipients)} destinatari: l'avanzamento si aggiorna in questa pagina."


def _cancel(request, newsletter):
    was, stopped = services.cancel(request.dbsession, newsletter)
    audit(request, "newsletter.cancelled", object_type="Newsletter", object_id=newsletter.id,
          details={"state": was, "not_sent": stopped})
    return "Invio interrotto: " + (f"{stopped} messaggi in coda non saranno inviati." if was == IN_INVIO
                                   else "la newsletter programmata non sarà inviata.")


def _duplicate(request, newsletter):
    copy = services.duplicate(request.dbsession, newsletter, request.identity.id)
    request.flash("Copia creata come bozza: la può modificare e inviare.")
    return HTTPFound(request.route_url("newsletter_edit", tenant=request.tenant.slug, id=copy.id))


HANDLERS = {"test": _test, "schedule": _schedule, "send": _send, "cancel": _cancel, "duplicate": _duplicate}


@view_config(route_name="newsletter_action", request_method="POST", renderer=TEMPLATES + "detail.pt",
             permission=MANAGE)
def newsletter_action(request):
    newsletter = row_or_404(request, Newsletter)
    try:
        outcome = HANDLERS[request.matchdict["action"]](request, newsletter)
    except UserError as error:
        refuse(request, error)
        return {**newsletter_page(request), "action_error": error}
    if isinstance(outcome, HTTPFound):
        return outcome
    request.flash(outcome)
    return HTTPFound(request.route_url("newsletter", tenant=request.tenant.slug, id=newsletter.id))
