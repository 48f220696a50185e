"""The intake charts: messages per step by channel, as coordinates for a server-drawn SVG.

Stacked bars, one per step (an hour over 48 hours, five minutes over 6 hours), one colour per
channel; time labels in local time. No chart library: the template (console/_chart.html)
draws what this computes, with presentation attributes only, so the console's content
security policy needs no exceptions. The same numbers come as rows for a table (issue 23), so
a screen reader and a narrow phone read them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from casestore.stats import HourlyIntake

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 34
# Distinct for the common kinds of colour blindness (Okabe-Ito), in the channels' order.
COLOURS = {
    "sms": "#0072B2",
    "twitter": "#E69F00",
    "web": "#009E73",
    "api": "#CC79A7",
    "open311": "#D55E00",
    "whatsapp": "#56B4E9",
}
FALLBACK_COLOUR = "#999999"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Row:
    """One step of the chart as a table row: when, accepted per channel, refused in all."""

    label: str
    counts: tuple[int, ...]  # in the order of Chart.channels
    refused: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str, int], ...]  # channel, colour, total
    total: int
    channels: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    refused_total: int = 0


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (minimum 5)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= max(value, 5):
                return step * factor
        step *= 10


def build_chart(
    intake: HourlyIntake,
    timezone: str,
    *,
    tick_every: timedelta = timedelta(hours=6),
    refused: dict[str, tuple[int, ...]] | None = None,
) -> Chart:
    """The chart of ``intake`` (buckets of any equal length), with a time label every
    ``tick_every`` and, for the table, the refused submissions of each bucket."""
    zone = ZoneInfo(timezone)
    hours = len(intake.hours)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(hours, 1)
    step = intake.hours[1] - intake.hours[0] if hours > 1 else timedelta(hours=1)
    when = "%d/%m %H:00" if step >= timedelta(hours=1) else "%d/%m %H:%M"
    totals_per_hour = [sum(row[i] for row in intake.counts.values()) for i in range(hours)]
    top = nice_ceiling(max(totals_per_hour, default=0))
    scale = plot_h / top
    bars = []
    for i, start in enumerate(intake.hours):
        base = HEIGHT - BOTTOM
        local = start.astimezone(zone)
        for channel, row in intake.counts.items():
            count = row[i]
            if not count:
                continue
            height = count * scale
            base -= height
            bars.append(
                Bar(
                    x=round(LEFT + i * slot + 1, 2),
                    y=round(base, 2),
                    width=round(max(slot - 2, 1), 2),
                    height=round(height, 2),
                    colour=COLOURS.get(channel, FALLBACK_COLOUR),
                    title=f"{local:{when}} {channel}: {count}",
                )
            )
    y_ticks = tuple(
        Tick(position=round(HEIGHT - BOTTOM - value * scale, 2), label=str(value))
        for value in (0, top // 2, top)
    )
    every = int(tick_every.total_seconds() // 60)
    x_ticks = []
    for i, start in enumerate(intake.hours):
        local = start.astimezone(zone)
        if (local.hour * 60 + local.minute) % every == 0:
            label = f"{local:%d/%m}" if local.hour == local.minute == 0 else f"{local:%H:%M}"
            x_ticks.append(Tick(position=round(LEFT + i * slot, 2), label=label))
    legend = tuple(
        (channel, COLOURS.get(channel, FALLBACK_COLOUR), sum(row))
        for channel, row in intake.counts.items()
    )
    refused = refused or {}
    refused_per_step = [sum(row[i] for row in refused.values()) for i in range(hours)]
    rows = tuple(
        Row(
            label=f"{start.astimezone(zone):{when}}",
            counts=tuple(row[i] for row in intake.counts.values()),
            refused=refused_per_step[i],
        )
        for i, start in enumerate(intake.hours)
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_bottom=HEIGHT - BOTTOM,
        plot_right=WIDTH - RIGHT,
        bars=tuple(bars),
        y_ticks=y_ticks,
        x_ticks=tuple(x_ticks),
        legend=legend,
        total=sum(total for _, _, total in legend),
        channels=tuple(intake.counts),
        rows=rows,
        refused_total=sum(refused_per_step),
    )
