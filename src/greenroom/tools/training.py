"""Fit, save and load the analyst's predictive models.

`train_all(data_dir)` fits every model and writes, in `data_dir / "models"`,
one joblib file per model and a JSON card beside it with the model's version,
training configuration and metrics: forward in time for the forecasts (trained
up to a year, scored on the releases after it), leave-one-out for the recommender. `load_or_train(data_dir)` loads
them, training first whatever is missing or was saved by another model
version or scikit-learn version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import joblib
import sklearn
from pydantic import BaseModel, Field
from threadpoolctl import threadpool_limits

from greenroom.core.analysis import HoldoutMetrics
from greenroom.tools.forecasting.audience import MODEL_VERSION, AudienceModels, train_audience_models
from greenroom.tools.forecasting.conformal import space_words
from greenroom.tools.forecasting.data import BOX_OFFICE_SOURCE, VOTES_SOURCE
from greenroom.tools.forecasting.evaluation import COVERAGE_TOLERANCE, TARGET_SPEARMAN, beats_baseline
from greenroom.tools.segments import MOVIELENS_SOURCE, SEGMENTS_VERSION, SegmentModel, train_segments

ModelName = Literal["forecast", "segments"]
MODEL_NAMES: tuple[ModelName, ...] = ("forecast", "segments")
CURRENT_VERSIONS: dict[ModelName, str] = {"forecast": MODEL_VERSION, "segments": SEGMENTS_VERSION}

RANKED_FORECASTS = frozenset({"votes", "box_office"})
"""Forecasts whose rank correlation on later releases should reach TARGET_SPEARMAN (reach and box office)."""

ProgressFn = Callable[[str, int, int], None]
"""Called as progress(message, step, total_steps) before each step and once when done."""


class TrainingConfig(BaseModel):
    """Sizes and seeds for training; the defaults are the shipped models."""

    coverage: float = Field(0.8, gt=0, lt=1, description="Nominal coverage of the forecast intervals.")
    forecast_max_iter: int = Field(100, gt=0, description="Boosting rounds per forecast model.")
    forward_horizon: int = Field(3, ge=1, description="Years in each rolling-origin window of the forecast metrics.")
    forward_windows: int = Field(3, ge=1, description="Latest windows the forecast metrics pool.")
    calibration_windows: int = Field(2, ge=1, description="Latest windows whose errors calibrate a forecast interval.")
    n_segments: int = Field(6, ge=2, le=12, description="Audience segments (KMeans clusters).")
    svd_components: int = Field(50, gt=0, description="Latent factors of the recommender.")
    seed: int = Field(0, description="Random seed for splits and models.")
    threads: int = Field(1, ge=1, description="CPU threads for scikit-learn; 1 avoids OpenMP stalls on busy machines.")

    @classmethod
    def small(cls) -> TrainingConfig:
        """A faster configuration for tests: fewer boosting rounds and factors."""
        return cls(forecast_max_iter=50, svd_components=30)


class ModelCard(BaseModel):
    """What was trained, how, on what, and how well: saved as JSON beside the model."""

    name: str = Field(..., description="Model name: forecast or segments.")
    version: str = Field(..., description="Model version the code produced.")
    trained_at: str = Field(..., description="UTC time of training, ISO 8601.")
    sklearn_version: str = Field(..., description="scikit-learn version the model was pickled with.")
    config: TrainingConfig = Field(..., description="Training configuration.")
    metrics: dict[str, Any] = Field(
        ..., description="Metrics on data the model never saw (forward in time for forecasts), each beside its naive baseline."
    )
    source: str = Field(..., description="Training data.")
    file: str = Field(..., description="The joblib file, relative to the models folder.")


@dataclass
class TrainedModels:
    """Everything the analyst needs, with the cards describing it."""

    forecast: AudienceModels
    segments: SegmentModel
    cards: dict[str, ModelCard]
    trained: list[str] = field(default_factory=list)
    """Models fitted in this call (empty when everything was loaded from disk)."""


def models_dir(data_dir: Path) -> Path:
    """Folder holding the saved models and their cards."""
    return Path(data_dir) / "models"


def _card_path(data_dir: Path, name: ModelName) -> Path:
    return models_dir(data_dir) / f"{name}.json"


def _model_path(data_dir: Path, name: ModelName) -> Path:
    return models_dir(data_dir) / f"{name}.joblib"


def _fit(name: ModelName, config: TrainingConfig) -> tuple[AudienceModels | SegmentModel, dict[str, Any], str]:
    with threadpool_limits(limits=config.threads):
        if name == "forecast":
            forecast = train_audience_models(
                coverage=config.coverage,
                max_iter=config.forecast_max_iter,
                seed=config.seed,
                horizon=config.forward_horizon,
                evaluated=config.forward_windows,
                calibration_windows=config.calibration_windows,
            )
            metrics = {k: m.model_dump() for k, m in forecast.metrics.items()}
            return forecast, metrics, f"{VOTES_SOURCE}; {BOX_OFFICE_SOURCE}"
        segments = train_segments(n_segments=config.n_segments, n_components=config.svd_components, seed=config.seed)
        assert segments.metrics is not None
        return segments, {"recommender": segments.metrics.model_dump()}, MOVIELENS_SOURCE


def _save(
    data_dir: Path,
    name: ModelName,
    model: AudienceModels | SegmentModel,
    metrics: dict[str, Any],
    source: str,
    config: TrainingConfig,
) -> ModelCard:
    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(model, SegmentModel):
        model._user_scores = None  # a cache, rebuilt on first use
    joblib.dump(model, _model_path(data_dir, name), compress=3)
    card = ModelCard(
        name=name,
        version=CURRENT_VERSIONS[name],
        trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        sklearn_version=sklearn.__version__,
        config=config,
        metrics=metrics,
        source=source,
        file=_model_path(data_dir, name).name,
    )
    _card_path(data_dir, name).write_text(card.model_dump_json(indent=2), encoding="utf-8")
    return card


def train_all(
    data_dir: Path,
    progress: ProgressFn | None = None,
    config: TrainingConfig | None = None,
    only: tuple[ModelName, ...] = MODEL_NAMES,
) -> dict[str, ModelCard]:
    """Fit and save the models named in `only` (all by default); return their cards."""
    config = config or TrainingConfig()
    report = progress or (lambda _m, _s, _t: None)
    cards: dict[str, ModelCard] = {}
    for step, name in enumerate(only):
        report(f"training {name}", step, len(only))
        model, metrics, source = _fit(name, config)
        cards[name] = _save(data_dir, name, model, metrics, source, config)
    report("done", len(only), len(only))
    return cards


def load_cards(data_dir: Path) -> dict[str, ModelCard]:
    """The saved cards (version, config, metrics) of every model that has one."""
    cards: dict[str, ModelCard] = {}
    for name in MODEL_NAMES:
        path = _card_path(data_dir, name)
        if path.exists():
            cards[name] = ModelCard.model_validate_json(path.read_text(encoding="utf-8"))
    return cards


def stale_models(data_dir: Path) -> dict[ModelName, str]:
    """Models that must be (re)trained before use, each with the reason."""
    cards = load_cards(data_dir)
    stale: dict[ModelName, str] = {}
    for name in MODEL_NAMES:
        card = cards.get(name)
        if card is None or not _model_path(data_dir, name).exists():
            stale[name] = "not trained yet"
        elif card.version != CURRENT_VERSIONS[name]:
            stale[name] = f"saved version {card.version}, code expects {CURRENT_VERSIONS[name]}"
        elif card.sklearn_version != sklearn.__version__:
            stale[name] = f"saved with scikit-learn {card.sklearn_version}, running {sklearn.__version__}"
    return stale


def load_or_train(data_dir: Path, progress: ProgressFn | None = None, config: TrainingConfig | None = None) -> TrainedModels:
    """Load the saved models, training first any that are missing or stale."""
    stale = stale_models(data_dir)
    if stale:
        train_all(data_dir, progress, config, only=tuple(stale))
    cards = load_cards(data_dir)
    forecast = joblib.load(_model_path(data_dir, "forecast"))
    segments = joblib.load(_model_path(data_dir, "segments"))
    if not isinstance(forecast, AudienceModels) or not isinstance(segments, SegmentModel):
        raise TypeError(f"unexpected objects in {models_dir(data_dir)}; delete the folder and train again")
    return TrainedModels(forecast=forecast, segments=segments, cards=cards, trained=list(stale))


class MetricRow(BaseModel):
    """One line of the metrics table: a model's number beside its naive baseline."""

    model: str = Field(..., description="Model and target.")
    metric: str = Field(..., description="What is measured, and in which space.")
    value: float = Field(..., description="The model's score.")
    baseline: float | None = Field(None, description="The naive baseline's score on the same data.")
    baseline_name: str = Field("", description="Which baseline.")
    ratio: float | None = Field(None, description="value / baseline.")
    target: str = Field("", description="What the value should reach.")
    met: bool | None = Field(None, description="Whether the target is met.")


