"""The default library: the OCC's ordinary forms, in Italian, one readable source per template
(``<code>.txt``, see ``occ_core.forms.builder``), made into ODT once per process."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from occ_core.forms.builder import build, parse

FOLDER = Path(__file__).parent
CODES = ("preventivo", "conferimento_incarico", "nomina_gestore", "accettazione_incarico", "dichiarazione_referente",
         "comunicazione_fisco", "comunicazione_creditori", "convocazione_incontro", "richiesta_integrazione",
         "ricevuta_protocollo")
# What a dossier must have for the form to make sense: name in the context -> what to do first.
REQUIREMENTS = {
    "preventivo": "salvi prima un preventivo nella scheda «Preventivo» della pratica",
    "gestore": "nomini prima il gestore della pratica",
    "incontro": "fissi prima l'incontro nell'agenda della pratica",
    "protocollo": "scelga la registrazione di protocollo nell'elenco «Registrazione di protocollo»",
}


@dataclass(frozen=True)
class Default:
    code: str
    title: str
    description: str
    category: str
    requires: tuple[str, ...]
    content: bytes


@lru_cache(maxsize=None)
def default(code: str) -> Default:
    source = parse((FOLDER / f"{code}.txt").read_text(encoding="utf-8"))
    meta = source.meta
    requires = tuple(name for name in meta.get("richiede", "").split() if name)
    return Default(code, meta["titolo"], meta["descrizione"], meta.get("categoria", "corrispondenza"), requires,
                   build(source))


def defaults() -> list[Default]:
    return [default(code) for code in CODES]
