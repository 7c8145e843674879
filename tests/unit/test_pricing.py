"""Pricing engine: the recommendation sits on the curve's peak, priors move it, tiers fit the format, clear errors."""

from __future__ import annotations

import pytest

from greenroom.agents.pricing import pricing_facts
from greenroom.core.brief import Format
from greenroom.core.market import DEFAULT_PRIORS, PricingAssumptions
from greenroom.tools.pricing import (
    TIERS_BY_MODEL,
    ChurnModel,
    PricingInputError,
    format_tiers,
    recommend_pricing,
    train_churn_model,
)


@pytest.fixture(scope="session")
def churn_model() -> ChurnModel:
    return train_churn_model()


def test_churn_model_is_trained_on_wa_churn_and_predicts(churn_model: ChurnModel) -> None:
    assert churn_model.info.n_customers == 7043
    assert churn_model.info.holdout_auc > 0.75
    assert churn_model.info.price_log_odds_per_dollar > 0


def test_subscription_recommendation_is_the_peak_of_its_revenue_curve(churn_model: ChurnModel) -> None:
    plan = recommend_pricing("subscription", churn_model=churn_model)
    tier = plan.tiers[0]
    peak_price, peak_revenue = max(tier.curve, key=lambda point: point[1])
    assert tier.recommended.price == peak_price
    assert tier.recommended.expected_revenue == pytest.approx(peak_revenue, abs=0.01)
    assert tier.recommended.expected_revenue >= tier.reference.expected_revenue
    churns = [p.expected_monthly_churn for p in tier.points]
    assert churns == sorted(churns), "dearer plans should churn more"


@pytest.mark.parametrize("model", ["transactional", "theatrical"])
def test_one_off_prices_peak_where_the_curve_peaks(model: str) -> None:
    for tier in recommend_pricing(model).tiers:
        assert tier.recommended.price == max(tier.curve, key=lambda point: point[1])[0]
        assert tier.recommended.expected_monthly_churn is None


def test_a_more_elastic_prior_lowers_the_rental_price() -> None:
    base = recommend_pricing("transactional").tiers[0]
    priors = dict(DEFAULT_PRIORS)
    priors["rental"] = DEFAULT_PRIORS["rental"].model_copy(update={"elasticity": 2.0})
    elastic = recommend_pricing("transactional", PricingAssumptions(priors=priors)).tiers[0]
    assert base.tier == elastic.tier == "rental"
    assert elastic.recommended.price < base.recommended.price
    assert elastic.recommended.price == pytest.approx(5.99 / 2.0, abs=0.6)  # exponential demand peaks at reference / elasticity


def test_subscribers_objective_keeps_revenue_above_the_floor(churn_model: ChurnModel) -> None:
    assumptions = PricingAssumptions(objective="subscribers", revenue_floor=0.9)
    tier = recommend_pricing("subscription", assumptions, churn_model=churn_model).tiers[0]
    peak_price, peak_revenue = max(tier.curve, key=lambda point: point[1])
    assert tier.recommended.price <= peak_price
    assert tier.recommended.expected_revenue >= 0.9 * peak_revenue


def test_baseline_churn_calibrates_the_model(churn_model: ChurnModel) -> None:
    plan = recommend_pricing("subscription", PricingAssumptions(baseline_monthly_churn=0.05), churn_model=churn_model)
    assert plan.tiers[0].reference.expected_monthly_churn == pytest.approx(0.05, abs=1e-4)
    assert plan.churn_model is not None and plan.churn_model.calibration_shift < 0


def test_offers_cover_every_segment_and_only_recommend_paying_ones(churn_model: ChurnModel) -> None:
    offers = recommend_pricing("subscription", churn_model=churn_model).offers
    assert len(offers) == 6
    assert sum(o.share_of_customers for o in offers) == pytest.approx(1.0)
    risky = max(offers, key=lambda o: o.churn_risk)
    assert risky.segment.startswith("Month-to-month, new")
    average = churn_model.churn_at(1.0)
    for offer in offers:
        assert offer.expected_return == pytest.approx(offer.revenue_with_offer - offer.revenue_without_offer)
        assert offer.recommended == (offer.expected_return > 0 and offer.churn_risk > average)


def test_ad_supported_has_no_viewer_price() -> None:
    plan = recommend_pricing("ad_supported")
    assert plan.tiers == [] and "no price to set" in plan.assumptions[-1]


def test_unknown_business_model_is_a_clear_error() -> None:
    with pytest.raises(PricingInputError, match=r"^business_model: 'barter' is not one of subscription"):
        recommend_pricing("barter")


# --------------------------------------------------------------------------- tiers by format


def test_a_game_is_bought_not_rented() -> None:
    game = recommend_pricing("transactional", fmt="game")
    assert [t.tier for t in game.tiers] == ["purchase"]
    assert "not rented" in game.format_note and any("tiers by format" in a for a in game.assumptions)
    film = recommend_pricing("transactional", fmt="film")
    assert [t.tier for t in film.tiers] == ["rental", "purchase"] and film.format_note == ""


def test_an_article_is_free_or_by_subscription_never_rented_or_bought(churn_model: ChurnModel) -> None:
    article = recommend_pricing("transactional", fmt="article")
    assert article.tiers == []
    facts = pricing_facts(article)
    assert facts == [f"The title is transactional, but there is {article.format_note}."]
    assert "no rental or purchase price for an article" in facts[0]
    assert [t.tier for t in recommend_pricing("subscription", fmt="article", churn_model=churn_model).tiers] == ["monthly"]


def test_every_format_states_its_tiers_and_why() -> None:
    rules = format_tiers()
    assert set(rules) == set(Format)
    known = {t for tiers in TIERS_BY_MODEL.values() for t in tiers}
    for fmt, (tiers, reason) in rules.items():
        assert set(tiers) <= known and reason, fmt


def test_an_unknown_format_is_named() -> None:
    with pytest.raises(PricingInputError, match=r"^format: 'hologram' is not one of film"):
        recommend_pricing("transactional", fmt="hologram")
