"""Who a communication of a dossier can go to, at which address, through which of the Order's channels.

Candidates are the dossier's debtors, creditors, appointed gestori and other parties (lawyers, advisors),
and the tax offices the Order configured (CCII art. 68 co. 4), those of the debtor's residence suggested.
A channel is usable when it is installed and provided by the core or by a module active for the Order."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from occ_core.communications.models import TaxOffice
from occ_core.dispatch.services import channels
from occ_core.dossiers.fields import InvalidData, body_code
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.parties import PARTY_ROLES
from occ_core.dossiers.party_fields import Field, form_values, parse_values
from occ_core.dossiers.summary import gestori_in_force
from occ_core.errors import UserError
from occ_core.gestori.screening import gestore_name

KINDS = {"debitore": "Debitore", "creditore": "Creditore", "gestore": "Gestore", "parte": "Altra parte",
         "ufficio": "Ufficio fiscale"}
OFFICE_KINDS = {
    "riscossione": "Agente della riscossione",
    "entrate": "Agenzia delle Entrate",
    "comune": "Ufficio tributi del Comune",
    "regione": "Ufficio tributi della Regione",
    "altro": "Altro ufficio",
}
# The kind of address a channel writes to (a module's channel may declare it as the "address" capability),
# and which of a party's addresses it takes, best first.
ADDRESS_PREFERENCES = {"pec": ("pec", "email"), "email": ("email", "pec"), "postale": ("postale",)}


@dataclass(frozen=True)
class Candidate:
    """A possible recipient: ``key`` ("creditore:12") is what the form posts."""

    kind: str
    party_id: int
    name: str
    role: str
    tax_code: str = ""
    addresses: dict = field(default_factory=dict)  # {"pec": ..., "email": ..., "postale": ...}
    suggested: bool = False
    # For the notices: lawyers among the other parties.
    party_role: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.party_id}"


def active_channels(env) -> dict:
    """The channels the Order may use, by name, in the order the core and its active modules declare them."""
    installed = channels(env.registry)
    offered = [spec.name for specs in env.hooks.occ_dispatch_channels() for spec in specs or ()]
    return {name: installed[name] for name in offered if name in installed}


def address_kind(spec) -> str:
    capabilities = spec.capabilities or {}
    return capabilities.get("address") or ("pec" if capabilities.get("legal_value") else "email")


def address_for(candidate: Candidate, spec) -> str:
    """The candidate's address for the channel ``spec``; empty when it has none."""
    for kind in ADDRESS_PREFERENCES.get(address_kind(spec), (address_kind(spec),)):
        if candidate.addresses.get(kind):
            return candidate.addresses[kind]
    return ""


def reachable(candidate: Candidate, specs: dict) -> dict[str, str]:
    """``{channel: address}`` of the active channels that can reach the candidate."""
    return {name: address for name, spec in specs.items() if (address := address_for(candidate, spec))}


def default_channel(candidate: Candidate, specs: dict) -> str:
    """The channel proposed for a candidate: one with legal value when it can reach it, else the first."""
    options = reachable(candidate, specs)
    legal = [name for name in options if (specs[name].capabilities or {}).get("legal_value")]
    return (legal or list(options) or [""])[0]


def _tax_code(*values: str) -> str:
    """The first of ``values`` that is a valid codice fiscale or partita IVA (the protocol keeps only those)."""
    for value in values:
        try:
            if body_code(value, ""):
                return body_code(value, "")
        except UserError:
            continue
    return ""


def _postal(*parts: str) -> str:
    return ", ".join(part.strip() for part in parts if part and part.strip())


def offices(db, active_only: bool = True) -> list[TaxOffice]:
    query = select(TaxOffice).order_by(TaxOffice.kind, TaxOffice.name, TaxOffice.id)
    return list(db.scalars(query.where(TaxOffice.active.is_(True)) if active_only else query))


OFFICE_FIELDS = {field.name: field for field in (
    Field("kind", "Tipo di ufficio", "choice", choices=OFFICE_KINDS, required=True),
    Field("name", "Denominazione", required=True),
    Field("pec", "PEC", "email", max_length=254),
    Field("email", "Email", "email", max_length=254),
    Field("province", "Provincia (sigla)", "province"),
    Field("city", "Comune", max_length=100),
    Field("active", "In uso", "flag"),
)}


