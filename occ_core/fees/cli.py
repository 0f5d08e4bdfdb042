"""``occ preventivo``: the fee estimate from the command line, the same JSON as the API with ``--json``."""
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
              help="Riduzione dell'art. 16 co. 4 (15-40): una sola per minimo, medio e massimo; senza, si usa "
                   "l'intera forbice (minimo -40 %, massimo -15 %)")
@click.option("--spese-generali", "general_expenses", default=None, help="Spese generali in percentuale (10-15)")
@click.option("--incapiente", is_flag=True, help="Debitore incapiente: compenso dimezzato (art. 283 co. 6)")
@click.option("--attribuito", default=None, help="Totale attribuito ai creditori (limite dell'art. 16 co. 5)")
@click.option("--liquidazione", is_flag=True, help="Attivo realizzato e passivo accertato (art. 16 co. 1, art. 18)")
@click.option("--json", "as_json", is_flag=True, help="Stampa il risultato in JSON (come l'API)")
def preventivo(attivo, passivo, riduzione, general_expenses, incapiente, attribuito, liquidazione, as_json):
    """Calcola il preventivo dei compensi (DM 202/2014) con i valori predefiniti della piattaforma."""
    from occ_core.cli import fail
    from occ_core.fees import calculation, inputs
    from occ_core.fees.preferences import FeePreferences

    raw = {"attivo": attivo, "passivo": passivo, "reading": "single" if riduzione is not None else "range",
           "reduction_percent": riduzione, "general_expenses_percent": general_expenses,
           "incapiente": incapiente, "attributed": attribuito, "liquidation": liquidazione}
    try:
        body = calculation.calculate(inputs.read(raw, FeePreferences()).inputs).as_json()
    except UserError as error:
        fail(error.message)
    click.echo(json.dumps(body, ensure_ascii=False, indent=2) if as_json else table(body))
