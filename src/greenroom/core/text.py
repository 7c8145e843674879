"""Text the model writes, constrained so that JSON debris cannot get in.

Every string field of every schema the model fills is one of these types.
`plain_text` writes the rule into the JSON schema as a `pattern`, which
llama.cpp's server turns into grammar: the string starts with a letter or a
digit, and holds no brackets, braces, angle brackets, quotes, backslashes
or line breaks. The length goes into the pattern as well, since the grammar
follows a string's `pattern` and then ignores its length keywords.

Measured on SmolLM2-135M: without the pattern the model starts
strings with debris (`"]\n,\n,"`, `] { taglines: [`) that passes a plain JSON
grammar, and the same prompt gives debris on one CPU and prose on another.
With the pattern the grammar cannot produce it on any CPU.
"""

from __future__ import annotations

import re
from typing import Annotated, TypeAlias

from pydantic import StringConstraints

FORBIDDEN = '[]{}<>"\\\n\r\t'
"""Characters no model-written string may hold."""


def plain_text(min_chars: int, max_chars: int) -> StringConstraints:
    """Constraints for a bounded string that starts with a letter or a digit and holds none of FORBIDDEN."""
    pattern = rf'^[A-Za-z0-9][^\[\]{{}}<>"\\\n\r\t]{{{min_chars - 1},{max_chars - 1}}}$'
    return StringConstraints(strip_whitespace=True, min_length=min_chars, max_length=max_chars, pattern=pattern)


def to_plain(text: str, max_chars: int) -> str:
    """`text` made to fit a plain-text field: forbidden characters dropped, first letter capitalised, cut at a word."""
    cleaned = " ".join(re.sub(r"[\[\]{}<>\"\\]", " ", text).split())
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)
    if cleaned[:1].islower():
        cleaned = cleaned[0].upper() + cleaned[1:]
    if len(cleaned) > max_chars:
        cut = cleaned[: max_chars + 1].rsplit(" ", 1)[0]
        cleaned = (cut if len(cut) >= max_chars // 2 else cleaned[:max_chars]).rstrip(" ,;:-")
    return cleaned


Headline: TypeAlias = Annotated[str, plain_text(10, 160)]
Summary: TypeAlias = Annotated[str, plain_text(40, 700)]
Logline: TypeAlias = Annotated[str, plain_text(20, 220)]
Synopsis: TypeAlias = Annotated[str, plain_text(80, 900)]
Heading: TypeAlias = Annotated[str, plain_text(2, 70)]
PartSummary: TypeAlias = Annotated[str, plain_text(10, 260)]
Tagline: TypeAlias = Annotated[str, plain_text(8, 90)]
AdLine: TypeAlias = Annotated[str, plain_text(15, 180)]
Tag: TypeAlias = Annotated[str, plain_text(2, 30)]
Note: TypeAlias = Annotated[str, plain_text(5, 200)]
RationaleText: TypeAlias = Annotated[str, plain_text(40, 480)]
AdLineShort: TypeAlias = Annotated[str, plain_text(8, 60)]
AdLineMedium: TypeAlias = Annotated[str, plain_text(12, 120)]
AdLineLong: TypeAlias = Annotated[str, plain_text(20, 200)]
