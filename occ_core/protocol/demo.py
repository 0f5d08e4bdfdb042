"""The demo Order's protocol: four months of an OCC's correspondence, registered through the real service.

Every working day a few letters: PEC from debtors (documents the gestore asked for), from their creditors'
banks and finance companies (claims), from the court (decrees, hearings), from the Agenzia delle Entrate, its
collection agent and INPS (certificates of the debts, artt. 363-364 CCII); letters to creditors, tax offices,
the court and debtors; internal acts. Most belong to a demo dossier and are filed in its electronic file, with
small PDF documents; a few are corrected or annulled afterwards. The daily registers of the past days are left to
the background task, queued for when the demo has committed."""
from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from occ_core.accounts.services import user_by_email
from occ_core.background import send_after_commit
from occ_core.clock import ROME, today as rome_today
from occ_core.db import ZOPE_EVENTS
from occ_core.deadlines.calendar import WorkingCalendar
from occ_core.documents import samples
from occ_core.dossiers.models import Dossier
from occ_core.protocol import services
from occ_core.protocol.models import Registration
from occ_core.protocol.tasks import produce_daily_registers

DAYS_BACK = 120
MILANO = WorkingCalendar(province="MI")
PER_DAY = (1, 6)
# Codes of the demo Order for the segnatura (an IPA code and an AOO code look like these).
DEMO_IPA, DEMO_AOO = "oa_mi_demo", "AOO_OCC"
COURT = {"name": "Tribunale di Milano - Sezione II civile, crisi d'impresa", "tax_code": "",
         "address": "prot.tribunale.milano@giustiziacert.it"}
AGENCIES = {
    "riscossione": {"name": "Agenzia delle Entrate-Riscossione", "tax_code": "13756881002",
                    "address": "protocollo@pec.agenziariscossione.gov.it"},
    "entrate": {"name": "Agenzia delle Entrate - Direzione provinciale II di Milano", "tax_code": "06363391001",
                "address": "dp.2milano@pce.agenziaentrate.it"},
    "inps": {"name": "INPS - Direzione provinciale di Milano", "tax_code": "80078750587",
             "address": "direzione.provinciale.milano@postacert.inps.gov.it"},
}
AGENCY_SUBJECTS = {
    "riscossione": "Prospetto dei carichi affidati all'agente della riscossione",
    "entrate": "Certificazione dei debiti tributari (art. 364 CCII)",
    "inps": "Certificato dei debiti contributivi e per accessori (art. 363 CCII)",
}
DEBTOR_LETTERS = [
    ("Trasmissione delle buste paga e della certificazione unica", ["buste-paga.pdf", "certificazione-unica.pdf"]),
    ("Integrazione documentale richiesta dal gestore", ["estratti-conto.pdf"]),
    ("Trasmissione delle dichiarazioni dei redditi degli ultimi tre anni", ["redditi-2023.pdf", "redditi-2024.pdf"]),
    ("Elenco delle spese correnti necessarie al sostentamento della famiglia", []),
    ("Comunicazione del cambio di residenza", ["documento-identita.pdf"]),
]
COURT_LETTERS = [
    "Decreto di fissazione dell'udienza", "Decreto di apertura della liquidazione controllata",
    "Richiesta di chiarimenti al gestore della crisi", "Sentenza di omologazione del piano di ristrutturazione",
]
CREDITOR_LETTERS = [("Precisazione del credito", ["estratto-conto-finanziamento.pdf"]),
                    ("Comunicazione di cessione del credito", ["atto-di-cessione.pdf"]),
                    ("Osservazioni sulla proposta del debitore", [])]
OUTGOING_TO_CREDITORS = ["Richiesta di precisazione del credito", "Comunicazione della proposta ai creditori"]
OUTGOING_TO_DEBTOR = ["Preventivo del compenso dell'OCC (DM 202/2014)", "Comunicazione della nomina del gestore",
                      "Richiesta di integrazione documentale"]
INTERNAL = ["Verbale dell'incontro con il debitore", "Nota del gestore sullo stato della procedura",
            "Provvedimento del referente di nomina del gestore"]
KINDS = (("debtor", 22), ("creditor", 20), ("court", 10), ("agency", 12), ("to_creditors", 12),
         ("to_agency", 8), ("to_court", 5), ("to_debtor", 6), ("internal", 5))
ANNULMENT_REASONS = [
    "La stessa PEC è stata protocollata due volte.",
    "Documento destinato a un altro ente, protocollato per errore.",
    "Mittente registrato in modo errato in tutti i suoi dati: si procede a nuova registrazione.",
]


@dataclass
class Letter:
    moment: datetime
    data: dict
    files: list
    dossier: Dossier | None
    source_ref: str = ""


