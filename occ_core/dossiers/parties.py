"""Debtors, creditors and other parties of a dossier: the rules and the only way to change them.

Each change validates everything first and writes nothing when anything is wrong (``InvalidData``
with a message per field); after a change the dossier's list figures are recomputed (summary.refresh).
``data`` is a mapping of field name -> value as a form, a JSON body or a CSV row gives it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from sqlalchemy.orm import object_session

from occ_core.dossiers import procedures, summary
from occ_core.dossiers.models import Creditor, Debtor, Dossier, OtherParty
from occ_core.dossiers.party_fields import Field, InvalidData, flat, parse_values
from occ_core.dossiers.registration import PERSON_KINDS
from shared_registry.fields import birth_data_from_codice_fiscale

CREDITOR_KINDS = {
    "banca": "Banca",
    "finanziaria": "Società finanziaria",
    "erario": "Erario (Agenzia delle Entrate)",
    "riscossione": "Agente della riscossione",
    "previdenza": "Ente previdenziale",
    "ente_locale": "Ente locale",
    "fornitore": "Fornitore",
    "privato": "Privato",
    "altro": "Altro",
}

RANKS = {
    "prededucibile": "Prededucibile",
    "privilegiato_generale": "Privilegiato generale",
    "privilegiato_speciale": "Privilegiato speciale",
    "ipotecario": "Ipotecario",
    "pignoratizio": "Pignoratizio",
    "chirografario": "Chirografario",
}

# Who may not vote in a concordato minore (CCII art. 79 co. 3).
EXCLUSION_GROUNDS = {
    "coniuge": "Coniuge, unito civilmente o convivente del debitore",
    "parente": "Parente o affine del debitore entro il quarto grado",
    "societa_collegata": "Società controllante, controllata o sottoposta a comune controllo",
    "cessionario": "Cessionario o aggiudicatario del credito da meno di un anno",
    "conflitto": "Creditore in conflitto di interessi",
    "altro": "Altro motivo",
}

PARTY_ROLES = {
    "avvocato": "Avvocato del debitore",
    "advisor": "Advisor o consulente del debitore",
    "tutore": "Tutore, curatore o amministratore di sostegno",
    "coobbligato": "Coobbligato o garante",
    "altro": "Altro interessato",
}

F = Field
DEBTOR_SECTIONS = (
    ("Identificazione", (
        F("person_kind", "Tipo di soggetto", "choice", choices=PERSON_KINDS, width="col-md-4"),
        F("last_name", "Cognome", max_length=100, width="col-md-4", autocomplete="off"),
        F("first_name", "Nome", max_length=100, width="col-md-4", autocomplete="off"),
        F("company_name", "Ragione sociale", max_length=200, width="col-md-12",
          help="Solo per le persone giuridiche."),
        F("codice_fiscale", "Codice fiscale", "tax_code", max_length=20, width="col-md-6",
          help="Obbligatorio per le persone fisiche (16 caratteri, anche omocodico)."),
        F("partita_iva", "Partita IVA", "vat", max_length=13, width="col-md-6",
          help="Per le persone giuridiche serve la partita IVA o il codice fiscale."),
    )),
    ("Nascita e attività", (
        F("birth_date", "Data di nascita", "date", max_length=10, width="col-md-4",
          help="Se non indicata è ricavata dal codice fiscale."),
        F("birth_place", "Luogo di nascita", max_length=100, width="col-md-4"),
        F("occupation", "Occupazione", max_length=120, width="col-md-4"),
    )),
    ("Residenza e recapiti", (
        F("address", "Indirizzo", max_length=200, width="col-md-6", autocomplete="off"),
        F("postal_code", "CAP", "postal_code", max_length=5, width="col-md-2"),
        F("city", "Comune", max_length=100, width="col-md-2"),
        F("province", "Provincia", "province", max_length=2, width="col-md-2"),
        F("email", "Email", "email", max_length=254, width="col-md-4"),
        F("pec", "PEC", "email", max_length=254, width="col-md-4"),
        F("phone", "Telefono", "tel", max_length=40, width="col-md-4"),
    )),
    ("Nucleo familiare e redditi", (
        F("household_members", "Componenti del nucleo familiare", "count", max_length=2, width="col-md-4",
          help="Debitore compreso."),
        F("dependants", "Familiari a carico", "count", max_length=2, width="col-md-4"),
        F("isee", "ISEE (€)", "money", max_length=20, width="col-md-4"),
        F("monthly_income", "Reddito mensile (€)", "money", max_length=20, width="col-md-6",
          help="Stipendi, pensioni e altre entrate del debitore e del nucleo."),
        F("monthly_family_expenses", "Spese mensili per il mantenimento della famiglia (€)", "money",
          max_length=20, width="col-md-6"),
    )),
    ("Note", (F("notes", "Note", "textarea", max_length=5000, width="col-12"),)),
)

CREDITOR_SECTIONS = (
    ("Creditore", (
        F("name", "Denominazione o nominativo", max_length=200, width="col-md-8", required=True),
        F("kind", "Tipo di creditore", "choice", choices=CREDITOR_KINDS, width="col-md-4"),
        F("codice_fiscale", "Codice fiscale", "tax_code", max_length=20, width="col-md-4"),
        F("partita_iva", "Partita IVA", "vat", max_length=13, width="col-md-4"),
        F("pec", "PEC", "email", max_length=254, width="col-md-4",
          help="Serve per le comunicazioni dell'OCC (artt. 70 e 78 CCII)."),
        F("email", "Email", "email", max_length=254, width="col-md-4"),
        F("address", "Indirizzo", max_length=200, width="col-md-8"),
    )),
    ("Credito", (
        F("amount_claimed", "Importo del credito (€)", "money", max_length=20, width="col-md-4", required=True),
        F("rank", "Grado", "choice", choices=RANKS, width="col-md-4"),
        F("class_name", "Classe", max_length=80, width="col-md-4", help="Facoltativa (es. «Classe 1 - banche»)."),
        F("secured", "Credito assistito da garanzia", "flag", width="col-md-12"),
    )),
    ("Voto (art. 79 CCII)", (
        F("excluded_from_vote", "Escluso dal voto", "flag", width="col-md-12"),
        F("exclusion_ground", "Motivo dell'esclusione", "choice", choices=EXCLUSION_GROUNDS, width="col-md-6",
          blank="Nessuno (creditore ammesso al voto)"),
        F("exclusion_details", "Precisazioni sul motivo", max_length=130, width="col-md-6",
          help="Obbligatorie per «Altro motivo»."),
    )),
    ("Note", (F("notes", "Note", "textarea", max_length=5000, width="col-12"),)),
)

PARTY_SECTIONS = (
    ("Soggetto", (
        F("role", "Ruolo", "choice", choices=PARTY_ROLES, width="col-md-4", required=True),
        F("name", "Nominativo o denominazione", max_length=200, width="col-md-8", required=True),
        F("codice_fiscale", "Codice fiscale", "tax_code", max_length=20, width="col-md-6"),
        F("partita_iva", "Partita IVA", "vat", max_length=13, width="col-md-6"),
        F("email", "Email", "email", max_length=254, width="col-md-4"),
        F("pec", "PEC", "email", max_length=254, width="col-md-4"),
        F("phone", "Telefono", "tel", max_length=40, width="col-md-4"),
        F("notes", "Note", "textarea", max_length=5000, width="col-12"),
    )),
)

DEBTOR_FIELDS = flat(DEBTOR_SECTIONS)
CREDITOR_FIELDS = flat(CREDITOR_SECTIONS)
PARTY_FIELDS = flat(PARTY_SECTIONS)
# Form-only fields of the creditor, stored together in ``exclusion_reason``.
EXCLUSION_PARTS = ("exclusion_ground", "exclusion_details")
PERSON_ONLY = {"last_name": "", "first_name": "", "birth_date": None, "birth_place": ""}

DEBTOR_DEFAULTS = {"person_kind": "fisica", "household_members": "1", "dependants": "0"}
CREDITOR_DEFAULTS = {"kind": "altro", "rank": "chirografario"}
PARTY_DEFAULTS = {"role": "avvocato"}


def _current(fields, obj) -> dict:
    return {field.name: getattr(obj, field.name) for field in fields if hasattr(type(obj), field.name)}


def _check(errors: dict) -> None:
    if errors:
        raise InvalidData(errors)


def _require(values: dict, errors: dict, fields, *names) -> None:
    labels = {field.name: field.label for field in fields}
    for name in names:
        if not values.get(name) and name not in errors:
            errors[name] = f"{labels[name]}: campo obbligatorio."


def _remove(row, collection: str) -> None:
    # An explicit delete, not only the orphan cascade: the audit sees the rows the flush is told to delete.
    dossier = row.dossier
    rows = getattr(dossier, collection)
    object_session(row).delete(row)
    rows.remove(row)
    summary.refresh(dossier)


def _assign(obj, values: dict) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


# --- debtors ------------------------------------------------------------------------------------

def _debtor_values(dossier: Dossier, data: Mapping, current: dict, debtor: Debtor | None, partial: bool) -> dict:
    parsed, errors = parse_values(DEBTOR_FIELDS, data, partial)
    values = {**current, **parsed}
    values["person_kind"] = values.get("person_kind") or "fisica"
    values["household_members"] = values.get("household_members") or 1
    values["dependants"] = values.get("dependants") or 0
    procedure = procedures.PROCEDURES.get(dossier.procedure)
    if values["person_kind"] == "fisica":
        _require(values, errors, DEBTOR_FIELDS, "last_name", "first_name", "codice_fiscale")
        values["company_name"] = ""
        code = values.get("codice_fiscale") or ""
        if "codice_fiscale" not in errors and code and len(code) != 16:
            errors["codice_fiscale"] = ("Codice fiscale: per una persona fisica servono i 16 caratteri "
                                        "del codice personale.")
        elif "codice_fiscale" not in errors and code and "birth_date" not in errors:
            _check_birth_date(values, code, errors)
    else:
        _require(values, errors, DEBTOR_FIELDS, "company_name")
        if not values.get("codice_fiscale") and not values.get("partita_iva"):
            errors.setdefault("partita_iva", "Partita IVA: per una persona giuridica indicare la partita IVA "
                                             "o il codice fiscale.")
        if len(values.get("codice_fiscale") or "") == 16:
            errors.setdefault("codice_fiscale", "Codice fiscale: per una persona giuridica è il codice "
                                                "numerico di 11 cifre.")
        if dossier.debtor_category == "consumatore" or (procedure and procedure.natural_persons_only):
            errors.setdefault("person_kind", "Tipo di soggetto: per questa procedura (o per un consumatore) il "
                                             "debitore deve essere una persona fisica.")
        values.update(PERSON_ONLY)
    if values["dependants"] > values["household_members"]:
        errors.setdefault("dependants", "Familiari a carico: non possono essere più dei componenti del nucleo.")
    code = values.get("codice_fiscale")
    if code and any(other.codice_fiscale == code for other in dossier.debtors if other is not debtor):
        errors.setdefault("codice_fiscale", f"Codice fiscale: {code} è già tra i debitori della pratica.")
    _check(errors)
    return values


def _check_birth_date(values: dict, code: str, errors: dict) -> None:
    """The birth date is the one of the codice fiscale: filled in from it, or checked against it."""
    born, _gender = birth_data_from_codice_fiscale(code)
    given = values.get("birth_date")
    if given is None:
        values["birth_date"] = born
    elif (given.day, given.month, given.year % 100) != (born.day, born.month, born.year % 100):
        errors["birth_date"] = "Data di nascita: non corrisponde a quella del codice fiscale."


def _check_family(dossier: Dossier, values: dict, debtor: Debtor | None, family: bool) -> None:
    """Several debtors only in a family procedure (CCII art. 66), which joins natural persons."""
    others = [other for other in dossier.debtors if other is not debtor]
    if not others:
        return
    if not dossier.family and not family:
        raise InvalidData({"family": (
            "La pratica ha già un debitore: più debitori sono ammessi solo nella procedura familiare "
            "(art. 66 CCII). Se i debitori sono membri della stessa famiglia, spunti la casella «Procedura "
            "familiare»; altrimenti registri una pratica separata.")})
    if values["person_kind"] != "fisica" or any(other.person_kind != "fisica" for other in others):
        raise InvalidData({"person_kind": (
            "Tipo di soggetto: la procedura familiare (art. 66 CCII) riunisce solo persone fisiche, membri "
            "della stessa famiglia.")})


def add_debtor(dossier: Dossier, data: Mapping, family: bool = False) -> Debtor:
    """A new debtor; a second one needs ``family`` (the dossier becomes a family procedure)."""
    values = _debtor_values(dossier, data, {}, None, partial=False)
    _check_family(dossier, values, None, family)
    if dossier.debtors:
        dossier.family = True
    debtor = Debtor(tenant_id=dossier.tenant_id,
                    position=max((other.position for other in dossier.debtors), default=-1) + 1)
    _assign(debtor, values)
    dossier.debtors.append(debtor)
    summary.refresh(dossier)
    return debtor


def update_debtor(debtor: Debtor, data: Mapping, partial: bool = False) -> Debtor:
    dossier = debtor.dossier
    values = _debtor_values(dossier, data, _current(DEBTOR_FIELDS, debtor), debtor, partial)
    # The debtor is already there: only the kinds of person are checked again.
    _check_family(dossier, values, debtor, family=True)
    _assign(debtor, values)
    summary.refresh(dossier)
    return debtor


def delete_debtor(debtor: Debtor) -> None:
    _remove(debtor, "debtors")


# --- creditors ----------------------------------------------------------------------------------

def exclusion_reason(ground: str, details: str) -> str:
    """The stored reason: the ground's label, then the details; an "altro" ground is its details alone."""
    if ground == "altro":
        return details
    label = EXCLUSION_GROUNDS[ground]
    return f"{label}: {details}" if details else label


