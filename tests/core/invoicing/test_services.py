"""Drafts, totals and issue of every kind of invoice, each FatturaPA file validated against the official
schema (offline), the SdI rules that refuse an invoice, and the freezing of issued ones."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from occ_core.clock import ROME
from occ_core.dossiers.models import Dossier, Debtor
from occ_core.errors import UserError
from occ_core.fees.models import FeeEstimate
from occ_core.invoicing import fatturapa, services, settlement
from occ_core.invoicing.models import Invoice, InvoiceLine
from occ_core.tenants.models import Tenant

from .conftest import COMPANY, PARTITA_IVA, add_dossier, schema_errors

EXPENSE = {"category": "expense", "description": "Contributo unificato anticipato", "unit_price": "98,00",
           "vat_rate": "0"}


def parsed(invoice):
    assert schema_errors(invoice.xml) == []
    return etree.fromstring(invoice.xml)


def text(document, path):
    return document.findtext(path)


def today():
    return datetime.now(ROME).date()


def test_advance_to_a_consumer_with_pec(draft, issue, load):
    invoice = load(issue(draft("advance", amount="1000.00")))
    document = parsed(invoice)
    assert document.tag == "{http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2}FatturaElettronica"
    assert document.get("versione") == "FPR12"
    assert (invoice.status, invoice.year, invoice.number, invoice.issued_on) == ("issued", today().year, 1, today())
    assert invoice.xml_filename == f"IT{PARTITA_IVA}_00001.xml"
    assert text(document, ".//DatiTrasmissione/CodiceDestinatario") == "0000000"
    assert text(document, ".//DatiTrasmissione/PECDestinatario") == "mario.rossi@pec.example.it"
    assert text(document, ".//CessionarioCommittente/DatiAnagrafici/CodiceFiscale") == "RSSMRA80E17F205X"
    assert document.find(".//CessionarioCommittente//IdFiscaleIVA") is None
    assert text(document, ".//TipoDocumento") == "TD02"
    assert text(document, ".//ImportoTotaleDocumento") == "1220.00"
    assert (invoice.taxable_amount, invoice.vat_amount, invoice.total) == (
        Decimal("1000.00"), Decimal("220.00"), Decimal("1220.00"))
    assert document.find(".//DatiBollo") is None
    assert [e.tag for e in document.iter() if e.prefix or "}" in e.tag] == [document.tag]  # only the root


def test_consumer_without_pec(order, dbtx, draft, issue, load):
    with dbtx(order) as db:
        db.scalar(select(Debtor)).pec = ""
    document = parsed(load(issue(draft("advance"))))
    assert document.find(".//PECDestinatario") is None
    assert text(document, ".//CodiceDestinatario") == "0000000"


def test_business_customer(order, dbtx, draft, issue, load):
    with dbtx(order) as db:
        dossier_id = add_dossier(db, order, 2, COMPANY)
    invoice = load(issue(draft("advance", dossier_id=dossier_id, amount="500")))
    assert invoice.customer_kind == "business"
    document = parsed(invoice)
    assert text(document, ".//CessionarioCommittente//IdFiscaleIVA/IdCodice") == "07654320154"
    assert text(document, ".//CessionarioCommittente//Denominazione") == "Bianchi S.r.l."


@pytest.mark.parametrize("price, due", [("77,47", False), ("77,48", True)])
def test_bollo_virtuale_above_77_47(configure, draft, issue, load, price, due):
    configure(vat_rate=Decimal("0"), vat_nature="N4")
    invoice = load(issue(draft("advance", amount=price.replace(",", "."))))
    document = parsed(invoice)
    assert (document.find(".//DatiBollo") is not None) is due
    assert invoice.stamp_duty == (Decimal("2.00") if due else Decimal("0.00"))
    assert text(document, ".//DettaglioLinee/Natura") == "N4"


def test_bollo_recharged_as_a_line_and_n1_expenses(configure, draft, issue, load):
    configure(stamp_recharge=True)
    invoice = load(issue(draft("advance", amount="100", lines=[EXPENSE])))
    assert [(l.category, l.amount, l.vat_nature) for l in invoice.lines] == [
        ("fee", Decimal("100.00"), ""), ("expense", Decimal("98.00"), "N1"), ("stamp_recharge", Decimal("2.00"), "N1")]
    document = parsed(invoice)
    assert text(document, ".//DatiBollo/BolloVirtuale") == "SI"
    assert invoice.total == Decimal("222.00")  # 100 + 22 IVA + 98 + 2
    summaries = {(s.findtext("AliquotaIVA"), s.findtext("Natura")): s.findtext("ImponibileImporto")
                 for s in document.iter("DatiRiepilogo")}
    assert summaries == {("22.00", None): "100.00", ("0.00", "N1"): "100.00"}


def test_the_recharge_line_goes_when_the_bollo_is_no_longer_due(configure, env_of, order, draft, load):
    configure(stamp_recharge=True)
    invoice_id = draft("advance", amount="100", lines=[EXPENSE])
    with env_of(order) as env:
        invoice = env.dbsession.get(Invoice, invoice_id)
        expense = next(line for line in invoice.lines if line.category == "expense")
        services.update_line(env, invoice, expense.id, {**EXPENSE, "unit_price": "50"})
    assert [l.category for l in load(invoice_id).lines] == ["fee", "expense"]


def test_final_invoice_deducts_the_advances_once(order, dbtx, draft, issue, load):
    advance = load(issue(draft("advance", amount="1000")))
    with dbtx(order) as db:
        db.add(FeeEstimate(tenant_id=order.id, dossier_id=order.dossier_id, version=1, rules_version="t",
                           inputs={}, result={"values": {"medio": {"compenso": "3000.00",
                                                                   "general_expenses": "375.00"}}},
                           proposed="medio", proposed_fee=Decimal("3375.00"), proposed_total=Decimal("4117.50")))
    final = load(issue(draft("final")))
    assert [(l.category, l.amount, l.refers_to_invoice_id) for l in final.lines] == [
        ("fee", Decimal("3000.00"), None), ("general_expenses", Decimal("375.00"), None),
        ("advance_deduction", Decimal("-1000.00"), advance.id)]
    assert final.total == Decimal("2897.50")  # (3375 - 1000) * 1.22
    document = parsed(final)
    assert text(document, ".//TipoDocumento") == "TD01"
    assert text(document, ".//DatiFattureCollegate/IdDocumento") == f"1/{today().year}"
    assert text(document, ".//DatiFattureCollegate/RiferimentoNumeroLinea") == "3"
    again = load(draft("final"))
    assert [l.category for l in again.lines] == ["fee", "general_expenses"]


def test_invoice_proposes_the_start_fee_then_the_estimate(order, draft, issue, load):
    first = load(issue(draft("invoice")))
    assert [(l.category, l.amount) for l in first.lines] == [("start_fee", Decimal("200.00"))]
    parsed(first)
    assert load(draft("invoice")).lines == []  # no preventivo yet


def test_a_start_fee_recorded_as_a_movement_is_not_invoiced_again(env_of, order, draft, load):
    from occ_core.ledger.services import record_movement

    with env_of(order) as env:
        record_movement(env, dossier=env.dbsession.get(Dossier, order.dossier_id), on=today(), direction="entrata",
                        category="start_fee", description="Diritti di avvio", amount=Decimal("200.00"))
    assert load(draft("invoice")).lines == []  # straight to the preventivo, which there is not yet
    other = add_other_dossier(env_of, order)
    assert [l.category for l in load(draft("invoice", dossier_id=other)).lines] == ["start_fee"]


def add_other_dossier(env_of, order) -> int:
    with env_of(order) as env:
        return add_dossier(env.dbsession, env.tenant, number=2)


def test_credit_note_td04(draft, issue, load):
    corrected = load(issue(draft("advance", amount="1000")))
    note = load(issue(draft("credit_note", amount=None, corrects=corrected.id)))
    assert (note.corrects_id, note.number, note.total) == (corrected.id, 2, Decimal("1220.00"))
    document = parsed(note)
    assert text(document, ".//TipoDocumento") == "TD04"
    assert text(document, ".//DatiFattureCollegate/IdDocumento") == f"1/{today().year}"
    assert document.find(".//DatiPagamento") is None
    assert note.xml_filename.endswith("_00002.xml")


def test_cassa_and_ritenuta_when_the_customer_withholds(configure, order, dbtx, draft, issue, load):
    configure(pension_fund="TC22", pension_fund_rate=Decimal("4"), withholding="RT01",
              withholding_rate=Decimal("20"))
    with dbtx(order) as db:
        dossier_id = add_dossier(db, order, 2, COMPANY)
    invoice = load(issue(draft("advance", dossier_id=dossier_id, amount="1000", customer_withholds="1")))
    assert (invoice.pension_fund_amount, invoice.vat_amount, invoice.total, invoice.withholding_amount,
            invoice.amount_due) == (Decimal("40.00"), Decimal("228.80"), Decimal("1268.80"), Decimal("208.00"),
                                    Decimal("1060.80"))
    document = parsed(invoice)
    assert text(document, ".//DatiCassaPrevidenziale/TipoCassa") == "TC22"
    assert text(document, ".//DatiRitenuta/CausalePagamento") == "A"
    assert text(document, ".//DettaglioLinee/Ritenuta") == "SI"
    assert text(document, ".//ImportoPagamento") == "1060.80"
    without = load(draft("advance", dossier_id=dossier_id, amount="1000"))
    assert (without.withholding_amount, without.pension_fund_amount) == (Decimal("0.00"), Decimal("40.00"))


def problems_of(env_of, order, invoice_id):
    with pytest.raises(UserError) as refused:
        with env_of(order) as env:
            services.issue(env, env.dbsession.get(Invoice, invoice_id))
    return refused.value.message


def test_sdi_rules_refuse_and_change_nothing(order, dbtx, env_of, draft, snapshot):
    empty = draft("invoice", lines=())
    with dbtx(order) as db:
        for line in db.get(Invoice, empty).lines:
            db.delete(line)
    retired = draft("advance")
    with dbtx(order) as db:
        line = db.get(Invoice, retired).lines[0]
        line.vat_rate, line.vat_nature = Decimal("0.00"), "N2"
    wrong_cf = draft("advance", customer_tax_code="RSSMRA80E17F205Y")
    before = snapshot()
    assert "non ha righe" in problems_of(env_of, order, empty)
    assert "00445" in problems_of(env_of, order, retired)
    assert "codice fiscale manca o non è valido" in problems_of(env_of, order, wrong_cf)
    assert snapshot() == before


def test_the_order_needs_a_valid_partita_iva(order, dbtx, env_of, draft, snapshot):
    invoice_id = draft("advance")
    for value, message in (("", "Manca la partita IVA dell'Ordine"), ("01234560150", "non è valida")):
        with dbtx() as db:
            db.get(Tenant, order.id).partita_iva = value
        before = snapshot()
        assert message in problems_of(env_of, order, invoice_id)
        assert snapshot() == before


def test_lines_with_bad_values_are_refused(env_of, order, draft, snapshot):
    invoice_id = draft("advance")
    before = snapshot()
    for data, message in (({"description": "", "unit_price": "1"}, "obbligatorio"),
                          ({"description": "x", "unit_price": "abc"}, "importo non valido"),
                          ({"description": "x", "unit_price": "-5"}, "nota di credito"),
                          ({"description": "x", "unit_price": "5", "vat_rate": "0", "vat_nature": "N3"}, "00445"),
                          ({"description": "x", "unit_price": "5", "vat_rate": "0"}, "Natura"),
                          ({"description": "x", "unit_price": "5", "quantity": "0"}, "Quantità")):
        with pytest.raises(UserError, match=message):
            with env_of(order) as env:
                services.add_line(env, env.dbsession.get(Invoice, invoice_id), data)
    assert snapshot() == before


def test_an_issued_invoice_is_frozen(env_of, order, draft, issue, load, snapshot):
    invoice_id = issue(draft("advance"))
    before = snapshot()
    operations = (lambda env, i: services.add_line(env, i, {"description": "x", "unit_price": "1"}),
                  lambda env, i: services.update_line(env, i, i.lines[0].id, {"description": "y", "unit_price": "1"}),
                  lambda env, i: services.remove_line(env, i, i.lines[0].id),
                  lambda env, i: services.update_header(env, i, {"customer_last_name": "Verdi"}),
                  services.delete_draft, services.issue)
    for operation in operations:
        with pytest.raises(UserError, match="nota di credito"):
            with env_of(order) as env:
                operation(env, env.dbsession.get(Invoice, invoice_id))
    assert snapshot() == before


def test_a_draft_can_be_deleted(env_of, order, draft, dbtx):
    invoice_id = draft("advance")
    with env_of(order) as env:
        services.delete_draft(env, env.dbsession.get(Invoice, invoice_id))
    with dbtx(order) as db:
        assert db.get(Invoice, invoice_id) is None
        assert db.scalars(select(InvoiceLine)).all() == []


def test_payments_settle_the_invoice(env_of, order, draft, issue, load):
    invoice_id = issue(draft("advance", amount="1000"))
    with env_of(order) as env:
        invoice = env.dbsession.get(Invoice, invoice_id)
        assert settlement.position(env.dbsession, invoice).status == "unpaid"
        movement = services.record_payment(env, invoice, on=today(), amount=Decimal("500.00"), reference="CRO1")
        assert (movement.direction, movement.category, movement.invoice_id) == ("entrata", "advance", invoice_id)
        assert settlement.position(env.dbsession, invoice) == settlement.Position(
            due=Decimal("1220.00"), credited=Decimal("0.00"), collected=Decimal("500.00"),
            to_collect=Decimal("720.00"), to_refund=Decimal("0.00"), status="partial")
        services.record_payment(env, invoice, on=today(), amount=Decimal("720.00"))
        assert settlement.position(env.dbsession, invoice).status == "paid"
        assert settlement.still_to_collect(env.dbsession, [invoice]) == {invoice_id: Decimal("0.00")}


def test_start_fee_payments_are_filed_as_start_fee(env_of, order, draft, issue):
    invoice_id = issue(draft("invoice"))
    with env_of(order) as env:
        movement = services.record_payment(env, env.dbsession.get(Invoice, invoice_id), on=today(),
                                           amount=Decimal("244.00"))
        assert movement.category == "start_fee"


def test_the_issue_is_in_the_dossiers_history(order, draft, issue, dbtx):
    from occ_core.audit.models import AuditEntry

    invoice_id = issue(draft("advance"))
    with dbtx(order) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "invoice.issued"))
        assert (entry.object_type, entry.details["invoice_id"]) == ("Dossier", invoice_id)
        assert db.get(Dossier, order.dossier_id) is not None


def test_the_year_of_issue_is_romes(env_of, order, draft, load):
    invoice_id = draft("advance")
    new_year = datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc)  # 00:30 of 1 January 2026 in Rome
    with env_of(order) as env:
        services.issue(env, env.dbsession.get(Invoice, invoice_id), clock=lambda: new_year)
    invoice = load(invoice_id)
    assert (invoice.year, invoice.issued_on) == (2026, date(2026, 1, 1))


def test_descriptions_longer_than_1000_characters_are_refused():
    """The column holds 1000 characters, so the rule is checked on a line that never reached the database."""
    from occ_core.invoicing import sdi_rules

    def line(description):
        return InvoiceLine(description=description, quantity=Decimal("1.00"), unit_price=Decimal("1.00"),
                           amount=Decimal("1.00"), vat_rate=Decimal("22.00"), vat_nature="")

    assert sdi_rules.line_problems(1, line("x" * 1000)) == []
    assert sdi_rules.line_problems(1, line("x" * 1001)) == ["Riga 1: la descrizione supera i 1000 caratteri."]


def test_the_orders_own_texts_must_be_latin(order, dbtx, env_of, draft, snapshot):
    invoice_id = draft("advance")
    with dbtx() as db:
        row = db.get(Tenant, order.id)
        row.occ_name, row.address = "OCC dell\u2019Ordine di Milano", "Via Freguglia 1 \u2013 piano terra"
    before = snapshot()
    message = problems_of(env_of, order, invoice_id)
    assert "Ordine, denominazione: il carattere «\u2019» (U+2019)" in message and "con «'»" in message
    assert "Ordine, indirizzo: il carattere «\u2013» (U+2013)" in message and "parametri dell'Ordine" in message
    assert snapshot() == before


def test_the_customers_texts_name_the_character_to_replace(env_of, order, draft):
    invoice_id = draft("advance", customer_address="Via dell\u2019Orso 3", customer_city="Milano")
    assert "Cliente, indirizzo: il carattere «\u2019» (U+2019)" in problems_of(env_of, order, invoice_id)


def test_a_file_the_official_schema_refuses_is_not_issued(order, dbtx, env_of, draft, snapshot, registry, issue,
                                                           load):
    """A codice fiscale of the Order that no rule of ours checks: the schema's pattern catches it."""
    invoice_id = draft("advance")
    with dbtx() as db:
        db.get(Tenant, order.id).codice_fiscale = "ABC"
    before = snapshot()
    message = problems_of(env_of, order, invoice_id)
    assert "non rispetta lo schema ufficiale (CodiceFiscale:" in message
    assert snapshot() == before  # nothing numbered: the counters stay as they were
    registry.settings[fatturapa.SCHEMA_SETTING] = ""  # without the schema the same file goes out
    assert load(issue(invoice_id)).number == 1
    assert schema_errors(load(invoice_id).xml) != []


