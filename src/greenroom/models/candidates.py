"""Sample, check, select: the best of several answers to the same request.

A small model gives a usable answer to a tightly bounded request most of the
time, and debris or copies the rest of the time, differently on each CPU. The
writer therefore asks for a part, checks the answer deterministically, and asks
again with another seed only while the checks fail (the prompt is the same, so
llama.cpp reuses its cached prefix and a further candidate costs decoding
only). Candidates are ranked by the share of checks they pass, then by their
relevance to the brief (MiniLM cosine similarity) and by how distinct their
lines are; list items can be pooled across candidates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, TypeVar

import numpy as np
from langchain_core.runnables.config import ContextThreadPoolExecutor
from pydantic import BaseModel

from greenroom.core.schemas import CallRecord, CheckResult

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

LLAMACPP_CANDIDATES = 2
"""Answers per request on a llama.cpp model (the embedded default) when the setting is 0 (auto).

Measured with `benchmarks/content_bench.py --seeds 1 --rounds 1` (17 briefs, the writer/editor loop on
SmolLM2-135M, one run per setting on the same machine): 3 answers passed 86.5% of the checks with 6 of 119
fields written from the brief, for a median 5,527 tokens and 29.4 model seconds a loop; 2 answers passed
87.1% with 10 fallback fields, for 4,220 tokens and 19.8 s; 1 answer passed 82.1% with 25 fallback fields,
for 2,438 tokens and 12.0 s. A third answer bought four fields in 119 for a third more tokens and time.
"""
HOSTED_CANDIDATES = 1
"""Answers per request on a hosted model when the setting is 0: it rarely needs another."""
RELEVANCE_WEIGHT = 0.2
"""How much relevance to the brief (cosine, 0-1) adds to a candidate's share of passed checks."""
DISTINCT_WEIGHT = 0.1
"""How much distinctness of its own lines (0-1) adds to a candidate's score."""


LLAMACPP_RATIONALE_CANDIDATES = 0
"""Answers per rationale (the marketer's and pricing agent's explanations) on a llama.cpp model when the setting
is 0: none, the rationale is stated from the numbers.

Measured on SmolLM2-135M: with three answers, none of the marketing or pricing rationales of two full launches
was usable (each answer copied the prompt's facts or added numbers); with one answer and its repair round,
all three rationales of a `make run` fell back, and so did the podcast example's marketing rationale in both
launches profiled, each costing about 2,000 prompt tokens and 5 s. The template stated from the numbers is
what shipped every time, so no answer is asked for (the plan's rationale_error says so: RATIONALE_NOT_ASKED);
a hosted model, or `writer.candidates` set above 0, still writes them. The analyst's summary, which a second
answer often fixes, keeps LLAMACPP_CANDIDATES.
"""


def answers_per_request(structured_mode: str, setting: int, *, rationale: bool = False) -> int:
    """How many answers an agent may draw for one request: the setting, or (setting 0) the model's default,
    which is 0 for a rationale on a llama.cpp model (see LLAMACPP_RATIONALE_CANDIDATES)."""
    if setting:
        return setting
    if structured_mode != "llamacpp":
        return HOSTED_CANDIDATES
    return LLAMACPP_RATIONALE_CANDIDATES if rationale else LLAMACPP_CANDIDATES


def relevance(texts: Sequence[str], query: str) -> list[float]:
    """Cosine similarity of each text to `query` under MiniLM; zeros when the embedding model cannot load."""
    from greenroom.store.embeddings import EmbeddingModelError, embed_texts  # onnxruntime loads only when a writer samples

    if not texts:
        return []
    try:
        vectors = embed_texts([query, *texts])
    except (EmbeddingModelError, OSError) as exc:
        logger.warning("relevance left out: the embedding model did not load (%s)", exc)
        return [0.0] * len(texts)
    return [float(v) for v in np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)]


def distinctness(lines: Sequence[str]) -> float:
    """1 when no two lines look alike, lower as they repeat each other."""
    pairs = [(a, b) for i, a in enumerate(lines) for b in lines[i + 1 :]]
    if not pairs:
        return 1.0
    return 1.0 - max(SequenceMatcher(None, a.lower(), b.lower()).ratio() for a, b in pairs)


@dataclass
class Candidate(Generic[T]):
    """One valid answer, its checks and its score."""

    answer: T
    checks: list[CheckResult]
    score: float

    @property
    def passed_all(self) -> bool:
        """Whether the answer passed every check."""
        return all(c.passed for c in self.checks)


@dataclass
class Sampling(Generic[T]):
    """What sampling one part produced: every valid candidate (best first), the calls, and why any failed."""

    candidates: list[Candidate[T]] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def stuck(self) -> bool:
        """Every one of two or more answers failed the same check: another round of the same request would not
        change the part (the model cannot meet that check), so it is not worth its tokens."""
        if len(self.candidates) < 2:
            return False
        failed = [{c.name for c in candidate.checks if not c.passed} for candidate in self.candidates]
        return bool(set.intersection(*failed))

    @property
    def best(self) -> Candidate[T] | None:
        """The highest-scoring valid candidate, if any."""
        return self.candidates[0] if self.candidates else None


def score(checks: Sequence[CheckResult], lines: Sequence[str], query: str) -> float:
    """Share of checks passed, plus a little for relevance to the brief and distinct lines."""
    passed = sum(c.passed for c in checks) / max(len(checks), 1)
    rel = float(np.mean(relevance(lines, query))) if lines and query else 0.0
    return passed + RELEVANCE_WEIGHT * rel + DISTINCT_WEIGHT * distinctness(lines)


def sample(
    ask: Callable[[int], tuple[T, list[CallRecord]]],
    check: Callable[[T], list[CheckResult]],
    lines: Callable[[T], list[str]],
    *,
    query: str,
    candidates: int,
    errors: tuple[type[Exception], ...],
    at_once: int = 1,
) -> Sampling[T]:
    """Ask up to `candidates` times (the argument is the candidate's index, for its seed), `at_once` at a time
    (a server's parallel slots decode them in one batch), stopping after the first batch with an answer that
    passes every check; return the valid ones ranked best first."""
    result: Sampling[T] = Sampling()
    total = max(candidates, 1)
    batch = max(1, min(at_once, total))
    with ContextThreadPoolExecutor(max_workers=batch) as pool:
        for start in range(0, total, batch):
            jobs = [pool.submit(ask, index) for index in range(start, min(start + batch, total))]
            for job in jobs:  # in index order, whichever finished first
                try:
                    answer, calls = job.result()
                except errors as exc:
                    result.calls += list(getattr(exc, "calls", []))
                    result.errors.append(str(exc))
                    continue
                result.calls += calls
                checks = check(answer)
                result.candidates.append(Candidate(answer, checks, score(checks, lines(answer), query)))
            if any(c.passed_all for c in result.candidates):
                break
    result.candidates.sort(key=lambda c: -c.score)
    return result


def pool(items: Iterable[str], keep: Callable[[str], bool], *, want: int, query: str) -> list[str]:
    """Up to `want` distinct items that pass `keep`, most relevant to the brief first, from every candidate's lines."""
    unique: list[str] = []
    for item in items:
        if keep(item) and all(SequenceMatcher(None, item.lower(), u.lower()).ratio() <= 0.85 for u in unique):
            unique.append(item)
    ranked = sorted(zip(relevance(unique, query), unique, strict=True), key=lambda pair: -pair[0])
    return [item for _, item in ranked[:want]]
