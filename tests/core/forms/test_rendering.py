"""Rendering with secretary: strict placeholders, the place of every problem, table loops, escaping."""
from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from occ_core.forms import rendering
from occ_core.forms.context import sample_context
from occ_core.forms.rendering import TemplateProblem, check_template, render_odt

from .conftest import odt, odt_parts, odt_text, table

CONTEXT = sample_context()


def problems_of(template: bytes, context=CONTEXT) -> list[str]:
    return [str(problem) for problem in check_template(template, context)]


def test_values_are_printed_escaped_and_split_placeholders_are_joined():
    template = odt('<text:p>Spett.le <text:span>{{ credi</text:span>'
                   '<text:span>tori[3].nominativo }}</text:span></text:p>'
                   '<text:p>Totale: {{ totale_crediti }} – familiare: {{ pratica.familiare }}</text:p>'
                   '<text:p>{{ comunicazione.testo }}</text:p>',
                   header="<text:p>{{ ordine.nome }}</text:p>", footer="<text:p>PEC {{ ordine.pec }}</text:p>")
    result = render_odt(template, {**CONTEXT, "comunicazione": {"testo": "Prima riga\nseconda riga"}})
    content = odt_parts(result)["content.xml"]
    assert "Rossi &amp; Figli &lt;s.r.l.&gt;" in content and "<text:line-break/>" in content
    text = odt_text(result)
    assert "Spett.le Rossi & Figli <s.r.l.>" in text and "Totale: 182.450,00 – familiare: sì" in text
    assert "Ordine degli Avvocati di Milano" in text and "PEC occ@pec.ordineavvocati.milano.it" in text
    with zipfile.ZipFile(io.BytesIO(result)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)


def test_a_row_loop_repeats_the_row_for_each_creditor():
    template = odt(table("Creditori", ["Creditore", "Importo"], ["{% for c in creditori %}", ""],
                         ["{{ loop.index }}. {{ c.nominativo }}", "{{ c.importo }}"], ["{% endfor %}", ""],
                         ["Totale", "{{ totale_crediti }}"]))
    content = odt_parts(render_odt(template, CONTEXT))["content.xml"]
    assert content.count("<table:table-row>") == 2 + len(CONTEXT["creditori"])
    assert "{%" not in content
    text = odt_text(render_odt(template, CONTEXT))
    assert "1. Banca Popolare di Esempio S.p.A.\n98.500,00" in text and "4. Rossi & Figli <s.r.l.>\n18.999,50" in text


def test_a_row_loop_written_as_secretary_input_fields_repeats_the_row():
    def field(tag):
        return f'<text:text-input text:description="table:table-row">{tag}</text:text-input>'

    template = odt(table("Creditori", ["Creditore", "Importo"], [field("{% for c in creditori %}"), ""],
                         ["{{ c.nominativo }}", "{{ c.importo }}"], [field("{% endfor %}"), ""]))
    assert check_template(template, CONTEXT) == []
    text = odt_text(render_odt(template, CONTEXT))
    assert "Banca Popolare di Esempio S.p.A.\n98.500,00" in text and "{%" not in text


def test_paragraph_blocks_and_secretary_input_fields():
    template = odt('<text:p>{% if preventivo %}</text:p><text:p>Totale {{ preventivo.totale }}</text:p>'
                   '<text:p>{% else %}</text:p><text:p>Nessun preventivo</text:p><text:p>{% endif %}</text:p>'
                   '<text:p>Debitore: <text:text-input text:description="">{{ debitore.cognome }}'
                   '</text:text-input></text:p>')
    assert odt_text(render_odt(template, CONTEXT)).split("\n") == ["Totale 5.583,51", "Debitore: Rossi"]
    assert odt_text(render_odt(template, {**CONTEXT, "preventivo": None})).split("\n") == [
        "Nessun preventivo", "Debitore: Rossi"]


def test_unknown_placeholders_are_refused_with_their_place():
    template = odt('<text:p>Oggetto</text:p><text:p>Il debitore {{ debitore.cognom }} e {{ pratica.numero }}</text:p>'
                   + table("Creditori", ["{% for c in creditori %}"], ["{{ c.nome }}"], ["{% endfor %}"])
                   + '<text:p>{{ gestore.nominativo }} {{ giudice }}</text:p>',
                   header="<text:p>{{ ordine.indirizzo_pec }}</text:p>")
    assert problems_of(template) == [
        "«{{ debitore.cognom }}» in paragrafo 2 del testo («Il debitore {{ debitore.cognom }} e {{ pratica.numero }}»): "
        "«cognom» non è un dato disponibile: controlli il nome nell'elenco dei dati disponibili (le maiuscole contano)",
        "«{{ c.nome }}» in tabella «Creditori», cella A2 (riga 2, colonna 1) («{{ c.nome }}»): «nome» non è un dato "
        "disponibile: controlli il nome nell'elenco dei dati disponibili (le maiuscole contano)",
        "«{{ giudice }}» in paragrafo 3 del testo («{{ gestore.nominativo }} {{ giudice }}»): il dato «giudice» non "
        "esiste: controlli il nome nell'elenco dei dati disponibili (le maiuscole contano)",
        "«{{ ordine.indirizzo_pec }}» in paragrafo 1 dell'intestazione della pagina («{{ ordine.indirizzo_pec }}»): "
        "«indirizzo_pec» non è un dato disponibile: controlli il nome nell'elenco dei dati disponibili (le maiuscole "
        "contano)",
    ]
    with pytest.raises(TemplateProblem) as raised:
        render_odt(template, CONTEXT)
    assert "«{{ debitore.cognom }}» in paragrafo 2 del testo" in raised.value.message


