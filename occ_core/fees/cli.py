"""``occ preventivo``: the fee estimate from the command line. With ``--json`` it prints the JSON of the API;
with ``--tenant SLUG`` too it takes that Order's defaults, as its API does, so the two answers are equal."""
from __future__ import annotations

import json

import click

from occ_core.errors import UserError

VALUE_LABELS = (("minimo", "Minimo"), ("medio", "Medio"), ("massimo", "Massimo"))
ROWS = (("base", "Compenso secondo gli scaglioni"), ("reduced", "Ridotto (art. 16 co. 4)"),
        ("halved", "Dimezzato (incapiente)"), ("compenso", "Compenso"), ("general_expenses", "Spese generali"),
        ("fee", "Compenso e spese generali"), ("expenses", "Spese documentate"), ("vat", "IVA"),
        ("total", "Totale"))


def euro(text) -> str:
    from decimal import Decimal

    from occ_core.web.ui import fmt_money

    return "—" if text is None else fmt_money(Decimal(text))


def table(body: dict) -> str:
    """The estimate as a readable Italian table."""
    lines = []
    for side in ("attivo", "passivo"):
        lines.append(f"{side.capitalize()}: scaglioni")
        for line in body[side]["brackets"]:
            lines.append(f"  {line['bracket']}  {euro(line['slice']):>18}  {line['min_percent']:>6} % – "
                         f"{line['max_percent']:>6} %  {euro(line['min_amount']):>16}  {euro(line['max_amount']):>16}")
        lines.append(f"  Totale {side}: {euro(body[side]['minimo'])} – {euro(body[side]['massimo'])}")
    values = body["values"]
    lines.append("")
    lines.append(f"{'':32}" + "".join(f"{label:>18}" for _, label in VALUE_LABELS))
    for key, label in ROWS:
        if key == "halved" and not body["inputs"]["incapiente"]:
            continue
        lines.append(f"{label:32}" + "".join(f"{euro(values[name][key]):>18}" for name, _ in VALUE_LABELS))
    lines.append("")
    lines.append(f"Limite art. 16 co. 5: {body['cap']['reason']}")
    if body["cap"]["capped"]:
        lines.append("Valori ridotti al limite: " + ", ".join(body["cap"]["capped"]))
    raised = [name for name, _ in VALUE_LABELS if values[name]["minimum_raised"]]
    if raised:
        lines.append("Valori portati al compenso minimo dell'Ordine: " + ", ".join(raised))
    lines.append(f"Regole di calcolo: {body['rules_version']}")
    return "\n".join(lines)


@click.command("preventivo")
@click.option("--attivo", required=True, help="Attivo in euro (1234.50 o 1.234,50)")
@click.option("--passivo", required=True, help="Passivo in euro")
@click.option("--riduzione", default=None,
              help="Una sola riduzione dell'art. 16 co. 4 (15-40) per minimo, medio e massimo")
@click.option("--intera-forbice", "whole_range", is_flag=True,
              help="L'intera forbice di legge: minimo ridotto del 40 %, massimo del 15 %")
@click.option("--spese-generali", "general_expenses", default=None, help="Spese generali in percentuale (10-15)")
@click.option("--incapiente", is_flag=True, help="Debitore incapiente: compenso dimezzato (art. 283 co. 6)")
@click.option("--attribuito", default=None, help="Totale attribuito ai creditori (limite dell'art. 16 co. 5)")
@click.option("--liquidazione", is_flag=True, help="Attivo realizzato e passivo accertato (art. 16 co. 1, art. 18)")
@click.option("--tenant", "slug", default=None, metavar="SLUG",
              help="Usa i valori predefiniti dell'Ordine SLUG (lettura e riduzione, spese generali, IVA delle sue "
                   "fatture, compenso minimo, arrotondamento): il risultato è quello dell'API dell'Ordine")
@click.option("--json", "as_json", is_flag=True, help="Stampa il risultato in JSON (come l'API)")
@click.pass_obj
def preventivo(env, attivo, passivo, riduzione, whole_range, general_expenses, incapiente, attribuito, liquidazione,
               slug, as_json):
    """Calcola il preventivo dei compensi (DM 202/2014).

    \b
    Senza --tenant valgono i valori predefiniti della piattaforma (una sola
    riduzione del 15 %, spese generali 12,5 %, IVA 22 %).
    Con --tenant SLUG valgono quelli dell'Ordine: il JSON è lo stesso che
    l'API dell'Ordine restituisce per gli stessi dati.
    --riduzione R: la lettura «una sola riduzione», del R %.
    --intera-forbice: la lettura «intera forbice di legge».
    Senza l'una né l'altra vale la lettura predefinita."""
    from occ_core.cli import fail

    if riduzione is not None and whole_range:
        fail("Indicare --riduzione oppure --intera-forbice, non entrambe.")
    reading = "single" if riduzione is not None else "range" if whole_range else None
    raw = {"attivo": attivo, "passivo": passivo, "reading": reading, "reduction_percent": riduzione,
           "general_expenses_percent": general_expenses, "incapiente": incapiente, "attributed": attribuito,
           "liquidation": liquidazione}
    try:
        body = estimate(raw, None) if slug is None else _for_order(env, slug, raw)
    except UserError as error:
        fail(error.message)
    click.echo(json.dumps(body, ensure_ascii=False, indent=2) if as_json else table(body))


def estimate(raw: dict, tenant) -> dict:
    from occ_core.fees import inputs

    return inputs.read(raw, tenant).result.as_json()


def _for_order(env, slug: str, raw: dict) -> dict:
    from occ_core.cli import tenant_or_fail

    with env.session() as db:
        return estimate(raw, tenant_or_fail(db, slug))