def is_working_day(day: date) -> bool:
    return MILANO.closed_because(day, outside_hearing=True) is None


def working_days(start: date, end: date) -> list[date]:
    """The working days from ``start`` to ``end`` (excluded) in Milan: no weekends, holidays, Sant'Ambrogio."""
    return [start + timedelta(days=n) for n in range((end - start).days) if is_working_day(start + timedelta(days=n))]


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "." for c in plain).strip(".").replace("..", ".")


def debtor_of(dossier: Dossier) -> dict:
    debtor = dossier.debtors[0]
    name = debtor.company_name or f"{debtor.last_name} {debtor.first_name}"
    return {"name": name, "tax_code": debtor.codice_fiscale,
            "address": debtor.pec or debtor.email or f"{slug(name)}@pec.it"}


def creditors_of(dossier: Dossier, rng: random.Random, count: int) -> list[dict]:
    with_pec = [c for c in dossier.creditors if c.pec] or list(dossier.creditors)
    chosen = rng.sample(with_pec, k=min(count, len(with_pec)))
    return [{"name": c.name[:200], "tax_code": c.partita_iva or c.codice_fiscale, "address": c.pec} for c in chosen]


def pdf_files(rng: random.Random, primary: str, subject: str, attachments: list[str]) -> list[tuple[str, bytes]]:
    files = [(primary, samples.pdf(subject))]
    for name in attachments[:rng.randrange(0, len(attachments) + 1)]:
        files.append((name, samples.pdf(f"{subject} - allegato {name}")))
    return files


def letter(rng: random.Random, kind: str, dossier: Dossier | None, moment: datetime, serial: int) -> Letter:
    """One piece of correspondence of ``kind`` about ``dossier``, as the secretariat would protocol it."""
    about = f" - {dossier.debtor_name} (pratica {dossier.reference})" if dossier else ""
    day = moment.astimezone(ROME).date()
    pec_ref = f"opec21010.{moment:%Y%m%d%H%M%S}.{serial:05d}.demo@pec.ordine-demo.it"
    if kind in ("debtor", "creditor", "court", "agency"):
        if kind == "debtor":
            subject, attachments = rng.choice(DEBTOR_LETTERS)
            sender, primary, number = debtor_of(dossier), "lettera.pdf", ""
        elif kind == "creditor":
            subject, attachments = rng.choice(CREDITOR_LETTERS)
            sender, primary = creditors_of(dossier, rng, 1)[0], "precisazione-credito.pdf"
            number = f"{rng.randrange(10000, 99999)}/{day.year}"
        elif kind == "court":
            subject, attachments, sender, primary = rng.choice(COURT_LETTERS), [], COURT, "provvedimento.pdf"
            number = f"R.G. {rng.randrange(100, 9999)}/{day.year}"
        else:
            agency = rng.choice(sorted(AGENCIES))
            subject, attachments, sender, primary = AGENCY_SUBJECTS[agency], ["prospetto.pdf"], AGENCIES[agency], \
                "certificazione.pdf"
            number = f"{rng.randrange(100000, 999999)}"
        data = {"direction": "entrata", "subject": subject + about, "mittente": sender,
                "means": "pec" if rng.random() < 0.9 else rng.choice(["raccomandata", "posta", "mano"]),
                "received_doc_number": number,
                "received_doc_date": day - timedelta(days=rng.randrange(0, 4)) if number else None}
        return Letter(moment, data, pdf_files(rng, primary, subject + about, attachments), dossier,
                      pec_ref if data["means"] == "pec" else "")
    if kind == "internal":
        subject = rng.choice(INTERNAL)
        data = {"direction": "interno", "subject": subject + about, "means": "mano",
                "mittente": {"name": "Segreteria dell'OCC", "tax_code": "", "address": ""}}
        return Letter(moment, data, pdf_files(rng, "nota.pdf", subject + about, []), dossier)
    if kind == "to_creditors":
        subject, recipients = rng.choice(OUTGOING_TO_CREDITORS), creditors_of(dossier, rng, rng.randrange(1, 5))
    elif kind == "to_agency":
        agency = rng.choice(sorted(AGENCIES))
        subject, recipients = f"Richiesta: {AGENCY_SUBJECTS[agency][0].lower()}{AGENCY_SUBJECTS[agency][1:]}", \
            [AGENCIES[agency]]
    elif kind == "to_court":
        subject, recipients = "Deposito della relazione particolareggiata del gestore", [COURT]
    else:
        subject, recipients = rng.choice(OUTGOING_TO_DEBTOR), [debtor_of(dossier)]
    data = {"direction": "uscita", "subject": subject + about, "destinatari": recipients, "means": "pec"}
    return Letter(moment, data, pdf_files(rng, "lettera.pdf", subject + about, ["allegato.pdf"]), dossier)


