"""The calculator, the dossier's «Preventivo» tab with its versions and printable copy, the Order's settings,
and who may do what."""
from decimal import Decimal

from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.fees.models import FeeEstimate
from occ_core.fees.preferences import preferences_of
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token

from .conftest import add_dossier


def test_calculator_page_and_fragment(testapp, order, as_role):
    as_role("consultazione")
    page = testapp.get("/milano/fees/calculator")
    form = page.forms["fee-form"]
    assert form.method.lower() == "get" and page.html.select_one("#fee-form")["hx-get"].endswith(
        "/milano/fees/calculator/result")
    assert page.html.select_one("#fee-values") is None
    # Without JavaScript: the form is submitted and the page shows the result.
    form["attivo"], form["passivo"], form["reduction_percent"] = "30.000", "100.000,00", "25"
    form["reading"] = "single"
    shown = form.submit()
    assert shown.html.select_one("#total-medio").text.strip() == "€ 4.136,85"
    assert [row.th.text for row in shown.html.select("#brackets-attivo tbody tr")] == ["a", "b", "c"]
    assert "€ 16.227,08" in shown.html.select_one("#brackets-attivo").text
    # The fragment htmx asks for as the user types.
    fragment = testapp.get("/milano/fees/calculator/result",
                           {"attivo": "30000", "passivo": "100000", "reading": "range"})
    assert fragment.html.select_one("#fee-result") is not None and "<html" not in fragment.text
    assert "€ 2.043,07" in fragment.html.select_one("#fee-values").text
    refused = testapp.get("/milano/fees/calculator/result", {"attivo": "-5", "passivo": "1"}, status=400)
    assert "Attivo: l'importo non può essere negativo." in refused.html.select_one("#result-error").text
    bad = testapp.get("/milano/fees/calculator", {"attivo": "molto", "passivo": "1"}, status=400)
    assert "Attivo: importo non valido" in bad.html.select_one("#form-error").text


def test_dossier_tab_saves_versions_and_prints(testapp, order, as_role, dbtx):
    as_role("referente")
    url = f"/milano/dossiers/{order.dossier_id}/fees"
    page = testapp.get(url)
    form = page.forms["fee-form"]
    assert (form["attivo"].value, form["passivo"].value) == ("30.000,00", "100.000,00")
    assert (form["reduction_percent"].value, form["general_expenses_percent"].value) == ("15", "12,5")
    assert page.html.select_one("#estimate-versions") is None
    assert page.html.select_one("label[for=expense_taxable_1]").text == "Spesa 2: Soggetta a IVA"
    form["reading"], form["reduction_percent"], form["proposed"] = "single", "25", "medio"
    form["expense_description_0"], form["expense_amount_0"] = "Contributo unificato", "98"
    saved = form.submit().follow()
    assert "Preventivo versione 1 salvato." in saved.text
    form = saved.forms["fee-form"]
    # The form shows again what was just saved, not the dossier's figures and the Order's defaults.
    assert (form["reduction_percent"].value, form["proposed"].value, form["reading"].value) == ("25", "medio", "single")
    assert (form["expense_description_0"].value, form["expense_amount_0"].value) == ("Contributo unificato", "98,00")
    form["proposed"], form["reading"] = "massimo", "range"
    saved = form.submit().follow()
    assert [row["id"] for row in saved.html.select("#estimate-versions tbody tr")] == ["estimate-2", "estimate-1"]
    with dbtx(order) as db:
        rows = db.scalars(select(FeeEstimate).order_by(FeeEstimate.version)).all()
        assert [(e.version, e.proposed) for e in rows] == [(1, "medio"), (2, "massimo")]
        assert rows[0].proposed_fee == Decimal("3390.86")
        assert rows[0].proposed_total == Decimal("3390.86") + Decimal("98.00") + Decimal("745.99")
        assert rows[0].inputs["expenses"] == [{"description": "Contributo unificato", "amount": "98.00",
                                               "taxable": False}]
        assert rows[1].result["values"]["massimo"]["compenso"] == "3937.61"
        assert db.scalar(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == "fees.estimate.saved")) == 2
    printed = saved.click(linkid="print-1")
    assert "Preventivo dei compensi – pratica 1/2025, versione 1" in printed.text
    assert "art. 10, comma 3, del D.M. 24 settembre 2014, n. 202" in printed.html.select_one("#art10").text
    assert "Una sola riduzione" in printed.html.select_one("#reading-used").text
    assert "€ 3.390,86" in printed.html.select_one("#proposed").text
    assert "Rossi Mario" in printed.html.select_one("#debtors").text
    assert "Il debitore, per presa visione e accettazione" in printed.text
    testapp.get(f"{url}/9/print", status=404)


