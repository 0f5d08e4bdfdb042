"""ODT templates rendered with secretary (Jinja2 placeholders), strict and with the place of every problem.

An Order edits its templates in LibreOffice or Word, where a placeholder is plain text (``{{ debitore.nome }}``)
or, in LibreOffice, an input field as secretary documents it. What secretary does not do, done here:

- strict placeholders: an unknown name or attribute is an error (secretary's default prints nothing), found
  before a letter goes out with a blank where the debtor's name should be;
- the place of each problem in the document (paragraph and its text, table and cell, header or footer), as
  Jinja's own line numbers mean nothing in an XML file written on one line;
- placeholders that the word processor split into several runs of text (``{{ debitore.`` in one style,
  ``nome }}`` in another, as spell checking and revision marks do) joined again;
- block tags written as plain text: a paragraph holding only ``{% ... %}`` tags gives way to them, and so
  does a table row whose cells hold only such tags, so that ``{% for c in creditori %}`` in a row of its
  own, the creditor's cells in the next row and ``{% endfor %}`` in a third repeat the middle row;
- a sandboxed Jinja2 environment with limits (``occ_core.sandbox``): templates come from many Orders and
  must neither reach the platform's internals through a placeholder nor take a worker's memory or time;
- the compiled template kept by content digest, so that generating many documents compiles it once.

Values are XML-escaped, with line breaks and tabs as ODF elements, as secretary does; dates, amounts and None
print the Italian way ("26/11/2026", "1.234,50", nothing)."""
from __future__ import annotations

import hashlib
import io
import re
import threading
import zipfile
from collections import ChainMap
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from xml.dom import minidom
from xml.parsers import expat

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SecurityError
from markupsafe import Markup, escape

from occ_core.errors import UserError
from occ_core.forms.secretary_compat import secretary
from occ_core.sandbox import BoundedEnvironment, LimitExceeded, budget

ODT_MEDIA_TYPE = "application/vnd.oasis.opendocument.text"
RENDERED_PARTS = ("content.xml", "styles.xml")
# A template is a few hundred kB; these bounds refuse a zip bomb before anything is decompressed.
MAX_ENTRIES, MAX_UNPACKED = 2000, 64 * 1024 * 1024
# A rendered part (content.xml, styles.xml): a thousand creditors' table is about a megabyte.
MAX_OUTPUT = 20 * 1024 * 1024
EXCERPT = 90
MAX_SPACES = 1000
BLOCK_KEYWORDS = {"for": "endfor", "if": "endif"}
INNER_KEYWORDS = {"else": ("for", "if"), "elif": ("if",)}
# Characters XML 1.0 does not allow: one in a creditor's name would make the whole document unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TAG = re.compile(r"\{\{(?P<var>.*?)\}\}|\{%(?P<block>.*?)%\}", re.S)
TYPOGRAPHIC = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"',
                             "\u2018": "'", "\u2019": "'", "\u00a0": " "})
ONLY_BLOCKS = re.compile(r"\s*(\{%.*?%\}\s*)+", re.S)
XML_TAG = re.compile(r"<(/?)([A-Za-z_][\w:.-]*)[^>]*?(/?)>")
# Elements holding paragraphs of their own inside a paragraph (notes, frames, comments): walked apart.
NESTED_TEXT = {"text:note", "draw:frame", "office:annotation", "text:ruby"}
PARAGRAPHS = {"text:p", "text:h"}
# Where a paragraph is, as "paragrafo 2 <of>" and "tabella ..., cella A2 <in>".
BODY = ("del testo", "")
PAGE_PARTS = {
    "style:header": ("dell'intestazione della pagina", " nell'intestazione della pagina"),
    "style:header-left": ("dell'intestazione delle pagine pari", " nell'intestazione delle pagine pari"),
    "style:header-first": ("dell'intestazione della prima pagina", " nell'intestazione della prima pagina"),
    "style:footer": ("del piè di pagina", " nel piè di pagina"),
    "style:footer-left": ("del piè di pagina delle pagine pari", " nel piè di pagina delle pagine pari"),
    "style:footer-first": ("del piè di pagina della prima pagina", " nel piè di pagina della prima pagina"),
}


# --- environment ------------------------------------------------------------------------------------------

