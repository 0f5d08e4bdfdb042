"""Signed single-use links (password reset, email verification, portal activation) with pyjwt."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
from sqlalchemy.exc import IntegrityError

from occ_core.accounts.models import UsedLinkToken
from occ_core.errors import UserError

ALGORITHM = "HS256"


def make_link_token(secret: str, purpose: str, subject: str, minutes: int = 60, **claims) -> str:
    now = datetime.now(timezone.utc)
    payload = {"purpose": purpose, "sub": str(subject), "jti": uuid.uuid4().hex,
               "iat": now, "exp": now + timedelta(minutes=minutes), **claims}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read_link_token(secret: str, token: str, purpose: str) -> dict:
    """Decode without consuming: used to show the form behind a link."""
    try:
        payload = jwt.decode(token or "", secret, algorithms=[ALGORITHM],
                             options={"require": ["exp", "sub", "jti", "purpose"]})
    except jwt.ExpiredSignatureError:
        raise UserError("Il collegamento è scaduto: richiederne uno nuovo.")
    except jwt.InvalidTokenError:
        raise UserError("Il collegamento non è valido.")
    if payload.get("purpose") != purpose:
        raise UserError("Il collegamento non è valido per questa operazione.")
    return payload


def subject_id(payload: dict) -> int | None:
    """The numeric ``sub`` of a link (a user or registrant id), or None if it is not one."""
    subject = str(payload.get("sub", ""))
    return int(subject) if subject.isdecimal() and subject.isascii() and len(subject) <= 9 else None


def consume_link_token(db, secret: str, token: str, purpose: str) -> dict:
    """Decode and mark as used; a second use is refused even under concurrency (primary key)."""
    payload = read_link_token(secret, token, purpose)
    if db.get(UsedLinkToken, payload["jti"]) is not None:
        raise UserError("Il collegamento è già stato utilizzato.")
    try:
        with db.begin_nested():
            db.add(UsedLinkToken(jti=payload["jti"]))
            db.flush()
    except IntegrityError:
        raise UserError("Il collegamento è già stato utilizzato.")
    return payload