def test_dossier_tab_prefills_liquidation_and_incapiente(testapp, order, as_role, dbtx):
    with dbtx(order) as db:
        liquidation = add_dossier(db, order, 2, "liquidazione_controllata")
        incapiente = add_dossier(db, order, 3, "esdebitazione_incapiente")
    as_role("segreteria")
    form = testapp.get(f"/milano/dossiers/{liquidation}/fees").forms["fee-form"]
    assert form["liquidation"].checked and not form["incapiente"].checked
    form = testapp.get(f"/milano/dossiers/{incapiente}/fees").forms["fee-form"]
    assert form["incapiente"].checked and form["attivo"].value == "0,00"


def test_bad_input_on_the_tab_saves_nothing(testapp, order, as_role, dbtx):
    as_role("segreteria")
    form = testapp.get(f"/milano/dossiers/{order.dossier_id}/fees").forms["fee-form"]
    form["reading"], form["reduction_percent"] = "single", "50"
    refused = form.submit(status=400)
    assert "Riduzione (art. 16 co. 4): indicare una percentuale tra 15 e 40." in refused.html.select_one(
        "#form-error").text
    assert refused.forms["fee-form"]["reduction_percent"].value == "50"
    with dbtx(order) as db:
        assert db.scalar(select(func.count()).select_from(FeeEstimate)) == 0


def test_permissions(testapp, order, as_role):
    url = f"/milano/dossiers/{order.dossier_id}/fees"
    assert "/login" in testapp.get("/milano/fees/calculator", status=302).location
    assert "/login" in testapp.get(url, status=302).location
    as_role("consultazione")
    page = testapp.get(url)
    assert page.html.select_one("#save-estimate") is None
    testapp.post(url, {"csrf_token": csrf_token(testapp), "attivo": "1", "passivo": "1"}, status=403)
    testapp.get("/milano/settings/fees", status=403)
    as_role("gestore")
    testapp.get("/milano/fees/calculator", status=403)


def test_settings_page(testapp, order, as_role, dbtx):
    as_role("amministratore")
    page = testapp.get("/milano/settings").click(linkid="fee-settings-link")
    assert "art. 16 co. 5" in page.text
    form = page.forms["fee-settings-form"]
    assert (form["general_expenses_percent"].value, form["start_fee"].value) == ("12,5", "200,00")
    form["reading"], form["general_expenses_percent"], form["minimum_fee"] = "range", "10", "1.000,00"
    form["gestore_percent"], form["high_cap_at_threshold"] = "70", True
    form["start_fee_vat_included"] = True
    form.submit().follow()
    with dbtx() as db:
        prefs = preferences_of(db.get(Tenant, order.id))
    assert (prefs.reading, prefs.general_expenses_percent, prefs.minimum_fee, prefs.gestore_percent) == (
        "range", Decimal("10.00"), Decimal("1000.00"), Decimal("70.00"))
    assert prefs.high_cap_at_threshold and prefs.start_fee_vat_included and not prefs.cap_exempt_at_threshold
    # The calculator now takes the Order's defaults.
    fragment = testapp.get("/milano/fees/calculator/result", {"attivo": "0", "passivo": "50000"})
    assert "minimo dell'Ordine" in fragment.text
    form = testapp.get("/milano/settings/fees").forms["fee-settings-form"]
    form["general_expenses_percent"] = "20"
    refused = form.submit(status=400)
    assert "Spese generali: indicare una percentuale tra 10 e 15." in refused.html.select_one("#form-error").text
    form = refused.forms["fee-settings-form"]
    form["general_expenses_percent"], form["start_fee"] = "12", "tanto"
    assert "Diritto di avvio: importo non valido" in form.submit(status=400).text
    with dbtx() as db:
        assert preferences_of(db.get(Tenant, order.id)) == prefs


