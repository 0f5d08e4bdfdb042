"""Invoice numbers (art. 21 DPR 633/72: progressive per solar year, no gaps) and FatturaPA file names.

The same technique as the protocol (occ_core.protocol.numbering): the counter row is created if missing
(``INSERT ... ON CONFLICT DO NOTHING``, so two first issues of a year create it once), then locked with
``SELECT ... FOR UPDATE`` and incremented inside the transaction that issues the invoice. An issue that is
rolled back gives its number back: no gaps, no duplicates. SQLite lets one writer at a time anyway."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from occ_core.invoicing.models import InvoiceCounter, TransmissionCounter
from occ_core.protocol.numbering import INSERTS

PROGRESSIVE_DIGITS = 5
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _take(db: Session, model, conflict: list[str], where, **values) -> int:
    db.execute(INSERTS[db.get_bind().dialect.name](model).values(last_number=0, **values)
               .on_conflict_do_nothing(index_elements=conflict))
    counter_id, last = db.execute(select(model.id, model.last_number).where(*where).with_for_update()).one()
    db.execute(update(model).where(model.id == counter_id).values(last_number=last + 1)
               .execution_options(synchronize_session=False))
    return last + 1


def next_number(db: Session, tenant_id: int, year: int) -> int:
    """The next invoice number of the Order's ``year``."""
    return _take(db, InvoiceCounter, ["tenant_id", "year"],
                 (InvoiceCounter.tenant_id == tenant_id, InvoiceCounter.year == year), tenant_id=tenant_id, year=year)


def next_transmission(db: Session, tenant_id: int) -> int:
    """The next ProgressivoInvio of the Order's files (never restarts)."""
    return _take(db, TransmissionCounter, ["tenant_id"], (TransmissionCounter.tenant_id == tenant_id,),
                 tenant_id=tenant_id)


def progressive(number: int) -> str:
    """``1`` -> ``"00001"``, ``36`` -> ``"00010"``: five alphanumeric characters (base 36), 60 million files.

    The SdI requires only that the file name never repeats for the sender, not a sequence: base 36 is just
    the densest way to fit the counter in the five characters of the name."""
    if not 0 < number < len(ALPHABET) ** PROGRESSIVE_DIGITS:
        raise ValueError(f"progressivo fuori intervallo: {number}")
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(PROGRESSIVE_DIGITS, "0")


def xml_filename(partita_iva: str, number: int) -> str:
    """``IT01234567890_0000A.xml``: the name the SdI expects for the Order's file ``number``."""
    return f"IT{partita_iva}_{progressive(number)}.xml"
