"""The dossier list: every filter, the full-text search (PostgreSQL's index, SQLite's LIKE), sort, pages,
saved filters, CSV export, print, bad input, permissions and a fixed number of queries per page."""
import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select, text

from occ_core.audit.models import AuditEntry
from occ_core.dossiers import listing, procedures, summary
from occ_core.dossiers.models import Dossier, SavedFilter
from occ_core.gestori.models import Appointment
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import counted_queries, csrf_token, login, make_tenant

from .conftest import appoint
from .party_helpers import (
    CF_BIANCHI,
    CF_ROSSI,
    CF_ROSSI_ANNA,
    CF_VERDI,
    VAT_BANCA,
    VAT_FORNITORE,
    add_dossier,
    add_parties,
    creditor,
    person,
)

BANCA = creditor("Banca Alfa S.p.A.", "10000", partita_iva=VAT_BANCA, kind="banca")


@pytest.fixture
def register(dbtx, pm, order):
    """Four dossiers of Milano (and one of Roma, which Milano never sees)."""
    with dbtx(order) as db:
        add_parties(add_dossier(db, order, 1, filed_on=date(2025, 1, 10)), person("Rossi", "Mario", CF_ROSSI),
                    [BANCA, creditor("Agenzia delle Entrate", "2500", kind="erario")])
        second = add_parties(
            add_dossier(db, order, 2, procedure="concordato_minore", filed_on=date(2025, 2, 20),
                        state="GESTORE_NOMINATO"),
            person("Bianchi", "Giulia", CF_BIANCHI), [creditor("Fornitore Beta", "700", partita_iva=VAT_FORNITORE)])
        appoint(db, second)
        summary.refresh(second)
        add_parties(add_dossier(db, order, 3, procedure="liquidazione_controllata", filed_on=date(2025, 6, 1),
                                state="DEPOSITATO"), person("Verdi", "Luca", CF_VERDI), [BANCA])
        add_parties(add_dossier(db, order, 1, year=2024, procedure="piano_consumatore", filed_on=date(2024, 11, 5)),
                    person("Rossi", "Anna", CF_ROSSI_ANNA), [creditor("D'Angelo Costruzioni", "300")])
        gestore_id = db.scalar(select(Appointment.gestore_id))
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
    with dbtx(roma) as db:
        add_parties(add_dossier(db, roma, 1), person("Rossi", "Mario", CF_ROSSI), [BANCA])
    return gestore_id


def found(dbtx, tenant, sort=listing.DEFAULT_SORT, **params):
    with dbtx(tenant) as db:
        rows, total = listing.search(db, listing.DossierFilters.from_params(params), sort=sort)
        assert total == len(rows)
        return [dossier.reference for dossier in rows]


@pytest.mark.parametrize("params, expected", [
    ({}, ["3/2025", "2/2025", "1/2025", "1/2024"]),
    ({"year": "2024"}, ["1/2024"]),
    ({"number": "2"}, ["2/2025"]),
    ({"number": "1/2024"}, ["1/2024"]),
    ({"number": " 1 / 2025 "}, ["1/2025"]),
    ({"state": "DEPOSITATO"}, ["3/2025"]),
    ({"procedure": "concordato_minore"}, ["2/2025"]),
    ({"regime": "l3"}, ["1/2024"]),
    ({"regime": "ccii", "year": "2025", "state": "ISTANZA_RICEVUTA"}, ["1/2025"]),
    ({"filed_from": "2025-02-01"}, ["3/2025", "2/2025"]),
    ({"filed_to": "31/01/2025"}, ["1/2025", "1/2024"]),
    ({"filed_from": "2025-02-20", "filed_to": "2025-02-20"}, ["2/2025"]),
    ({"gestore": "neri"}, ["2/2025"]),
    ({"debtor": "rossi"}, ["1/2025", "1/2024"]),
    ({"debtor": "Mario Rossi"}, ["1/2025"]),
    ({"debtor": CF_BIANCHI.lower()}, ["2/2025"]),
    ({"debtor": "banca"}, []),
    ({"creditor": "banca alfa"}, ["3/2025", "1/2025"]),
    ({"creditor": "entrate"}, ["1/2025"]),
    ({"creditor": VAT_FORNITORE}, ["2/2025"]),
    ({"creditor": "rossi"}, []),
    ({"creditor": "d'angelo"}, ["1/2024"]),
    ({"year": "2025", "debtor": "rossi"}, ["1/2025"]),
])
def test_filters(dbtx, order, register, params, expected):
    assert found(dbtx, order, **params) == expected


