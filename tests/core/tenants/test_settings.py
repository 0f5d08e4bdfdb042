"""The Order's settings page: parameters checked in Italian, logo checked by its content, every change audited."""
from html import unescape

import pytest
from webtest import Upload

from occ_core.testing.factories import csrf_token, login

VALID = {
    "name": "Ordine degli Avvocati di Milano",
    "occ_name": "OCC dell'Ordine degli Avvocati di Milano",
    "codice_fiscale": "80151430156",
    "partita_iva": "IT00743110157",
    "address": "Via Freguglia 1",
    "postal_code": "20122",
    "city": "Milano",
    "province": "mi",
    "email": "OCC@Ordine-Milano.it",
    "pec": "occ@pec.ordine-milano.it",
    "phone": "02 5492 0001",
    "ipa_code": "oaa_mi",
    "aoo_code": "AOO_OCC",
    "referente_name": "Avv. Maria Grazia Sala",
    "referente_email": "referente@ordine-milano.it",
}


def settings_form(testapp):
    return testapp.get("/milano/settings").forms["settings-form"]


def test_parameters_are_saved_normalised_and_audited(testapp, order, stored_tenant, audited):
    login(testapp, order.admin)
    form = settings_form(testapp)
    for name, value in VALID.items():
        form[name] = value
    page = form.submit(status=302).follow()
    assert "Parametri dell'Ordine salvati." in unescape(page.text)
    tenant = stored_tenant()
    assert tenant.codice_fiscale == "80151430156"
    assert tenant.partita_iva == "00743110157"
    assert tenant.province == "MI"
    assert tenant.email == "occ@ordine-milano.it"
    assert tenant.display_name == "OCC dell'Ordine degli Avvocati di Milano"
    [entry] = audited("tenant.settings.changed")
    assert entry.tenant_id == tenant.id
    assert entry.details["changes"]["postal_code"] == ["", "20122"]
    assert entry.details["changes"]["occ_name"] == ["OCC Ordine degli Avvocati di Milano", VALID["occ_name"]]
    assert "name" not in entry.details["changes"]


def test_saving_without_changes_writes_no_audit_entry(testapp, order, audited):
    login(testapp, order.admin)
    settings_form(testapp).submit(status=302)
    assert audited("tenant.settings.changed") == []


@pytest.mark.parametrize("field, value, message", [
    ("codice_fiscale", "80151430157", "Il codice fiscale «80151430157» non è valido"),
    ("codice_fiscale", "RSSMRA85T10A562X", "per un ente servono 11 cifre, per una persona 16 caratteri"),
    ("partita_iva", "01234567890", "La partita IVA «01234567890» non è valida"),
    ("postal_code", "2012", "Il CAP «2012» non è valido: servono 5 cifre."),
    ("postal_code", "20I22", "Il CAP «20I22» non è valido"),
    ("province", "Milano", "La provincia «MILANO» non è valida: indicare la sigla di 2 lettere"),
    ("email", "occ-at-ordine.it", "L'indirizzo «occ-at-ordine.it» non è valido."),
    ("pec", "occ@pec", "L'indirizzo «occ@pec» non è valido."),
    ("referente_email", "maria grazia@ordine.it", "non è valido"),
    ("phone", "chiamare in ufficio", "Il numero di telefono «chiamare in ufficio» non è valido."),
    ("name", "   ", "Il campo «Denominazione dell'Ordine» è obbligatorio."),
    ("city", "M" * 101, "può contenere al massimo 100 caratteri"),
])
def test_bad_value_is_refused_in_italian_and_nothing_is_saved(testapp, order, stored_tenant, audited,
                                                               field, value, message):
    login(testapp, order.admin)
    form = settings_form(testapp)
    form["occ_name"] = "Un nome che non deve essere salvato"
    form[field] = value
    page = form.submit(status=400)
    assert message in unescape(page.text)
    assert f'id="{field}-error"' in page.text
    # What was typed is shown again, so it can be corrected.
    assert "Un nome che non deve essere salvato" in page.text
    assert stored_tenant().occ_name == "OCC Ordine degli Avvocati di Milano"
    assert audited("tenant.settings.changed") == []


def test_every_wrong_field_is_reported_at_once(testapp, order):
    login(testapp, order.admin)
    form = settings_form(testapp)
    form["codice_fiscale"], form["postal_code"], form["email"] = "123", "abc", "nessuna"
    page = form.submit(status=400)
    for field in ("codice_fiscale", "postal_code", "email"):
        assert f'id="{field}-error"' in page.text