def split_exclusion_reason(reason: str) -> tuple[str, str]:
    """(ground, details) of a stored or typed reason: a ground's label or code, optionally followed by
    ": details"; any other text is an "altro" ground with the text as details."""
    reason = (reason or "").strip()
    if not reason:
        return "", ""
    for code, label in EXCLUSION_GROUNDS.items():
        for prefix in (label, code):
            if reason.casefold() == prefix.casefold():
                return code, ""
            if reason.casefold().startswith(prefix.casefold() + ":"):
                return code, reason[len(prefix) + 1:].strip()
    return "altro", reason


def _creditor_values(data: Mapping, current: dict, partial: bool) -> dict:
    parsed, errors = parse_values(CREDITOR_FIELDS, data, partial)
    values = {**current, **parsed}
    values["kind"] = values.get("kind") or "altro"
    values["rank"] = values.get("rank") or "chirografario"
    values["amount_claimed"] = values.get("amount_claimed") or Decimal("0")
    ground, details = values.pop("exclusion_ground", ""), values.pop("exclusion_details", "")
    if values.get("excluded_from_vote"):
        if not ground:
            errors.setdefault("exclusion_ground", "Motivo dell'esclusione: obbligatorio per un creditore escluso "
                                                  "dal voto (art. 79 CCII).")
        elif ground == "altro" and not details:
            errors.setdefault("exclusion_details", "Precisazioni sul motivo: descriva il motivo dell'esclusione.")
        else:
            values["exclusion_reason"] = exclusion_reason(ground, details)
    else:
        values["exclusion_reason"] = ""
    _check(errors)
    return values