def italian_amount(value) -> str:
    """``Decimal("1234.5")`` -> ``"1.234,50"``."""
    return f"{Decimal(value):,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def italian_date(value) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ""


def _printable(value) -> str:
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return italian_date(value)
    if isinstance(value, Decimal):
        return italian_amount(value)
    return str(value)


def finalize(value):
    """What a placeholder prints: escaped for XML, line breaks and tabs as ODF elements (what secretary's
    ``get_escaped_var_value`` does, without its character-by-character Markup replacements, which took most
    of the time of a document)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    text = str(escape(NOT_XML.sub(" ", _printable(value))))
    if "\n" in text or "\t" in text:
        text = text.replace("\n", "<text:line-break/>").replace("\t", "<text:tab/>")
    return Markup(text)


ENVIRONMENT = BoundedEnvironment(max_output=MAX_OUTPUT, undefined=StrictUndefined, autoescape=True,
                                 finalize=finalize)
ENVIRONMENT.filters.update(pad=secretary.pad_string, importo=italian_amount, data=italian_date)


# --- problems ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """What is wrong with a template and where: ``where`` names the place, ``text`` the text around it."""
    message: str
    where: str = ""
    text: str = ""
    placeholder: str = ""

    def __str__(self) -> str:
        place = f"{self.where}" + (f" («{self.text}»)" if self.text else "")
        subject = f"«{self.placeholder}» " if self.placeholder else ""
        return f"{subject}{'in ' + place + ': ' if place else ''}{self.message}"


class TemplateProblem(UserError):
    """The template cannot be rendered: ``problems`` says what and where, the message says it all at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"Il modello contiene un errore: {self.problems[0]}."
        else:
            listed = "; ".join(f"{n}) {problem}" for n, problem in enumerate(self.problems, 1))
            message = f"Il modello contiene {len(self.problems)} errori: {listed}."
        super().__init__(message, field="file")


# --- the package -------------------------------------------------------------------------------------------

def unpack(template: bytes) -> dict[str, bytes]:
    """The files of an ODT text document; ``TemplateProblem`` for anything else."""
    refusal = TemplateProblem([Problem("il file non è un documento di testo OpenDocument (.odt) leggibile: "
                                       "lo salvi di nuovo in formato ODT con LibreOffice o Word")])
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES or sum(entry.file_size for entry in entries) > MAX_UNPACKED:
                raise refusal
            files = {entry.filename: archive.read(entry) for entry in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, ValueError,
            EOFError):
        raise refusal from None
    if files.get("mimetype", b"").strip() != ODT_MEDIA_TYPE.encode() or not all(p in files for p in RENDERED_PARTS):
        raise refusal
    return files


