"""Procedure types, debtor categories and the legal sequence of states of each procedure.

The common OCC phase (occ-law.md 3.8 A) is the same for every procedure; after the filing in court each
procedure follows its own branch (3.8 B). Orders may rename states, never change the sequence."""
from __future__ import annotations

from dataclasses import dataclass, field

DEBTOR_CATEGORIES = {
    "consumatore": "Consumatore",
    "professionista": "Professionista",
    "imprenditore_minore": "Imprenditore minore",
    "imprenditore_agricolo": "Imprenditore agricolo",
    "startup_innovativa": "Start-up innovativa",
    "altro": "Altro debitore non soggetto a liquidazione giudiziale",
}

STATES = {
    # Common phase at the OCC.
    "ISTANZA_RICEVUTA": "Istanza ricevuta",
    "ISTRUTTORIA_SEGRETERIA": "Istruttoria della segreteria",
    "PREVENTIVO_EMESSO": "Preventivo emesso",
    "INCARICO_CONFERITO": "Incarico conferito",
    "GESTORE_NOMINATO": "Gestore nominato",
    "ISTRUTTORIA_GESTORE": "Istruttoria del gestore",
    "RELAZIONE_REDATTA": "Relazione redatta",
    "DEPOSITATO": "Depositato in tribunale",
    "ARCHIVIATA": "Archiviata",
    # Court phase.
    "DECRETO_AMMISSIBILITA": "Decreto di ammissibilità",
    "DECRETO_APERTURA": "Decreto di apertura",
    "SENTENZA_APERTURA": "Sentenza di apertura",
    "DECRETO_UDIENZA": "Decreto di fissazione dell'udienza",
    "COMUNICAZIONE_CREDITORI": "Comunicazione ai creditori",
    "OSSERVAZIONI": "Osservazioni dei creditori",
    "RELAZIONE_OCC_POST_OSSERVAZIONI": "Relazione dell'OCC dopo le osservazioni",
    "VOTAZIONE": "Votazione dei creditori",
    "RELAZIONE_ESITO_VOTO": "Relazione sull'esito del voto",
    "RACCOLTA_CONSENSI": "Raccolta dei consensi",
    "RELAZIONE_CONSENSI": "Relazione sui consensi",
    "UDIENZA": "Udienza",
    "ELENCO_CREDITORI_AGGIORNATO": "Elenco dei creditori aggiornato",
    "TERMINE_DOMANDE": "Termine per le domande di insinuazione",
    "INVENTARIO_E_PROGRAMMA": "Inventario e programma di liquidazione",
    "INVENTARIO": "Inventario",
    "PROGRAMMA": "Programma di liquidazione",
    "STATO_PASSIVO": "Stato passivo",
    "LIQUIDAZIONE": "Liquidazione",
    "LIQUIDAZIONE_IN_CORSO": "Liquidazione in corso",
    "RIPARTI": "Riparti",
    "RENDICONTO": "Rendiconto",
    "OMOLOGATO": "Omologato",
    "NON_OMOLOGATO": "Non omologato",
    "RIGETTATO": "Rigettato",
    "RIGETTO": "Rigetto",
    "INAMMISSIBILE": "Inammissibile",
    "ATTESTAZIONE_NESSUN_ATTIVO": "Attestazione di assenza di attivo",
    "DECRETO_ESDEBITAZIONE": "Decreto di esdebitazione",
    "MONITORAGGIO_SOPRAVVENIENZE": "Monitoraggio delle sopravvenienze",
    "IN_ESECUZIONE": "In esecuzione",
    "RELAZIONE_FINALE": "Relazione finale",
    "COMPENSO_LIQUIDATO": "Compenso liquidato",
    "CHIUSO_ESEGUITO": "Chiuso: piano eseguito",
    "CHIUSO": "Chiuso",
    "CHIUSA": "Chiusa",
    "CESSATO": "Cessato",
    "REVOCATO": "Revocato",
    "RISOLTO": "Risolto",
    "ESDEBITAZIONE": "Esdebitazione",
}

