"""Hostile input, round two: chat sessions bound to their tenant, bounded imports, Slack verified as Bolt does it,
viewers kept apart, one Markdown escape, and every number held to the shared limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from greenroom.agents.context import AgentContext
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.api import create_app
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.store.catalog import Catalog, Title
from greenroom.store.keys import KeyStore
from greenroom.store.seed import SEED_SOURCE

SEED = [
    Title(title="Nightcrawler", year=2014, genres="crime, thriller", source=SEED_SOURCE,
          synopsis="A driven man films night-time crime scenes in Los Angeles."),
    Title(title="Drive", year=2011, genres="crime, drama", source=SEED_SOURCE, synopsis="A stunt driver works nights."),
]  # fmt: skip


def _seeded() -> Catalog:
    catalog = Catalog.memory()
    catalog.upsert(SEED)
    return catalog


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"), **extra)  # fmt: skip
    settings.ensure_dirs()
    return settings


@pytest.fixture
def server(tmp_path: Path) -> Any:
    settings = _settings(tmp_path, api={"chat_sessions": 6, "chat_sessions_per_tenant": 4})
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")
    catalog = _seeded()
    app = create_app(settings, lambda s: AgentContext(model=build_model(s.model), catalog=catalog, trained=None))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.keys = {name: {"Authorization": f"Bearer {keys.create(name)[1]}"} for name in ("acme", "beta")}  # type: ignore[attr-defined]
        client.catalog = catalog  # type: ignore[attr-defined]
        yield client


# --- 1. every chat route checks the session's tenant ---------------------------------------------

FILM_MESSAGES = [
    "A film called Night Shift at the Lighthouse",
    "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a week-long storm.",
    "thriller, drama", "104 minutes", "budget $250k", "theatrical", "2027-09-01 to 2027-12-15", "yes",
]  # fmt: skip


def _session_routes(client: Any) -> list[tuple[str, str]]:
    """Every chat route that takes a session id, as (method, path template)."""
    found = []
    for route in client.app.state.chat_router.routes:
        if "{session_id}" in route.path:
            found += [(method, route.path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_every_chat_route_refuses_a_session_of_another_tenant_with_a_key_or_without_one(server: Any) -> None:
    mine = server.post("/chat/sessions", headers=server.keys["acme"]).json()["session_id"]
    for text in FILM_MESSAGES:  # a launched run: the routes have a brief, a run and events to leak
        answer = server.post(f"/chat/sessions/{mine}/messages", json={"text": text}, headers=server.keys["acme"])
        assert answer.status_code == 200, answer.text
    assert answer.json()["run_id"]
    before = server.get(f"/chat/sessions/{mine}", headers=server.keys["acme"]).json()
    routes = _session_routes(server)
    assert {path.rsplit("/", 1)[-1] for _, path in routes} >= {"{session_id}", "messages", "settle", "events", "report"}
    bodies = {"messages": {"text": "Reject: x"}, "brief": {"field": "working_title", "value": "Taken over"}}
    files = {"results": {"file": ("results.csv", b"day,channel,creative_id,spend,impressions,clicks,conversions\n", "text/csv")}}
    for caller in (server.keys["beta"], {}):
        for method, path in routes:
            last = path.rsplit("/", 1)[-1]
            answer = server.request(
                method, path.format(session_id=mine), headers=caller, json=bodies.get(last), files=files.get(last)
            )
            assert answer.status_code == 404, (method, path, caller, answer.text)
            assert "Night Shift" not in answer.text
    after = server.get(f"/chat/sessions/{mine}", headers=server.keys["acme"]).json()
    assert after["transcript"] == before["transcript"]  # nobody else's message reached the run
    keyless = server.post("/chat/sessions").json()["session_id"]
    assert server.get(f"/chat/sessions/{keyless}/report", headers=server.keys["acme"]).status_code == 404


# --- 5. the Host allowlist applies whatever the Authorization header says ---------------------------


def test_the_chat_host_allowlist_holds_with_any_authorization_header(server: Any) -> None:
    for headers in ({"Authorization": "Basic eDp5"}, server.keys["acme"], {"Authorization": "Bearer nonsense"}, {}):
        assert server.post("/chat/sessions", headers={**headers, "Host": "evil.example"}).status_code == 403, headers
        assert server.get("/chat", headers={**headers, "Host": "evil.example:8000"}).status_code == 403, headers


def test_a_session_opened_with_a_header_that_is_no_valid_key_is_a_key_less_one(server: Any) -> None:
    basic = server.post("/chat/sessions", headers={"Authorization": "Basic eDp5"}).json()
    assert basic["tenant"] == "chat"
    keyed = server.post("/chat/sessions", headers=server.keys["acme"]).json()["session_id"]
    for _ in range(10):
        assert server.post("/chat/sessions").status_code == 200
    assert server.get(f"/chat/sessions/{basic['session_id']}").status_code == 404  # made room like any key-less one
    assert server.get(f"/chat/sessions/{keyed}", headers=server.keys["acme"]).status_code == 200


# --- 2. imports stream in bounded batches, with a row and memory budget checked before decoding -----


def _bomb(path: Path, rows: int, text: str = "Nightcrawler") -> bytes:
    """A small zstd Parquet file whose dictionary-encoded rows decode to far more than its size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"user": pa.array(["u1"] * rows), "title": pa.array([text] * rows),
                      "timestamp": pa.array([1_700_000_000] * rows)})  # fmt: skip
    pq.write_table(table, path, compression="zstd", use_dictionary=True, row_group_size=rows)
    return path.read_bytes()


