"""The launch report's charts, drawn with matplotlib as inline SVG.

Each chart is a `Chart`: a stable key (the report wraps it in
`<figure id="chart-KEY" data-chart="KEY">`), a title, and either the SVG
markup or a short note saying why there is nothing to draw. The SVG is
self-contained: text is drawn as paths (no fonts to load), there is no
metadata block, no XML header, and every id is prefixed with the chart key
so several charts can share one HTML page. Figures are built with
`matplotlib.figure.Figure` directly: no pyplot state and no GUI backend.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType

from greenroom.core.analysis import Comparable, Estimate
from greenroom.core.audience import AudienceReport
from greenroom.core.numbers import compact
from greenroom.core.package import LaunchPackage
from greenroom.core.plans import PricingPlan, PromotionPlan, ReleasePlan
from greenroom.core.viewers import DAYPART_ORDER, WEEKDAYS, TargetingList
from greenroom.interfaces.outputs import (
    ESTIMATE_NAMES,
    REACH_NAME,
    amount,
    estimate_span,
    estimate_value,
    label,
    money,
    price,
    sentence,
)

CHART_KEYS = ("forecast", "comparables", "budget", "price-revenue", "release-windows")
"""Every chart the report shows, in order; the HTML ids are `chart-` + key."""

PALETTE = ("#1f5f8b", "#e07b39", "#3a9a5b", "#b8423a", "#7a5ca8", "#8c6d46", "#c55fa0", "#6f7b85")
INK, MUTED, LIGHT = "#222222", "#6b6b6b", "#c9d6e2"
MAX_WINDOWS = 8
_RC: dict[RcKeyType, Any] = {"svg.fonttype": "path", "font.size": 8.5, "axes.edgecolor": MUTED, "axes.labelcolor": INK,
       "xtick.color": MUTED, "ytick.color": MUTED, "axes.spines.top": False, "axes.spines.right": False,
       "text.usetex": False, "text.parse_math": False}  # fmt: skip
"""Chart style. Titles and labels carry catalog and brief text, so `$` is drawn as a dollar, never read as math."""
_DRAWING = threading.Lock()
"""Style settings are process-wide in matplotlib: one chart is drawn at a time, so two runs' reports never mix them."""
_METADATA: dict[str, str | None] = {"Creator": None, "Date": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Chart:
    """One chart of the report: its SVG, or the note that replaces it when there is no data."""

    key: str
    title: str
    svg: Markup | None = None
    note: str = ""
    caption: str = ""

    @property
    def empty(self) -> bool:
        """True when there was nothing to draw."""
        return self.svg is None


# --------------------------------------------------------------------------- SVG plumbing


def _svg(fig: Figure, key: str, label: str) -> Markup:
    """The figure as an inline <svg> element: no XML header, ids prefixed with the key, width from CSS."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": key}):
        fig.savefig(buffer, format="svg", metadata=_METADATA, bbox_inches="tight", pad_inches=0.08)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{key}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{key}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", text)
    text = re.sub(r'<svg ([^>]*?)width="[^"]+" height="[^"]+"', r"<svg \1", text, count=1)
    text = text.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(text)


def _draw(key: str, title: str, width: float, height: float, draw: Callable[[Figure], None], caption: str = "") -> Chart:
    with _DRAWING, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        draw(fig)
        return Chart(key=key, title=title, svg=_svg(fig, key, title), caption=caption)


_HUMAN = FuncFormatter(lambda value, _pos: compact(value))

# --------------------------------------------------------------------------- forecast


def _forecast_panel(
    ax: Axes, key: str, estimate: Estimate, log: bool, comparables: list[tuple[str, float]], legend: bool
) -> None:
    ax.hlines(0, estimate.lower, estimate.upper, colors=LIGHT, linewidth=11, label=f"{estimate.coverage:.0%} interval")
    model = estimate.basis == "model"
    ax.plot([estimate.point], [0], marker="D" if model else "s", markersize=8, color=PALETTE[0] if model else INK,
            linestyle="none", label="forecast" if model else "genre-and-decade median")  # fmt: skip
    if comparables:
        ax.plot([v for _, v in comparables], [0.45] * len(comparables), marker="o", markersize=5, linestyle="none",
                color=PALETTE[1], alpha=0.8, label="comparables")  # fmt: skip
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_HUMAN)
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda _v, _p: ""))
    values = [estimate.lower, estimate.upper, *(v for _, v in comparables)]
    low, high = min(values), max(values)
    ax.set_xlim(low / 1.6, high * 1.6) if log else ax.set_xlim(max(0.0, low - 0.8), min(10.0, high + 0.8))
    ax.set_ylim(-0.6, 0.9)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    basis = "" if model else " — not a model forecast: genre-and-decade median"
    ax.set_title(f"{sentence(ESTIMATE_NAMES[key])}: {estimate_value(key, estimate.point, estimate.unit)}  "
                 f"({estimate_span(key, estimate)}){basis}", loc="left", fontsize=9, color=INK)  # fmt: skip
    if legend or comparables or not model:
        ax.legend(loc="upper right", fontsize=7, frameon=False, ncols=3)


def forecast_chart(audience: AudienceReport) -> Chart:
    """IMDb votes (interest), rating and box office: each point forecast on its interval; comparables' box office alongside."""
    title = "Audience forecast with its interval"
    forecast = audience.forecast
    if forecast is None:
        return Chart("forecast", title, note="No audience forecast: no trained forecast model was available.")
    candidates = [("votes", forecast.votes, True), ("rating", forecast.rating, False), ("box_office", forecast.box_office, True)]
    rows = [(key, e, log) for key, e, log in candidates if e is not None]
    if not rows:
        why = "; ".join(forecast.ood_reasons) or "the models gave no estimate"
        return Chart("forecast", title, note=f"No audience forecast for this brief: {why}.")
    box = [(c.title, c.box_office) for c in audience.comparables if c.box_office]

    def draw(fig: Figure) -> None:
        axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
        for i, (ax, (key, estimate, log)) in enumerate(zip(axes, rows, strict=True)):
            _forecast_panel(ax, key, estimate, log, box if key == "box_office" else [], legend=i == 0)

    caption = (
        f"Diamond: median forecast; square: genre-and-decade median where the model did not beat it on later releases; "
        f"band: {rows[0][1].coverage:.0%} interval, calibrated on releases after the training data. Source: {forecast.source}."
    )
    return _draw("forecast", title, 7.2, 1.25 * len(rows) + 0.2, draw, caption)


# --------------------------------------------------------------------------- comparables


def _comparable_label(c: Comparable) -> str:
    parts = []
    if c.critic_score is not None:
        parts.append(f"critics {c.critic_score}" + (" (RT)" if c.critic_source == "rotten_tomatoes" else " (MC)"))
    if c.box_office:
        parts.append(money(c.box_office, "USD"))
    return " · ".join(parts)


def comparables_chart(comparables: list[Comparable]) -> Chart:
    """Similarity of each comparable to the brief, with its critics' score and box office."""
    title = "Comparable titles"
    if not comparables:
        return Chart("comparables", title, note="No comparable titles: the catalog returned none for this brief.")
    rows = list(reversed(comparables))

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        bars = ax.barh([f"{c.title} ({c.year})" for c in rows], [c.similarity for c in rows], color=PALETTE[0], height=0.6)
        ax.bar_label(bars, labels=[_comparable_label(c) for c in rows], padding=4, fontsize=7.5, color=INK)
        ax.set_xlim(0, max(1.0, max(c.similarity for c in rows) * 1.6))
        ax.set_xlabel("similarity to the brief (cosine; about 0.2 unrelated, 0.8 very close)")

    return _draw("comparables", title, 7.2, 0.4 * len(rows) + 0.9, draw, "Best first; critics' score and box office where known.")


# --------------------------------------------------------------------------- budget


def budget_chart(plan: PromotionPlan) -> Chart:
    """Spend per week, stacked by channel; the last week is the launch week."""
    split = plan.allocation
    title = f"Promotion budget by channel and week ({split.currency})"
    funded = plan.funded()
    if not funded or split.budget <= 0:
        return Chart("budget", title, note="No promotion spend to show: the plan funds no channel.")
    labels = [d.strftime("%d %b") for d in plan.week_starts]
    labels[-1] += "\nlaunch"

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        bottom = [0.0] * split.weeks
        for colour, channel in zip(PALETTE * 2, funded, strict=False):
            ax.bar(range(split.weeks), channel.weekly_spend, bottom=bottom, color=colour, width=0.7,
                   label=f"{channel.label} ({channel.share:.0%})")  # fmt: skip
            bottom = [b + s for b, s in zip(bottom, channel.weekly_spend, strict=True)]
        ax.set_xticks(range(split.weeks), labels)
        ax.yaxis.set_major_formatter(_HUMAN)
        ax.set_ylabel(f"spend per week ({split.currency})")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=min(4, len(funded)), fontsize=7.5, frameon=False)

    caption = (
        f"{money(split.budget, split.currency)} over {split.weeks} weeks; expected {REACH_NAME} "
        f"({'unique in the audience, weighted by attention' if split.audience else 'gross'}) "
        f"{amount(split.expected_reach.expected)} ({split.uplift_vs_equal_split:+.0%} against an equal split)."
    )
    return _draw("budget", title, 7.2, 3.4, draw, caption)


