"""Audience segments: sizes add up, names are stable, affinity follows genre taste, genres are checked."""

from __future__ import annotations

import pytest

from greenroom.core.vocabulary import title_key
from greenroom.tools.segments import segment_affinity, segment_genre_count
from greenroom.tools.training import TrainedModels, TrainingConfig, load_or_train

SCI_FI_COMPS = [("The Matrix", 1999), ("Alien", 1979), ("Star Wars: Episode IV - A New Hope", 1977)]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedModels:
    """Train once per session into a shared temporary data folder (other test modules reuse it)."""
    return load_or_train(tmp_path_factory.getbasetemp() / "greenroom-data", config=TrainingConfig.small())


def test_segment_sizes_sum_to_the_user_count(trained: TrainedModels) -> None:
    report = segment_affinity(["drama"], [], trained.segments)
    assert sum(s.users for s in report.segments) == report.total_users == 671
    assert sum(s.share for s in report.segments) == pytest.approx(1.0, abs=1e-3)
    assert 6 <= len(report.segments) <= 8


def test_segment_names_are_distinct_and_name_genres(trained: TrainedModels) -> None:
    names = trained.segments.names
    assert len(set(names)) == len(names)
    assert all(name.endswith(" fans") for name in names)


def _best_segment_with(report_segments: list, genre: str) -> int:
    return min(i for i, s in enumerate(report_segments) if genre in s.top_genres)


def test_sci_fi_brief_ranks_sci_fi_segment_above_romance_segment(trained: TrainedModels) -> None:
    report = segment_affinity(["science fiction", "action"], SCI_FI_COMPS, trained.segments)
    assert _best_segment_with(report.segments, "Sci-Fi") < _best_segment_with(report.segments, "Romance")
    top = report.segments[0]
    assert top.affinity > 1.0 and top.content_lift and top.cf_lift
    assert "Matrix" in top.explanation


def test_romance_brief_reverses_the_order(trained: TrainedModels) -> None:
    report = segment_affinity(["romance"], [("Notting Hill", 1999)], trained.segments)
    assert _best_segment_with(report.segments, "Romance") < _best_segment_with(report.segments, "Sci-Fi")


def test_comparables_match_by_normalised_title_and_year(trained: TrainedModels) -> None:
    report = segment_affinity(["sci-fi"], [*SCI_FI_COMPS, ("A Film Nobody Made", 2031)], trained.segments)
    matched = {m.title: m.movielens_title for m in report.comparables}
    assert matched["The Matrix"] == "Matrix, The"
    assert matched["A Film Nobody Made"] is None
    assert any("A Film Nobody Made" in n for n in report.notes)
    assert title_key("Matrix, The") == title_key("the matrix") == "matrix"


def test_without_comparables_affinity_is_content_only(trained: TrainedModels) -> None:
    report = segment_affinity(["sci-fi"], [], trained.segments)
    assert all(s.cf_lift is None and s.affinity == s.content_lift for s in report.segments)


def test_recommender_beats_popularity(trained: TrainedModels) -> None:
    metrics = trained.segments.metrics
    assert metrics is not None
    assert metrics.hit_rate > metrics.popularity_hit_rate


def test_a_segment_sharing_no_genre_with_the_brief_never_ranks_first(trained: TrainedModels) -> None:
    report = segment_affinity(["horror"], [], trained.segments)
    assert "Horror" in report.segments[0].top_genres
    shares = ["Horror" in s.top_genres for s in report.segments]
    assert shares == sorted(shares, reverse=True), "a segment without horror ranks above one with it"
    outsider = next(s for s in report.segments if "Horror" not in s.top_genres)
    assert "share none of the brief's (Horror)" in outsider.explanation


def test_a_folk_pop_album_gets_no_film_segment(trained: TrainedModels) -> None:
    report = segment_affinity(["folk", "pop"], [], trained.segments)
    assert report.segments == []
    assert any("no audience segment's genres share any of the brief's genres (folk, pop)" in n for n in report.notes)
    assert segment_genre_count() == 3
