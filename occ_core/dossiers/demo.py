"""Realistic sample dossiers: debtors, creditors and a plausible path through the procedure's states.

Used by the demo Order (a few hundred, through the ORM) and by the benchmark generator (a hundred
thousand, through COPY); both draw from the same generator so that the demo and the figures agree."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stdnum import luhn

from occ_core.demo import FEMALE, LAST_NAMES, MALE, PLACES, STREETS, make_codice_fiscale
from occ_core.dossiers import procedures

COURTS = ["Tribunale di Milano", "Tribunale di Monza", "Tribunale di Lodi", "Tribunale di Pavia",
          "Tribunale di Como", "Tribunale di Varese"]
OCCUPATIONS = ["Impiegato", "Operaio", "Pensionato", "Commerciante", "Artigiano", "Agente di commercio",
               "Insegnante", "Disoccupato", "Infermiere", "Autotrasportatore"]
COMPANY_FORMS = ["S.r.l.", "S.n.c.", "S.a.s.", "S.r.l.s."]
COMPANY_TRADES = ["Edilizia", "Ristorazione", "Trasporti", "Impianti", "Abbigliamento", "Serramenti",
                  "Agricola", "Informatica"]


def partita_iva(seed: int) -> str:
    base = f"{seed % 10_000_000:07d}" + "146"  # office code of Milano
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
    ("erario", "Agenzia delle Entrate - Direzione provinciale di Milano", "privilegiato generale", False),
    ("agente_riscossione", "Agenzia delle Entrate-Riscossione", "privilegiato generale", False),
    ("ente_previdenziale", "INPS - Direzione provinciale di Milano", "privilegiato generale", False),
    ("ente_locale", "Comune di Milano - Tributi", "privilegiato generale", False),
    ("fornitore", "A2A Energia S.p.A.", "chirografario", False),
    ("fornitore", "Enel Energia S.p.A.", "chirografario", False),
    ("fornitore", "TIM S.p.A.", "chirografario", False),
    ("fornitore", "Condominio di Via Padova 120", "chirografario", False),
    ("banca", "Cerved Credit Management S.p.A. (cessionaria)", "chirografario", False),
    ("banca", "doValue S.p.A. (cessionaria)", "ipotecario", True),
]
INSTITUTION_CODES = {name: partita_iva(index * 7919 + 311) for index, (_k, name, _r, _s) in enumerate(INSTITUTIONS)}
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
            creditors.append(SampleCreditor(kind, name, code if kind in ("erario", "ente_previdenziale") else "",
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


def sample_dossier(rng: random.Random, first_year: int, today: date) -> SampleDossier:
    procedure = rng.choices(list(PROCEDURE_WEIGHTS), weights=list(PROCEDURE_WEIGHTS.values()))[0]
    allowed = procedures.PROCEDURES[procedure].categories
    if procedure == "esdebitazione_incapiente":
        allowed = ("consumatore",)
    category = rng.choice(allowed) if allowed else rng.choices(
        list(procedures.DEBTOR_CATEGORIES), weights=[60, 15, 15, 4, 2, 4])[0]
    span = (today - date(first_year, 1, 1)).days
    filed_on = date(first_year, 1, 1) + timedelta(days=rng.randrange(0, span + 1))
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
