"""The catalog of titles: one Chroma collection behind a narrow interface.

`Catalog` stores `Title`s, embeds a text built from their structured fields
(and synopsis when present) with the offline MiniLM model, and answers
`similar(text, k, filters)` with the nearest titles and their cosine
distance. It runs on an embedded folder (`Catalog.persistent`), a Chroma
server (`Catalog.http`) or in memory (`Catalog.memory`, for tests); which one
is chosen by the caller's arguments, never by the environment.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from greenroom.core.brief import Format
from greenroom.core.vocabulary import title_key
from greenroom.store.embeddings import MODEL_ID, MiniLMEmbedding

COLLECTION = "titles"
"""Default collection name."""
CAST_IN_DOCUMENT = 3
"""How many leading cast members go into the embedded text."""
OVERFETCH = (3, 20)
"""A filtered search looks at k * 3, then k * 20 unfiltered neighbours before asking Chroma to filter."""
_GET_CHUNK = 2000
"""Ids per Chroma `get` call, to stay below SQLite's variable limit."""


def _chroma_settings() -> chromadb.Settings:
    # A new object per client: chromadb's client constructors write their own fields (the API
    # implementation, the server's host) into the settings they are given.
    return chromadb.Settings(anonymized_telemetry=False)


def _split_names(value: Any) -> list[str]:
    """Accept a list or a comma/semicolon/pipe-separated string; return trimmed, non-empty names."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;|]", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def title_id(title: str, year: int, source: str, external_id: str = "") -> str:
    """Stable id: hash of the normalised title, year, source and (when known) the source's own id."""
    key = "\x1f".join([title_key(title), str(year), source.strip().casefold(), external_id.strip()])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def tenant_source(tenant: str, source: str) -> str:
    """The source name a tenant's import is stored under: `tenant:<tenant>/<source>` (idempotent)."""
    prefix = f"tenant:{tenant}/"
    return source if source.startswith(prefix) else prefix + source


