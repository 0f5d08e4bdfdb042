"""Channel contract and the core's email channel (SMTP, or a local maildir in the embedded default)."""
from __future__ import annotations

import base64
import html
import logging
import mailbox
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from functools import lru_cache
from email.header import Header
from email.message import Message
from email import encoders
from email.policy import Compat32
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Callable

from occ_core.settings import as_bool

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """Try again later (connection refused, 4xx)."""


class PermanentFailure(Exception):
    """Do not try again (5xx, invalid address)."""


@dataclass(frozen=True)
class ChannelSpec:
    """A channel. Its sender has ``send(message, delivery) -> provider id`` and may have
    ``send_batch(message, deliveries) -> [provider id or TemporaryFailure/PermanentFailure, ...]`` (one
    outcome per delivery, in order) to send many deliveries at once, e.g. over one connection."""

    name: str
    label: str
    factory: Callable  # settings -> sender
    capabilities: dict = field(default_factory=dict)


def message_id_for(delivery) -> str:
    # Stable per delivery: a resend after a crash carries the same Message-ID, so it can be recognised.
    return f"<delivery-{delivery.id}.message-{delivery.message_id}@occ.invalid>"


def fill(template: str, fields: dict, quote=str) -> str:
    """``template`` with each ``{{name}}`` of ``fields`` replaced by its value passed through ``quote``."""
    for name, value in fields.items():
        template = template.replace("{{" + name + "}}", quote(value))
    return template


class _Policy(Compat32):
    """Plain ASCII headers stay on one line (RFC 5322 allows 998 characters): a link in a header, such as
    List-Unsubscribe, folded onto a second line is not recognised by every mail program."""

    def _fold(self, name, value, sanitize):
        if isinstance(value, str) and value.isascii() and len(name) + len(value) < 990 and not (
                "\n" in value or "\r" in value):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


POLICY = _Policy()


@lru_cache(maxsize=256)
def _header(value: str) -> str:
    """The header value as ASCII: non-ASCII text as RFC 2047 encoded words on one line. Cached: encoding
    costs more than a millisecond, and every copy of a newsletter has the same subject."""
    return value if value.isascii() else Header(value, "utf-8").encode(linesep="")


def _boundary() -> str:
    # Every part is base64, whose lines cannot hold "_": the generator need not search the text for a
    # boundary that does not occur (it would flatten every part once more to do so).
    return f"=_occ_{secrets.token_hex(12)}"


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address)) if name else address


def build_email(settings, message, delivery) -> Message:
    """The email of one delivery, with its personalisation: ``{"fields": {name: value}, "headers":
    {name: value}}``, each ``{{name}}`` of the bodies and of the extra headers replaced by its field
    (escaped in the HTML body).

    Built with the classic (compat32) classes: the modern API parses every header it is given, which
    costs milliseconds per message, too much for a newsletter to thousands."""
    personalisation = getattr(delivery, "personalisation", None) or {}
    fields = personalisation.get("fields") or {}
    body = MIMEText(fill(message.body_text, fields), "plain", "utf-8")
    if message.body_html:
        body = MIMEMultipart("alternative", _boundary(), _subparts=[
            body, MIMEText(fill(message.body_html, fields, html.escape), "html", "utf-8")])
    attached = []
    for attachment in message.attachments or ():
        maintype, _, subtype = attachment["content_type"].partition("/")
        part = MIMEBase(maintype, subtype)
        part.set_payload(base64.b64decode(attachment["data"]))
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
        attached.append(part)
    email = MIMEMultipart("mixed", _boundary(), _subparts=[body, *attached]) if attached else body
    email.policy = POLICY
    email["From"] = _address(settings["mail.sender"])
    email["To"] = formataddr((delivery.recipient_name, delivery.address)) if delivery.recipient_name else delivery.address
    email["Subject"] = _header(message.subject)
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id_for(delivery)
    for name, value in (personalisation.get("headers") or {}).items():
        email[name] = _header(fill(value, fields))
    return email


def _failure(error: Exception) -> Exception:
    """The failure an SMTP error means: a refused recipient or a 5xx reply is final, the rest temporary."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return PermanentFailure(f"Destinatario rifiutato: {error.recipients}")
    if isinstance(error, smtplib.SMTPResponseException):
        failure = PermanentFailure if 500 <= error.smtp_code < 600 else TemporaryFailure
        return failure(f"{error.smtp_code} {error.smtp_error!r}")
    return TemporaryFailure(str(error))


def outcome_of(send, delivery):
    """What ``send(delivery)`` gave: its provider id, or the failure it raised. Any other error while building
    or sending the email (a name or an address it cannot carry) is a permanent failure of this delivery alone,
    its traceback logged: the rest of a batch goes on, and the copies already sent stay recorded as sent."""
    try:
        return send(delivery)
    except (TemporaryFailure, PermanentFailure) as failure:
        return failure
    except Exception as error:
        log.exception("delivery %s of message %s: unexpected error", delivery.id, delivery.message_id)
        return PermanentFailure(f"Errore imprevisto nel preparare o spedire il messaggio ({type(error).__name__}): "
                                "non viene ritentato.")


class EmailSender:
    def __init__(self, settings):
        self.settings = settings

    def send(self, message, delivery) -> str:
        email = build_email(self.settings, message, delivery)
        host = self.settings.get("mail.smtp_host")
        if not host:
            return self._to_maildir(email)
        with self._connect(host) as smtp:
            return self._transmit(smtp, email)

    def send_batch(self, message, deliveries) -> list:
        """Every delivery over one SMTP connection; a failure is kept with its delivery, and once the
        connection is lost the rest fail temporarily (smtplib refuses to send without one)."""
        host = self.settings.get("mail.smtp_host")
        if not host:
            return [outcome_of(lambda d: self._to_maildir(build_email(self.settings, message, d)), delivery)
                    for delivery in deliveries]
        try:
            smtp = self._connect(host)
        except TemporaryFailure as failure:
            return [failure] * len(deliveries)
        with smtp:
            return [outcome_of(lambda d: self._transmit(smtp, build_email(self.settings, message, d)), delivery)
                    for delivery in deliveries]

    def _to_maildir(self, email) -> str:
        folder = Path(self.settings["occ.var_dir"]) / "mail"
        box = mailbox.Maildir(folder, create=True)
        return "maildir:" + box.add(email)

    def _connect(self, host) -> smtplib.SMTP:
        port = int(self.settings.get("mail.smtp_port") or 25)
        smtp = None
        try:
            smtp = smtplib.SMTP(host, port, timeout=30)
            if as_bool(self.settings.get("mail.smtp_tls")):
                smtp.starttls(context=ssl.create_default_context())
            if self.settings.get("mail.smtp_user"):
                smtp.login(self.settings["mail.smtp_user"], self.settings.get("mail.smtp_password", ""))
        except (OSError, smtplib.SMTPException) as error:
            if smtp is not None:
                smtp.close()
            raise _failure(error)
        return smtp

    @staticmethod
    def _transmit(smtp, email) -> str:
        try:
            refused = smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise _failure(error)
        if refused:
            raise PermanentFailure(f"Destinatario rifiutato: {refused}")
        return email["Message-ID"]


EMAIL_CHANNEL = ChannelSpec(
    name="email",
    label="Email",
    factory=EmailSender,
    capabilities={"legal_value": False, "receipts": False, "attachments": True, "cost": False},
)


