"""The dossier's denormalised figures: names for the list, totals, and the full-text search document.

Call ``refresh(dossier)`` after any change to its debtors, creditors, parties or gestori."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import object_session

from occ_core.dossiers.models import Dossier


def gestori_in_force(dossier: Dossier) -> list:
    from occ_core.gestori.models import Appointment

    session = object_session(dossier)
    return list(session.scalars(
        select(Appointment).where(Appointment.dossier_id == dossier.id, Appointment.ended_at.is_(None),
                                  Appointment.declined_at.is_(None)).order_by(Appointment.id)))


def refresh(dossier: Dossier) -> None:
    first = dossier.debtors[0] if dossier.debtors else None
    dossier.debtor_name = first.display_name[:200] if first else ""
    dossier.debtor_tax_code = (first.codice_fiscale or first.partita_iva) if first else ""
    dossier.passivo_from_creditors = sum((c.amount_claimed or Decimal("0") for c in dossier.creditors), Decimal("0"))
    dossier.creditor_count = len(dossier.creditors)
    appointed = gestori_in_force(dossier) if dossier.id is not None else []
    dossier.gestore_names = ", ".join(a.gestore.registrant.full_name for a in appointed)[:300]
    dossier.search_text = search_document(
        dossier.reference if dossier.number else "", dossier.debtors, dossier.parties, dossier.creditors,
        dossier.gestore_names)


def search_document(reference: str, debtors, parties, creditors, gestore_names: str) -> str:
    """The words the full-text search finds a dossier by: its number, every party's name and codes."""
    words = [reference]
    words += [w for d in debtors for w in (d.display_name, d.codice_fiscale, d.partita_iva)]
    words += [w for p in (*parties, *creditors) for w in (p.name, p.codice_fiscale, p.partita_iva)]
    words.append(gestore_names)
    return " ".join(w for w in words if w)
