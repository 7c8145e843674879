"""The creative brief: what a producer hands greenroom, validated and normalised.

`load_brief(path)` reads YAML or JSON; `BriefError` carries every failing field
with its reason, in the dotted form a person can find in their file
(`budget.amount: must be greater than 0`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from greenroom.core import limits


class Format(StrEnum):
    """What kind of media the brief is for."""

    FILM = "film"
    SERIES = "series"
    PODCAST = "podcast"
    MUSIC_RELEASE = "music_release"
    GAME = "game"
    SHORT_VIDEO = "short_video"
    ARTICLE = "article"


class BusinessModel(StrEnum):
    """How the title earns money."""

    SUBSCRIPTION = "subscription"
    AD_SUPPORTED = "ad_supported"
    TRANSACTIONAL = "transactional"
    THEATRICAL = "theatrical"
    FREE = "free"


AgeRating = Literal["G", "PG", "PG-13", "R", "NC-17"]
"""MPAA-style ratings, in increasing order of restriction."""

AGE_RATINGS: tuple[AgeRating, ...] = ("G", "PG", "PG-13", "R", "NC-17")

# Which length unit a format is measured in. A brief may give more than one
# (a series has episodes and minutes per episode), but must give the primary one.
PRIMARY_LENGTH_UNIT: dict[Format, str] = {
    Format.FILM: "minutes",
    Format.SERIES: "episodes",
    Format.PODCAST: "episodes",
    Format.MUSIC_RELEASE: "tracks",
    Format.GAME: "hours",
    Format.SHORT_VIDEO: "minutes",
    Format.ARTICLE: "words",
}


Item = Annotated[str, StringConstraints(max_length=limits.MAX_ITEM_CHARS)]
"""One entry of a list in a brief (a region, an interest, a territory, a topic)."""
Items = Annotated[list[Item], Field(max_length=limits.MAX_ITEMS)]
GenreName = Annotated[str, StringConstraints(max_length=limits.MAX_GENRE_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Audience(_Strict):
    """Who the title is for."""

    age_min: int = Field(13, ge=0, le=120, description="Youngest age targeted.")
    age_max: int = Field(54, ge=0, le=120, description="Oldest age targeted.")
    regions: Items = Field(default_factory=list, description="Regions or countries where the audience lives.")
    interests: Items = Field(default_factory=list, description="Interests the audience shares, in plain words.")

    @model_validator(mode="after")
    def _ages_ordered(self) -> Audience:
        if self.age_max < self.age_min:
            raise ValueError("age_max: is below audience.age_min")
        return self


class Length(_Strict):
    """How long the work is, in the units its format needs."""

    minutes: float | None = Field(
        None, gt=0, le=limits.MAX_MINUTES, description="Running time in minutes (per episode for a series or podcast)."
    )
    episodes: int | None = Field(None, gt=0, le=limits.MAX_EPISODES, description="Number of episodes, for series and podcasts.")
    words: int | None = Field(None, gt=0, le=limits.MAX_WORDS, description="Word count, for articles.")
    tracks: int | None = Field(None, gt=0, le=limits.MAX_TRACKS, description="Number of tracks, for music releases.")
    hours: float | None = Field(None, gt=0, le=limits.MAX_HOURS, description="Typical play time in hours, for games.")

    def describe(self) -> str:
        """The length in words a writer understands, e.g. '8 episodes of 45 minutes'."""
        parts = []
        if self.episodes:
            parts.append(f"{self.episodes} episodes")
        if self.tracks:
            parts.append(f"{self.tracks} tracks")
        if self.minutes:
            parts.append(f"{'of ' if parts else ''}{self.minutes:g} minutes")
        if self.words:
            parts.append(f"{self.words} words")
        if self.hours:
            parts.append(f"{self.hours:g} hours of play")
        return " ".join(parts) or "unspecified"


class Budget(_Strict):
    """Money available for the launch."""

    amount: float = Field(..., le=limits.MAX_BUDGET, description="Total launch budget (promotion and release costs).")
    currency: str = Field("USD", max_length=20, description="ISO 4217 currency code, e.g. USD, EUR, GBP.")

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"must be a three-letter ISO 4217 code such as USD, EUR or GBP, not {value!r}")
        return code

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        if round(value, 2) < limits.MIN_BUDGET:
            raise ValueError(
                f"must be at least {limits.MIN_BUDGET:g}: the promotion is split to the cent, so less rounds to nothing"
            )
        return value


class Release(_Strict):
    """When the title may come out."""

    earliest: dt.date = Field(..., description="First acceptable release date (YYYY-MM-DD).")
    latest: dt.date = Field(..., description="Last acceptable release date (YYYY-MM-DD).")

    @field_validator("earliest", "latest")
    @classmethod
    def _plannable(cls, value: dt.date) -> dt.date:
        if not limits.YEAR_MIN <= value.year <= limits.YEAR_MAX:
            raise ValueError(f"must fall between {limits.YEAR_MIN} and {limits.YEAR_MAX}, not {value.isoformat()}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Release:
        if self.latest < self.earliest:
            raise ValueError("latest: before release.earliest")
        return self


class Constraints(_Strict):
    """What the content must and must not do."""

    age_rating_ceiling: AgeRating = Field("R", description="Most restrictive rating the content may carry.")
    avoid_topics: Items = Field(default_factory=list, description="Topics the content must not touch.")
    must_include: Items = Field(default_factory=list, description="Elements the content must contain.")


class Brief(_Strict):
    """A creative brief for one title."""

    working_title: str = Field(..., min_length=1, max_length=120, description="The title as it stands today.")
    format: Format = Field(..., description="What kind of media this is.")
    logline: str = Field(..., min_length=10, max_length=600, description="The concept in one or two sentences.")
    genres: list[GenreName] = Field(..., min_length=1, max_length=6, description="Genres, most important first.")
    audience: Audience = Field(default_factory=Audience, description="Who it is for.")
    tone: str = Field("", max_length=300, description="Tone and brand voice, in the producer's words.")
    length: Length = Field(default_factory=Length, description="How long the work is.")
    budget: Budget = Field(..., description="Launch budget.")
    business_model: BusinessModel = Field(..., description="How the title earns money.")
    territories: Items = Field(default_factory=lambda: ["US"], description="Where it will be released.")
    studio: str | None = Field(
        None,
        max_length=120,
        description=(
            "Studio or distributor releasing the title, e.g. 'Universal Pictures'; leave empty for an independent "
            "release. A major studio raises the box office forecast."
        ),
    )
    release: Release = Field(..., description="The release window the plan must fall inside.")
    constraints: Constraints = Field(default_factory=Constraints, description="Content rules.")

    @field_validator("genres")
    @classmethod
    def _normalise_genres(cls, value: list[str]) -> list[str]:
        genres = [g.strip().lower() for g in value if g.strip()]
        if not genres:
            raise ValueError("at least one genre is required")
        return list(dict.fromkeys(genres))

    @model_validator(mode="after")
    def _length_fits_format(self) -> Brief:
        unit = PRIMARY_LENGTH_UNIT[self.format]
        if getattr(self.length, unit) is None:
            raise ValueError(f"length.{unit}: a {self.format.value} brief needs its length in {unit}")
        return self


class FieldError(BaseModel):
    """One reason a brief was rejected."""

    field: str = Field(..., description="Dotted path to the field, e.g. budget.amount.")
    message: str = Field(..., description="Why the value was rejected.")

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class BriefError(ValueError):
    """A brief that cannot be planned, with every failing field."""

    def __init__(self, errors: list[FieldError], source: str = "brief") -> None:
        self.errors = errors
        self.source = source
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{source} is invalid ({len(errors)} problem{'s' * (len(errors) != 1)}):\n{lines}")


def _model_at(path: list[str]) -> type[BaseModel] | None:
    """The brief's model (Brief or a nested part) at a dotted path, or None when the path leaves the models."""
    model: type[BaseModel] = Brief
    for name in path:
        field = model.model_fields.get(name)
        if field is None:
            return None
        found = [t for t in (field.annotation, *get_args(field.annotation)) if isinstance(t, type) and issubclass(t, BaseModel)]
        if not found:
            return None
        model = found[0]
    return model


