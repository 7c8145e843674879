"""A running campaign's results: update the channel curves, re-plan the weeks left, attribute reach to channels.

The update. Each channel's curve (`tools.promotion`: geometric adstock, then Hill saturation)
has four parameters; the plan's curve and its stated uncertainty are the prior, read as a
normal distribution on (log top, log half_saturation, shape, decay), which is exactly how
`ParamUncertainty` states it. Each observed week's reach is lognormal around the curve's
prediction (sigma `WEEKLY_NOISE`). No conjugate prior exists for a Hill curve's
half-saturation, shape or decay, so the posterior is approximated by Laplace's method: its
mode is found by scipy's `least_squares` with the prior entering as pseudo-observations
(maximum a posteriori), and its covariance is the inverse Gauss-Newton Hessian there.
PyMC-Marketing would sample the same model by MCMC; we do not use it because one fit takes
seconds to minutes where a weekly re-plan of 8 channels must take under 2 s, the benchmark
needs thousands of updates, and its compiled backend cannot be built on this project's
no-compiler installs. Every update starts from the plan's curve and uses all observed weeks,
so nothing is lost between weeks (a diagonal posterior fed back as the next week's prior
would drop the correlation of top and half-saturation); the posterior standard deviations
are carried forward as the updated curve's uncertainty, and reach intervals draw from the
full covariance.

The re-plan is `tools.promotion.allocate` on the updated curves over the weeks left, with the
budget left, each channel's bounds less what it has spent, and the adstock the spent weeks
carry in.

Attribution is channel level only: the reach each channel's updated curve gives its own
spend, with an interval from the posterior. Nothing here is about individual users.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from greenroom.core.market import (
    DECAY_BOUNDS,
    SHAPE_BOUNDS,
    ChannelCurve,
    ParamUncertainty,
    PromotionAllocation,
    ReachEstimate,
)
from greenroom.core.numbers import money
from greenroom.core.results import (
    ChannelAttribution,
    ChannelMove,
    CreativeTest,
    CurveUpdate,
    ResultsUpdate,
    WeekObservation,
)
from greenroom.tools.creative_tests import creative_test
from greenroom.tools.promotion import adstock, allocate, hill, reach_estimate, week_weights

WEEKLY_NOISE = 0.1
"""Standard deviation of log weekly reach around the curve: measurement noise and what the curve cannot capture."""
FREQUENCY = 1.0
"""Impressions per person reached in a week; 1 counts every impression as a person, the plan's gross reach."""
N_DRAWS = 1000
INTERVAL = 0.9
METHOD = (
    "Bayesian update per channel: the plan's curve as a normal prior on (log top, log half-saturation, shape, decay), "
    f"weekly reach lognormal around the curve (sigma {WEEKLY_NOISE}); posterior by Laplace's method "
    "(mode by scipy least_squares, covariance from the Gauss-Newton Hessian)"
)


def creative_id(channel: str, index: int) -> str:
    """The id of a channel's ad-copy variant `index` (0-based) in the package: `search-1`, `search-2`, ..."""
    return f"{channel}-{index + 1}"


# --------------------------------------------------------------------------- weeks


@dataclass
class Observed:
    """The results summed to campaign weeks: per channel, spend and reach of each complete week."""

    channels: list[str]
    spend: np.ndarray
    """(channels, through_week) spend."""
    reach: np.ndarray
    """(channels, through_week) reach (impressions / frequency)."""
    clicks: np.ndarray
    conversions: np.ndarray
    through_week: int
    last_day: pd.Timestamp | None
    ignored_rows: int


