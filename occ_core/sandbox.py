"""Jinja2's sandbox with limits: the templates and texts an Order writes render in bounded memory and time.

Jinja2's sandbox keeps a template away from Python's internals, not from its operators and loops:
``{{ 'x' * 10**10 }}`` asks for ten gigabytes, two loops over ``range(100000)`` one inside the other run ten
billion times, and a worker serves every Order. ``BoundedEnvironment`` refuses, before computing it:

- a value of more than ``MAX_SIZE`` characters or items, counted as it would be printed (a list holding the
  same long text a thousand times weighs a thousand texts), whether an operator (``*``, ``+``, ``%``, ``~``),
  a filter (``center``, ``replace``, ``join``, ``batch`` ...), a call or a list written in the template
  would make it, and a number of more than ``MAX_BITS`` bits;
- ``range`` over more than ``MAX_RANGE`` numbers;
- more than ``MAX_STEPS`` steps in one render, or in everything inside one ``budget()`` (a template checked
  tag by tag): each pass through a loop or a macro pays a step for each expression and statement in it, each
  call a step, and every ``CHARACTERS_PER_STEP`` characters handled one more;
- a render whose output passes ``max_output`` characters (the render stops there).

Text methods that make long texts (``center``, ``replace``, ``format`` ...) are not available: the filters
of the same name are, with their limits. A refusal is ``LimitExceeded``, a ``SecurityError`` whose Italian
message completes the caller's own ("Il modello contiene un errore: ...: <message>", "Testo: il testo non si
può comporre (<message>)")."""
from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from jinja2 import TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.environment import Template
from jinja2.filters import make_attrgetter
from jinja2.runtime import Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace

MAX_SIZE = 100_000
MAX_BITS = 4096
MAX_RANGE = 10_000
MAX_STEPS = 1_000_000
CHARACTERS_PER_STEP = 50
ITEMS_PER_STEP = 10  # of a list or dict looked through to weigh it
SIZED = (str, bytes, list, tuple, dict, set, frozenset)
TEXT_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal", "isdigit",
    "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith",
    "strip", "swapcase", "title", "upper"})
# A conversion of ``%`` formatting, with its width and precision ("%-10.2f", "%(nome)s", "%*d").
CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


TOO_LARGE = f"il risultato sarebbe troppo grande (oltre {_thousands(MAX_SIZE)} caratteri o elementi)"
TOO_BIG_A_NUMBER = "il numero risultante sarebbe troppo grande"
TOO_LONG_A_RANGE = f"range() può contare al massimo {_thousands(MAX_RANGE)} numeri"
TOO_MANY_STEPS = "richiede troppi passaggi: un ciclo o un calcolo è troppo lungo"
TOO_DEEP = "si richiama o si annida troppe volte (una macro o un ciclo che richiama sé stesso, troppe parentesi)"


class LimitExceeded(SecurityError):
    """What the template asks would take too much memory or time: the message says which limit, in Italian."""


# --- the work of one render ------------------------------------------------------------------------------

class _Budget:
    __slots__ = ("steps",)

    def __init__(self):
        self.steps = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


@contextmanager
def budget():
    """One allowance of ``MAX_STEPS`` for everything rendered inside (a render opens its own, unless inside)."""
    if _BUDGET.get() is not None:
        yield
        return
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _spend(steps: int) -> None:
    current = _BUDGET.get()
    if current is None:  # compiling: Jinja2 computes what the template's own text holds, bounded by its length
        return
    current.steps += steps
    if current.steps > MAX_STEPS:
        raise LimitExceeded(TOO_MANY_STEPS)


def _within(size: int, message: str = TOO_LARGE) -> None:
    if size > MAX_SIZE:
        raise LimitExceeded(message)


