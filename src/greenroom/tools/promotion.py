"""Promotion engine: channel response curves, fitting them, and allocating a budget.

Each channel turns weekly spend into people reached through two stated mechanisms:

* geometric adstock, ``adstock[w] = spend[w] + decay * adstock[w-1]`` (carryover), and
* Hill saturation, ``reach[w] = top * a**shape / (a**shape + half_saturation**shape)``.

Default parameters live in ``tools/data/channels.yaml`` with the origin of each number
(stated assumptions, not fitted). ``fit_channel_curves`` replaces them with parameters
fitted to a user's weekly history; ``allocate`` splits a budget across channels and weeks
with scipy's SLSQP (analytic gradient, several starts) to maximise expected reach.

Weekly phasing follows the rule in ``channels.yaml`` (``phasing``): the weekly spend of a
channel whose effect decays (``decay > 0``) never falls as the launch approaches, so its
launch week and the week before carry the most. Without it the optimiser front-loads
such channels, because reach is counted only inside the campaign and early spend
carries over into more counted weeks, while the awareness it buys has faded by launch.
A channel listed under ``phasing.front_loaded`` (with the data that shows early spend
pays for it) is exempt.

Reach is the sum of people reached per channel per week: it is not de-duplicated across
channels or weeks, so read it as gross reach.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares, minimize
from threadpoolctl import threadpool_limits

from greenroom.core.funnel import PopulationCount
from greenroom.core.market import (
    DECAY_BOUNDS,
    SHAPE_BOUNDS,
    ChannelAllocation,
    ChannelAudience,
    ChannelCurve,
    FitDiagnostics,
    FittedChannels,
    Objective,
    ParamUncertainty,
    PromotionAllocation,
    ReachEstimate,
)
from greenroom.core.numbers import amount, money
from greenroom.tools.errors import InputError
from greenroom.tools.population import POPULATION_PATH

DEFAULT_CHANNELS_PATH = Path(__file__).parent / "data" / "channels.yaml"
CHANNEL_NAMES: tuple[str, ...] = (
    "search",
    "social_video",
    "ctv",
    "podcast_ads",
    "influencers",
    "out_of_home",
    "cinema_trailers",
    "display",
)
MIN_FIT_WEEKS = 8


class PromotionInputError(InputError):
    """Input the promotion engine cannot use, naming the field (and the row, for histories)."""


# --------------------------------------------------------------------------- models


# --------------------------------------------------------------------------- curves


def load_channel_curves(path: str | Path | None = None) -> list[ChannelCurve]:
    """Channel curves from the default YAML file, another YAML file, or a fitted JSON file."""
    path = Path(path) if path is not None else DEFAULT_CHANNELS_PATH
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return FittedChannels.model_validate_json(text).curves
    data = yaml.safe_load(text)
    source = f"{path.name}: {data.get('source', 'stated assumptions')}"
    return [
        ChannelCurve(name=name, source=source, frequency=(params.get("audience") or {}).get("frequency", 1.0),
                     **{k: v for k, v in params.items() if k != "audience"})
        for name, params in data["channels"].items()
    ]  # fmt: skip


def load_channel_audiences(path: str | Path | None = None) -> tuple[dict[str, ChannelAudience], str]:
    """Who each channel reaches (`audience` per channel in channels.yaml), and the source of the attention weights."""
    path = Path(path) if path is not None else DEFAULT_CHANNELS_PATH
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = {
        name: ChannelAudience.model_validate(params["audience"])
        for name, params in (data.get("channels") or {}).items()
        if isinstance(params, dict) and params.get("audience")
    }
    return found, str(data.get("attention_source", ""))


CHILD_AGE = 13
"""Below this age a person is a child: channels marked `children: false` are not aimed at an audience this young."""


def curves_in_audience(
    population: PopulationCount,
    interest: float,
    fmt: str,
    curves: Sequence[ChannelCurve] | None = None,
    path: str | Path | None = None,
) -> tuple[list[ChannelCurve], list[str]]:
    """The channel curves sized to a brief's audience, and the channels left out with the reason.

    A channel's pool is the audience's people in each age band times the share of that band who use
    the channel (and times `interest`, the share who take up the format); its weekly top is the pool
    times `weekly_share`, its half-saturation top x cpm x frequency / 1000 (the rule of channels.yaml),
    its attention weight attention x format fit, its Hill shape 1 (the repeats a person needs are in the
    frequency it pays for; a small budget can concentrate on part of the pool). A channel that may not reach children is left out
    when the audience's youngest age is under 13; one with no profile keeps its curve, its top capped
    by the caller at the audience.
    """
    audiences, attention_source = load_channel_audiences(path)
    base = list(curves) if curves is not None else load_channel_curves(path)
    bands = _population_bands()
    kept: list[ChannelCurve] = []
    left_out: list[str] = []
    for curve in base:
        profile = audiences.get(curve.name)
        if profile is None:
            kept.append(curve)
            continue
        label = curve.label or curve.name
        if population.age_min < CHILD_AGE and not profile.children:
            left_out.append(f"{label}: not aimed at children, and the audience starts at age {population.age_min}")
            continue
        pool = 0.0
        for lo, hi, people in population.by_band:
            share = next(
                (s for (first, last), s in zip(bands, profile.reach_by_band, strict=True) if first <= lo and hi <= last), 0.0
            )
            pool += people * share * interest
        top = pool * profile.weekly_share
        if top < 1:
            left_out.append(f"{label}: reaches none of this audience's age band")
            continue
        fit = profile.format_fit.get(fmt, 1.0)
        kept.append(
            curve.model_copy(
                update={
                    "top": top,
                    "half_saturation": top * profile.cpm * profile.frequency / 1000,
                    "shape": 1.0,  # the cost per person already buys `frequency` impressions each; a campaign can
                    # always concentrate a small budget on part of the pool, so no threshold across the whole pool
                    "attention": min(1.0, profile.attention * fit),
                    "frequency": profile.frequency,
                    "audience_note": (
                        f"reaches {pool:,.0f} of the audience ({profile.source}); at most {profile.weekly_share:.0%} of them "
                        f"a week, at {profile.cpm:g} per 1,000 impressions and {profile.frequency:g} a week each; attention "
                        f"{profile.attention:.2f}"
                        + (f" x format fit {fit:.2f} for a {fmt.replace('_', ' ')}" if fit != 1.0 else "")
                        + f" ({attention_source})"
                    ),
                    "source": f"{curve.source}; sized to the brief's audience (channels.yaml audience)",
                }
            )
        )
    return kept, left_out


def _population_bands() -> list[tuple[int, int]]:
    data = yaml.safe_load(POPULATION_PATH.read_text(encoding="utf-8"))
    return [(int(a), int(b)) for a, b in data["bands"]]


PHASING_RULE = (
    "weekly spend of each channel whose effect fades (adstock decay above 0) never falls as the launch approaches, "
    "so the launch week and the week before carry the most"
)


def load_phasing(path: str | Path | None = None) -> dict[str, str]:
    """Channels exempt from building towards launch, with the data behind each exemption (`phasing.front_loaded`)."""
    path = Path(path) if path is not None else DEFAULT_CHANNELS_PATH
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phasing = data.get("phasing") or {}
    if phasing.get("rule", "build_to_launch") != "build_to_launch":
        raise PromotionInputError("phasing.rule", f"'{phasing.get('rule')}' is not a known rule (build_to_launch)")
    return {str(k): str(v) for k, v in (phasing.get("front_loaded") or {}).items()}


def builds_to_launch(curves: Sequence[ChannelCurve], front_loaded: Mapping[str, str]) -> np.ndarray:
    """Which channels must not lower their weekly spend as launch approaches: every decaying one not exempted."""
    return np.array([c.decay > 0 and c.name not in front_loaded for c in curves], dtype=bool)


def _build_rows(build: np.ndarray, weeks: int) -> np.ndarray:
    """Rows d with d @ flat_spend = spend[c, w + 1] - spend[c, w], one per building channel and pair of weeks."""
    rows = []
    for c in np.flatnonzero(build):
        for w in range(weeks - 1):
            row = np.zeros(len(build) * weeks)
            row[c * weeks + w], row[c * weeks + w + 1] = -1.0, 1.0
            rows.append(row)
    return np.array(rows).reshape(len(rows), len(build) * weeks)


def save_fitted_channels(fitted: FittedChannels, path: str | Path) -> Path:
    """Write fitted curves as JSON (readable by `load_channel_curves`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fitted.model_dump(mode="json"), indent=2), encoding="utf-8")
    return path