def test_gestore_filter_by_the_list_of_gestori(dbtx, order, register):
    assert found(dbtx, order, gestore=str(register)) == ["2/2025"]
    assert found(dbtx, order, gestore=str(register + 100)) == []


@pytest.mark.parametrize("q, expected", [
    ("rossi", ["1/2025", "1/2024"]),
    ("ROSS", ["1/2025", "1/2024"]),
    ("rossi anna", ["1/2024"]),
    ("banca alfa", ["3/2025", "1/2025"]),
    (CF_VERDI, ["3/2025"]),
    (VAT_FORNITORE[:7], ["2/2025"]),
    ("neri paolo", ["2/2025"]),
    ("d'angelo", ["1/2024"]),
    ("rossi verdi", []),
    ("zzz", []),
    ("1/2024", ["1/2024"]),  # a register number: that dossier, not every dossier with a 1 or a 2024
    ("2 / 2025", ["2/2025"]),
    ("9/2025", []),
])
def test_full_text_search(dbtx, order, register, q, expected):
    assert found(dbtx, order, q=q) == expected


@pytest.mark.parametrize("filters, index, likes", [
    ({"q": "rossi mario"}, "ix_dossiers_search_words", 2),
    ({"debtor": "rossi mario"}, "ix_dossier_debtors_name_words", 6),  # each word in one of three names
    ({"creditor": "banca alfa"}, "ix_dossier_creditors_name_words", 2),
])
def test_text_searches_use_their_index_on_postgresql(dbtx, order, register, filters, index, likes):
    """PostgreSQL: the plan uses the full-text index (the query repeats its expression); SQLite: LIKE."""
    with dbtx(order) as db:
        statement = listing.statement(db, listing.DossierFilters(**filters))
        if db.get_bind().dialect.name == "postgresql":
            # Statistics of these few rows, whatever earlier tests (or autovacuum) left behind; on so few rows
            # any index will do, so only the bitmap scans a full-text index gives are left to the planner.
            db.execute(text("ANALYZE dossiers, dossier_debtors, dossier_creditors"))
            for scan in ("seqscan", "indexscan", "indexonlyscan"):
                db.execute(text(f"SET LOCAL enable_{scan} = off"))
            compiled = statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
            plan = "\n".join(db.execute(text(f"EXPLAIN {compiled}".replace("%%", "%"))).scalars())
            assert index in plan
        else:
            assert str(statement.compile(db.get_bind())).count("LIKE") == likes


@pytest.mark.parametrize("sort, expected", [
    ("-number", ["3/2025", "2/2025", "1/2025", "1/2024"]),
    ("number", ["1/2024", "1/2025", "2/2025", "3/2025"]),
    ("-filed", ["3/2025", "2/2025", "1/2025", "1/2024"]),
    ("filed", ["1/2024", "1/2025", "2/2025", "3/2025"]),
    ("debtor", ["2/2025", "1/2024", "1/2025", "3/2025"]),
    ("-debtor", ["3/2025", "1/2025", "1/2024", "2/2025"]),
    ("state", ["1/2025", "1/2024", "2/2025", "3/2025"]),
])
def test_sort(dbtx, order, register, monkeypatch, sort, expected):
    assert found(dbtx, order, sort=sort) == expected
    with dbtx(order) as db:
        assert [dossier.reference for dossier in db.scalars(listing.statement(db, listing.DossierFilters(), sort))] \
            == expected
    # Past the cap the page walks the index of the sort instead of sorting the matches: the same order.
    monkeypatch.setattr(listing, "NARROW", 1)
    assert found(dbtx, order, sort=sort) == expected
    assert found(dbtx, order, sort=sort, year="2025") == [ref for ref in expected if ref.endswith("2025")]


