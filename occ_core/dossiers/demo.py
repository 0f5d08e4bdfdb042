"""Realistic sample dossiers: debtors, creditors and a plausible path through the procedure's states.

Used by the demo Order (a few hundred, through the ORM) and by the benchmark generator (a hundred
thousand, through COPY); both draw from the same generator so that the demo and the figures agree."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from stdnum import luhn

from occ_core.clock import ROME
from occ_core.demo import FEMALE, LAST_NAMES, MALE, PLACES, STREETS, make_codice_fiscale
from occ_core.dossiers import procedures

COURTS = ["Tribunale di Milano", "Tribunale di Monza", "Tribunale di Lodi", "Tribunale di Pavia",
          "Tribunale di Como", "Tribunale di Varese"]
OCCUPATIONS = ["Impiegato", "Operaio", "Pensionato", "Commerciante", "Artigiano", "Agente di commercio",
               "Insegnante", "Disoccupato", "Infermiere", "Autotrasportatore"]
COMPANY_FORMS = ["S.r.l.", "S.n.c.", "S.a.s.", "S.r.l.s."]
COMPANY_TRADES = ["Edilizia", "Ristorazione", "Trasporti", "Impianti", "Abbigliamento", "Serramenti",
                  "Agricola", "Informatica"]


def _office_hours(day: date) -> datetime:
    """10:00 in Rome on ``day``: the demo's registrations and changes of state happen in office hours, and the
    dossier's page, its history and its current state show the same time for the same event."""
    return datetime.combine(day, time(10), tzinfo=ROME).astimezone(timezone.utc)


def partita_iva(seed: int) -> str:
    base = f"{seed % 10_000_000:07d}" + "015"  # office code of Milano
    return base + luhn.calc_check_digit(base)


# Creditors an over-indebted household usually has: banks and finance companies, the tax authority and
# its collection agent, social security, utilities, local bodies, landlords and private lenders.
INSTITUTIONS = [
    ("banca", "Intesa Sanpaolo S.p.A.", "ipotecario", True),
    ("banca", "UniCredit S.p.A.", "chirografario", False),
    ("banca", "Banco BPM S.p.A.", "ipotecario", True),
    ("banca", "BPER Banca S.p.A.", "chirografario", False),
    ("banca", "Credit Agricole Italia S.p.A.", "chirografario", False),
    ("finanziaria", "Findomestic Banca S.p.A.", "chirografario", False),
    ("finanziaria", "Compass Banca S.p.A.", "chirografario", False),
    ("finanziaria", "Agos Ducato S.p.A.", "chirografario", False),
    ("finanziaria", "Santander Consumer Bank S.p.A.", "chirografario", False),
    ("finanziaria", "IBL Banca S.p.A. (cessione del quinto)", "chirografario", False),
    ("erario", "Agenzia delle Entrate - Direzione provinciale di Milano", "privilegiato_generale", False),
    ("riscossione", "Agenzia delle Entrate-Riscossione", "privilegiato_generale", False),
    ("previdenza", "INPS - Direzione provinciale di Milano", "privilegiato_generale", False),
    ("ente_locale", "Comune di Milano - Tributi", "privilegiato_generale", False),
    ("fornitore", "A2A Energia S.p.A.", "chirografario", False),
    ("fornitore", "Enel Energia S.p.A.", "chirografario", False),
    ("fornitore", "TIM S.p.A.", "chirografario", False),
    ("fornitore", "Condominio di Via Padova 120", "chirografario", False),
    ("banca", "Cerved Credit Management S.p.A. (cessionaria)", "chirografario", False),
    ("banca", "doValue S.p.A. (cessionaria)", "ipotecario", True),
]
INSTITUTION_CODES = {name: partita_iva(index * 7919 + 311) for index, (_k, name, _r, _s) in enumerate(INSTITUTIONS)}
CCII_IN_FORCE, L3_INCAPIENTE = date(2022, 7, 15), date(2020, 12, 25)
L3_OF = {"ristrutturazione_consumatore": "piano_consumatore", "concordato_minore": "accordo_composizione",
         "liquidazione_controllata": "liquidazione_patrimonio", "esdebitazione_incapiente": "liquidazione_patrimonio"}
CCII_OF = {old: new for new, old in list(L3_OF.items())[:3]}
PROCEDURE_WEIGHTS = {  # shares close to the 2023 Ministry monitoring (liquidazione 55%, ristrutturazione 34%)
    "liquidazione_controllata": 50, "ristrutturazione_consumatore": 30, "concordato_minore": 7,
    "esdebitazione_incapiente": 6, "piano_consumatore": 3, "accordo_composizione": 2, "liquidazione_patrimonio": 2,
}


