"""What the analyst's engines return: comparables, forecasts, reception and segments."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Comparable(BaseModel):
    """A title in the catalog that resembles the brief, and why."""

    id: str = Field(..., description="Catalog id of the title.")
    title: str = Field(..., description="Title as released.")
    year: int = Field(..., description="Release year.")
    genres: list[str] = Field(default_factory=list, description="The title's genres.")
    similarity: float = Field(
        ...,
        description="Cosine similarity between the brief and the title's catalog text (about 0.2 unrelated to 0.8 very close).",
    )
    critic_score: int | None = Field(
        None, description="Critics' score 0-100: the Tomatometer, else Metacritic; None when neither is known."
    )
    critic_source: Literal["rotten_tomatoes", "metacritic"] | None = Field(None, description="Which score critic_score is.")
    box_office: float | None = Field(None, description="Reported box office gross in US dollars, when known.")
    why: str = Field(..., description="Why it is comparable: shared genres, era, matching terms.")
    source: str = Field(..., description="Catalog source the record came from.")


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
    studio: str | None = Field(None, description="Studio or distributor named in the brief, if any.")
    major_studio: bool = Field(False, description="Whether that studio counts as a major (box office feature).")
    assumptions: list[str] = Field(default_factory=list, description="How brief fields were turned into model features.")


class HoldoutMetrics(BaseModel):
    """How one forecaster did on films it never saw, beside the naive baseline.

    Forward metrics (`split` "forward") score models trained on the films up to
    each origin year on the films released in the following years, as a brief's
    film will be: the interval of each window is calibrated on earlier windows only.
    """

    target: str = Field(..., description="What is predicted.")
    space: str = Field(..., description="The space errors are measured in, e.g. log1p(votes).")
    split: Literal["random", "forward"] = Field(
        "random", description="forward: trained up to a year, tested on later releases; random: a random holdout share."
    )
    test_years: str = Field("", description="Release years of the films scored, e.g. 1997-2005 (forward metrics).")
    origins: list[int] = Field(
        default_factory=list, description="Each window's last training year (forward metrics); it tests the years after it."
    )
    n_train: int = Field(..., description="Films used for fitting and calibration (at the latest origin, for forward metrics).")
    n_holdout: int = Field(..., description="Films scored for these metrics.")
    mae: float = Field(..., description="Mean absolute error of the model on the scored films, in `space`.")
    baseline_mae: float = Field(..., description="Mean absolute error of the genre-and-decade median baseline.")
    mae_ratio: float = Field(
        ...,
        description=(
            "mae / baseline_mae; the forecast is shown when it is surely below 1 in every forward window "
            "(window_ratio_bounds), and meets the 25% improvement target below 0.75."
        ),
    )
    window_mae_ratios: list[float] = Field(
        default_factory=list, description="mae_ratio in each forward window, oldest first (forward metrics)."
    )
    window_ratio_bounds: list[float] = Field(
        default_factory=list,
        description="Upper end of a one-sided 95% bound on each window's mae_ratio, from the films' paired errors.",
    )
    spearman: float | None = Field(None, description="Rank correlation of the model's points with the true values.")
    baseline_spearman: float | None = Field(None, description="The same for the genre-and-decade median.")
    coverage_nominal: float = Field(..., description="Nominal interval coverage.")
    coverage_observed: float = Field(..., description="Share of scored films whose true value fell inside their interval.")
    below_share: float | None = Field(None, description="Share of scored films below the interval's lower end.")
    above_share: float | None = Field(None, description="Share of scored films above the interval's upper end.")
    interval_width: float = Field(..., description="Median interval width in `space`.")


class Estimate(BaseModel):
    """One predicted number with its interval, where it comes from and how its interval was calibrated."""

    point: float = Field(..., description="Median prediction.")
    lower: float = Field(..., description="Lower end of the interval.")
    upper: float = Field(..., description="Upper end of the interval.")
    coverage: float = Field(..., description="Nominal share of films whose true value falls in the interval.")
    unit: str = Field(..., description="Unit of point and interval.")
    basis: Literal["model", "baseline"] = Field(
        "model",
        description=(
            "model: the trained forecaster's number; baseline: the genre-and-decade median of the training films, "
            "given instead because the model did not beat it on films released after its training data."
        ),
    )
    calibration: str = Field("", description="How the interval was calibrated, in a sentence.")
    flags: list[str] = Field(
        default_factory=list,
        description="Why this film is unusual for the model (small budget, territory), each with the reason.",
    )
    holdout_mae: float | None = Field(None, description="Model's mean absolute error on later films, in `error_space`.")
    baseline_mae: float | None = Field(None, description="Genre-and-decade median baseline's error on the same films.")
    error_space: str = Field("", description="Space the errors are measured in, e.g. log1p(votes).")
    evaluated_on: str = Field("", description="Which films the errors were measured on, e.g. releases 1997-2005.")
    source: str = Field(..., description="Training data behind the estimate.")
    percentile: float | None = Field(
        None,
        description=(
            "Where the point falls among the releases of `percentile_of` (0-100): a unit that survives time, unlike a "
            "count that keeps growing after release and with the platform; None where not computed."
        ),
    )
    percentile_lower: float | None = Field(None, description="The interval's lower end as the same percentile.")
    percentile_upper: float | None = Field(None, description="The interval's upper end as the same percentile.")
    percentile_of: str = Field("", description="The releases the percentile ranks among, e.g. 'IMDb films released 2001-2005'.")


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


class TitleSentiment(BaseModel):
    """Sentiment of the reviews given for one title."""

    title: str = Field(..., description="The title the reviews are about.")
    reviews: int = Field(..., description="Non-empty reviews scored.")
    mean_compound: float = Field(..., description="Mean VADER compound score, -1 to 1.")
    positive_share: float = Field(..., description="Share of reviews with compound >= 0.05.")
    negative_share: float = Field(..., description="Share of reviews with compound <= -0.05.")
    neutral_share: float = Field(..., description="Share of the rest.")
    label: str = Field(..., description="positive, negative or mixed/neutral, from the mean compound.")


class CriticScores(BaseModel):
    """Critic scores of one comparable title, where known."""

    title: str = Field(..., description="Title of the comparable.")
    year: int | None = Field(None, description="Release year.")
    rotten_tomatoes: float | None = Field(None, ge=0, le=100, description="Tomatometer, 0-100.")
    metacritic: float | None = Field(None, ge=0, le=100, description="Metascore, 0-100.")


class ScoreSummary(BaseModel):
    """Summary of one critic score across the comparables that have it."""

    n: int = Field(..., description="Comparables with this score.")
    mean: float | None = Field(None, description="Mean score, 0-100; None when no comparable has it.")
    median: float | None = Field(None, description="Median score, 0-100.")
    low: float | None = Field(None, description="Lowest score.")
    high: float | None = Field(None, description="Highest score.")


class CriticSummary(BaseModel):
    """Critic scores of the comparables, summarised."""

    comparables: int = Field(..., description="Comparables considered.")
    rotten_tomatoes: ScoreSummary = Field(..., description="Tomatometer across the comparables that have one.")
    metacritic: ScoreSummary = Field(..., description="Metascore across the comparables that have one.")


class ReceptionReport(BaseModel):
    """How the comparables were received: review sentiment and critic scores."""

    sentiment: list[TitleSentiment] = Field(default_factory=list, description="Sentiment per title with reviews given.")
    overall_compound: float | None = Field(None, description="Mean compound over all reviews given; None when there were none.")
    critics: CriticSummary = Field(..., description="Critic scores of the comparables.")
    notes: list[str] = Field(default_factory=list, description="What was missing.")
    source: str = Field(..., description="Where the numbers come from.")


class RecommenderMetrics(BaseModel):
    """Leave-one-out quality of the recommender beside the popularity baseline."""

    k: int = Field(..., description="List length the hit rate is measured at.")
    users: int = Field(..., description="Users evaluated (one held-out rating each, their latest).")
    hit_rate: float = Field(..., description="Share of users whose held-out film the recommender ranks in its top k.")
    popularity_hit_rate: float = Field(..., description="The same for recommending the most-rated films.")
    ratio: float = Field(..., description="hit_rate / popularity_hit_rate; the target is at least 1.5.")
    method: str = Field(..., description="Recommender and its size.")


class ComparableMatch(BaseModel):
    """A comparable title and the MovieLens film it was matched to, if any."""

    title: str = Field(..., description="Title as given.")
    year: int | None = Field(None, description="Year as given.")
    movielens_title: str | None = Field(None, description="Matched MovieLens title, or None when no film matched.")


class SegmentAffinity(BaseModel):
    """One audience segment and how strongly it should respond to the brief."""

    segment_id: int = Field(..., description="Segment number, 0 for the largest.")
    name: str = Field(..., description="Descriptive name from the genres the segment over-indexes on.")
    top_genres: list[str] = Field(..., description="Genres the segment rates most often relative to all users.")
    users: int = Field(..., description="MovieLens users in the segment.")
    share: float = Field(..., description="Share of all users in the segment (0-1).")
    affinity: float = Field(..., description="Combined lift versus the average user; 1.0 is average, higher responds more.")
    content_lift: float | None = Field(
        None, description="How much more often the segment rates the brief's genres than the average user."
    )
    cf_lift: float | None = Field(
        None, description="How much more the recommender expects the segment to like the comparables, versus all users."
    )
    explanation: str = Field(..., description="The numbers above in a plain sentence.")


class SegmentReport(BaseModel):
    """Audience segments ranked by their affinity to a brief."""

    segments: list[SegmentAffinity] = Field(
        ...,
        description="Segments sharing a genre with the brief first, then the rest, each by affinity; "
        "none when no segment shares a genre with the brief.",
    )
    total_users: int = Field(..., description="Users segmented; the segment sizes sum to this.")
    brief_genres: list[str] = Field(..., description="Brief genres found in the MovieLens vocabulary.")
    comparables: list[ComparableMatch] = Field(default_factory=list, description="Comparables and their MovieLens matches.")
    notes: list[str] = Field(default_factory=list, description="What could not be used and why.")
    method: str = Field(..., description="How affinity was computed.")
    recommender_metrics: RecommenderMetrics | None = Field(None, description="Recommender quality versus popularity.")
    model_version: str = Field(..., description="Version of the segment model.")
    source: str = Field(..., description="Training data.")