def test_a_personal_codice_fiscale_is_accepted(testapp, order, stored_tenant):
    login(testapp, order.admin)
    form = settings_form(testapp)
    form["codice_fiscale"] = "rssmra85t10a562s"
    form.submit(status=302)
    assert stored_tenant().codice_fiscale == "RSSMRA85T10A562S"


def test_text_file_named_png_is_refused_as_logo(testapp, order, stored_tenant):
    login(testapp, order.admin)
    form = settings_form(testapp)
    form["logo"] = Upload("logo.png", b"<svg onload=alert(1)>non sono un'immagine</svg>", "image/png")
    page = form.submit(status=400)
    assert "Il file caricato non è un'immagine PNG, JPEG o GIF." in unescape(page.text)
    assert stored_tenant().logo is None
    testapp.get("/milano/logo", status=404)


def test_real_png_is_accepted_served_and_can_be_removed(testapp, order, stored_tenant, audited, png):
    login(testapp, order.admin)
    form = settings_form(testapp)
    # The name says otherwise: the content decides.
    form["logo"] = Upload("logo.txt", png, "text/plain")
    form.submit(status=302)
    logo = testapp.get("/milano/logo")
    assert logo.content_type == "image/png"
    assert logo.body == png
    assert stored_tenant().logo_type == "image/png"
    assert audited("tenant.settings.changed")[-1].details["changes"]["logo"] == [None, f"image/png, {len(png)} byte"]

    form = settings_form(testapp)
    form["remove_logo"] = True
    form.submit(status=302)
    testapp.get("/milano/logo", status=404)
    assert audited("tenant.settings.changed")[-1].details["changes"]["logo"] == [f"image/png, {len(png)} byte", None]


@pytest.mark.parametrize("content, kind", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
])
def test_jpeg_and_gif_are_accepted(testapp, order, stored_tenant, content, kind):
    login(testapp, order.admin)
    form = settings_form(testapp)
    form["logo"] = Upload("logo", content, "application/octet-stream")
    form.submit(status=302)
    assert testapp.get("/milano/logo").content_type == kind


def test_logo_over_512_kb_is_refused(testapp, order, stored_tenant, png):
    login(testapp, order.admin)
    form = settings_form(testapp)
    form["logo"] = Upload("grande.png", png + b"\x00" * (512 * 1024), "image/png")
    page = form.submit(status=400)
    assert "Il logo supera la dimensione massima di 512 KB." in page.text
    assert stored_tenant().logo is None


def test_fees_section_reads_the_preferences(testapp, order, dbtx):
    login(testapp, order.admin)
    summary = testapp.get("/milano/settings").html.find(id="fee-settings-summary")
    assert "12,50 %" in summary.text and "€ 200,00 + IVA" in summary.text
    with dbtx() as db:
        tenant = db.merge(order.tenant)
        tenant.preferences = {"fees": {"general_expenses_percent": "15", "start_fee_vat_included": True}}
    summary = testapp.get("/milano/settings").html.find(id="fee-settings-summary")
    assert "15,00 %" in summary.text and "€ 200,00 IVA inclusa" in summary.text
    assert summary.find("a")["href"].endswith("/milano/settings/fees")


def test_settings_link_to_the_modules_page(testapp, order):
    login(testapp, order.admin)
    page = testapp.get("/milano/settings")
    assert page.click(href="/milano/settings/modules").status_int == 200


@pytest.mark.parametrize("path", ["/milano/settings", "/milano/settings/modules"])
def test_a_secretary_may_not_open_the_settings(testapp, order, path):
    login(testapp, order.secretary)
    testapp.get(path, status=403)


@pytest.mark.parametrize("path", ["/milano/settings", "/milano/settings/modules"])
def test_anonymous_is_sent_to_login(testapp, order, path):
    response = testapp.get(path, status=302)
    assert "/login?next=" in response.location


def test_post_without_csrf_token_is_refused(testapp, order, stored_tenant):
    login(testapp, order.admin)
    testapp.post("/milano/settings", {**VALID, "occ_name": "Senza token"}, status=400)
    assert stored_tenant().occ_name == "OCC Ordine degli Avvocati di Milano"


def test_a_file_posted_in_place_of_a_field_is_refused_without_error_page(testapp, order, stored_tenant):
    login(testapp, order.admin)
    data = {**VALID, "csrf_token": csrf_token(testapp)}
    del data["name"]
    page = testapp.post("/milano/settings", data, upload_files=[("name", "nome.txt", b"Ordine")], status=400)
    assert "Il campo «Denominazione dell'Ordine» è obbligatorio." in unescape(page.text)
    testapp.post("/milano/settings/modules", {"csrf_token": csrf_token(testapp), "action": "enable"},
                 upload_files=[("module", "m.txt", b"prova")], status=400)
    assert stored_tenant().codice_fiscale == ""
