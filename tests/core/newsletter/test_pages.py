"""The pages: composing with bad input, audiences and custom lists, archive and CSV, unsubscribed addresses,
the rate setting, permissions and tenant isolation."""
from datetime import timedelta

from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.clock import ROME
from occ_core.db import utcnow
from occ_core.newsletter import subscriptions
from occ_core.newsletter.models import ListMember, Newsletter, Unsubscribe
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user


def newsletters(dbtx, tenant):
    with dbtx(tenant) as db:
        return {n.subject: n for n in db.scalars(select(Newsletter))}


def test_compose_preview_schedule_and_send_with_bad_input_refused(testapp, order, dbtx, smtp_server):
    login(testapp, order.emails["segreteria"])
    form = testapp.get("/milano/newsletter/new").forms["newsletter-form"]
    # Active registrants by default: five addresses, one without email and one repeated left out.
    assert form.html.find(id="recipient-count").text == "5"
    form["subject"] = "  "
    form["body_html"] = "<p>Testo</p>"
    page = form.submit(status=400)
    assert "Indichi l'oggetto della newsletter." in page.text
    assert newsletters(dbtx, order.tenant) == {}

    form = page.forms["newsletter-form"]
    form["subject"] = "Assemblea degli iscritti"
    form["body_html"] = '<p onclick="rubare()">Convocazione <a href="javascript:x()">qui</a></p><script>alert(1)</script>'
    form["iscritti_category"] = "avvocato"
    page = form.submit().follow()
    assert "sono stati tolti elementi non ammessi" in page.text and "&lt;script&gt;" in page.text
    stored = newsletters(dbtx, order.tenant)["Assemblea degli iscritti"]
    assert stored.body_html == '<p>Convocazione <a rel="noopener noreferrer">qui</a></p>'
    assert page.html.find(id="recipient-count").text == "3"
    assert "Convocazione" in page.html.find(id="preview-html").text
    assert "annullare l'iscrizione" in page.html.find(id="preview-text").text

    past = (utcnow() - timedelta(hours=1)).astimezone(ROME)
    schedule = page.forms["schedule-form"]
    schedule["day"], schedule["hour"] = past.date().isoformat(), past.strftime("%H:%M")
    assert "sono già passate" in schedule.submit(status=400).text
    schedule["day"] = "31/02/2027"
    assert "non è valida" in schedule.submit(status=400).text
    assert newsletters(dbtx, order.tenant)["Assemblea degli iscritti"].state == "bozza"

    page.forms["test-form"].submit().follow()
    assert [m.rcpt_tos for m in smtp_server.messages] == [[order.emails["segreteria"]]]
    assert b"Subject: [Prova] Assemblea degli iscritti" in smtp_server.messages[0].content

    future = (utcnow() + timedelta(days=2)).astimezone(ROME)
    schedule["day"], schedule["hour"] = future.date().isoformat(), "09:30"
    page = schedule.submit().follow()
    assert "Newsletter programmata per il" in page.text and page.html.find(id="state").text == "Programmata"
    page = page.forms["cancel-form"].submit().follow()
    assert page.html.find(id="state").text == "Annullata"

    page = page.forms["duplicate-form"].submit().follow()  # a new draft, sent at once
    page = page.forms["newsletter-form"].submit().follow()
    page = page.forms["send-form"].submit().follow()
    assert "Invio avviato a 3 destinatari" in page.text
    assert page.html.find(id="state").text == "Inviata"
    assert "Inviati <strong>3</strong>" in page.html.find(id="progress-counts").decode_contents()
    assert page.html.find(id="progress").get("hx-get") is None  # no polling once sent
    assert len(smtp_server.messages) == 4

    csv = testapp.get("/milano/newsletter/export.csv?q=assemblea").body.decode("utf-8-sig").splitlines()
    assert len(csv) == 3 and csv[1].split(";")[1] == "Inviata" and csv[1].endswith(";3;3;0;0;0")
    sent_id = max(n.id for n in newsletters(dbtx, order.tenant).values())
    recipients = testapp.get(f"/milano/newsletter/{sent_id}/recipients.csv").body.decode("utf-8-sig")
    assert "mario.rossi@studio.it" in recipients and "Inviato" in recipients
    assert "mario.rossi@studio.it" in testapp.get(f"/milano/newsletter/{sent_id}?q=rossi").html.find(id="recipients").text