def weight(value) -> int:
    """The characters and items ``value`` amounts to once printed, counted up to just past ``MAX_SIZE``."""
    total, walked, pending = 0, 0, [value]
    while pending and total <= MAX_SIZE:
        item = pending.pop()
        walked += 1
        if isinstance(item, Namespace):  # namespace(...): its attributes, kept by Jinja2 under this name
            pending.append(item._Namespace__attrs)
        elif not isinstance(item, SIZED):
            total += 1
        else:
            total += len(item)
            if total <= MAX_SIZE and not isinstance(item, (str, bytes)):
                pending.extend(item.items() if isinstance(item, Mapping) else item)
    _spend(1 + walked // ITEMS_PER_STEP + total // CHARACTERS_PER_STEP)
    return total


def _counted(value):
    """A result, its size paid for and within ``MAX_SIZE`` (a dict or namespace made from a template's
    values weighed whole, anything else by its length: a list from the dossier is not the template's doing)."""
    if isinstance(value, (Mapping, Namespace)):
        _within(weight(value))
        return value
    size = len(value) if isinstance(value, SIZED) else 1
    _spend(1 + size // CHARACTERS_PER_STEP)
    _within(size)
    return value


def _number(value) -> int:
    return value if isinstance(value, int) else 0


def _text(value) -> str:
    """``value`` as the filter will print it, once its weight is known to be within limits."""
    _within(weight(value))
    return str(value)


def _formatted(template, values) -> int:
    """The length ``template % values`` can reach: the template, the values, every width and precision."""
    template = _text(template)
    widths = 0
    for width, precision in CONVERSION.findall(template):
        if "*" in (width, precision):  # the width comes from the values: as large as they want
            return MAX_SIZE + 1
        widths += int(width[:9] or 0) + int(precision[:9] or 0)
    return len(template) + widths + weight(values)


# --- operators -------------------------------------------------------------------------------------------

def _power_size(base, exponent) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _within(0 if exponent * base.bit_length() <= MAX_BITS else MAX_SIZE + 1, TOO_BIG_A_NUMBER)


def _product_size(left, right) -> None:
    if isinstance(left, int) and isinstance(right, int):
        _within(0 if left.bit_length() + right.bit_length() <= MAX_BITS else MAX_SIZE + 1, TOO_BIG_A_NUMBER)
    elif isinstance(left, SIZED) and isinstance(right, int):
        _within(weight(left) * max(right, 0))
    elif isinstance(right, SIZED) and isinstance(left, int):
        _within(weight(right) * max(left, 0))


def _sum_size(left, right) -> None:
    if isinstance(left, SIZED) and isinstance(right, SIZED):
        _within(weight(left) + weight(right))


def _remainder_size(left, right) -> None:
    if isinstance(left, str):
        _within(_formatted(left, right))


OPERATOR_SIZES = {"**": _power_size, "*": _product_size, "+": _sum_size, "%": _remainder_size}


# --- filters ---------------------------------------------------------------------------------------------
# What each filter that can make much more than it is given would make at most, from its arguments (named
# as the filter names them) and the environment.

def _center_size(environment, value, width=80):
    return max(weight(value), _number(width))


def _pad_size(environment, value, length=5):
    return max(weight(value), _number(length))


def _indent_size(environment, s, width=4, first=False, blank=False):
    lines = s.count("\n") + 1 if isinstance(s, str) else weight(s)
    return weight(s) + lines * (len(_text(width)) if isinstance(width, str) else _number(width))


def _wordwrap_size(environment, s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
    return weight(s) * (1 + len(_text(wrapstring or "\n")))  # at worst a line for every character


def _replace_size(environment, s, old, new, count=None):
    s, old, new = _text(s), _text(old), _text(new)
    found = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(s) + found * max(0, len(new) - len(old))


def _format_size(environment, value, *args, **kwargs):
    return _formatted(value, kwargs or args)


def _batch_size(environment, value, linecount, fill_with=None):
    return _number(linecount) * weight(fill_with)


def _slice_size(environment, value, slices, fill_with=None):
    return _number(slices) * weight(fill_with)


def _join_size(environment, value, d="", attribute=None):
    items = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(environment, attribute), items))
    return weight(items) + len(items) * len(_text(d))


def _sum_filter_size(environment, iterable, attribute=None, start=0):
    if not isinstance(start, (list, tuple)):
        return 0  # numbers: the sum of numbers is one number
    items = list(iterable)
    if attribute is not None:
        items = list(map(make_attrgetter(environment, attribute), items))
    return weight(items) + weight(start)


def _tojson_size(environment, value, indent=None):
    return weight(value) * (1 + (len(_text(indent)) if isinstance(indent, str) else _number(indent)))


FILTER_SIZES = {"center": _center_size, "pad": _pad_size, "indent": _indent_size, "wordwrap": _wordwrap_size,
                "replace": _replace_size, "format": _format_size, "batch": _batch_size, "slice": _slice_size,
                "join": _join_size, "sum": _sum_filter_size, "tojson": _tojson_size}
# Filters that read their first argument (perhaps a generator, which can be read once) before the size.
READ_FIRST = {"join", "sum"}


@functools.cache
def _guarded(environment, name: str, function):
    """``function`` (the filter ``name``) refusing a result past the limits, before making it if it can grow."""
    size_of = FILTER_SIZES.get(name)
    skip = 1 if getattr(function, "jinja_pass_arg", None) else 0

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        if size_of is not None:
            if name in READ_FIRST and len(args) > skip and not isinstance(args[skip], SIZED):
                args = (*args[:skip], list(args[skip]), *args[skip + 1:])
            _within(size_of(environment, *args[skip:], **kwargs))
        return _counted(function(*args, **kwargs))

    return guarded


class _GuardedFilters(dict):
    """The environment's filters, each handed out guarded, whoever added it and whenever."""

    def __init__(self, environment, filters):
        super().__init__(filters)
        self.environment = environment

    def __getitem__(self, name):
        return _guarded(self.environment, name, super().__getitem__(name))

    def get(self, name, default=None):
        return self[name] if name in self else default


# --- code generation -------------------------------------------------------------------------------------

def _counted_node(node, cost: int = 0) -> nodes.Call:
    """``node``'s value, once ``cost`` steps and its weight are paid for and the weight is within limits
    (``BoundedEnvironment.counted``)."""
    return nodes.Call(nodes.EnvironmentAttribute("counted"), [nodes.Const(cost), node], [], None, None,
                      lineno=node.lineno)


def _cost(node: nodes.Node) -> int:
    """The steps a pass through ``node`` (a loop's or a macro's body) is worth: one, one more for each
    expression and statement in it, and its text by ``CHARACTERS_PER_STEP``."""
    inner = list(node.find_all(nodes.Node))
    text = sum(len(data.data) for data in inner if isinstance(data, nodes.TemplateData))
    return 1 + len(inner) + text // CHARACTERS_PER_STEP


def _paid(node: nodes.Node, cost: int) -> nodes.ExprStmt:
    return nodes.ExprStmt(_counted_node(nodes.Const(None, lineno=node.lineno), cost), lineno=node.lineno)


class _BoundedCodeGenerator(CodeGenerator):
    """Loops and macros that pay for each pass (``_cost``), ``~`` that weighs its parts before joining them, and
    lists, tuples and dicts written in the template weighed as they are made."""

    def visit_Call(self, node: nodes.Call, frame, forward_caller: bool = False) -> None:
        if not isinstance(node.node, nodes.EnvironmentAttribute):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        # Made by _counted_node (a template cannot name the environment): called directly, not through the
        # sandbox's call, which would count it again.
        self.write(f"environment.{node.node.name}(")
        for argument in node.args:
            self.visit(argument, frame)
            self.write(", ")
        self.write(")")

    def _weighed(self, visit, node, frame) -> None:
        self.write("environment.counted(0, ")
        visit(node, frame)
        self.write(")")

    def visit_For(self, node: nodes.For, frame) -> None:
        counted = copy.copy(node)
        if node.test is None:
            counted.body = [_paid(node, _cost(node)), *node.body]
        else:  # the items left out by the test are iterations too
            counted.test = _counted_node(node.test, _cost(node))
        super().visit_For(counted, frame)

    def visit_Macro(self, node: nodes.Macro, frame) -> None:
        counted = copy.copy(node)
        counted.body = [_paid(node, _cost(node)), *node.body]
        super().visit_Macro(counted, frame)

    def visit_CallBlock(self, node: nodes.CallBlock, frame) -> None:
        counted = copy.copy(node)
        counted.body = [_paid(node, _cost(node)), *node.body]
        super().visit_CallBlock(counted, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        joined = nodes.Concat([_counted_node(part) for part in node.nodes], lineno=node.lineno)
        self._weighed(super().visit_Concat, joined, frame)

    def visit_List(self, node: nodes.List, frame) -> None:
        self._weighed(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame) -> None:
        self._weighed(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame) -> None:
        if node.ctx == "load":
            self._weighed(super().visit_Tuple, node, frame)
        else:  # the names a {% for %} or {% set %} assigns
            super().visit_Tuple(node, frame)


# --- the environment -------------------------------------------------------------------------------------

def bounded_range(*args) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise LimitExceeded(TOO_LONG_A_RANGE)
    return numbers


class BoundedTemplate(Template):
    def render(self, *args, **kwargs) -> str:
        """The template rendered, stopped as soon as its output passes the environment's ``max_output``."""
        limit = self.environment.max_output
        parts, size = [], 0
        with budget():
            generator = self.generate(*args, **kwargs)
            try:
                for part in generator:
                    size += len(part)
                    if size > limit:
                        raise LimitExceeded(f"il risultato supererebbe {_thousands(limit)} caratteri")
                    parts.append(part)
            except RecursionError:
                raise LimitExceeded(TOO_DEEP) from None
            finally:
                generator.close()
        return self.environment.concat(parts)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the limits above; ``max_output`` is the longest render, in characters. ``finalize``,
    if given, takes the printed value alone."""
    code_generator_class = _BoundedCodeGenerator
    template_class = BoundedTemplate
    intercepted_binops = frozenset(OPERATOR_SIZES)

    def __init__(self, *, max_output: int, finalize=None, **options):
        super().__init__(finalize=self._printing(finalize), **options)
        self.max_output = max_output
        self.filters = _GuardedFilters(self, self.filters)
        self.globals["range"] = bounded_range
        del self.globals["lipsum"]  # placeholder text, as many paragraphs as asked: no use in a letter

    @staticmethod
    def _printing(finalize):
        def printed(value):
            _within(weight(value))
            return value if finalize is None else finalize(value)

        return printed

    def counted(self, cost: int, value):
        """Called by the compiled template (``_counted_node``)."""
        _spend(cost)
        if isinstance(value, (*SIZED, Namespace)):  # anything else weighs one: a loop's step, a number
            _within(weight(value))
        return value

    def call_binop(self, context, operator, left, right):
        OPERATOR_SIZES[operator](left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context, obj, /, *args, **kwargs):
        if isinstance(obj, (type, Macro)):  # dict(), namespace(), cycler() and macros keep what they are given
            _within(weight((args, kwargs)))
        return _counted(super().call(context, obj, *args, **kwargs))

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if isinstance(obj, str) and callable(value) and attr not in TEXT_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value):
        return None  # str.format is not among TEXT_METHODS: the filter «format» is, with its limits

    def unsafe_undefined(self, obj, attribute):
        return self.undefined(f"«{attribute}» non si può usare qui", name=attribute, obj=obj, exc=SecurityError)

    def parse(self, source, name=None, filename=None):
        with _shallow():
            return super().parse(source, name, filename)

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        with _shallow():
            return super().compile(source, name, filename, raw, defer_init)


@contextmanager
def _shallow():
    """Jinja2 reads and compiles nested expressions recursively: a hundred parentheses one inside the other
    exhaust Python's stack, which is the template's mistake."""
    try:
        yield
    except RecursionError:
        raise TemplateSyntaxError(TOO_DEEP, 1) from None