@dataclass
class SamplePerson:
    person_kind: str
    last_name: str = ""
    first_name: str = ""
    company_name: str = ""
    codice_fiscale: str = ""
    partita_iva: str = ""
    birth_date: date | None = None
    birth_place: str = ""
    address: str = ""
    city: str = ""
    province: str = ""
    postal_code: str = ""
    occupation: str = ""
    household_members: int = 1
    dependants: int = 0
    monthly_income: Decimal | None = None
    monthly_family_expenses: Decimal | None = None

    @property
    def display_name(self) -> str:
        return self.company_name if self.person_kind == "giuridica" else f"{self.last_name} {self.first_name}"


@dataclass
class SampleCreditor:
    kind: str
    name: str
    codice_fiscale: str
    partita_iva: str
    pec: str
    amount_claimed: Decimal
    rank: str
    secured: bool


@dataclass
class SampleDossier:
    filed_on: date
    procedure: str
    debtor_category: str
    family: bool
    court: str
    path: list  # [(state, date)], the first is ISTANZA_RICEVUTA on filed_on
    debtors: list = field(default_factory=list)
    creditors: list = field(default_factory=list)
    attivo: Decimal = Decimal("0")
    satisfaction_percent: Decimal | None = None

    @property
    def state(self) -> str:
        return self.path[-1][0]


def sample_person(rng: random.Random, surname: str | None = None) -> SamplePerson:
    female = rng.random() < 0.5
    first = rng.choice(FEMALE if female else MALE)
    last = surname or rng.choice(LAST_NAMES)
    city, province, code = rng.choice(PLACES)
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    income = Decimal(rng.randrange(0, 2600)) if rng.random() > 0.08 else Decimal("0")
    household = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
    return SamplePerson(
        "fisica", last_name=last, first_name=first,
        codice_fiscale=make_codice_fiscale(last, first, birth, female, code), birth_date=birth, birth_place=city,
        address=f"{rng.choice(STREETS)} {rng.randrange(1, 200)}", city=city, province=province,
        postal_code=f"2{rng.randrange(1000, 9999):04d}", occupation=rng.choice(OCCUPATIONS),
        household_members=household, dependants=max(0, household - 2),
        monthly_income=income, monthly_family_expenses=Decimal(500 + 350 * household + rng.randrange(0, 400)))


def sample_company(rng: random.Random, seed: int) -> SamplePerson:
    name = f"{rng.choice(COMPANY_TRADES)} {rng.choice(LAST_NAMES)} {rng.choice(COMPANY_FORMS)}"
    code = partita_iva(seed)
    city, province, _code = rng.choice(PLACES)
    return SamplePerson("giuridica", company_name=name, partita_iva=code, codice_fiscale=code,
                        address=f"{rng.choice(STREETS)} {rng.randrange(1, 200)}", city=city, province=province,
                        postal_code=f"2{rng.randrange(1000, 9999):04d}")


def sample_creditors(rng: random.Random, count: int) -> list[SampleCreditor]:
    creditors = []
    for _ in range(count):
        if rng.random() < 0.85:
            kind, name, rank, secured = rng.choice(INSTITUTIONS)
            code = INSTITUTION_CODES[name]
            slug = name.split()[0].lower().replace("'", "")
            creditors.append(SampleCreditor(kind, name, code if kind in ("erario", "previdenza") else "",
                                            code, f"contenzioso@pec.{slug}.it",
                                            Decimal(rng.randrange(300, 60000)) + Decimal(rng.randrange(100)) / 100,
                                            rank, secured))
        else:
            person = sample_person(rng)
            creditors.append(SampleCreditor("privato", person.display_name, person.codice_fiscale, "", "",
                                            Decimal(rng.randrange(500, 20000)), "chirografario", False))
    return creditors


def sample_path(rng: random.Random, procedure: str, filed_on: date, today: date) -> list:
    """A walk through the legal sequence: mostly the main road, sometimes an exit, stopping at random."""
    path, state, when = [(procedures.INITIAL_STATE, filed_on)], procedures.INITIAL_STATE, filed_on
    while True:
        options = procedures.next_states(procedure, state)
        step = when + timedelta(days=rng.randrange(7, 75))
        if not options or step > today or rng.random() < 0.05:
            return path
        state = options[0] if len(options) == 1 or rng.random() < 0.985 else rng.choice(options[1:])
        when = step
        path.append((state, when))


def procedure_in_force(procedure: str, filed_on: date) -> str:
    """The Codice della crisi applies to applications from 15 July 2022; older ones follow L. 3/2012, whose
    incapiente procedure (art. 14-quaterdecies) exists from 25 December 2020."""
    if filed_on >= CCII_IN_FORCE:
        return CCII_OF.get(procedure, procedure)
    if procedure == "esdebitazione_incapiente" and filed_on >= L3_INCAPIENTE:
        return procedure
    return L3_OF.get(procedure, procedure)


