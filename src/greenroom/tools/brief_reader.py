"""Brief fields from a person's words, with no model: the reader behind the chat page, `greenroom chat` and Slack.

`read_message` reads every field a message states, whatever question was open:

    "budget is around two and a half million"         -> budget.amount = 2500000
    "early spring 2028, but not before March 10"     -> release 2028-03-10 .. 2028-03-31
    "territories Canada, Australia and New Zealand"  -> territories = [CA, AU, NZ]
    "an hour and 40 minutes"                         -> length.minutes = 100
    "keep it PG", "please avoid anything about drug use or graphic violence"

The open question only decides what a message that names no field means ("95" to "how long is
it?"); a value that does not read as the field asked is never stored there, and what fits no
field comes back in `Reading.unread`. Each field keeps the words it was read from
(`Reading.sources`), so the chat can confirm it: 'Budget: $2.5M (from “around two and a half million”)'.

Maintained parsers do the reading where they exist: numbers in words by text2num
(`alpha2digit`), calendar dates by dateparser, countries by pycountry. What no package reads
(seasons and quarters, "not before", ratings, which field a phrase belongs to) is ours, and says why.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dateparser
import pycountry
from text_to_num import alpha2digit, text2num

from greenroom.core.brief import AGE_RATINGS, PRIMARY_LENGTH_UNIT, Format
from greenroom.core.schemas import BriefFields
from greenroom.core.vocabulary import CANONICAL_GENRES, GENRE_SYNONYMS, genre_matches

if TYPE_CHECKING:
    from greenroom.models.llm import ModelHandle


@dataclass
class Reading:
    """Brief fields by dotted path, the words each was read from, and what to tell the person."""

    fields: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    """The words a field was read from, by dotted path."""
    unread: list[str] = field(default_factory=list)
    """Parts of the message that fit no field."""

    def update(self, other: Reading) -> None:
        self.fields.update(other.fields)
        self.sources.update(other.sources)
        self.notes.extend(n for n in other.notes if n not in self.notes)

    def put(self, dotted: str, value: Any, source: str) -> None:
        """Set one field and remember the words it came from."""
        self.fields[dotted] = value
        self.sources[dotted] = source.strip(" ,.;:!?")


# --- numbers in words --------------------------------------------------------------------------

_SCALES = {"k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "mil": 1e6, "mill": 1e6, "million": 1e6, "mn": 1e6,
           "bn": 1e9, "billion": 1e9}  # fmt: skip
_SCALE = r"(k|thousand|grand|m|mil|mill|million|mn|bn|billion)\b"
_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]  # fmt: skip


def numerals(text: str) -> str:
    """Numbers in words as digits: 'two and a half million' -> '2.5 million', 'an hour and forty minutes' -> '1 hour and 40 minutes'.

    text2num's `alpha2digit` converts the whole numbers; it leaves fractions ('and a half'), 'a'/'an'
    before a unit and the small numbers it finds ambiguous on their own ('two', 'eight-part'), which
    are done here around it.
    """
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)  # 1,500,000 needs two passes
    text = re.sub(r"\b(?:a|one) hundred\b", "one hundred", text, flags=re.I)
    text = re.sub(r"\bhalf an hour\b", "30 minutes", text, flags=re.I)
    text = re.sub(r"\b(?:an|one) hour and a half\b", "1.5 hours", text, flags=re.I)
    text = re.sub(r"\bhalf a (million|thousand|billion)\b", r"0.5 \1", text, flags=re.I)
    text = re.sub(r"\ba (million|thousand|billion) and a half\b", r"1.5 \1", text, flags=re.I)
    text = re.sub(r"\b(?:a |one )?quarter of an? (million|thousand|billion)\b", r"0.25 \1", text, flags=re.I)
    text = re.sub(r"\bthree quarters of an? (million|thousand|billion)\b", r"0.75 \1", text, flags=re.I)
    text = re.sub(r"(?<!\bof )\b(?:an?|one) (hour|million|thousand|billion|dozen)\b", r"1 \1", text, flags=re.I)

    def halves(match: re.Match[str]) -> str:
        whole = _word_number(match.group(1))
        return f"{whole + 0.5:g} {match.group(2)}" if whole is not None else match.group(0)

    text = re.sub(r"\b([\w.-]+) and a half (million|thousand|billion|hours?|minutes?)\b", halves, text, flags=re.I)
    converted = alpha2digit(text, "en")
    converted = re.sub(r"\b(" + "|".join(_SMALL) + r")(?=[\s-]+(?:part|episodes?|tracks?|songs?|hours?|minutes?|mins?|seasons?)\b)",
                       lambda m: str(_SMALL.index(m.group(1).lower())), converted, flags=re.I)  # fmt: skip
    return re.sub(r"(\d+(?:\.\d+)?) (1000000000|1000000|1000)\b", lambda m: _scaled(m.group(1), m.group(2)), converted)


def _scaled(number: str, scale: str) -> str:
    """alpha2digit turns '1.5 million' into '1.5 1000000': put the two back together as one number."""
    value = float(number) * int(scale)
    return str(int(value)) if value.is_integer() else str(value)


def _word_number(word: str) -> float | None:
    try:
        return float(word)
    except ValueError:
        pass
    try:
        return float(text2num(word.lower().replace("-", " "), "en"))
    except ValueError:
        return None


# --- dates ----------------------------------------------------------------------------------------

_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(20\d\d)"
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
# dateparser reads one calendar date well, but knows no seasons, quarters, halves or 'early/late', reads
# no ranges, and its search_dates finds dates in words that are none ('may', '2M', a bare '10'): the
# spans are found here, and each day date inside one is read by dateparser.
_DATE_FORMS: list[tuple[str, str]] = [
    ("iso", r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"),
    ("slash", r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"),  # month/day/year, as US briefs write it
    ("month_day", rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s*{_YEAR}\b)?"),
    ("day_month", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s*{_YEAR}\b)?"),
    ("quarter", rf"\bq([1-4])\s*(?:of\s+)?{_YEAR}\b"),
    ("half", rf"\b(first|second|1st|2nd)\s+half\s+of\s+{_YEAR}\b"),
    ("year_end", rf"\bend\s+of\s+{_YEAR}\b"),
    (
        "season",
        rf"\b(?:(early|mid|late)[\s-]+)?(holiday season|holidays|spring|summer|fall|autumn|winter)\b(?:\s+(?:of\s+)?{_YEAR}\b)?",
    ),
    ("month_year", rf"\b(?:(early|mid|late)[\s-]+)?{_MONTH}\s+(?:of\s+)?{_YEAR}\b"),
    ("part_year", rf"\b(early|mid|late)[\s-]+{_YEAR}\b"),
    ("year", rf"\b(?:in|during|throughout|of)\s+{_YEAR}\b"),
    ("month", rf"\b(?:(early|mid|late)[\s-]+)?{_MONTH}\b"),
]
_UNCUED = frozenset({"season", "month", "year", "part_year"})
"""Forms that are a date only where the message is about the release: 'summer', 'June', 'in 2031' (a season with
its year, 'spring 2028', is one anywhere)."""
_EARLIEST = re.compile(r"\b(?:not before|no earlier than|not earlier than|at the earliest|starting|from)\s*$", re.I)
_LATEST = re.compile(r"\b(?:no later than|not later than|by|before|until|at the latest)\s*(?:the\s+)?$", re.I)


@dataclass
class _Span:
    start: dt.date
    end: dt.date
    at: int
    year_given: bool
    bound: str = ""
    """'earliest' or 'latest' when the words around it make it one end only ('not before March 10')."""
    kind: str = ""


def _month_number(name: str) -> int:
    return next(i for i in range(1, 13) if name.lower().startswith(calendar.month_abbr[i].lower()))


def _part(start: dt.date, end: dt.date, part: str | None) -> tuple[dt.date, dt.date]:
    """'early', 'mid' or 'late' narrows a span to its first, middle or last third."""
    if not part:
        return start, end
    days = (end - start).days
    lo, hi = _PART_OF_SEASON[part.lower()]
    return start + dt.timedelta(days=round(days * lo)), start + dt.timedelta(days=round(days * hi))


def _day(text: str, year: int) -> dt.date | None:
    """One calendar date read by dateparser ('Sept 1', '30th of June', '12/01/2027'), in `year` when it names none."""
    base = dt.datetime(year, 1, 1)
    found = dateparser.parse(text, languages=["en"], settings={"DATE_ORDER": "MDY", "RELATIVE_BASE": base,
                                                               "PREFER_DATES_FROM": "current_period"})  # fmt: skip
    return found.date() if found else None


def _spans(text: str, default_year: int, cued: bool) -> list[_Span]:
    """Every date expression in the text, in order; a bare day or month takes `default_year` for now."""
    taken: list[tuple[int, int]] = []
    spans: list[_Span] = []
    for kind, pattern in _DATE_FORMS:
        for match in re.finditer(pattern, text, re.I):
            if kind in _UNCUED and not cued and not (kind == "season" and match.group(3)):
                continue
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            span = _span(kind, match, default_year)
            if span is None:
                continue
            start, end, year_given = span
            taken.append(match.span())
            before = text[: match.start()]
            bound = "earliest" if _EARLIEST.search(before) else "latest" if _LATEST.search(before) else ""
            if kind == "year_end" or re.match(r"\s*at the latest", text[match.end() :], re.I):
                bound = "latest"
            spans.append(_Span(start, end, match.start(), year_given, bound, kind))
    return sorted(spans, key=lambda s: s.at)


def _span(kind: str, match: re.Match[str], year: int) -> tuple[dt.date, dt.date, bool] | None:
    g = match.groups()
    if kind in ("iso", "slash", "month_day", "day_month"):
        given = kind in ("iso", "slash") or g[2] is not None
        day = _day(match.group(0), year)
        if day is None:
            return None
        return day, day, given
    if kind == "quarter":
        q, y = int(g[0] or 1), int(g[1] or year)
        last = 3 * q
        return dt.date(y, last - 2, 1), dt.date(y, last, calendar.monthrange(y, last)[1]), True
    if kind == "half":
        y = int(g[1] or year)
        first = (g[0] or "").lower() in ("first", "1st")
        return (dt.date(y, 1, 1), dt.date(y, 6, 30), True) if first else (dt.date(y, 7, 1), dt.date(y, 12, 31), True)
    if kind == "year_end":
        y = int(g[0] or year)
        return dt.date(y, 12, 31), dt.date(y, 12, 31), True
    if kind in ("year", "part_year"):
        y = int(g[-1] or year)
        return (*_part(dt.date(y, 1, 1), dt.date(y, 12, 31), g[0] if kind == "part_year" else None), True)
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


def read_window(text: str, today: dt.date | None = None, *, cued: bool = True) -> dict[str, dt.date]:
    """The release window's ends a text states: {'earliest': …, 'latest': …}, either alone, or {}.

    A day or month without a year takes the year of the next date that has one
    ('Sept 1 and Nov 15 2027'), else of the one before, else the next such date from
    today. 'not before X' and 'no later than X' give one end; with a season beside
    them they narrow it ('early spring 2028, but not before March 10').
    `cued`: the text is about the release, so 'summer' or 'June' with no year is a date too.
    """
    today = today or dt.date.today()
    spans = _spans(text, today.year, cued)
    if not spans:
        return {}
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
        spans[i] = _Span(_with_year(span.start, year), _with_year(span.end, span.end.year + shift), span.at, True,
                         span.bound, span.kind)  # fmt: skip
    window = [s for s in spans if not s.bound]
    found: dict[str, dt.date] = {}
    if window:
        start, end = window[0].start, window[-1].end
        if len(window) > 1 and end < start and first_guessed:  # 'Nov 15 to Jan 10 2028': the first date is a year before
            start = _with_year(start, start.year - 1)
        found = {"earliest": start, "latest": end}
    for span in spans:
        if span.bound == "earliest":
            found["earliest"] = max(span.start, found["earliest"]) if "earliest" in found and window else span.start
        elif span.bound == "latest":
            found["latest"] = min(span.end, found["latest"]) if "latest" in found and window else span.end
    return found


def read_dates(text: str, today: dt.date | None = None) -> tuple[dt.date, dt.date] | None:
    """A whole release window from natural words, or None when the text does not give both ends."""
    window = read_window(text, today)
    return (window["earliest"], window["latest"]) if {"earliest", "latest"} <= set(window) else None


def _with_year(day: dt.date, year: int) -> dt.date:
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


# --- places ---------------------------------------------------------------------------------------

_PLACE_ALIASES: dict[str, str] = {
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "u.s": "US", "america": "US", "the states": "US", "states": "US",
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "holland": "NL", "aotearoa": "NZ", "deutschland": "DE", "korea": "KR", "south korea": "KR", "russia": "RU",
    "turkey": "TR", "czech republic": "CZ", "ivory coast": "CI", "uae": "AE", "emirates": "AE",
}  # fmt: skip
"""Names people use that pycountry does not know (colloquial, native or former names)."""
_REGIONS = {"europe": "Europe", "latin america": "Latin America", "asia": "Asia", "africa": "Africa",
            "worldwide": "Worldwide", "global": "Worldwide", "north america": "North America", "nordics": "Nordics",
            "scandinavia": "Scandinavia", "the middle east": "Middle East", "middle east": "Middle East"}  # fmt: skip
"""Regions wider than a country, kept as words."""
_PLACE_SPLIT = r"\s*(?:,|;|/|&|\band\b|\bplus\b|\bor\b|\bas well as\b)\s*"


def place(name: str) -> str | None:
    """One place as the brief keeps it: an ISO 3166 alpha-2 code ('the UK' -> 'GB', 'New Zealand' -> 'NZ') or a region."""
    clean = re.sub(r"^(?:(?:the|in|only|also|just)\s+)+|\s+(?:only|too|first)$", "", name.strip(" .!\"'"), flags=re.I).strip()
    key = clean.lower()
    if not key:
        return None
    if key in _PLACE_ALIASES or f"the {key}" in _PLACE_ALIASES:
        return _PLACE_ALIASES.get(key) or _PLACE_ALIASES[f"the {key}"]
    if key in _REGIONS:
        return _REGIONS[key]
    if len(clean) <= 3 and not clean.isupper():  # 'in', 'it', 'no' are words; codes are written in capitals
        return None
    try:
        return str(pycountry.countries.lookup(clean).alpha_2)
    except LookupError:
        return None


def read_places(text: str) -> list[str] | None:
    """'the US and UK' -> ['US', 'GB']; None unless every item names a known place."""
    items = [item for item in re.split(_PLACE_SPLIT, text.strip(" .!")) if item.strip()]
    places = [place(item) for item in items]
    if not items or any(p is None for p in places):
        return None
    return list(dict.fromkeys(p for p in places if p))


def _places_ahead(text: str) -> tuple[list[str], str]:
    """The places a text starts with, up to the first thing that is not one: 'the UK and Ireland in spring' -> [GB, IE]."""
    places: list[str] = []
    used = ""
    for match in re.finditer(rf"(.+?)(?:{_PLACE_SPLIT}|\s+(?:in|from|by|during|for|on|at|with|until|before|after)\s+|$)", text):
        found = place(match.group(1))
        if found is None:
            break
        places.append(found)
        used = text[: match.end(1)]
    return list(dict.fromkeys(places)), used


# --- audience, rating -----------------------------------------------------------------------------

_AGES = re.compile(r"(?<![\d.$€£/-])(\d{1,2})\s*(?:-|–|to|through|and)\s*(\d{1,2})(?![\d.%/-])", re.I)
_AGE_CUE = re.compile(
    r"\b(?:ages?d?|adults?|audience|viewers|listeners|players|readers|people|year[\s-]?olds|yo|kids|children|teens|"
    r"teenagers|women|men|girls|boys|parents|families|aimed at)\b", re.I)  # fmt: skip
_PLUS = re.compile(r"(?<![\d.])(\d{1,2})\s*\+|\b(?:over|above|older than)\s+(\d{1,2})\b", re.I)
_WHO = re.compile(r"\b(?:(?:women|men|viewers|listeners|players|readers|people|fans|adults|kids|teens|anyone|those|audience|"
                  r"olds|\d{1,2})"
                  r"\s+who\s+(?:love|like|enjoy|are into)|fans\s+of|(?:audience\s+)?interests?\s*(?::|are|is)?)\s+([^.;\n]+)",
                  re.I)  # fmt: skip
_PEOPLE = ("women", "men", "girls", "boys", "parents", "families", "mothers", "fathers", "students")


def read_audience(text: str, *, asked: bool = False) -> Reading:
    """Ages, regions and interests of the audience: 'adults 18-34 in the US and UK', 'people who love cooking'."""
    reading = Reading()
    text = numerals(text)
    cued = asked or _AGE_CUE.search(text) is not None
    if cued and (ages := _AGES.search(text)):
        low, high = sorted(int(a) for a in ages.groups())
        reading.put("audience.age_min", low, ages.group(0))
        reading.put("audience.age_max", high, ages.group(0))
    elif cued and (plus := _PLUS.search(text)):
        reading.put("audience.age_min", int(plus.group(1) or plus.group(2)), plus.group(0))
    regions = re.search(r"\bregions?\s*(?::|=|\bare\b|\bis\b)?\s*([^.;\n]+)", text, re.I)
    where = re.search(r"\b(?:audience|viewers|listeners|players|readers|adults|people|fans)\b[^.;\n]*?\b(?:in|from|across)\s+([^.;\n]+)",
                      text, re.I)  # fmt: skip
    spoken = regions.group(1) if regions else where.group(1) if where else None
    if spoken and (places := _places_ahead(spoken))[0]:
        reading.put("audience.regions", places[0], places[1])
    if interests := _WHO.search(text):
        phrase = re.split(r"\s+(?:in|from)\s+(?:the\s+)?[A-Z]", interests.group(1))[0]
        items = [i.strip(" .!") for i in re.split(r",|;|/|&|\band\b", phrase) if i.strip(" .!")]
        if items:
            reading.put("audience.interests", items, interests.group(0))
    if "audience.age_min" in reading.fields and (who := [p for p in _PEOPLE if re.search(rf"\b{p}\b", text, re.I)]):
        reading.notes.append(f"The brief keeps the audience's ages, regions and interests, not who they are, so “{who[0]}” "
                             "is not kept; say 'interests: …' to add what they share.")  # fmt: skip
    return reading


_RATING = r"(nc-?17|pg-?13|pg|g|r)"
_RATING_FORMS = [
    rf"\b{_RATING}[\s-]*rat(?:ed|ing)\b",
    rf"\brat(?:ed|ing)(?:\s+ceiling)?\s*(?::|=|\bis\b|\bof\b)?\s*{_RATING}(?![\w-])",
    rf"\b(?:no higher than|at most|max(?:imum)?|up to|ceiling|nothing above|not above|nothing over)\s*(?:rating\s*)?(?::\s*)?(?:an?\s+)?{_RATING}(?![\w-])",
    rf"\b(?:keep|kept|stay|stays|staying|keeping)\s+(?:it\s+)?(?:at\s+)?(?:an?\s+)?(?:rated\s+)?{_RATING}(?![\w-])",
    rf"(?<![\w-]){_RATING}\s+(?:max(?:imum)?|tops|at most|at the most|is fine|is ok|is okay|is the limit|ceiling)\b",
]
"""Ways a producer caps the rating. No package reads MPAA ratings from prose, so the forms are ours."""
_RATING_WORDS = {r"family[\s-]friendly|for the whole family|for families": "PG",
                 r"(?:suitable\s+)?for all ages|all[\s-]ages|for everyone": "G"}  # fmt: skip


def read_rating(text: str, *, asked: bool = False) -> str | None:
    """The rating ceiling: 'R rated max', 'keep it PG', 'no higher than PG-13', 'family friendly' (PG)."""
    found = _rating(text, asked=asked)
    return found[0] if found else None


def _rating(text: str, *, asked: bool = False) -> tuple[str, str] | None:
    forms = [*_RATING_FORMS, rf"^\s*(?:rated\s+)?{_RATING}\s*[.!]?\s*$"] if asked else _RATING_FORMS
    for pattern in forms:
        if match := re.search(pattern, text, re.I):
            code = match.group(1).upper().replace("PG13", "PG-13").replace("NC17", "NC-17")
            if code in ("G", "R") and match.group(1).islower() and not re.search(r"\brat(ed|ing)\b", match.group(0), re.I):
                continue  # a lone 'g' or 'r' in lower case is a letter, not a rating
            if code in AGE_RATINGS:
                return code, match.group(0)
    for pattern, code in _RATING_WORDS.items():
        if match := re.search(rf"\b(?:{pattern})\b", text, re.I):
            return code, match.group(0)
    return None


# --- genres ---------------------------------------------------------------------------------------

_KNOWN_GENRES: dict[str, str] = {g.lower(): g.lower() for g in CANONICAL_GENRES} | {k: k for k in GENRE_SYNONYMS}
_GENRE_WORD = "|".join(sorted((re.escape(g).replace(r"\ ", r"[\s-]") for g in _KNOWN_GENRES), key=len, reverse=True))
_GENRE_RE = re.compile(rf"(?<![\w-])({_GENRE_WORD})s?(?![\w-])", re.I)


def _genre_name(word: str) -> str:
    """A genre as the brief keeps it: the shared genre it stands for where there is one ('sci fi' -> 'sci-fi')."""
    key = re.sub(r"[\s-]+", " ", word.lower())
    matches = genre_matches(key) or genre_matches(key.replace(" ", "-"))
    return matches[0].lower() if len(matches) == 1 else key


def read_genres(text: str, *, loose: bool = True) -> Reading:
    """Genres named in a text, in order; with `loose`, a typo close to a known genre is read as it, and said."""
    reading = Reading()
    genres: list[str] = []
    for raw in re.split(r",|/|;|\band\b|&|\bwith\b|\bplus\b", text):
        known = [_genre_name(m.group(1)) for m in _GENRE_RE.finditer(raw)]
        genres += known
        word = re.sub(r"^(?:mostly|mainly|some|a bit of|a|an|it's|it is|and)\s+", "", raw.strip(" .!\"'").lower())
        if known or not loose or not word or len(word.split()) > 2:
            continue
        close = difflib.get_close_matches(word, list(_KNOWN_GENRES), n=1, cutoff=0.75)
        if close:
            reading.notes.append(f"I read “{word}” as {_genre_name(close[0])}; say 'genres: …' to change it.")
            genres.append(_genre_name(close[0]))
        elif len(word.split()) == 1:
            reading.notes.append(f"“{word}” is not a genre I know (known ones include thriller, comedy, documentary, "
                                 "sci-fi, family).")  # fmt: skip
    if genres:
        reading.put("genres", list(dict.fromkeys(genres)), text)
    return reading


# --- formats, business models, lengths, money ---------------------------------------------------------

FORMAT_WORDS: dict[str, Format] = {
    "feature film": Format.FILM, "feature": Format.FILM, "film": Format.FILM, "movie": Format.FILM,
    "documentary film": Format.FILM, "tv series": Format.SERIES, "series": Format.SERIES, "tv show": Format.SERIES,
    "show": Format.SERIES, "miniseries": Format.SERIES, "podcast": Format.PODCAST, "music release": Format.MUSIC_RELEASE,
    "album": Format.MUSIC_RELEASE, "ep": Format.MUSIC_RELEASE, "single": Format.MUSIC_RELEASE,
    "video game": Format.GAME, "game": Format.GAME, "short video": Format.SHORT_VIDEO, "short": Format.SHORT_VIDEO,
    "article": Format.ARTICLE, "essay": Format.ARTICLE,
}  # fmt: skip
_FORMAT_WORD = "|".join(sorted((re.escape(k).replace(r"\ ", r"[\s-]+") for k in FORMAT_WORDS), key=len, reverse=True))
BUSINESS_WORDS: dict[str, str] = {
    r"subscriptions?|svod|subscriber[s-]? only|(?:our |a )?streaming subscription": "subscription",
    r"ad[\s-]supported|avod|free with ads|with ads|advertising[\s-]funded|ad[\s-]funded": "ad_supported",
    r"transactional|tvod|pay[\s-]per[\s-]view|rent(?:al)?(?: or buy)?|digital purchase|to buy|premium vod|pvod": "transactional",
    r"theatrical(?:ly)?|in (?:cinemas|theaters|theatres)|cinemas? (?:first|only|release)|box office": "theatrical",
    r"free to (?:watch|listen|stream|play|read)|free(?:,)? no ads|ad[\s-]free and free": "free",
}
"""Ways to say how a title earns money (no package names business models; these are the trade's words)."""
_UNIT_WORDS = {"minute": "minutes", "min": "minutes", "mins": "minutes", "episode": "episodes", "part": "episodes",
               "track": "tracks", "song": "tracks", "hour": "hours", "hr": "hours", "h": "hours", "word": "words"}  # fmt: skip
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_CURRENCY_WORDS = {r"australian dollars?|aussie dollars?": "AUD", r"canadian dollars?": "CAD", r"new zealand dollars?": "NZD",
                   r"dollars?|bucks": "USD", r"euros?": "EUR", r"pounds?(?: sterling)?|quid": "GBP", r"yen": "JPY",
                   r"rupees?": "INR", r"francs?": "CHF"}  # fmt: skip
_CURRENCY_CODES = frozenset(c.alpha_3 for c in pycountry.currencies)
_MONEY = re.compile(
    rf"([$€£¥₹])?\s*((?<!\w)-?\d+(?:\.\d+)?)(?:\s*{_SCALE})?(?:\s*([A-Za-z]{{3}})\b)?(?:\s+({'|'.join(_CURRENCY_WORDS)})\b)?",
    re.I,
)


def read_format(text: str, *, asked: bool = False) -> tuple[Format, str] | None:
    """A format named with an article ('a film', 'an eight-part series'), a label, or on its own when asked."""
    labelled = re.search(rf"\bformat\s*(?::|=|\bis\b)\s*(?:an?\s+)?({_FORMAT_WORD})\b", text, re.I)
    spoken = re.search(rf"\b(?:a|an|our|my|the|it's a|it is a)\s+(?:[\w-]+\s+){{0,3}}?({_FORMAT_WORD})\b(?!\s+of\s+(?!\d)|\s+shows?\b|\s+night\b|\s+changer\b)",
                       text, re.I)  # fmt: skip
    bare = re.fullmatch(rf"\s*(?:it's\s+|it is\s+)?(?:an?\s+)?({_FORMAT_WORD})\W*", text, re.I) if asked else None
    match = labelled or spoken or bare
    if match is None:
        return None
    word = re.sub(r"[\s-]+", " ", match.group(1).lower())
    loose = word == "short" or not re.search(rf"\b(?:a|an)\s+{word}\b", match.group(0), re.I)
    if word in ("short", "show", "single", "feature", "ep") and not (labelled or bare) and loose:
        return None  # 'a short trip', 'the show must go on': too common to read without a label
    return FORMAT_WORDS[word], match.group(0)


def read_business(text: str, *, asked: bool = False) -> tuple[str, str] | None:
    """How the title earns money: 'free with ads' -> ad_supported, 'in cinemas' -> theatrical, 'SVOD' -> subscription."""
    for pattern, model in BUSINESS_WORDS.items():
        if model == "ad_supported" and re.search(r"\bno ads\b|\bad[\s-]free\b", text, re.I):
            continue
        if match := re.search(rf"\b(?:{pattern})\b", text, re.I):
            return model, match.group(0)
    if match := re.search(r"\bbusiness model\s*(?::|=|\bis\b)?\s*(free)\b", text, re.I):
        return "free", match.group(0)
    if asked and (match := re.fullmatch(r"\s*(?:it's\s+|it is\s+)?(free)\b.*", text, re.I)):
        return "free", match.group(1)
    return None


def read_length(text: str, fmt: str | None = None, *, asked: bool = False) -> Reading:
    """Running time, episodes, tracks, words or hours of play: 'an hour and 40 minutes' -> 100 minutes,
    'eight 40-minute episodes' -> 8 episodes of 40 minutes, '1h45' -> 105 minutes; a bare number when asked."""
    reading = Reading()
    said, text = text, numerals(text)
    game = fmt == "game" or re.search(r"\b(?:of play|gameplay|playtime|play time|to play|to finish)\b", text, re.I)
    runtime = re.search(r"\b(?:runs?|running|runtime|long|length|lasts?|each|per|episodes?|parts?|tracks?|songs?|feature|play|"
                        r"gameplay|playtime|film|movie|short|video)\b|\d-(?:minute|hour)\b", text, re.I)  # fmt: skip
    # 'they argue for an hour every week', 'spends 40 minutes every morning': in a story, a duration is no running time,
    # unless the sentence says it is one or the duration stands in a clause of its own ('…, 80 minutes, …')
    sentence = len(text.split()) > 6 and not asked and runtime is None
    hm = (
        None
        if sentence
        else re.search(
            r"\b(\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?)(?:\s*(?:and\s*)?(\d{1,2})\s*(?:m|mins?|minutes?)?)?(?![\w-])", text, re.I
        )
    )
    if hm:
        hours = float(hm.group(1)) + (int(hm.group(2)) / 60 if hm.group(2) else 0)
        if game and not hm.group(2):
            reading.put("length.hours", hours, hm.group(0))
        else:
            reading.put("length.minutes", round(hours * 60, 2), hm.group(0))
    each = re.search(r"\b(\d+)\s+(\d+(?:\.\d+)?)[\s-]*(?:minute|min)s?[\s-]+(episode|part|track|song)s?\b", text, re.I)
    if each:
        reading.put(f"length.{_UNIT_WORDS[each.group(3).lower()]}", int(each.group(1)), each.group(0))
        reading.put("length.minutes", float(each.group(2)), each.group(0))
    for match in re.finditer(r"(?<![\d.$€£])(\d+(?:\.\d+)?)\s*-?\s*(minutes?|mins?|episodes?|parts?|tracks?|songs?|words?)(?![\w-])",
                             text, re.I):  # fmt: skip
        unit = _UNIT_WORDS[match.group(2).lower().rstrip("s") if match.group(2).lower() not in ("mins",) else "mins"]
        dotted = f"length.{unit}"
        clause = next((c for c in re.split(r"[,;]", text) if match.group(0) in c), text)
        if sentence and unit == "minutes" and len(clause.split()) > 3:
            continue
        if dotted in reading.fields or (unit == "minutes" and hm):
            continue
        if (
            unit == "episodes"
            and match.group(2).lower().startswith("part")
            and not re.search(r"\d\s*-?\s*part\b", match.group(0))
        ):
            continue
        value = float(match.group(1))
        reading.put(dotted, value if unit == "minutes" else int(value) if value.is_integer() else value, match.group(0))
    for dotted, source in reading.sources.items():  # the producer's own words ('six-part'), not the digits read from them
        if source not in said:
            reading.sources[dotted] = _source_of(said, source, "")
    if asked and not reading.fields and (bare := re.fullmatch(r"\s*(?:about|around|roughly|approximately|maybe)?\s*(\d+(?:\.\d+)?)\W*",
                                                              text, re.I)):  # fmt: skip
        unit = PRIMARY_LENGTH_UNIT.get(Format(fmt), "minutes") if fmt in {f.value for f in Format} else "minutes"
        value = float(bare.group(1))
        reading.put(f"length.{unit}", value if unit in ("minutes", "hours") else int(value), bare.group(0))
    return reading


def read_money(text: str, *, asked: bool = False) -> Reading:
    """A budget: '$250k', 'around two and a half million', '1.2 million euros', '750,000 CAD'; a plain number after
    'budget' or on its own when the budget was asked. A number that is a year, an age or a count is not money."""
    reading = Reading()
    plain = numerals(text)
    cue = re.search(r"\b(?:budget|spend(?:ing)?|spend is|capped at|to spend|marketing money|p&a)\b", plain, re.I)
    scaled = re.search(r"\b(?:million|thousand|grand|billion|mil)\b|\d\s*(?:k|m|mn|bn)\b", text, re.I) is not None
    for match in _MONEY.finditer(plain):
        sign, digits, scale, code, word = match.groups()
        after = plain[match.end() :]
        if re.search(r"\bof\s+an?\s*$", plain[: match.start()], re.I):
            continue  # 'a fraction of a million': a share of a sum, not the sum
        if re.match(
            r"\s*[-–]?\s*(?:minutes?|mins?|episodes?|parts?|tracks?|songs?|hours?|words?|year|%|\+|st|nd|rd|th)\b", after, re.I
        ):
            continue
        is_code = (
            code is not None and code.upper() in _CURRENCY_CODES and (code.isupper() or code.lower() in ("usd", "eur", "gbp"))
        )
        currency = _CURRENCY_SIGNS.get(sign or "") or (code.upper() if is_code and code else None)
        if word and not currency:
            currency = next(c for p, c in _CURRENCY_WORDS.items() if re.fullmatch(p, word, re.I))
        counted = re.match(r"\s+(?!(?:for|to|on|in|of|instead|then|now|please|and|or|but|at|tops|max|total|overall|budget)\b)[a-z]{3,}",
                           after, re.I)  # fmt: skip
        money_like = (
            sign or currency or ((scale or (scaled and float(digits) >= 1000)) and not counted)
        )  # not 'a million followers'

        near_cue = cue is not None and 0 <= match.start() - cue.end() <= 25
        whole = re.fullmatch(r"\s*(?:about|around|roughly|approximately|maybe|say|up to)?\s*" + re.escape(match.group(0)) + r"\W*",
                             plain, re.I) is not None  # fmt: skip
        if not (money_like or near_cue or (asked and whole)):
            continue
        if re.fullmatch(r"20\d\d", digits) and not (sign or scale or currency):
            continue  # a year
        amount = float(digits) * _SCALES.get((scale or "").lower(), 1)
        source = _source_of(text, match.group(0).strip(), cue.group(0) if near_cue and cue else "")
        reading.put("budget.amount", amount, source)
        if currency:
            reading.put("budget.currency", currency, source)
        return reading
    return reading


def _source_of(text: str, found: str, cue: str) -> str:
    """The producer's own words for a value read from their converted text: the clause it came from."""
    for clause in re.split(r"[,;.](?:\s|$)|\band\b(?=\s+(?:keep|avoid|release|territor))", text):
        if any(ch.isdigit() for ch in found) and re.search(re.escape(found.split()[0]), numerals(clause)):
            return clause.strip()
    return text.strip()


# --- free text: titles, loglines, tone, studio, topics -------------------------------------------------

_END = r"(?=\s*(?:$|\n|;|\.(?:\s|$)|,\s*(?:about|budget|out|release|rated|keep|avoid|and|with|for|genre|territor)))"


def _labelled(text: str, *labels: str) -> re.Match[str] | None:
    """The value after `label:`, `label is` or `label -`, up to the end of its sentence."""
    names = "|".join(re.escape(label).replace(r"\ ", r"\s+") for label in labels)
    return re.search(rf"\b(?:{names})\s*(?:(?:\bis\b|\bare\b|\bshould be\b)\s*:?|:|=|\s-\s|\s—\s)\s*[\"“']?(.+?)[\"”']?{_END}",
                     text, re.I)  # fmt: skip


def read_title(text: str) -> tuple[str, str] | None:
    """'working title: Paper Boats', 'it's called Low Tide', 'Let's go with Last Orbit as the working title'."""
    patterns = [
        rf"\b(?:working\s+)?title\s*(?::|=|\bis\b|\s-\s|\s—\s)\s*[\"“']?([^\"”';\n]+?)[\"”']?{_END}",
        r"\b(?:called|titled|calling it|naming it|call it|name it|named it|named)\s+[\"“']?([^\"”'.,;\n]+?)[\"”']?"
        r"(?=\s+(?:for now|about|where|in which|following|as the)\b|[.,;\n]|$)",
        r"(?:go with\s+)?[\"“']?([A-Z][^\"”'.,;\n]+?)[\"”']?\s+(?:as|is)\s+(?:the|our)\s+(?:working\s+)?title\b",
    ]
    for pattern in patterns:
        if match := re.search(pattern, text, re.I if pattern is not patterns[2] else 0):
            title = re.sub(r"^(?:let's go with|go with|we'll go with)\s+", "", match.group(1).strip(), flags=re.I)
            if title and len(title) <= 120:
                return title, match.group(0)
    return None


def _sentence(text: str) -> str:
    """A logline as a sentence: its first letter in capitals, and the rest as the producer wrote it."""
    text = text.strip()
    return text[0].upper() + text[1:] if text else text


def read_logline(text: str, *, after_title: bool = False) -> tuple[str, str] | None:
    """'logline: …', 'It's about …', 'The story follows …', 'the idea is …', or 'A film called X, about …'."""
    if match := _labelled(text, "logline", "premise", "the idea", "the story", "the concept", "the pitch"):
        return _sentence(re.sub(r"^(?:about|that)\s+", "", match.group(1), flags=re.I)), match.group(0)
    forms = [
        r"^\s*(?:it's|it is|the (?:film|series|show|podcast|game|story|album|article) is)\s+about\s+(.{10,})",
        r"\b(?:the story|it)\s+follows\s+(.{10,})",
        r"(?:,\s*|\s)(?:about|in which|following)\s+(.{10,})$",
    ]
    for pattern in forms if after_title else forms[:2]:
        if match := re.search(pattern, text.strip(), re.I | re.S):
            return _sentence(match.group(1)), match.group(0)
    return None


def read_tone(text: str) -> tuple[str, str] | None:
    """'tone: dark and funny', 'the tone should be warm', 'I want it to feel tense but tender', 'the vibe is cozy'."""
    if match := _labelled(text, "tone", "the vibe", "vibe", "the mood", "mood", "the feel"):
        return match.group(1).strip(), match.group(0)
    if match := re.search(rf"\b(?:to feel|it feels|should feel|feels like|feel like)\s+(.+?){_END}", text, re.I):
        return match.group(1).strip(), match.group(0)
    return None


def read_studio(text: str) -> tuple[str, str] | None:
    """'studio: A24', 'distributed by Neon', 'the distributor is Focus Features', 'Universal Pictures is the studio'."""
    if match := _labelled(text, "studio", "distributor", "the studio", "the distributor"):
        return match.group(1).strip(), match.group(0)
    if match := re.search(
        r"\b(?:distributed by|from the studio|released by the studio|with the studio)\s+([^.,;\n]+)", text, re.I
    ):
        return match.group(1).strip(), match.group(0)
    if match := re.search(r"([A-Z][\w&.' -]+?)\s+is\s+(?:the|our)\s+(?:studio|distributor)\b", text):
        return match.group(1).strip(), match.group(0)
    return None


def _items(text: str) -> list[str]:
    return [i.strip(" .!\"'") for i in re.split(r",|;|\bor\b|\band\b|/", text) if i.strip(" .!\"'")]


def read_topics(text: str) -> Reading:
    """Topics to avoid ('please avoid anything about drug use or graphic violence', 'no swearing and no nudity')
    and elements to include ('it must include the lighthouse', 'it has to feature the harbour at dawn')."""
    reading = Reading()
    avoid = re.search(r"\b(?:avoid|stay away from|steer clear of|don't mention|do not mention|don't show|do not show|nothing about|"
                      r"no mention of|leave out|keep out)\s*:?\s*(?:anything (?:about|to do with|involving)\s+|any\s+)?([^.;\n]+)",
                      text, re.I)  # fmt: skip
    nos = re.fullmatch(r"\s*(?:and\s+)?no\s+([a-z][\w-]+(?:\s+[a-z][\w-]+)?)((?:\s*(?:,|and|or)\s*no\s+[a-z][\w-]+(?:\s+[a-z][\w-]+)?)*)"
                       r"(?:\s+please)?\W*", text, re.I)  # fmt: skip
    if avoid:
        items = [
            re.sub(r"^(?:anything about|any)\s+", "", i, flags=re.I) for i in _items(re.sub(r"\s+please$", "", avoid.group(1)))
        ]
        reading.put("constraints.avoid_topics", items, avoid.group(0))
    elif nos and not re.match(r"\s*no\s+(?:later|earlier|more|less|higher|lower|idea|thanks|problem|rush|need)\b", text, re.I):
        words = [nos.group(1), *re.findall(r"no\s+([a-z][\w-]+(?:\s+[a-z][\w-]+)?)", nos.group(2) or "", re.I)]
        reading.put("constraints.avoid_topics", [w.strip() for w in words], text)
    include = re.search(r"\b(?:must[\s-]include|must feature|must show|has to (?:feature|include|show)|have to (?:feature|include|show)|"
                        r"needs? to (?:feature|include|show)|make sure (?:it|we) (?:includes?|features?|shows?))\s*:?\s*([^.;\n]+)",
                        text, re.I)  # fmt: skip
    if include:
        reading.put("constraints.must_include", _items(include.group(1)), include.group(0))
    return reading


# --- territories ------------------------------------------------------------------------------------

_TERRITORY_CUES = (r"\b(?:territories|territory|markets?|countries)\s*(?::|=|\bare\b|\bis\b|\binclude\b)?\s+"
                   r"|\b(?:releas\w*|launch\w*|premier\w*|comes? out|coming out|going out|go out|goes out|distributed|"
                   r"theatrical(?:ly)?|available|sell(?:ing)? it|out)\s+(?:it\s+|only\s+|first\s+)*in\s+")  # fmt: skip


def read_territories(text: str) -> Reading:
    """'territories: US, GB', 'we release in the United Kingdom and Ireland', 'launching in Aotearoa and Australia'."""
    reading = Reading()
    for cue in re.finditer(_TERRITORY_CUES, text, re.I):
        places, used = _places_ahead(text[cue.end() :])
        if places:
            reading.put("territories", places, cue.group(0) + used)
            return reading
        if re.match(r"\s*(?:territor|market|countr)", cue.group(0), re.I):
            reading.notes.append(f"I could not read the territories in “{text[cue.end():].strip()}”; name countries, "
                                 "e.g. 'territories: Canada, New Zealand'.")  # fmt: skip
    return reading


# --- the whole message ----------------------------------------------------------------------------

_ASKED_FREE_TEXT = ("working_title", "logline", "tone", "studio")
_RELEASE_CUE = re.compile(r"\b(?:releas\w*|launch\w*|premier\w*|window|comes? out|come out|out in|drops?|between|not before|"
                          r"no later than|next|this|sometime|any ?time|by)\b", re.I)  # fmt: skip


def _pieces(text: str) -> list[str]:
    """A message in sentences (and the parts after a semicolon): each is read on its own."""
    return [p.strip() for p in re.split(r"(?<=[.!?;])\s+|\n+|;\s*", text.strip()) if p.strip(" .;!?")]


def read_message(text: str, *, asking: str | None = None, draft: dict[str, Any] | None = None,
                 today: dt.date | None = None) -> Reading:  # fmt: skip
    """Every brief field a message states, whatever was asked; what fits no field is in `unread`.

    `asking` is the field whose question is open: a message that names no field is read as its
    answer, but only if it reads as that field (a year is never a budget, a country list never a
    business model). `draft` is the brief so far (its format decides what a bare length counts).
    """
    draft = draft or {}
    fmt = str(draft.get("format") or "") or None
    reading = Reading()
    for piece in _pieces(text):
        got = _read_piece(piece, asking, fmt, today)
        described = set(got.fields) <= {"genres", "format"} and len(piece.split()) >= 6
        if asking == "logline" and got.fields and described:  # 'A romantic comedy about two rival florists' is the logline too
            got.put("logline", _sentence(piece), piece)
        if not got.fields and asking:
            got = _answer(piece, asking, fmt, today, got)
        if not got.fields:
            reading.unread.append(piece)
        reading.update(got)
    if reading.unread and asking in _ASKED_FREE_TEXT and not reading.fields:
        reading.update(_free_answer(" ".join(reading.unread), asking))
        if reading.fields:
            reading.unread = []
    return reading


def _read_piece(piece: str, asking: str | None, fmt: str | None, today: dt.date | None) -> Reading:
    """The fields one sentence states outright."""
    reading = Reading()
    if found := read_title(piece):
        reading.put("working_title", *found)
    named = read_format(piece, asked=asking == "format") is not None or "working_title" in reading.fields
    if found := read_logline(piece, after_title=named):
        logline, source = found
        cut = _cut_at_fields(logline, fmt, today)
        if len(cut) >= 10 and len(cut.split()) >= 3:
            reading.put("logline", _sentence(cut), source)
            whole = piece
            piece = re.sub(re.escape(cut.rstrip(".")), " ", piece, count=1, flags=re.I)  # the story's own hours are no fields
            if piece.strip(" ,.") == "":
                piece = whole
    if found := read_format(piece, asked=asking == "format"):
        reading.put("format", found[0].value, found[1])
        fmt = fmt or found[0].value
    labelled_genres = _labelled(piece, "genres", "genre", "the genres", "the genre")
    if labelled_genres or asking == "genres":
        reading.update(read_genres(labelled_genres.group(1) if labelled_genres else piece))
    elif genres := _spoken_genres(piece):
        reading.put("genres", genres, piece)
    if found := read_tone(piece):
        reading.put("tone", *found)
    if found := read_studio(piece):
        reading.put("studio", *found)
    reading.update(read_money(piece, asked=asking == "budget"))
    if found := read_business(piece, asked=asking == "business_model"):
        reading.put("business_model", *found)
    cued = asking == "release" or _RELEASE_CUE.search(piece) is not None
    window = read_window(piece, today, cued=cued)
    for end, day in window.items():
        reading.put(f"release.{end}", day.isoformat(), piece)
    reading.update(read_length(piece, fmt, asked=asking == "length"))
    reading.update(read_audience(piece))
    reading.update(read_territories(piece))
    if found := _rating(piece, asked=asking in ("rating", "constraints")):
        reading.put("constraints.age_rating_ceiling", *found)
    reading.update(read_topics(piece))
    if "territories" not in reading.fields and "audience.regions" not in reading.fields and (places := read_places(piece)):
        reading.put("territories", places, piece)  # a list of countries on its own is where it comes out
    for clause in re.split(r",\s*", piece) if "," in piece and "genres" not in reading.fields else []:
        listed = read_genres(clause, loose=False).fields.get("genres")
        if listed and re.fullmatch(rf"\s*(?:{_GENRE_WORD})s?\W*", clause, re.I):
            reading.put("genres", listed, clause)
    return reading


def _spoken_genres(piece: str) -> list[str]:
    """Genres said with an article or beside a format: 'a horror comedy', 'a six-part drama series', 'it's a western'."""
    genre_run = rf"(?:{_GENRE_WORD})s?(?:[\s-]+(?:{_GENRE_WORD})s?)*"
    found: list[str] = []
    after = rf"(?=\s*(?:$|[,.;!?]|(?:{_FORMAT_WORD}|documentary|called|titled|named|about|with|for|set|that|where)\b))"
    for match in re.finditer(
        rf"\b(?:an?|it's an?|it is an?)\s+(?:[\w-]+\s+){{0,3}}?({genre_run}){after}(?:\s+(?:with\s+(?:some|a bit of)\s+)?({genre_run}))?",
        piece, re.I,
    ):  # fmt: skip
        found += [_genre_name(m.group(1)) for m in _GENRE_RE.finditer(" ".join(filter(None, match.groups())))
                  if m.group(1).lower() != "short"]  # fmt: skip
    if re.fullmatch(rf"\s*(?:it's\s+|it is\s+)?(?:an?\s+)?{genre_run}(?:\s*(?:,|and|/|&)\s*{genre_run})*\W*", piece, re.I):
        found += [_genre_name(m.group(1)) for m in _GENRE_RE.finditer(piece)]
    return list(dict.fromkeys(found))


def _cut_at_fields(text: str, fmt: str | None, today: dt.date | None) -> str:
    """A logline up to the first clause that states another field ('beekeepers, 80 minutes, …' -> 'beekeepers')."""
    kept: list[str] = []
    for clause in re.split(r"(?<=,)\s*", text):
        probe = Reading()
        probe.update(read_length(clause, fmt))
        probe.update(read_money(clause))
        probe.update(read_audience(clause))
        if probe.fields or _rating(clause) or read_business(clause):
            break
        kept.append(clause)
    return " ".join(kept).strip(" ,")


def _answer(piece: str, asking: str, fmt: str | None, today: dt.date | None, got: Reading) -> Reading:
    """A sentence that names no field, read as the answer to the open question when it reads as that field."""
    answer = Reading(notes=list(got.notes))
    if asking == "territories" and (places := _places_ahead(piece))[0]:
        answer.put("territories", places[0], piece)
    elif asking == "audience":
        answer.update(read_audience(piece, asked=True))
    return answer


def _free_answer(text: str, asking: str) -> Reading:
    """Words answering a free-text question: a title (and a logline after a dash), a logline, a tone or a studio."""
    reading = Reading()
    text = text.strip().strip("\"“”'")
    if asking == "working_title":
        parts = re.split(r"\s+[-—–]\s+|:\s+", text, maxsplit=1)
        title, rest = (parts[0], parts[1]) if len(parts) == 2 else (text, "")
        if rest and len(rest.split()) >= 4:
            reading.put("working_title", title.strip(" \"“”'"), title)
            reading.put("logline", _sentence(rest), rest)
        elif len(text.split()) <= 10:
            reading.put("working_title", text, text)
        elif len(text) >= 10:
            reading.put("logline", _sentence(text), text)
    elif asking == "logline" and len(text.split()) >= 4 and len(text) >= 10:
        reading.put("logline", _sentence(text), text)
    elif asking == "tone" and text:
        reading.put("tone", text, text)
    elif asking == "studio" and 0 < len(text) <= 120:
        reading.put("studio", text, text)
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

    from greenroom.models.llm import ModelUnavailableError, provider_errors
    from greenroom.models.structured import StructuredOutputError, generate
    from greenroom.prompts import render

    prompt = render("chat/read.j2", draft=json.dumps(draft, ensure_ascii=False), message=text,
                    today=(today or dt.date.today()).isoformat())  # fmt: skip
    unanswered: tuple[type[BaseException], ...] = (StructuredOutputError, ModelUnavailableError, *provider_errors())
    try:
        fields, _ = generate(handle, [HumanMessage(prompt)], BriefFields, agent="chat", max_tokens=MODEL_READ_MAX_TOKENS)
    except unanswered:
        return {}
    return fields.dotted()