def _creditor_current(creditor: Creditor) -> dict:
    values = _current(CREDITOR_FIELDS, creditor)
    values["exclusion_ground"], values["exclusion_details"] = split_exclusion_reason(creditor.exclusion_reason)
    return values


def creditor_form_values(creditor: Creditor) -> dict:
    values = _creditor_current(creditor)
    return {field.name: field.shown(values.get(field.name)) for field in CREDITOR_FIELDS}


def build_creditor(dossier: Dossier, data: Mapping) -> Creditor:
    """A validated creditor, not yet added to the dossier."""
    creditor = Creditor(tenant_id=dossier.tenant_id)
    _assign(creditor, _creditor_values(data, {}, partial=False))
    return creditor


def add_creditors(dossier: Dossier, creditors: list[Creditor]) -> None:
    dossier.creditors.extend(creditors)
    summary.refresh(dossier)


def add_creditor(dossier: Dossier, data: Mapping) -> Creditor:
    creditor = build_creditor(dossier, data)
    add_creditors(dossier, [creditor])
    return creditor


def update_creditor(creditor: Creditor, data: Mapping, partial: bool = False) -> Creditor:
    _assign(creditor, _creditor_values(data, _creditor_current(creditor), partial))
    summary.refresh(creditor.dossier)
    return creditor