def plan(rng: random.Random, dossiers: list[Dossier], today: date, days_back: int) -> list[Letter]:
    letters = []
    kinds, weights = zip(*KINDS)
    for day in working_days(today - timedelta(days=days_back), today):
        open_then = [d for d in dossiers if d.filed_on <= day] or dossiers
        minutes = sorted(rng.sample(range(8 * 60 + 40, 17 * 60 + 30), rng.randrange(*PER_DAY)))
        for minute in minutes:
            moment = datetime.combine(day, time(minute // 60, minute % 60, rng.randrange(60)), ROME)
            kind = rng.choices(kinds, weights)[0]
            dossier = rng.choice(open_then) if open_then and (kind != "internal" or rng.random() < 0.8) else None
            if dossier is None and kind not in ("internal", "court", "to_court", "agency", "to_agency"):
                kind = "internal"
            letters.append(letter(rng, kind, dossier, moment.astimezone(timezone.utc), len(letters)))
    return letters


def later(moment: datetime, rng: random.Random, now: datetime) -> datetime:
    """A moment in office hours some hours or days after ``moment``, never in the future."""
    local = moment.astimezone(ROME) + timedelta(hours=rng.randrange(1, 72), minutes=rng.randrange(60))
    while not (is_working_day(local.date()) and 9 <= local.hour < 18):
        local = datetime.combine(local.date() + timedelta(days=1), time(9, rng.randrange(60)), ROME)
    return min(local.astimezone(timezone.utc), now - timedelta(minutes=5))


def load_demo_protocol(db, registry, tenant, segreteria_email: str, admin_email: str,
                       days_back: int = DAYS_BACK) -> list[str]:
    """Register the correspondence of the last ``days_back`` days (nothing when the Order already has a
    protocol), then produce the daily registers of the past days."""
    if db.scalar(select(Registration.id).limit(1)) is not None:
        return []
    if not tenant.ipa_code and not tenant.aoo_code:
        tenant.ipa_code, tenant.aoo_code = DEMO_IPA, DEMO_AOO
    rng, today, now = random.Random(445), rome_today(), datetime.now(timezone.utc)
    dossiers = db.scalars(select(Dossier).where(Dossier.closed.is_(False)).order_by(Dossier.id)
                          .options(selectinload(Dossier.debtors), selectinload(Dossier.creditors))).all()
    dossiers = [d for d in dossiers if d.debtors and d.creditors]
    secretariat = services.ProtocolEnv(registry=registry, dbsession=db, tenant=tenant,
                                       identity=user_by_email(db, segreteria_email))
    administrator = services.ProtocolEnv(registry=registry, dbsession=db, tenant=tenant,
                                         identity=user_by_email(db, admin_email))
    registered = []
    for item in plan(rng, dossiers, today, days_back):
        data = {**item.data, "dossier": item.dossier}
        registration = services.register(secretariat, data, item.files, clock=lambda m=item.moment: m,
                                         source="pec" if item.source_ref else "manuale", source_ref=item.source_ref)
        registered.append(registration)
    corrected = rng.sample([r for r in registered if r.direction == "entrata"], k=min(12, len(registered) // 20))
    for registration in corrected:
        if registration.received_doc_number:
            changes, reason = {"subject": registration.subject.replace(" - ", " del debitore ", 1)}, \
                "Oggetto da completare secondo il manuale di gestione"
        else:
            changes, reason = {"received_doc_number": f"{rng.randrange(1000, 9999)}/{registration.year}"}, \
                "Numero del documento ricevuto omesso per errore"
        services.correct(secretariat, registration, changes, reason,
                         clock=lambda r=registration: later(r.registered_at, rng, now))
    annulled = rng.sample([r for r in registered if r not in corrected], k=min(6, len(registered) // 40))
    for index, registration in enumerate(sorted(annulled, key=lambda r: r.registered_at), start=1):
        moment = later(registration.registered_at, rng, now)
        services.annul(administrator, registration, reason=rng.choice(ANNULMENT_REASONS),
                       act_reference=f"Provvedimento del responsabile della gestione documentale n. {index}/"
                                     f"{moment.astimezone(ROME).year}",
                       act_date=moment.astimezone(ROME).date(), clock=lambda m=moment: m)
    # LibreOffice takes 10-20 s for four months of daily registers: the worker makes them once this has
    # committed (with `make run`, as soon as the server starts), and `occ demo` stays quick.
    send_after_commit(db.info[ZOPE_EVENTS].transaction_manager, produce_daily_registers, tenant.id)
    return [f"Protocollo dimostrativo: {len(registered)} registrazioni, {len(corrected)} corrette, "
            f"{len(annulled)} annullate; i registri giornalieri dei giorni passati sono prodotti in background "
            "all'avvio del server."]
