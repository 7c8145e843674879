"""Both importers (titles, viewer histories) count and report a row that is not an object the same way."""

from __future__ import annotations

import json
from pathlib import Path

from greenroom.store.catalog import Catalog, Title
from greenroom.store.importer import import_file
from greenroom.store.viewers import ViewerStore, import_viewers


def test_a_row_that_is_not_an_object_is_reported_by_line_in_both_importers(tmp_path: Path) -> None:
    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", title="Alien", year=1979, genres=["horror"], synopsis="A crew meets a creature.")])
    titles = tmp_path / "titles.json"
    titles.write_text(json.dumps([{"title": "Moon", "year": 2009, "genres": "sci-fi"}, 7]).replace("}, 7", "},\n7"))
    report = import_file(titles, catalog)
    assert (report.rows, report.imported) == (2, 1)
    assert [(e.line, e.reason) for e in report.errors] == [(2, "not an object of column: value")]

    history = tmp_path / "history.json"
    row = {"user": "u1", "title": "Alien", "year": 1979, "timestamp": "2024-05-03T20:00:00", "rating": 4}
    history.write_text(json.dumps([row, "Alien"]).replace('}, "Alien"', '},\n"Alien"'))
    viewers = import_viewers(history, ViewerStore(tmp_path / "viewers.sqlite"), catalog, tenant="acme")
    assert (viewers.rows, viewers.imported) == (2, 1)
    assert [(e.line, e.reason) for e in viewers.errors] == [(2, "not an object of column: value")]
