"""The Order's list of gestori (elenco dei gestori della crisi, DM 202/2014 art. 9 co. 1): enrolment of a
registrant, qualifications, status, training and declared ties; the list with its filters."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from stdnum.it import codicefiscale, iva

from occ_core.dossiers import procedures
from occ_core.errors import UserError
from occ_core.gestori import screening
from occ_core.gestori.models import Gestore, GestoreLink, GestoreTraining
from occ_core.gestori.screening import STATUSES, gestore_name
from occ_core.gestori.training import TrainingStatus, status_of
from occ_core.web.forms import parse_date
from shared_registry import services as registry
from shared_registry.models import Registrant

LINK_KINDS = {
    "associato": "Professionista associato o studio",
    "relazione": "Relazione personale o professionale con un soggetto",
    "incarico": "Incarico svolto per un soggetto",
}
HOURS = re.compile(r"\d{1,3}([.,]\d)?")
SEARCH_LIMIT = 20


# --- reading the forms -------------------------------------------------------------------------------

def _text(value: str, label: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise UserError(f"{label}: campo obbligatorio.", field=label)
    if len(value) > limit:
        raise UserError(f"{label}: al massimo {limit} caratteri.", field=label)
    return value


def _required_date(value: str, label: str) -> date:
    parsed = parse_date(value, label)
    if parsed is None:
        raise UserError(f"{label}: campo obbligatorio.", field=label)
    return parsed


def tax_code(value: str, label: str = "Codice fiscale") -> str:
    """A codice fiscale of a person (16 characters) or of an entity (11 digits), checked; empty allowed."""
    code = re.sub(r"\s", "", value or "").upper()
    if code and not (codicefiscale.is_valid(code) if len(code) == 16 else iva.is_valid(code)):
        raise UserError(f"{label}: «{code[:20]}» non è un codice fiscale valido.", field=label)
    return code


def vat_number(value: str, label: str = "Partita IVA") -> str:
    code = re.sub(r"\s", "", value or "").upper().removeprefix("IT")
    if code and not iva.is_valid(code):
        raise UserError(f"{label}: «{code[:20]}» non è una partita IVA valida.", field=label)
    return code


def parse_hours(value: str, label: str = "Ore") -> Decimal:
    text = (value or "").strip()
    if not HOURS.fullmatch(text) or Decimal(text.replace(",", ".")) <= 0:
        raise UserError(f"{label}: indicare un numero di ore maggiore di zero, al massimo un decimale "
                        f"(esempio: 4,5).", field=label)
    return Decimal(text.replace(",", "."))


def parse_details(value, values) -> dict:
    """The fields of the enrolment and edit form; ``value(name)``/``values(name)`` read the posted form."""
    course_hours = (value("course_hours") or "").strip()
    if course_hours and not (course_hours.isdecimal() and int(course_hours) <= 2000):
        raise UserError("Ore del corso di perfezionamento: indicare un numero intero fino a 2000.",
                        field="course_hours")
    codes = [code for code in values("specialisation") if code in procedures.PROCEDURES]
    topics = [_text(line, "Altre specializzazioni", 80) for line in (value("topics") or "").splitlines()]
    return {
        "enrolled_on": _required_date(value("enrolled_on"), "Data di iscrizione nell'elenco"),
        "partita_iva": vat_number(value("partita_iva")),
        "degree": _text(value("degree"), "Laurea", 200),
        "course_hours": int(course_hours) if course_hours else None,
        "course_completed_on": parse_date(value("course_completed_on"), "Data del corso di perfezionamento"),
        "traineeship_completed_on": parse_date(value("traineeship_completed_on"), "Data di fine tirocinio"),
        "circondario": _text(value("circondario"), "Circondario", 120),
        "specialisations": list(dict.fromkeys(codes + [t for t in topics if t])),
        "available": value("available") == "1",
        "notes": _text(value("notes"), "Note", 5000),
    }


# --- changes -----------------------------------------------------------------------------------------

def enrollable(db, tenant_id: int, text: str) -> list[Registrant]:
    """Registrants of the Order matching ``text`` (name or codice fiscale) not yet in the list."""
    if not (text or "").strip():
        return []
    enrolled = select(Gestore.registrant_id).where(Gestore.tenant_id == tenant_id)
    query = registry.search(db, tenant_id, text=text[:100]).where(Registrant.id.not_in(enrolled))
    return list(db.scalars(query.limit(SEARCH_LIMIT)))


def enrol(db, tenant_id: int, registrant_id: str, details: dict) -> Gestore:
    registrant = db.scalar(select(Registrant).where(Registrant.tenant_id == tenant_id, Registrant.id == int(
        registrant_id))) if (registrant_id or "").isdecimal() and len(registrant_id) < 10 else None
    if registrant is None:
        raise UserError("Scelga l'iscritto da inserire nell'elenco.", field="registrant")
    if db.scalar(select(Gestore.id).where(Gestore.tenant_id == tenant_id,
                                          Gestore.registrant_id == registrant.id)) is not None:
        raise UserError(f"{registrant.full_name} è già nell'elenco dei gestori.", field="registrant")
    gestore = Gestore(tenant_id=tenant_id, registrant_id=registrant.id, status="attivo", status_reason="",
                      status_since=details["enrolled_on"], **details)
    db.add(gestore)
    db.flush()
    return gestore


def update(gestore: Gestore, details: dict) -> None:
    for name, value in details.items():
        setattr(gestore, name, value)


def change_status(gestore: Gestore, status: str, reason: str, since: str) -> None:
    """Suspension, decadenza, cancellation or return to active service, always with reason and date."""
    if status not in STATUSES:
        raise UserError("Stato non valido.", field="status")
    reason = _text(reason, "Motivo", 2000, required=True)
    gestore.status_since = _required_date(since, "Data di decorrenza")
    gestore.status, gestore.status_reason = status, reason


def add_training(db, gestore: Gestore, on: str, title: str, provider: str, hours: str, today: date) -> None:
    day = _required_date(on, "Data")
    if day > today:
        raise UserError("Data: la formazione si registra quando è stata svolta, non prima.", field="Data")
    db.add(GestoreTraining(tenant_id=gestore.tenant_id, gestore_id=gestore.id, on=day,
                           title=_text(title, "Titolo del corso", 200, required=True),
                           provider=_text(provider, "Ente organizzatore", 200), hours=parse_hours(hours)))


def add_link(db, gestore: Gestore, kind: str, name: str, cf: str, piva: str, description: str, ended_on: str) -> None:
    if kind not in LINK_KINDS:
        raise UserError("Tipo di legame non valido.", field="kind")
    db.add(GestoreLink(tenant_id=gestore.tenant_id, gestore_id=gestore.id, kind=kind,
                       name=_text(name, "Nome o denominazione", 200, required=True),
                       codice_fiscale=tax_code(cf), partita_iva=vat_number(piva),
                       description=_text(description, "Descrizione", 300),
                       ended_on=parse_date(ended_on, "Data di fine dell'incarico") if kind == "incarico" else None))


def child_of(db, model, gestore: Gestore, child_id: str):
    """A training row or a declared tie of ``gestore``, or None."""
    if not (child_id or "").isdecimal() or len(child_id) > 9:
        return None
    return db.scalar(select(model).where(model.id == int(child_id), model.gestore_id == gestore.id))


# --- the list ----------------------------------------------------------------------------------------

@dataclass
class Row:
    gestore: Gestore
    training: TrainingStatus
    open_dossiers: int
    appointments: int

    @property
    def name(self) -> str:
        return gestore_name(self.gestore)


def rows(db, tenant_id: int, rule: str, today: date) -> list[Row]:
    counted = screening.loads(db, tenant_id)
    opened = screening.open_counts(db, tenant_id)
    found = [Row(g, status_of(g, today, rule), opened.get(g.id, 0), counted.get(g.id, (0, 0))[0])
             for g in screening.all_gestori(db, tenant_id)]
    return sorted(found, key=lambda row: (row.name.casefold(), row.gestore.id))


FILTERS = ("q", "status", "regola", "specialisation", "circondario")


def apply_filters(found: list[Row], filters: dict) -> list[Row]:
    text = filters.get("q", "").casefold()
    return [
        row for row in found
        if (not text or text in row.name.casefold()
            or text in (row.gestore.registrant.codice_fiscale.casefold() if row.gestore.registrant else ""))
        and (not filters.get("status") or row.gestore.status == filters["status"])
        and (not filters.get("regola") or row.training.in_regola == (filters["regola"] == "si"))
        and (not filters.get("specialisation") or filters["specialisation"] in (row.gestore.specialisations or []))
        and (not filters.get("circondario") or
             screening.circondario_key(row.gestore.circondario) == screening.circondario_key(filters["circondario"]))
    ]


def specialisation_label(code: str) -> str:
    return procedures.procedure_label(code)


def export_rows(found: list[Row]) -> list[list]:
    header = ["Cognome e nome", "Codice fiscale", "Partita IVA", "Iscrizione nell'elenco", "Circondario",
              "Specializzazioni", "Disponibile", "Stato", "Motivo dello stato", "Stato dal", "In regola con la formazione",
              "Esito", "Biennio in corso", "Pratiche aperte", "Incarichi"]
    lines = [header]
    for row in found:
        g = row.gestore
        lines.append([
            row.name, g.registrant.codice_fiscale if g.registrant else "", g.partita_iva,
            f"{g.enrolled_on:%d/%m/%Y}", g.circondario,
            ", ".join(specialisation_label(s) for s in g.specialisations or []),
            "sì" if g.available else "no", STATUSES.get(g.status, g.status), g.status_reason,
            f"{g.status_since:%d/%m/%Y}" if g.status_since else "",
            "sì" if row.training.in_regola else "no", row.training.verdict, row.training.progress,
            row.open_dossiers, row.appointments,
        ])
    return lines