def adstock(spend: np.ndarray, decay: np.ndarray, initial: np.ndarray | None = None) -> np.ndarray:
    """Geometric adstock along the last axis; `decay` broadcasts against spend[..., 0].

    `initial` is the adstock of the week before the first (spend already made, e.g. in a campaign's
    past weeks when the rest is re-planned); None means nothing was spent before.
    """
    out = np.empty_like(spend, dtype=float)
    carry = np.zeros(spend.shape[:-1]) if initial is None else np.broadcast_to(initial, spend.shape[:-1]).astype(float)
    for w in range(spend.shape[-1]):
        carry = spend[..., w] + decay * carry
        out[..., w] = carry
    return out


def hill(a: np.ndarray, top: np.ndarray, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Hill saturation of adstocked spend `a` (arrays broadcast)."""
    a = np.maximum(a, 0.0)
    ratio = np.power(np.divide(a, half), shape)
    return top * ratio / (1.0 + ratio)


def _hill_slope(a: np.ndarray, top: np.ndarray, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    a = np.maximum(a, 1e-9)
    ratio = np.power(a / half, shape)
    return top * shape * ratio / (a * (1.0 + ratio) ** 2)


def _param_arrays(curves: Sequence[ChannelCurve]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([c.top for c in curves]),
        np.array([c.half_saturation for c in curves]),
        np.array([c.shape for c in curves]),
        np.array([c.decay for c in curves]),
    )


def weekly_reach(curves: Sequence[ChannelCurve], spend: np.ndarray, carry_in: np.ndarray | None = None) -> np.ndarray:
    """People reached per channel per week for a (channels, weeks) spend matrix (`carry_in`: adstock before week 1)."""
    top, half, shape, decay = _param_arrays(curves)
    a = adstock(np.asarray(spend, dtype=float), decay, carry_in)
    return hill(a, top[:, None], half[:, None], shape[:, None])


def week_weights(objective: Objective, weeks: int) -> np.ndarray:
    """How much each campaign week's reach counts: all weeks, or only the launch (last) week."""
    if objective == "total_reach":
        return np.ones(weeks)
    weights = np.zeros(weeks)
    weights[-1] = 1.0
    return weights


def _backprop(q: np.ndarray, decay: np.ndarray) -> np.ndarray:
    """d value / d spend from d value / d adstock (q): sum over w >= k of q[w] decay^(w-k)."""
    grad = np.empty_like(q)
    carry = np.zeros(q.shape[0])
    for w in range(q.shape[1] - 1, -1, -1):
        carry = q[:, w] + decay * carry
        grad[:, w] = carry
    return grad


def unique_reach(reach: np.ndarray, audience: float, weight: np.ndarray) -> tuple[float, np.ndarray]:
    """Unique people in an audience of `audience` reached by a (..., channels, weeks) matrix of weekly reach, each
    contact counted with `weight` (broadcast against reach); and d unique / d reach.

    Every channel-week reaches a random `reach / audience` share of the audience, independently of the
    others (random duplication, the Sainsbury formula of media planning): unique = audience x (1 - product
    of (1 - weight x reach / audience)). It never exceeds the audience.
    """
    x = np.clip(weight * reach / audience, 0.0, 1.0 - 1e-12)
    missed = np.exp(np.log1p(-x).sum(axis=(-2, -1), keepdims=True))
    value = audience * (1.0 - missed)
    grad = weight * missed / (1.0 - x)
    return float(value.sum()), grad


def _reach_and_gradient(
    spend: np.ndarray,
    top: np.ndarray,
    half: np.ndarray,
    shape: np.ndarray,
    decay: np.ndarray,
    weights: np.ndarray,
    audience: float | None = None,
    attention: np.ndarray | None = None,
    carry_in: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Reach and its gradient by spend: gross (summed) reach, or unique attentive reach in `audience` when given;
    `carry_in` is each channel's adstock from spend before the first week."""
    a = adstock(spend, decay, carry_in)
    reach = hill(a, top[:, None], half[:, None], shape[:, None])
    slope = _hill_slope(a, top[:, None], half[:, None], shape[:, None])
    if audience is None:
        return float((reach * weights).sum()), _backprop(slope * weights, decay)
    k = (np.ones(len(top)) if attention is None else attention)[:, None] * weights[None, :]
    value, d_reach = unique_reach(reach, audience, k)
    return value, _backprop(slope * d_reach, decay)


def _impressions_and_gradient(
    spend: np.ndarray, top: np.ndarray, half: np.ndarray, shape: np.ndarray, decay: np.ndarray, frequency: np.ndarray
) -> tuple[float, np.ndarray]:
    a = adstock(spend, decay)
    value = float((hill(a, top[:, None], half[:, None], shape[:, None]) * frequency[:, None]).sum())
    return value, _backprop(_hill_slope(a, top[:, None], half[:, None], shape[:, None]) * frequency[:, None], decay)


# --------------------------------------------------------------------------- allocation


def _check_allocation_inputs(
    budget: float, weeks: int, names: list[str], min_spend: Mapping[str, float], max_spend: Mapping[str, float]
) -> None:
    if not math.isfinite(budget) or budget <= 0:
        raise PromotionInputError("budget", f"must be greater than 0 (got {budget:g})")
    if weeks < 1:
        raise PromotionInputError("weeks", f"must be at least 1 (got {weeks})")
    if not names:
        raise PromotionInputError("channels", "at least one channel is required")
    if len(set(names)) != len(names):
        raise PromotionInputError("channels", "each channel may appear only once")
    for label, bounds in (("min_spend", min_spend), ("max_spend", max_spend)):
        for name, value in bounds.items():
            if name not in names:
                raise PromotionInputError(f"{label}.{name}", f"is not one of the channels ({', '.join(names)})")
            if value < 0:
                raise PromotionInputError(f"{label}.{name}", f"must not be negative (got {value:g})")
    for name, low in min_spend.items():
        if low > budget:
            raise PromotionInputError(f"min_spend.{name}", f"{low:,.2f} is above the budget {budget:,.2f}")
        if name in max_spend and low > max_spend[name]:
            raise PromotionInputError(f"max_spend.{name}", f"{max_spend[name]:,.2f} is below min_spend.{name} {low:,.2f}")
    total_min = sum(min_spend.values())
    if total_min > budget + 1e-9:
        raise PromotionInputError("min_spend", f"the channel minimums add up to {total_min:,.2f}, above the budget {budget:,.2f}")
    total_max = sum(max_spend.get(n, budget) for n in names)
    if total_max < budget - 1e-9:
        raise PromotionInputError("max_spend", f"the channel maximums add up to {total_max:,.2f}, below the budget {budget:,.2f}")


def _feasible_totals(desired: np.ndarray, lows: np.ndarray, highs: np.ndarray, budget: float) -> np.ndarray:
    """Channel totals near `desired` shares that sum to the budget and respect the bounds (water-filling)."""
    totals = lows.copy()
    free = np.ones(len(lows), dtype=bool)
    for _ in range(len(lows) + 1):
        left = budget - totals.sum()
        if left <= 1e-9 or not free.any():
            break
        weights = np.where(free, np.maximum(desired, 1e-12), 0.0)
        proposal = totals + left * weights / weights.sum()
        over = proposal > highs
        totals = np.minimum(proposal, highs)
        free &= ~over
    return totals


def _start_points(
    lows: np.ndarray,
    highs: np.ndarray,
    budget: float,
    weeks: int,
    n_starts: int,
    rng: np.random.Generator,
    build: np.ndarray | None = None,
) -> list[np.ndarray]:
    n = len(lows)
    build = np.zeros(n, dtype=bool) if build is None else build
    starts = []
    for i in range(n_starts):
        if i == 0:
            shares, pattern = np.ones(n), np.ones((n, weeks))
        else:
            shares, pattern = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(weeks), size=n)
        totals = _feasible_totals(shares, lows, highs, budget)
        pattern = pattern / pattern.sum(axis=1, keepdims=True)
        pattern[build] = np.sort(pattern[build], axis=1)  # start where the phasing rule already holds
        starts.append(totals[:, None] * pattern)
    return starts


def _round_to_cents(
    spend: np.ndarray, lows: np.ndarray, highs: np.ndarray, budget: float, build: np.ndarray | None = None
) -> np.ndarray:
    """Round a spend matrix to cents so that it sums exactly to the budget and channel totals stay in bounds.

    A building channel's weekly cents are put in ascending order, so that the optimiser's tolerance
    and the rounding (a cent at most either way) cannot break the phasing rule.
    """
    budget_c = round(budget * 100)
    low_c = np.ceil(lows * 100 - 1e-6).astype(np.int64)
    high_c = np.floor(highs * 100 + 1e-6).astype(np.int64)
    raw = np.clip(spend.sum(axis=1) * 100, low_c, high_c)
    totals = np.floor(raw).astype(np.int64)
    remainder = raw - totals
    residue = budget_c - int(totals.sum())
    while residue != 0:  # hand out (or take back) single cents, largest remainder first
        step = 1 if residue > 0 else -1
        room = (high_c - totals) if step > 0 else (totals - low_c)
        order = [i for i in np.argsort(-remainder * step) if room[i] > 0]
        if not order:
            raise PromotionInputError("budget", "cannot be split to the cent within the channel bounds")
        for i in order[: abs(residue)]:
            totals[i] += step
            residue -= step
    out = np.zeros_like(spend, dtype=np.int64)
    for c in range(spend.shape[0]):
        out[c] = _split_cents(spend[c], int(totals[c]))
        if build is not None and build[c]:
            out[c] = np.sort(out[c])
    return out / 100.0


def _split_cents(weekly: np.ndarray, total_cents: int) -> np.ndarray:
    weekly = np.maximum(weekly, 0.0)
    share = weekly / weekly.sum() if weekly.sum() > 0 else np.full(len(weekly), 1.0 / len(weekly))
    raw = share * total_cents
    cents = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - cents))[: total_cents - int(cents.sum())]:
        cents[i] += 1
    return cents


