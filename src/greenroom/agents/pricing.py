"""The pricing agent: price points per tier, expected conversion, churn and revenue, offers per segment.

`tools.pricing.recommend_pricing` computes every number from the brief's
business model (a churn model trained on real subscription data, or stated
demand priors). The model explains the numbers it is shown; a rationale that
mentions any other number is rejected (`tools.grounding`), and when the
model's rationale stays unusable the plan states its numbers from the facts
(`rationale_source="template"`). Ad-supported and free titles have no viewer
price, so there is nothing for the model to explain and no call is made.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from greenroom.agents.context import AgentContext
from greenroom.core import numbers
from greenroom.core.brief import Brief
from greenroom.core.market import PricePoint, PricingRecommendation
from greenroom.core.numbers import label, money, sentence
from greenroom.core.plans import RATIONALE_NOT_ASKED, PricingPlan, PricingRationale
from greenroom.core.schemas import CallRecord
from greenroom.core.state import PlanState
from greenroom.models.candidates import answers_per_request
from greenroom.models.llm import ModelHandle
from greenroom.prompts import render
from greenroom.tools.grounding import explain
from greenroom.tools.pricing import recommend_pricing

RATIONALE_MAX_TOKENS = 400
MAX_OFFER_FACTS = 3


def _point(point: PricePoint, currency: str, horizon: int, prospects: int) -> str:
    text = f"{numbers.price(point.price, currency)}: {point.expected_conversion:.1%} of prospects buy"
    revenue = f"revenue {money(point.expected_revenue, currency)} per {prospects:,} prospects"
    if point.expected_monthly_churn is not None:
        return f"{text}, monthly churn {point.expected_monthly_churn:.1%}, {revenue} over {horizon} months"
    return f"{text}, {revenue}"


def pricing_facts(recommendation: PricingRecommendation, prospects: int = 1000) -> list[str]:
    """The pricing numbers in sentences, for the model's prompt and the template rationale."""
    model = label(recommendation.business_model.value)
    if not recommendation.tiers and recommendation.format_note:
        return [f"The title is {model}, but there is {recommendation.format_note}."]
    if not recommendation.tiers:
        earns = "revenue comes from advertising" if model == "ad-supported" else "it earns nothing from viewers directly"
        return [f"The title is {model}: viewers pay nothing, so there is no price to set; {earns}."]
    facts = [f"Tiers left out: {recommendation.format_note}."] if recommendation.format_note else []
    horizon = recommendation.horizon_months
    for tier in recommendation.tiers:
        rec, ref = tier.recommended, tier.reference
        facts.append(f"{sentence(label(tier.tier))} price: recommended {_point(rec, tier.currency, horizon, prospects)}.")
        if rec.price != ref.price:
            facts.append(f"At the usual price of {_point(ref, tier.currency, horizon, prospects)}.")
        prior = tier.prior
        facts.append(f"Demand assumption for {label(tier.tier)}: elasticity {prior.elasticity:.1f} at "
                     f"{numbers.price(prior.reference_price, tier.currency)}.")  # fmt: skip
    offered = [o for o in recommendation.offers if o.recommended][:MAX_OFFER_FACTS]
    currency = recommendation.tiers[0].currency
    for offer in offered:
        facts.append(
            f"Offer {offer.discount:.0%} off for {offer.offer_months} months to {offer.segment} subscribers: "
            f"churn risk {offer.churn_risk:.1%} a month, gain {numbers.price(offer.expected_return, currency)} per subscriber."
        )
    if recommendation.offers and not offered:
        facts.append("No retention offer pays back in any segment.")
    if recommendation.churn_model:
        facts.append(f"Churn comes from a model trained on {recommendation.churn_model.n_customers:,} real subscribers.")
    return facts


def pricing_assumptions(recommendation: PricingRecommendation, currency: str) -> list[str]:
    """The pricing agent's own assumptions: the currency caveat when the brief is not in US dollars."""
    if currency != "USD" and recommendation.tiers:
        return [f"reference prices are US-dollar priors applied to {currency} without conversion"]
    return []


def write_rationale(
    model: ModelHandle, brief: Brief, facts: list[str], has_offers: bool, candidates: int = 1
) -> tuple[PricingRationale | None, str, list[CallRecord]]:
    """The model's explanation of the facts, or None and the reason when it stayed unusable."""
    messages: list[BaseMessage] = [
        SystemMessage(render("common/system.j2")),
        HumanMessage(render("pricing/rationale.j2", brief=brief, facts=facts, has_offers=has_offers)),
    ]
    return explain(model, messages, PricingRationale, facts, agent="pricing", max_tokens=RATIONALE_MAX_TOKENS,
                   candidates=candidates)  # fmt: skip


def price(state: PlanState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Price the title with the pricing engine, then have the model explain the numbers."""
    brief = state["brief"]
    assumptions = state.get("pricing_assumptions")
    currency = brief.budget.currency
    recommendation = recommend_pricing(brief.business_model, assumptions, currency=currency, fmt=brief.format)
    facts = pricing_facts(recommendation, assumptions.prospects if assumptions else 1000)
    calls: list[CallRecord] = []
    rationale, error = None, "no viewer price, so nothing for the model to explain"
    if recommendation.tiers:
        has_offers = any(o.recommended for o in recommendation.offers)
        model = runtime.context.model
        answers = answers_per_request(model.structured_mode, runtime.context.writer_candidates, rationale=True)
        if answers:
            rationale, error, calls = write_rationale(model, brief, facts, has_offers, answers)
        else:
            error = RATIONALE_NOT_ASKED
    plan = PricingPlan(
        recommendation=recommendation,
        currency=currency,
        added_assumptions=pricing_assumptions(recommendation, currency),
        rationale=rationale.rationale if rationale else " ".join(facts),
        rationale_source="model" if rationale else "template",
        rationale_error=error,
    )
    return {"pricing_plan": plan, "calls": calls}
