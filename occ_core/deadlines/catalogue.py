"""The built-in deadline rules: occ-law.md section 3.7, D1-D20, as data.

D21 (the OCC's own permanence in the ministerial register) and D22 (the gestori's biennial training) concern
the OCC and its gestori, not a dossier: they are left out here (the gestori feature follows the training).
D16 holds two terms (the consents and, before them, the communication to the creditors): D16 and D16B.
Every term of a dossier counts from a dated act: a state the dossier reaches ("stato"), an agenda event of the
dossier ("evento", e.g. the hearing), a milestone entered on the dossier ("atto") or the end of another
rule's deadline ("scadenza", e.g. D5 runs from the end of D4)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from occ_core.deadlines.models import DeadlineRule

TRIGGER_KINDS = {
    "stato": "La pratica raggiunge uno stato",
    "evento": "Un evento della pratica in agenda",
    "atto": "Un atto registrato sulla pratica",
    "scadenza": "La scadenza di un'altra regola",
}
WHO = {
    "occ": "OCC",
    "gestore": "Gestore",
    "debitore": "Debitore",
    "creditori": "Creditori",
    "tribunale": "Tribunale",
    "liquidatore": "Liquidatore",
    "uffici": "Uffici fiscali e agente della riscossione",
}
DIRECTIONS = {"avanti": "Dopo l'atto", "ritroso": "Prima dell'atto (a ritroso)"}
KINDS = {"entro": "Entro (l'atto va compiuto entro la data)", "dal": "Dal (l'atto è possibile dalla data)"}
UNITS = {"giorni": "giorni", "mesi": "mesi", "anni": "anni"}
# Agenda event kinds that can start a term.
EVENT_KINDS = {"udienza": "Udienza"}
# Dated acts entered on the dossier that start built-in terms and are not a state of its procedure.
MILESTONES = {
    "NOTIFICA_UFFICI": "Notifica all'agente della riscossione e agli uffici fiscali",
    "COMUNICAZIONE_SENTENZA": "Comunicazione della sentenza al liquidatore",
    "RICHIESTA_ATTESTAZIONE": "Richiesta di attestazione dell'assenza di attivo",
}

CCII_EARLY = ("ristrutturazione_consumatore", "concordato_minore")
L3_ALL = ("accordo_composizione", "piano_consumatore", "liquidazione_patrimonio")


@dataclass(frozen=True)
class BuiltinRule:
    code: str
    label: str
    procedures: tuple
    trigger_kind: str
    trigger: str
    amount: int
    who: str
    source: str
    unit: str = "giorni"
    direction: str = "avanti"
    kind: str = "entro"
    outside_hearing: bool = True
    recurring: bool = False
    notes: str = ""

    def values(self) -> dict:
        return {**asdict(self), "procedures": list(self.procedures)}


BUILTIN = (
    BuiltinRule("D1", "Notifica all'agente della riscossione e agli uffici fiscali", CCII_EARLY, "stato",
                "INCARICO_CONFERITO", 7, "occ", "artt. 68 co. 4 e 76 co. 4 D.Lgs. 14/2019"),
    BuiltinRule("D2", "Risposta degli uffici fiscali e dell'agente della riscossione", CCII_EARLY, "atto",
                "NOTIFICA_UFFICI", 15, "uffici", "artt. 68 co. 4 e 76 co. 4 D.Lgs. 14/2019"),
    BuiltinRule("D3", "Comunicazione della proposta e del decreto a tutti i creditori",
                ("ristrutturazione_consumatore",), "stato", "DECRETO_AMMISSIBILITA", 30, "occ",
                "art. 70 co. 1 D.Lgs. 14/2019"),
    BuiltinRule("D4", "Osservazioni dei creditori", ("ristrutturazione_consumatore",), "stato",
                "COMUNICAZIONE_CREDITORI", 20, "creditori", "art. 70 co. 3 D.Lgs. 14/2019"),
    BuiltinRule("D5", "Relazione dell'OCC al giudice dopo le osservazioni", ("ristrutturazione_consumatore",),
                "scadenza", "D4", 10, "occ", "art. 70 co. 6 D.Lgs. 14/2019"),
    BuiltinRule("D6", "Relazione semestrale al giudice sull'esecuzione del piano", CCII_EARLY, "stato",
                "OMOLOGATO", 6, "occ", "art. 71 co. 1 D.Lgs. 14/2019", unit="mesi", recurring=True,
                notes="Si ripete ogni sei mesi: la successiva è creata quando la precedente è segnata come fatta."),
    BuiltinRule("D7", "Adesioni o contestazioni dei creditori alla proposta", ("concordato_minore",), "stato",
                "DECRETO_APERTURA", 30, "creditori", "art. 78 co. 2 lett. c D.Lgs. 14/2019",
                notes="Termine fissato dal giudice, al massimo 30 giorni: se il decreto ne indica uno più breve, "
                      "lo inserisca come scadenza manuale."),
    BuiltinRule("D8", "Deposito delle scritture contabili e dell'elenco dei creditori",
                ("liquidazione_controllata",), "stato", "SENTENZA_APERTURA", 7, "debitore",
                "art. 270 D.Lgs. 14/2019"),
    BuiltinRule("D9", "Aggiornamento dell'elenco dei creditori e notifica della sentenza",
                ("liquidazione_controllata",), "atto", "COMUNICAZIONE_SENTENZA", 30, "liquidatore",
                "art. 272 co. 1 D.Lgs. 14/2019"),
    BuiltinRule("D10", "Domande di ammissione al passivo", ("liquidazione_controllata",), "stato",
                "SENTENZA_APERTURA", 60, "creditori", "art. 270 co. 2 lett. d e art. 272 co. 1 D.Lgs. 14/2019",
                notes="Al massimo 60 giorni, prorogabili di 30: il termine effettivo è quello della sentenza."),
    BuiltinRule("D11", "Inventario e programma di liquidazione", ("liquidazione_controllata",), "stato",
                "SENTENZA_APERTURA", 90, "liquidatore", "art. 272 co. 2 D.Lgs. 14/2019"),
    BuiltinRule("D12", "Esdebitazione", ("liquidazione_controllata",), "stato", "SENTENZA_APERTURA", 3,
                "tribunale", "art. 282 D.Lgs. 14/2019", unit="anni", kind="dal",
                notes="Dopo tre anni dall'apertura, o prima se la procedura si chiude prima."),
    BuiltinRule("D13", "Attestazione dell'OCC sull'assenza di attivo", ("liquidazione_controllata",), "atto",
                "RICHIESTA_ATTESTAZIONE", 60, "occ", "art. 268 co. 3 D.Lgs. 14/2019",
                notes="Nella liquidazione chiesta da un creditore."),
    BuiltinRule("D14", "Monitoraggio delle sopravvenienze rilevanti", ("esdebitazione_incapiente",), "stato",
                "DECRETO_ESDEBITAZIONE", 4, "occ", "art. 283 co. 1 D.Lgs. 14/2019", unit="anni",
                notes="Per quattro anni il debitore paga almeno il 10% se sopravvengono utilità rilevanti."),
    BuiltinRule("D15", "Udienza fissata dal giudice", ("accordo_composizione", "piano_consumatore"), "stato",
                "DEPOSITATO", 60, "tribunale", "artt. 10 e 12-bis L. 3/2012", outside_hearing=False,
                notes="Termine per il giudice: la data dell'udienza si inserisce in agenda."),
    BuiltinRule("D16", "Consensi dei creditori", ("accordo_composizione",), "evento", "udienza", 10,
                "creditori", "artt. 10-11 L. 3/2012", direction="ritroso",
                notes="Almeno 10 giorni prima dell'udienza."),
    BuiltinRule("D16B", "Comunicazione della proposta e del decreto ai creditori", ("accordo_composizione",),
                "scadenza", "D16", 30, "occ", "art. 10 co. 1 L. 3/2012", direction="ritroso",
                notes="Almeno 30 giorni prima del termine per i consensi."),
    BuiltinRule("D17", "Contestazioni dei creditori sulla relazione dei consensi", ("accordo_composizione",),
                "stato", "RELAZIONE_CONSENSI", 10, "creditori", "art. 12 L. 3/2012"),
    BuiltinRule("D18", "Trasmissione della proposta all'agente della riscossione e agli uffici fiscali", L3_ALL,
                "stato", "DEPOSITATO", 3, "occ", "art. 9 L. 3/2012"),
    BuiltinRule("D19", "Durata minima della liquidazione", ("liquidazione_patrimonio",), "stato", "DEPOSITATO",
                4, "tribunale", "art. 14-quinquies L. 3/2012", unit="anni", kind="dal",
                notes="La procedura resta aperta almeno quattro anni dal deposito della domanda."),
    BuiltinRule("D20", "Programma di liquidazione", ("liquidazione_patrimonio",), "stato", "INVENTARIO", 30,
                "liquidatore", "art. 14-novies L. 3/2012"),
)
BUILTIN_BY_CODE = {rule.code: rule for rule in BUILTIN}


def _missing(db: Session, tenant) -> list[BuiltinRule]:
    # Explicit tenant filter: at the Order's creation the session is not bound to it yet.
    present = set(db.scalars(select(DeadlineRule.code).where(DeadlineRule.tenant_id == tenant.id)))
    return [rule for rule in BUILTIN if rule.code not in present]


def ensure_rules(db: Session, tenant) -> int:
    """Add to ``tenant`` the built-in rules it lacks (never touching the ones it has, edited or not); gives
    how many were added. Safe to call at any time: a concurrent request adding the same rules wins, and this
    one then finds them there."""
    missing = _missing(db, tenant)
    if not missing:
        return 0
    try:
        with db.begin_nested():
            db.add_all(DeadlineRule(tenant_id=tenant.id, builtin=True, active=True, **rule.values())
                       for rule in missing)
    except IntegrityError:
        return 0
    return len(missing)


def restore(rule: DeadlineRule) -> None:
    """Bring a built-in rule back to the catalogue's values (and active)."""
    for key, value in BUILTIN_BY_CODE[rule.code].values().items():
        setattr(rule, key, value)
    rule.active = True


def milestone_kinds(db: Session) -> dict[str, str]:
    """The acts that can be recorded on a dossier: the built-in ones and those the Order's rules use."""
    own = db.scalars(select(DeadlineRule.trigger).where(DeadlineRule.trigger_kind == "atto",
                                                        DeadlineRule.active.is_(True)))
    return {**{code: code.replace("_", " ").capitalize() for code in own}, **MILESTONES}
