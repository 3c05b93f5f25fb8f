"""Charts drawn on the server as SVG: no script, no CDN, no inline styles (the CSP forbids
them; colours come from classes in app.css). Each chart has a title and a description for
screen readers, and every page shows the same figures in a table next to it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from markupsafe import Markup, escape

_ids = count(1)
WIDTH = 640
LABEL_WIDTH = 200
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int
    # A second value drawn as a marker on the bar (a maximum, a target, what is due).
    mark: Decimal | int | None = None
    # Class suffix for the bar: "", "warn", "over", "social", "muted".
    tone: str = ""


def _number(value: Decimal | int | float) -> float:
    return float(value)


def _header(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    value_label: Callable[[Decimal | int], str] = str,
) -> Markup:
    """Horizontal bars, one per row, with the value written after each bar and an optional
    marker line (e.g. the maximum or what is due)."""
    chart_id = f"chart-{next(_ids)}"
    height = max(1, len(bars)) * ROW_HEIGHT + 8
    scale_max = max(
        [_number(b.value) for b in bars] + [_number(b.mark) for b in bars if b.mark is not None],
        default=0,
    )
    plot = WIDTH - LABEL_WIDTH - 110
    parts = _header(chart_id, title, description, height)
    for i, bar in enumerate(bars):
        y = 4 + i * ROW_HEIGHT
        # A negative value (credits) draws no bar; the value beside it says it.
        width = 0 if scale_max <= 0 else max(0.0, plot * _number(bar.value) / scale_max)
        tone = f" chart-bar-{bar.tone}" if bar.tone else ""
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 4}" '
            f'text-anchor="end">{escape(_shorten(bar.label))}</text>'
        )
        parts.append(
            f'<rect class="chart-track" x="{LABEL_WIDTH}" y="{y}" width="{plot}" '
            f'height="{BAR_HEIGHT}"/>'
        )
        parts.append(
            f'<rect class="chart-bar{tone}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}"/>'
        )
        if bar.mark is not None and scale_max > 0:
            x = LABEL_WIDTH + plot * _number(bar.mark) / scale_max
            parts.append(
                f'<line class="chart-mark" x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" '
                f'y2="{y + BAR_HEIGHT + 3}"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{LABEL_WIDTH + plot + 6}" y="{y + BAR_HEIGHT - 4}">'
            f"{escape(value_label(bar.value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def column_chart(
    points: Sequence[tuple[str, Decimal | int]],
    *,
    title: str,
    description: str,
    value_label: Callable[[Decimal | int], str] = str,
) -> Markup:
    """Columns over time (e.g. months), the label under each column and the highest value
    written at the top of the scale."""
    chart_id = f"chart-{next(_ids)}"
    height = 220
    top, bottom, left = 24, 40, 8
    plot_height = height - top - bottom
    n = max(1, len(points))
    slot = (WIDTH - left * 2) / n
    highest = max((_number(v) for _, v in points), default=0)
    parts = _header(chart_id, title, description, height)
    parts.append(
        f'<line class="chart-axis" x1="{left}" x2="{WIDTH - left}" y1="{top + plot_height}" '
        f'y2="{top + plot_height}"/>'
    )
    if highest > 0:
        top_value = max(points, key=lambda p: _number(p[1]))[1]
        parts.append(
            f'<text class="chart-value" x="{left}" y="{top - 8}">'
            f"{escape(value_label(top_value))}</text>"
        )
    for i, (label, value) in enumerate(points):
        bar_height = 0 if highest <= 0 else max(0.0, plot_height * _number(value) / highest)
        x = left + i * slot + slot * 0.15
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{top + plot_height - bar_height:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_height:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-label" x="{x + slot * 0.35:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _shorten(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
