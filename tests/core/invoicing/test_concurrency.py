"""Two pages at work on one draft: a double click on «Emetti», a delete or an edit from a page loaded before
the invoice was issued. Whoever comes second sees what the first did: one number, no gap, and an issued
invoice is never deleted nor changed."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from occ_core.errors import UserError
from occ_core.invoicing import services
from occ_core.invoicing.models import Invoice, InvoiceCounter, TransmissionCounter


def attempt(env_of, order, invoice_id, operation, loaded=None, between=None):
    """``operation`` on the invoice as a page loaded it: after ``loaded`` (a barrier both pages wait at), or
    with ``between`` run and committed in another transaction once it was loaded. The outcome: "done" or the
    refusal's message, the transaction rolled back."""
    try:
        with env_of(order) as env:
            invoice = env.dbsession.get(Invoice, invoice_id)
            invoice.lines  # noqa: B018  (the page showed them)
            if loaded is not None:
                loaded.wait(timeout=30)
            if between is not None:
                between()
            operation(env, invoice)
        return "done"
    except UserError as error:
        return error.message


def counters(dbtx):
    with dbtx() as db:
        return [db.scalar(select(model.last_number)) for model in (InvoiceCounter, TransmissionCounter)]


def at_once(dbtx, env_of, order, invoice_id, *operations):
    """The operations in threads, each in its own transaction, all past loading the invoice before any acts.
    SQLite has no row locks and one writer at a time: there the first runs, and commits, while the second
    holds the invoice as it loaded it, which is the same race."""
    with dbtx() as db:
        postgresql = db.get_bind().dialect.name == "postgresql"
    if not postgresql:
        first, second = operations
        outcomes = []

        def run_first():
            outcomes.append(attempt(env_of, order, invoice_id, first))

        outcomes.append(attempt(env_of, order, invoice_id, second, between=run_first))
        return outcomes
    loaded = threading.Barrier(len(operations))
    with ThreadPoolExecutor(max_workers=len(operations)) as pool:
        futures = [pool.submit(attempt, env_of, order, invoice_id, operation, loaded) for operation in operations]
        return [future.result(timeout=60) for future in futures]


def test_a_double_click_on_issue_numbers_the_invoice_once(order, draft, env_of, dbtx, load):
    invoice_id = draft("advance")
    outcomes = at_once(dbtx, env_of, order, invoice_id, services.issue, services.issue)
    assert sorted(outcomes) == sorted(["done", services.FROZEN])
    invoice = load(invoice_id)
    assert (invoice.status, invoice.number, invoice.transmission_number) == ("issued", 1, 1)
    assert counters(dbtx) == [1, 1]  # no number skipped


def test_delete_and_issue_at_the_same_time(order, draft, env_of, dbtx, load):
    invoice_id = draft("advance")
    issued, deleted = at_once(dbtx, env_of, order, invoice_id, services.issue, services.delete_draft)
    if issued == "done":
        assert deleted == services.FROZEN
        assert (load(invoice_id).status, load(invoice_id).number) == ("issued", 1)
    else:  # the delete locked the row first: the issue finds nothing and takes no number
        assert (issued, deleted) == (services.GONE, "done")
        assert counters(dbtx) == [None, None]


def test_a_stale_page_cannot_delete_the_issued_invoice(order, draft, env_of, load, snapshot):
    invoice_id = draft("advance")

    def issue_meanwhile():
        with env_of(order) as env:
            services.issue(env, env.dbsession.get(Invoice, invoice_id))

    outcome = attempt(env_of, order, invoice_id, services.delete_draft, between=issue_meanwhile)
    assert outcome == services.FROZEN
    invoice = load(invoice_id)
    assert (invoice.status, invoice.number, len(invoice.lines)) == ("issued", 1, 1)


@pytest.mark.parametrize("operation", [
    lambda env, i: services.add_line(env, i, {"description": "Altro", "unit_price": "1"}),
    lambda env, i: services.update_line(env, i, i.lines[0].id, {"description": "Altro", "unit_price": "1"}),
    lambda env, i: services.remove_line(env, i, i.lines[0].id),
    lambda env, i: services.update_header(env, i, {"customer_last_name": "Verdi"}),
    services.issue,
], ids=["add_line", "update_line", "remove_line", "update_header", "issue"])
def test_a_stale_page_cannot_change_the_issued_invoice(order, draft, env_of, issue, snapshot, operation):
    invoice_id = draft("advance")
    before = []

    def issue_meanwhile():
        issue(invoice_id)
        before.append(snapshot())

    assert attempt(env_of, order, invoice_id, operation, between=issue_meanwhile) == services.FROZEN
    assert snapshot() == before[0]


def test_an_edit_from_a_stale_page_of_a_deleted_draft_is_refused(order, draft, env_of, dbtx):
    invoice_id = draft("advance")

    def delete_meanwhile():
        with env_of(order) as env:
            services.delete_draft(env, env.dbsession.get(Invoice, invoice_id))

    outcome = attempt(env_of, order, invoice_id, lambda env, i: services.add_line(
        env, i, {"description": "Altro", "unit_price": "1"}), between=delete_meanwhile)
    assert outcome == services.GONE
    with dbtx(order) as db:
        assert db.scalars(select(Invoice)).all() == []
