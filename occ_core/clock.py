"""Time as the Orders live it: timestamps are stored in UTC, calendar days are Italian days."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


def today() -> date:
    """Today in Italy, whatever the server's time zone: between midnight and 2 a.m. a UTC server is
    still on yesterday, and a contract starting today would not be active yet."""
    return datetime.now(ROME).date()