def _upload(client: Any, route: str, name: str, body: bytes, tenant: str = "acme") -> Any:
    return client.post(route, headers=client.keys[tenant], files={"file": (name, body, "application/octet-stream")})


def test_a_parquet_file_with_more_rows_than_an_import_takes_is_refused_from_its_footer(server: Any, tmp_path: Path,
                                                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import pyarrow.parquet as pq

    from greenroom.core import limits

    body = _bomb(tmp_path / "bomb.parquet", limits.MAX_IMPORT_ROWS + 1)
    assert len(body) < 64 * 1024  # a few kilobytes of file
    decoded: list[int] = []
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", lambda *a, **k: decoded.append(1) or iter(()))
    for route in ("/v1/viewers/import", "/v1/catalog/import"):
        answer = _upload(server, route, "bomb.parquet", body)
        assert answer.status_code == 422, answer.text
        message = answer.json()["errors"][0]["message"]
        assert f"{limits.MAX_IMPORT_ROWS + 1:,} rows" in message and f"at most {limits.MAX_IMPORT_ROWS:,} rows" in message
    assert decoded == []  # refused before a single row was decoded


def test_a_parquet_file_that_decodes_past_the_memory_budget_is_refused_before_anything_is_stored(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from greenroom.core import limits

    monkeypatch.setattr(limits, "MAX_IMPORT_DECODED_BYTES", 1024 * 1024)
    body = _bomb(tmp_path / "wide.parquet", 20_000, "Nightcrawler " * 20)
    answer = _upload(server, "/v1/viewers/import", "wide.parquet", body)
    assert answer.status_code == 422, answer.text
    assert "decodes to more than 1 MiB" in answer.json()["errors"][0]["message"]
    good = _upload(server, "/v1/viewers/import", "fine.parquet", _bomb(tmp_path / "fine.parquet", 3 * limits.IMPORT_BATCH_ROWS))
    assert good.status_code == 200 and good.json()["rows"] == 3 * limits.IMPORT_BATCH_ROWS, good.text


def test_a_text_file_with_more_rows_than_an_import_takes_stores_nothing(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from greenroom.core import limits

    monkeypatch.setattr(limits, "MAX_IMPORT_ROWS", 50)
    body = "title,year\n" + "".join(f"Film {n},2001\n" for n in range(51))
    answer = _upload(server, "/v1/catalog/import", "films.csv", body.encode())
    assert answer.status_code == 422 and "at most 50 rows" in answer.json()["errors"][0]["message"], answer.text
    assert server.catalog.count() == len(SEED)


# --- 6. viewer title matching sees only the tenant's own titles and the shared seed ---------------


def test_viewer_matching_never_sees_another_tenants_private_titles(tmp_path: Path) -> None:
    from greenroom.store.viewers import ViewerStore, import_viewers

    catalog = _seeded()
    catalog.upsert([Title(title="The Quiet Vault", year=2025, genres="drama", source="mine", tenant="acme"),
                    Title(title="Drive", year=2011, genres="crime", source="mine", tenant="acme")])  # fmt: skip
    history = tmp_path / "history.csv"
    history.write_text("user,title,year,timestamp\nu1,The Quiet Vault,2025,1700000000\nu1,Drive,2011,1700000100\n")
    store = ViewerStore(tmp_path / "viewers.sqlite")
    beta = import_viewers(history, store, catalog, tenant="beta")
    assert [(u.line, u.title) for u in beta.unmatched] == [(2, "The Quiet Vault")]  # as if acme's title did not exist
    assert "no catalog title matches" in beta.unmatched[0].reason
    assert beta.imported == 1  # acme's copy of a shared title does not make beta's row ambiguous
    shared_drive = next(t.id for t in SEED if t.title == "Drive")
    assert set(store.events("beta")["title_id"]) == {shared_drive}
    acme = import_viewers(history, store, catalog, tenant="acme")
    assert acme.imported == 1 and [u.line for u in acme.unmatched] == [3]  # acme sees its own title (and both Drives)


# --- 3. and 4. Slack: verified as Bolt verifies, replays refused across restarts, no 500s ----------

SLACK_SECRET = "test-signing-secret"


def _slack_app(tmp_path: Path, dispatched: list[Any]) -> Any:
    from slack_bolt.response import BoltResponse

    from greenroom.interfaces.settings import SlackSettings

    settings = _settings(tmp_path, slack=SlackSettings(bot_token="xoxb-test", signing_secret=SLACK_SECRET))  # type: ignore[arg-type]
    app = create_app(settings, lambda s: AgentContext(model=build_model(s.model), catalog=_seeded(), trained=None))

    def dispatch(request: Any) -> BoltResponse:
        dispatched.append(request)
        return BoltResponse(status=200, body="ok")

    app.state.slack.dispatch = dispatch
    return app


@pytest.fixture
def slack(tmp_path: Path) -> Any:
    dispatched: list[Any] = []
    with TestClient(_slack_app(tmp_path, dispatched)) as client:
        client.dispatched = dispatched  # type: ignore[attr-defined]
        yield client


def _signature(body: str | bytes, timestamp: str) -> str:
    import hashlib
    import hmac

    raw = body.encode() if isinstance(body, str) else body
    return "v0=" + hmac.new(SLACK_SECRET.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()


def _now() -> str:
    import time

    return str(int(time.time()))


FORM = "application/x-www-form-urlencoded"


def test_a_slack_signature_header_given_twice_is_refused_whichever_value_is_real(slack: Any) -> None:
    body, timestamp = "command=/greenroom&text=hello", _now()
    real = _signature(body, timestamp)
    for values in (["v0=bogus", real], [real, "v0=bogus"], [real, real]):
        headers = [("X-Slack-Request-Timestamp", timestamp), ("Content-Type", FORM)]
        headers += [("X-Slack-Signature", value) for value in values]
        assert slack.post("/slack/events", content=body, headers=headers).status_code == 401
    assert slack.dispatched == []
    once = slack.post("/slack/events", content=body, headers={"X-Slack-Request-Timestamp": timestamp,
                                                              "X-Slack-Signature": real, "Content-Type": FORM})  # fmt: skip
    assert once.status_code == 200 and len(slack.dispatched) == 1


def test_a_replayed_slack_request_is_refused_after_a_restart(tmp_path: Path) -> None:
    body, timestamp = "command=/greenroom&text=hello", _now()
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": _signature(body, timestamp), "Content-Type": FORM}
    dispatched: list[Any] = []
    with TestClient(_slack_app(tmp_path, dispatched)) as first:
        assert first.post("/slack/events", content=body, headers=headers).text == "ok"
    with TestClient(_slack_app(tmp_path, dispatched)) as restarted:
        for _ in range(3):
            again = restarted.post("/slack/events", content=body, headers=headers)
            assert again.status_code == 200 and again.text == ""
    assert len(dispatched) == 1


def test_malformed_slack_requests_get_400_or_401_never_500(slack: Any) -> None:
    timestamp = _now()
    unsigned = [
        ([(b"X-Slack-Request-Timestamp", "²".encode("latin-1")), (b"X-Slack-Signature", b"v0=x")], b"command=/greenroom"),
        ([(b"X-Slack-Request-Timestamp", timestamp.encode()), (b"X-Slack-Signature", b"v0=x")], b"\xff"),
        ([(b"X-Slack-Request-Timestamp", timestamp.encode()), (b"X-Slack-Signature", _signature(b"\xff", timestamp).encode())], b"\xff"),
        ([(b"X-Slack-Signature", b"v0=x")], b"command=/greenroom"),
    ]  # fmt: skip
    for headers, body in unsigned:
        answer = slack.post("/slack/events", content=body, headers=[*headers, (b"Content-Type", FORM.encode())])
        assert answer.status_code in (400, 401), (headers, body, answer.text)
    signed = [
        ('{"type": "event_callback", "event": 5}', "application/json"),
        ('{"type": "event_callback", "event": {"type": "app_mention"}, "team": [1]}', "application/json"),
        ("[1, 2]", "application/json"),
        ("payload=" + "%5B" * 50_000, FORM),
        ("payload=" + "%5B" * 100 + "%5D" * 100, FORM),
        ('payload={"type": "block_actions", "actions": 7}', FORM),
    ]
    for body, content_type in signed:
        headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": _signature(body, timestamp),
                   "Content-Type": content_type}  # fmt: skip
        answer = slack.post("/slack/events", content=body, headers=headers)
        assert answer.status_code == 400, (body[:60], answer.text)
        assert "Slack" in answer.json()["detail"]
    assert slack.dispatched == []


# --- 7. one Markdown escaping function, tested on a corpus with backslash tricks --------------------

HOSTILE_TEXT = [
    "\\<img src=x onerror=alert(1)//\\>",
    "\\\\<img src=x onerror=alert(1)>",
    "\\\\\\<svg onload=alert(1)>",
    "<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "[click](javascript:alert(1))",
    "![x](http://127.0.0.1/pixel)",
    "`<b>` **bold** _it_ ~~gone~~ # not a heading | pipe",
    "&lt;img src=x onerror=alert(1)&gt; &#60;b&#62;",
    "<!-- hidden --> \\<!-- also -->",
    "1. list? - item + more",
]


def _commonmark(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(text)


def test_markdown_text_shows_every_hostile_string_exactly_as_given_and_never_as_html() -> None:
    import html

    from greenroom.interfaces.outputs import markdown_text

    for text in HOSTILE_TEXT:
        rendered = _commonmark(markdown_text(text))
        assert rendered.startswith("<p>") and rendered.count("<") == 2, (text, rendered)  # only <p> and </p>
        assert html.unescape(rendered.removeprefix("<p>").removesuffix("</p>\n")) == text


def test_reports_and_plans_in_markdown_carry_no_live_html_whatever_the_user_wrote(
    tmp_path_factory: pytest.TempPathFactory, trained_small: Any
) -> None:
    import re

    from greenroom.interfaces.outputs import render
    from greenroom.interfaces.reports import render_markdown
    from tests.packages import make_package

    film = make_package("night-shift-film.yaml", tmp_path_factory.getbasetemp() / "greenroom-data")
    for text in HOSTILE_TEXT:
        brief = film.brief.model_copy(update={
            "working_title": text[:200], "constraints": film.brief.constraints.model_copy(update={"must_include": [text[:120]]})})  # fmt: skip
        split = film.promotion_plan.allocation
        channels = [c.model_copy(update={"label": text[:40]}) for c in split.channels]
        promotion = film.promotion_plan.model_copy(update={"allocation": split.model_copy(update={"channels": channels})})
        hostile = film.model_copy(update={"brief": brief, "revision_note": text, "promotion_plan": promotion})
        pages = {"report.md": render_markdown(hostile), "plans.md": render("plans.md.j2", brief=brief, result=hostile)}
        for name, page in pages.items():
            rendered = _commonmark(page)
            tags = set(re.findall(r"<([a-zA-Z!][a-zA-Z0-9-]*)", rendered))
            assert not tags & {"img", "svg", "script", "!--"}, (name, text, tags)
            assert 'href="javascript' not in rendered and 'src="http' not in rendered, (name, text)


# --- 8. a deeply nested `mapping` form field is a clear 422 ---------------------------------------


def test_a_deeply_nested_mapping_on_either_import_is_a_422_naming_the_field(server: Any) -> None:
    body = b"title,year\nDrive,2011\n"
    for nested in ("[" * 1000 + "]" * 1000, '{"title": ' * 350 + '"x"' + "}" * 350, '{"title": {"a": "b"}}'):
        for route in ("/v1/catalog/import", "/v1/viewers/import"):
            answer = server.post(route, headers=server.keys["acme"], data={"mapping": nested},
                                 files={"file": ("films.csv", body, "text/csv")})  # fmt: skip
            assert answer.status_code == 422, (route, answer.text[:200])
            error = answer.json()["errors"][0]
            assert error["field"] == "mapping" and "nested" in error["message"]


# --- 9. and 10. numbers pass the shared limits: tiny budgets, channel curves and names ----------------

BRIEF: dict[str, Any] = {
    "working_title": "Night Shift", "format": "film", "logline": "A lighthouse keeper finds a stranger on the rocks.",
    "genres": ["thriller"], "length": {"minutes": 104}, "budget": {"amount": 250000, "currency": "USD"},
    "business_model": "theatrical", "release": {"earliest": "2027-09-01", "latest": "2027-12-15"},
}  # fmt: skip


@pytest.mark.parametrize("amount", [0.004, 1e-300, 5e-324])
def test_a_budget_too_small_to_split_is_a_422_naming_the_minimum(server: Any, amount: float) -> None:
    brief = {**BRIEF, "budget": {"amount": amount, "currency": "USD"}}
    answer = server.post("/v1/briefs", json=brief, headers=server.keys["acme"])
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == "budget.amount" and "at least 0.01" in error["message"]


def test_a_revision_to_a_budget_too_small_to_split_is_refused_and_leaves_the_run_as_it_was(film_brief: Any) -> None:
    from greenroom.core.brief import BriefError
    from greenroom.interfaces.runs import revised_brief

    with pytest.raises(BriefError) as caught:
        revised_brief(film_brief, {"budget.amount": 1e-300})
    assert [(e.field, "at least 0.01" in e.message) for e in caught.value.errors] == [("budget.amount", True)]
    assert revised_brief(film_brief, {"budget.amount": 0.01}).budget.amount == 0.01


@pytest.mark.parametrize(
    ("curve", "field"),
    [
        ({"name": "x" * 41}, "name"),
        ({"top": "Infinity"}, "top"),
        ({"top": 1e308}, "top"),
        ({"half_saturation": 1e-320}, "half_saturation"),
        ({"uncertainty": {"top": 1e300}}, "uncertainty.top"),
    ],
)
def test_a_channel_curve_outside_the_limits_is_named_in_words_not_a_crash(tmp_path: Path, curve: dict[str, Any],
                                                                          field: str) -> None:  # fmt: skip
    from typer.testing import CliRunner

    from greenroom.interfaces.cli import EXIT_BAD_INPUT, app
    from tests.conftest import ROOT

    base = {"name": "search", "label": "Search", "top": 50000, "half_saturation": 2000, "shape": 1.2, "decay": 0.3}
    text = json.dumps({"curves": [{**base, **curve}], "diagnostics": [], "source": "mine"}).replace('"Infinity"', "Infinity")
    path = tmp_path / "curves.json"
    path.write_text(text)
    result = CliRunner().invoke(app, ["plan", str(ROOT / "examples" / "briefs" / "night-shift-film.yaml"), "--curves", str(path)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    words = " ".join(result.output.split())
    assert f"curves.0.{field}:" in words and "pydantic" not in words and "Traceback" not in words, words


# --- 11. clients get the project's own words -----------------------------------------------------


def test_api_errors_carry_no_library_wording_or_links(server: Any, tmp_path: Path) -> None:
    answers = [
        server.post("/v1/catalog/import", headers=server.keys["acme"], data={"mapping": "x" * 5000},
                    files={"file": ("films.csv", b"title,year\nDrive,2011\n", "text/csv")}),
        _upload(server, "/v1/viewers/import", "broken.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1"),
        _upload(server, "/v1/catalog/import", "broken.parquet", b"not parquet at all"),
        server.post("/v1/runs/nope/approval", headers=server.keys["acme"], json={"action": "maybe"}),
        server.get("/v1/runs", headers=server.keys["acme"], params={"limit": "many"}),
    ]  # fmt: skip
    for answer in answers:
        assert answer.status_code == 422, answer.text
        text = answer.text.lower()
        for library in ("pydantic", "http", "pyarrow", "arrow", "input should", "string should", "thrift", "magic bytes"):
            assert library not in text, (library, answer.text)


def test_an_approval_edit_that_does_not_fit_the_package_is_named_in_words(
    tmp_path_factory: pytest.TempPathFactory, trained_small: Any
) -> None:
    from greenroom.core.brief import in_words
    from greenroom.graphs.launch import apply_edit
    from tests.packages import make_package

    film = make_package("night-shift-film.yaml", tmp_path_factory.getbasetemp() / "greenroom-data")
    for field, value in (("draft.hooks.taglines", 5), ("draft.pitch.logline", {"a": 1}), ("brief.budget.amount", "lots")):
        with pytest.raises(ValueError) as caught:
            apply_edit(film, field, value)
        words = in_words(caught.value)
        assert words and "http" not in words and "Input should" not in words and "pydantic" not in words, words


# --- 12. the served graphs never take base URLs, keys or paths from a run's context ----------------


@pytest.mark.parametrize(
    "context",
    [
        {"model_settings": {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": "k"}},
        {"model_settings": {"provider": "fake"}},
        {"data_dir": "/tmp/greenroom-chosen-by-a-caller"},
        {"chroma_url": "http://127.0.0.1:9"},
    ],
)
def test_a_served_run_cannot_choose_the_model_address_its_key_or_a_folder(context: dict[str, Any], film_brief: Any) -> None:
    from greenroom.agents.context import ServerSideSettingError
    from greenroom.interfaces.served import analyse, launch, plan, write

    for graph in (launch, write, analyse, plan):
        with pytest.raises(ServerSideSettingError, match="set by the server"):
            graph.invoke({"brief": film_brief.model_dump(mode="json")}, context={"approval": True, **context})
    assert not Path("/tmp/greenroom-chosen-by-a-caller").exists()
    for graph in (launch, write, analyse, plan):
        schema = graph.get_context_jsonschema() or {}
        assert "approval" in schema["properties"] and not {"model_settings", "data_dir", "chroma_url"} & set(schema["properties"])


def test_a_served_run_uses_the_servers_own_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from greenroom.agents.context import RunSettings, ServedContext, serve_with
    from greenroom.core.settings import ModelSettings as Model

    serve_with(RunSettings(model_settings=Model(provider="fake"), data_dir=str(tmp_path / "server"), use_catalog=False))
    try:
        context = ServedContext(**{"approval": True, "tenant": "acme"})
        assert context.model_settings.provider == "fake" and context.data_dir == str(tmp_path / "server")
        assert context.approval and context.tenant == "acme"
    finally:
        serve_with(RunSettings())