def pack(files: dict[str, bytes]) -> bytes:
    """An ODT package: ``mimetype`` first and stored, as the standard wants, the rest compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), files["mimetype"], compress_type=zipfile.ZIP_STORED)
        for name, content in files.items():
            if name != "mimetype":
                archive.writestr(name, content)
    return buffer.getvalue()


def _parse(files: dict[str, bytes], name: str) -> minidom.Document:
    try:
        return minidom.parseString(files[name])
    except (expat.ExpatError, ValueError):
        raise TemplateProblem([Problem(f"la parte {name} del documento non è leggibile: lo apra con LibreOffice "
                                       "o Word e lo salvi di nuovo in formato ODT")]) from None


# --- walking the text --------------------------------------------------------------------------------------

@dataclass
class Paragraph:
    element: minidom.Element
    where: str
    units: list = field(default_factory=list)  # [(node, text)]: text nodes and space, tab, break elements

    @property
    def text(self) -> str:
        return "".join(text for _node, text in self.units)

    @property
    def excerpt(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


def _spaces(count: str) -> int:
    """The spaces a ``text:s`` stands for: 1 unless it says otherwise, and never so many that a crafted file
    ("abc", "999999999") breaks the check or fills the memory."""
    if not count:
        return 1
    return min(int(count), MAX_SPACES) if count.isascii() and count.isdecimal() else 1


def _units(element, units: list) -> list:
    for child in element.childNodes:
        if child.nodeType == child.TEXT_NODE:
            units.append((child, child.data))
        elif child.nodeType == child.ELEMENT_NODE and child.tagName not in NESTED_TEXT | PARAGRAPHS:
            if child.tagName == "text:s":
                units.append((child, " " * _spaces(child.getAttribute("text:c"))))
            elif child.tagName == "text:tab":
                units.append((child, "\t"))
            elif child.tagName == "text:line-break":
                units.append((child, "\n"))
            else:
                _units(child, units)
    return units


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _owner_table(node):
    node = node.parentNode
    while node is not None and getattr(node, "tagName", "") != "table:table":
        node = node.parentNode
    return node


def _cell_place(cell) -> str:
    """"tabella «Creditori», cella B3 (riga 3, colonna 2)", as LibreOffice names cells (nested tables apart)."""
    row = cell.parentNode
    table = _owner_table(row)
    rows = [r for r in table.getElementsByTagName("table:table-row") if _owner_table(r) is table]
    cells = [c for c in row.childNodes if getattr(c, "tagName", "") in ("table:table-cell", "table:covered-table-cell")]
    column, row_number = cells.index(cell) + 1, rows.index(row) + 1
    return (f"tabella «{table.getAttribute('table:name')}», cella {_column(column)}{row_number} "
            f"(riga {row_number}, colonna {column})")


def paragraphs(document: minidom.Document) -> list[Paragraph]:
    """Every paragraph of a part, in the order of the document, with its place in words."""
    found: list[Paragraph] = []
    counters: dict[str, int] = {}

    def area_of(element) -> tuple[str, str] | None:
        node = element.parentNode
        while node is not None and node.nodeType == node.ELEMENT_NODE:
            if node.tagName in PAGE_PARTS:
                return PAGE_PARTS[node.tagName]
            if node.tagName == "office:body":
                return BODY
            node = node.parentNode
        return None

    def walk(node):
        for child in node.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.tagName in PARAGRAPHS:
                area = area_of(child)
                if area is not None:
                    of, within = area
                    if child.parentNode.tagName == "table:table-cell":
                        where = _cell_place(child.parentNode) + within
                    else:
                        counters[of] = counters.get(of, 0) + 1
                        where = f"paragrafo {counters[of]} {of}"
                    found.append(Paragraph(child, where, _units(child, [])))
            walk(child)

    walk(document.documentElement)
    return found


def _join_split_tags(paragraph: Paragraph) -> None:
    """Each tag whole in one run of text, with straight quotes and plain spaces: the word processor splits
    text wherever formatting, spell checking or revision marks change, placeholders included, and Word's
    autocorrection turns "fisica" into “fisica”, which Jinja2 cannot read."""
    starts, offset = [], 0
    for _node, text in paragraph.units:
        starts.append(offset)
        offset += len(text)
    # From the last tag back: what a later tag changes lies after every earlier tag's offsets.
    for match in reversed(list(TAG.finditer(paragraph.text))):
        begin, end = match.span()
        tag = " ".join(match.group(0).translate(TYPOGRAPHIC).split())
        first = max(i for i, start in enumerate(starts) if start <= begin)
        last = max(i for i, start in enumerate(starts) if start < end)
        node = paragraph.units[first][0]
        if first == last:
            if tag != match.group(0):
                node.data = node.data[:begin - starts[first]] + tag + node.data[end - starts[first]:]
            continue
        node.data = node.data[:begin - starts[first]] + tag
        for index in range(first + 1, last + 1):
            node = paragraph.units[index][0]
            if node.nodeType == node.TEXT_NODE:
                node.data = node.data[end - starts[index]:] if index == last else ""
            else:
                node.parentNode.removeChild(node)
    paragraph.units = _units(paragraph.element, [])


def _lift_blocks(document: minidom.Document, found: list[Paragraph]) -> None:
    """Paragraphs (and table rows) holding only block tags give way to the tags themselves."""
    lifted_rows = set()
    for paragraph in found:
        text = paragraph.text
        element = paragraph.element
        if not ONLY_BLOCKS.fullmatch(text) or not _in_document(element):
            continue
        cell = element.parentNode
        row = cell.parentNode if cell.tagName == "table:table-cell" else None
        if row is not None and _only_blocks_in(row):
            if id(row) in lifted_rows:
                continue
            lifted_rows.add(id(row))
            tags = "".join(m.group(0) for p in row.getElementsByTagName("text:p") for m in TAG.finditer(_text_of(p)))
            row.parentNode.replaceChild(document.createTextNode(tags), row)
        else:
            tags = "".join(match.group(0) for match in TAG.finditer(text))
            cell.replaceChild(document.createTextNode(tags), element)


def _in_document(element) -> bool:
    """Whether ``element`` is still in its document: secretary replaces the whole row or paragraph of an
    input field whose description names one ("table:table-row"), and the paragraphs within go with it."""
    while element.parentNode is not None:
        element = element.parentNode
    return element.nodeType == element.DOCUMENT_NODE


def _text_of(element) -> str:
    return "".join(text for _node, text in _units(element, []))


def _only_blocks_in(row) -> bool:
    cells = [c for c in row.childNodes if c.nodeType == c.ELEMENT_NODE]
    for cell in cells:
        for child in cell.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.tagName not in PARAGRAPHS:
                return False
            text = _text_of(child)
            if text.strip() and not ONLY_BLOCKS.fullmatch(text):
                return False
    return True


class _Preparer(secretary.Renderer):
    """secretary's own preparation of the XML for Jinja2 (input fields, entities in tags), plus the lifting of
    block paragraphs and rows described above."""

    def prepared(self, document: minidom.Document, found: list[Paragraph]) -> str:
        """The XML for Jinja2, once the split tags of ``found`` are joined (``_join_split_tags``)."""
        self._prepare_document_tags(document)
        _lift_blocks(document, found)
        return self._unescape_entities(document.toxml())


# --- the tags, where they are ------------------------------------------------------------------------------

@dataclass
class Tag:
    kind: str  # "var" | "block"
    source: str  # the expression or statement inside the delimiters
    paragraph: Paragraph

    @property
    def text(self) -> str:
        return "{{ %s }}" % self.source if self.kind == "var" else "{%% %s %%}" % self.source

    @property
    def keyword(self) -> str:
        return self.source.split(None, 1)[0] if self.source else ""

    def problem(self, message: str) -> Problem:
        return Problem(message, self.paragraph.where, self.paragraph.excerpt, self.text)


def _tags(found: list[Paragraph], problems: list[Problem]) -> list[Tag]:
    tags = []
    for paragraph in found:
        text = paragraph.text
        for match in TAG.finditer(text):
            kind = "var" if match.group("var") is not None else "block"
            source = (match.group(kind) or "").strip().strip("-").strip()
            tags.append(Tag(kind, source, paragraph))
        rest = TAG.sub("", text)
        for opening, closing in (("{{", "}}"), ("{%", "%}")):
            if opening in rest or closing in rest:
                problems.append(Problem(f"un segnaposto è aperto con «{opening}» ma non chiuso con «{closing}», "
                                        "o viceversa", paragraph.where, paragraph.excerpt))
                break
    return tags


def _syntax(tag: Tag) -> Problem | None:
    """The tag's expression or statement, checked alone (a block tag with an empty body of its kind)."""
    keyword = tag.keyword
    if tag.kind == "var":
        source = tag.text
    elif keyword in BLOCK_KEYWORDS:
        source = f"{tag.text}{{% {BLOCK_KEYWORDS[keyword]} %}}"
    elif keyword == "elif":
        source = f"{{% if true %}}{tag.text}{{% endif %}}"
    elif keyword in ("else", "endif", "endfor"):
        return None if tag.source == keyword else tag.problem(f"«{keyword}» va scritto da solo: {{% {keyword} %}}")
    elif keyword == "set":
        source = tag.text
    else:
        return tag.problem("istruzione non ammessa: nei modelli si usano {% for ... %}, {% if ... %}, "
                           "{% elif ... %}, {% else %}, {% set ... %} e le loro chiusure {% endfor %}, {% endif %}")
    try:
        ENVIRONMENT.parse(source)
    except TemplateSyntaxError as error:
        return tag.problem(f"la scrittura non è valida ({error.message})")
    return None


