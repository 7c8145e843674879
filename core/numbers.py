"""Numbers and vocabulary names as a person reads them, shared by every output: reports, chat, CLI and Slack."""

from __future__ import annotations

import math


def amount(value: float, unit: str = "") -> str:
    """A large amount or count rounded for reading: 21,428,092.4 → '21.4 million', 322,343.2 → '322,000', 12.5 → '12.5'.

    Three significant figures; millions and billions in words. `unit` follows after a space.
    """
    if value and math.isfinite(value):
        value = round(value, 2 - math.floor(math.log10(abs(value))))
    size = abs(value)
    if size >= 1e9:
        text = f"{value / 1e9:.3g} billion"
    elif size >= 1e6:
        text = f"{value / 1e6:.3g} million"
    elif size >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}" if unit else text


_ABBREVIATIONS = {"vod": "VOD", "svod": "SVOD", "avod": "AVOD", "tvod": "TVOD", "ott": "OTT", "imdb": "IMDb"}


def label(value: str) -> str:
    """A vocabulary name as words: 'premium_vod' → 'premium VOD'."""
    return " ".join(_ABBREVIATIONS.get(word, word) for word in value.replace("_", " ").split(" "))
