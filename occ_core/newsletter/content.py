"""The body of a newsletter: HTML cut down to a safe subset (nh3), its text version, the footer with the
unsubscribe link."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import lxml.html
import nh3
from lxml import etree

SAFE_TAGS = {"a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p",
             "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul"}
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
                   "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src"}
# Filled in for each recipient by the email builder (occ_core.dispatch.channels.build_email).
UNSUBSCRIBE_FIELD = "unsubscribe_url"
UNSUBSCRIBE_PLACEHOLDER = "{{" + UNSUBSCRIBE_FIELD + "}}"

BLOCKS = {"blockquote", "div", "h1", "h2", "h3", "h4", "hr", "ol", "p", "table", "tr", "ul"}
PARAGRAPH, LINE = "\x00", "\x01"


def _fragment(text: str):
    try:
        return lxml.html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def sanitise(body: str) -> tuple[str, list[str]]:
    """The HTML with only what a newsletter may carry, and what was taken out (for the author to know)."""
    cleaned = nh3.clean(body or "", tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer").strip()
    return cleaned, _removed(body or "")


def _removed(body: str) -> list[str]:
    root = _fragment(body)
    found = set()
    for element in root.iter() if root is not None else ():
        if element is root or not isinstance(element.tag, str):  # comments and processing instructions
            continue
        if element.tag not in SAFE_TAGS:
            found.add(f"<{element.tag}>")
            continue
        for name, value in element.attrib.items():
            scheme = urlsplit(value.strip()).scheme.lower() if name in URL_ATTRIBUTES else ""
            if name not in SAFE_ATTRIBUTES.get(element.tag, ()):
                found.add(name)
            elif scheme and scheme not in URL_SCHEMES:
                found.add(f"{scheme}:")
    return sorted(found)


def html_to_text(body: str) -> str:
    """A readable text version of the HTML: paragraphs, line breaks, list items, links with their address."""
    root = _fragment(body)
    if root is None:
        return ""
    parts: list[str] = []
    _walk(root, parts)
    text = re.sub(r"\s+", " ", "".join(parts))
    text = re.sub(rf" ?([{PARAGRAPH}{LINE}]) ?", r"\1", text)
    text = re.sub(rf"{PARAGRAPH}[{PARAGRAPH}{LINE}]*", "\n\n", text).replace(LINE, "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _walk(element, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        parts.append(LINE)
    elif tag == "li":
        parts.append(LINE + "- ")
    elif tag in BLOCKS:
        parts.append(PARAGRAPH)
    if tag:
        parts.append(element.text or "")
        for child in element:
            _walk(child, parts)
    href = element.get("href", "") if tag == "a" else ""
    if href and href != element.text_content().strip():
        parts.append(f" ({href.removeprefix('mailto:')})")
    if tag in BLOCKS:
        parts.append(PARAGRAPH)
    parts.append(element.tail or "")


def email_bodies(subject: str, body_html: str, body_text: str, order_name: str) -> tuple[str, str]:
    """The HTML and text sent: the author's content and a footer with the recipient's unsubscribe link."""
    text = (body_text or "").strip() or html_to_text(body_html)
    footer_text = (f"\n\n--\n{order_name}\nPer non ricevere più la newsletter può annullare l'iscrizione "
                   f"da qui: {UNSUBSCRIBE_PLACEHOLDER}\n")
    if not body_html:
        return "", text + footer_text
    document = (
        '<!DOCTYPE html>\n<html lang="it"><head><meta charset="utf-8"><title>{title}</title></head><body>\n'
        '{body}\n<hr><p style="font-size:small;color:#555">{order}. Per non ricevere più la newsletter può '
        '<a href="{link}">annullare l\'iscrizione</a>.</p>\n</body></html>\n'
    ).format(title=html.escape(subject), body=sanitise(body_html)[0], order=html.escape(order_name),
             link=UNSUBSCRIBE_PLACEHOLDER)
    return document, text + footer_text