@dataclass
class Block:
    opener: Tag
    branches: list = field(default_factory=list)


def _structure(tags: list[Tag], problems: list[Problem]) -> list[tuple[Tag, ...]]:
    """Blocks opened and closed in order; every tag out of place is a problem. Returns the blocks found as
    (opener, inner tags..., closer)."""
    stack: list[Block] = []
    blocks = []
    for tag in tags:
        keyword = tag.keyword if tag.kind == "block" else ""
        if keyword in BLOCK_KEYWORDS:
            stack.append(Block(tag))
        elif keyword in INNER_KEYWORDS:
            if not stack or stack[-1].opener.keyword not in INNER_KEYWORDS[keyword]:
                problems.append(tag.problem(f"«{keyword}» si trova fuori da un blocco "
                                            f"{' o '.join('{% ' + k + ' %}' for k in INNER_KEYWORDS[keyword])}"))
            else:
                stack[-1].branches.append(tag)
        elif keyword in BLOCK_KEYWORDS.values():
            opening = next(k for k, v in BLOCK_KEYWORDS.items() if v == keyword)
            if not stack:
                problems.append(tag.problem(f"chiude un blocco {{% {opening} %}} che non è stato aperto"))
            elif stack[-1].opener.keyword != opening:
                opener = stack.pop().opener
                problems.append(tag.problem(
                    f"chiude un blocco {{% {opening} %}}, ma l'ultimo aperto è «{opener.text}» "
                    f"({opener.paragraph.where}), che va chiuso prima con {{% {BLOCK_KEYWORDS[opener.keyword]} %}}"))
            else:
                block = stack.pop()
                blocks.append((block.opener, *block.branches, tag))
    for block in stack:
        problems.append(block.opener.problem(
            f"il blocco non è chiuso: manca {{% {BLOCK_KEYWORDS[block.opener.keyword]} %}} più avanti nel documento"))
    return blocks


