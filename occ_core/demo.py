"""The demo Order («demo»): realistic Italian data and one account for each role."""
from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum.it import codicefiscale

from occ_core.accounts.roles import add_membership
from occ_core.accounts.services import create_user, user_by_email
from occ_core.db import bind_tenant
from occ_core.tenants import services as tenants
from shared_registry import services as registrants

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-occ-2026"
OPERATOR_EMAIL = "operatore@occ.localhost"

LAST_NAMES = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
              "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
              "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso",
              "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale"]
FEMALE = ["Giulia", "Francesca", "Chiara", "Sara", "Valentina", "Elena", "Martina", "Laura", "Paola", "Anna"]
MALE = ["Marco", "Andrea", "Luca", "Giuseppe", "Francesco", "Alessandro", "Matteo", "Stefano", "Paolo", "Davide"]
PLACES = [("Milano", "MI", "F205"), ("Monza", "MB", "F704"), ("Bergamo", "BG", "A794"), ("Como", "CO", "C933"),
          ("Pavia", "PV", "G388"), ("Lodi", "LO", "E648"), ("Varese", "VA", "L682"), ("Brescia", "BS", "B157")]
STREETS = ["Via Manzoni", "Corso Buenos Aires", "Via Dante", "Viale Monza", "Via Torino", "Corso Venezia",
           "Via Washington", "Via Solferino", "Piazza Cordusio", "Via Vittor Pisani"]
SPECIALISATIONS = ["Crisi d'impresa", "Sovraindebitamento", "Diritto tributario", "Diritto di famiglia",
                   "Esecuzioni immobiliari", "Diritto bancario", "Revisione legale", "Contrattualistica"]

DEMO_USERS = {
    "amministratore": ("admin@ordine-demo.it", "Carla Benedetti"),
    "segreteria": ("segreteria@ordine-demo.it", "Roberto Fumagalli"),
    "referente": ("referente@ordine-demo.it", "Avv. Maria Grazia Sala"),
    "gestore": ("gestore@ordine-demo.it", "Dott. Enrico Villa"),
    "consultazione": ("consultazione@ordine-demo.it", "Lucia Brambilla"),
    "debitore": ("debitore@example.it", "Mario Ghezzi"),
    "creditore": ("creditore@example.it", "Banca Lombarda S.p.A."),
}


def _cf_letters(text: str, first_name: bool) -> str:
    letters = [c for c in text.upper() if c.isalpha()]
    consonants = [c for c in letters if c not in "AEIOU"]
    vowels = [c for c in letters if c in "AEIOU"]
    if first_name and len(consonants) > 3:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return "".join(consonants + vowels + ["X", "X", "X"])[:3]


def make_codice_fiscale(last_name, first_name, birth: date, female: bool, place_code: str) -> str:
    months = "ABCDEHLMPRST"
    day = birth.day + (40 if female else 0)
    base = (_cf_letters(last_name, False) + _cf_letters(first_name, True)
            + f"{birth.year % 100:02d}{months[birth.month - 1]}{day:02d}{place_code}")
    return base + codicefiscale.calc_check_digit(base)


