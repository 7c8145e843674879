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

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from greenroom.core.analysis import CriticScores, CriticSummary, ReceptionReport, ScoreSummary, TitleSentiment

SENTIMENT_SOURCE = "VADER 3.3 (vaderSentiment), lexicon and rules, compound score from -1 to 1"
POSITIVE_THRESHOLD = 0.05
"""VADER's documented cut-offs: compound >= 0.05 is positive, <= -0.05 negative, else neutral."""


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def review_compound(text: str) -> float:
    """VADER compound score of one review, from -1 (most negative) to 1 (most positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


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


def summarise_critics(scores: Sequence[CriticScores]) -> CriticSummary:
    """Summarise Rotten Tomatoes and Metacritic scores where present."""
    return CriticSummary(
        comparables=len(scores),
        rotten_tomatoes=summarise_scores([s.rotten_tomatoes for s in scores]),
        metacritic=summarise_scores([s.metacritic for s in scores]),
    )


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