@pytest.mark.parametrize("cap", [listing.NARROW, 2])  # matches sorted after filtering, or the sort's index walked
def test_pages_and_count(dbtx, order, register, monkeypatch, cap):
    monkeypatch.setattr(listing, "NARROW", cap)
    with dbtx(order) as db:
        everything = listing.DossierFilters()
        assert [d.reference for d in listing.search(db, everything, page=2, per_page=3)[0]] == ["1/2024"]
        # A page past the end shows the last one.
        rows, total = listing.search(db, everything, page=99, per_page=3)
        assert ([d.reference for d in rows], total) == (["1/2024"], 4)
        rows, total = listing.search(db, listing.DossierFilters(debtor="rossi"), per_page=1)
        assert ([d.reference for d in rows], total) == (["1/2025"], 2)
        assert listing.search(db, listing.DossierFilters(debtor="nessuno"), page=3) == ([], 0)


def test_statements_of_a_page(registry, dbtx, order, register, monkeypatch):
    """A search by words with few matches: one statement finds, counts, sorts and reads the page (its plans,
    on PostgreSQL, made for the words). Other filters are counted first; past the cap a second statement reads
    the page through the sort's index."""
    def statements(filters, custom_plans):
        with dbtx(order) as db, counted_queries(registry) as executed:
            listing.search(db, filters, exact=False)
            if db.get_bind().dialect.name == "postgresql":
                mode = db.execute(text("SHOW plan_cache_mode")).scalar()
                assert (mode == "force_custom_plan") == custom_plans
        return [statement for statement in executed if not statement.startswith(("SET", "SHOW"))]

    assert len(statements(listing.DossierFilters(debtor="rossi"), custom_plans=True)) == 1
    assert len(statements(listing.DossierFilters(year=2025), custom_plans=False)) == 2
    monkeypatch.setattr(listing, "NARROW", 1)
    assert len(statements(listing.DossierFilters(year=2025), custom_plans=False)) == 2
    assert len(statements(listing.DossierFilters(creditor="banca"), custom_plans=True)) == 2


def test_the_page_stops_counting_past_the_cap(testapp, dbtx, order, register, monkeypatch):
    with dbtx(order) as db:
        assert listing.count(db, listing.DossierFilters(), cap=2) == 3
        assert listing.count(db, listing.DossierFilters(), cap=10) == 4
    monkeypatch.setattr(listing, "NARROW", 2)
    with dbtx(order) as db:
        rows, total = listing.search(db, listing.DossierFilters(), per_page=2, exact=False)
        assert ([d.reference for d in rows], total) == (["3/2025", "2/2025"], 3)
        assert listing.search(db, listing.DossierFilters(), per_page=2)[1] == 4
        rows, total = listing.search(db, listing.DossierFilters(year=2025), per_page=2, page=2, exact=False)
        assert ([d.reference for d in rows], total) == (["1/2025"], 3)
    login(testapp, "consultazione@milano.it")
    page = testapp.get("/milano/dossiers")
    assert "Oltre 2 pratiche trovate" in " ".join(page.html.select_one("#result-count").text.split())
    assert references(page) == ["3/2025", "2/2025", "1/2025", "1/2024"]


