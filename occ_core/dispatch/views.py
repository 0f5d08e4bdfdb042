"""Outbox pages (the Order's and the operator's) and the local maildir of the embedded default."""
from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

from markupsafe import Markup, escape
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from occ_core.accounts.models import User
from occ_core.dispatch.models import STATUS_LABELS, Delivery, OutboxMessage
from occ_core.tenants.models import Tenant
from occ_core.web import ui

TEMPLATES = "occ_core:dispatch/templates/"
STATUS_BADGES = {"queued": "bg-secondary", "sending": "bg-warning text-dark", "sent": "bg-primary",
                 "delivered": "bg-success", "failed": "bg-danger", "cancelled": "bg-light text-dark"}
URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")
# Maildir names are "<time>.<unique>.<host>", the host escaped with backslash codes; nothing else is served.
MAIL_KEY_PATTERN = re.compile(r"[\w.\\-]{1,255}")
MAX_ID = 2**31 - 1
# Signed single-use links (password, activation) are the recipient's alone: whoever reads the outbox
# must not be able to use them first.
LINK_TOKEN_PATTERN = re.compile(r"([?&]token=)[^&\s]+")


def redact_link_tokens(text: str) -> str:
    return LINK_TOKEN_PATTERN.sub(r"\1[riservato]", text or "")


def linkify(text: str) -> Markup:
    """Plain text with its web addresses clickable (e.g. the link of a password email), everything escaped."""
    parts, last = [], 0
    for match in URL_PATTERN.finditer(text or ""):
        parts += [escape(text[last:match.start()]), Markup('<a href="{0}">{0}</a>').format(match.group())]
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return Markup("").join(parts)


def status_view(status: str) -> dict:
    return {"label": STATUS_LABELS.get(status, status), "badge": STATUS_BADGES.get(status, "bg-secondary")}


# --- outbox ---------------------------------------------------------------------------------------

def outbox_page(request, *, page_title: str, show_tenant: bool, message_route: str):
    """Deliveries newest first (inside an Order, the session's tenant scoping keeps only its own)."""
    statement = (
        select(Delivery, OutboxMessage, Tenant)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .outerjoin(Tenant, Tenant.id == Delivery.tenant_id)
        .order_by(Delivery.id.desc())
    )
    status = request.GET.get("status", "")
    if status in STATUS_LABELS:
        statement = statement.where(Delivery.status == status)
    return {"page_title": page_title, "show_tenant": show_tenant, "pager": ui.paginate(request, statement),
            "status": status, "status_labels": STATUS_LABELS, "status_view": status_view,
            "message_url": lambda message: request.route_url(message_route, id=message.id,
                                                             **request.matchdict),
            "pagination": ui.pagination_macro()}


def message_page(request, back_route: str):
    message_id = int(request.matchdict["id"])
    message = None
    # An id beyond the column's range cannot exist, and PostgreSQL would refuse to compare it.
    if message_id <= MAX_ID:
        message = request.dbsession.scalar(
            select(OutboxMessage).where(OutboxMessage.id == message_id)
            .options(selectinload(OutboxMessage.deliveries).selectinload(Delivery.events)))
    if message is None:
        raise HTTPNotFound()
    author = request.dbsession.get(User, message.created_by_id) if message.created_by_id else None
    return {"page_title": f"Messaggio n. {message.id}", "message": message, "author": author,
            "body": linkify(redact_link_tokens(message.body_text)), "status_view": status_view,
            "back_url": request.route_url(back_route, **{k: v for k, v in request.matchdict.items() if k != "id"})}


@view_config(route_name="tenant_outbox", renderer=TEMPLATES + "outbox.pt", permission="core:outbox:view")
def tenant_outbox(request):
    return outbox_page(request, page_title="Posta in uscita", show_tenant=False, message_route="tenant_outbox_message")


@view_config(route_name="tenant_outbox_message", renderer=TEMPLATES + "message.pt", permission="core:outbox:view")
def tenant_outbox_message(request):
    return message_page(request, "tenant_outbox")


@view_config(route_name="admin_outbox", renderer=TEMPLATES + "outbox.pt", permission="platform:admin")
def admin_outbox(request):
    return outbox_page(request, page_title="Posta in uscita della piattaforma", show_tenant=True,
                       message_route="admin_outbox_message")


@view_config(route_name="admin_outbox_message", renderer=TEMPLATES + "message.pt", permission="platform:admin")
def admin_outbox_message(request):
    return message_page(request, "admin_outbox")


# --- local maildir --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MailItem:
    key: str
    received: datetime
    sender: str
    to: str
    subject: str
    body: str


def local_maildir(settings) -> mailbox.Maildir | None:
    folder = Path(settings["occ.var_dir"]) / "mail"
    return mailbox.Maildir(folder, create=False) if folder.is_dir() else None


def read_mail(box: mailbox.Maildir, key: str) -> MailItem:
    with box.get_file(key) as handle:
        parsed = BytesParser(policy=policy.default).parse(handle)
    body = parsed.get_body(preferencelist=("plain",))
    received = datetime.fromtimestamp(box.get_message(key).get_date(), tz=timezone.utc)
    return MailItem(key=key, received=received, sender=str(parsed.get("From", "")), to=str(parsed.get("To", "")),
                    subject=str(parsed.get("Subject", "")), body=body.get_content() if body is not None else "")


def mail_values(request, page_title: str) -> dict:
    return {"page_title": page_title, "smtp_host": request.registry.settings.get("mail.smtp_host", "")}


@view_config(route_name="admin_mail", renderer=TEMPLATES + "mail.pt", permission="platform:admin")
def admin_mail(request):
    box = local_maildir(request.registry.settings)
    items = sorted((read_mail(box, key) for key in box.keys()), key=lambda item: item.received,
                   reverse=True) if box is not None else []
    return {**mail_values(request, "Posta locale"), "pager": ui.paginate_list(request, items),
            "pagination": ui.pagination_macro()}


@view_config(route_name="admin_mail_message", renderer=TEMPLATES + "mail_message.pt", permission="platform:admin")
def admin_mail_message(request):
    key = request.matchdict["key"]
    box = local_maildir(request.registry.settings)
    # The key comes from the URL: only names that the maildir itself lists are ever opened.
    if box is None or not MAIL_KEY_PATTERN.fullmatch(key) or key not in box.keys():
        raise HTTPNotFound()
    item = read_mail(box, key)
    return {**mail_values(request, item.subject or "Messaggio senza oggetto"), "item": item,
            "body": linkify(item.body)}


def includeme(config):
    # The operator's routes first: "/{tenant}/outbox" would otherwise take "/admin/outbox" for an Order.
    config.add_route("admin_outbox", "/admin/outbox")
    config.add_route("admin_outbox_message", r"/admin/outbox/{id:\d+}")
    config.add_route("admin_mail", "/admin/mail")
    config.add_route("admin_mail_message", "/admin/mail/{key}")
    config.add_tenant_route("tenant_outbox", "/outbox")
    config.add_tenant_route("tenant_outbox_message", r"/outbox/{id:\d+}")
    config.scan("occ_core.dispatch.views")