def test_preferences_fall_back_to_defaults(order, dbtx):
    from occ_core.fees.preferences import FeePreferences

    with dbtx() as db:
        db.get(Tenant, order.id).preferences = {"fees": {"general_expenses_percent": "99", "reading": "range"}}
    with dbtx() as db:
        assert preferences_of(db.get(Tenant, order.id)) == FeePreferences()


def test_expenses_beyond_what_can_be_stored_are_refused_on_the_forms(testapp, order, as_role, dbtx):
    as_role("segreteria")
    rows = {f"expense_{part}_{n}": value for n in range(3)
            for part, value in (("description", f"Perizia {n}"), ("amount", "999.999.999.999,99"))}
    fragment = testapp.get("/milano/fees/calculator/result", {"attivo": "30000", "passivo": "100000", **rows},
                           status=400)
    assert "Spese documentate: il totale non può superare € 999.999.999.999,99." in fragment.html.select_one(
        "#result-error").text
    form = testapp.get(f"/milano/dossiers/{order.dossier_id}/fees").forms["fee-form"]
    form["expense_description_0"], form["expense_amount_0"] = "Perizia", "999.999.999.999,99"
    refused = form.submit(status=400)
    assert "Il totale del preventivo (€ 1.000.000.005.404,36) supera l'importo massimo registrabile" in \
        refused.html.select_one("#form-error").text
    with dbtx(order) as db:
        assert db.scalar(select(func.count()).select_from(FeeEstimate)) == 0


def test_the_preventivo_takes_the_iva_of_the_orders_invoices(testapp, order, as_role, dbtx):
    from occ_core.invoicing.preferences import InvoicingPreferences, save

    as_role("amministratore")
    page = testapp.get("/milano/settings/fees")
    assert "vat_rate" not in page.forms["fee-settings-form"].fields
    assert "IVA dei preventivi: 22 %" in page.html.select_one("#vat-note").text
    assert page.html.select_one("#vat-note a")["href"].endswith("/milano/settings/invoicing")
    fragment = testapp.get("/milano/fees/calculator/result", {"attivo": "30000", "passivo": "100000"})
    assert "IVA (22 %)" in fragment.text
    with dbtx() as db:
        save(db.get(Tenant, order.id), InvoicingPreferences(vat_rate=Decimal("0"), vat_nature="N4"))
    assert "IVA dei preventivi: 0 %" in testapp.get("/milano/settings/fees").html.select_one("#vat-note").text
    assert "IVA dei preventivi" in testapp.get("/milano/settings").html.select_one("#fee-settings-summary").text
    fragment = testapp.get("/milano/fees/calculator/result", {"attivo": "30000", "passivo": "100000"})
    assert "IVA (0 %)" in fragment.text
    assert fragment.html.select_one("#total-medio").text.strip() == "€ 3.842,98"  # compenso and spese generali


def test_ids_too_long_for_any_dossier_are_not_found(testapp, order, as_role):
    as_role("segreteria")
    huge = "9" * 30
    testapp.get(f"/milano/dossiers/{huge}/fees", status=404)
    testapp.post(f"/milano/dossiers/{huge}/fees", {"csrf_token": csrf_token(testapp)}, status=404)
    testapp.get(f"/milano/dossiers/{huge}/fees/1/print", status=404)