def _balanced(fragment: str) -> bool:
    depth = []
    for closing, name, empty in XML_TAG.findall(fragment):
        if empty:
            continue
        if not closing:
            depth.append(name)
        elif not depth or depth.pop() != name:
            return False
    return not depth


def _crossings(prepared: str, tags: list[Tag], blocks, problems: list[Problem]) -> None:
    """A block whose parts sit at different depths of the document (an {% if %} inside a paragraph closed in
    another paragraph, a loop opened in a table row and closed after the table) would give a broken
    document whenever a part is left out or repeated: the text between consecutive parts must be whole."""
    positions = [m.start() for m in re.finditer(r"\{%.*?%\}", prepared, re.S)]
    block_tags = [tag for tag in tags if tag.kind == "block"]
    if len(positions) != len(block_tags):
        return
    where = {id(tag): position for tag, position in zip(block_tags, positions)}
    for block in blocks:
        for first, second in zip(block, block[1:]):
            start = prepared.index("%}", where[id(first)]) + 2
            if not _balanced(prepared[start:where[id(second)]]):
                problems.append(first.problem(
                    f"il blocco si chiude con «{block[-1].text}» ({block[-1].paragraph.where}) in un punto diverso "
                    "della struttura del documento: metta l'apertura e la chiusura nello stesso paragrafo, "
                    "oppure ciascuna da sola nel proprio paragrafo (o nella propria riga di tabella)"))
                break


# --- evaluation with the data ------------------------------------------------------------------------------

UNDEFINED = re.compile(r"'(?P<name>[^']+)' is undefined")
NO_ATTRIBUTE = re.compile(r"'(?P<owner>[^']+)' has no attribute '(?P<name>[^']+)'")


def _explained(error: Exception) -> str:
    text = str(error)
    if isinstance(error, UndefinedError):
        if match := UNDEFINED.search(text):
            return (f"il dato «{match['name']}» non esiste: controlli il nome nell'elenco dei dati disponibili "
                    "(le maiuscole contano)")
        if match := NO_ATTRIBUTE.search(text):
            if match["owner"] == "None":
                return f"il dato che precede «{match['name']}» è vuoto per questa pratica"
            return (f"«{match['name']}» non è un dato disponibile: controlli il nome nell'elenco dei dati "
                    "disponibili (le maiuscole contano)")
        return "usa un dato che non esiste"
    if isinstance(error, LimitExceeded):
        return str(error)
    if isinstance(error, SecurityError):
        return "usa un'operazione non consentita nei modelli"
    return f"non può essere calcolato con i dati della pratica ({text})"


@lru_cache(maxsize=2048)
def _small(source: str):
    return ENVIRONMENT.from_string(source)