def test_the_schema_setting_comes_from_the_environment():
    from occ_core.settings import build_settings

    settings = build_settings({"occ.var_dir": "var", "occ.secret": "x"},
                              environ={"OCC_FATTURAPA_SCHEMA_DIR": "/srv/fatturapa"})
    assert settings[fatturapa.SCHEMA_SETTING] == "/srv/fatturapa"
    assert fatturapa.configured_schema({fatturapa.SCHEMA_SETTING: "/nowhere"}) is None


def test_no_line_bears_the_ritenuta_when_the_advances_cover_the_fee(configure, order, dbtx, draft, issue, load,
                                                                     estimate):
    """SdI error 00415: Ritenuta=SI on a line needs DatiRitenuta, which a base of zero leaves out."""
    configure(pension_fund="TC22", pension_fund_rate=Decimal("4"), withholding="RT01",
              withholding_rate=Decimal("20"))
    with dbtx(order) as db:
        dossier = db.get(Dossier, order.dossier_id)
        for debtor in db.scalars(select(Debtor).where(Debtor.dossier_id == dossier.id)):
            db.delete(debtor)
        db.flush()
        db.add(Debtor(tenant_id=order.id, dossier_id=dossier.id, position=0, **COMPANY))
    issue(draft("advance", amount="1000", customer_withholds="1"))
    estimate("1000.00")
    final = load(issue(draft("final", customer_withholds="1")))
    assert [(line.amount, line.withholding) for line in final.lines] == [
        (Decimal("1000.00"), False), (Decimal("-1000.00"), False)]
    document = parsed(final)
    assert document.find(".//DatiRitenuta") is None
    assert document.find(".//DettaglioLinee/Ritenuta") is None
    assert document.find(".//DatiCassaPrevidenziale/Ritenuta") is None
    assert final.withholding_amount == Decimal("0.00")


