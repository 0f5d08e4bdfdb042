"""Login with throttling, user creation, password reset and email verification links."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from occ_core.accounts import links
from occ_core.accounts.models import LoginAttempt, Membership, Role, User
from occ_core.accounts.passwords import hash_password, verify_password
from occ_core.db import utcnow
from occ_core.dispatch.services import sent_recently
from occ_core.errors import UserError
from shared_registry.fields import EMAIL_PATTERN


NAME_LENGTH = User.full_name.type.length


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise UserError("Indirizzo email non valido.", field="email")
    return email


def user_by_email(db, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == (email or "").strip().lower()))


def staff_users(db, tenant_id: int) -> list[tuple[int, str, str]]:
    """(id, full name, email) of the Order's active staff users, by name: people who may handle its
    correspondence or take part in its appointments (debtors, creditors and members of the portal are not)."""
    return list(db.execute(
        select(User.id, User.full_name, User.email).join(Membership, Membership.user_id == User.id)
        .join(Role, Role.id == Membership.role_id)
        .where(Membership.tenant_id == tenant_id, Membership.active.is_(True), User.active.is_(True),
               Role.portal.is_(False))
        .order_by(User.full_name, User.email)).tuples())


def create_user(db, email: str, full_name: str, password: str | None = None, *, is_operator=False,
                verified=False) -> User:
    email = normalize_email(email)
    full_name = (full_name or "").strip()
    if len(full_name) > NAME_LENGTH:
        raise UserError(f"Il nome può avere al massimo {NAME_LENGTH} caratteri.", field="full_name")
    if user_by_email(db, email) is not None:
        raise UserError(f"Esiste già un utente con email {email}.", field="email")
    user = User(email=email, full_name=full_name, is_operator=is_operator,
                password_hash=hash_password(password) if password else "",
                email_verified_at=utcnow() if verified else None)
    db.add(user)
    db.flush()
    return user


def throttled(db, settings, email: str, ip: str) -> bool:
    """Too many failures for this email, or from this address, in the recent window."""
    limit = int(settings["occ.login_throttle_attempts"])
    since = utcnow() - timedelta(minutes=int(settings["occ.login_throttle_minutes"]))
    failures = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    by_email = db.scalar(failures.where(LoginAttempt.email == email))
    by_ip = db.scalar(failures.where(LoginAttempt.ip == ip))
    return by_email >= limit or by_ip >= limit * 4


def authenticate(db, settings, email: str, password: str, ip: str) -> User:
    email = (email or "").strip().lower()
    if throttled(db, settings, email, ip):
        raise UserError("Troppi tentativi di accesso non riusciti: riprovare tra "
                        f"{settings['occ.login_throttle_minutes']} minuti.")
    user = user_by_email(db, email)
    ok = verify_password(user.password_hash if user else "", password)
    ok = ok and user is not None and user.active
    db.add(LoginAttempt(email=email[:254], ip=ip[:64], success=ok))
    if not ok:
        raise UserError("Email o password non corretti.")
    return user


def check_totp(user: User, code: str) -> bool:
    return bool(user.totp_secret) and pyotp.TOTP(user.totp_secret).verify((code or "").replace(" ", ""), valid_window=1)


def second_factor_ok(db, user: User, code: str, ip: str) -> bool:
    """Check a TOTP code. A wrong one is stored as a failed login, so that guessing codes is throttled
    like guessing passwords: a count kept in the (client-side) session could be reset by replaying it."""
    if check_totp(user, code):
        return True
    db.add(LoginAttempt(email=user.email, ip=ip[:64], success=False))
    return False


def _link_user(db, payload: dict) -> User | None:
    user_id = links.subject_id(payload)
    return db.get(User, user_id) if user_id is not None else None


def password_stamp(user: User) -> str:
    """A digest that changes whenever the password does: links and sessions that carry it stop
    working once the password has been changed or reset."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def links_exhausted(db, settings, purpose: str, address: str) -> bool:
    """As many emails with a link for ``purpose`` went to ``address`` in the login throttling window
    as failed logins are allowed there: asking again sends nothing (the page answers the same)."""
    return sent_recently(db, purpose, address, int(settings["occ.login_throttle_minutes"])) >= int(
        settings["occ.login_throttle_attempts"])


def password_reset_token(settings, user: User) -> str:
    return links.make_link_token(settings["occ.secret"], "password-reset", user.id, minutes=60,
                                 pwd=password_stamp(user))


def reset_password(db, settings, token: str, password: str) -> User:
    hashed = hash_password(password)  # policy first: a refused password keeps the link usable
    payload = links.consume_link_token(db, settings["occ.secret"], token, "password-reset")
    user = _link_user(db, payload)
    if user is None or not user.active:
        raise UserError("Il collegamento non è valido.")
    # Of several links asked for, the first one used invalidates the others.
    if payload.get("pwd") != password_stamp(user):
        raise UserError("Il collegamento non è più valido: la password è già stata cambiata. "
                        "Se serve, ne chieda uno nuovo.")
    user.password_hash = hashed
    return user


def verification_token(settings, user: User) -> str:
    return links.make_link_token(settings["occ.secret"], "verify-email", user.id, minutes=60 * 48,
                                 email=user.email)


def verify_email(db, settings, token: str) -> User:
    payload = links.consume_link_token(db, settings["occ.secret"], token, "verify-email")
    user = _link_user(db, payload)
    if user is None or user.email != payload.get("email"):
        raise UserError("Il collegamento non è valido.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user
