"""The seed catalog's vectors, computed once and shipped with the project.

Embedding the 17,472 seed films takes minutes on two cores; the vectors never
change while the model and the seed data stay the same, so
`greenroom catalog build-vectors` embeds them once and writes
`store/data/seed_vectors.npz`: each vector as int8 with its own scale (about
7 MB; cosine to the float32 vector above 0.9999), the titles' ids, and a
fingerprint of the inputs (the pinned model and tokenizer sums, the number of
titles and a sha256 of every id and embedded text).

`load_seed_vectors(titles)` trusts the file only when its fingerprint matches
the titles being seeded and a small random sample, embedded afresh, points the
same way (cosine at least MIN_SAMPLE_COSINE); otherwise it says why, and the
caller embeds as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from greenroom.store.catalog import Title
from greenroom.store.embeddings import DIMENSION, MODEL_ID, MODEL_SHA256, TOKENIZER_SHA256, embed_texts

SEED_VECTORS_PATH = Path(__file__).resolve().parent / "data" / "seed_vectors.npz"
"""Where the shipped vectors live (package data of greenroom.store)."""
FORMAT_VERSION = 1
"""Bumped when the file's layout changes; an older file is then re-embedded."""
SAMPLE_SIZE = 8
"""Titles re-embedded on load to check the shipped vectors against the model in use."""
MIN_SAMPLE_COSINE = 0.99
"""A sampled title whose fresh vector is further than this from the shipped one rejects the file."""

Embedder = Callable[[list[str]], np.ndarray]
"""Texts to unit vectors, (len(texts), DIMENSION) float32."""


def fingerprint(titles: Sequence[Title]) -> dict[str, str | int]:
    """What the vectors were computed from: model, tokenizer, row count and a hash of every id and document."""
    digest = hashlib.sha256()
    for title in titles:
        digest.update(title.id.encode("utf-8") + b"\x1f" + title.document().encode("utf-8") + b"\x1e")
    return {
        "format": FORMAT_VERSION,
        "model_id": MODEL_ID,
        "model_sha256": MODEL_SHA256,
        "tokenizer_sha256": TOKENIZER_SHA256,
        "rows": len(titles),
        "documents_sha256": digest.hexdigest(),
    }


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors as int8 codes and one float32 scale per row (code * scale ~ vector)."""
    peak = np.abs(vectors).max(axis=1, keepdims=True)
    scales = np.clip(peak, 1e-12, None) / 127.0
    codes = np.clip(np.rint(vectors / scales), -127, 127).astype(np.int8)
    return codes, scales[:, 0].astype(np.float32)


def dequantize(codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Back to float32 unit vectors (renormalised, so cosine distances stay in range)."""
    vectors = codes.astype(np.float32) * scales[:, None]
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)


def row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of each row of `a` with the same row of `b`."""
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.asarray((a * b).sum(axis=1) / np.clip(norms, 1e-12, None))


@dataclass(frozen=True)
class WrittenVectors:
    """What write_seed_vectors wrote."""

    path: Path
    rows: int
    bytes: int
    min_cosine: float
    mean_cosine: float


def write_seed_vectors(titles: Sequence[Title], vectors: np.ndarray, path: Path = SEED_VECTORS_PATH) -> WrittenVectors:
    """Store `vectors` (one per title, in order) quantised, with the inputs' fingerprint."""
    if vectors.shape != (len(titles), DIMENSION):
        raise ValueError(f"expected {len(titles)} vectors of {DIMENSION}, got an array of shape {vectors.shape}")
    codes, scales = quantize(vectors)
    cosines = row_cosines(dequantize(codes, scales), vectors)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            codes=codes,
            scales=scales,
            ids=np.array([t.id for t in titles]),
            fingerprint=np.array(json.dumps(fingerprint(titles), sort_keys=True)),
        )
    return WrittenVectors(
        path=path,
        rows=len(titles),
        bytes=path.stat().st_size,
        min_cosine=float(cosines.min()) if len(cosines) else 1.0,
        mean_cosine=float(cosines.mean()) if len(cosines) else 1.0,
    )


@dataclass(frozen=True)
class LoadedVectors:
    """The shipped vectors for the titles being seeded, or why they cannot be used."""

    vectors: dict[str, np.ndarray] | None
    reason: str

    @property
    def usable(self) -> bool:
        """True when every title has a verified vector."""
        return self.vectors is not None


def load_seed_vectors(
    titles: Sequence[Title],
    path: Path = SEED_VECTORS_PATH,
    sample_size: int = SAMPLE_SIZE,
    embed: Embedder | None = None,
    rng: np.random.Generator | None = None,
) -> LoadedVectors:
    """The shipped vector of every title, once the file matches `titles` and a fresh sample agrees with it."""
    if not path.is_file():
        return LoadedVectors(None, f"no precomputed vectors at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = json.loads(str(data["fingerprint"]))
            ids = [str(i) for i in data["ids"]]
            codes, scales = data["codes"], data["scales"]
    except (OSError, ValueError, KeyError) as exc:
        return LoadedVectors(None, f"the precomputed vectors at {path} could not be read ({exc})")
    expected = fingerprint(titles)
    if stored != expected:
        changed = sorted(key for key in expected if stored.get(key) != expected[key])
        return LoadedVectors(None, f"the precomputed vectors were made from different inputs ({', '.join(changed)} changed)")
    if ids != [t.id for t in titles] or codes.shape != (len(titles), DIMENSION) or scales.shape != (len(titles),):
        return LoadedVectors(None, "the precomputed vectors file does not line up with the seed titles")
    vectors = dequantize(codes, scales)
    if titles and sample_size > 0:
        picked = (rng or np.random.default_rng()).choice(len(titles), size=min(sample_size, len(titles)), replace=False)
        fresh = (embed or embed_texts)([titles[int(i)].document() for i in picked])
        worst = float(row_cosines(fresh, vectors[picked]).min())
        if worst < MIN_SAMPLE_COSINE:
            return LoadedVectors(
                None,
                f"the precomputed vectors disagree with the model in use (sample cosine {worst:.3f}, needs {MIN_SAMPLE_COSINE})",
            )
    return LoadedVectors({title.id: vectors[i] for i, title in enumerate(titles)}, "precomputed vectors, checked")


def build_seed_vectors(titles: Sequence[Title], path: Path = SEED_VECTORS_PATH) -> WrittenVectors:
    """Embed `titles` with the pinned model (minutes for the whole seed) and write them to `path`."""
    return write_seed_vectors(titles, embed_texts([t.document() for t in titles]), path)
