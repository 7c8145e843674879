from __future__ import annotations

import json
from pathlib import Path

import pytest

from greenroom.core.brief import BriefError, Format, load_brief, parse_brief
from tests.conftest import EXAMPLES, ROOT


def _valid() -> dict:
    return json.loads((ROOT / "examples" / "briefs" / "paper-lanterns-album.json").read_text())


def _errors(data: object) -> dict[str, str]:
    with pytest.raises(BriefError) as info:
        parse_brief(data)
    return {e.field: e.message for e in info.value.errors}


def test_examples_cover_at_least_four_formats() -> None:
    formats = {load_brief(path).format for path in EXAMPLES}
    assert len(EXAMPLES) >= 4 and len(formats) >= 4


def test_yaml_and_json_load_to_the_same_model(tmp_path: Path) -> None:
    data = _valid()
    (tmp_path / "b.json").write_text(json.dumps(data))
    (tmp_path / "b.yaml").write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items()))
    assert load_brief(tmp_path / "b.json") == load_brief(tmp_path / "b.yaml")


def test_genres_and_currency_are_normalised() -> None:
    brief = parse_brief({**_valid(), "genres": [" Folk ", "POP", "folk"], "budget": {"amount": 10, "currency": "gbp"}})
    assert brief.genres == ["folk", "pop"]
    assert brief.budget.currency == "GBP"


def test_every_failing_field_is_named_with_its_reason() -> None:
    errors = _errors({**_valid(), "budget": {"amount": 0}, "release": {"earliest": "2027-06-01", "latest": "2027-01-01"},
                      "format": "opera", "business_model": "barter"})  # fmt: skip
    assert errors["budget.amount"] == "must be greater than 0"
    assert errors["release.latest"] == "before release.earliest"
    assert "film" in errors["format"]
    assert "subscription" in errors["business_model"]


def test_missing_and_unknown_fields_are_reported() -> None:
    data = _valid()
    del data["logline"]
    errors = _errors({**data, "budjet": 5})
    assert errors["logline"] == "is required"
    assert errors["budjet"] == "is not a known field; did you mean budget?"


def test_length_must_use_the_formats_unit() -> None:
    errors = _errors({**_valid(), "format": "film", "length": {"tracks": 10}})
    assert "length.minutes" in errors


def test_audience_ages_must_be_ordered() -> None:
    errors = _errors({**_valid(), "audience": {"age_min": 40, "age_max": 20}})
    assert "audience.age_max" in errors


def test_bad_files_name_the_cause(tmp_path: Path) -> None:
    with pytest.raises(BriefError, match="cannot read"):
        load_brief(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("title: [unclosed")
    with pytest.raises(BriefError, match="not valid yaml"):
        load_brief(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(BriefError, match="must be a mapping"):
        load_brief(tmp_path / "list.yaml")


def test_invalid_example_lists_all_its_problems() -> None:
    with pytest.raises(BriefError) as info:
        load_brief(ROOT / "examples" / "invalid" / "broken-brief.yaml")
    fields = {e.field for e in info.value.errors}
    assert {"working_title", "format", "budget.amount", "budget.currency", "business_model", "release.latest"} <= fields


def test_length_is_described_for_writers() -> None:
    brief = parse_brief({**_valid(), "format": Format.SERIES, "length": {"episodes": 8, "minutes": 48}})
    assert brief.length.describe() == "8 episodes of 48 minutes"


def test_an_unknown_field_gets_the_closest_known_one_suggested() -> None:
    data = _valid()
    title = data.pop("working_title")
    errors = _errors({**data, "title": title, "budget": {**data["budget"], "amout": 5}, "xyzzy": 1})
    assert errors["title"] == "is not a known field; did you mean working_title?"
    assert errors["budget.amout"] == "is not a known field; did you mean budget.amount?"  # inside a part of the brief too
    assert errors["xyzzy"] == "is not a known field"  # nothing close: no guess
