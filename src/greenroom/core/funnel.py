"""The audience funnel: from the territories' people to revenue, one stage after another.

One funnel per brief, built by `tools.funnel.build_funnel` from the population, the
promotion allocation and the pricing plan. Every stage has a point, an interval, its
unit, where it comes from and the assumptions that drive it; no stage exceeds the one
before it, and revenue is the paying viewers times the revenue per paying viewer.
The marketer, the pricing agent and the report all read this one funnel.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

StageName = Literal["population", "addressable", "reached", "viewers", "paying", "revenue"]


class TerritoryPeople(BaseModel):
    """People of one territory in the audience's age band."""

    territory: str = Field(..., description="The territory as the brief names it.")
    code: str = Field(..., description="ISO 3166 alpha-2 code, or empty when the territory is not a country.")
    name: str = Field(..., description="Country name.")
    population: float = Field(..., ge=0, description="Whole population in `year`.")
    year: int = Field(..., description="Year of the population figure.")
    age_share: float = Field(..., ge=0, le=1, description="Share of the population in the audience's age band.")
    age_shares_of: str = Field(..., description="Whose age shares were used: the country's code, or world.")
    people: float = Field(..., ge=0, description="population x age_share.")


class PopulationCount(BaseModel):
    """The territories' people in the audience's age band, with the sources of both numbers."""

    territories: list[TerritoryPeople] = Field(..., description="One row per territory found.")
    unknown: list[str] = Field(default_factory=list, description="Territories that are not countries the data knows.")
    age_min: int = Field(..., description="Youngest age counted.")
    age_max: int = Field(..., description="Oldest age counted.")
    people: float = Field(..., ge=0, description="Sum of the territories' people in the age band.")
    by_band: list[tuple[int, int, float]] = Field(
        ..., description="(first age, last age, people) per age band inside the audience's range, summed over territories."
    )
    source: str = Field(..., description="Population and age-share sources, with the year.")
    notes: list[str] = Field(default_factory=list, description="What a reader should know: world shares used, unknown places.")


class FunnelStage(BaseModel):
    """One stage of the funnel: how many, the interval, and why."""

    name: StageName = Field(..., description="Stage key.")
    label: str = Field(..., description="The stage in words, e.g. 'people reached (unique)'.")
    point: float = Field(..., ge=0, description="Central value.")
    low: float = Field(..., ge=0, description="Lower end of the interval.")
    high: float = Field(..., ge=0, description="Upper end of the interval.")
    unit: str = Field(..., description="people, or a currency code.")
    interval: str = Field(..., description="What the interval is, e.g. 'range of the stated interest share'.")
    source: str = Field(..., description="Where the number comes from.")
    assumptions: list[str] = Field(default_factory=list, description="The assumptions that drive it, in words.")


class AudienceFunnel(BaseModel):
    """Population -> addressable audience -> unique reach -> viewers -> paying viewers -> revenue."""

    stages: list[FunnelStage] = Field(..., description="Every stage, widest first.")
    population: PopulationCount = Field(..., description="The territories' people in the age band.")
    interest_share: float = Field(..., ge=0, le=1, description="Share of those people who take up the format.")
    frequency: float = Field(..., ge=0, description="Average times a reached person is reached: gross impressions / reach.")
    frequency_cap: float | None = Field(None, description="Most average impressions per reached person the plan allowed.")
    gross_impressions: float = Field(..., ge=0, description="Impressions bought, counting every repeat: not people.")
    revenue_per_paying: float = Field(..., ge=0, description="What one paying viewer pays: the price, or price x months.")
    currency: str = Field(..., description="Currency of revenue.")
    box_office_check: str = Field(
        "", description="How the box office model's forecast compares with the funnel, when it has one."
    )

    def stage(self, name: StageName) -> FunnelStage:
        """The stage called `name`."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)