def sample_dossier(rng: random.Random, first_year: int, today: date) -> SampleDossier:
    span = (today - date(first_year, 1, 1)).days
    filed_on = date(first_year, 1, 1) + timedelta(days=rng.randrange(0, span + 1))
    procedure = procedure_in_force(
        rng.choices(list(PROCEDURE_WEIGHTS), weights=list(PROCEDURE_WEIGHTS.values()))[0], filed_on)
    allowed = procedures.PROCEDURES[procedure].categories
    if procedure == "esdebitazione_incapiente":
        allowed = ("consumatore",)
    category = rng.choice(allowed) if allowed else rng.choices(
        list(procedures.DEBTOR_CATEGORIES), weights=[60, 15, 15, 4, 2, 4])[0]
    if category in ("imprenditore_minore", "startup_innovativa", "imprenditore_agricolo") and rng.random() < 0.5:
        debtors = [sample_company(rng, rng.randrange(1_000_000, 9_999_999))]
    else:
        debtors = [sample_person(rng)]
    family = category == "consumatore" and rng.random() < 0.12
    if family:
        debtors.append(sample_person(rng, surname=debtors[0].last_name))
    creditor_count = max(1, min(40, int(rng.lognormvariate(2.2, 0.6))))
    creditors = sample_creditors(rng, creditor_count)
    passivo = sum((c.amount_claimed for c in creditors), Decimal("0"))
    attivo = (passivo * Decimal(rng.randrange(0, 60)) / 100).quantize(Decimal("0.01"))
    return SampleDossier(
        filed_on=filed_on, procedure=procedure, debtor_category=category, family=family,
        court=rng.choice(COURTS), path=sample_path(rng, procedure, filed_on, today), debtors=debtors,
        creditors=creditors, attivo=attivo,
        satisfaction_percent=None if procedure.startswith("liquidazione") else Decimal(rng.randrange(5, 80)))


# --- the demo Order ---------------------------------------------------------------------------------

DEMO_DOSSIERS = 200
DEMO_GESTORI = 14
DOCUMENTS_BY_STATE = (  # what a dossier holds once it has reached the state
    ("ISTANZA_RICEVUTA", "istanza", "Istanza di nomina del gestore", "entrata"),
    ("ISTANZA_RICEVUTA", "documento_identita", "Carta d'identità del debitore", "entrata"),
    ("ISTRUTTORIA_SEGRETERIA", "elenco_creditori", "Elenco dei creditori con importi e privilegi", "entrata"),
    ("ISTRUTTORIA_SEGRETERIA", "dichiarazioni_redditi_3_anni", "Dichiarazioni dei redditi degli ultimi 3 anni",
     "entrata"),
    ("PREVENTIVO_EMESSO", "preventivo", "Preventivo (DM 202/2014 art. 10 co. 3)", "uscita"),
    ("INCARICO_CONFERITO", "incarico_firmato", "Incarico sottoscritto dal debitore", "entrata"),
    ("RELAZIONE_REDATTA", "relazione_gestore", "Relazione particolareggiata del gestore", "interno"),
)


def enrol_demo_gestori(db, tenant, today: date) -> list:
    """The Order's list of gestori: registrants enrolled years ago, with their training hours; one suspended
    and one short of the biennial hours, so the screens show every case."""
    from occ_core.gestori.models import GestoreTraining
    from occ_core.gestori.roster import enrol
    from shared_registry.models import Registrant

    registrants = db.scalars(select(Registrant).where(Registrant.status == "attivo")
                             .order_by(Registrant.id).limit(DEMO_GESTORI)).all()
    rng = random.Random(14)
    gestori = []
    for index, registrant in enumerate(registrants):
        enrolled = date(2016 + index % 6, 1 + index % 12, 10)
        gestore = enrol(db, tenant.id, str(registrant.id), {
            "enrolled_on": enrolled, "partita_iva": partita_iva(4_000_000 + index * 37),
            "degree": "Laurea magistrale in " + ("giurisprudenza" if registrant.category == "avvocato"
                                                  else "economia e commercio"),
            "course_hours": 40 if index % 3 else 200, "course_completed_on": enrolled - timedelta(days=90),
            "traineeship_completed_on": enrolled - timedelta(days=30),
            "circondario": "Tribunale di Milano" if index % 4 else "Tribunale di Monza",
            "specialisations": rng.sample(sorted(procedures.PROCEDURES), k=2), "available": True, "notes": ""})
        short = index == 5
        year = enrolled.year
        while date(year, enrolled.month, 1) < today:
            hours = Decimal(12 if short else rng.choice([20, 22, 24]))
            db.add(GestoreTraining(tenant_id=tenant.id, gestore=gestore, on=date(year, 6, 15), hours=hours,
                                   title="Aggiornamento in materia di crisi da sovraindebitamento",
                                   provider="Scuola Forense dell'Ordine"))
            year += 1
        if index == 9:
            gestore.status, gestore.status_reason, gestore.status_since = (
                "sospeso", "Sospensione cautelare deliberata dal Consiglio", today - timedelta(days=40))
        gestori.append(gestore)
    db.flush()
    return gestori


