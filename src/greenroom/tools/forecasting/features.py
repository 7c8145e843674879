"""What the forecasters see of a film: a brief's inputs, the model matrix, the range a model speaks for."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from greenroom.core.analysis import ForecastInputs
from greenroom.core.brief import Brief
from greenroom.core.numbers import money
from greenroom.core.vocabulary import canonical_genres
from greenroom.tools.forecasting.data import is_major_studio

USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CAD": 0.73,
    "AUD": 0.66,
    "NZD": 0.60,
    "CHF": 1.13,
    "JPY": 0.0067,
    "INR": 0.012,
    "SEK": 0.095,
    "NOK": 0.093,
    "DKK": 0.145,
    "KRW": 0.00074,
    "BRL": 0.18,
    "MXN": 0.055,
    "CNY": 0.14,
}
"""Fixed approximate exchange rates (US dollars per unit); an assumption, not a market feed."""

LAUNCH_SHARE_OF_PRODUCTION = 0.5
"""Assumed ratio of launch spend (prints and advertising) to production budget: production = launch / 0.5."""

MPAA_ORDER: dict[str, int] = {"G": 0, "PG": 1, "PG-13": 2, "R": 3, "NC-17": 4}
_MPAA_ALIASES = {"GP": "PG", "M": "PG", "M/PG": "PG", "X": "NC-17"}


def brief_inputs(brief: Brief) -> ForecastInputs:
    """Derive the forecast features from a brief, stating every assumption made on the way."""
    genres, unmatched = canonical_genres(brief.genres)
    assumptions = [
        f"MPAA rating taken as the brief's age-rating ceiling ({brief.constraints.age_rating_ceiling}).",
        f"Release year taken from the start of the release window ({brief.release.earliest.year}).",
    ]
    budget_usd: float | None = None
    rate = USD_PER_UNIT.get(brief.budget.currency)
    if rate is not None:
        budget_usd = brief.budget.amount * rate / LAUNCH_SHARE_OF_PRODUCTION
        assumptions.append(
            f"Production budget assumed to be launch budget / {LAUNCH_SHARE_OF_PRODUCTION:g} "
            f"(launch spend about half of production): {money(brief.budget.amount, brief.budget.currency)}"
            + (f" at {rate:g} USD per {brief.budget.currency}" if brief.budget.currency != "USD" else "")
            + f" → {money(budget_usd, 'USD')}; no inflation adjustment."
        )
    else:
        assumptions.append(f"No stated exchange rate for {brief.budget.currency}: the budget is left out of the forecast.")
    studio = (brief.studio or "").strip() or None
    major = is_major_studio(studio)
    if studio is None:
        assumptions.append("No studio given: taken as an independent release, not one of the major studios.")
    else:
        assumptions.append(f"Studio “{studio}” taken as {'a major studio' if major else 'an independent release'}.")
    return ForecastInputs(
        genres=genres,
        unmatched_genres=unmatched,
        minutes=brief.length.minutes,
        production_budget_usd=budget_usd,
        year=brief.release.earliest.year,
        mpaa=brief.constraints.age_rating_ceiling,
        studio=studio,
        major_studio=major,
        assumptions=assumptions,
    )


def inputs_frame(inputs: Sequence[ForecastInputs]) -> pd.DataFrame:
    """The common film-feature frame (genres, minutes, budget_usd, year, mpaa, major_studio) for a list of inputs."""
    return pd.DataFrame(
        {
            "genres": [tuple(i.genres) for i in inputs],
            "minutes": [np.nan if i.minutes is None else i.minutes for i in inputs],
            "budget_usd": [np.nan if i.production_budget_usd is None else i.production_budget_usd for i in inputs],
            "year": [i.year for i in inputs],
            "mpaa": [i.mpaa for i in inputs],
            "major_studio": [float(i.major_studio) for i in inputs],
        }
    )


def common_genres(genres: Iterable[Sequence[str]], min_films: int = 30) -> list[str]:
    """Genres carried by at least `min_films` films, most frequent first: the ones worth a model feature."""
    counts = pd.Series([g for gs in genres for g in gs]).value_counts()
    return [g for g in counts.index if counts[g] >= min_films]


def _mpaa_code(value: object) -> float:
    if not isinstance(value, str) or not value:
        return math.nan
    value = _MPAA_ALIASES.get(value, value)
    return float(MPAA_ORDER[value]) if value in MPAA_ORDER else math.nan


def feature_matrix(frame: pd.DataFrame, genre_columns: Sequence[str], use_budget: bool, use_studio: bool = False) -> pd.DataFrame:
    """Model matrix: year, log minutes, [log budget], MPAA code (NaN when unrated), [major studio], one flag per genre."""
    out = pd.DataFrame(
        {
            "year": frame["year"].astype(float).to_numpy(),
            "log_minutes": np.log(frame["minutes"].astype(float).clip(lower=1.0)).to_numpy(),
        }
    )
    if use_budget:
        out["log_budget"] = np.log(frame["budget_usd"].astype(float).clip(lower=1.0)).to_numpy()
    out["mpaa"] = [_mpaa_code(v) for v in frame["mpaa"]]
    if use_studio:
        out["major_studio"] = frame["major_studio"].astype(float).to_numpy()
    for genre in genre_columns:
        out[f"g_{genre}"] = [float(genre in gs) for gs in frame["genres"]]
    return out


@dataclass
class FeatureDomain:
    """The range of training inputs a forecaster can speak for (0.5th to 99.5th percentile), and its typical budgets."""

    minutes: tuple[float, float]
    budget_usd: tuple[float, float] | None
    year: tuple[int, int]
    genres: list[str] = field(default_factory=list)
    budget_typical: tuple[float, float] | None = None
    """5th to 95th percentile of the training films' budgets: a film outside it is flagged as unusual."""

    @classmethod
    def of(cls, frame: pd.DataFrame, genre_columns: Sequence[str], use_budget: bool) -> FeatureDomain:
        def span(col: str, low: float = 0.005, high: float = 0.995) -> tuple[float, float]:
            lo, hi = frame[col].astype(float).quantile([low, high])
            return float(round(lo)), float(round(hi))

        return cls(
            minutes=span("minutes"),
            budget_usd=span("budget_usd") if use_budget else None,
            year=(int(frame["year"].min()), int(frame["year"].max())),
            genres=list(genre_columns),
            budget_typical=span("budget_usd", 0.05, 0.95) if use_budget else None,
        )

    def flags(self, row: pd.Series) -> list[str]:
        """Why a film is unusual for the model though inside its domain: a budget far from the training films'."""
        budget = float(row["budget_usd"])
        if self.budget_typical is None or math.isnan(budget):
            return []
        lo, hi = self.budget_typical
        if budget < lo:
            return [
                f"production budget {money(budget, 'USD')} is below 95% of the training films' budgets "
                f"(5th percentile {money(lo, 'USD')}): few films this small to learn from"
            ]
        if budget > hi:
            return [
                f"production budget {money(budget, 'USD')} is above 95% of the training films' budgets "
                f"(95th percentile {money(hi, 'USD')}): few films this large to learn from"
            ]
        return []

    def check(self, row: pd.Series) -> tuple[list[str], list[str]]:
        """(out-of-domain reasons, notes) for one film-feature row."""
        ood: list[str] = []
        notes: list[str] = []
        lo, hi = self.minutes
        if math.isnan(row["minutes"]):
            ood.append("no running time given; the models need minutes")
        elif not lo <= row["minutes"] <= hi:
            ood.append(f"running time {row['minutes']:g} min is outside the training range {lo:g}-{hi:g} min")
        if self.budget_usd is not None:
            blo, bhi = self.budget_usd
            if math.isnan(row["budget_usd"]):
                notes.append("budget unknown: predicted without it")
            elif not blo <= row["budget_usd"] <= bhi:
                ood.append(
                    f"production budget {money(row['budget_usd'], 'USD')} is outside the training range "
                    f"{money(blo, 'USD')}-{money(bhi, 'USD')}"
                )
        ylo, yhi = self.year
        if row["year"] < ylo:
            ood.append(f"year {row['year']} is before the training data ({ylo}-{yhi})")
        elif row["year"] > yhi:
            notes.append(f"year {row['year']} is after the training data ({ylo}-{yhi}): predicted as a {yhi} release")
        known = [g for g in row["genres"] if g in self.genres]
        if row["genres"] and not known:
            notes.append(f"none of the genres {', '.join(row['genres'])} is a feature of this model ({', '.join(self.genres)})")
        return ood, notes
