"""Credit notes: they carry no deduction of their own, together they never take off more than the invoice's
total, advances they cancel are not deducted again, and the invoices they correct count them as settled."""
from datetime import datetime
from decimal import Decimal

import pytest

from occ_core.clock import ROME
from occ_core.errors import UserError
from occ_core.invoicing import services, settlement
from occ_core.invoicing.models import Invoice
from occ_core.invoicing.settlement import Position

NONE = Decimal("0.00")


def today():
    return datetime.now(ROME).date()


def refusal(env_of, order, invoice_id) -> str:
    with pytest.raises(UserError) as refused:
        with env_of(order) as env:
            services.issue(env, env.dbsession.get(Invoice, invoice_id))
    return refused.value.message


def credit_note(env_of, order, draft, corrected_id, price=None) -> int:
    """A credit note's draft of ``corrected_id``, its first line brought to ``price`` when given."""
    note_id = draft("credit_note", amount=None, corrects=corrected_id)
    if price is not None:
        with env_of(order) as env:
            note = env.dbsession.get(Invoice, note_id)
            line = note.lines[0]
            services.update_line(env, note, line.id, {"description": line.description, "unit_price": price,
                                                      "vat_rate": str(line.vat_rate)})
    return note_id


def deductions(invoice):
    return [(line.amount, line.refers_to_invoice_id) for line in invoice.lines if line.category == "advance_deduction"]


def test_a_final_invoice_is_credited_and_a_new_one_deducts_the_advance_again(
        order, env_of, draft, issue, load, estimate):
    advance = issue(draft("advance", amount="1000"))
    estimate("3000.00", "375.00")
    final = issue(draft("final"))
    note = load(credit_note(env_of, order, draft, final))
    assert [line.refers_to_invoice_id for line in note.lines] == [None, None, None]
    assert load(issue(note.id)).total == Decimal("2897.50")
    again = load(issue(draft("final")))
    assert deductions(again) == [(Decimal("-1000.00"), advance)]


def test_drafts_deduct_nothing_until_issued(order, env_of, draft, issue, load, estimate):
    advance = issue(draft("advance", amount="1000"))
    estimate("3000.00")
    first, second = draft("final"), draft("final")
    assert deductions(load(first)) == deductions(load(second)) == [(Decimal("-1000.00"), advance)]
    issue(first)
    assert "già stato detratto" in refusal(env_of, order, second)


def test_an_invoice_is_not_credited_twice(order, env_of, draft, issue, snapshot):
    invoice = issue(draft("advance", amount="1000"))
    first, second = credit_note(env_of, order, draft, invoice), credit_note(env_of, order, draft, invoice)
    issue(first)
    before = snapshot()
    message = refusal(env_of, order, second)
    assert "supera quanto resta da stornare" in message and "€ 0,00" in message
    assert snapshot() == before
    with pytest.raises(UserError, match="già stornata per intero"):
        draft("credit_note", amount=None, corrects=invoice)


def test_partial_credit_notes_add_up_to_the_total_at_most(order, env_of, draft, issue, load):
    invoice = issue(draft("advance", amount="1000"))
    assert load(issue(credit_note(env_of, order, draft, invoice, "400"))).total == Decimal("488.00")
    rest = credit_note(env_of, order, draft, invoice)
    assert "€ 732,00" in refusal(env_of, order, rest)
    with env_of(order) as env:
        note = env.dbsession.get(Invoice, rest)
        services.update_line(env, note, note.lines[0].id, {"description": "Storno", "unit_price": "600"})
    assert load(issue(rest)).number == 3


def test_a_final_invoice_deducts_only_what_credit_notes_left_of_the_advances(
        order, env_of, draft, issue, load, estimate):
    whole = issue(draft("advance", amount="1000"))
    issue(credit_note(env_of, order, draft, whole))
    part = issue(draft("advance", amount="500"))
    issue(credit_note(env_of, order, draft, part, "200"))
    estimate("3000.00")
    final = load(draft("final"))
    assert deductions(final) == [(Decimal("-300.00"), part)]
    assert load(issue(final.id)).total == Decimal("3294.00")  # (3000 - 300) * 1.22


def test_a_deduction_larger_than_what_is_left_of_the_advance_is_refused(order, env_of, draft, issue, estimate,
                                                                       load):
    advance = issue(draft("advance", amount="1000"))
    estimate("3000.00")
    final = draft("final")
    issue(credit_note(env_of, order, draft, advance, "400"))
    assert "supera quanto ne resta dopo le note di credito (€ 600,00)" in refusal(env_of, order, final)
    issue(credit_note(env_of, order, draft, advance, "600"))
    assert "stornato per intero" in refusal(env_of, order, final)
    assert load(final).status == "draft"


def positions(env_of, order, *ids):
    with env_of(order) as env:
        invoices = [env.dbsession.get(Invoice, invoice_id) for invoice_id in ids]
        return settlement.positions(env.dbsession, invoices), settlement.still_to_collect(env.dbsession, invoices)


def pay(env_of, order, invoice_id, amount):
    with env_of(order) as env:
        services.record_payment(env, env.dbsession.get(Invoice, invoice_id), on=today(), amount=Decimal(amount))


def test_an_invoice_credited_in_full_is_stornata_and_owes_nothing(order, env_of, draft, issue):
    invoice = issue(draft("advance", amount="1000"))
    note = issue(credit_note(env_of, order, draft, invoice))
    found, to_collect = positions(env_of, order, invoice, note)
    assert found[invoice] == Position(due=Decimal("1220.00"), credited=Decimal("1220.00"), collected=NONE,
                                      to_collect=NONE, to_refund=NONE, status="credited")
    assert (found[note].status, found[note].to_refund) == ("", NONE)  # nothing was paid, nothing to give back
    assert to_collect == {invoice: NONE}


def test_what_was_paid_on_a_credited_invoice_is_refunded_by_its_credit_note(order, env_of, draft, issue):
    invoice = issue(draft("advance", amount="1000"))
    pay(env_of, order, invoice, "1220.00")
    note = issue(credit_note(env_of, order, draft, invoice))
    found, _ = positions(env_of, order, invoice, note)
    assert found[invoice].status == "credited"
    assert (found[note].status, found[note].to_refund) == ("refund_due", Decimal("1220.00"))
    pay(env_of, order, note, "1220.00")
    found, _ = positions(env_of, order, note)
    assert (found[note].status, found[note].collected, found[note].to_refund) == (
        "refunded", Decimal("1220.00"), NONE)


def test_a_partial_credit_note_lowers_what_is_to_collect(order, env_of, draft, issue):
    invoice = issue(draft("advance", amount="1000"))
    issue(credit_note(env_of, order, draft, invoice, "400"))
    found, to_collect = positions(env_of, order, invoice)
    assert (found[invoice].status, found[invoice].credited, to_collect) == (
        "unpaid", Decimal("488.00"), {invoice: Decimal("732.00")})
    pay(env_of, order, invoice, "732.00")
    found, to_collect = positions(env_of, order, invoice)
    assert (found[invoice].status, to_collect) == ("paid", {invoice: NONE})