@pytest.mark.parametrize("body, expected", [
    ("<text:p>{% for c in creditori %}</text:p><text:p>{{ c.nominativo }}</text:p>",
     "«{% for c in creditori %}» in paragrafo 1 del testo («{% for c in creditori %}»): il blocco non è chiuso: manca "
     "{% endfor %} più avanti nel documento"),
    ("<text:p>Importo {{ c.importo + }}</text:p>",
     "«{{ c.importo + }}» in paragrafo 1 del testo («Importo {{ c.importo + }}»): la scrittura non è valida "
     "(unexpected 'end of print statement')"),
    ("<text:p>{% endif %}</text:p>",
     "«{% endif %}» in paragrafo 1 del testo («{% endif %}»): chiude un blocco {% if %} che non è stato aperto"),
    ("<text:p>{% include 'x' %}</text:p>", "«{% include 'x' %}» in paragrafo 1 del testo («{% include 'x' %}»): "
     "istruzione non ammessa: nei modelli si usano {% for ... %}, {% if ... %}, {% elif ... %}, {% else %}, "
     "{% set ... %} e le loro chiusure {% endfor %}, {% endif %}"),
    ("<text:p>Gentile {{ debitore.nominativo</text:p>", "in paragrafo 1 del testo («Gentile {{ debitore.nominativo»): "
     "un segnaposto è aperto con «{{» ma non chiuso con «}}», o viceversa"),
    ("<text:p>A {% if gestore %} B</text:p><text:p>C {% endif %}</text:p>",
     "«{% if gestore %}» in paragrafo 1 del testo («A {% if gestore %} B»): il blocco si chiude con «{% endif %}» "
     "(paragrafo 2 del testo) in un punto diverso della struttura del documento: metta l'apertura e la chiusura nello "
     "stesso paragrafo, oppure ciascuna da sola nel proprio paragrafo (o nella propria riga di tabella)"),
    ("<text:p>{{ ''.__class__.__mro__ }}</text:p>",
     "«{{ ''.__class__.__mro__ }}» in paragrafo 1 del testo («{{ ''.__class__.__mro__ }}»): usa un'operazione non "
     "consentita nei modelli"),
    ("<text:p>{{ 'x' * 10**10 }}</text:p>",
     "«{{ 'x' * 10**10 }}» in paragrafo 1 del testo («{{ 'x' * 10**10 }}»): il risultato sarebbe troppo grande (oltre "
     "100.000 caratteri o elementi)"),
    ("<text:p>{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}</text:p>",
     "«{% for a in range(100000) %}» in paragrafo 1 del testo («{% for a in range(100000) %}{% for b in "
     "range(100000) %}x{% endfor %}{% endfor %}»): range() può contare al massimo 10.000 numeri"),
    ("<text:p>{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}</text:p>",
     "richiede troppi passaggi: un ciclo o un calcolo è troppo lungo"),
])
def test_syntax_and_structure_problems_are_refused_with_their_place(body, expected):
    template = odt(body)
    assert problems_of(template) == [expected]
    with pytest.raises(TemplateProblem):
        render_odt(template, CONTEXT)


def test_a_branch_not_taken_is_still_checked_and_an_empty_list_is_not():
    template = odt("<text:p>{% if not gestore %}{{ gestore.nome_sbagliato }}{% endif %}</text:p>"
                   "<text:p>{% for s in scadenze %}{{ s.descrizione }}{% endfor %}</text:p>")
    assert len(problems_of(template)) == 1
    # With a real dossier only what is printed matters: no gestore, no deadlines.
    assert odt_text(render_odt(odt("<text:p>{% for s in scadenze %}{{ s.x }}{% endfor %}fine</text:p>"),
                               {**CONTEXT, "scadenze": []})) == "fine"


def test_a_value_missing_in_a_real_dossier_is_reported_where_it_is_used():
    template = odt("<text:p>Primo</text:p><text:p>Totale: {{ preventivo.totale }}</text:p>")
    with pytest.raises(TemplateProblem) as raised:
        render_odt(template, {**CONTEXT, "preventivo": None})
    assert [str(p) for p in raised.value.problems] == [
        "«{{ preventivo.totale }}» in paragrafo 2 del testo («Totale: {{ preventivo.totale }}»): il dato che precede "
        "«totale» è vuoto per questa pratica"]


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_what_is_not_an_odt_is_refused(content):
    [problem] = check_template(content, CONTEXT)
    assert "non è un documento di testo OpenDocument" in str(problem)


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", b"<a>" + b" " * (65 * 1024 * 1024) + b"</a>")
        archive.writestr("styles.xml", "<a/>")
    [problem] = check_template(buffer.getvalue(), CONTEXT)
    assert "non è un documento di testo OpenDocument" in str(problem)


def test_word_splits_and_smart_quotes_are_mended():
    template = odt('<text:p>{{ debi<text:span>tore.cog</text:span>nome }} e <text:span>{{ debitore.</text:span>'
                   'nome }}{% if debitore.persona == “fisica” %} (persona fisica){% endif %}</text:p>')
    assert odt_text(render_odt(template, CONTEXT)) == "Rossi e Mario (persona fisica)"


def test_a_template_is_compiled_once_and_kept_by_its_digest_alone():
    template = odt("<text:p>{{ debitore.nominativo }}</text:p>")
    rendering._compiled.cache_clear()
    first = rendering.compiled(template)
    assert rendering.compiled(bytes(bytearray(template))) is first  # the same content, another object
    assert rendering._compiled(hashlib.sha256(template).hexdigest()) is first
    assert rendering._compiled.cache_info()[:2] == (2, 1)  # hits, misses
