"""Bar charts drawn on the server as SVG: no script, nothing fetched from elsewhere, readable by a screen
reader (a title and a description name the chart, each bar carries its label and value) and always shown
next to the table of the same numbers."""
from __future__ import annotations

from markupsafe import Markup, escape

BAR_COLOUR, TEXT_COLOUR, AXIS_COLOUR = "#0066cc", "#1a1a1a", "#5c6f82"
ROW_HEIGHT, LABEL_WIDTH, BAR_SPACE, VALUE_SPACE = 28, 330, 360, 90
# Columns share this width, each between the narrowest that fits a month's label and the widest that still
# looks like a column.
COLUMNS_SPACE, COLUMN_MIN, COLUMN_MAX, COLUMN_HEIGHT, COLUMN_TOP, COLUMN_FOOT = 720, 34, 90, 180, 24, 58


def _shown(value, formatter) -> str:
    return formatter(value) if formatter else str(value)


def _frame(chart_id: str, title: str, description: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="occ-chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-size="14" '
        f'font-family="inherit"><title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>{"".join(body)}</svg>')


def bars(chart_id: str, title: str, points: list[tuple[str, object]], formatter=None) -> Markup:
    """Horizontal bars, one per (label, value): for categories with long names."""
    points = [(label, value) for label, value in points if value is not None]
    top = max((float(value) for _label, value in points), default=0) or 1
    body = []
    for index, (label, value) in enumerate(points):
        y = index * ROW_HEIGHT
        length = max(float(value) / top * BAR_SPACE, 1 if value else 0)
        text = _shown(value, formatter)
        short = label if len(label) <= 46 else label[:45] + "…"
        body.append(
            f'<g><title>{escape(label)}: {escape(text)}</title>'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" fill="{TEXT_COLOUR}">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW_HEIGHT - 8}" fill="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}" fill="{TEXT_COLOUR}">{escape(text)}</text></g>')
    description = f"Grafico a barre orizzontali con {len(points)} voci; gli stessi numeri sono nella tabella."
    return _frame(chart_id, title, description, LABEL_WIDTH + BAR_SPACE + VALUE_SPACE,
                  max(len(points), 1) * ROW_HEIGHT, body)


def columns(chart_id: str, title: str, points: list[tuple[str, object]], formatter=None) -> Markup:
    """Vertical columns in their order, one per (label, value): for a sequence of months or years."""
    top = max((float(value) for _label, value in points), default=0) or 1
    width = max(COLUMN_MIN, min(COLUMN_MAX, COLUMNS_SPACE // max(len(points), 1)))
    body = [f'<line x1="0" y1="{COLUMN_TOP + COLUMN_HEIGHT}" x2="{len(points) * width}" '
            f'y2="{COLUMN_TOP + COLUMN_HEIGHT}" stroke="{AXIS_COLOUR}"/>']
    for index, (label, value) in enumerate(points):
        x = index * width
        height = float(value) / top * COLUMN_HEIGHT
        text = _shown(value, formatter)
        base = COLUMN_TOP + COLUMN_HEIGHT
        body.append(
            f'<g><title>{escape(label)}: {escape(text)}</title>'
            f'<rect x="{x + 5}" y="{base - height:.1f}" width="{width - 10}" height="{height:.1f}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{x + width / 2}" y="{base - height - 5:.1f}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT_COLOUR}">{escape(text)}</text>'
            f'<text transform="translate({x + width / 2 + 4},{base + 8}) rotate(60)" font-size="11" '
            f'fill="{TEXT_COLOUR}">{escape(label)}</text></g>')
    description = f"Grafico a colonne con {len(points)} voci in ordine di tempo; gli stessi numeri sono nella tabella."
    return _frame(chart_id, title, description, max(len(points), 1) * width + 20,
                  COLUMN_TOP + COLUMN_HEIGHT + COLUMN_FOOT, body)