@pytest.mark.parametrize("params, field, message", [
    ({"year": "abc"}, "year", "Anno: «abc» non è valido"),
    ({"year": "20255"}, "year", "tra 1900 e 2999"),
    ({"number": "-1"}, "number", "Numero"),
    ({"number": "x/2025"}, "number", "Numero"),
    ({"number": "abc/12"}, "number", "scrivere il numero o numero/anno, ad esempio 12/2025"),
    ({"number": "12/abc"}, "number", "scrivere il numero o numero/anno"),
    ({"number": "12/"}, "number", "scrivere il numero o numero/anno"),
    ({"number": "12/2024", "year": "2023"}, "year", "il numero 12/2024 è dell'anno 2024, non del 2023"),
    ({"q": "%_"}, "q", "Ricerca: indicare almeno una lettera o una cifra."),
    ({"debtor": "'"}, "debtor", "Debitore: indicare almeno una lettera"),
    ({"creditor": "\\"}, "creditor", "Creditore: indicare almeno una lettera"),
    ({"gestore": "--"}, "gestore", "Gestore: indicare almeno una lettera"),
    ({"filed_from": "32/13/2025"}, "filed_from", "Depositata dal: la data «32/13/2025» non è valida"),
    ({"filed_from": "2025-05-01", "filed_to": "2025-04-01"}, "filed_to", "precede"),
    ({"state": "NON_ESISTE"}, "state", "non previsto"),
    ({"procedure": "fallimento"}, "procedure", "non previsto"),
    ({"regime": "rd267"}, "regime", "non previsto"),
])
def test_bad_filters_are_explained(params, field, message):
    with pytest.raises(listing.InvalidFilters) as caught:
        listing.DossierFilters.from_params(params)
    assert message in caught.value.errors[field]
    # One message, on the field that was written wrong.
    assert list(caught.value.errors) == [field]


def test_a_register_number_sets_the_year():
    filters = listing.DossierFilters.from_params({"number": "12/2024", "year": "2024"})
    assert (filters.number, filters.year) == (12, 2024)


# --- screens ------------------------------------------------------------------------------------

def references(page) -> list[str]:
    return [row.th.text.strip() for row in page.html.select("#dossier-list tbody tr")]


def test_list_page(testapp, dbtx, order, register):
    login(testapp, "consultazione@milano.it")
    page = testapp.get("/milano/dossiers")
    assert references(page) == ["3/2025", "2/2025", "1/2025", "1/2024"]
    menu = page.html.find("a", attrs={"aria-current": "page"})
    assert menu.text.strip() == "Pratiche"
    first = page.html.select_one("#dossier-list tbody tr")
    assert "Verdi Luca" in first.text and "Depositato in tribunale" in first.text and "€ 10.000,00" in first.text
    assert first.th.a["href"].endswith(f"/milano/dossiers/{page_dossier_id(dbtx, order, 3)}")
    # Column headings sort: the current one says which way, a click on it reverses the order.
    headings = {th.a.text: th for th in page.html.select("#dossier-list thead th") if th.a}
    assert list(headings) == ["Numero", "Deposito", "Debitore", "Stato"]
    assert headings["Numero"].get("aria-sort") == "descending" and "sort=number" in headings["Numero"].a["href"]
    assert headings["Debitore"].get("aria-sort") is None
    page = testapp.get(headings["Debitore"].a["href"])
    assert [row.select("td")[2].text.split()[0] for row in page.html.select("#dossier-list tbody tr")] == sorted(
        row.select("td")[2].text.split()[0] for row in page.html.select("#dossier-list tbody tr"))
    debtor = page.html.select("#dossier-list thead th")[3]
    assert debtor.get("aria-sort") == "ascending" and "sort=-debtor" in debtor.a["href"]
    page = testapp.get("/milano/dossiers", {"q": "rossi", "sort": "number"})
    assert references(page) == ["1/2024", "1/2025"]
    assert "q=rossi" in page.html.select("#dossier-list thead th")[3].a["href"]
    assert page.html.select_one("#f-q")["value"] == "rossi"
    assert "2 pratiche trovate" in " ".join(page.html.select_one("#result-count").text.split())


