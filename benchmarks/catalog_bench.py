"""Catalog speed: indexing throughput and query latency (embedding included) at each size.

    python benchmarks/catalog_bench.py                      # 17,472 and 100,000 titles
    python benchmarks/catalog_bench.py --sizes 17472        # the seed only
    python benchmarks/catalog_bench.py --keep /tmp/bench    # keep (and reuse) the indexes

The first size is the seed catalog (bokeh-sampledata's movies.db); larger
sizes add varied copies of it (retitled, re-dated, genres rotated), written to
a Parquet file and loaded through the importer, as a user's catalog would be.
Target: p50 <= 15 ms per query at 17k on a 2-core machine. Other processes
share the CPU, so the table also gives CPU seconds and the load average.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from greenroom.store.catalog import Catalog, Title
from greenroom.store.embeddings import embed_texts
from greenroom.store.importer import import_file
from greenroom.store.seed import ensure_seeded, load_seed_titles

QUERIES = [
    "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a storm.",
    "Astronauts stranded on a hostile planet fight to get home.",
    "Two strangers fall in love over one night in Paris.",
    "A crew of bank robbers plans one last heist while a detective closes in.",
    "A haunted house terrorises a family that just moved in.",
    "An animated adventure about a lost toy finding its way back.",
    "A documentary about climbers attempting an unclimbed face.",
    "A courtroom drama about a lawyer defending an unpopular client.",
    "Gangsters fight over a city during prohibition.",
    "A coming-of-age comedy about a summer job at a water park.",
]
FILTERS: list[dict] = [
    {},
    {"year_from": 1990},
    {"genres": ["drama"]},
    {"year_from": 1970, "year_to": 1999, "genres": ["thriller", "crime"]},
]
COPIES = "bench-copies"
VARIANTS = ["Redux", "Returns", "Reloaded", "Origins", "Legacy", "Revisited"]

console = Console(width=150)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def _copies(seed: list[Title], needed: int) -> pa.Table:
    """`needed` varied copies of the seed, as an importable table."""
    rows: dict[str, list] = {k: [] for k in ("title", "year", "genres", "directors", "cast", "rotten_tomatoes", "external_id")}
    for n in range(needed):
        base = seed[n % len(seed)]
        round_ = n // len(seed)
        genres = base.genres[round_ % max(1, len(base.genres)) :] + base.genres[: round_ % max(1, len(base.genres))]
        rows["title"].append(f"{base.title}: {VARIANTS[round_ % len(VARIANTS)]} {round_ + 1}")
        rows["year"].append(min(2030, base.year + 1 + round_))
        rows["genres"].append("|".join(genres))
        rows["directors"].append("|".join(base.directors))
        rows["cast"].append("|".join(reversed(base.cast[:3])))
        rows["rotten_tomatoes"].append(base.rotten_tomatoes)
        rows["external_id"].append(f"{base.external_id}-{round_}")
    return pa.table(rows)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) spent in fn."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _latencies(catalog: Catalog, rounds: int) -> list[float]:
    for query in QUERIES[:3]:  # warm up
        catalog.similar(query, k=10)
    times = []
    for i in range(rounds):
        query, filters = QUERIES[i % len(QUERIES)], FILTERS[(i // len(QUERIES)) % len(FILTERS)]
        start = time.perf_counter()
        catalog.similar(query, k=10, **filters)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated catalog sizes; the first must be the seed size (17472) or less.")
    ] = "17472,100000",
    queries: Annotated[int, typer.Option(help="Timed queries per size.")] = 200,
    keep: Annotated[Path | None, typer.Option(help="Folder to keep the index in (reused when already filled).")] = None,
) -> None:
    """Print indexing throughput and query latency for each catalog size."""
    wanted = sorted(int(s) for s in sizes.split(","))
    folder = keep or Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    catalog = Catalog.persistent(folder)
    seed = load_seed_titles()
    embed_ms = [_timed(lambda q=q: embed_texts([q]))[0] * 1000 for q in QUERIES * 5]
    table = Table(title=f"Catalog benchmark ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start)")
    for column in (
        "titles",
        "indexed now",
        "index wall s",
        "titles/s (wall)",
        "titles/s per CPU s",
        "query p50 ms",
        "query p95 ms",
        "embed-only p50 ms",
    ):
        table.add_column(column, justify="right")
    for size in wanted:
        before = catalog.count()
        if size < len(seed):
            wall, cpu = _timed(lambda size=size: catalog.upsert(seed[:size]))
        elif size == len(seed):
            wall, cpu = _timed(lambda: ensure_seeded(catalog))  # adds nothing when the kept index has it
        else:
            ensure_seeded(catalog)
            path = folder / f"copies-{size}.parquet"
            pq.write_table(_copies(seed, size - len(seed)), path)
            if catalog.count(source=COPIES) == size - len(seed):
                wall = cpu = 0.0
            else:
                wall, cpu = _timed(lambda path=path: import_file(path, catalog, source=COPIES))
        added = catalog.count() - before
        latencies = _latencies(catalog, queries)
        table.add_row(
            f"{catalog.count():,}",
            f"{added:,}",
            f"{wall:.0f}",
            f"{added / wall:.0f}" if added else "-",
            f"{added / cpu:.0f}" if added else "-",
            f"{statistics.median(latencies):.1f}",
            f"{_percentile(latencies, 95):.1f}",
            f"{statistics.median(embed_ms):.1f}",
        )
        console.print(table)  # after each size, so a long run shows progress
    console.print(f"index kept in {folder}" if keep else f"index in {folder} (temporary)")


if __name__ == "__main__":
    typer.run(main)
