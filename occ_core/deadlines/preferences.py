"""The Order's deadline preferences (tenant.preferences["deadlines"]): patron saint, reading of backward terms,
how many days before its date a deadline is "in scadenza".

The Saturday rule is not a preference: art. 155 co. 5 decides it for every act outside a hearing."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from occ_core.deadlines.calendar import BACKWARD_READINGS, Patron, WorkingCalendar, gregorian
from occ_core.deadlines.queries import DEFAULT_WINDOW_DAYS
from occ_core.errors import UserError

PREFERENCE = "deadlines"
PATRON_MODES = {
    "provincia": "Il santo patrono del capoluogo della provincia dell'Ordine",
    "personalizzato": "Un giorno indicato dall'Ordine",
    "nessuno": "Nessun santo patrono: solo le festività nazionali",
}
MAX_WINDOW_DAYS = 90
NAME_LIMIT = 80


@dataclass(frozen=True)
class Preferences:
    patron_mode: str = "provincia"
    patron_day: int = 0
    patron_month: int = 0
    patron_name: str = ""
    backward: str = "fermo"
    window_days: int = DEFAULT_WINDOW_DAYS

    def calendar(self, province: str) -> WorkingCalendar:
        province = (province or "").upper()
        if self.patron_mode == "personalizzato":
            return WorkingCalendar(province, Patron(self.patron_day, self.patron_month, self.patron_name))
        return WorkingCalendar(province, local=self.patron_mode == "provincia")


def validate(prefs: Preferences) -> Preferences:
    """``prefs`` if sound, else a ``UserError`` naming the first problem."""
    if prefs.patron_mode not in PATRON_MODES:
        raise UserError("Santo patrono: scelta non valida.", field="patron_mode")
    if prefs.patron_mode == "personalizzato":
        if not 1 <= prefs.patron_month <= 12 or not 1 <= prefs.patron_day <= gregorian.monthrange(
                2024, prefs.patron_month)[1]:
            raise UserError("Santo patrono: indicare un giorno e un mese esistenti.", field="patron_day")
        if not prefs.patron_name.strip() or len(prefs.patron_name) > NAME_LIMIT:
            raise UserError(f"Santo patrono: indicare il nome (al massimo {NAME_LIMIT} caratteri).",
                            field="patron_name")
    if prefs.backward not in BACKWARD_READINGS:
        raise UserError("Termini a ritroso: scelta non valida.", field="backward")
    if not 0 <= prefs.window_days <= MAX_WINDOW_DAYS:
        raise UserError(f"Giorni di preavviso: indicare un numero da 0 a {MAX_WINDOW_DAYS}.", field="window_days")
    return prefs


def preferences_of(tenant) -> Preferences:
    """The Order's preferences; a stored value edited by hand into nonsense falls back to the defaults."""
    stored = (tenant.preferences or {}).get(PREFERENCE) or {}
    try:
        return validate(Preferences(**{key: stored[key] for key in asdict(Preferences()) if key in stored}))
    except (AttributeError, TypeError, UserError):
        return Preferences()


def save(tenant, prefs: Preferences) -> None:
    tenant.preferences = {**(tenant.preferences or {}), PREFERENCE: asdict(validate(prefs))}


def window_days(tenant) -> int:
    """Days before its date in which an open deadline is "in scadenza" for the Order."""
    return preferences_of(tenant).window_days