# The common phase: state -> states that may follow it.
COMMON_FLOW = {
    "ISTANZA_RICEVUTA": ("ISTRUTTORIA_SEGRETERIA", "ARCHIVIATA"),
    "ISTRUTTORIA_SEGRETERIA": ("PREVENTIVO_EMESSO", "ARCHIVIATA"),
    "PREVENTIVO_EMESSO": ("INCARICO_CONFERITO", "ARCHIVIATA"),
    "INCARICO_CONFERITO": ("GESTORE_NOMINATO", "ARCHIVIATA"),
    "GESTORE_NOMINATO": ("ISTRUTTORIA_GESTORE", "ARCHIVIATA"),
    "ISTRUTTORIA_GESTORE": ("RELAZIONE_REDATTA", "ARCHIVIATA"),
    "RELAZIONE_REDATTA": ("DEPOSITATO",),
}


@dataclass(frozen=True)
class Procedure:
    code: str
    label: str
    regime: str  # "ccii" (D.Lgs. 14/2019) | "l3" (L. 3/2012, older dossiers)
    reference: str
    # Court phase: state -> states that may follow it; a state with no successors is final.
    court_flow: dict = field(default_factory=dict)
    # Debtor categories the procedure is open to (empty: every category).
    categories: tuple = ()
    natural_persons_only: bool = False
    # The rule under which the OCC notifies the agente della riscossione and the tax offices (occ-law.md 3.1,
    # 3.3 and 3.6); empty where the law as recorded there gives none (liquidazione controllata, incapiente).
    tax_notice: str = ""

    @property
    def flow(self) -> dict:
        return {**COMMON_FLOW, **self.court_flow}


EXECUTION = {
    "OMOLOGATO": ("IN_ESECUZIONE", "REVOCATO"),
    "IN_ESECUZIONE": ("RELAZIONE_FINALE", "REVOCATO"),
    "RELAZIONE_FINALE": ("COMPENSO_LIQUIDATO",),
}

CCII = "D.Lgs. 12 gennaio 2019, n. 14"
# L. 3/2012 art. 9 co. 1: the OCC sends the proposal to the agente della riscossione and the tax offices.
L3_TAX_NOTICE = "art. 9, comma 1, della legge 27 gennaio 2012, n. 3"