def test_the_filter_form_keeps_the_chosen_values(testapp, dbtx, order, register):
    with dbtx() as db:
        milano = db.get(Tenant, order.id)
        milano.preferences = {**milano.preferences,
                              procedures.STATE_LABELS_PREFERENCE: {"GESTORE_NOMINATO": "<Nominato> & co."}}
        roma = db.scalar(select(Tenant).where(Tenant.slug == "roma"))
    with dbtx(roma) as db:
        appoint(db, db.scalar(select(Dossier)), last_name="Bruni")
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/dossiers", {"state": "GESTORE_NOMINATO", "gestore": str(register), "sort": "number"})
    assert references(page) == ["2/2025"]

    def chosen(select_id):
        return [(option["value"], option.text) for option in page.html.select(f"#{select_id} option[selected]")]

    assert chosen("f-state") == [("GESTORE_NOMINATO", "<Nominato> & co.")]
    assert page.html.select_one("label[for=f-filed_to]").text == "Depositata fino al"  # what a screen reader says
    assert "&lt;Nominato&gt; &amp; co." in page.text
    assert chosen("f-sort") == [("number", "Numero (dal più vecchio)")]
    assert chosen("f-procedure") == chosen("f-regime") == []
    # The Order's gestori only (Roma's is not offered).
    assert [(option["value"], option.text) for option in page.html.select("#f-gestore option")] == [
        ("", "Tutti"), (str(register), "Neri Paolo")]
    assert chosen("f-gestore") == [(str(register), "Neri Paolo")]


def page_dossier_id(dbtx, tenant, number, year=2025):
    with dbtx(tenant) as db:
        return db.scalar(select(Dossier.id).where(Dossier.year == year, Dossier.number == number))


@pytest.mark.parametrize("query, message", [
    ({"year": "duemila"}, "Anno: «duemila» non è valido"),
    ({"filed_to": "ieri"}, "Depositata fino al: la data «ieri» non è valida"),
    ({"sort": "caso"}, "Ordinamento non previsto"),
    ({"page": "abc"}, None),
    ({"page": "-3"}, None),
    ({"state": "<script>"}, "Stato: valore «&lt;script&gt;» non previsto"),
    ({"gestore": "9" * 30, "debtor": "a%_\\", "creditor": "9" * 11, "q": "'&|!:*()a"}, None),
    ({"debtor": "%_\\"}, "Debitore: indicare almeno una lettera o una cifra."),
    ({"gestore": "²", "number": "²"}, "Numero"),
])
def test_bad_query_strings_never_break_the_page(testapp, dbtx, order, register, query, message):
    login(testapp, "segreteria@milano.it")
    for path in ("/milano/dossiers", "/milano/dossiers/export.csv", "/milano/dossiers/print"):
        response = testapp.get(path, query, status=400 if message else 200)
        if message:
            assert message in response.html.select_one("#filter-error").decode_contents()


def test_pagination_on_the_page_and_no_query_per_row(testapp, dbtx, registry, order):
    with dbtx(order) as db:
        for number in range(1, 31):
            add_parties(add_dossier(db, order, number), person("Rossi", "Mario", CF_ROSSI),
                        [BANCA, creditor(f"Creditore {number}", "100")])
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/dossiers", {"page": "2"})
    assert references(page) == [f"{n}/2025" for n in range(5, 0, -1)]
    assert "Pagina 2 di 2" in page.text
    assert page.html.select_one("a[rel=next]") is None and page.html.select_one("a[rel=last]") is None
    assert "page=1" in page.html.select_one("a[rel=first]")["href"]
    next_link = testapp.get("/milano/dossiers", {"debtor": "rossi"}).html.select_one("a[rel=next]")["href"]
    assert "debtor=rossi" in next_link and "page=2" in next_link
    # Page 0, or one past any count: page 1, or the last.
    first = testapp.get("/milano/dossiers", {"page": "0"})
    assert "Pagina 1 di 2" in first.text and first.html.select_one("a[rel=prev]") is None
    assert references(first)[0] == "30/2025"
    assert "Pagina 2 di 2" in testapp.get("/milano/dossiers", {"page": "9" * 40}).text
    # A filter refused at saving shows the list at the form's address: its pages still lead to the list.
    refused = testapp.post("/milano/dossiers/filters", {"csrf_token": csrf_token(testapp), "name": " ",
                                                         "query": "debtor=rossi"}, status=400)
    next_link = refused.html.select_one("a[rel=next]")["href"]
    assert "/milano/dossiers?" in next_link and "debtor=rossi" in next_link and "page=2" in next_link
    assert testapp.get(next_link).status_code == 200

    def statements(params):
        with counted_queries(registry) as executed:
            testapp.get("/milano/dossiers", params)
        return len(executed)

    full = statements({"q": "rossi"})
    with dbtx(order) as db:
        for dossier in db.scalars(select(Dossier).where(Dossier.number > 3)):
            db.delete(dossier)
    assert statements({"q": "rossi"}) == full


