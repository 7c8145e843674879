"""Numbers and vocabulary names as a person reads them, shared by every output: reports, chat, CLI and Slack.

Counts are written with 'million' and 'billion' in words (`amount`), money in whole units or three
significant figures with K, M or B (`money`), prices to the cent (`price`), a number as typed
(`exact`); `interfaces.outputs` builds the report's wording on these, and the agents' facts, the chat
and the CLI use them too: no other module formats money or counts its own way.
"""

from __future__ import annotations

import math


def _three_figures(value: float) -> float:
    """The value rounded to three significant figures (0 and non-finite values as they are)."""
    if value and math.isfinite(value):
        return round(value, 2 - math.floor(math.log10(abs(value))))
    return value


def amount(value: float, unit: str = "") -> str:
    """A large count rounded for reading: 21,428,092.4 → '21.4 million', 322,343.2 → '322,000', 12.5 → '12.5'.

    Three significant figures; millions and billions in words. `unit` follows after a space. Money has `money`.
    """
    value = _three_figures(value)
    size = abs(value)
    if not math.isfinite(value):
        text = "—"
    elif size >= 1e9:
        text = f"{value / 1e9:.3g} billion"
    elif size >= 1e6:
        text = f"{value / 1e6:.3g} million"
    elif size >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}" if unit else text


def compact(value: float) -> str:
    """A number in three significant figures with K, M, B or T from a thousand up: 21,428,092.4 → '21.4M', 850 → '850'.

    For chart axes and money; counts in sentences use `amount`.
    """
    if not math.isfinite(value):
        return "—"
    rounded = _three_figures(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(rounded) >= limit:
            return f"{rounded / limit:.3g}{suffix}"
    return f"{rounded:.3g}"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
"""Currencies written with a symbol; any other is written as its code before the figure ('CAD 21.4M')."""


def _with_currency(text: str, currency: str) -> str:
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency.upper()} {text}".strip()


def money(value: float, currency: str = "") -> str:
    """An amount of money for reading: whole units below 10,000, three significant figures with K, M or B above.

    21,428,092.4 USD → '$21.4M'; 250,000 → '$250K'; 62,500 → '$62.5K'; 4,321.6 → '$4,322'; 999,960 → '$1M';
    a currency without a symbol leads with its code: 'CAD 21.4M'.
    """
    if not math.isfinite(value):
        return "—"
    text = compact(value) if abs(_three_figures(value)) >= 1e4 else f"{value:,.0f}"
    return _with_currency(text, currency)


def price(value: float, currency: str = "") -> str:
    """A price a viewer pays, to the cent: 11.99 USD → '$11.99'; 4.5 CAD → 'CAD 4.50'."""
    return _with_currency(f"{value:,.2f}", currency) if math.isfinite(value) else "—"


_ABBREVIATIONS = {"vod": "VOD", "svod": "SVOD", "avod": "AVOD", "tvod": "TVOD", "ott": "OTT", "imdb": "IMDb"}


def label(value: str) -> str:
    """A vocabulary name as words: 'premium_vod' → 'premium VOD', 'checks+model' → 'checks and model',
    'ad_supported' → 'ad-supported'."""
    value = value.replace("+", " and ").replace("_", " ")
    text = " ".join(_ABBREVIATIONS.get(word, word) for word in value.split())
    return text.replace("ad supported", "ad-supported")


def sentence(value: str) -> str:
    """The text with its first letter capitalised and the rest untouched (unlike `str.capitalize`): 'premium VOD'."""
    return value[:1].upper() + value[1:]


def exact(value: float) -> str:
    """A number as a person typed it, with thousands separators and no rounding: 250000 → '250,000', 2.5 → '2.5'."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