def delete_creditor(creditor: Creditor) -> None:
    _remove(creditor, "creditors")


# --- other parties ------------------------------------------------------------------------------

def _party_values(data: Mapping, current: dict, partial: bool) -> dict:
    parsed, errors = parse_values(PARTY_FIELDS, data, partial)
    values = {**current, **parsed}
    _require(values, errors, PARTY_FIELDS, "role", "name")
    _check(errors)
    return values


def add_party(dossier: Dossier, data: Mapping) -> OtherParty:
    party = OtherParty(tenant_id=dossier.tenant_id)
    _assign(party, _party_values(data, {}, partial=False))
    dossier.parties.append(party)
    summary.refresh(dossier)
    return party


def update_party(party: OtherParty, data: Mapping, partial: bool = False) -> OtherParty:
    _assign(party, _party_values(data, _current(PARTY_FIELDS, party), partial))
    summary.refresh(party.dossier)
    return party


def delete_party(party: OtherParty) -> None:
    _remove(party, "parties")


# --- creditor figures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Subtotal:
    key: str
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class CreditorTotals:
    total: Decimal
    count: int
    by_rank: list[Subtotal]
    by_class: list[Subtotal]
    secured: Decimal
    excluded_count: int
    excluded_amount: Decimal
    declared: Decimal | None

    @property
    def admitted_to_vote(self) -> Decimal:
        return self.total - self.excluded_amount

    @property
    def difference(self) -> Decimal | None:
        """Creditors' total minus the declared passivo (None when no passivo was declared)."""
        return None if self.declared is None else self.total - self.declared


