"""Comparable titles for a brief: nearest in the catalog, diversified, each with a reason.

`find_comparables(brief, catalog)` embeds the brief's logline, genres and
tone, fetches about four times as many candidates as asked, and picks `k` of
them by maximal marginal relevance (relevance to the brief against similarity
to those already picked), so the list is not eight sequels of one film.
Every comparable carries a short deterministic `why`.
"""

from __future__ import annotations

import re

import numpy as np

from greenroom.core.analysis import Comparable
from greenroom.core.brief import Brief
from greenroom.core.vocabulary import genre_names
from greenroom.store.catalog import Catalog, Hit, Title

CANDIDATES_PER_RESULT = 4
"""Candidates fetched per comparable returned, for MMR to choose from."""
MMR_LAMBDA = 0.7
"""Weight of relevance against diversity in MMR (1.0 = relevance only)."""
GENRE_BONUS = 0.1
"""Added to a candidate's relevance (not its reported similarity) times the share of the brief's genres it has."""
MAX_TERMS = 3
"""Matching terms named in `why`."""

_STOPWORD_TEXT = """
about above after again against also among an and another any are around as at away back be because been before being
between both but by can could did does doing down during each even every few film for from further genres had has have
having her here hers him his how into is its itself just last like made make many more most much must never next not now
off once one only onto other our ours out over own same she should since some such than that the their theirs them then
there these they this those through tone too under until upon very was were what when where which while who whom why
will with within without would year years you your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def brief_query(brief: Brief) -> str:
    """The text embedded for a brief: logline, genres, tone, in the catalog documents' style."""
    parts = [brief.logline.rstrip(".") + ".", f"Genres: {', '.join(genre_names(brief.genres))}."]
    if brief.tone:
        parts.append(f"Tone: {brief.tone}.")
    return " ".join(parts)


def _terms(text: str) -> list[str]:
    """Content words in order of appearance (lower case, 4+ letters, no stop words, plural 's' dropped)."""
    words = (w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{3,}", text))
    stems = (w[:-1] if w.endswith("s") and not w.endswith("ss") else w for w in words)
    return list(dict.fromkeys(w for w in stems if w not in _STOPWORDS))


def _genre_overlap(brief: Brief, title: Title) -> float:
    """Share of the brief's genres that the title has, 0-1."""
    genres = genre_names(brief.genres)
    return sum(g in title.genres for g in genres) / len(genres)


def explain(brief: Brief, title: Title) -> str:
    """A short deterministic reason the title compares with the brief."""
    reasons: list[str] = []
    brief_genres = genre_names(brief.genres)
    shared = [g for g in brief_genres if g in title.genres]
    if shared:
        reasons.append(f"shares {', '.join(shared)}")
    era = f"{title.year // 10 * 10}s"
    years_before = brief.release.earliest.year - title.year
    reasons.append(f"{era} release" + (f", {years_before} years before this one" if years_before > 0 else ""))
    brief_terms = _terms(f"{brief.logline} {brief.tone}")
    title_terms = set(_terms(title.document()))
    matching = [t for t in brief_terms if t in title_terms][:MAX_TERMS]
    if matching:
        reasons.append(f"matching terms: {', '.join(matching)}")
    return "; ".join(reasons)


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Indices of k items chosen by maximal marginal relevance (vectors must be unit length)."""
    if len(relevance) == 0:
        return []
    pairwise = vectors @ vectors.T
    chosen = [int(np.argmax(relevance))]
    redundancy = pairwise[chosen[0]].copy()
    while len(chosen) < min(k, len(relevance)):
        score = lam * relevance - (1 - lam) * redundancy
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        redundancy = np.maximum(redundancy, pairwise[best])
    return chosen


def _comparable(brief: Brief, hit: Hit) -> Comparable:
    title = hit.title
    if title.rotten_tomatoes is not None:
        score, kind = title.rotten_tomatoes, "rotten_tomatoes"
    elif title.metacritic is not None:
        score, kind = title.metacritic, "metacritic"
    else:
        score, kind = None, None
    return Comparable(
        id=title.id,
        title=title.title,
        year=title.year,
        genres=title.genres,
        similarity=round(hit.similarity, 4),
        critic_score=score,
        critic_source=kind,  # type: ignore[arg-type]
        box_office=title.box_office,
        why=explain(brief, title),
        source=title.source,
    )


def find_comparables(
    brief: Brief, catalog: Catalog, k: int = 8, lam: float = MMR_LAMBDA, tenant: str | None = None
) -> list[Comparable]:
    """The k catalog titles most like the brief, diversified by MMR, best first; a `tenant` sees shared titles and its own."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    query = brief_query(brief)
    wanted = k * CANDIDATES_PER_RESULT
    # Filter by format only where the catalog has the brief's format (a film catalog holds films only).
    hits = catalog.similar(query, k=wanted, format=brief.format, with_embeddings=True, tenant=tenant)
    if not hits:
        hits = catalog.similar(query, k=wanted, with_embeddings=True, tenant=tenant)
    if not hits:
        return []
    relevance = np.array([h.similarity + GENRE_BONUS * _genre_overlap(brief, h.title) for h in hits])
    vectors = np.array([h.embedding for h in hits], dtype=np.float32)
    return [_comparable(brief, hits[i]) for i in mmr(relevance, vectors, k, lam)]