def demo_registrants(count=48, seed=2026):
    rng = random.Random(seed)
    categories = ["avvocato"] * 5 + ["commercialista"] * 4 + ["notaio", "consulente_lavoro"]
    rows = []
    for index in range(count):
        female = index % 2 == 0
        first = rng.choice(FEMALE if female else MALE)
        last = LAST_NAMES[index % len(LAST_NAMES)] if index < len(LAST_NAMES) else rng.choice(LAST_NAMES)
        city, province, code = rng.choice(PLACES)
        birth = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
        category = rng.choice(categories)
        enrolled = date(birth.year + 27, 1, 1) + timedelta(days=rng.randrange(0, 365 * 8))
        handle = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        rows.append({
            "codice_fiscale": make_codice_fiscale(last, first, birth, female, code),
            "last_name": last, "first_name": first, "birth_place": city, "birth_province": province,
            "category": category,
            "albo_section": "A" if category in ("avvocato", "commercialista") else "",
            "registration_number": f"{1000 + index * 7}",
            "registration_date": enrolled.strftime("%d/%m/%Y"),
            "status": "sospeso" if index % 17 == 5 else ("cancellato" if index % 23 == 11 else "attivo"),
            "email": f"{handle}@studio-{last.lower().replace(' ', '')}.it",
            "pec": f"{handle}@pec.ordine-demo.it",
            "phone": f"02 {rng.randrange(1000000, 9999999)}",
            "mobile": f"+39 3{rng.randrange(10, 99)} {rng.randrange(1000000, 9999999)}",
            "address": f"{rng.choice(STREETS)} {rng.randrange(1, 120)}",
            "postal_code": f"201{rng.randrange(10, 62)}", "city": "Milano", "province": "MI",
            "specialisations": rng.sample(SPECIALISATIONS, k=2),
            "credits": {year: rng.choice([15, 20, 25, 30, 40]) for year in (2023, 2024, 2025)},
        })
    return rows


def load_demo(db, registry) -> list[str]:
    """Create (or complete) the demo Order; safe to run again."""
    pm = registry.occ_plugins
    tenant = tenants.get_tenant(db, DEMO_SLUG)
    created = tenant is None
    if created:
        tenant = tenants.create_tenant(db, pm, DEMO_SLUG, "Ordine degli Avvocati di Milano Demo")
        tenant.occ_name = "OCC dell'Ordine degli Avvocati di Milano Demo"
        tenant.codice_fiscale = "80151430156"
        tenant.address, tenant.postal_code, tenant.city, tenant.province = "Via Freguglia 1", "20122", "Milano", "MI"
        tenant.email, tenant.pec = "occ@ordine-demo.it", "occ@pec.ordine-demo.it"
        tenant.phone = "02 5492 0001"
        tenant.referente_name, tenant.referente_email = DEMO_USERS["referente"][1], DEMO_USERS["referente"][0]
    bind_tenant(db, tenant.id)
    for name in sorted(pm.modules):
        if name not in tenants.available_modules(db, pm, tenant):
            tenants.add_contract(db, pm, tenant, name, date(tenants.today().year, 1, 1), None, "Contratto dimostrativo")
        tenants.set_module_enabled(db, pm, tenant, name, True)
    operator = user_by_email(db, OPERATOR_EMAIL) or create_user(
        db, OPERATOR_EMAIL, "Operatore della piattaforma", DEMO_PASSWORD, is_operator=True, verified=True)
    accounts = [("operatore", operator.email)]
    for role, (email, full_name) in DEMO_USERS.items():
        user = user_by_email(db, email) or create_user(db, email, full_name, DEMO_PASSWORD, verified=True)
        add_membership(db, tenant, user, role)
        accounts.append((role, email))
    for data in demo_registrants():
        record = registrants.parse_record(data)
        if record.errors:
            raise RuntimeError(f"demo registrant {data['codice_fiscale']}: {record.errors}")
        registrants.apply(db, tenant.id, record)
    from occ_core.dossiers.demo import load_demo_dossiers  # it builds on this module's names

    lines_after = load_demo_dossiers(db, registry, tenant, user_by_email(db, DEMO_USERS["segreteria"][0]).id,
                                     user_by_email(db, DEMO_USERS["referente"][0]).id)
    # After the dossiers: the modules' demo data (deadlines, agenda, protocol) builds on them.
    for result in pm.hook.occ_demo_data(dbsession=db, tenant=tenant, registry=registry):
        lines_after += result or []
    lines = ["Ordine dimostrativo «demo» " + ("creato." if created else "aggiornato."),
             f"Accesso: http://127.0.0.1:6543/login  — password per tutti: {DEMO_PASSWORD}"]
    lines += [f"  {role:15} {email}" for role, email in accounts]
    lines += lines_after
    return lines