def appoint_demo_gestore(db, tenant, dossier, referente_id: int, today: date) -> None:
    """The real path: the referente's declaration, the proposal by the Order's criteria, the appointment of
    the proposed gestore, his acceptance and declaration of independence; all in the appointment log."""
    from occ_core.gestori import services

    services.declare_no_conflict(db, tenant, dossier, referente_id)
    proposal = services.propose(db, tenant, dossier, referente_id, today)
    if proposal.proposed is None:
        return
    for appointment in services.appoint(db, tenant, dossier, [proposal.proposed.gestore.id], referente_id, today):
        services.record_acceptance(db, tenant, dossier, appointment, referente_id)
        services.record_independence(db, tenant, dossier, appointment, referente_id)


def load_demo_dossiers(db, registry, tenant, segreteria_id: int, referente_id: int) -> list[str]:
    """About two hundred dossiers of every procedure and state, with parties, documents and gestori.
    Nothing is added when the Order already has dossiers."""
    from occ_core.documents import services as documents, samples
    from occ_core.documents.storage import storage_of
    from occ_core.dossiers import numbering, summary
    from occ_core.dossiers.models import Creditor, Debtor, Dossier, Transition
    from occ_core.clock import today as rome_today

    if db.scalar(select(Dossier.id).limit(1)) is not None:
        return []
    today = rome_today()
    enrol_demo_gestori(db, tenant, today)
    storage, limit = storage_of(registry), documents.max_bytes(registry.settings)
    rng = random.Random(2026)
    samples_ = sorted((sample_dossier(rng, 2021, today) for _ in range(DEMO_DOSSIERS)), key=lambda d: d.filed_on)
    for sample in samples_:
        registered = _office_hours(sample.filed_on)
        dossier = Dossier(
            tenant_id=tenant.id, year=sample.filed_on.year,
            number=numbering.allocate(db, tenant.id, sample.filed_on.year), registered_at=registered,
            filed_on=sample.filed_on, procedure=sample.procedure, debtor_category=sample.debtor_category,
            family=sample.family, state=procedures.INITIAL_STATE, state_changed_at=registered, court=sample.court,
            attivo=sample.attivo, satisfaction_percent=sample.satisfaction_percent, created_by_id=segreteria_id)
        for position, person in enumerate(sample.debtors):
            dossier.debtors.append(Debtor(tenant_id=tenant.id, position=position, **vars(person)))
        for creditor in sample.creditors:
            dossier.creditors.append(Creditor(tenant_id=tenant.id, **vars(creditor)))
        db.add(dossier)
        db.flush()
        states = [state for state, _when in sample.path]
        if "INCARICO_CONFERITO" in states:
            dossier.incarico_accepted_on = dict(sample.path)["INCARICO_CONFERITO"]
        if "GESTORE_NOMINATO" in states:
            appoint_demo_gestore(db, tenant, dossier, referente_id, today)
        for reached, category, title, direction in DOCUMENTS_BY_STATE:
            if reached in states:
                content = samples.pdf(f"{title} - pratica {dossier.reference} - {dossier.debtor_name}")
                documents.add_document(db, storage, dossier, None, content=content, filename=f"{category}.pdf",
                                       limit=limit, direction=direction, category=category, title=title,
                                       visibility="gestore")
        previous = ""
        for state, when in sample.path:
            db.add(Transition(tenant_id=tenant.id, dossier_id=dossier.id, from_state=previous, to_state=state,
                              at=_office_hours(when), user_id=segreteria_id,
                              reason="Registrazione dell'istanza" if not previous else ""))
            previous = state
        last_state, last_when = sample.path[-1]
        dossier.state = last_state
        dossier.state_changed_at = _office_hours(last_when)
        if procedures.is_final(dossier.procedure, last_state):
            dossier.outcome, dossier.outcome_on, dossier.closed = last_state, last_when, True
        summary.refresh(dossier)
    db.flush()
    return [f"Pratiche dimostrative: {len(samples_)}, con {DEMO_GESTORI} gestori nell'elenco."]
