"""The Order's criteria for proposing a gestore (tenant.preferences["appointment_policy"]).

The referente distributes assignments equitably, considering the nature and importance of the matter
(DM 202/2014 art. 10 co. 2): each Order combines rotation (raw or weighted by importance), competence,
workload, territory and a random draw as its own regulation says."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from occ_core.errors import UserError
from occ_core.web.forms import parse_money

PREFERENCE = "appointment_policy"
ROTATION = {
    "weighted": "Meno incarichi, pesati per importanza della pratica",
    "raw": "Meno incarichi (conteggio semplice)",
    "off": "Non applicata",
}
MODES = {
    "preferred": "Preferenza: a parità di altri criteri viene prima chi lo soddisfa",
    "required": "Requisito: chi non lo soddisfa non viene proposto",
    "off": "Non applicato",
}
DRAW = {
    "off": "Nessun sorteggio: si propone il primo in graduatoria",
    "top": "Sorteggio tra i primi in graduatoria",
    "all": "Sorteggio tra tutti i gestori idonei",
}
MAX_WEIGHT = Decimal("100")
CENT = Decimal("0.01")  # weights are stored as NUMERIC(6,2)
WEIGHT = re.compile(r"\d{1,3}([.,]\d{1,2})?")


@dataclass(frozen=True)
class Policy:
    rotation: str = "weighted"
    # Months of appointments the rotation counts (0: all of them).
    rotation_months: int = 0
    # Off by default: as preferences they rank before the rotation, so the Order turns them on knowingly.
    competence: str = "off"
    territory: str = "off"
    workload: bool = True
    # At most this many open dossiers per gestore (0: no limit).
    max_open: int = 0
    draw: str = "off"
    draw_size: int = 3
    # Importance weight: a passivo bracket's weight plus a creditor-count bracket's weight.
    # Brackets are (upper limit included, weight); above the last limit the "over" weight applies.
    passivo_brackets: tuple = field(default=(
        (Decimal("50000.00"), Decimal("1")), (Decimal("150000.00"), Decimal("1.5")),
        (Decimal("500000.00"), Decimal("2"))))
    passivo_over: Decimal = Decimal("3")
    creditor_brackets: tuple = field(default=((Decimal("10"), Decimal("0")), (Decimal("25"), Decimal("0.5"))))
    creditor_over: Decimal = Decimal("1")

    def weight(self, passivo: Decimal | None, creditor_count: int) -> Decimal:
        return (_bracket(self.passivo_brackets, self.passivo_over, passivo or Decimal("0"))
                + _bracket(self.creditor_brackets, self.creditor_over, Decimal(creditor_count or 0))).quantize(CENT)

    @property
    def max_weight(self) -> Decimal:
        return (max([w for _l, w in self.passivo_brackets] + [self.passivo_over])
                + max([w for _l, w in self.creditor_brackets] + [self.creditor_over]))

    def as_preference(self) -> dict:
        """JSON-safe: numbers as strings, so the stored policy and its log entry have no floats."""
        data = asdict(self)
        for key in ("passivo_brackets", "creditor_brackets"):
            data[key] = [[str(limit), str(weight)] for limit, weight in data[key]]
        for key in ("passivo_over", "creditor_over"):
            data[key] = str(data[key])
        return data


def _bracket(brackets, over: Decimal, value: Decimal) -> Decimal:
    for limit, weight in brackets:
        if value <= limit:
            return weight
    return over


def policy_of(tenant) -> Policy:
    stored = (tenant.preferences or {}).get(PREFERENCE) or {}
    default = Policy()
    try:
        values = {key: stored.get(key, getattr(default, key)) for key in
                  ("rotation", "rotation_months", "competence", "territory", "workload", "max_open", "draw",
                   "draw_size")}
        for key in ("passivo_brackets", "creditor_brackets"):
            values[key] = tuple((Decimal(limit), Decimal(weight)) for limit, weight in stored[key]) \
                if key in stored else getattr(default, key)
        for key in ("passivo_over", "creditor_over"):
            values[key] = Decimal(stored[key]) if key in stored else getattr(default, key)
    except (ArithmeticError, TypeError, ValueError):
        values = None
    policy = Policy(**values) if values is not None else default
    sound = (policy.rotation in ROTATION and policy.competence in MODES and policy.territory in MODES
             and policy.draw in DRAW and isinstance(policy.workload, bool)
             and all(isinstance(n, int) and n >= 0 for n in (policy.rotation_months, policy.max_open))
             and isinstance(policy.draw_size, int) and policy.draw_size >= 1)
    # A preference edited by hand into nonsense must not stop appointments: the defaults apply.
    return policy if sound else default


def describe(policy: Policy) -> list[tuple[str, str]]:
    draw = DRAW[policy.draw] + (f" ({policy.draw_size})" if policy.draw == "top" else "")
    months = f", ultimi {policy.rotation_months} mesi" if policy.rotation_months else ""
    return [
        ("Rotazione", ROTATION[policy.rotation] + (months if policy.rotation != "off" else "")),
        ("Competenza (specializzazione nella procedura)", MODES[policy.competence]),
        ("Territorio (circondario del tribunale)", MODES[policy.territory]),
        ("Carico di lavoro (pratiche aperte)", ("A parità di rotazione viene prima chi ha meno pratiche aperte"
                                                if policy.workload else "Non considerato")
         + (f"; al massimo {policy.max_open} pratiche aperte" if policy.max_open else "")),
        ("Sorteggio", draw),
    ]


# --- the settings form -------------------------------------------------------------------------------

def _choice(value: str, options: dict, label: str) -> str:
    if value not in options:
        raise UserError(f"{label}: scelta non valida.", field=label)
    return value


def _integer(text: str, label: str, low: int, high: int) -> int:
    text = (text or "").strip() or "0"
    if not text.isdecimal() or not low <= int(text) <= high:
        raise UserError(f"{label}: indicare un numero intero da {low} a {high}.", field=label)
    return int(text)


def parse_weight(text: str, label: str) -> Decimal:
    text = (text or "").strip()
    if not WEIGHT.fullmatch(text) or Decimal(text.replace(",", ".")) > MAX_WEIGHT:
        raise UserError(f"{label}: indicare un peso da 0 a 100, con al massimo due decimali (esempio: 1,5).",
                        field=label)
    return Decimal(text.replace(",", "."))


def _brackets(rows, label: str, parse_limit) -> tuple:
    brackets = []
    for number, (limit_text, weight_text) in enumerate(rows, start=1):
        if not (limit_text or "").strip() and not (weight_text or "").strip():
            continue
        row_label = f"{label}, riga {number}"
        limit = parse_limit((limit_text or "").strip(), row_label)
        if limit is None:
            raise UserError(f"{row_label}: manca il limite.", field=label)
        weight = parse_weight(weight_text, row_label)
        if brackets and limit <= brackets[-1][0]:
            raise UserError(f"{label}: i limiti devono essere in ordine crescente.", field=label)
        brackets.append((limit, weight))
    return tuple(brackets)


def _count_limit(text: str, label: str) -> Decimal | None:
    return Decimal(_integer(text, label, 0, 100000)) if text else None


def _money_limit(text: str, label: str) -> Decimal | None:
    amount = parse_money(text, label)
    if amount is not None and amount < 0:
        raise UserError(f"{label}: il limite non può essere negativo.", field=label)
    return amount


def parse_form(value, values) -> Policy:
    """The policy posted by the settings form; ``value(name)`` and ``values(name)`` read its fields."""
    return Policy(
        rotation=_choice(value("rotation"), ROTATION, "Rotazione"),
        rotation_months=_integer(value("rotation_months"), "Periodo della rotazione (mesi)", 0, 240),
        competence=_choice(value("competence"), MODES, "Competenza"),
        territory=_choice(value("territory"), MODES, "Territorio"),
        workload=value("workload") == "1",
        max_open=_integer(value("max_open"), "Numero massimo di pratiche aperte", 0, 999),
        draw=_choice(value("draw"), DRAW, "Sorteggio"),
        draw_size=_integer(value("draw_size"), "Numero di gestori tra cui sorteggiare", 2, 50),
        passivo_brackets=_brackets(zip(values("passivo_limit"), values("passivo_weight")),
                                   "Scaglioni del passivo", _money_limit),
        passivo_over=parse_weight(value("passivo_over"), "Peso oltre l'ultimo scaglione del passivo"),
        creditor_brackets=_brackets(zip(values("creditor_limit"), values("creditor_weight")),
                                    "Scaglioni del numero di creditori", _count_limit),
        creditor_over=parse_weight(value("creditor_over"), "Peso oltre l'ultimo scaglione dei creditori"),
    )
