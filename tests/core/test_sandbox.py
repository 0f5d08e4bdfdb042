"""The sandbox of the Orders' templates and texts: what would take a worker's memory or time is refused with
an Italian message, before it is made; what a letter ordinarily does renders as in Jinja2."""
from __future__ import annotations

import pytest
from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SecurityError

from occ_core import sandbox
from occ_core.sandbox import BoundedEnvironment, LimitExceeded

ENVIRONMENT = BoundedEnvironment(max_output=100_000, undefined=StrictUndefined)
TOO_LARGE = "il risultato sarebbe troppo grande (oltre 100.000 caratteri o elementi)"
TOO_MANY_STEPS = "richiede troppi passaggi: un ciclo o un calcolo è troppo lungo"
FANNED_OUT = ("{% set a = [1,1,1,1,1,1,1,1,1,1] %}{% set b = [a,a,a,a,a,a,a,a,a,a] %}"
              "{% set c = [b,b,b,b,b,b,b,b,b,b] %}{% set d = [c,c,c,c,c,c,c,c,c,c] %}"
              "{% set e = [d,d,d,d,d,d,d,d,d,d] %}{{ e|length }}")


def render(source: str, environment=ENVIRONMENT, **context) -> str:
    return environment.from_string(source).render(context)


@pytest.mark.parametrize("source, message", [
    ("{{ 'x' * 10**10 }}", TOO_LARGE),
    ("{{ 'x' * 200000 }}", TOO_LARGE),
    ("{{ 10 ** 100000 }}", "il numero risultante sarebbe troppo grande"),
    ("{{ '%200000d' % 1 }}", TOO_LARGE),
    ("{{ '%200000d'|format(1) }}", TOO_LARGE),
    ("{{ 'x'|center(200000) }}", TOO_LARGE),
    ("{{ 'x'|center(10**10) }}", TOO_LARGE),
    ("{% set a = 'x' * 60000 %}{{ a ~ a }}", TOO_LARGE),
    ("{% set a = 'x' * 60000 %}{{ a + a }}", TOO_LARGE),
    ("{% set a = 'x' * 1000 %}{{ a|replace('x', a) }}", TOO_LARGE),
    ("{% set a = 'x' * 1000 %}{{ [a] * 1000 }}", TOO_LARGE),
    ("{{ range(1000)|join('x' * 1000) }}", TOO_LARGE),
    ("{{ [1]|batch(200000, 0)|list|length }}", TOO_LARGE),
    ("{% set a = 'x' * 1000 %}{{ ('\n' * 1000)|indent(a) }}", TOO_LARGE),
    ("{% set a = 'x' * 60000 %}{{ dict(one=a, two=a) }}", TOO_LARGE),
    ("{% set ns = namespace(text='x') %}{% for i in range(40) %}{% set ns.text = ns.text ~ ns.text %}{% endfor %}",
     TOO_LARGE),
    (FANNED_OUT, TOO_LARGE),
    ("{% for a in range(100000) %}{% endfor %}", "range() può contare al massimo 10.000 numeri"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
     "range() può contare al massimo 10.000 numeri"),
    ("{% for a in range(2000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}", TOO_MANY_STEPS),
    ("{% for a in range(2000) %}{% for b in range(1000) if b > 5000 %}{% endfor %}{% endfor %}", TOO_MANY_STEPS),
    ("{% for a in range(1000) recursive %}{% if loop.depth < 3 %}{{ loop(range(1000)) }}{% endif %}{% endfor %}",
     TOO_MANY_STEPS),
    ("{% set s %}{% for a in range(1000) %}{% for b in range(50) %}{{ 'x' * 2000 }}{% endfor %}{% endfor %}"
     "{% endset %}{{ s|length }}", TOO_MANY_STEPS),
    ("{% for a in range(200) %}{{ 'x' * 1000 }}{% endfor %}", "il risultato supererebbe 100.000 caratteri"),
    ("{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}", "si richiama o si annida troppe volte"),
])
def test_what_would_take_too_much_memory_or_time_is_refused(source, message):
    with pytest.raises(LimitExceeded) as refused:
        render(source)
    assert message in str(refused.value)


@pytest.mark.parametrize("source", ["{{ ''.ljust(10**10) }}", "{{ '{:>200000}'.format(1) }}",
                                    "{{ 'x'.replace('x', 'y') }}", "{{ ''.__class__ }}"])
def test_text_methods_that_make_long_texts_are_not_available(source):
    with pytest.raises(SecurityError, match="non si può usare qui"):
        render(source)


def test_a_hundred_parentheses_are_a_mistake_in_the_text_not_a_crash():
    with pytest.raises(TemplateSyntaxError, match="troppe parentesi"):
        ENVIRONMENT.from_string("{{ " + "(" * 200 + "1" + ")" * 200 + " }}")
    with pytest.raises(TemplateSyntaxError, match="troppe parentesi"):
        ENVIRONMENT.parse("{{ " + "[" * 200 + "]" * 200 + " }}")


def test_what_a_letter_ordinarily_does_renders_as_in_jinja():
    source = ("{{ nomi|join(', ') }}; {{ importi|sum }}; {{ 'Gentile %s' % nomi[0] }}; "
              "{{ nomi[1]|replace(' ', '_') }}; [{{ 'x'|center(5) }}]; {{ 'ROSSI'.lower().title() }}; "
              "{{ 'n.' ~ 5 ~ '/2026' }}; {{ '%05.1f'|format(3.14) }}; {% for a, b in [(1, 2)] %}{{ a + b }}{% endfor %}; {{ (2 ** 10) * 3 }}; {{ range(3)|list }}; "
              "{% set ns = namespace(totale=0) %}{% for i in importi %}{% set ns.totale = ns.totale + i %}{% endfor %}"
              "{{ ns.totale }}; {{ {'a': 1}['a'] }}; {{ nomi|map('upper')|join('/') }}")
    assert render(source, nomi=["Anna Verdi", "Carlo Bruni"], importi=[10, 20]) == (
        "Anna Verdi, Carlo Bruni; 30; Gentile Anna Verdi; Carlo_Bruni; [  x  ]; Rossi; n.5/2026; 003.1; 3; 3072; "
        "[0, 1, 2]; 30; 1; ANNA VERDI/CARLO BRUNI")


def test_a_long_list_from_the_dossier_is_not_the_template_s_doing():
    creditors = [{"nominativo": f"Creditore {n}", "importo": n, "indirizzo": "Via Roma 1, 20100 Milano"}
                 for n in range(5000)]
    source = ("{% for c in creditori|sort(attribute='importo', reverse=true) %}{{ c.nominativo }}\n{% endfor %}"
              "{{ creditori|length }} {{ creditori|sum(attribute='importo') }}")
    text = render(source, creditori=creditors)
    assert text.startswith("Creditore 4999\n") and text.endswith("5000 12497500")


def test_renders_inside_one_budget_share_its_steps(monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_STEPS", 5000)
    loop = ENVIRONMENT.from_string("{% for a in range(600) %}{% endfor %}")
    loop.render(), loop.render()  # each render has an allowance of its own
    with sandbox.budget():
        loop.render()
        with pytest.raises(LimitExceeded, match="troppi passaggi"):
            loop.render()


def test_filters_added_later_are_guarded_too():
    environment = BoundedEnvironment(max_output=1000)
    environment.filters["pad"] = lambda value, length=5: str(value).zfill(length)
    assert render("{{ 7|pad(3) }}", environment) == "007"
    with pytest.raises(LimitExceeded):
        render("{{ 7|pad(10**10) }}", environment)
