"""Who receives a newsletter: a segment of the registrants, of the gestori in the list, or a custom list,
less those without email and those who unsubscribed, each address once."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from shared_registry.models import CATEGORIES, STATUSES as REGISTRANT_STATUSES, Registrant

from occ_core.accounts.services import normalize_email
from occ_core.dossiers import procedures
from occ_core.errors import UserError
from occ_core.gestori import roster, screening
from occ_core.gestori.training import rule_of, status_of
from occ_core.newsletter.models import AUDIENCES, GESTORI, ISCRITTI, LISTA, ListMember, MailingList, Unsubscribe

REGOLA = {"si": "In regola con la formazione", "no": "Non in regola con la formazione"}
# Filters of each audience, with the label that describes them; the value "" means any.
FILTER_LABELS = {
    ISCRITTI: {"category": "Categoria", "status": "Stato", "section": "Sezione dell'Albo",
               "specialisation": "Specializzazione"},
    GESTORI: {"status": "Stato", "regola": "Formazione", "specialisation": "Specializzazione",
              "circondario": "Circondario"},
}
DEFAULT_FILTERS = {ISCRITTI: {"status": "attivo"}, GESTORI: {"status": "attivo"}}


@dataclass
class Segment:
    audience: str = ISCRITTI
    filters: dict = field(default_factory=dict)
    list_id: int | None = None


@dataclass
class Audience:
    recipients: list[tuple[str, str]]  # (name, address), each address once
    matched: int  # people the segment names
    without_email: int
    unsubscribed: int
    duplicates: int

    @property
    def excluded(self) -> dict:
        return {"senza_email": self.without_email, "disiscritti": self.unsubscribed, "duplicati": self.duplicates}


def options(db, tenant_id: int) -> dict:
    """Every filter's choices (value -> label) as the Order's data has them."""
    sections, topics = set(), set()
    for section, specialisations in db.execute(select(Registrant.albo_section, Registrant.specialisations)):
        sections.add(section)
        topics.update(s for s in specialisations or () if isinstance(s, str))
    gestori = screening.all_gestori(db, tenant_id)
    gestore_topics = {s for g in gestori for s in g.specialisations or () if s not in procedures.PROCEDURES}
    return {
        ISCRITTI: {"category": CATEGORIES, "status": REGISTRANT_STATUSES,
                   "section": {s: s for s in sorted(sections) if s},
                   "specialisation": {s: s for s in sorted(topics) if s}},
        GESTORI: {"status": screening.STATUSES, "regola": REGOLA,
                  "specialisation": {**{code: p.label for code, p in procedures.PROCEDURES.items()},
                                     **{t: t for t in sorted(gestore_topics)}},
                  "circondario": {c: c for c in sorted({g.circondario for g in gestori if g.circondario})}},
    }


def lists_of(db) -> list[MailingList]:
    return list(db.scalars(select(MailingList).order_by(MailingList.name)))


def read_segment(db, tenant_id: int, values: dict) -> Segment:
    """The segment a form asks for (``audience``, ``list_id``, and each filter as ``<audience>_<name>``);
    a choice that does not exist is refused."""
    audience, list_id = values.get("audience", ""), values.get("list_id", "")
    if audience not in AUDIENCES:
        raise UserError("Scelga a chi inviare la newsletter.", field="audience")
    if audience == LISTA:
        found = db.scalar(select(MailingList.id).where(MailingList.id == int(list_id))) \
            if list_id.isdecimal() and len(list_id) <= 9 else None
        if found is None:
            raise UserError("Scelga una delle liste personalizzate.", field="list_id")
        return Segment(LISTA, {}, found)
    choices = options(db, tenant_id)[audience]
    filters = {}
    for name, label in FILTER_LABELS[audience].items():
        value = values.get(f"{audience}_{name}", "")
        if value and value not in choices[name]:
            raise UserError(f"{label}: scelta non valida.", field=f"{audience}_{name}")
        if value:
            filters[name] = value
    return Segment(audience, filters)


def describe(db, tenant_id: int, segment: Segment) -> str:
    """The segment in words, as the archive shows it."""
    if segment.audience == LISTA:
        found = db.get(MailingList, segment.list_id) if segment.list_id else None
        return f"Lista «{found.name}»" if found is not None else "Lista personalizzata (eliminata)"
    choices = options(db, tenant_id)[segment.audience]
    parts = [f"{FILTER_LABELS[segment.audience][name].lower()}: {choices[name].get(value, value)}"
             for name, value in segment.filters.items()]
    return AUDIENCES[segment.audience] + (f" ({'; '.join(parts)})" if parts else "")


def _people(db, tenant, segment: Segment, today: date) -> list[tuple[str, str]]:
    if segment.audience == LISTA:
        return list(db.execute(select(ListMember.name, ListMember.email)
                               .where(ListMember.list_id == segment.list_id).order_by(ListMember.id)))
    if segment.audience == GESTORI:
        rule = rule_of(tenant)
        rows = [roster.Row(g, status_of(g, today, rule), 0, 0) for g in screening.all_gestori(db, tenant.id)]
        return [(f"{g.registrant.first_name} {g.registrant.last_name}", g.registrant.email)
                if g.registrant is not None else ("", "")
                for g in (row.gestore for row in roster.apply_filters(rows, segment.filters))]
    filters = segment.filters
    statement = select(Registrant.first_name, Registrant.last_name, Registrant.email, Registrant.specialisations)
    for name, column in (("category", Registrant.category), ("status", Registrant.status),
                         ("section", Registrant.albo_section)):
        if filters.get(name):
            statement = statement.where(column == filters[name])
    topic = filters.get("specialisation")
    return [(f"{first} {last}", email) for first, last, email, topics in db.execute(statement.order_by(Registrant.id))
            if not topic or topic in (topics or ())]


def unsubscribed_addresses(db) -> set[str]:
    return set(db.scalars(select(Unsubscribe.email).where(Unsubscribe.resubscribed_at.is_(None))))


def valid_address(text: str) -> str | None:
    try:
        return normalize_email(text)
    except UserError:
        return None


def resolve(db, tenant, segment: Segment, today: date) -> Audience:
    people = _people(db, tenant, segment, today)
    unsubscribed = unsubscribed_addresses(db)
    recipients, seen = [], set()
    without_email = left_out = duplicates = 0
    for name, email in people:
        address = valid_address(email or "")
        if address is None:
            without_email += 1
        elif address in unsubscribed:
            left_out += 1
        elif address in seen:
            duplicates += 1
        else:
            seen.add(address)
            recipients.append((name.strip(), address))
    return Audience(recipients, len(people), without_email, left_out, duplicates)
