"""Promotion engine: exact budgets, bounds, beating an equal split, building towards launch, fitting, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from greenroom.core.market import ChannelCurve
from greenroom.interfaces.cli.promotion import register
from greenroom.tools.promotion import (
    DEFAULT_CHANNELS_PATH,
    PromotionInputError,
    allocate,
    fit_channel_curves,
    load_channel_curves,
    load_phasing,
    simulate_history,
    weekly_reach,
)


@pytest.fixture(scope="module")
def curves() -> list[ChannelCurve]:
    return load_channel_curves()


def _cents(values: list[float]) -> int:
    return sum(round(v * 100) for v in values)


def test_default_file_has_eight_channels_with_sources(curves: list[ChannelCurve]) -> None:
    assert len(curves) == 8
    assert all(c.source for c in curves)


def test_allocation_sums_to_the_budget_to_the_cent_and_respects_bounds(curves: list[ChannelCurve]) -> None:
    budget = 1_234_567.89
    mins = {"ctv": 200_000.005, "podcast_ads": 50_000}
    maxs = {"display": 100_000, "search": 30_000.5}
    plan = allocate(budget, 12, curves, min_spend=mins, max_spend=maxs, n_draws=200)
    spends = [v for c in plan.channels for v in c.weekly_spend]
    assert _cents(spends) == round(budget * 100)
    assert all(abs(v * 100 - round(v * 100)) < 1e-6 and v >= 0 for v in spends)
    for c in plan.channels:
        assert len(c.weekly_spend) == 12
        assert mins.get(c.channel, 0) - 1e-9 <= sum(c.weekly_spend) <= maxs.get(c.channel, budget) + 1e-9


def test_optimiser_beats_equal_split_on_its_curves(curves: list[ChannelCurve]) -> None:
    plan = allocate(2_000_000, 12, curves, n_draws=200)
    spend = np.array([c.weekly_spend for c in plan.channels])
    equal = np.full_like(spend, 2_000_000 / spend.size)
    assert weekly_reach(curves, spend).sum() > 1.05 * weekly_reach(curves, equal).sum()
    assert plan.uplift_vs_equal_split > 0.05
    assert plan.expected_reach.low <= plan.expected_reach.expected <= plan.expected_reach.high


def test_funded_channels_have_equal_marginal_returns(curves: list[ChannelCurve]) -> None:
    plan = allocate(2_000_000, 12, curves, n_draws=100)
    funded = [c.marginal_reach_per_1000 for c in plan.channels if c.total > 1_000]
    assert len(funded) >= 2
    assert max(funded) / min(funded) < 1.05


def test_fit_recovers_known_parameters(curves: list[ChannelCurve]) -> None:
    """52 weeks, 3% noise: top and half-saturation within 25%, shape within 0.3, decay within 0.05."""
    history = simulate_history(curves, weeks=52, noise=0.03, seed=11)
    fitted = {c.name: c for c in fit_channel_curves(history).curves}
    for truth in curves:
        got = fitted[truth.name]
        assert got.top == pytest.approx(truth.top, rel=0.25), truth.name
        assert got.half_saturation == pytest.approx(truth.half_saturation, rel=0.25), truth.name
        assert got.shape == pytest.approx(truth.shape, abs=0.3), truth.name
        assert got.decay == pytest.approx(truth.decay, abs=0.05), truth.name


@pytest.mark.parametrize("budget", [0, -100.0])
def test_budget_must_be_positive(curves: list[ChannelCurve], budget: float) -> None:
    with pytest.raises(PromotionInputError, match=r"^budget: must be greater than 0"):
        allocate(budget, 12, curves)


def test_channel_minimum_above_budget_is_named(curves: list[ChannelCurve]) -> None:
    with pytest.raises(PromotionInputError, match=r"^min_spend\.ctv: 60,000\.00 is above the budget 50,000\.00"):
        allocate(50_000, 12, curves, min_spend={"ctv": 60_000})


def test_minimums_adding_up_above_budget_are_rejected(curves: list[ChannelCurve]) -> None:
    with pytest.raises(PromotionInputError, match=r"^min_spend: the channel minimums add up to 60,000\.00"):
        allocate(50_000, 12, curves, min_spend={"ctv": 30_000, "search": 30_000})


def test_unknown_channel_in_bounds_is_named(curves: list[ChannelCurve]) -> None:
    with pytest.raises(PromotionInputError, match=r"^max_spend\.radio: is not one of the channels"):
        allocate(50_000, 12, curves, max_spend={"radio": 10})


def _history() -> pd.DataFrame:
    weeks = pd.date_range("2024-01-01", periods=10, freq="7D").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {"week": weeks, "channel": "search", "spend": np.linspace(100, 1000, 10), "response": np.linspace(10, 90, 10)}
    )


def test_history_with_a_missing_week_names_the_row() -> None:
    history = _history().drop(index=4)  # 2024-01-29 is gone; the next row is file row 6
    with pytest.raises(
        PromotionInputError, match=r"^row 6, week: 1 week\(s\) missing for channel 'search' between 2024-01-22 and 2024-02-05"
    ):
        fit_channel_curves(history)


def test_history_with_negative_spend_names_the_row() -> None:
    history = _history()
    history.loc[3, "spend"] = -50.0
    with pytest.raises(PromotionInputError, match=r"^row 5, spend: is negative \(-50\)"):
        fit_channel_curves(history)


def test_cli_fits_saves_and_reports_bad_rows(tmp_path, curves: list[ChannelCurve]) -> None:
    app, models = typer.Typer(), typer.Typer()
    app.add_typer(models, name="models")
    register(models)
    good = tmp_path / "history.csv"
    simulate_history(curves[:2], weeks=20, seed=3).to_csv(good, index=False)
    out = tmp_path / "promotion.json"
    result = CliRunner().invoke(app, ["models", "fit-promotion", str(good), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "social_video" in result.output
    assert [c.name for c in load_channel_curves(out)] == ["search", "social_video"]
    assert json.loads(out.read_text())["diagnostics"][0]["n_weeks"] == 20

    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(good)
    frame.loc[2, "spend"] = -1
    frame.to_csv(bad, index=False)
    result = CliRunner().invoke(app, ["models", "fit-promotion", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "row 4, spend: is negative" in result.output


# --------------------------------------------------------------------------- phasing


def _assert_builds_to_launch(weekly: list[float], name: str) -> None:
    assert weekly == sorted(weekly), f"{name} spends less in a later week: {weekly}"
    assert weekly[-1] == max(weekly), name
    assert weekly[-2] >= max(weekly[:-2]), name


@pytest.mark.parametrize("budget", [250_000, 2_000_000])
def test_decaying_channels_spend_most_in_the_launch_week_and_the_week_before(curves: list[ChannelCurve], budget: float) -> None:
    plan = allocate(budget, 10, curves, n_draws=100)
    funded = [c for c in plan.channels if c.total > 0]
    assert len(funded) >= 2
    decays = {c.name: c.decay for c in curves}
    for channel in funded:
        assert decays[channel.channel] > 0
        _assert_builds_to_launch(channel.weekly_spend, channel.channel)
    assert any("phasing" in a for a in plan.assumptions)


def test_a_channel_whose_data_says_so_may_front_load(curves: list[ChannelCurve]) -> None:
    exempt = {"out_of_home": "our own campaign history"}
    plan = allocate(2_000_000, 10, curves, n_draws=100, front_loaded=exempt, min_spend={"out_of_home": 400_000})
    ooh = next(c for c in plan.channels if c.channel == "out_of_home")
    assert ooh.total > 0 and ooh.weekly_spend[0] > ooh.weekly_spend[-1]  # the optimiser's own choice, left alone
    for channel in plan.channels:
        if channel.channel != "out_of_home" and channel.total > 0:
            _assert_builds_to_launch(channel.weekly_spend, channel.channel)
    assert any("out_of_home (our own campaign history)" in a for a in plan.assumptions)


def test_the_channels_file_states_the_phasing_rule() -> None:
    data = yaml.safe_load(DEFAULT_CHANNELS_PATH.read_text(encoding="utf-8"))
    assert data["phasing"]["rule"] == "build_to_launch"
    assert load_phasing() == {}
