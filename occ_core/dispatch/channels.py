"""Channel contract and the core's email channel (SMTP, or a local maildir in the embedded default)."""
from __future__ import annotations

import base64
import mailbox
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Callable

from occ_core.settings import as_bool


class TemporaryFailure(Exception):
    """Try again later (connection refused, 4xx)."""


class PermanentFailure(Exception):
    """Do not try again (5xx, invalid address)."""


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    label: str
    factory: Callable  # settings -> sender with send(message, delivery) -> provider id
    capabilities: dict = field(default_factory=dict)


def message_id_for(delivery) -> str:
    # Stable per delivery: a resend after a crash carries the same Message-ID, so it can be recognised.
    return f"<delivery-{delivery.id}.message-{delivery.message_id}@occ.invalid>"


def build_email(settings, message, delivery) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings["mail.sender"]
    email["To"] = formataddr((delivery.recipient_name, delivery.address)) if delivery.recipient_name else delivery.address
    email["Subject"] = message.subject
    email["Message-ID"] = message_id_for(delivery)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for attachment in message.attachments or ():
        maintype, _, subtype = attachment["content_type"].partition("/")
        email.add_attachment(base64.b64decode(attachment["data"]), maintype=maintype, subtype=subtype,
                             filename=attachment["filename"])
    return email


class EmailSender:
    def __init__(self, settings):
        self.settings = settings

    def send(self, message, delivery) -> str:
        email = build_email(self.settings, message, delivery)
        host = self.settings.get("mail.smtp_host")
        if not host:
            return self._to_maildir(email)
        return self._to_smtp(email, host)

    def _to_maildir(self, email) -> str:
        folder = Path(self.settings["occ.var_dir"]) / "mail"
        box = mailbox.Maildir(folder, create=True)
        return "maildir:" + box.add(email)

    def _to_smtp(self, email, host) -> str:
        port = int(self.settings.get("mail.smtp_port") or 25)
        try:
            with smtplib.SMTP(host, port, timeout=30) as smtp:
                if as_bool(self.settings.get("mail.smtp_tls")):
                    smtp.starttls(context=ssl.create_default_context())
                if self.settings.get("mail.smtp_user"):
                    smtp.login(self.settings["mail.smtp_user"], self.settings.get("mail.smtp_password", ""))
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"Destinatario rifiutato: {error.recipients}")
        except smtplib.SMTPResponseException as error:
            failure = PermanentFailure if 500 <= error.smtp_code < 600 else TemporaryFailure
            raise failure(f"{error.smtp_code} {error.smtp_error!r}")
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(str(error))
        if refused:
            raise PermanentFailure(f"Destinatario rifiutato: {refused}")
        return email["Message-ID"]


EMAIL_CHANNEL = ChannelSpec(
    name="email",
    label="Email",
    factory=EmailSender,
    capabilities={"legal_value": False, "receipts": False, "attachments": True, "cost": False},
)