def metric_rows(cards: dict[str, ModelCard]) -> list[MetricRow]:
    """Flatten the cards into table rows, each metric beside its baseline."""
    rows: list[MetricRow] = []
    for key, m in cards["forecast"].metrics.items() if "forecast" in cards else []:
        metrics = HoldoutMetrics.model_validate(m)
        years = f" on {metrics.test_years} releases" if metrics.test_years else ""
        rows.append(
            MetricRow(
                model=f"forecast/{key}",
                metric=f"MAE{years}, {space_words(metrics.space)}",
                value=metrics.mae,
                baseline=metrics.baseline_mae,
                baseline_name="genre-and-decade median",
                ratio=metrics.mae_ratio,
                target="< 1 each window: shown",
                met=beats_baseline(metrics),
            )
        )
        nominal = metrics.coverage_nominal
        rows.append(
            MetricRow(
                model=f"forecast/{key}",
                metric=f"{nominal:.0%} interval coverage{years}",
                value=metrics.coverage_observed,
                target=f"{nominal - COVERAGE_TOLERANCE:.2f}-{nominal + COVERAGE_TOLERANCE:.2f}",
                met=abs(metrics.coverage_observed - nominal) <= COVERAGE_TOLERANCE,
            )
        )
        if metrics.spearman is not None:
            ranked = key in RANKED_FORECASTS
            rows.append(
                MetricRow(
                    model=f"forecast/{key}",
                    metric=f"Spearman{years}",
                    value=metrics.spearman,
                    baseline=metrics.baseline_spearman,
                    baseline_name="genre-and-decade median",
                    target=f">= {TARGET_SPEARMAN:g}" if ranked else "",
                    met=metrics.spearman >= TARGET_SPEARMAN if ranked else None,
                )
            )
    if "segments" in cards:
        r = cards["segments"].metrics["recommender"]
        rows.append(
            MetricRow(
                model="segments/recommender",
                metric=f"leave-one-out hit-rate@{r['k']}",
                value=r["hit_rate"],
                baseline=r["popularity_hit_rate"],
                baseline_name="popularity",
                ratio=r["ratio"],
                target="ratio >= 1.5",
                met=r["ratio"] >= 1.5,
            )
        )
    return rows