# --------------------------------------------------------------------------- price-revenue


def price_chart(plan: PricingPlan) -> Chart:
    """Expected revenue against price, one panel per tier, with the recommended and reference prices marked."""
    title = "Price and expected revenue per tier"
    tiers = [t for t in plan.recommendation.tiers if t.curve]
    if not tiers:
        return Chart("price-revenue", title, note=f"No price–revenue curve: {plan.rationale or 'the plan sets no viewer price.'}")

    def draw(fig: Figure) -> None:
        for i, (ax, tier) in enumerate(zip(fig.subplots(1, len(tiers), squeeze=False)[0], tiers, strict=True)):
            prices, revenue = zip(*tier.curve, strict=True)
            ax.plot(prices, revenue, color=PALETTE[i % len(PALETTE)], linewidth=1.8)
            rec = tier.recommended
            ax.axvline(rec.price, color=INK, linestyle=":", linewidth=1)
            ax.plot(
                [rec.price],
                [rec.expected_revenue],
                marker="o",
                markersize=8,
                color=INK,
                label=f"recommended {price(rec.price, tier.currency)}",
            )
            ax.plot([tier.reference.price], [tier.reference.expected_revenue], marker="o", markersize=7, markerfacecolor="white",
                    markeredgecolor=MUTED, linestyle="none", label=f"reference {price(tier.reference.price, tier.currency)}")  # fmt: skip
            ax.set_title(sentence(label(tier.tier)), loc="left", fontsize=9, color=INK)
            ax.set_xlabel(f"price ({tier.currency})")
            ax.yaxis.set_major_formatter(_HUMAN)
            ax.legend(loc="lower center", fontsize=7, frameon=False)
        fig.supylabel("expected revenue per 1,000 prospects", fontsize=8)

    return _draw(
        "price-revenue", title, 7.2, 3.0, draw, "Each curve is the pricing engine's grid; filled dot: the recommended price."
    )


