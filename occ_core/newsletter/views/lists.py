"""Custom mailing lists: create, add members (from the registry, typed, from a CSV file), remove."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.newsletter import lists
from occ_core.newsletter.models import ListMember, MailingList
from occ_core.newsletter.services import MANAGE
from occ_core.newsletter.views import ID, TEMPLATES, row_or_404
from occ_core.web import ui
from occ_core.web.forms import posted, read_upload, refuse

UPLOAD_LIMIT = 2 * 1024 * 1024


def includeme(config):
    config.add_tenant_route("newsletter_lists", "/newsletter/lists")
    config.add_tenant_route("newsletter_list", f"/newsletter/lists/{ID}")
    config.add_tenant_route("newsletter_list_import", f"/newsletter/lists/{ID}/import")
    config.add_tenant_route("newsletter_list_delete", f"/newsletter/lists/{ID}/delete")
    config.add_tenant_route("newsletter_list_member_delete",
                            f"/newsletter/lists/{ID}/members/{{member:\\d{{1,9}}}}/delete")
    config.scan("occ_core.newsletter.views.lists")


def _lists_values(request, name: str = "", error: UserError | None = None) -> dict:
    counts = dict(request.dbsession.execute(select(ListMember.list_id, func.count(ListMember.id))
                                            .group_by(ListMember.list_id)).all())
    found = request.dbsession.scalars(select(MailingList).order_by(MailingList.name)).all()
    return {"page_title": "Liste personalizzate", "lists": found, "counts": counts, "name": name,
            "error": error.message if error else None}


@view_config(route_name="newsletter_lists", renderer=TEMPLATES + "lists.pt", permission=MANAGE)
def mailing_lists(request):
    if request.method != "POST":
        return _lists_values(request)
    name = posted(request, "name")
    try:
        created = lists.create_list(request.dbsession, request.tenant.id, name)
    except UserError as error:
        refuse(request, error)
        return _lists_values(request, name, error)
    request.flash(f"Lista «{created.name}» creata: ora aggiunga i destinatari.")
    return HTTPFound(request.route_url("newsletter_list", tenant=request.tenant.slug, id=created.id))


def _list_values(request, mailing_list: MailingList, error: UserError | None = None, imported=None) -> dict:
    q = (request.GET.get("q") or "").strip()[:100]
    members = select(ListMember).where(ListMember.list_id == mailing_list.id).order_by(ListMember.email)
    if q:
        members = members.where(or_(ListMember.email.ilike(f"%{q}%"), ListMember.name.ilike(f"%{q}%")))
    who = (request.GET.get("who") or "").strip()[:100]
    return {"page_title": f"Lista «{mailing_list.name}»", "mailing_list": mailing_list,
            "pager": ui.paginate(request, members), "pagination": ui.pagination_macro(), "q": q, "who": who,
            "candidates": lists.registrants_matching(request.dbsession, who), "error": error.message if error else None,
            "error_field": error.field if error else None, "imported": imported,
            "typed": {"name": posted(request, "name"), "email": posted(request, "email")}}


def _back(request, mailing_list: MailingList) -> HTTPFound:
    return HTTPFound(request.route_url("newsletter_list", tenant=request.tenant.slug, id=mailing_list.id))


@view_config(route_name="newsletter_list", renderer=TEMPLATES + "mailing_list.pt", permission=MANAGE)
def mailing_list(request):
    found = row_or_404(request, MailingList)
    if request.method != "POST":
        return _list_values(request, found)
    registrant_id = posted(request, "registrant_id")
    try:
        if registrant_id:
            added = lists.add_registrant(request.dbsession, found, registrant_id)
        else:
            added = lists.add_member(request.dbsession, found, posted(request, "name"), posted(request, "email"))
    except UserError as error:
        refuse(request, error)
        return _list_values(request, found, error)
    request.flash("Destinatario aggiunto." if added else "L'indirizzo era già nella lista.",
                  "success" if added else "info")
    return _back(request, found)


@view_config(route_name="newsletter_list_import", request_method="POST", renderer=TEMPLATES + "mailing_list.pt",
             permission=MANAGE)
def list_import(request):
    found = row_or_404(request, MailingList)
    content = read_upload(request.POST.get("file"), UPLOAD_LIMIT)
    try:
        if not content:
            raise UserError("Scelga il file CSV da importare.", field="file")
        if len(content) > UPLOAD_LIMIT:
            raise UserError("Il file supera i 2 MB: lo divida in più parti.", field="file")
        result = lists.import_csv(request.dbsession, found, content)
    except UserError as error:
        refuse(request, error)
        return _list_values(request, found, error)
    audit(request, "newsletter.list_imported", object_type="MailingList", object_id=found.id,
          details={"added": result.added, "errors": len(result.errors)})
    if result.errors:
        # The valid rows are kept; the page lists the wrong ones with their line.
        request.response.status = 400 if not result.added else 200
        return _list_values(request, found, imported=result)
    request.flash(f"Importati {result.added} indirizzi" + (f"; {result.already} erano già nella lista." if result.already
                                                           else "."))
    return _back(request, found)


@view_config(route_name="newsletter_list_member_delete", request_method="POST", permission=MANAGE)
def member_delete(request):
    found = row_or_404(request, MailingList)
    member = request.dbsession.scalar(select(ListMember).where(ListMember.list_id == found.id,
                                                               ListMember.id == int(request.matchdict["member"])))
    if member is not None:
        request.dbsession.delete(member)
        request.flash(f"{member.email} tolto dalla lista.")
    return _back(request, found)


@view_config(route_name="newsletter_list_delete", request_method="POST", renderer=TEMPLATES + "mailing_list.pt",
             permission=MANAGE)
def list_delete(request):
    found = row_or_404(request, MailingList)
    try:
        lists.delete_list(request.dbsession, found)
    except UserError as error:
        refuse(request, error)
        return _list_values(request, found, error)
    audit(request, "newsletter.list_deleted", object_type="MailingList", object_id=found.id, details={"name": found.name})
    request.flash(f"Lista «{found.name}» eliminata.")
    return HTTPFound(request.route_url("newsletter_lists", tenant=request.tenant.slug))
