"""Who gets what of the collected fees: the Order's rule or the dossier's override, then equal parts
among the dossier's gestori in office on the day of the collection.

A gestore counts for a collection when his appointment was accepted, not declined, and not ended before the
collection's day. A replacement takes over only after the day its predecessor left: the replaced gestore
keeps the shares of the earlier collections, the new one gets the later ones."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from occ_core.clock import ROME
from occ_core.compensation import collected
from occ_core.compensation.models import SplitOverride
from occ_core.compensation.money import equal_parts
from occ_core.fees import preferences
from occ_core.fees.calculation import split
from occ_core.gestori.models import Appointment


def rule_percent(tenant) -> Decimal:
    return preferences.preferences_of(tenant).gestore_percent


def overrides(db, dossier_ids=None) -> dict[int, SplitOverride]:
    statement = select(SplitOverride)
    if dossier_ids is not None:
        statement = statement.where(SplitOverride.dossier_id.in_(list(dossier_ids)))
    return {override.dossier_id: override for override in db.scalars(statement)}


def _day(moment) -> date | None:
    return None if moment is None else moment.astimezone(ROME).date()


@dataclass(frozen=True)
class Term:
    """The days an accepted appointment covers: after its predecessor left (if it replaced one) up to the
    day it ended (if it did)."""
    appointment_id: int
    gestore_id: int
    after: date | None
    until: date | None

    def covers(self, day: date) -> bool:
        return (self.after is None or day > self.after) and (self.until is None or day <= self.until)


def terms(db, dossier_ids=None) -> dict[int, list[Term]]:
    """The accepted appointments of each dossier, in appointment order."""
    statement = select(Appointment).order_by(Appointment.id)
    if dossier_ids is not None:
        statement = statement.where(Appointment.dossier_id.in_(list(dossier_ids)))
    appointments = list(db.scalars(statement))
    predecessor_end = {a.replaced_by_id: _day(a.ended_at) for a in appointments if a.replaced_by_id}
    found = defaultdict(list)
    for appointment in appointments:
        if appointment.accepted_at is None or appointment.declined_at is not None:
            continue
        found[appointment.dossier_id].append(Term(appointment.id, appointment.gestore_id,
                                                  predecessor_end.get(appointment.id), _day(appointment.ended_at)))
    return found


@dataclass(frozen=True)
class Share:
    """A gestore's part of one collection."""
    collection: collected.Collection
    gestore_id: int
    gestore_percent: Decimal
    college: int  # how many gestori shared the collection
    amount: Decimal


@dataclass(frozen=True)
class SplitCollection:
    collection: collected.Collection
    gestore_percent: Decimal
    gestore_amount: Decimal
    occ_amount: Decimal
    shares: list[Share]


def split_collections(db, tenant, start=None, end=None, dossier_ids=None) -> list[SplitCollection]:
    """Every collection of the period with the gestore's and the OCC's part and the gestori's shares.

    A collection on a day with no gestore in office has no shares: the dossier's tab shows its gestore part
    as unassigned, so that it is not silently lost."""
    rule = rule_percent(tenant)
    items = collected.collections(db, start, end, dossier_ids)
    dossiers = {item.dossier_id for item in items}
    special = overrides(db, dossiers)
    college_terms = terms(db, dossiers)
    result = []
    for item in items:
        percent = special[item.dossier_id].gestore_percent if item.dossier_id in special else rule
        gestore_amount, occ_amount = split(item.fee, percent)
        in_office = [term for term in college_terms.get(item.dossier_id, ()) if term.covers(item.on)]
        shares = [Share(item, term.gestore_id, percent, len(in_office), part)
                  for term, part in zip(in_office, equal_parts(gestore_amount, len(in_office)))]
        result.append(SplitCollection(item, percent, gestore_amount, occ_amount, shares))
    return result


def shares_of(db, tenant, gestore_id: int, start=None, end=None, dossier_id: int | None = None) -> list[Share]:
    """The shares of one gestore, on the dossiers he was ever appointed to."""
    dossiers = set(db.scalars(select(Appointment.dossier_id).where(Appointment.gestore_id == gestore_id)))
    if dossier_id is not None:
        dossiers &= {dossier_id}
    return [share for item in split_collections(db, tenant, start, end, dossiers) for share in item.shares
            if share.gestore_id == gestore_id]