def office_values(office: TaxOffice | None) -> dict[str, str]:
    """What the office's form shows (a new office: in use)."""
    return form_values(OFFICE_FIELDS.values(), office) if office is not None else {"kind": "entrate", "active": "1"}


def save_office(db, tenant_id: int, office: TaxOffice | None, data: dict) -> TaxOffice:
    """Create (``office`` None) or change an office; ``InvalidData`` names each wrong field."""
    values, errors = parse_values(OFFICE_FIELDS.values(), data)
    if not ({"pec", "email"} & errors.keys() or values["pec"] or values["email"]):
        errors["pec"] = "PEC: indicare la PEC o l'indirizzo email dell'ufficio."
    if errors:
        raise InvalidData(errors)
    if office is None:
        office = TaxOffice(tenant_id=tenant_id)
        db.add(office)
    for name, value in values.items():
        setattr(office, name, value)
    db.flush()
    return office


def _office_fits(office: TaxOffice, dossier: Dossier) -> bool:
    """An office without a province serves every debtor; one with a province (and a city) serves the debtors
    living there."""
    if not office.province:
        return True
    return any(debtor.province.upper() == office.province.upper()
               and (not office.city or debtor.city.strip().lower() == office.city.strip().lower())
               for debtor in dossier.debtors)


def candidates(db, dossier: Dossier) -> list[Candidate]:
    """Every possible recipient of the dossier, parties first, then the Order's active tax offices."""
    found = [Candidate("debitore", d.id, d.display_name, KINDS["debitore"], _tax_code(d.codice_fiscale, d.partita_iva),
                       {"pec": d.pec, "email": d.email,
                        "postale": _postal(d.address, d.postal_code, d.city, d.province)})
             for d in dossier.debtors]
    for appointment in gestori_in_force(dossier):
        registrant = appointment.gestore.registrant
        addresses = {"pec": registrant.pec, "email": registrant.email,
                     "postale": _postal(registrant.address, registrant.postal_code, registrant.city)} \
            if registrant is not None else {}
        found.append(Candidate("gestore", appointment.gestore_id, gestore_name(appointment.gestore),
                               KINDS["gestore"], _tax_code(registrant.codice_fiscale) if registrant else "",
                               addresses))
    found += [Candidate("parte", p.id, p.name, PARTY_ROLES.get(p.role, KINDS["parte"]),
                        _tax_code(p.codice_fiscale, p.partita_iva), {"pec": p.pec, "email": p.email},
                        party_role=p.role)
              for p in dossier.parties]
    found += [Candidate("creditore", c.id, c.name, KINDS["creditore"], _tax_code(c.codice_fiscale, c.partita_iva),
                        {"pec": c.pec, "email": c.email, "postale": c.address})
              for c in dossier.creditors]
    found += [Candidate("ufficio", o.id, o.name, OFFICE_KINDS.get(o.kind, KINDS["ufficio"]), "",
                        {"pec": o.pec, "email": o.email}, suggested=_office_fits(o, dossier))
              for o in offices(db)]
    return found


DEMO_OFFICES = (
    ("riscossione", "Agenzia delle Entrate-Riscossione", "protocollo@pec.agenziariscossione.gov.it", "", ""),
    ("entrate", "Agenzia delle Entrate – Direzione provinciale I di Milano", "dp.1milano@pce.agenziaentrate.it",
     "MI", ""),
    ("comune", "Comune di Milano – Area entrate", "entrate@postacert.comune.milano.it", "MI", "Milano"),
)


def load_demo_offices(db, tenant) -> None:
    """The tax offices of the demo Order (in Milano); nothing when it already has some."""
    if db.scalar(select(TaxOffice.id).limit(1)) is not None:
        return
    db.add_all(TaxOffice(tenant_id=tenant.id, kind=kind, name=name, pec=pec, province=province, city=city)
               for kind, name, pec, province, city in DEMO_OFFICES)
    db.flush()