# --------------------------------------------------------------------------- release windows

_COMPONENTS = (("demand", "demand index"), ("launch_weekday_index", "launch weekday"), ("business_factor", "business factor"),
               ("competition", "competition"))  # fmt: skip


def release_chart(plan: ReleasePlan) -> Chart:
    """Score components per candidate window (best first), with the score itself as a marker."""
    title = "Release windows and their score components"
    ranking = plan.recommendation
    windows = sorted(ranking.windows, key=lambda w: w.rank)[:MAX_WINDOWS]
    if not windows:
        return Chart("release-windows", title, note="No candidate release windows were ranked.")
    width = 0.8 / len(_COMPONENTS)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for i, (field, component) in enumerate(_COMPONENTS):
            xs = [j + (i - (len(_COMPONENTS) - 1) / 2) * width for j in range(len(windows))]
            ax.bar(xs, [getattr(w, field) for w in windows], width=width, color=PALETTE[i], label=component)
        ax.plot(
            range(len(windows)), [w.score for w in windows], marker="D", color=INK, linestyle="none", markersize=7, label="score"
        )
        ax.axhline(1.0, color=MUTED, linewidth=0.6, linestyle="--")
        ax.set_xticks(
            range(len(windows)), [f"#{w.rank} {w.start.strftime('%a')}\n{w.start.strftime('%d %b %y')}" for w in windows]
        )
        ax.get_xticklabels()[0].set_fontweight("bold")
        ax.set_ylabel("index (1.0 = average)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=5, fontsize=7.5, frameon=False)

    caption = (f"score = demand × business factor / (1 + {ranking.business_rule.competition_weight:g} × competition); "
               f"top {len(windows)} of {len(ranking.windows)} windows, the chosen one first.")  # fmt: skip
    return _draw("release-windows", title, 7.2, 3.4, draw, caption)


def package_charts(package: LaunchPackage) -> dict[str, Chart]:
    """Every chart of the report, by key, in `CHART_KEYS` order."""
    charts = [
        forecast_chart(package.audience),
        comparables_chart(package.audience.comparables),
        budget_chart(package.promotion_plan),
        price_chart(package.pricing_plan),
        release_chart(package.release_plan),
    ]
    if package.audience.targeting is not None:  # drawn in the targeting section, which only such packages have
        charts.append(send_window_chart(package.audience.targeting))
    return {chart.key: chart for chart in charts}


# --------------------------------------------------------------------------- send windows


def send_window_chart(targeting: TargetingList) -> Chart:
    """The high-affinity audience by the day and part of the day of each viewer's best send window."""
    title = "When to notify the high-affinity audience"
    counts = {(w.weekday, w.daypart): w.viewers for w in targeting.send_windows}
    if not any(counts.values()):
        return Chart("send-windows", title, note="No viewer is in the high-affinity audience: there is no send window to show.")
    grid = [[counts.get((day, part), 0) for day in range(len(WEEKDAYS))] for part in DAYPART_ORDER]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.imshow(grid, cmap="Blues", aspect="auto", vmin=0)
        peak = max(max(row) for row in grid)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                ax.text(c, r, compact(value) if value else "", ha="center", va="center", fontsize=7.5,
                        color="white" if value > peak * 0.6 else INK)  # fmt: skip
        ax.set_xticks(range(len(WEEKDAYS)), [d[:3] for d in WEEKDAYS])
        ax.set_yticks(range(len(DAYPART_ORDER)), list(DAYPART_ORDER))
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)

    caption = (f"{targeting.high_affinity:,} viewers at least {targeting.high_affinity_threshold:g}x as likely as the average "
               f"viewer to watch, by the start of their best {targeting.viewers[0].window.hours if targeting.viewers else 3}-hour "
               f"send window ({targeting.panel.clock}).")  # fmt: skip
    return _draw("send-windows", title, 7.2, 2.4, draw, caption)