def simulate_reach(
    curves: Sequence[ChannelCurve],
    spends: Sequence[np.ndarray],
    weights: np.ndarray,
    n_draws: int,
    seed: int,
    carry_in: np.ndarray | None = None,
    audience: float | None = None,
) -> np.ndarray:
    """Reach of each spend matrix under `n_draws` parameter draws; shape (len(spends), n_draws).

    Gross weighted reach, or unique attentive reach in `audience` when given (tops capped at it).
    """
    rng = np.random.default_rng(seed)
    top, half, shape, decay = _param_arrays(curves)
    unc = [c.uncertainty for c in curves]
    size = (n_draws, len(curves))
    top_d = top * np.exp(rng.normal(0, 1, size) * np.array([u.top for u in unc]))
    if audience is not None:
        top_d = np.minimum(top_d, audience)
    half_d = half * np.exp(rng.normal(0, 1, size) * np.array([u.half_saturation for u in unc]))
    shape_d = np.clip(shape + rng.normal(0, 1, size) * np.array([u.shape for u in unc]), *SHAPE_BOUNDS)
    decay_d = np.clip(decay + rng.normal(0, 1, size) * np.array([u.decay for u in unc]), *DECAY_BOUNDS)
    attention = np.array([c.attention for c in curves])[:, None] * weights[None, :]
    out = np.empty((len(spends), n_draws))
    for i, spend in enumerate(spends):
        a = adstock(np.broadcast_to(spend, (n_draws, *spend.shape)), decay_d, carry_in)
        r = hill(a, top_d[..., None], half_d[..., None], shape_d[..., None])
        if audience is None:
            out[i] = (r * weights).sum(axis=(1, 2))
        else:
            x = np.clip(attention * r / audience, 0.0, 1.0 - 1e-12)
            out[i] = audience * (1.0 - np.exp(np.log1p(-x).sum(axis=(1, 2))))
    return out


