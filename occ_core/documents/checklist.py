"""Document categories and the checklist of each procedure (occ-law.md 3.1-3.6 and 6).

The debtor's documents follow the law: CCII art. 67 co. 2 (ristrutturazione), art. 75 (concordato
minore), art. 269 with the courts' guidelines (liquidazione controllata), art. 283 co. 3 (incapiente),
L. 3/2012 art. 9 co. 2-3 and art. 14-ter co. 3 (older procedures). Every procedure also needs the OCC's
own papers up to the gestore's report: preventivo and incarico (DM 202 art. 10 co. 3), the gestore's
independence (art. 11 co. 3) and the referente's no-conflict declaration (art. 10 co. 2). Court papers
(ricorso, provvedimenti) and correspondence are filed but not required: not every OCC holds them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from occ_core.documents.models import Document, DocumentVersion


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    group: str


APPLICATION = "Istanza e documenti del debitore"
APPOINTMENT = "Preventivo, incarico e nomina del gestore"
REPORT = "Relazione e fase giudiziale"
OTHER = "Comunicazioni e altri documenti"

CATEGORIES = {c.code: c for c in (
    Category("istanza", "Istanza all'OCC", APPLICATION),
    Category("documento_identita", "Documento d'identità", APPLICATION),
    Category("codice_fiscale_doc", "Tessera del codice fiscale", APPLICATION),
    Category("certificato_stato_famiglia", "Certificato di stato di famiglia", APPLICATION),
    Category("elenco_creditori", "Elenco dei creditori con importi e cause di prelazione", APPLICATION),
    Category("inventario_beni", "Inventario dei beni (attivo)", APPLICATION),
    Category("atti_straordinari_5_anni", "Atti di straordinaria amministrazione degli ultimi 5 anni", APPLICATION),
    Category("dichiarazioni_redditi_3_anni", "Dichiarazioni dei redditi degli ultimi 3 anni", APPLICATION),
    Category("redditi_familiari", "Stipendi, pensioni e altre entrate del debitore e della famiglia", APPLICATION),
    Category("spese_familiari", "Spese correnti necessarie al sostentamento della famiglia", APPLICATION),
    Category("scritture_contabili", "Bilanci e scritture contabili degli ultimi 3 esercizi", APPLICATION),
    Category("proposta_piano", "Proposta e piano del debitore", APPLICATION),
    Category("preventivo", "Preventivo del compenso", APPOINTMENT),
    Category("incarico_firmato", "Conferimento dell'incarico firmato", APPOINTMENT),
    Category("dichiarazione_indipendenza", "Dichiarazione di indipendenza del gestore", APPOINTMENT),
    Category("dichiarazione_assenza_conflitto", "Dichiarazione del referente di assenza di conflitto d'interessi",
             APPOINTMENT),
    Category("relazione_gestore", "Relazione del gestore (OCC)", REPORT),
    Category("ricorso", "Ricorso / domanda al tribunale", REPORT),
    Category("provvedimento_tribunale", "Provvedimento del tribunale", REPORT),
    Category("comunicazione_creditori", "Comunicazione ai creditori", OTHER),
    Category("corrispondenza", "Corrispondenza", OTHER),
    Category("altro", "Altro", OTHER),
)}
GROUPS = (APPLICATION, APPOINTMENT, REPORT, OTHER)

# What every debtor files (art. 67 co. 2 / art. 283 co. 3 / L. 3 art. 9) and what the OCC itself produces.
DEBTOR_BASE = ("istanza", "documento_identita", "codice_fiscale_doc", "elenco_creditori",
               "atti_straordinari_5_anni", "dichiarazioni_redditi_3_anni", "redditi_familiari")
OCC_PAPERS = ("preventivo", "incarico_firmato", "dichiarazione_indipendenza", "dichiarazione_assenza_conflitto",
              "relazione_gestore")
# L. 3/2012 art. 9 co. 2 and art. 14-ter co. 3: family expenses with the household's certificate.
L3_FAMILY = ("inventario_beni", "spese_familiari", "certificato_stato_famiglia")

REQUIRED = {
    "ristrutturazione_consumatore": (*DEBTOR_BASE, "inventario_beni", "spese_familiari",
                                     "certificato_stato_famiglia", "proposta_piano", *OCC_PAPERS),
    "concordato_minore": (*DEBTOR_BASE, "inventario_beni", "scritture_contabili", "proposta_piano", *OCC_PAPERS),
    "liquidazione_controllata": (*DEBTOR_BASE, "inventario_beni", "spese_familiari", "certificato_stato_famiglia",
                                 *OCC_PAPERS),
    # The incapiente has nothing to list as assets, but the household sets the relevance test (art. 283 co. 2).
    "esdebitazione_incapiente": (*DEBTOR_BASE, "spese_familiari", "certificato_stato_famiglia", *OCC_PAPERS),
    "accordo_composizione": (*DEBTOR_BASE, *L3_FAMILY, "proposta_piano", *OCC_PAPERS),
    "piano_consumatore": (*DEBTOR_BASE, *L3_FAMILY, "proposta_piano", *OCC_PAPERS),
    "liquidazione_patrimonio": (*DEBTOR_BASE, *L3_FAMILY, *OCC_PAPERS),
}


def category_of(code: str) -> Category:
    """The category of ``code``; one no longer offered (renamed, or from an import) still shows, among the others."""
    return CATEGORIES.get(code) or Category(code, code, OTHER)


def category_label(code: str) -> str:
    return category_of(code).label


def in_checklist_order(codes) -> list[str]:
    known = list(CATEGORIES)
    return sorted(codes, key=lambda code: (known.index(code) if code in known else len(known), code))


def required_for(procedure: str) -> tuple[str, ...]:
    return REQUIRED.get(procedure, ())


class Completeness(NamedTuple):
    present: int
    required: int
    missing_labels: list[str]

    @classmethod
    def of(cls, items: list[tuple[Category, bool]]) -> "Completeness":
        missing = [category.label for category, present in items if not present]
        return cls(len(items) - len(missing), len(items), missing)

    @property
    def percent(self) -> int:
        return 100 if not self.required else round(100 * self.present / self.required)


def categories_on_file(db, dossier) -> set[str]:
    """Categories with at least one document in force (not withdrawn) that has content."""
    query = (select(Document.category).distinct()
             .join(DocumentVersion, DocumentVersion.document_id == Document.id)
             .where(Document.dossier_id == dossier.id, Document.withdrawn_at.is_(None)))
    return set(db.scalars(query))


def has_document(db, dossier, category: str) -> bool:
    """Whether the file holds a document in force of ``category`` (the lifecycle asks it for
    ``relazione_gestore`` before RELAZIONE_REDATTA)."""
    return category in categories_on_file(db, dossier)


def checklist_of(db, dossier) -> list[tuple[Category, bool]]:
    """Each required category of the dossier's procedure, in order, with whether it is on file."""
    on_file = categories_on_file(db, dossier)
    return [(CATEGORIES[code], code in on_file) for code in required_for(dossier.procedure)]


def missing_from_debtor(db, dossier) -> list[Category]:
    """What the debtor still has to file: the checklist's categories not on file, less the OCC's own papers
    (the OCC writes them; asking the debtor for them would be nonsense)."""
    return [category for category, present in checklist_of(db, dossier)
            if not present and category.code not in OCC_PAPERS]


def completeness(db, dossier) -> Completeness:
    """``(present, required, missing_labels)`` of the dossier's checklist, in the checklist's order."""
    return Completeness.of(checklist_of(db, dossier))
