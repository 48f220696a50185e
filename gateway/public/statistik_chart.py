"""Server-drawn SVG charts for the public scoreboard (issue 20): no chart library, no CDN,
no script. Each chart scales to its container (a viewBox, width 100%), so it reads on a
390 px phone; the page puts the same numbers in a table beside it for screen readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

WIDTH = 360
BAR_COLOUR = "#0b6e4f"  # the site's accent
MUTED = "#5b6573"
LABEL_CHARS = 48  # a bar's label fits the chart; the table beside it has the full name


def _svg(height: int, title: str, body: list[str]) -> Markup:
    # Every label and title in ``body`` went through escape(); the rest is numbers.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def month_bars(
    title: str,
    months: Sequence[tuple[str, int]],
    names: Mapping[str, tuple[str, str]] | None = None,
) -> Markup:
    """Vertical bars, one per month ("YYYY-MM"), the count above each bar and the month
    below; ``names``: month -> (full name, short name) in the page's language (Babel),
    else the month's number."""
    names = names or {}
    height, top, bottom = 170, 18, 30
    peak = max((count for _, count in months), default=0) or 1
    slot = WIDTH / max(len(months), 1)
    body = [
        f'<line x1="0" y1="{height - bottom}" x2="{WIDTH}" y2="{height - bottom}" '
        f'stroke="{MUTED}"/>'
    ]
    for n, (label, count) in enumerate(months):
        full, short = names.get(label, (label, label[5:]))
        bar = (height - top - bottom) * count / peak
        x = n * slot + slot * 0.15
        y = height - bottom - bar
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" '
            f'fill="{BAR_COLOUR}"><title>{escape(full)}: {count}</title></rect>'
        )
        centre = n * slot + slot / 2
        body.append(
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" font-size="10" '
            f'text-anchor="middle">{count}</text>'
        )
        body.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 13}" font-size="9" '
            f'text-anchor="middle" fill="{MUTED}">{escape(short)}</text>'
        )
        if n == 0 or label.endswith("-01"):
            body.append(
                f'<text x="{centre:.1f}" y="{height - bottom + 25}" font-size="9" '
                f'text-anchor="middle" fill="{MUTED}">{escape(label[:4])}</text>'
            )
    return _svg(height, title, body)


def share_bars(title: str, rows: Sequence[tuple[str, float | None, str]]) -> Markup:
    """Horizontal bars from 0 to 100%: a label line, then the bar with its value. Rows whose
    value is None (too few cases) get their label and the text only, no bar."""
    line = 34
    height = max(line * len(rows), line) + 4
    body = []
    for n, (label, share, text) in enumerate(rows):
        y = n * line
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        body.append(f'<text x="0" y="{y + 12}" font-size="12">{escape(short)}</text>')
        width = (WIDTH - 60) * (share or 0.0)
        if share is not None:
            body.append(
                f'<rect x="0" y="{y + 16}" width="{WIDTH - 60}" height="12" fill="#e3e7ec"/>'
                f'<rect x="0" y="{y + 16}" width="{width:.1f}" height="12" fill="{BAR_COLOUR}"/>'
            )
        body.append(
            f'<text x="{WIDTH - 56 if share is not None else 0}" y="{y + 27}" font-size="11" '
            f'fill="{MUTED}">{escape(text)}</text>'
        )
    return _svg(height, title, body)


def count_bars(title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars of counts, longest first as given."""
    peak = max((count for _, count in rows), default=0) or 1
    return share_bars(title, [(label, count / peak, str(count)) for label, count in rows])