def test_saved_filters_are_personal(testapp, dbtx, order, register):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/dossiers", {"debtor": "rossi", "year": "2025", "foo": "bar"})
    form = page.forms["save-filter-form"]
    form["name"] = "  Rossi   del 2025 "
    page = form.submit().follow()
    assert "Filtro «Rossi del 2025» salvato." in page.text
    link = page.html.select_one("#saved-filters a")
    assert link.text == "Rossi del 2025" and "foo" not in link["href"]
    assert references(testapp.get(link["href"])) == ["1/2025"]
    # The same name again replaces the query.
    form = testapp.get("/milano/dossiers", {"state": "DEPOSITATO"}).forms["save-filter-form"]
    form["name"] = "Rossi del 2025"
    form.submit().follow()
    with dbtx(order) as db:
        saved = db.scalars(select(SavedFilter)).one()
        assert saved.query == "state=DEPOSITATO"
    # Bad input: nothing written.
    token = csrf_token(testapp)
    page = testapp.post("/milano/dossiers/filters", {"csrf_token": token, "name": "", "query": "year=2025"}, status=400)
    assert "Dia un nome" in page.html.select_one("#save-error").text
    page = testapp.post("/milano/dossiers/filters", {"csrf_token": token, "name": "x", "query": "year=abc"}, status=400)
    assert "Anno" in page.html.select_one("#save-error").text
    with dbtx(order) as db:
        assert db.scalar(select(func.count(SavedFilter.id))) == 1
        filter_id = saved.id
    # Another user neither sees nor deletes it.
    testapp.reset()
    login(testapp, "referente@milano.it")
    assert "Rossi del 2025" not in testapp.get("/milano/dossiers").text
    testapp.post(f"/milano/dossiers/filters/{filter_id}/delete", {"csrf_token": csrf_token(testapp)}, status=404)
    testapp.reset()
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/dossiers")
    delete = next(form for form in page.forms.values() if form.action.endswith(f"/filters/{filter_id}/delete"))
    assert "Filtro «Rossi del 2025» eliminato." in delete.submit().follow().text
    with dbtx(order) as db:
        assert db.scalar(select(func.count(SavedFilter.id))) == 0


def test_csv_export_of_the_filtered_list(testapp, dbtx, order, register):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/dossiers", {"debtor": "rossi"})
    response = testapp.get(page.html.select_one("#export-link")["href"])
    assert response.content_type == "text/csv" and response.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Numero", "Anno", "Data di deposito"]
    assert [(row[0], row[1], row[7]) for row in rows[1:]] == [("1", "2025", "Rossi Mario"), ("1", "2024", "Rossi Anna")]
    assert rows[1][2] == "10/01/2025" and rows[1][11] == "12500,00"
    with dbtx(order) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.list_exported")).one()
        assert entry.details == {"filters": {"debtor": "rossi"}, "rows": 2}


def test_printable_list(testapp, dbtx, order, register):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/dossiers/print", {"state": "DEPOSITATO", "filed_from": "2025-01-01"})
    assert [row.th.text for row in page.html.select("#print-list tbody tr")] == ["3/2025"]
    assert page.html.select_one("#print-filters").text == (
        "Filtri: Stato: Depositato in tribunale; Depositata dal: 01/01/2025")


def test_permissions(testapp, dbtx, order, register):
    assert "/login" in testapp.get("/milano/dossiers", status=302).location
    login(testapp, "gestore@milano.it")
    testapp.get("/milano/dossiers", status=403)
    testapp.get("/milano/dossiers/export.csv", status=403)
    assert "Pratiche" not in [a.text.strip() for a in testapp.get("/milano/").html.select("#main-nav a")]
    testapp.post("/milano/dossiers/filters", {"csrf_token": csrf_token(testapp), "name": "x", "query": ""},
                 status=403)
    with dbtx(order) as db:
        assert db.scalar(select(func.count(SavedFilter.id))) == 0
