"""Who may be proposed for a dossier, in which order, and the reproducible draw.

Two kinds of reasons keep a gestore out of a proposal. Barriers (status, availability, training,
conflict of interest, already appointed) hold for any appointment, even one the referente makes against
the proposal. The Order's own criteria (territory or competence required, workload cap) only shape the
proposal: the referente may depart from them, giving the reason."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from occ_core.clock import ROME
from occ_core.dossiers import procedures
from occ_core.dossiers.models import Dossier
from occ_core.gestori.models import Appointment, Gestore
from occ_core.gestori.policy import CENT, Policy
from occ_core.gestori.training import TrainingStatus, add_years, status_of

STATUSES = {"attivo": "Attivo", "sospeso": "Sospeso", "decaduto": "Decaduto", "cancellato": "Cancellato"}
CONFLICT_YEARS = 5  # DM 202/2014 art. 11 co. 3 lett. a


def gestore_name(gestore: Gestore) -> str:
    registrant = gestore.registrant
    return registrant.full_name if registrant is not None else f"Gestore n. {gestore.id} (non in anagrafica)"


def codes(*values) -> set[str]:
    return {value.strip().upper() for value in values if value and value.strip()}


def name_key(name: str) -> tuple:
    """Names compared regardless of case, punctuation and word order ("Rossi Mario" = "mario ROSSI")."""
    return tuple(sorted(re.findall(r"\w+", (name or "").casefold())))


@dataclass(frozen=True)
class Party:
    role: str  # "debitore", "creditore" or the other party's role, as the reasons print it
    name: str
    codes: frozenset


def parties_of(dossier: Dossier) -> list[Party]:
    found = [Party("debitore", d.display_name, frozenset(codes(d.codice_fiscale, d.partita_iva)))
             for d in dossier.debtors]
    found += [Party("creditore", c.name, frozenset(codes(c.codice_fiscale, c.partita_iva))) for c in dossier.creditors]
    found += [Party(p.role, p.name, frozenset(codes(p.codice_fiscale, p.partita_iva))) for p in dossier.parties]
    return found


def _matches(link, party: Party) -> bool:
    link_codes = codes(link.codice_fiscale, link.partita_iva)
    if link_codes:
        return bool(link_codes & party.codes)
    # A tie declared by name only is matched on the whole name: a false alarm is safer than a miss.
    return bool(name_key(link.name)) and name_key(link.name) == name_key(party.name)


def conflicts(gestore: Gestore, parties: list[Party], today: date) -> list[str]:
    """Conflicts of interest of ``gestore`` with the parties of a dossier, one sentence each.

    The gestore's own codice fiscale or VAT number, or a declared associate's, matching any party (the
    debtors, the creditors, and also their lawyers and advisors, whose professional ties compromise
    independence just as much); a declared relationship with any party; work for a debtor ongoing or
    ended less than five years ago (DM 202/2014 art. 11 co. 3 lett. a)."""
    reasons = []
    own = codes(gestore.registrant.codice_fiscale if gestore.registrant else "", gestore.partita_iva)
    reasons += [f"Conflitto di interessi: il gestore stesso è {p.name} ({p.role})" for p in parties if own & p.codes]
    for link in gestore.links:
        if link.kind == "associato":
            reasons += [f"Conflitto di interessi: il professionista associato {link.name} è {p.name} ({p.role})"
                        for p in parties if _matches(link, p)]
        elif link.kind == "relazione":
            reasons += [f"Conflitto di interessi: relazione dichiarata con {p.name} ({p.role})"
                        + (f": {link.description}" if link.description else "")
                        for p in parties if _matches(link, p)]
        elif link.kind == "incarico" and (link.ended_on is None or add_years(link.ended_on, CONFLICT_YEARS) > today):
            when = "ancora in corso" if link.ended_on is None or link.ended_on > today else \
                f"concluso il {link.ended_on:%d/%m/%Y}, meno di {CONFLICT_YEARS} anni fa"
            reasons += [f"Conflitto di interessi: incarico per il debitore {p.name} {when} "
                        f"(DM 202/2014 art. 11 co. 3)" for p in parties if p.role == "debitore" and _matches(link, p)]
    return reasons


def circondario_key(text: str) -> str:
    """"Tribunale di Milano" and "milano" name the same circondario."""
    cleaned = re.sub(r"^\s*(tribunale\s+(ordinario\s+)?di|trib\.)\s+", "", (text or "").casefold())
    return " ".join(re.findall(r"\w+", cleaned))


@dataclass
class Candidate:
    gestore: Gestore
    training: TrainingStatus
    count: int = 0
    weighted: Decimal = Decimal("0.00")
    open_dossiers: int = 0
    local: bool | None = None  # None: the dossier names no court
    competent: bool = False
    barriers: list = field(default_factory=list)
    policy_reasons: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return gestore_name(self.gestore)

    @property
    def eligible(self) -> bool:
        return not self.barriers and not self.policy_reasons


def rotation_since(policy: Policy, today: date) -> datetime | None:
    if not policy.rotation_months:
        return None
    months = today.year * 12 + today.month - 1 - policy.rotation_months
    start = date(months // 12, months % 12 + 1, 1)
    return datetime.combine(start, time.min, ROME).astimezone(timezone.utc)


def loads(db, tenant_id: int, since: datetime | None = None,
          until: datetime | None = None) -> dict[int, tuple[int, Decimal]]:
    """Appointments per gestore (count, total weight), declined ones left out: a refusal is no work done."""
    query = (select(Appointment.gestore_id, func.count(Appointment.id), func.coalesce(func.sum(Appointment.weight), 0))
             .where(Appointment.tenant_id == tenant_id, Appointment.declined_at.is_(None))
             .group_by(Appointment.gestore_id))
    if since is not None:
        query = query.where(Appointment.appointed_at >= since)
    if until is not None:
        query = query.where(Appointment.appointed_at < until)
    return {gestore_id: (count, Decimal(total).quantize(CENT)) for gestore_id, count, total in db.execute(query)}


def open_counts(db, tenant_id: int) -> dict[int, int]:
    """Open dossiers per gestore: appointments in force on dossiers not closed."""
    query = (select(Appointment.gestore_id, func.count(func.distinct(Appointment.dossier_id)))
             .join(Dossier, Dossier.id == Appointment.dossier_id)
             .where(Appointment.tenant_id == tenant_id, Appointment.ended_at.is_(None),
                    Appointment.declined_at.is_(None), Dossier.closed.is_(False))
             .group_by(Appointment.gestore_id))
    return dict(db.execute(query).all())


def appointments_in_force(db, dossier: Dossier) -> list[Appointment]:
    return list(db.scalars(select(Appointment).where(
        Appointment.dossier_id == dossier.id, Appointment.ended_at.is_(None), Appointment.declined_at.is_(None))
        .order_by(Appointment.id)))


def all_gestori(db, tenant_id: int) -> list[Gestore]:
    return list(db.scalars(select(Gestore).where(Gestore.tenant_id == tenant_id)
                           .options(selectinload(Gestore.trainings), selectinload(Gestore.links)).order_by(Gestore.id)))


def _barriers(gestore: Gestore, training: TrainingStatus, parties, appointed: set, today: date) -> list[str]:
    barriers = []
    if gestore.status != "attivo":
        since = f" dal {gestore.status_since:%d/%m/%Y}" if gestore.status_since else ""
        barriers.append(f"{STATUSES.get(gestore.status, gestore.status)}{since}: {gestore.status_reason}")
    if gestore.registrant is None:
        barriers.append("L'iscritto non è più nell'anagrafica dell'Ordine")
    elif gestore.registrant.status != "attivo":
        barriers.append(f"Iscrizione all'Albo in stato «{gestore.registrant.status}»")
    if not gestore.available:
        barriers.append("Non disponibile a nuovi incarichi")
    if gestore.enrolled_on > today:
        barriers.append(f"Iscritto nell'elenco solo dal {gestore.enrolled_on:%d/%m/%Y}")
    elif not training.in_regola:
        barriers.append(f"Aggiornamento biennale: {training.verdict}")
    barriers += conflicts(gestore, parties, today)
    if gestore.id in appointed:
        barriers.append("Già nominato per questa pratica")
    return barriers


def screen(db, dossier: Dossier, policy: Policy, rule: str, today: date) -> list[Candidate]:
    """Every gestore of the list, with what keeps him out of a proposal for ``dossier`` (if anything)."""
    parties = parties_of(dossier)
    earlier = list(db.scalars(select(Appointment).where(Appointment.dossier_id == dossier.id)))
    appointed = {a.gestore_id for a in earlier if a.in_force}
    # Whoever refused this dossier or was replaced on it is not proposed for it again.
    left = {a.gestore_id: "Ha rifiutato l'incarico per questa pratica" if a.declined_at else
            "Già sostituito in questa pratica" for a in earlier if not a.in_force}
    counted = loads(db, dossier.tenant_id, rotation_since(policy, today))
    opened = open_counts(db, dossier.tenant_id)
    court = circondario_key(dossier.court)
    label = procedures.procedure_label(dossier.procedure)
    candidates = []
    for gestore in all_gestori(db, dossier.tenant_id):
        training = status_of(gestore, today, rule)
        count, weighted = counted.get(gestore.id, (0, Decimal("0.00")))
        candidate = Candidate(gestore, training, count, weighted, opened.get(gestore.id, 0),
                              local=(circondario_key(gestore.circondario) == court) if court else None,
                              competent=dossier.procedure in (gestore.specialisations or []))
        candidate.barriers = _barriers(gestore, training, parties, appointed, today)
        if policy.territory == "required" and candidate.local is False:
            candidate.policy_reasons.append(
                f"Circondario «{gestore.circondario or 'non indicato'}» diverso da quello del {dossier.court}")
        if policy.competence == "required" and not candidate.competent:
            candidate.policy_reasons.append(f"Nessuna specializzazione in {label}")
        if gestore.id in left and gestore.id not in appointed:
            candidate.policy_reasons.append(left[gestore.id])
        if policy.max_open and candidate.open_dossiers >= policy.max_open:
            candidate.policy_reasons.append(
                f"Carico di lavoro: {candidate.open_dossiers} pratiche aperte (massimo {policy.max_open})")
        candidates.append(candidate)
    return candidates


def rank(candidates: list[Candidate], policy: Policy) -> list[Candidate]:
    """The eligible, best first: preferences, then rotation, then workload; the list order breaks ties."""
    def key(c: Candidate):
        parts = []
        if policy.territory == "preferred":
            parts.append(c.local is False)
        if policy.competence == "preferred":
            parts.append(not c.competent)
        if policy.rotation != "off":
            parts.append(c.weighted if policy.rotation == "weighted" else c.count)
        if policy.workload:
            parts.append(c.open_dossiers)
        return (*parts, c.gestore.id)

    return sorted((c for c in candidates if c.eligible), key=key)


def draw(seed: str, candidate_ids: list[int]) -> int:
    """The gestore drawn among ``candidate_ids`` (in ranking order) with ``seed``: SHA-256 of
    "seed:id1,id2,..." as a number, modulo the number of candidates. Same seed and list, same result,
    in any language."""
    digest = hashlib.sha256(f"{seed}:{','.join(str(i) for i in candidate_ids)}".encode("ascii")).hexdigest()
    return candidate_ids[int(digest, 16) % len(candidate_ids)]