def _did_you_mean(loc: list[str]) -> str:
    """'; did you mean working_title?' for an unknown field close to a known one ('title', 'budgte'); '' otherwise."""
    model = _model_at(loc[:-1])
    if model is None or not loc:
        return ""
    name, known = loc[-1].lower(), list(model.model_fields)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) or [k for k in known if name in k.split("_")]
    return f"; did you mean {'.'.join([*loc[:-1], close[0]])}?" if close else ""


def _number(value: Any) -> str:
    return f"{int(value):,}" if isinstance(value, int | float) and float(value).is_integer() else str(value)


_DATE_ERRORS = ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type", "datetime_parsing")
_PLAIN: dict[str, str] = {
    "float_parsing": "must be a number", "float_type": "must be a number", "decimal_parsing": "must be a number",
    "int_parsing": "must be a whole number", "int_type": "must be a whole number", "int_from_float": "must be a whole number",
    "finite_number": "must be a finite number", "string_type": "must be text", "list_type": "must be a list",
    "dict_type": "must be a mapping of fields", "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields", "bool_parsing": "must be yes or no",
    "greater_than": "must be greater than {gt}", "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}", "less_than_equal": "must be at most {le}",
    "string_too_short": "must be at least {min_length} characters long", "string_too_long": "must be at most {max_length} characters long",
    "too_short": "needs at least {min_length} item(s)", "too_long": "takes at most {max_length} items",
    "literal_error": "must be one of {expected}", "enum": "must be one of {expected}",
    "string_pattern_mismatch": "holds characters that are not allowed here",
}  # fmt: skip
"""Pydantic's error types in the words a person reads; the library's own wording never reaches a reply."""