PROCEDURES = {
    p.code: p
    for p in (
        Procedure(
            "ristrutturazione_consumatore", "Ristrutturazione dei debiti del consumatore", "ccii",
            "CCII artt. 67-73",
            {
                "DEPOSITATO": ("DECRETO_AMMISSIBILITA", "INAMMISSIBILE"),
                "DECRETO_AMMISSIBILITA": ("COMUNICAZIONE_CREDITORI",),
                "COMUNICAZIONE_CREDITORI": ("OSSERVAZIONI",),
                "OSSERVAZIONI": ("RELAZIONE_OCC_POST_OSSERVAZIONI",),
                "RELAZIONE_OCC_POST_OSSERVAZIONI": ("OMOLOGATO", "NON_OMOLOGATO"),
                **EXECUTION,
                "COMPENSO_LIQUIDATO": ("CHIUSO_ESEGUITO",),
            },
            categories=("consumatore",), tax_notice=f"art. 68, comma 4, del {CCII}",
        ),
        Procedure(
            "concordato_minore", "Concordato minore", "ccii", "CCII artt. 74-83",
            {
                "DEPOSITATO": ("DECRETO_APERTURA", "INAMMISSIBILE"),
                "DECRETO_APERTURA": ("COMUNICAZIONE_CREDITORI",),
                "COMUNICAZIONE_CREDITORI": ("VOTAZIONE",),
                "VOTAZIONE": ("RELAZIONE_ESITO_VOTO",),
                "RELAZIONE_ESITO_VOTO": ("OMOLOGATO", "NON_OMOLOGATO"),
                "OMOLOGATO": ("IN_ESECUZIONE", "REVOCATO"),
                "IN_ESECUZIONE": ("RELAZIONE_FINALE", "REVOCATO", "RISOLTO"),
                "RELAZIONE_FINALE": ("COMPENSO_LIQUIDATO",),
                "COMPENSO_LIQUIDATO": ("CHIUSO",),
            },
            categories=("professionista", "imprenditore_minore", "imprenditore_agricolo", "startup_innovativa",
                        "altro"),
            tax_notice=f"art. 76, comma 4, del {CCII}",
        ),
        Procedure(
            "liquidazione_controllata", "Liquidazione controllata", "ccii", "CCII artt. 268-277",
            {
                "DEPOSITATO": ("SENTENZA_APERTURA", "RIGETTO", "ATTESTAZIONE_NESSUN_ATTIVO"),
                "SENTENZA_APERTURA": ("ELENCO_CREDITORI_AGGIORNATO",),
                "ELENCO_CREDITORI_AGGIORNATO": ("TERMINE_DOMANDE",),
                "TERMINE_DOMANDE": ("INVENTARIO_E_PROGRAMMA",),
                "INVENTARIO_E_PROGRAMMA": ("STATO_PASSIVO",),
                "STATO_PASSIVO": ("LIQUIDAZIONE_IN_CORSO",),
                "LIQUIDAZIONE_IN_CORSO": ("RIPARTI",),
                "RIPARTI": ("RENDICONTO",),
                "RENDICONTO": ("CHIUSA",),
            },
        ),
        Procedure(
            "esdebitazione_incapiente", "Esdebitazione del sovraindebitato incapiente", "ccii", "CCII art. 283",
            {
                "DEPOSITATO": ("DECRETO_ESDEBITAZIONE", "RIGETTO"),
                "DECRETO_ESDEBITAZIONE": ("MONITORAGGIO_SOPRAVVENIENZE",),
                "MONITORAGGIO_SOPRAVVENIENZE": ("CHIUSO",),
            },
            natural_persons_only=True,
        ),
        Procedure(
            "accordo_composizione", "Accordo di composizione della crisi", "l3", "L. 3/2012 artt. 10-12",
            {
                "DEPOSITATO": ("DECRETO_UDIENZA",),
                "DECRETO_UDIENZA": ("RACCOLTA_CONSENSI",),
                "RACCOLTA_CONSENSI": ("RELAZIONE_CONSENSI",),
                "RELAZIONE_CONSENSI": ("OMOLOGATO", "RIGETTATO"),
                "OMOLOGATO": ("IN_ESECUZIONE",),
                "IN_ESECUZIONE": ("CHIUSO", "CESSATO", "REVOCATO"),
            },
            tax_notice=L3_TAX_NOTICE,
        ),
        Procedure(
            "piano_consumatore", "Piano del consumatore", "l3", "L. 3/2012 art. 12-bis",
            {
                "DEPOSITATO": ("DECRETO_UDIENZA",),
                "DECRETO_UDIENZA": ("UDIENZA",),
                "UDIENZA": ("OMOLOGATO", "RIGETTATO"),
                "OMOLOGATO": ("IN_ESECUZIONE",),
                "IN_ESECUZIONE": ("CHIUSO",),
            },
            categories=("consumatore",), tax_notice=L3_TAX_NOTICE,
        ),
        Procedure(
            "liquidazione_patrimonio", "Liquidazione del patrimonio", "l3", "L. 3/2012 artt. 14-ter ss.",
            {
                "DEPOSITATO": ("DECRETO_APERTURA", "RIGETTATO"),
                "DECRETO_APERTURA": ("INVENTARIO",),
                "INVENTARIO": ("PROGRAMMA",),
                "PROGRAMMA": ("LIQUIDAZIONE",),
                "LIQUIDAZIONE": ("CHIUSA",),
                "CHIUSA": ("ESDEBITAZIONE",),
            },
            tax_notice=L3_TAX_NOTICE,
        ),
    )
}

REGIMES = {"ccii": "Codice della crisi (D.Lgs. 14/2019)", "l3": "Legge 3/2012"}
INITIAL_STATE = "ISTANZA_RICEVUTA"
STATE_LABELS_PREFERENCE = "dossier_state_labels"


def next_states(procedure: str, state: str) -> tuple[str, ...]:
    return PROCEDURES[procedure].flow.get(state, ())


def is_final(procedure: str, state: str) -> bool:
    return not next_states(procedure, state)


def states_of(procedure: str) -> list[str]:
    """Every state a dossier of ``procedure`` can reach, in the order of the legal sequence."""
    flow = PROCEDURES[procedure].flow
    ordered, queue = [], [INITIAL_STATE]
    while queue:
        state = queue.pop(0)
        if state not in ordered:
            ordered.append(state)
            queue.extend(flow.get(state, ()))
    return ordered


def state_label(tenant, state: str) -> str:
    """The Order's own name for ``state`` if it renamed it, else the standard one."""
    renamed = ((tenant.preferences or {}).get(STATE_LABELS_PREFERENCE) or {}) if tenant is not None else {}
    return renamed.get(state) or STATES.get(state, state)


def procedure_label(code: str) -> str:
    procedure = PROCEDURES.get(code)
    return procedure.label if procedure else code
