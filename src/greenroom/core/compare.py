"""Two versions of a launch package side by side: the brief fields a revision changed and the key numbers.

A what-if ("what if we had half the budget?") builds a new version beside the
current one; `compare` says what differs, in the words and rounding of the
report, for the chat and the report alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from greenroom.core.numbers import amount, label, money, price

if TYPE_CHECKING:
    from greenroom.core.analysis import Estimate
    from greenroom.core.package import LaunchPackage


class Change(BaseModel):
    """One line of a comparison: a brief field or a key number, before and after."""

    name: str = Field(..., description="What is compared, in words, e.g. 'budget amount' or 'people reached'.")
    before: str = Field(..., description="The earlier version's value ('—' when it had none).")
    after: str = Field(..., description="The later version's value ('—' when it has none).")
    kind: str = Field(..., description="'brief' for a field the revision changed, 'number' for a key number.")

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _estimate(estimate: Estimate, currency: str = "") -> str:
    show = (lambda value: money(value, currency)) if currency else amount
    return f"{show(estimate.point)} ({show(estimate.lower)} – {show(estimate.upper)})"


def _stage(point: float, low: float, high: float) -> str:
    return f"{amount(point)} ({amount(low)} – {amount(high)})"


def key_numbers(package: LaunchPackage) -> dict[str, str]:
    """The numbers a producer compares first, named as the report names them."""
    promo = package.promotion_plan.allocation
    reach = promo.expected_reach
    numbers = {
        "launch date": f"{package.release_plan.chosen.start:%d %b %Y}",
        "promotion budget": money(promo.budget, promo.currency),
        "people reached": f"{amount(reach.expected)} ({amount(reach.low)} – {amount(reach.high)})"
        if package.funnel is None
        else _stage(
            package.funnel.stage("reached").point, package.funnel.stage("reached").low, package.funnel.stage("reached").high
        ),
    }
    forecast = package.audience.forecast
    if forecast is not None and forecast.votes is not None:
        numbers["IMDb votes (interest)"] = _estimate(forecast.votes)
    if forecast is not None and forecast.box_office is not None:
        numbers["box office"] = _estimate(forecast.box_office, "USD")
    for tier in package.pricing_plan.recommendation.tiers:
        numbers[f"{label(tier.tier)} price"] = price(tier.recommended.price, tier.currency)
    return numbers


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flat(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}


def _value(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return amount(value)
    return str(value)


def _name(dotted: str) -> str:
    return dotted.replace(".", " ").replace("_", " ")


def compare(old: LaunchPackage, new: LaunchPackage) -> list[Change]:
    """The brief fields that differ, then every key number of either version."""
    before, after = _flat(old.brief.model_dump(mode="json")), _flat(new.brief.model_dump(mode="json"))
    changes = [
        Change(name=_name(key), before=_value(before.get(key)), after=_value(after.get(key)), kind="brief")
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    ]
    old_numbers, new_numbers = key_numbers(old), key_numbers(new)
    for name in dict.fromkeys([*old_numbers, *new_numbers]):
        changes.append(Change(name=name, before=old_numbers.get(name, "—"), after=new_numbers.get(name, "—"), kind="number"))
    return changes


def describe(old: LaunchPackage, new: LaunchPackage) -> list[str]:
    """The comparison in lines for a chat or a summary: what the revision changed, then the key numbers."""
    lines = [f"Version {new.version} beside version {old.version}:"]
    changes = compare(old, new)
    if not any(c.kind == "brief" and c.changed for c in changes):  # no number can have moved: say so once, list none
        moved = [c for c in changes if c.changed]
        lines.append("The brief did not change" + (", so the key numbers are as they were; only the words were revised."
                                                     if not moved else "; these numbers moved:"))  # fmt: skip
        lines += [f"• {c.name}: {c.before} → {c.after}" for c in moved]
        return lines
    for change in changes:
        if change.changed:
            lines.append(f"• {change.name}: {change.before} → {change.after}")
        else:
            lines.append(f"• {change.name}: {change.after} (unchanged)")
    return lines