def _evaluate(source: str, scope) -> tuple[str | None, dict]:
    """``source`` rendered in ``scope``: (None, captured) or (the reason it failed, {})."""
    captured = {}

    def capture(**values):
        captured.update(values)
        return ""

    try:
        _small(source).render({**scope, "__capture": capture})
    except LimitExceeded:
        raise
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as error:
        return _explained(error), {}
    return None, captured


def _targets(tag: Tag) -> list[str]:
    """The names a {% for %} or {% set %} binds."""
    statement = ENVIRONMENT.parse(tag.text + ("{% endfor %}" if tag.keyword == "for" else ""))
    target = statement.body[0].target
    return [name.name for name in target.find_all(nodes.Name)] if not isinstance(target, nodes.Name) \
        else [target.name]


def _references(tag: Tag) -> set[str]:
    source = tag.text if tag.kind == "var" else tag.text + ("{% endfor %}" if tag.keyword == "for" else "")
    if tag.keyword == "if":
        source += "{% endif %}"
    elif tag.keyword == "elif":
        source = "{% if true %}" + tag.text + "{% endif %}"
    return meta.find_undeclared_variables(ENVIRONMENT.parse(source))


@dataclass
class _Frame:
    """A block being walked: its names, whether this context prints it, the names it leaves unbound (an
    empty list's loop variable) and, for {% if %}, whether a branch was taken; for {% for %}, whether the list
    had items (its {% else %} runs otherwise)."""
    scope: ChainMap
    live: bool
    unbound: set
    met: bool = False


def _loop(length: int) -> SimpleNamespace:
    """What ``loop`` gives in the first pass of a loop (``loop.index`` numbers the rows of a table)."""
    return SimpleNamespace(index=1, index0=0, revindex=length, revindex0=length - 1, first=True,
                           last=length == 1, length=length, depth=1, depth0=0, previtem=None, nextitem=None,
                           cycle=lambda *values: values[0])


def _check_values(tags: list[Tag], context: dict, all_branches: bool, problems: list[Problem]) -> None:
    """Each placeholder evaluated in its scope, with loop variables bound to the first item of their list.

    ``all_branches`` checks every branch of every {% if %} (upload validation: the sample data stand for any
    dossier); otherwise only what ``context`` prints (why a real document failed)."""
    frames = [_Frame(ChainMap({}, context), True, set())]

    def check(tag: Tag, source: str, frame: _Frame) -> dict:
        if _references(tag) & frame.unbound or not (frame.live or all_branches):
            return {}
        try:
            reason, captured = _evaluate(source, frame.scope)
        except LimitExceeded as error:  # the check's allowance is spent: the next tags could not be checked
            raise TemplateProblem([*problems, tag.problem(str(error))]) from None
        if reason:
            problems.append(tag.problem(reason))
        return captured

    for tag in tags:
        keyword, frame = (tag.keyword if tag.kind == "block" else ""), frames[-1]
        condition = "{% if " + tag.source[len(keyword):] + " %}{{ __capture(met=true) }}{% endif %}"
        if keyword in ("endif", "endfor"):
            if len(frames) > 1:
                frames.pop()
        elif keyword == "for":
            names = _targets(tag)
            captured = check(tag, tag.text + "{% if loop.first %}{{ __capture(" + ", ".join(f"{n}={n}" for n in names)
                             + ", __length=loop.length) }}{% endif %}{% endfor %}", frame)
            length = captured.pop("__length", 0)
            frames.append(_Frame(frame.scope.new_child({**captured, "loop": _loop(length)} if length else {}),
                                 frame.live and length > 0, frame.unbound | (set() if length else {*names, "loop"}),
                                 met=length > 0))
        elif keyword == "if":
            met = bool(check(tag, condition, frame).get("met"))
            frames.append(_Frame(frame.scope.new_child({}), frame.live and met, set(frame.unbound), met))
        elif keyword in ("elif", "else") and len(frames) > 1:
            parent = frames[-2]
            met = keyword == "else" or bool(check(tag, condition, parent).get("met"))
            frame.live, frame.met = parent.live and met and not frame.met, frame.met or met
            frame.scope, frame.unbound = parent.scope.new_child({}), set(parent.unbound)
        elif keyword == "set":
            names = _targets(tag)
            frame.scope.maps[0].update(check(tag, tag.text + "{{ __capture(" + ", ".join(f"{n}={n}" for n in names)
                                             + ") }}", frame))
        elif tag.kind == "var":
            check(tag, tag.text, frame)


