"""Password hashing (argon2id) and the minimum policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from occ_core.errors import UserError

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown email equal to a known one.
_DUMMY_HASH = _hasher.hash("occ-dummy-password")
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def check_policy(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise UserError(f"La password deve contenere almeno {MIN_LENGTH} caratteri.", field="password")
    if password.isdigit() or password.isalpha():
        raise UserError("La password deve contenere sia lettere sia cifre o simboli.", field="password")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password or "") and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