def observe(rows: pd.DataFrame, channels: Sequence[str], first_day: pd.Timestamp, weeks: int,
            frequency: float = FREQUENCY) -> Observed:  # fmt: skip
    """Sum daily rows (RESULT_FIELDS) to campaign weeks; only complete weeks count (the rest are counted as ignored)."""
    n = len(channels)
    if rows.empty:
        empty = np.zeros((n, 0))
        return Observed(list(channels), empty, empty, empty, empty, 0, None, 0)
    day = pd.to_datetime(rows["day"])
    last = day.max()
    through = int(min(weeks, ((last - first_day).days + 1) // 7))
    week = ((day - first_day).dt.days // 7).to_numpy()
    keep = (week >= 0) & (week < through)
    index = {c: i for i, c in enumerate(channels)}
    chan = rows["channel"].map(index).to_numpy()
    keep &= ~pd.isna(chan)
    out = {k: np.zeros((n, through)) for k in ("spend", "impressions", "clicks", "conversions")}
    ci, wi = chan[keep].astype(int), week[keep].astype(int)
    for key, table in out.items():
        np.add.at(table, (ci, wi), rows[key].to_numpy(dtype=float)[keep])
    return Observed(list(channels), out["spend"], out["impressions"] / frequency, out["clicks"], out["conversions"],
                    through, last, int((~keep).sum()))  # fmt: skip


# --------------------------------------------------------------------------- curve update


def _prior_vector(curve: ChannelCurve) -> tuple[np.ndarray, np.ndarray]:
    u = curve.uncertainty
    mean = np.array([math.log(curve.top), math.log(curve.half_saturation), curve.shape, curve.decay])
    sd = np.maximum(np.array([u.top, u.half_saturation, u.shape, u.decay]), 1e-3)
    return mean, sd


def _predict(theta: np.ndarray, spend: np.ndarray, carry: float = 0.0) -> np.ndarray:
    log_top, log_half, shape, decay = theta
    a = adstock(spend[None, :], np.array([decay]), np.array([carry]))[0]
    return hill(a, np.exp(log_top), np.exp(log_half), shape)


def update_curve(
    prior: ChannelCurve, spend: np.ndarray, reach: np.ndarray, sigma: float = WEEKLY_NOISE, currency: str = ""
) -> CurveUpdate:
    """The channel's posterior curve given its observed weekly spend and reach (weeks 1..k of the campaign)."""
    mean, sd = _prior_vector(prior)
    spend, reach = np.asarray(spend, dtype=float), np.asarray(reach, dtype=float)
    seen = (spend > 0) | (reach > 0)
    used = seen & (reach > 0)  # a week with spend and no reach at all says the log model is wrong: left out, noted
    log_reach = np.log(np.where(used, reach, 1.0))
    lower = np.array([-np.inf, -np.inf, SHAPE_BOUNDS[0], DECAY_BOUNDS[0]])
    upper = np.array([np.inf, np.inf, SHAPE_BOUNDS[1], DECAY_BOUNDS[1]])

    def residuals(theta: np.ndarray) -> np.ndarray:
        predicted = np.log(np.maximum(_predict(theta, spend), 1e-9))
        return np.concatenate([((log_reach - predicted) / sigma)[used], (theta - mean) / sd])

    observations = [
        WeekObservation(week=w + 1, spend=round(float(spend[w]), 2), reach=round(float(reach[w])), clicks=0, conversions=0)
        for w in range(len(spend))
    ]
    if not used.any():
        theta, cov = mean, np.diag(sd**2)
        note = "no week with spend and reach yet: the curve is the plan's"
    else:
        start = np.clip(mean, lower + 1e-6, upper - 1e-6)
        fit = least_squares(residuals, start, bounds=(lower, upper), method="trf", x_scale=np.concatenate([[1, 1], sd[2:]]))
        theta = fit.x
        cov = np.linalg.pinv(fit.jac.T @ fit.jac)
        note = _note(theta, mean, sd, int(used.sum()), float(spend[used].min()), float(spend[used].max()), currency)
    psd = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
    posterior = prior.model_copy(
        update={
            "top": float(math.exp(theta[0])),
            "half_saturation": float(math.exp(theta[1])),
            "shape": float(np.clip(theta[2], *SHAPE_BOUNDS)),
            "decay": float(np.clip(theta[3], *DECAY_BOUNDS)),
            "uncertainty": ParamUncertainty(
                top=float(psd[0]), half_saturation=float(psd[1]), shape=float(psd[2]), decay=float(psd[3])
            ),
            "source": f"{prior.source or 'the plan'}; updated on {int(used.sum())} observed week(s)",
        }
    )
    errors = {}
    for key, vector in (("prior", mean), ("posterior", theta)):
        predicted = np.log(np.maximum(_predict(vector, spend), 1e-9))
        errors[key] = float(np.abs(log_reach - predicted)[used].mean()) if used.any() else None
    return CurveUpdate(
        channel=prior.name,
        label=prior.label or prior.name,
        prior=prior,
        posterior=posterior,
        covariance=[[float(v) for v in row] for row in cov],
        observed=observations,
        prior_fit_error=errors["prior"],
        posterior_fit_error=errors["posterior"],
        note=note,
    )


def _note(theta: np.ndarray, mean: np.ndarray, sd: np.ndarray, weeks: int, low: float, high: float,
          currency: str) -> str:  # fmt: skip
    """What moved, in words: the reach the curve expects at the spend seen, against the plan's."""
    level = max((low + high) / 2, 1.0)
    before = float(_predict(mean, np.array([level]))[0])
    after = float(_predict(theta, np.array([level]))[0])
    change = after / max(before, 1e-9) - 1
    shift = np.abs(theta - mean) / sd
    moved = "barely" if abs(change) < 0.05 else ("up" if change > 0 else "down")
    text = f"{weeks} week(s) observed; at {money(level, currency)} a week it reaches {change:+.0%} against the plan's curve ({moved})"
    if high < 1.5 * max(low, 1.0) and weeks >= 1:
        text += "; spend stayed in a narrow range, so the curve's shape away from it still leans on the plan"
    if shift.max() > 2:
        text += "; the results sit more than 2 standard deviations from the plan's curve, whose stated uncertainty was too narrow"
    return text


def posterior_draws(updates: Sequence[CurveUpdate], n_draws: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(top, half, shape, decay) draws, each (n_draws, channels), from each channel's posterior covariance."""
    out = np.empty((4, n_draws, len(updates)))
    for c, update in enumerate(updates):
        p = update.posterior
        centre = np.array([math.log(p.top), math.log(p.half_saturation), p.shape, p.decay])
        cov = np.array(update.covariance)
        draws = rng.multivariate_normal(centre, (cov + cov.T) / 2, size=n_draws, method="eigh")
        out[0, :, c], out[1, :, c] = np.exp(draws[:, 0]), np.exp(draws[:, 1])
        out[2, :, c] = np.clip(draws[:, 2], *SHAPE_BOUNDS)
        out[3, :, c] = np.clip(draws[:, 3], *DECAY_BOUNDS)
    return out[0], out[1], out[2], out[3]


def _reach_draws(draws: tuple[np.ndarray, ...], spend: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Reach per draw and channel, (n_draws, channels), of a (channels, weeks) spend under each draw."""
    top, half, shape, decay = draws
    a = adstock(np.broadcast_to(spend, (top.shape[0], *spend.shape)), decay)
    return (hill(a, top[..., None], half[..., None], shape[..., None]) * weights).sum(axis=2)


def _estimate(central: float, draws: np.ndarray, what: str) -> ReachEstimate:
    return reach_estimate(central, draws, INTERVAL, f"{len(draws)} draws from the updated curves' posterior ({what})")


# --------------------------------------------------------------------------- re-plan


def remaining_bounds(allocation: PromotionAllocation, spent: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Each channel's min and max over the weeks left: the plan's bounds less what it has spent (never below 0)."""
    low = {c.channel: max(c.min_spend - spent.get(c.channel, 0.0), 0.0) for c in allocation.channels if c.min_spend > 0}
    high = {c.channel: max(c.max_spend - spent.get(c.channel, 0.0), 0.0) for c in allocation.channels}
    return low, high


def replan(
    allocation: PromotionAllocation,
    curves: Sequence[ChannelCurve],
    spent: np.ndarray,
    *,
    n_starts: int = 6,
    n_draws: int = N_DRAWS,
    seed: int = 0,
) -> PromotionAllocation | None:
    """Allocate the budget left over the weeks left on `curves`, within the plan's bounds (None when no week is left).

    `spent` is the (channels, observed weeks) spend so far, channels in `curves`' order; its adstock carries in.
    """
    k = spent.shape[1]
    weeks_left = allocation.weeks - k
    if weeks_left <= 0:
        return None
    names = [c.name for c in curves]
    per_channel = dict(zip(names, spent.sum(axis=1).tolist(), strict=True))
    left = round(allocation.budget - float(spent.sum()), 2)
    if left < 0.01:
        return None
    low, high = remaining_bounds(allocation, per_channel)
    total_low = sum(low.values())
    if total_low > left:  # minimums the spent weeks can no longer meet shrink in proportion, never above what is left
        low = {k2: v * left / total_low for k2, v in low.items()}
    high = {k2: max(v, low.get(k2, 0.0)) for k2, v in high.items()}
    if sum(high.get(n, left) for n in names) < left:  # overspent bounds: let the budget left go where the plan allowed most
        high = {}
    decay = np.array([c.decay for c in curves])
    carry = adstock(spent, decay)[:, -1] if k else np.zeros(len(curves))
    return allocate(
        left, weeks_left, curves, min_spend=low, max_spend=high, objective=allocation.objective,
        currency=allocation.currency, n_starts=n_starts, n_draws=n_draws, seed=seed,
        carry_in=dict(zip(names, carry.tolist(), strict=True)),
    )  # fmt: skip


def planned_spend(allocation: PromotionAllocation, names: Sequence[str]) -> np.ndarray:
    """The plan's (channels, weeks) spend in `names`' order (0 for a channel the plan does not list)."""
    by = {c.channel: c.weekly_spend for c in allocation.channels}
    return np.array([by.get(n, [0.0] * allocation.weeks) for n in names], dtype=float)


# --------------------------------------------------------------------------- the whole update


def update_results(
    run_id: str,
    allocation: PromotionAllocation,
    prior_curves: Sequence[ChannelCurve],
    rows: pd.DataFrame,
    first_day: pd.Timestamp | str,
    *,
    creative_texts: Mapping[str, str] | None = None,
    frequency: float = FREQUENCY,
    threshold: float | None = None,
    n_starts: int = 6,
    seed: int = 0,
) -> ResultsUpdate:
    """What the results through the last complete week show, and the re-plan of the weeks left.

    `rows` has RESULT_FIELDS; `first_day` is the first day of campaign week 1. Channels follow
    `prior_curves` (the plan's curves); rows of other channels are not counted.
    """
    started = time.perf_counter()
    first = pd.Timestamp(first_day)
    curves = list(prior_curves)
    names = [c.name for c in curves]
    seen = observe(rows, names, first, allocation.weeks, frequency)
    k = seen.through_week
    updates = [update_curve(curve, seen.spend[i], seen.reach[i], currency=allocation.currency) for i, curve in enumerate(curves)]
    for i, update in enumerate(updates):
        for w, obs in enumerate(update.observed):
            obs.clicks, obs.conversions = int(seen.clicks[i, w]), int(seen.conversions[i, w])
    posterior = [u.posterior for u in updates]
    new_plan = replan(allocation, posterior, seen.spend, n_starts=n_starts, seed=seed)

    rng = np.random.default_rng(seed)
    draws = posterior_draws(updates, N_DRAWS, rng)
    weights = week_weights(allocation.objective, allocation.weeks)
    planned = planned_spend(allocation, names)
    full_plan = np.concatenate([seen.spend, planned[:, k:]], axis=1)
    observed_only = np.concatenate([seen.spend, np.zeros((len(names), allocation.weeks - k))], axis=1)
    central = tuple(np.array([[getattr(c, f) for c in posterior]]) for f in ("top", "half_saturation", "shape", "decay"))
    obs_draws = _reach_draws(draws, observed_only, weights)
    obs_central = _reach_draws(central, observed_only, weights)[0]
    observed_reach = _estimate(float(obs_central.sum()), obs_draws.sum(axis=1), "observed weeks")

    plan_left = replan_left = prob_better = None
    moves = []
    if new_plan is not None:
        new_spend = planned_spend(new_plan, names)
        full_new = np.concatenate([seen.spend, new_spend], axis=1)
        plan_total = _reach_draws(draws, full_plan, weights).sum(axis=1) - obs_draws.sum(axis=1)
        new_total = _reach_draws(draws, full_new, weights).sum(axis=1) - obs_draws.sum(axis=1)
        plan_c = float(_reach_draws(central, full_plan, weights).sum() - obs_central.sum())
        new_c = float(_reach_draws(central, full_new, weights).sum() - obs_central.sum())
        plan_left = _estimate(plan_c, plan_total, "the plan's remaining weeks")
        replan_left = _estimate(new_c, new_total, "the re-planned remaining weeks")
        prob_better = float((new_total > plan_total).mean())
        for i, name in enumerate(names):
            before, after = float(planned[i, k:].sum()), float(new_spend[i].sum())
            moves.append(ChannelMove(channel=name, label=curves[i].label or name, spent=round(float(seen.spend[i].sum()), 2),
                                     planned_left=round(before, 2), replanned_left=round(after, 2),
                                     moved=round(after - before, 2), weekly_spend=[float(v) for v in new_spend[i]]))  # fmt: skip

    return ResultsUpdate(
        run_id=run_id,
        through_week=k,
        weeks=allocation.weeks,
        first_day=first.date(),
        last_day=seen.last_day.date() if seen.last_day is not None else None,
        currency=allocation.currency,
        budget=allocation.budget,
        spent=round(float(seen.spend.sum()), 2),
        curves=updates,
        moves=moves,
        replanned=new_plan,
        observed_reach=observed_reach,
        plan_reach_left=plan_left,
        replan_reach_left=replan_left,
        prob_replan_better=prob_better,
        creative_tests=creative_tests(rows, names, creative_texts or {}, threshold=threshold, seed=seed),
        attribution=attribution(updates, seen, obs_draws, obs_central),
        ignored_rows=seen.ignored_rows,
        seconds=time.perf_counter() - started,
        method=METHOD,
        assumptions=[
            f"reach is impressions divided by {frequency:g} (impressions per person a week), gross as in the plan",
            f"weekly reach varies about {WEEKLY_NOISE:.0%} around the curve (lognormal)",
            "only complete campaign weeks update the curves; a part week waits until it completes",
            "the re-plan keeps the plan's objective and channel bounds, less what each channel has spent",
            "attribution is per channel, from each channel's updated curve; it makes no claim about individual users",
        ],
    )


def creative_tests(rows: pd.DataFrame, channels: Sequence[str], texts: Mapping[str, str], *,
                   threshold: float | None = None, seed: int = 0) -> list[CreativeTest]:  # fmt: skip
    """One test per channel that ran two or more creatives, from all rows so far."""
    if rows.empty:
        return []
    sums = rows.groupby(["channel", "creative_id"])[["impressions", "clicks"]].sum()
    tests = []
    for channel in channels:
        if channel not in sums.index.get_level_values(0):
            continue
        part = sums.loc[channel]
        if len(part) < 2 or int(part["impressions"].sum()) == 0:  # one creative, or none shown yet: nothing to test
            continue
        counts = {str(cid): (int(r.impressions), int(r.clicks)) for cid, r in part.iterrows()}
        kwargs = {"threshold": threshold} if threshold is not None else {}
        tests.append(creative_test(channel, counts, texts, seed=seed, **kwargs))
    return tests


def attribution(
    updates: Sequence[CurveUpdate], seen: Observed, draws: np.ndarray, central: np.ndarray
) -> list[ChannelAttribution]:
    """Each channel's reach over the observed weeks from its updated curve, and its share, with intervals."""
    total_draws = np.maximum(draws.sum(axis=1, keepdims=True), 1e-9)
    shares = draws / total_draws
    total = max(float(central.sum()), 1e-9)
    out = []
    for i, update in enumerate(updates):
        spend = float(seen.spend[i].sum())
        reach = float(central[i])
        out.append(
            ChannelAttribution(
                channel=update.channel,
                label=update.label,
                spend=round(spend, 2),
                reach=_estimate(reach, draws[:, i], update.label),
                share=reach / total,
                share_low=float(np.percentile(shares[:, i], 5)),
                share_high=float(np.percentile(shares[:, i], 95)),
                cost_per_1000=spend / reach * 1000 if reach >= 1 else None,
                conversions=int(seen.conversions[i].sum()),
            )
        )
    return out
