"""The shipped seed vectors: used when they match, refused (and the titles embedded) when they do not."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import chromadb
import numpy as np

from greenroom.store.catalog import Catalog
from greenroom.store.embeddings import MiniLMEmbedding, embed_texts
from greenroom.store.seed import SEED_SOURCE, ensure_seeded, load_seed_titles
from greenroom.store.seed_vectors import dequantize, load_seed_vectors, quantize, row_cosines, write_seed_vectors

ROWS = [
    (1, "tt1", "Storm Warning", 1951, "Drama, Thriller"),
    (2, "tt2", "Noise", 2007, "Comedy"),
    (3, "tt3", "Space Station Nine", 1989, "Sci-Fi, Horror"),
    (4, "tt4", "The Long Summer", 1972, "Romance"),
]


def _movies_db(path: Path, rows: list[tuple]) -> Path:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE omdb (ID INTEGER, imdbID TEXT, Title TEXT, Year INTEGER, Rating TEXT, Genre TEXT, Director TEXT, "
        'Writer TEXT, "Cast" TEXT, Metacritic INTEGER, Language TEXT, Country TEXT, Awards TEXT)'
    )
    conn.execute("CREATE TABLE tomatoes (ID INTEGER, Meter INTEGER, BoxOffice REAL)")
    for id_, imdb, title, year, genre in rows:
        conn.execute(
            "INSERT INTO omdb VALUES (?, ?, ?, ?, 'PG', ?, 'A Director', '', '', NULL, 'English', 'USA', NULL)",
            (id_, imdb, title, year, genre),
        )
        conn.execute("INSERT INTO tomatoes VALUES (?, NULL, NULL)", (id_,))
    conn.commit()
    conn.close()
    return path


class CountingEmbedding(MiniLMEmbedding):
    """The catalog's embedding function, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def __call__(self, input: list[str]) -> list[np.ndarray]:  # type: ignore[override]
        self.embedded += len(input)
        return super().__call__(input)


def _catalog() -> tuple[Catalog, CountingEmbedding]:
    embedding = CountingEmbedding()
    client = chromadb.EphemeralClient(settings=chromadb.Settings(anonymized_telemetry=False))
    return Catalog(client, f"seed-{uuid.uuid4().hex[:8]}", embedding=embedding), embedding


def test_matching_vectors_are_inserted_without_embedding_the_titles(tmp_path: Path) -> None:
    db = _movies_db(tmp_path / "movies.db", ROWS)
    titles = load_seed_titles(db)
    vectors = tmp_path / "vectors.npz"
    write_seed_vectors(titles, embed_texts([t.document() for t in titles]), vectors)
    catalog, embedding = _catalog()
    report = ensure_seeded(catalog, path=db, vectors_path=vectors)
    assert (report.added, catalog.count(source=SEED_SOURCE), embedding.embedded) == (4, 4, 0)
    assert report.vectors.startswith("precomputed")
    assert catalog.similar("astronauts and a monster aboard an orbiting station", k=1)[0].title.title == "Space Station Nine"


def test_vectors_that_disagree_with_the_model_are_refused_and_the_titles_embedded(tmp_path: Path) -> None:
    db = _movies_db(tmp_path / "movies.db", ROWS)
    titles = load_seed_titles(db)
    vectors = tmp_path / "vectors.npz"
    fresh = embed_texts([t.document() for t in titles])
    write_seed_vectors(titles, -fresh, vectors)  # right inputs, wrong vectors
    catalog, embedding = _catalog()
    report = ensure_seeded(catalog, path=db, vectors_path=vectors)
    assert (report.added, embedding.embedded) == (4, 4)
    assert "disagree with the model" in report.vectors
    assert catalog.similar("astronauts and a monster aboard an orbiting station", k=1)[0].title.title == "Space Station Nine"


def test_vectors_made_from_other_seed_data_or_missing_are_not_used(tmp_path: Path) -> None:
    db = _movies_db(tmp_path / "movies.db", ROWS)
    titles = load_seed_titles(db)
    vectors = tmp_path / "vectors.npz"
    write_seed_vectors(titles[:3], embed_texts([t.document() for t in titles[:3]]), vectors)
    refused = load_seed_vectors(titles, vectors)
    assert not refused.usable and "different inputs" in refused.reason and "rows" in refused.reason
    missing = load_seed_vectors(titles, tmp_path / "absent.npz")
    assert not missing.usable and "no precomputed vectors" in missing.reason


def test_rounded_vectors_keep_their_direction() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(200, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert row_cosines(dequantize(*quantize(vectors)), vectors).min() >= 0.999


def test_the_shipped_vectors_match_the_bundled_seed_and_the_pinned_model() -> None:
    titles = load_seed_titles()
    loaded = load_seed_vectors(titles, sample_size=16)
    assert loaded.usable, loaded.reason
    assert loaded.vectors is not None and len(loaded.vectors) == 17472
