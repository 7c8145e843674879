"""Reception: review sentiment and critic score summaries."""

from __future__ import annotations

import pytest

from greenroom.core.analysis import CriticScores
from greenroom.tools.reception import reception_report, summarise_critics, title_sentiment

PRAISE = [
    "A thrilling, beautiful film. I loved every minute of it.",
    "Brilliant performances and a wonderful, moving story.",
]
PANS = [
    "Boring, ugly and painfully stupid. A terrible waste of time.",
    "The worst film of the year; awful dialogue and a dreadful ending.",
]


def test_positive_reviews_score_above_negative_ones() -> None:
    good = title_sentiment("Good", PRAISE)
    bad = title_sentiment("Bad", PANS)
    assert good.label == "positive" and good.positive_share == 1.0
    assert bad.label == "negative" and bad.negative_share == 1.0
    assert good.mean_compound > 0.5 > -0.5 > bad.mean_compound


def test_no_reviews_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no non-empty reviews"):
        title_sentiment("Silent", ["   "])


def test_critic_scores_summarised_where_present() -> None:
    summary = summarise_critics(
        [
            CriticScores(title="A", rotten_tomatoes=90, metacritic=80),
            CriticScores(title="B", rotten_tomatoes=70),
            CriticScores(title="C", rotten_tomatoes=20, metacritic=None),
        ]
    )
    assert summary.rotten_tomatoes.n == 3
    assert summary.rotten_tomatoes.mean == pytest.approx(60)
    assert summary.rotten_tomatoes.median == 70
    assert summary.metacritic.n == 1 and summary.metacritic.mean == 80


def test_report_combines_sentiment_and_critics_and_says_what_is_missing() -> None:
    report = reception_report({"Good": PRAISE, "Bad": PANS, "Empty": []}, [CriticScores(title="X")])
    assert [s.title for s in report.sentiment] == ["Good", "Bad"]
    assert report.overall_compound is not None and -0.5 < report.overall_compound < 0.5
    assert any("Empty" in n for n in report.notes)
    assert any("no comparable has" in n for n in report.notes)
    assert report.critics.rotten_tomatoes.mean is None