def plain_message(kind: str, ctx: dict[str, Any], fallback: str) -> str:
    """A pydantic error type and context in the words a person reads (`fallback` for a type not in the table)."""
    return _plain_message(kind, ctx, fallback)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Every failing field of a pydantic error, in the project's words (no library wording, no links)."""
    return _field_errors(exc)


def in_words(exc: ValueError) -> str:
    """A ValueError for a person: a pydantic error as 'field: reason; …', any other as its own message."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{e.field}: {e.message}" for e in _field_errors(exc))
    return str(exc)


def _plain_message(kind: str, ctx: dict[str, Any], fallback: str) -> str:
    if kind in _DATE_ERRORS:
        return "is not a date I can read; write it as YYYY-MM-DD, e.g. 2027-09-01"
    template = _PLAIN.get(kind)
    if template is None:
        return fallback
    values = {k: _number(v) if not isinstance(v, str) else v.replace("'", "") for k, v in ctx.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return fallback


def _field_errors(exc: ValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        msg = str(err["msg"]).removeprefix("Value error, ")
        # Model-level validators put the field name at the start of their message.
        if err["type"] == "value_error" and re.match(r"^[a-z_]+(\.[a-z_]+)*: ", msg):
            head, msg = msg.split(": ", 1)
            loc.extend(head.split("."))
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field" + _did_you_mean(loc)
        else:
            msg = _plain_message(err["type"], err.get("ctx") or {}, msg)
        out.append(FieldError(field=".".join(loc) or "brief", message=msg))
    return out


def parse_brief(data: Any, source: str = "brief") -> Brief:
    """Validate a mapping into a Brief, raising BriefError with every failing field."""
    if not isinstance(data, dict):
        raise BriefError([FieldError(field="brief", message="must be a mapping of fields")], source)
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        raise BriefError(_field_errors(exc), source) from exc


def load_brief(path: str | Path) -> Brief:
    """Read a brief from a YAML or JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BriefError([FieldError(field="file", message=f"cannot read {path}: {exc.strerror}")], str(path)) from exc
    if limits.json_depth(text) > limits.JSON_MAX_DEPTH:
        raise BriefError([FieldError(field="file", message=f"nested more than {limits.JSON_MAX_DEPTH} levels deep")], str(path))
    try:
        data = limits.load_json(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except limits.LimitError as exc:
        raise BriefError([FieldError(field="file", message=exc.message)], str(path)) from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise BriefError(
            [FieldError(field="file", message=f"not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}")], str(path)
        ) from exc
    except (ValueError, RecursionError):  # YAML with a number of thousands of digits, or nesting by indentation
        raise BriefError([FieldError(field="file", message="holds a number or nesting too large to read")], str(path)) from None
    return parse_brief(data, str(path))