def test_invoices_are_numbered_in_date_order(env_of, order, draft, snapshot, load):
    first, second = draft("advance"), draft("advance")

    def at(day):
        return lambda: datetime(2026, 3, day, 10, 0, tzinfo=ROME)

    with env_of(order) as env:
        services.issue(env, env.dbsession.get(Invoice, first), clock=at(10))
    before = snapshot()
    with pytest.raises(UserError, match=r"datata 09/03/2026, prima dell'ultima fattura emessa nel 2026 \(del "
                                        r"10/03/2026\).*art\. 21"):
        with env_of(order) as env:
            services.issue(env, env.dbsession.get(Invoice, second), clock=at(9))
    assert snapshot() == before  # the number taken was given back
    with env_of(order) as env:
        services.issue(env, env.dbsession.get(Invoice, second), clock=at(10))
    assert (load(second).number, load(second).issued_on) == (2, date(2026, 3, 10))


def test_the_iban_of_a_draft_is_checked(env_of, order, draft, load):
    invoice_id = draft("advance")
    with pytest.raises(UserError, match="IBAN"):
        with env_of(order) as env:
            services.update_header(env, env.dbsession.get(Invoice, invoice_id), {"iban": "IT00X123"})
    with env_of(order) as env:
        services.update_header(env, env.dbsession.get(Invoice, invoice_id),
                               {"iban": "it60 x054 2811 1010 0000 0123 456"})
    assert load(invoice_id).iban == "IT60X0542811101000000123456"