class Title(BaseModel):
    """One title in the catalog (a film unless `format` says otherwise)."""

    model_config = ConfigDict(str_strip_whitespace=True, allow_inf_nan=False)

    id: str = Field("", description="Stable id; derived from title, year, source and external_id when left empty.")
    title: str = Field(..., min_length=1, description="Title as released.")
    year: int = Field(..., ge=1870, le=2100, description="Release year.")
    format: Format = Field(Format.FILM, description="What kind of media this is.")
    genres: list[str] = Field(default_factory=list, description="Genres, lower case, most important first.")
    directors: list[str] = Field(default_factory=list, description="Directors (or creators/hosts for other formats).")
    writers: list[str] = Field(default_factory=list, description="Writers.")
    cast: list[str] = Field(default_factory=list, description="Cast, leading roles first where the source orders them.")
    language: str = Field("", description="Original language(s), as the source writes them.")
    country: str = Field("", description="Production countries, as the source writes them.")
    awards: str = Field("", description="Awards in words, e.g. 'Won 2 Oscars. Nominated for 5 Oscars.'")
    rotten_tomatoes: int | None = Field(None, ge=0, le=100, description="Rotten Tomatoes Tomatometer, 0-100.")
    metacritic: int | None = Field(None, ge=0, le=100, description="Metacritic score, 0-100.")
    box_office: float | None = Field(None, ge=0, description="Reported box office gross in US dollars (often worldwide).")
    mpaa: str = Field("", description="MPAA rating (G, PG, PG-13, R, NC-17, ...), empty when unknown.")
    synopsis: str = Field("", description="Plot synopsis, when the source has one.")
    reviews: str = Field("", description="Review text or critics' consensus, when the source has it.")
    source: str = Field("user", min_length=1, description="Where the record came from, e.g. 'bokeh-movies' or an import name.")
    external_id: str = Field("", description="The source's own id (e.g. an IMDb id), used to tell same-named titles apart.")
    tenant: str = Field("", description="The tenant that imported the title; empty for the shared catalog every tenant sees.")

    @field_validator("genres", mode="before")
    @classmethod
    def _genres(cls, value: Any) -> list[str]:
        return list(dict.fromkeys(g.lower() for g in _split_names(value)))

    @field_validator("directors", "writers", "cast", mode="before")
    @classmethod
    def _names(cls, value: Any) -> list[str]:
        return _split_names(value)

    @model_validator(mode="after")
    def _fill_id(self) -> Title:
        if self.tenant:  # a tenant's titles live in its own source namespace, so their ids never meet shared ones
            self.source = tenant_source(self.tenant, self.source)
        if not self.id or self.tenant:
            self.id = title_id(self.title, self.year, self.source, self.external_id)
        return self

    def document(self) -> str:
        """The text that is embedded: structured fields in words, then the synopsis."""
        parts = [f"{self.title} ({self.year}), {self.format.value.replace('_', ' ')}."]
        if self.genres:
            parts.append(f"Genres: {', '.join(self.genres)}.")
        if self.directors:
            parts.append(f"Directed by {', '.join(self.directors)}.")
        if self.writers:
            parts.append(f"Written by {', '.join(self.writers)}.")
        if self.cast:
            parts.append(f"Starring {', '.join(self.cast[:CAST_IN_DOCUMENT])}.")
        if self.language or self.country:
            parts.append(f"{self.language or 'Unknown language'}; {self.country or 'unknown country'}.")
        if self.awards:
            parts.append(self.awards)
        if self.synopsis:
            parts.append(self.synopsis)
        return " ".join(parts)

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata: the filterable fields plus the whole record as JSON."""
        meta: dict[str, Any] = {
            "year": self.year,
            "format": self.format.value,
            "source": self.source,
            "tenant": self.tenant,
            "record": self.model_dump_json(),
        }
        if self.genres:
            meta["genres"] = self.genres
        return meta


class Hit(BaseModel):
    """One result of a similarity search."""

    title: Title = Field(..., description="The matching title.")
    distance: float = Field(..., description="Cosine distance to the query (0 identical, 1 unrelated, 2 opposite).")
    embedding: list[float] | None = Field(None, description="The title's vector, when the search asked for it.")

    @property
    def similarity(self) -> float:
        """Cosine similarity, 1 - distance."""
        return 1.0 - self.distance


@dataclass(frozen=True)
class TitleFilter:
    """Which titles a search may return: a year range (inclusive), any of some genres, a format, a tenant's view.

    `tenant` None sees every title (the operator); a tenant name sees the shared titles and its own.
    """

    year_from: int | None = None
    year_to: int | None = None
    genres: tuple[str, ...] = ()
    format: str | None = None
    tenant: str | None = None

    @classmethod
    def of(
        cls,
        year_from: int | None = None,
        year_to: int | None = None,
        genres: Sequence[str] = (),
        format: Format | str | None = None,
        tenant: str | None = None,
    ) -> TitleFilter:
        """Validate and normalise the filter arguments of `Catalog.similar`."""
        if year_from is not None and year_to is not None and year_to < year_from:
            raise ValueError(f"year_to ({year_to}) is before year_from ({year_from})")
        wanted = tuple(dict.fromkeys(g.strip().lower() for g in genres if g.strip()))
        return cls(year_from, year_to, wanted, Format(format).value if format is not None else None, tenant)

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return self == TitleFilter()

    def where(self) -> dict[str, Any] | None:
        """The same filter as a Chroma `where` clause."""
        clauses: list[dict[str, Any]] = []
        if self.year_from is not None:
            clauses.append({"year": {"$gte": self.year_from}})
        if self.year_to is not None:
            clauses.append({"year": {"$lte": self.year_to}})
        if len(self.genres) == 1:
            clauses.append({"genres": {"$contains": self.genres[0]}})
        elif self.genres:
            clauses.append({"$or": [{"genres": {"$contains": g}} for g in self.genres]})
        if self.format is not None:
            clauses.append({"format": self.format})
        if self.tenant is not None:
            clauses.append({"tenant": {"$in": ["", self.tenant]}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: Mapping[str, Any]) -> bool:
        """Whether a stored title's metadata passes the filter."""
        year = int(meta["year"])
        if (self.year_from is not None and year < self.year_from) or (self.year_to is not None and year > self.year_to):
            return False
        if self.genres and not set(self.genres) & set(meta.get("genres") or ()):
            return False
        if self.tenant is not None and meta.get("tenant", "") not in ("", self.tenant):
            return False
        return self.format is None or meta["format"] == self.format