def reach_estimate(central: float, draws: np.ndarray, interval: float, method: str) -> ReachEstimate:
    """A reach with its central percentile interval over simulated draws; `method` says where the draws come from."""
    tail = (1 - interval) / 2 * 100
    return ReachEstimate(
        expected=round(central),
        low=round(float(np.percentile(draws, tail))),
        high=round(float(np.percentile(draws, 100 - tail))),
        interval=interval,
        method=method,
    )


FULL_SPEND = 0.995
"""An optimum that spends at least this share of the budget spends all of it (the optimiser's tolerance), unless
the rest would break the frequency cap."""


def allocate(
    budget: float,
    weeks: int,
    channels: Sequence[ChannelCurve] | None = None,
    min_spend: Mapping[str, float] | None = None,
    max_spend: Mapping[str, float] | None = None,
    objective: Objective = "total_reach",
    currency: str = "USD",
    n_starts: int = 6,
    n_draws: int = 1000,
    interval: float = 0.9,
    seed: int = 0,
    front_loaded: Mapping[str, str] | None = None,
    carry_in: Mapping[str, float] | None = None,
    audience: float | None = None,
    frequency_cap: float | None = None,
) -> PromotionAllocation:
    """Split `budget` across channels and weeks to maximise expected reach.

    Bounds apply to each channel's total over the campaign. The result's weekly spends are
    rounded to cents. `objective` is `total_reach` (reach over all weeks) or `launch_week_reach`
    (reach in the last week, the launch). Each channel whose effect decays builds towards the
    launch (`PHASING_RULE`) unless `front_loaded` (default: `phasing.front_loaded` in
    channels.yaml) names it.

    Without `audience` the reach is gross (people per channel per week, summed) and the whole
    budget is spent. With `audience` (people) the optimiser maximises the unique people reached
    in it, each weighted by the attention of the channels that reach them (`ChannelCurve.attention`);
    no channel reaches more than the audience, and with `frequency_cap` the average impressions per
    unique person may not exceed the cap, so money that would buy only repeats stays unspent.
    `carry_in` is each channel's adstock from spend before week 1 (a campaign re-planned after
    some weeks ran): it adds to the reach of the weeks planned here, and costs nothing from `budget`.
    """
    started = time.perf_counter()
    curves = list(channels) if channels is not None else load_channel_curves()
    names = [c.name for c in curves]
    min_spend, max_spend = dict(min_spend or {}), dict(max_spend or {})
    _check_allocation_inputs(budget, weeks, names, min_spend, max_spend)
    if audience is not None and not (math.isfinite(audience) and audience > 0):
        raise PromotionInputError("audience", f"must be more than 0 people (got {audience:g})")
    if frequency_cap is not None and frequency_cap <= 0:
        raise PromotionInputError("frequency_cap", f"must be greater than 0 (got {frequency_cap:g})")
    budget = round(budget, 2)  # allocations are exact to the cent, so the budget is too
    if budget <= 0:
        raise PromotionInputError("budget", "must be at least 0.01")
    if audience is not None:
        curves = [c.model_copy(update={"top": min(c.top, audience)}) if c.top > audience else c for c in curves]
    lows = np.array([float(min_spend.get(n, 0.0)) for n in names])
    highs = np.array([float(min(max_spend.get(n, budget), budget)) for n in names])
    top, half, shape, decay = _param_arrays(curves)
    attention = np.array([c.attention for c in curves])
    frequency = np.array([c.frequency for c in curves])
    weights = week_weights(objective, weeks)
    n, size = len(curves), len(curves) * weeks
    exempt = dict(load_phasing() if front_loaded is None else front_loaded)
    build = builds_to_launch(curves, exempt)
    unknown = sorted(set(carry_in or {}) - set(names))
    if unknown:
        raise PromotionInputError(f"carry_in.{unknown[0]}", f"is not one of the channels ({', '.join(names)})")
    carry = np.array([max(float((carry_in or {}).get(n, 0.0)), 0.0) for n in names])

    def value_of(spend: np.ndarray) -> tuple[float, np.ndarray]:
        return _reach_and_gradient(spend, top, half, shape, decay, weights, audience, attention if audience else None, carry)

    equal = np.full((n, weeks), budget / (n * weeks))
    scale = max(value_of(equal)[0], 1.0)

    def negative(z: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_of(z.reshape(n, weeks) * budget)
        return -value / scale, -(grad * budget / scale).ravel()

    rows = np.kron(np.eye(n), np.ones(weeks))  # channel totals as a linear map of the flat variables
    low_rows, high_rows = rows[lows > 0], rows[highs < budget]  # only the bounds that bind anything
    low_b, high_b = lows[lows > 0] / budget, highs[highs < budget] / budget
    ones = np.ones((1, size))
    constraints: list[dict[str, Any]] = [
        {"type": "eq", "fun": lambda z: np.array([z.sum() - 1.0]), "jac": lambda z: ones}
        if audience is None
        else {"type": "ineq", "fun": lambda z: np.array([1.0 - z.sum()]), "jac": lambda z: -ones}
    ]
    if len(low_b):
        constraints.append({"type": "ineq", "fun": lambda z: low_rows @ z - low_b, "jac": lambda z: low_rows})
    if len(high_b):
        constraints.append({"type": "ineq", "fun": lambda z: high_b - high_rows @ z, "jac": lambda z: -high_rows})
    ramp = _build_rows(build, weeks)
    if len(ramp):
        constraints.append({"type": "ineq", "fun": lambda z: ramp @ z, "jac": lambda z: ramp})
    all_weeks, plain = np.ones(weeks), np.ones(n)

    def headroom(z: np.ndarray) -> tuple[float, np.ndarray]:
        """(cap x unique people - impressions) and its gradient, scaled like the objective."""
        assert audience is not None and frequency_cap is not None
        spend = z.reshape(n, weeks) * budget
        people, d_people = _reach_and_gradient(spend, top, half, shape, decay, all_weeks, audience, plain)
        shown, d_shown = _impressions_and_gradient(spend, top, half, shape, decay, frequency)
        return (frequency_cap * people - shown) / scale, ((frequency_cap * d_people - d_shown) * budget / scale).ravel()

    if audience is not None and frequency_cap is not None:
        constraints.append(
            {"type": "ineq", "fun": lambda z: np.array([headroom(z)[0]]), "jac": lambda z: headroom(z)[1][None, :]}
        )
    bounds = [(0.0, None)] * size  # a cell cannot exceed its channel's maximum once the channel constraint holds

    def within_cap(z: np.ndarray) -> np.ndarray:
        """`z` scaled down (bisection) until its impressions respect the frequency cap; unchanged without a cap."""
        z = np.clip(z, 0.0, None)
        z = z / max(z.sum(), 1.0)
        if audience is None or frequency_cap is None or headroom(z)[0] >= 0:
            return z
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if headroom(z * mid)[0] >= 0 else (lo, mid)
        return z * lo

    rng = np.random.default_rng(seed)
    best, best_fun, converged = None, math.inf, 0
    # SLSQP's small dense solves run ~10x slower when BLAS threads compete for the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        for start in _start_points(lows, highs, budget, weeks, n_starts, rng, build):
            res = minimize(
                negative,
                within_cap((start / budget).ravel()) if audience is not None else (start / budget).ravel(),
                jac=True,
                method="SLSQP",
                bounds=bounds,
                constraints=constraints,
                options={"maxiter": 500, "ftol": 1e-10},
            )
            converged += int(res.success)
            x = within_cap(res.x) if audience is not None else res.x  # a failed run may end outside the constraints
            fun = negative(x)[0]
            if best is None or fun < best_fun:
                best, best_fun = x, fun
    assert best is not None
    raw = np.clip(best, 0, None).reshape(n, weeks) * budget
    spent = max(round(float(raw.sum()), 2), 0.01)
    if audience is None:
        spent = budget
    elif raw.sum() >= FULL_SPEND * budget:
        scaled = best / max(float(best.sum()), 1e-12)  # the whole budget, where the frequency cap still holds
        if frequency_cap is None or headroom(scaled)[0] >= 0:
            raw, spent = scaled.reshape(n, weeks) * budget, budget
    spent = max(spent, round(float(lows.sum()), 2))
    spend = _round_to_cents(raw, lows, np.minimum(highs, spent), spent, build)

    reach_c = weekly_reach(curves, spend, carry) * weights
    _, grad = value_of(spend)
    sims = simulate_reach(curves, [spend, equal], weights, n_draws, seed, carry, audience)
    opt_central, _ = value_of(spend)
    drawn = f"{n_draws} draws of the curve parameters from their stated uncertainty (percentile interval)"
    opt_est = reach_estimate(opt_central, sims[0], interval, drawn)
    eq_central = value_of(equal)[0]
    eq_est = reach_estimate(eq_central, sims[1], interval, drawn)
    per_channel = equal.sum(axis=1)
    impressions = float((weekly_reach(curves, spend) * frequency[:, None]).sum())
    people = attentive = None
    if audience is not None:
        people = unique_reach(weekly_reach(curves, spend), audience, np.ones((n, 1)))[0]
        attentive = opt_central
    allocations = [
        ChannelAllocation(
            channel=c.name,
            label=c.label or c.name,
            weekly_spend=[float(v) for v in spend[i]],
            total=round(float(spend[i].sum()), 2),
            share=float(spend[i].sum() / budget),
            min_spend=float(lows[i]),
            max_spend=float(highs[i]),
            expected_reach=round(
                float(reach_c[i].sum()) if audience is None else unique_reach(reach_c[i][None, :], audience, np.ones(1))[0]
            ),
            marginal_reach_per_1000=_best_marginal(grad[i], bool(build[i])) * 1000,
        )
        for i, c in enumerate(curves)
    ]
    if audience is None:
        counted = [
            "reach is gross: people reached per channel per week, summed, not de-duplicated",
        ]
    else:
        counted = [
            f"reach is unique people in the audience of {amount(audience)} people: each channel-week reaches a random share of "
            "it, independently of the others (random duplication), so no plan reaches more than the audience",
            "the optimiser maximises attentive reach: a person counts by the attention of the channels that reach them "
            "(attention x format fit, channels.yaml)",
        ]
        if frequency_cap is not None:
            counted.append(
                f"frequency cap: at most {frequency_cap:g} impressions per unique person reached, on average over the campaign"
            )
    unspent = round(budget - float(spend.sum()), 2)
    if unspent > 0:
        counted.append(
            f"{money(unspent, currency)} left unspent: more money would buy repeats above the frequency cap, not people"
        )
    return PromotionAllocation(
        budget=budget,
        currency=currency,
        weeks=weeks,
        objective=objective,
        channels=allocations,
        expected_reach=opt_est,
        equal_split_reach=eq_est,
        uplift_vs_equal_split=float(opt_est.expected / max(eq_central, 1.0) - 1.0),
        prob_beats_equal_split=float((sims[0] > sims[1]).mean()),
        equal_split_respects_bounds=bool(np.all(per_channel >= lows - 1e-9) and np.all(per_channel <= highs + 1e-9)),
        optimizer=f"SLSQP, analytic gradient, {n_starts} starts ({converged} converged), best kept",
        audience=audience,
        unique_reach=None if people is None else round(people),
        attentive_reach=None if attentive is None else round(attentive),
        gross_impressions=round(impressions),
        frequency_cap=frequency_cap if audience is not None else None,
        unspent=max(unspent, 0.0),
        seconds=time.perf_counter() - started,
        assumptions=[
            *counted,
            "only reach inside the campaign weeks counts; carryover after the last week is ignored",
            "curves: " + "; ".join(sorted({c.source for c in curves})),
            "bounds apply to each channel's total over the campaign; the equal split ignores them",
            f"phasing: {PHASING_RULE}"
            + (f"; exempt: {'; '.join(f'{k} ({v})' for k, v in sorted(exempt.items()))}" if exempt else ""),
        ],
    )


def _best_marginal(grad: np.ndarray, builds: bool) -> float:
    """Reach per currency unit of the next spend placed the best way the phasing rule allows.

    A channel free to phase puts it in its best week; a building channel spreads it evenly over
    its last weeks (the best of every such tail), which keeps its spend from falling towards launch.
    """
    if not builds:
        return float(grad.max())
    tails = np.cumsum(grad[::-1]) / np.arange(1, len(grad) + 1)
    return float(tails.max())


# --------------------------------------------------------------------------- fitting

HISTORY_COLUMNS = ("week", "channel", "spend", "response")


def load_promotion_history(path: str | Path) -> pd.DataFrame:
    """Read a weekly history CSV with columns week, channel, spend, response (one row per channel per week)."""
    path = Path(path)
    try:
        return pd.read_csv(path, dtype={"week": str, "channel": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PromotionInputError("history", f"cannot read {path}: {exc}") from exc


def _parse_weeks(values: pd.Series) -> pd.Series:
    """Week numbers (integers) or week start dates, as a sortable series; rows numbered as in the file."""
    if pd.api.types.is_datetime64_any_dtype(values):
        bad_dates = values.isna()
        if bad_dates.any():
            raise PromotionInputError("week", "is empty", row=int(np.flatnonzero(bad_dates.to_numpy())[0]) + 2)
        return values.dt.normalize()
    text = values.astype(str).str.strip()
    if text.str.fullmatch(r"-?\d+").all():
        return text.astype(int)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise PromotionInputError("week", f"'{text.iloc[pos]}' is not a date (YYYY-MM-DD) or a week number", row=pos + 2)
    return parsed


def validate_history(history: pd.DataFrame) -> pd.DataFrame:
    """Check a weekly history and return it with parsed weeks; rows are numbered as in a CSV whose header is row 1."""
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise PromotionInputError("history", f"missing column(s) {', '.join(missing)}; expected {', '.join(HISTORY_COLUMNS)}")
    if history.empty:
        raise PromotionInputError("history", "has no rows")
    df = history.reset_index(drop=True).copy()
    df["row"] = np.arange(len(df)) + 2
    for column in ("spend", "response"):
        values = pd.to_numeric(df[column], errors="coerce")
        for pos in np.flatnonzero(values.isna().to_numpy())[:1]:
            raise PromotionInputError(column, f"'{df[column].iloc[pos]}' is empty or not a number", row=int(pos) + 2)
        for pos in np.flatnonzero((values < 0).to_numpy())[:1]:
            raise PromotionInputError(column, f"is negative ({values.iloc[pos]:g})", row=int(pos) + 2)
        df[column] = values.astype(float)
    df["week"] = _parse_weeks(df["week"])
    dated = pd.api.types.is_datetime64_any_dtype(df["week"])
    for channel, group in df.groupby("channel", sort=False):
        _check_consecutive(str(channel), group.sort_values("week"), dated)
    return df


def _check_consecutive(channel: str, group: pd.DataFrame, dated: bool) -> None:
    weeks = group["week"].to_list()
    rows = group["row"].to_list()
    for prev, cur, row in zip(weeks, weeks[1:], rows[1:], strict=False):
        gap = (cur - prev).days / 7 if dated else cur - prev
        shown = cur.date().isoformat() if dated else str(cur)
        before = prev.date().isoformat() if dated else str(prev)
        if gap == 0:
            raise PromotionInputError("week", f"{shown} appears twice for channel '{channel}'", row=row)
        if gap != int(gap):
            raise PromotionInputError(
                "week", f"{shown} is not a whole number of weeks after {before} for channel '{channel}'", row=row
            )
        if gap > 1:
            raise PromotionInputError(
                "week", f"{int(gap) - 1} week(s) missing for channel '{channel}' between {before} and {shown}", row=row
            )


def _fit_one(channel: str, spend: np.ndarray, response: np.ndarray, source: str) -> tuple[ChannelCurve, FitDiagnostics]:
    scale = max(float(response.max()), 1e-9)

    def residuals(theta: np.ndarray) -> np.ndarray:
        log_top, log_half, shape, decay = theta
        a = adstock(spend, np.array(decay))
        return (hill(a, np.exp(log_top), np.exp(log_half), shape) - response) / scale

    lower = [math.log(scale * 0.5), math.log(max(spend.max(), 1.0) * 1e-3), SHAPE_BOUNDS[0], DECAY_BOUNDS[0]]
    upper = [math.log(scale * 50), math.log(max(spend.max(), 1.0) * 1e3), SHAPE_BOUNDS[1], DECAY_BOUNDS[1]]
    best = None
    for decay0 in (0.1, 0.4, 0.7):
        a0 = adstock(spend, np.array(decay0))
        half0 = float(np.median(a0[a0 > 0])) if (a0 > 0).any() else 1.0
        for shape0 in (1.0, 2.0):
            x0 = np.clip([math.log(scale * 1.5), math.log(half0), shape0, decay0], np.add(lower, 1e-6), np.subtract(upper, 1e-6))
            res = least_squares(residuals, x0, bounds=(lower, upper), method="trf", x_scale="jac")
            if best is None or res.cost < best.cost:
                best = res
    assert best is not None
    log_top, log_half, shape, decay = best.x
    n, p = len(response), 4
    sigma2 = 2 * best.cost / max(n - p, 1)
    cov = np.linalg.pinv(best.jac.T @ best.jac) * sigma2
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    curve = ChannelCurve(
        name=channel,
        label=channel.replace("_", " ").capitalize(),
        top=float(math.exp(log_top)),
        half_saturation=float(math.exp(log_half)),
        shape=float(shape),
        decay=float(decay),
        uncertainty=ParamUncertainty(top=float(se[0]), half_saturation=float(se[1]), shape=float(se[2]), decay=float(se[3])),
        source=f"fitted by least squares on {n} weeks of {source}",
    )
    predicted = response + best.fun * scale
    rss = float(((response - predicted) ** 2).sum())
    tss = float(((response - response.mean()) ** 2).sum())
    return curve, FitDiagnostics(channel=channel, n_weeks=n, r2=1 - rss / tss if tss > 0 else 0.0, rmse=math.sqrt(rss / n))


def fit_channel_curves(history: pd.DataFrame, source: str = "the user's history") -> FittedChannels:
    """Fit adstock and Hill parameters per channel from weekly spend and response.

    `history` has one row per channel per week: week (a number or a YYYY-MM-DD date),
    channel, spend, response (e.g. people reached that week). Weeks must be consecutive
    for each channel and spend must not be negative; errors name the row as numbered in a
    CSV whose header is row 1. Uncertainties are standard errors from the fit's Jacobian
    (relative for top and half_saturation, which are fitted on a log scale).
    """
    df = validate_history(history)
    curves, diagnostics = [], []
    for channel, group in df.groupby("channel", sort=False):
        group = group.sort_values("week")
        if len(group) < MIN_FIT_WEEKS:
            raise PromotionInputError(
                "history", f"channel '{channel}' has {len(group)} weeks; at least {MIN_FIT_WEEKS} are needed to fit 4 parameters"
            )
        if group["spend"].max() <= 0:
            raise PromotionInputError("history", f"channel '{channel}' never has any spend; nothing to fit")
        curve, diag = _fit_one(str(channel), group["spend"].to_numpy(), group["response"].to_numpy(), source)
        curves.append(curve)
        diagnostics.append(diag)
    return FittedChannels(curves=curves, diagnostics=diagnostics, source=source)


def simulate_history(curves: Sequence[ChannelCurve], weeks: int, noise: float = 0.03, seed: int = 0) -> pd.DataFrame:
    """A synthetic weekly history drawn from known curves (for tests and benchmarks).

    Spend varies from zero to about three times each channel's half-saturation so that
    the saturating part of the curve is observed; response gets multiplicative noise.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for curve in curves:
        spend = rng.uniform(0, 3.0, weeks) * curve.half_saturation * (rng.random(weeks) > 0.15)
        reach = weekly_reach([curve], spend[None, :])[0] * np.exp(rng.normal(0, noise, weeks))
        rows += [
            {"week": w + 1, "channel": curve.name, "spend": round(s, 2), "response": round(r)}
            for w, (s, r) in enumerate(zip(spend, reach, strict=True))
        ]
    return pd.DataFrame(rows)
