"""Brief fields from a person's words, with no model: the reader behind the chat page, `greenroom chat` and Slack.

`read_dates` turns natural dates and ranges into a release window:

    "2027-09-01 to 2027-12-15"          -> 2027-09-01 .. 2027-12-15
    "between Sept 1 and Nov 15 2027"    -> 2027-09-01 .. 2027-11-15
    "sometime this fall 2027"           -> 2027-09-01 .. 2027-11-30
    "Q2 2028", "October 2027"           -> the whole quarter or month

`read_audience`, `read_places`, `read_rating` and `read_genres` read the
audience ('adults 18-34 in the US and UK'), territories ('US, GB',
'the United Kingdom'), the rating ceiling ('R rated max', 'no higher than
PG-13') and genres with a suggestion for a typo ('horor' -> Horror). Each
says in plain words what it read loosely or could not read (`Reading.notes`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from greenroom.core.brief import AGE_RATINGS
from greenroom.core.schemas import BriefFields
from greenroom.core.vocabulary import CANONICAL_GENRES, GENRE_SYNONYMS, genre_matches

if TYPE_CHECKING:
    from greenroom.tools.llm import ModelHandle


@dataclass
class Reading:
    """Brief fields by dotted path, and what to tell the person about how they were read."""

    fields: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def update(self, other: Reading) -> None:
        self.fields.update(other.fields)
        self.notes.extend(n for n in other.notes if n not in self.notes)


# --- dates ----------------------------------------------------------------------

_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4})"
_SEASONS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "spring": ((3, 1), (5, 31)),
    "summer": ((6, 1), (8, 31)),
    "fall": ((9, 1), (11, 30)),
    "autumn": ((9, 1), (11, 30)),
    "winter": ((12, 1), (2, 28)),  # runs into the next year; the end day is fixed for leap years below
    "holidays": ((11, 15), (12, 31)),
    "holiday season": ((11, 15), (12, 31)),
}
_PART_OF_SEASON = {"early": (0.0, 1 / 3), "mid": (1 / 3, 2 / 3), "late": (2 / 3, 1.0)}
_DATE_FORMS: list[tuple[str, str]] = [
    ("iso", r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"),
    ("slash", r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"),  # read as day/month outside the US? ambiguous: month/day, as US briefs write
    ("month_day", rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s*{_YEAR}\b)?"),
    ("day_month", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s*{_YEAR}\b)?"),
    ("quarter", rf"\bq([1-4])\s*(?:of\s+)?{_YEAR}\b"),
    (
        "season",
        rf"\b(?:(early|mid|late)[\s-]+)?(holiday season|holidays|spring|summer|fall|autumn|winter)\b(?:\s+(?:of\s+)?{_YEAR}\b)?",
    ),
    ("month_year", rf"\b(?:(early|mid|late)[\s-]+)?{_MONTH}\s+(?:of\s+)?{_YEAR}\b"),
    ("month", rf"\b(?:(early|mid|late)[\s-]+)?{_MONTH}\b"),
]


@dataclass
class _Span:
    start: dt.date
    end: dt.date
    at: int
    year_given: bool


def _month_number(name: str) -> int:
    return next(i for i in range(1, 13) if name.lower().startswith(calendar.month_abbr[i].lower()))


def _part(start: dt.date, end: dt.date, part: str | None) -> tuple[dt.date, dt.date]:
    """'early', 'mid' or 'late' narrows a span to its first, middle or last third."""
    if not part:
        return start, end
    days = (end - start).days
    lo, hi = _PART_OF_SEASON[part.lower()]
    return start + dt.timedelta(days=round(days * lo)), start + dt.timedelta(days=round(days * hi))


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _spans(text: str, default_year: int) -> list[_Span]:
    """Every date expression in the text, in order; a bare day or month takes `default_year` for now."""
    taken: list[tuple[int, int]] = []
    spans: list[_Span] = []
    for kind, pattern in _DATE_FORMS:
        for match in re.finditer(pattern, text, re.I):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            span = _span(kind, match.groups(), default_year)
            if span is None:
                continue
            start, end, year_given = span
            taken.append(match.span())
            spans.append(_Span(start, end, match.start(), year_given))
    return sorted(spans, key=lambda s: s.at)


def _span(kind: str, g: tuple[str | None, ...], year: int) -> tuple[dt.date, dt.date, bool] | None:
    if kind == "iso":
        day = _safe_date(int(g[0] or 0), int(g[1] or 0), int(g[2] or 0))
        return (day, day, True) if day else None
    if kind == "slash":
        day = _safe_date(int(g[2] or 0), int(g[0] or 0), int(g[1] or 0))
        return (day, day, True) if day else None
    if kind in ("month_day", "day_month"):
        month_name, day_text = (g[0], g[1]) if kind == "month_day" else (g[1], g[0])
        day = _safe_date(int(g[2]) if g[2] else year, _month_number(month_name or ""), int(day_text or 0))
        return (day, day, g[2] is not None) if day else None
    if kind == "quarter":
        q, y = int(g[0] or 1), int(g[1] or year)
        last = 3 * q
        return dt.date(y, last - 2, 1), dt.date(y, last, calendar.monthrange(y, last)[1]), True
    if kind == "season":
        y = int(g[2] or year)
        given = g[2] is not None
        (m1, d1), (m2, d2) = _SEASONS[(g[1] or "").lower()]
        end_year = y + 1 if m2 < m1 else y
        end = dt.date(end_year, m2, calendar.monthrange(end_year, m2)[1] if m2 == 2 else d2)
        return (*_part(dt.date(y, m1, d1), end, g[0]), given)
    if kind == "month" and (g[1] or "").lower() == "may":  # the verb, far more often than the month
        return None
    if kind in ("month_year", "month"):
        given = kind == "month_year"
        y, m = (int(g[2] or year) if given else year), _month_number(g[1] or "")
        start, end = dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])
        return (*_part(start, end, g[0]), given)
    return None


def read_dates(text: str, today: dt.date | None = None) -> tuple[dt.date, dt.date] | None:
    """A release window from natural words, or None when the text names no date.

    A day or month without a year takes the year of the next date that has one
    ('Sept 1 and Nov 15 2027'), else of the one before, else the next such
    date from today.
    """
    today = today or dt.date.today()
    spans = _spans(text, today.year)
    if not spans:
        return None
    years = [s.start.year if s.year_given else None for s in spans]
    first_guessed = not spans[0].year_given
    for i, span in enumerate(spans):
        if span.year_given:
            continue
        later = next((y for y in years[i + 1 :] if y is not None), None)
        earlier = next((y for y in reversed(years[:i]) if y is not None), None)
        year = later or earlier
        if year is None:  # no year anywhere: the next such date from today
            year = today.year if span.end >= today else today.year + 1
        shift = year - span.start.year  # a winter keeps its end in the following year
        spans[i] = _Span(_with_year(span.start, year), _with_year(span.end, span.end.year + shift), span.at, True)
    start, end = spans[0].start, spans[-1].end
    if len(spans) > 1 and end < start and first_guessed:  # 'Nov 15 to Jan 10 2028': the first date is a year before
        start = _with_year(start, start.year - 1)
    return start, end


def _with_year(day: dt.date, year: int) -> dt.date:
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


# --- places, audience, rating ---------------------------------------------------------

_PLACES: dict[str, str] = {
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US", "america": "US", "the states": "US",
    "uk": "GB", "u.k.": "GB", "gb": "GB", "united kingdom": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "canada": "CA", "ca": "CA", "germany": "DE", "de": "DE", "france": "FR", "fr": "FR", "spain": "ES", "es": "ES",
    "italy": "IT", "it": "IT", "japan": "JP", "jp": "JP", "brazil": "BR", "br": "BR", "mexico": "MX", "mx": "MX",
    "india": "IN", "in": "IN", "australia": "AU", "au": "AU", "ireland": "IE", "ie": "IE", "netherlands": "NL",
    "nl": "NL", "belgium": "BE", "be": "BE", "portugal": "PT", "pt": "PT", "sweden": "SE", "se": "SE", "norway": "NO",
    "denmark": "DK", "dk": "DK", "finland": "FI", "fi": "FI", "korea": "KR", "south korea": "KR", "kr": "KR",
    "china": "CN", "cn": "CN", "nigeria": "NG", "ng": "NG", "south africa": "ZA", "za": "ZA", "new zealand": "NZ",
    "nz": "NZ", "argentina": "AR", "ar": "AR", "poland": "PL", "pl": "PL", "austria": "AT", "at": "AT",
    "switzerland": "CH", "ch": "CH", "europe": "Europe", "latin america": "Latin America", "asia": "Asia",
    "africa": "Africa", "worldwide": "Worldwide", "global": "Worldwide", "north america": "North America",
}  # fmt: skip
"""Place names and ISO 3166 codes a person may write, and the name the brief keeps."""
_LIST_SPLIT = r"\s*(?:,|;|/|&|\band\b|\bplus\b)\s*"


def read_places(text: str) -> list[str] | None:
    """'the US and UK' -> ['US', 'GB']; None unless every item names a known place."""
    items = [re.sub(r"^(?:the|in|only)\s+", "", item.strip(" .!"), flags=re.I) for item in re.split(_LIST_SPLIT, text)]
    items = [item for item in items if item]
    places = [_PLACES.get(item.lower()) for item in items]
    if not items or any(p is None for p in places):
        return None
    return list(dict.fromkeys(p for p in places if p))


_AGES = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:-|–|to|through|and)\s*(\d{1,3})(?![\d.])", re.I)
_AGE_CUE = re.compile(r"\b(?:ages?d?|adults|audience|viewers|listeners|players|readers|people|year[\s-]?olds|yo|kids)\b", re.I)
_PLUS = re.compile(r"(?<![\d.])(\d{1,2})\s*\+|\b(?:over|above|older than)\s+(\d{1,2})\b", re.I)


def read_audience(text: str, *, asked: bool = False) -> dict[str, Any]:
    """Ages and regions of the audience: 'adults 18-34 in the US and UK', 'audience: ages 18 to 34, regions US and UK'."""
    found: dict[str, Any] = {}
    cued = asked or _AGE_CUE.search(text) is not None
    if cued and (ages := _AGES.search(text)):
        low, high = sorted(int(a) for a in ages.groups())
        found.update({"audience.age_min": low, "audience.age_max": high})
    elif cued and (plus := _PLUS.search(text)):
        found["audience.age_min"] = int(plus.group(1) or plus.group(2))
    regions = re.search(r"\bregions?\s*(?::|=|\bare\b|\bis\b)?\s*([^.;\n]+)", text, re.I)
    where = re.search(r"\b(?:in|from|across)\s+((?:the\s+)?[A-Za-z. ]+(?:(?:,|\band\b|&)\s*[A-Za-z. ]+)*)", text)
    spoken = regions.group(1) if regions else (where.group(1) if cued and where else None)
    if spoken and (places := read_places(spoken)) is not None:
        found["audience.regions"] = places
    if interests := re.search(r"\b(?:interests?|who (?:love|like|enjoy)|fans of)\s*:?\s*([^.;\n]+)", text, re.I):
        items = [i.strip(" .!") for i in re.split(_LIST_SPLIT, interests.group(1)) if i.strip(" .!")]
        if items:
            found["audience.interests"] = items
    return found


_RATING = r"(nc-?17|pg-?13|pg|g|r)"


def read_rating(text: str, *, asked: bool = False) -> str | None:
    """The rating ceiling: 'R rated max', 'rated PG-13 at most', 'no higher than PG', 'rating ceiling: PG-13'."""
    patterns = [
        rf"\b{_RATING}[\s-]*rat(?:ed|ing)\b",
        rf"\brat(?:ed|ing)(?:\s+ceiling)?\s*(?::|=|\bis\b|\bof\b)?\s*{_RATING}(?![\w-])",
        rf"\b(?:no higher than|at most|max(?:imum)?|up to|ceiling)\s*(?:rating\s*)?(?::\s*)?{_RATING}(?![\w-])",
    ]
    if asked:
        patterns.append(rf"^\s*{_RATING}(?![\w-])")
    for pattern in patterns:
        if match := re.search(pattern, text, re.I):
            code = match.group(1).upper()
            code = {"PG13": "PG-13", "NC17": "NC-17"}.get(code, code)
            return code if code in AGE_RATINGS else None
    return None


# --- genres ----------------------------------------------------------------------

_KNOWN_GENRES: dict[str, str] = {g.lower(): g for g in CANONICAL_GENRES} | {k: k for k in GENRE_SYNONYMS}


def read_genres(text: str) -> Reading:
    """Genres from a list; a typo close to a known genre is read as it, and said ('I read “horor” as horror')."""
    reading = Reading()
    genres: list[str] = []
    for raw in re.split(r",|/|;|\band\b|&", text):
        genre = raw.strip(" .!\"'")
        if not genre:
            continue
        if not genre_matches(genre):
            close = difflib.get_close_matches(genre.lower(), list(_KNOWN_GENRES), n=1, cutoff=0.75)
            if close:
                reading.notes.append(f"I read “{genre}” as {_KNOWN_GENRES[close[0]].lower()}; say 'genres: …' to change it.")
                genre = _KNOWN_GENRES[close[0]]
            else:
                reading.notes.append(
                    f"“{genre}” is not a genre I know, so the forecasts will not use it (known ones include "
                    "thriller, comedy, documentary, sci-fi, family)."
                )
        genres.append(genre)
    if genres:
        reading.fields["genres"] = genres
    return reading


# --- with a model -----------------------------------------------------------------

MODEL_READ_MAX_TOKENS = 400


def read_with_model(handle: ModelHandle, text: str, draft: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """The brief fields a message states, read by a model into `BriefFields` (validated); {} when it cannot answer.

    The chat uses it beside the rules when the model is able (a hosted one): the rules' reading
    wins where both read a field, and a model that fails or is unreachable leaves the rules alone.
    """
    import json

    from langchain_core.messages import HumanMessage

    from greenroom.prompts import render
    from greenroom.tools.llm import ModelUnavailableError, provider_errors
    from greenroom.tools.structured import StructuredOutputError, generate

    prompt = render("chat/read.j2", draft=json.dumps(draft, ensure_ascii=False), message=text,
                    today=(today or dt.date.today()).isoformat())  # fmt: skip
    unanswered: tuple[type[BaseException], ...] = (StructuredOutputError, ModelUnavailableError, *provider_errors())
    try:
        fields, _ = generate(handle, [HumanMessage(prompt)], BriefFields, agent="chat", max_tokens=MODEL_READ_MAX_TOKENS)
    except unanswered:
        return {}
    return fields.dotted()
