"""Release engine: windows inside the brief's dates, competition and calendar rules move the ranking, clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from greenroom.agents.marketer import release_facts
from greenroom.core.brief import BusinessModel, parse_brief
from greenroom.core.market import CompetingRelease
from greenroom.tools.release import (
    RULES_PATH,
    ReleaseInputError,
    business_model_rules,
    business_month_reason,
    load_release_calendar,
    load_release_rules,
    plan_release,
    rank_release_windows,
    recommend_platforms,
    season_evidence,
    seasonality,
)

EARLIEST, LATEST = dt.date(2026, 3, 1), dt.date(2026, 6, 30)


def test_theatrical_windows_open_on_fridays_inside_the_brief_dates() -> None:
    windows, rule, _ = rank_release_windows(EARLIEST, LATEST, ["horror"], "theatrical")
    assert len(windows) == 17
    assert all(w.start.weekday() == 4 and EARLIEST <= w.start <= LATEST for w in windows)
    assert all((w.end - w.start).days + 1 == rule.window_weeks * 7 for w in windows)
    assert [w.rank for w in windows] == list(range(1, 18))
    assert windows[0].score == max(w.score for w in windows)


def test_ranking_moves_away_from_a_window_when_competitors_arrive() -> None:
    before, _, _ = rank_release_windows(EARLIEST, LATEST, ["horror", "thriller"], "subscription")
    target = before[0].start
    rivals = [CompetingRelease(title=f"Rival {i}", date=target, genres=["horror"]) for i in range(3)]
    after, _, _ = rank_release_windows(EARLIEST, LATEST, ["horror", "thriller"], "subscription", rivals)
    moved = next(w for w in after if w.start == target)
    assert after[0].start != target
    assert moved.rank > 1 and moved.competition > 1
    assert "Rival 0" in moved.competing_titles


def test_competitors_of_other_genres_do_not_count() -> None:
    rivals = [CompetingRelease(title="Cartoon", date=dt.date(2026, 3, 6), genres=["animation"])]
    windows, _, _ = rank_release_windows(EARLIEST, LATEST, ["horror"], "theatrical", rivals)
    assert all(w.competition == 0 for w in windows)


def test_seasonality_is_relative_to_average_and_genre_specific() -> None:
    overall, horror = seasonality(), seasonality(["Horror", "not-a-genre"])
    assert sum(overall.month_index) / 12 == pytest.approx(1.0, abs=1e-3)
    assert horror.genres == ["horror"] and horror.unmatched_genres == ["not-a-genre"]
    assert horror.month_index != overall.month_index
    assert "movielens" in overall.source


def test_inverted_window_is_rejected_naming_the_field() -> None:
    with pytest.raises(ReleaseInputError, match=r"^release\.latest: 2026-02-01 is before release\.earliest 2026-03-01"):
        rank_release_windows(EARLIEST, dt.date(2026, 2, 1), ["drama"], "subscription")


@pytest.mark.parametrize(
    ("earliest", "latest", "field"), [(None, LATEST, "release.earliest"), (EARLIEST, None, "release.latest")]
)
def test_empty_window_is_rejected_naming_the_field(earliest: dt.date | None, latest: dt.date | None, field: str) -> None:
    with pytest.raises(ReleaseInputError, match=rf"^{field}: is required"):
        rank_release_windows(earliest, latest, ["drama"], "subscription")


def test_unknown_business_model_is_named() -> None:
    with pytest.raises(ReleaseInputError, match=r"^business_model: 'barter' is not one of"):
        rank_release_windows(EARLIEST, LATEST, ["drama"], "barter")


def test_calendar_loads_and_names_the_bad_row(tmp_path) -> None:
    good = tmp_path / "calendar.csv"
    good.write_text("title,date,genres\nBig Scare,2026-03-13,Horror|Thriller\nLaughs,2026-04-03,comedy;romance\n")
    releases = load_release_calendar(good)
    assert releases[0].genres == ["horror", "thriller"] and releases[1].genres == ["comedy", "romance"]

    bad = tmp_path / "bad.csv"
    bad.write_text("title,date,genres\nBig Scare,2026-03-13,horror\nLaughs,13/03/2026,comedy\n")
    with pytest.raises(ReleaseInputError, match=r"^row 3, date: '13/03/2026' is not a YYYY-MM-DD date"):
        load_release_calendar(bad)

    no_column = tmp_path / "no_column.csv"
    no_column.write_text("title,genres\nBig Scare,horror\n")
    with pytest.raises(ReleaseInputError, match=r"^calendar: .*missing column\(s\) date"):
        load_release_calendar(no_column)


def test_platforms_follow_format_business_model_and_audience() -> None:
    film = recommend_platforms("film", "theatrical")
    assert film[0].platform == "cinemas" and film[0].role == "primary"
    young = recommend_platforms("podcast", "ad_supported", parse_brief(_brief()).audience.model_copy(update={"age_max": 22}))
    assert any(p.platform == "short-form vertical video" for p in young)
    assert young[0].platform == "podcast apps (open RSS)"


def _brief() -> dict:
    return {
        "working_title": "Night Shift",
        "format": "film",
        "logline": "A night nurse realises the hospital's quietest ward is never empty.",
        "genres": ["Horror", "Thriller"],
        "length": {"minutes": 95},
        "budget": {"amount": 2_000_000},
        "business_model": "theatrical",
        "release": {"earliest": "2026-03-01", "latest": "2026-06-30"},
    }


def test_plan_release_from_a_brief() -> None:
    plan = plan_release(parse_brief(_brief()))
    assert plan.windows[0].rank == 1
    assert plan.platforms[0].platform == "cinemas"
    assert any("theatrical" in a for a in plan.assumptions)


# --------------------------------------------------------------------------- calendar rules


def _window(windows: list, start: dt.date):
    return next(w for w in windows if w.start == start)


def test_a_horror_film_opens_before_halloween_not_after() -> None:
    windows, _, _ = rank_release_windows(dt.date(2027, 10, 1), dt.date(2027, 11, 30), ["horror"], "theatrical")
    before, after = _window(windows, dt.date(2027, 10, 29)), _window(windows, dt.date(2027, 11, 12))
    assert before.score > after.score and before.rank < after.rank
    assert before.season_factor > 1.0 == after.season_factor
    assert "Inside the weeks before Halloween" in before.explanation and "movies.db" in before.explanation
    assert "Outside the weeks before Halloween" in after.explanation


def test_family_films_open_before_the_holidays_or_in_the_summer_break() -> None:
    windows, _, _ = rank_release_windows(dt.date(2027, 3, 1), dt.date(2027, 12, 31), ["family", "animation"], "theatrical")
    best = windows[0]
    assert best.season_factor > 1.0
    assert "year-end holidays" in best.explanation or "summer school break" in best.explanation
    october = _window(windows, dt.date(2027, 10, 29))
    assert october.season_factor == 1.0 and october.rank > 10


def test_a_romance_opens_in_the_weeks_before_valentines_day() -> None:
    windows, _, _ = rank_release_windows(dt.date(2027, 1, 1), dt.date(2027, 3, 31), ["romance"], "subscription")
    assert dt.date(2027, 1, 25) <= windows[0].start <= dt.date(2027, 2, 14)
    assert "Valentine" in windows[0].explanation


def test_every_genre_season_is_measured_and_sourced() -> None:
    rules = load_release_rules()
    assert rules.genre_seasons
    for season in rules.genre_seasons:
        assert "movies.db" in season.source
        evidence = season_evidence(season, rules.max_factor)
        assert evidence.films > 100, season.name
        assert evidence.lift > 1.0, f"movies.db does not show {season.name}"
        assert 1.0 < evidence.factor <= rules.max_factor


def _music_brief() -> dict:
    return {
        **_brief(),
        "working_title": "Paper Lanterns",
        "format": "music_release",
        "genres": ["folk", "pop"],
        "length": {"tracks": 10},
        "business_model": "transactional",
        "release": {"earliest": "2027-06-01", "latest": "2027-06-30"},
    }


def test_a_month_reason_is_stated_only_for_launches_in_its_months() -> None:
    june = plan_release(parse_brief(_music_brief()))
    text = " ".join([*release_facts(june, june.windows[0]), *(w.explanation for w in june.windows), *june.assumptions])
    assert "gift" not in text and "November" not in text
    winter, _, _ = rank_release_windows(dt.date(2027, 11, 1), dt.date(2027, 11, 30), ["folk"], "transactional")
    assert all("in November or December: gift buying" in w.explanation for w in winter)
    assert all(w.business_factor == 1.1 for w in winter)


def test_month_reasons_are_generated_from_the_rules_months(tmp_path) -> None:
    data = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    data["business_models"]["transactional"]["seasons"] = [{"months": [6, 7], "factor": 1.2, "reason": "summer sales"}]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    rule = business_model_rules(path)[BusinessModel.TRANSACTIONAL]
    assert business_month_reason(BusinessModel.TRANSACTIONAL, rule, 6) == (
        "A transactional launch in June or July: summer sales (business factor 1.20)."
    )
    assert business_month_reason(BusinessModel.TRANSACTIONAL, rule, 11) == ""
    assert not any(month in rule.note for month in ("January", "June", "November", "December"))
