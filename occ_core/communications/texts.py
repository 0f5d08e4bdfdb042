"""Subjects and texts of communications: Jinja text templates with the variables of the modulistica.

The Order edits these texts, so they run in Jinja's sandbox with limits (``occ_core.sandbox``: no access to
Python internals, bounded memory and time) and a missing variable is an error that names it, never an empty
hole in a letter sent to a court's party."""
from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError

from occ_core.errors import UserError
from occ_core.sandbox import BoundedEnvironment

SUBJECT_MAX, BODY_MAX = 300, 20000
# A composed text: the typed text with its lists (creditors, documents) filled in.
RENDERED_MAX = 200_000
ENVIRONMENT = BoundedEnvironment(max_output=RENDERED_MAX, undefined=StrictUndefined, autoescape=False,
                                 keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

SIGNATURE = "\n\nCordiali saluti,\n{{ ordine.occ }}"

# What a communication says when it goes with a document of the modulistica, by template code.
TEMPLATE_TEXTS = {
    "convocazione_incontro": (
        "Convocazione all'incontro – pratica n. {{ pratica.riferimento }}",
        "Gentile destinatario,\n\nin allegato la convocazione all'incontro relativo alla pratica n. "
        "{{ pratica.riferimento }} ({{ debitore.nominativo }}).{% if incontro %}\nL'incontro si terrà "
        "{{ incontro.data_estesa }} alle ore {{ incontro.ora }}{% if incontro.luogo %} presso "
        "{{ incontro.luogo }}{% endif %}.{% endif %}" + SIGNATURE),
    "comunicazione_fisco": (
        # The rule differs by procedure: pratica.norma_fisco gives it, as in the modulistica's letter.
        "Comunicazione {% if pratica.norma_fisco %}ai sensi dell'{{ pratica.norma_fisco }}{% else %}all'agente "
        "della riscossione e agli uffici fiscali{% endif %} – {{ debitore.nominativo }}",
        "Spettabile ufficio,\n\n{% if pratica.norma_fisco %}ai sensi dell'{{ pratica.norma_fisco }}, {% endif %}"
        "si trasmette la comunicazione relativa alla procedura di {{ pratica.procedura }} (pratica n. "
        "{{ pratica.riferimento }}) promossa da {{ debitore.nominativo }}"
        "{% if debitore.codice_fiscale %}, codice fiscale {{ debitore.codice_fiscale }}{% endif %}." + SIGNATURE),
    "comunicazione_creditori": (
        "Comunicazione ai creditori – pratica n. {{ pratica.riferimento }}",
        "Spettabile creditore,\n\nsi trasmette in allegato la comunicazione relativa alla procedura di "
        "{{ pratica.procedura }} di {{ debitore.nominativo }} (pratica n. {{ pratica.riferimento }})." + SIGNATURE),
    "richiesta_integrazione": (
        "Richiesta di integrazione documentale – pratica n. {{ pratica.riferimento }}",
        "Gentile {{ debitore.nominativo }},\n\nin allegato la richiesta di integrazione dei documenti necessari per "
        "proseguire l'esame della pratica n. {{ pratica.riferimento }}." + SIGNATURE),
}
DEFAULT_TEXT = (
    "Pratica n. {{ pratica.riferimento }} – {{ debitore.nominativo }}",
    "Gentile destinatario,\n\nin relazione alla pratica n. {{ pratica.riferimento }} ({{ debitore.nominativo }}) "
    "le trasmettiamo in allegato il documento indicato in oggetto." + SIGNATURE)


def prefilled(template_code: str) -> tuple[str, str]:
    """Subject and text proposed when the user picks ``template_code`` (or no template)."""
    return TEMPLATE_TEXTS.get(template_code, DEFAULT_TEXT)


def _render(source: str, context: dict, label: str) -> str:
    try:
        return ENVIRONMENT.from_string(source).render(context)
    except TemplateSyntaxError as error:
        raise UserError(f"{label}: il testo non è scritto correttamente alla riga {error.lineno} "
                        f"({error.message}). Controlli le parentesi {{{{ }}}} e {{% %}}.", field=label.lower())
    except UndefinedError as error:
        raise UserError(f"{label}: il testo usa un dato che non esiste ({error.message}). Usi solo le variabili "
                        "elencate.", field=label.lower())
    except TemplateError as error:
        raise UserError(f"{label}: il testo non si può comporre ({error}).", field=label.lower())
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError):
        # An expression typed by the Order ({{ 1/0 }}, a text plus a number) is its mistake, not the platform's.
        raise UserError(f"{label}: un'espressione del testo non si può calcolare con questi dati (per esempio una "
                        "divisione per zero o un testo sommato a un numero).", field=label.lower()) from None


def check_text(subject: str, body: str) -> tuple[str, str]:
    """The subject and text as typed, within their limits (an empty subject is refused)."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise UserError("Indichi l'oggetto della comunicazione.", field="oggetto")
    if len(subject) > SUBJECT_MAX:
        raise UserError(f"Oggetto: al massimo {SUBJECT_MAX} caratteri.", field="oggetto")
    if len(body) > BODY_MAX:
        raise UserError(f"Testo: al massimo {BODY_MAX} caratteri.", field="testo")
    return subject, body


def render(subject: str, body: str, context: dict) -> tuple[str, str]:
    """Subject (one line) and text of a communication rendered with ``context``."""
    subject, body = check_text(subject, body)
    rendered = " ".join(_render(subject, context, "Oggetto").split())
    if not rendered:
        raise UserError("Oggetto: il testo composto è vuoto.", field="oggetto")
    return rendered[:SUBJECT_MAX], _render(body, context, "Testo").strip()