def test_audiences_filters_lists_and_the_csv_import(testapp, order, dbtx):
    login(testapp, order.emails["segreteria"])

    def count(**params):
        page = testapp.get("/milano/newsletter/audience", params=params)
        found = page.html.find(id="recipient-count")
        return (found.text if found else None), " ".join(page.html.text.split())

    recipients, text = count(audience="iscritti", iscritti_category="avvocato", iscritti_status="attivo")
    assert recipients == "3" and "1 senza un indirizzo email valido, 1 indirizzi ripetuti" in text
    assert count(audience="iscritti", iscritti_status="sospeso")[0] == "1"
    assert count(audience="gestori", gestori_status="attivo", gestori_regola="si")[0] == "1"
    assert count(audience="gestori", gestori_regola="no")[0] == "0"
    assert "scelta non valida" in count(audience="iscritti", iscritti_category="astronauta")[1]

    page = testapp.get("/milano/newsletter/lists")
    page.forms["list-form"]["name"] = "Relatori del convegno"
    page = page.forms["list-form"].submit().follow()
    content = ("email;nome\r\nanna@convegno.it;Anna Neri\r\nnon-valido;Qualcuno\r\nANNA@convegno.it;Doppia\r\n"
               ";Senza indirizzo\r\nmario.rossi@studio.it;Mario Rossi\r\n").encode("utf-8")
    page.forms["import-form"]["file"] = ("relatori.csv", content)
    page = page.forms["import-form"].submit()
    errors = page.html.find(id="import-errors").text
    assert "Importati 2 indirizzi (1 erano già nella lista)" in " ".join(errors.split())
    assert "Riga 3: «non-valido»: Indirizzo email non valido." in errors and "Riga 5: manca l'indirizzo email." in errors
    with dbtx(order.tenant) as db:
        assert sorted(db.scalars(select(ListMember.email))) == ["anna@convegno.it", "mario.rossi@studio.it"]
        list_id = db.scalar(select(ListMember.list_id))
        subscriptions.unsubscribe(db, order.tenant.id, "mario.rossi@studio.it", None)
    recipients, text = count(audience="lista", list_id=str(list_id))
    assert recipients == "1" and "1 disiscritti" in text

    page = testapp.get(f"/milano/newsletter/lists/{list_id}?who=gialli")
    [pick] = [form for form in page.forms.values() if "registrant_id" in form.fields]  # Carla Gialli
    pick.submit().follow()
    page = testapp.get(f"/milano/newsletter/lists/{list_id}")
    page.forms["member-form"]["email"] = "sbagliato"
    assert "Indirizzo email non valido." in page.forms["member-form"].submit(status=400).text
    with dbtx(order.tenant) as db:
        assert db.scalar(select(func.count(ListMember.id))) == 3


def test_unsubscribed_addresses_are_subscribed_again_only_with_a_note(testapp, order, dbtx):
    with dbtx(order.tenant) as db:
        subscriptions.unsubscribe(db, order.tenant.id, "carla.gialli@studio.it", None)
    login(testapp, order.emails["segreteria"])
    page = testapp.get("/milano/newsletter/unsubscribes")
    assert "carla.gialli@studio.it" in page.html.find(id="unsubscribes").text
    form = page.click("Iscrivi di nuovo").forms["resubscribe-form"]
    assert "Indichi quando e come" in form.submit(status=400).text
    form["note"] = "Richiesta via PEC del 20/11/2026, prot. 1234"
    form.submit().follow()
    with dbtx(order.tenant) as db:
        assert db.scalar(select(Unsubscribe.resubscribe_note)) == "Richiesta via PEC del 20/11/2026, prot. 1234"
        assert db.scalar(select(AuditEntry.details).where(AuditEntry.action == "newsletter.resubscribed"))["note"]

    page = testapp.get("/milano/settings/newsletter")
    page.forms["settings-form"]["rate_per_minute"] = "0"
    assert "indichi un numero intero da 1 a 100.000" in page.forms["settings-form"].submit(status=400).text
    page.forms["settings-form"]["rate_per_minute"] = "120"
    assert testapp.get(page.forms["settings-form"].submit().location).forms["settings-form"]["rate_per_minute"].value == "120"


def test_permissions(testapp, order, draft):
    newsletter_id = draft()
    testapp.get("/milano/newsletter", status=302).follow().mustcontain("Accedi")
    login(testapp, order.emails["consultazione"])
    page = testapp.get("/milano/newsletter")
    assert "Novità di novembre" in page.text and "Nuova newsletter" not in page.text
    testapp.get(f"/milano/newsletter/{newsletter_id}")
    testapp.get("/milano/newsletter/new", status=403)
    testapp.get("/milano/newsletter/lists", status=403)
    testapp.get("/milano/settings/newsletter", status=403)
    testapp.post(f"/milano/newsletter/{newsletter_id}/send", {"csrf_token": csrf_token(testapp)}, status=403)
    testapp.reset()
    login(testapp, order.emails["gestore"])
    testapp.get("/milano/newsletter", status=403)
    testapp.reset()
    login(testapp, order.emails["segreteria"])
    assert testapp.get("/milano/newsletter").html.find("a", attrs={"aria-current": "page"}).text.strip() == "Newsletter"


def test_tenant_isolation(testapp, order, draft, dbtx, pm, registry):
    newsletter_id = draft()
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma", "Ordine di Roma")
        make_user(db, "segreteria@roma.it", roma, "segreteria")
    login(testapp, "segreteria@roma.it")
    assert "Novità di novembre" not in testapp.get("/roma/newsletter").text
    testapp.get(f"/roma/newsletter/{newsletter_id}", status=404)
    testapp.get(f"/milano/newsletter/{newsletter_id}", status=404)  # not a member of that Order
    url = subscriptions.unsubscribe_url(registry.settings, order.tenant, newsletter_id, "mario.rossi@studio.it")
    foreign = url.replace("/milano/", "/roma/").split("127.0.0.1:6543")[1]
    assert "Il collegamento non è valido." in testapp.post(foreign, params="List-Unsubscribe=One-Click",
                                                         content_type="application/x-www-form-urlencoded",
                                                         status=400).text
    with dbtx(roma) as db:
        assert db.scalar(select(func.count(Unsubscribe.id))) == 0
