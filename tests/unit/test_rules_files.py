"""Business rules kept as data: each file loads, gives every number its source or reason, and a malformed one is
refused with the file and the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from greenroom.agents.marketer import CAMPAIGN_WEEKS, DATA, CampaignLengths
from greenroom.agents.writer import OUTLINE_UNIT, OUTLINE_UNITS_PATH, OutlineUnits
from greenroom.core.brief import Format
from greenroom.core.market import DEFAULT_PRIORS, PRICE_TIERS, PRIORS_PATH, DemandPriors
from greenroom.core.rules import RulesFileError, load_rules
from greenroom.tools.release import PLATFORM_RULES, PLATFORMS_PATH, PlatformRules, recommend_platforms

FILES: list[tuple[Path, type[BaseModel]]] = [
    (PRIORS_PATH, DemandPriors),
    (PLATFORMS_PATH, PlatformRules),
    (DATA / "campaign_weeks.yaml", CampaignLengths),
    (OUTLINE_UNITS_PATH, OutlineUnits),
]


@pytest.mark.parametrize(("path", "model"), FILES, ids=lambda v: getattr(v, "name", getattr(v, "__name__", "")))
def test_each_rules_file_loads_and_is_shipped_with_the_package(path: Path, model: type[BaseModel]) -> None:
    assert load_rules(path, model) is not None
    package = Path(__file__).resolve().parents[2] / "src" / "greenroom"
    floor = path.relative_to(package).parts[0]
    pyproject = (package.parents[1] / "pyproject.toml").read_text()
    assert f'"greenroom.{floor}" = ["data/*"]' in pyproject  # installed with the wheel, not only in a checkout


def test_the_rules_are_the_ones_the_agents_use() -> None:
    assert set(DEFAULT_PRIORS) == set(PRICE_TIERS) and all(p.source.startswith("assumption") for p in DEFAULT_PRIORS.values())
    assert CAMPAIGN_WEEKS[Format.FILM] == 10 and set(CAMPAIGN_WEEKS) == set(Format)
    assert OUTLINE_UNIT[Format.GAME] == "levels or chapters" and set(OUTLINE_UNIT) == set(Format)
    assert all(rule.reason for rule in PLATFORM_RULES)
    cinema = recommend_platforms("film", "theatrical")[0]
    assert (cinema.platform, cinema.role, cinema.reason) == ("cinemas", "primary", "theatrical release earns at the box office")


def _broken(tmp_path: Path, path: Path, change: object) -> Path:
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(data))
    return out


def test_a_malformed_rules_file_is_refused_naming_the_file_and_the_field(tmp_path: Path) -> None:
    bad = _broken(tmp_path, PRIORS_PATH, lambda d: d["rental"].update(elasticity="steep"))
    with pytest.raises(RulesFileError, match=r"demand_priors\.yaml: rental\.elasticity: ") as caught:
        load_rules(bad, DemandPriors)
    assert "ValidationError" not in str(caught.value)
    bad = _broken(tmp_path, DATA / "campaign_weeks.yaml", lambda d: d["series"].pop("reason"))
    with pytest.raises(RulesFileError, match=r"campaign_weeks\.yaml: series\.reason: field required"):
        load_rules(bad, CampaignLengths)
    bad = _broken(tmp_path, OUTLINE_UNITS_PATH, lambda d: d.pop("podcast"))
    with pytest.raises(RulesFileError, match=r"outline_units\.yaml: the file: every format needs an entry; missing: podcast"):
        load_rules(bad, OutlineUnits)
    bad = _broken(tmp_path, PLATFORMS_PATH, lambda d: d["platforms"][2].update(role="main"))
    with pytest.raises(RulesFileError, match=r"platform_rules\.yaml: platforms\.2\.role: "):
        load_rules(bad, PlatformRules)
    bad = _broken(tmp_path, PRIORS_PATH, lambda d: d.pop("ticket"))
    with pytest.raises(RulesFileError, match="missing: ticket"):
        load_rules(bad, DemandPriors)
    unreadable = tmp_path / "broken.yaml"
    unreadable.write_text("monthly: [unclosed\n")
    with pytest.raises(RulesFileError, match=r"broken\.yaml: the rules file could not be read as YAML near line"):
        load_rules(unreadable, DemandPriors)