class Catalog:
    """Titles in a Chroma collection: upsert, similar, get, count."""

    def __init__(
        self, client: ClientAPI, collection: str = COLLECTION, embedding: EmbeddingFunction[Documents] | None = None
    ) -> None:
        """Open (or create) `collection` on an existing Chroma client."""
        self.client = client
        self.embedding = embedding or MiniLMEmbedding()
        self.collection: Collection = client.get_or_create_collection(
            collection,
            embedding_function=self.embedding,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": MODEL_ID},
        )

    @classmethod
    def persistent(cls, folder: str | Path, collection: str = COLLECTION) -> Catalog:
        """An embedded catalog stored in `folder` (created if missing)."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return cls(chromadb.PersistentClient(path=str(path), settings=_chroma_settings()), collection)

    @classmethod
    def http(cls, url: str, collection: str = COLLECTION) -> Catalog:
        """A catalog on a Chroma server, e.g. `http://localhost:8000`."""
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"chroma url must look like http://host:port, got {url!r}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=_chroma_settings())
        return cls(client, collection)

    @classmethod
    def memory(cls, collection: str | None = None) -> Catalog:
        """A catalog that lives in this process only; each call gets its own collection unless named."""
        client = chromadb.EphemeralClient(settings=_chroma_settings())
        return cls(client, collection or f"{COLLECTION}-{uuid.uuid4().hex[:12]}")

    @classmethod
    def open(cls, folder: str | Path, url: str = "", collection: str = COLLECTION) -> Catalog:
        """The server at `url` when given, else the embedded catalog in `folder`."""
        return cls.http(url, collection) if url else cls.persistent(folder, collection)

    def upsert(self, titles: Iterable[Title], batch_size: int = 256, vectors: Mapping[str, np.ndarray] | None = None) -> int:
        """Insert or replace titles by id; returns how many were written.

        `vectors` (title id -> unit vector from this catalog's model) skips embedding those titles.
        """
        written = 0
        batch: list[Title] = []
        for title in titles:
            batch.append(title)
            if len(batch) >= batch_size:
                written += self._upsert_batch(batch, vectors)
                batch = []
        if batch:
            written += self._upsert_batch(batch, vectors)
        return written

    def _upsert_batch(self, titles: list[Title], vectors: Mapping[str, np.ndarray] | None = None) -> int:
        unique = list({t.id: t for t in titles}.values())  # the last record of an id wins
        given = vectors is not None and all(t.id in vectors for t in unique)
        self.collection.upsert(
            ids=[t.id for t in unique],
            documents=[t.document() for t in unique],
            metadatas=[t.metadata() for t in unique],
            embeddings=[vectors[t.id] for t in unique] if given and vectors is not None else None,  # type: ignore[arg-type]
        )
        return len(unique)

    def similar(
        self,
        text: str,
        k: int = 10,
        year_from: int | None = None,
        year_to: int | None = None,
        genres: Sequence[str] = (),
        format: Format | str | None = None,
        with_embeddings: bool = False,
        tenant: str | None = None,
    ) -> list[Hit]:
        """The k titles nearest to `text` that pass the filters, nearest first; a `tenant` sees shared titles and its own."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        filters = TitleFilter.of(year_from, year_to, genres, format, tenant)
        vector = self.embedding([text])[0]
        if filters.empty:
            return self._query(vector, k, None, with_embeddings)[0]
        # Chroma's metadata pre-filter costs tens of ms; the unfiltered nearest few, filtered
        # here, give the same answer whenever at least k of them pass (or they were all there is).
        for factor in OVERFETCH:
            wanted = k * factor
            hits, seen = self._query(vector, wanted, None, with_embeddings, keep=filters, limit=k)
            if len(hits) >= k or seen < wanted:
                return hits
        return self._query(vector, k, filters.where(), with_embeddings)[0]

    def _query(
        self,
        vector: Any,
        n: int,
        where: dict[str, Any] | None,
        with_embeddings: bool,
        keep: TitleFilter | None = None,
        limit: int | None = None,
    ) -> tuple[list[Hit], int]:
        """Up to `limit` of the nearest n titles that pass `where` (in Chroma) and `keep` (here), and n seen."""
        include = ["metadatas", "distances"] + (["embeddings"] if with_embeddings else [])
        result = self.collection.query(query_embeddings=[vector], n_results=n, where=where, include=include)  # type: ignore[arg-type]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        embeddings = result["embeddings"][0] if with_embeddings and result["embeddings"] is not None else None
        passing = [i for i, meta in enumerate(metadatas) if keep is None or keep.matches(meta)][:limit]
        hits = [
            Hit(
                title=Title.model_validate_json(str(metadatas[i]["record"])),
                distance=float(distances[i]),
                embedding=np.asarray(embeddings[i], dtype=float).tolist() if embeddings is not None else None,
            )
            for i in passing
        ]
        return hits, len(metadatas)

    def get(self, ids: Sequence[str]) -> list[Title]:
        """The stored titles among `ids`, in the order asked; unknown ids are left out."""
        found: dict[str, Title] = {}
        for start in range(0, len(ids), _GET_CHUNK):
            result = self.collection.get(ids=list(ids[start : start + _GET_CHUNK]), include=["metadatas"])  # type: ignore[list-item]
            for meta in result["metadatas"] or []:
                title = Title.model_validate_json(str(meta["record"]))
                found[title.id] = title
        return [found[i] for i in ids if i in found]

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are stored (cheap: reads ids only)."""
        present: set[str] = set()
        for start in range(0, len(ids), _GET_CHUNK):
            present.update(self.collection.get(ids=list(ids[start : start + _GET_CHUNK]), include=[])["ids"])
        return present

    def count(self, source: str | None = None) -> int:
        """How many titles are stored, or how many came from `source`."""
        if source is None:
            return self.collection.count()
        return len(self.collection.get(where={"source": source}, include=[])["ids"])

    def index(self, tenant: str | None, batch_size: int = 5000) -> list[tuple[str, str, int]]:
        """(id, title, year) of the titles `tenant` sees, for matching names from other data (reads metadata only).

        A tenant name sees the shared titles and its own; "" only the shared ones; None every title (the operator).
        The tenant is a required argument: matching a tenant's data against every tenant's titles would tell it
        which private titles the others hold.
        """
        found: list[tuple[str, str, int]] = []
        offset = 0
        while True:
            result = self.collection.get(include=["metadatas"], limit=batch_size, offset=offset)  # type: ignore[list-item]
            metadatas = result["metadatas"] or []
            for title_id, meta in zip(result["ids"], metadatas, strict=True):
                if tenant is not None and meta.get("tenant", "") not in ("", tenant):
                    continue
                record = json.loads(str(meta["record"]))
                found.append((title_id, str(record["title"]), int(record["year"])))
            if len(metadatas) < batch_size:
                return found
            offset += batch_size

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embedding of each of `ids` that is in the catalog (unit vectors, float32)."""
        found: dict[str, np.ndarray] = {}
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), _GET_CHUNK):
            result = self.collection.get(ids=list(ids[start : start + _GET_CHUNK]), include=["embeddings"])  # type: ignore[list-item]
            embeddings = result["embeddings"]
            if embeddings is None:
                continue
            for title_id, vector in zip(result["ids"], embeddings, strict=True):
                found[title_id] = np.asarray(vector, dtype=np.float32)
        return found
