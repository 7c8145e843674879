"""Reception of the comparables: review sentiment (VADER) and critic scores.

No offline source carries labelled review text, so sentiment is computed only
over reviews a user supplies (a list of strings per title). Critic scores come
with the comparables (Rotten Tomatoes Tomatometer and Metacritic, 0-100, where
present) and are summarised here. Pure functions with pydantic outputs.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from functools import lru_cache

from pydantic import BaseModel, Field
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SENTIMENT_SOURCE = "VADER 3.3 (vaderSentiment), lexicon and rules, compound score in [-1, 1]"
POSITIVE_THRESHOLD = 0.05
"""VADER's documented cut-offs: compound >= 0.05 is positive, <= -0.05 negative, else neutral."""


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def review_compound(text: str) -> float:
    """VADER compound score of one review, from -1 (most negative) to 1 (most positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


class TitleSentiment(BaseModel):
    """Sentiment of the reviews given for one title."""

    title: str = Field(..., description="The title the reviews are about.")
    reviews: int = Field(..., description="Non-empty reviews scored.")
    mean_compound: float = Field(..., description="Mean VADER compound score, -1 to 1.")
    positive_share: float = Field(..., description="Share of reviews with compound >= 0.05.")
    negative_share: float = Field(..., description="Share of reviews with compound <= -0.05.")
    neutral_share: float = Field(..., description="Share of the rest.")
    label: str = Field(..., description="positive, negative or mixed/neutral, from the mean compound.")


def title_sentiment(title: str, reviews: Sequence[str]) -> TitleSentiment:
    """Score every non-empty review of one title with VADER and summarise."""
    texts = [r for r in reviews if r.strip()]
    if not texts:
        raise ValueError(f"no non-empty reviews given for '{title}'")
    scores = [review_compound(t) for t in texts]
    n = len(scores)
    pos = sum(s >= POSITIVE_THRESHOLD for s in scores) / n
    neg = sum(s <= -POSITIVE_THRESHOLD for s in scores) / n
    mean = statistics.fmean(scores)
    label = "positive" if mean >= POSITIVE_THRESHOLD else "negative" if mean <= -POSITIVE_THRESHOLD else "mixed/neutral"
    return TitleSentiment(
        title=title,
        reviews=n,
        mean_compound=round(mean, 4),
        positive_share=round(pos, 4),
        negative_share=round(neg, 4),
        neutral_share=round(1 - pos - neg, 4),
        label=label,
    )


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


def summarise_scores(values: Sequence[float | None]) -> ScoreSummary:
    """Mean, median and range of the scores that are present."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return ScoreSummary(n=0)
    return ScoreSummary(
        n=len(present),
        mean=round(statistics.fmean(present), 2),
        median=round(statistics.median(present), 2),
        low=min(present),
        high=max(present),
    )


class CriticSummary(BaseModel):
    """Critic scores of the comparables, summarised."""

    comparables: int = Field(..., description="Comparables considered.")
    rotten_tomatoes: ScoreSummary = Field(..., description="Tomatometer across the comparables that have one.")
    metacritic: ScoreSummary = Field(..., description="Metascore across the comparables that have one.")


def summarise_critics(scores: Sequence[CriticScores]) -> CriticSummary:
    """Summarise Rotten Tomatoes and Metacritic scores where present."""
    return CriticSummary(
        comparables=len(scores),
        rotten_tomatoes=summarise_scores([s.rotten_tomatoes for s in scores]),
        metacritic=summarise_scores([s.metacritic for s in scores]),
    )


class ReceptionReport(BaseModel):
    """How the comparables were received: review sentiment and critic scores."""

    sentiment: list[TitleSentiment] = Field(default_factory=list, description="Sentiment per title with reviews given.")
    overall_compound: float | None = Field(None, description="Mean compound over all reviews given; None when there were none.")
    critics: CriticSummary = Field(..., description="Critic scores of the comparables.")
    notes: list[str] = Field(default_factory=list, description="What was missing.")
    source: str = Field(..., description="Where the numbers come from.")


def reception_report(reviews: Mapping[str, Sequence[str]], critics: Sequence[CriticScores]) -> ReceptionReport:
    """Sentiment of any reviews given (per title) and the comparables' critic scores."""
    sentiment = [title_sentiment(title, texts) for title, texts in reviews.items() if any(t.strip() for t in texts)]
    notes = [f"no non-empty reviews for '{t}'" for t, texts in reviews.items() if not any(x.strip() for x in texts)]
    if not reviews:
        notes.append("no review texts given: sentiment not computed")
    summary = summarise_critics(critics)
    if summary.rotten_tomatoes.n == 0 and summary.metacritic.n == 0:
        notes.append("no comparable has a Rotten Tomatoes or Metacritic score")
    total = sum(s.reviews for s in sentiment)
    overall = round(sum(s.mean_compound * s.reviews for s in sentiment) / total, 4) if total else None
    return ReceptionReport(
        sentiment=sentiment,
        overall_compound=overall,
        critics=summary,
        notes=notes,
        source=f"{SENTIMENT_SOURCE}; critic scores as supplied with the comparables",
    )
