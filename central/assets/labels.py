"""QR labels for assets (SPEC 7.4): an A4 sheet (SVG, in millimetres) of 3 × 8 labels of
70 × 37 mm (the common sticker sheet), each with the asset's code and the QR code of its public
report link, so that anyone in the street can scan it and report a problem."""

from __future__ import annotations

from xml.sax.saxutils import escape

import segno

PER_SHEET = 24
COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70.0, 37.0
QR_SIZE = 31.0
SHEET_W, SHEET_H = 210.0, 297.0
TOP = (SHEET_H - ROWS * LABEL_H) / 2


def qr_svg(url: str, x: float, y: float, size: float) -> str:
    """The QR code of `url` as an SVG element placed at (x, y), `size` mm wide (error
    correction M: a label that is a little scratched still scans)."""
    inline = segno.make(url, error="m").svg_inline(omitsize=True, border=2)
    return inline.replace(
        "<svg ", f'<svg x="{x:.1f}" y="{y:.1f}" width="{size}" height="{size}" ', 1
    )


def sheet_svg(labels: list[tuple[str, str]]) -> str:
    """One A4 sheet of up to PER_SHEET labels: (code, public URL) each."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SHEET_W}mm" height="{SHEET_H}mm" '
        f'viewBox="0 0 {SHEET_W} {SHEET_H}" font-family="sans-serif">',
    ]
    for index, (code, url) in enumerate(labels[:PER_SHEET]):
        column, row = index % COLUMNS, index // COLUMNS
        x, y = column * LABEL_W, TOP + row * LABEL_H
        parts.append(f'<g aria-label="{escape(code, {chr(34): "&quot;"})}">')
        parts.append(qr_svg(url, x + 3, y + (LABEL_H - QR_SIZE) / 2, QR_SIZE))
        parts.append(
            f'<text x="{x + QR_SIZE + 6:.1f}" y="{y + 15:.1f}" font-size="5" '
            f'font-weight="bold">{escape(code)}</text>'
        )
        parts.append(
            f'<text x="{x + QR_SIZE + 6:.1f}" y="{y + 22:.1f}" font-size="3">Probleem? Scan</text>'
        )
        parts.append(
            f'<text x="{x + QR_SIZE + 6:.1f}" y="{y + 26:.1f}" font-size="3">en meld het.</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