# --- compiling and rendering -------------------------------------------------------------------------------

@dataclass
class Parsed:
    """A template read and prepared for Jinja2, with its tags and their places."""
    files: dict[str, bytes]
    sources: dict[str, str]
    tags: list[Tag]
    problems: list[Problem]


def _read(template: bytes) -> Parsed:
    files = unpack(template)
    sources, tags, problems = {}, [], []
    preparer = _Preparer(environment=ENVIRONMENT)
    for part in RENDERED_PARTS:
        document = _parse(files, part)
        found = paragraphs(document)
        for paragraph in found:
            _join_split_tags(paragraph)
        part_tags = _tags(found, problems)
        part_problems = [problem for problem in map(_syntax, part_tags) if problem]
        problems += part_problems
        blocks = _structure(part_tags, problems)
        sources[part] = preparer.prepared(document, found)
        if not part_problems:
            _crossings(sources[part], part_tags, blocks, problems)
        tags += part_tags
    return Parsed(files, sources, tags, problems)


@dataclass(frozen=True)
class Compiled:
    files: dict[str, bytes]
    templates: dict
    parsed: Parsed


# The bytes of the template whose digest ``compiled`` asks of ``_compiled``, for this thread.
_pending = threading.local()


@lru_cache(maxsize=64)
def _compiled(digest: str) -> Compiled:
    """The template of ``digest`` read and compiled. The digest alone is the cache's key, so that the cache does
    not keep a second copy of every template's bytes: they come from ``compiled``, through ``_pending``."""
    parsed = _read(_pending.template)
    if parsed.problems:
        raise TemplateProblem(parsed.problems)
    try:
        templates = {part: ENVIRONMENT.from_string(source) for part, source in parsed.sources.items()}
    except TemplateSyntaxError as error:
        raise TemplateProblem([Problem(f"la scrittura di un segnaposto non è valida ({error.message})")]) from None
    return Compiled(parsed.files, templates, parsed)


def compiled(template: bytes) -> Compiled:
    """The template ready to render, read and compiled once per content."""
    _pending.template = template
    try:
        return _compiled(hashlib.sha256(template).hexdigest())
    finally:
        del _pending.template


def _well_formed(xml: str) -> bool:
    parser = expat.ParserCreate()
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        return False
    return True


def check_template(template: bytes, context: dict, *, all_branches: bool = True) -> list[Problem]:
    """Every problem of ``template`` with ``context``, each with its place; empty when it renders.

    ``all_branches`` (the default, for uploads checked against sample data) checks the placeholders of
    every branch and loop; False checks only what ``context`` would print (why a real document failed)."""
    try:
        parsed = _read(template)
    except TemplateProblem as problem:
        return problem.problems
    if parsed.problems:
        return parsed.problems
    problems: list[Problem] = []
    with budget():  # every tag alone, then the whole document: one allowance of work for the check
        try:
            _check_values(parsed.tags, context, all_branches, problems)
            if not problems:
                render_odt(template, context)
        except TemplateProblem as problem:
            return problem.problems
    return problems


def render_odt(template: bytes, context: dict) -> bytes:
    """``template`` (ODT) rendered with ``context``: an ODT. ``TemplateProblem`` says what is wrong and where."""
    ready = compiled(template)
    try:
        with budget():
            parts = {part: jinja.render(context) for part, jinja in ready.templates.items()}
    except LimitExceeded as error:  # the tags one by one would not show it, or would find the allowance spent
        raise TemplateProblem([Problem(str(error))]) from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as error:
        problems: list[Problem] = []
        _check_values(ready.parsed.tags, context, False, problems)
        raise TemplateProblem(problems or [Problem(_explained(error))]) from None
    broken = [part for part, xml in parts.items() if not _well_formed(xml)]
    if broken:
        raise TemplateProblem([Problem("con questi dati il documento risulterebbe danneggiato: controlli che ogni "
                                       "blocco {% ... %} si apra e si chiuda nello stesso paragrafo o in paragrafi "
                                       "(o righe di tabella) a sé")])
    return pack({**ready.files, **{part: xml.encode("utf-8") for part, xml in parts.items()}})