def _subtotals(creditors, key, labels: dict | None = None) -> list[Subtotal]:
    groups: dict[str, list] = {}
    for creditor in creditors:
        groups.setdefault(key(creditor), []).append(creditor.amount_claimed or Decimal("0"))
    labels = labels or {}
    order = [name for name in labels if name in groups] + sorted(set(groups) - set(labels))
    return [Subtotal(name, labels.get(name, name), len(groups[name]), sum(groups[name], CENTS))
            for name in order]


CENTS = Decimal("0.00")


def creditor_totals(dossier: Dossier) -> CreditorTotals:
    creditors = dossier.creditors
    excluded = [c for c in creditors if c.excluded_from_vote]

    def amount(rows) -> Decimal:
        # From 0.00: with no creditor the figure keeps its cents ("0.00"), as the API declares amounts.
        return sum((c.amount_claimed or CENTS for c in rows), CENTS)

    return CreditorTotals(
        total=amount(creditors), count=len(creditors),
        by_rank=_subtotals(creditors, lambda c: c.rank, RANKS),
        by_class=_subtotals(creditors, lambda c: c.class_name, {"": "Senza classe"}),
        secured=amount(c for c in creditors if c.secured),
        excluded_count=len(excluded), excluded_amount=amount(excluded),
        declared=dossier.passivo_declared,
    )
