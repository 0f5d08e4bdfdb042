"""Dossiers written straight into the register (as the registration would) with parties added through
the parties' services, for the tests of parties, creditors, the list and the read API."""
from __future__ import annotations

from datetime import date

from stdnum.it import codicefiscale

from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import parties, procedures
from occ_core.dossiers.models import Dossier

CF_ROSSI = make_codice_fiscale("Rossi", "Mario", date(1980, 5, 17), False, "F205")
CF_ROSSI_ANNA = make_codice_fiscale("Rossi", "Anna", date(1982, 1, 9), True, "F205")
CF_BIANCHI = make_codice_fiscale("Bianchi", "Giulia", date(1975, 3, 2), True, "H501")
CF_VERDI = make_codice_fiscale("Verdi", "Luca", date(1990, 7, 30), False, "A794")
VAT_BANCA = "00743110157"  # a valid partita IVA (check digit included)
VAT_FORNITORE = "02345670018"
VAT_STUDIO = "03456780158"


def omocodic(code: str) -> str:
    """The same codice fiscale with its last digit replaced by a letter, as for a homonym (omocodia)."""
    base = code[:14] + "LMNPQRSTUV"[int(code[14])]
    return base + codicefiscale.calc_check_digit(base)


def add_dossier(db, tenant, number: int, year: int = 2025, procedure: str = "ristrutturazione_consumatore",
                filed_on: date | None = None, state: str = "ISTANZA_RICEVUTA", **fields) -> Dossier:
    """A registered dossier (``db`` bound to ``tenant``)."""
    allowed = procedures.PROCEDURES[procedure].categories
    fields.setdefault("debtor_category", allowed[0] if allowed else "consumatore")
    dossier = Dossier(tenant_id=tenant.id, year=year, number=number, filed_on=filed_on or date(year, 3, 3),
                      procedure=procedure, state=state, **fields)
    db.add(dossier)
    db.flush()
    return dossier


def person(last_name: str, first_name: str, code: str, **fields) -> dict:
    return {"person_kind": "fisica", "last_name": last_name, "first_name": first_name, "codice_fiscale": code,
            **fields}


def creditor(name: str, amount: str, **fields) -> dict:
    return {"name": name, "amount_claimed": amount, **fields}


def add_parties(dossier, debtor: dict | None = None, creditors=()) -> Dossier:
    if debtor is not None:
        parties.add_debtor(dossier, debtor)
    for data in creditors:
        parties.add_creditor(dossier, data)
    return dossier
