"""After launch: results in, curves updated, the rest of the budget re-planned, creatives tested, reach attributed."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from greenroom.agents.context import AgentContext
from greenroom.core.package import LaunchPackage
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.api import create_app
from greenroom.interfaces.cli import EXIT_BAD_INPUT, app
from greenroom.interfaces.reports import save_package
from greenroom.interfaces.results import result_store, update_run
from greenroom.interfaces.runs import registry
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.store.keys import KeyStore
from greenroom.store.results import ResultStore, import_results
from greenroom.tools.campaign_sim import TrueCampaign, daily_rows, make_campaign
from greenroom.tools.creative_tests import ThompsonAllocator, creative_test, regret
from greenroom.tools.promotion import PromotionInputError, allocate, load_channel_curves, weekly_reach
from greenroom.tools.results import creative_id, planned_spend, update_results
from tests.packages import make_package

START = dt.date(2026, 3, 2)


def _campaign(scale: dict[str, float]) -> TrueCampaign:
    """The stated curves as the plan; the truth has each named channel's top scaled."""
    prior = load_channel_curves()
    truth = [c.model_copy(update={"top": c.top * scale.get(c.name, 1.0)}) for c in prior]
    rates = {c.name: [0.010, 0.012, 0.016] for c in prior}
    return TrueCampaign(curves=truth, prior=prior, click_rates=rates, start=START)


def _run(campaign: TrueCampaign, weeks_run: int, budget: float = 3_000_000.0, weeks: int = 10) -> tuple[Any, pd.DataFrame]:
    plan = allocate(budget, weeks, campaign.prior, n_draws=50)
    spend = planned_spend(plan, [c.name for c in campaign.prior])
    rng = np.random.default_rng(1)
    rows: list[dict[str, object]] = []
    for week in range(weeks_run):
        rows += daily_rows(campaign, spend, week, rng)
    return plan, pd.DataFrame(rows)


# --- the engine ------------------------------------------------------------------------


def test_results_pull_a_wrong_curve_towards_the_truth_and_move_money_to_the_channel_that_pays() -> None:
    campaign = _campaign({"display": 0.4, "influencers": 2.5})
    plan, rows = _run(campaign, 3)
    update = update_results("r1", plan, campaign.prior, rows, str(START))
    by = {u.channel: u for u in update.curves}
    assert update.through_week == 3
    for name, true in (("display", campaign.curves[7]), ("influencers", campaign.curves[4])):
        u = by[name]
        level = np.array([[o.spend for o in u.observed]])
        truth = weekly_reach([true], level).sum()
        assert abs(weekly_reach([u.posterior], level).sum() - truth) < 0.5 * abs(weekly_reach([u.prior], level).sum() - truth)
        assert u.posterior_fit_error < u.prior_fit_error
    moves = {m.channel: m.moved for m in update.moves}
    assert moves["display"] < 0 < moves["influencers"]
    assert update.replanned is not None and update.replanned.weeks == 7
    assert update.spent + update.replanned.budget == pytest.approx(plan.budget, abs=0.02)
    assert update.replan_reach_left.expected > update.plan_reach_left.expected  # type: ignore[union-attr]


def test_an_unfunded_channel_keeps_the_plans_curve_and_an_observed_one_narrows() -> None:
    campaign = _campaign({})
    plan, rows = _run(campaign, 2)
    update = update_results("r1", plan, campaign.prior, rows, str(START))
    for u in update.curves:
        if sum(o.spend for o in u.observed) == 0:
            assert u.posterior.top == pytest.approx(u.prior.top) and u.posterior.uncertainty == u.prior.uncertainty
            assert "the curve is the plan's" in u.note
        else:
            assert u.posterior.uncertainty.top < u.prior.uncertainty.top


def test_a_part_week_waits_and_no_week_means_no_change() -> None:
    campaign = _campaign({})
    plan, rows = _run(campaign, 2)
    part = rows[pd.to_datetime(rows["day"]) < pd.Timestamp(START + dt.timedelta(days=10))]
    update = update_results("r1", plan, campaign.prior, part, str(START))
    assert update.through_week == 1 and update.ignored_rows > 0
    empty = update_results("r1", plan, campaign.prior, rows.iloc[0:0], str(START))
    assert empty.through_week == 0 and empty.spent == 0 and all(m.moved == pytest.approx(0, abs=1.0) for m in empty.moves)


def test_attribution_is_per_channel_with_intervals_that_hold_the_estimate() -> None:
    campaign = _campaign({})
    plan, rows = _run(campaign, 3)
    update = update_results("r1", plan, campaign.prior, rows, str(START))
    funded = [a for a in update.attribution if a.spend > 0]
    assert funded and sum(a.share for a in update.attribution) == pytest.approx(1.0)
    for a in funded:
        assert a.reach.low <= a.reach.expected <= a.reach.high and a.share_low <= a.share <= a.share_high
    assert any("individual users" in item for item in update.assumptions)


def test_carry_in_adds_reach_to_the_weeks_planned_and_must_name_a_channel() -> None:
    curves = load_channel_curves()[:3]
    plain = allocate(100_000, 3, curves, n_draws=50)
    carried = allocate(100_000, 3, curves, n_draws=50, carry_in={curves[1].name: 500_000})
    assert carried.expected_reach.expected > plain.expected_reach.expected
    with pytest.raises(PromotionInputError, match=r"carry_in\.radio"):
        allocate(100_000, 3, curves, carry_in={"radio": 1.0})


# --- creative tests ----------------------------------------------------------------------


def test_a_clear_winner_stops_the_test_and_gets_every_impression() -> None:
    test = creative_test("search", {"search-1": (200_000, 2_000), "search-2": (200_000, 3_000), "search-3": (200_000, 2_100)})
    assert test.status == "stopped" and test.winner == "search-2"
    assert test.arms[0].creative_id == "search-2" and test.arms[0].prob_best >= 0.95 and test.arms[0].next_share == 1.0


def test_a_close_race_keeps_running_with_shares_by_the_odds() -> None:
    test = creative_test("search", {"search-1": (1_000, 10), "search-2": (1_000, 12)})
    assert test.status == "running" and test.winner is None
    assert sum(a.next_share for a in test.arms) == pytest.approx(1.0) and 0.3 < test.arms[1].prob_best < 0.7
    with pytest.raises(ValueError, match="threshold"):
        creative_test("search", {"a": (1, 0), "b": (1, 0)}, threshold=1.5)


def test_thompson_sampling_finds_the_best_variant_and_loses_less_than_an_even_split() -> None:
    campaign = _campaign({})
    tests = ThompsonAllocator({"search": 3}, seed=3)
    rng = np.random.default_rng(3)
    rates = np.array(campaign.click_rates["search"])
    for day in range(30):
        shares = tests.shares("search", day)
        impressions = rng.multinomial(20_000, shares)
        tests.record("search", impressions, rng.binomial(impressions, rates))
    assert tests.pick("search") == 2 and "search" in tests.winner
    shown = tests.impressions["search"]
    assert regret(shown, rates) < 0.3 * regret([shown.sum() / 3] * 3, rates)


# --- results files, per tenant -----------------------------------------------------------

HEADER = ["day", "channel", "creative_id", "spend", "impressions", "clicks", "conversions"]


def _write(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


GOOD = [
    ["2026-03-02", "search", "search-1", "100.50", "5000", "60", "2"],
    ["2026-03-02", "search", "search-2", "99.50", "5100", "75", "3"],
    ["2026-03-03", "display", "display-1", "1,200", "90000", "800", "12"],
]
BAD = [
    ["2026-13-01", "search", "search-1", "1", "1", "0", "0"],  # line 5
    ["2026-03-04", "radio", "radio-1", "1", "1", "0", "0"],  # line 6
    ["2026-03-04", "search", "search-1", "-5", "1", "0", "0"],  # line 7
    ["2026-03-04", "search", "search-1", "5", "10", "11", "0"],  # line 8
    ["2026-03-02", "search", "search-1", "5", "10", "1", "0"],  # line 9: same key as line 2
    ["2027-01-01", "search", "search-1", "5", "10", "1", "0"],  # line 10
    ["2026-03-04", "search", "search-1", "5", "10.5", "1", "0"],  # line 11
]


def _import(path: Path, store: ResultStore, tenant: str = "acme") -> Any:
    return import_results(path, store, tenant=tenant, run_id="run-1", channels=["search", "display"],
                          first_day=START, last_day=START + dt.timedelta(days=69))  # fmt: skip


def test_bad_rows_are_reported_by_line_in_words_and_the_rest_stored_once(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results.sqlite")
    path = _write(tmp_path / "results.csv", GOOD + BAD)
    report = _import(path, store)
    assert (report.added, report.updated, report.unchanged) == (3, 0, 0)
    reasons = {e.line: e.reason for e in report.errors}
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10, 11]
    assert "is not a date" in reasons[5] and "not in the run's plan" in reasons[6] and "negative" in reasons[7]
    assert "more than impressions" in reasons[8] and "line 2" in reasons[9] and "outside the campaign" in reasons[10]
    assert "whole number" in reasons[11]
    again = _import(path, store)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert len(store.rows("acme", "run-1")) == 3 and store.rows("beta", "run-1").empty
    fixed = _write(tmp_path / "fixed.csv", [["2026-03-02", "search", "search-1", "100.50", "5200", "60", "2"]])
    assert _import(fixed, store).updated == 1 and int(store.rows("acme", "run-1")["impressions"].iloc[0]) == 5200


def test_parquet_results_import_like_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame(GOOD, columns=HEADER)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["spend"] = frame["spend"].str.replace(",", "").astype(float)
    for column in ("impressions", "clicks", "conversions"):
        frame[column] = frame[column].astype(int)
    path = tmp_path / "results.parquet"
    frame.to_parquet(path)
    report = _import(path, ResultStore(tmp_path / "results.sqlite"))
    assert report.added == 3 and not report.errors and report.first_day == START


# --- a run's results through the CLI and the REST API -----------------------------------


@pytest.fixture(scope="module")
def package() -> LaunchPackage:
    return make_package("night-shift-film.yaml")


def _settings(tmp_path: Path) -> Settings:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"))  # fmt: skip
    settings.ensure_dirs()
    return settings


def _register(settings: Settings, package: LaunchPackage, tenant: str) -> str:
    runs = registry(settings)
    runs.register(package.run_id, "Night Shift", package.brief.model_dump(mode="json"), tenant=tenant, status="done", job=None)
    folder = settings.output_dir / package.run_id / "v1"
    save_package(package, folder)
    runs.update(package.run_id, version=1, output_dir=str(folder))
    return package.run_id


def _simulated_rows(package: LaunchPackage, weeks: int) -> pd.DataFrame:
    """Rows a campaign would report for the package's plan, from truths off the plan's curves."""
    from greenroom.interfaces.results import plan_curves

    plan = package.promotion_plan
    campaign = make_campaign(plan_curves(package), seed=5, variants=2)
    campaign.start = plan.week_starts[0]
    spend = planned_spend(plan.allocation, [c.name for c in campaign.curves])
    rng = np.random.default_rng(5)
    rows: list[dict[str, object]] = []
    for week in range(weeks):
        rows += daily_rows(campaign, spend, week, rng)
    return pd.DataFrame(rows)


def test_a_tenants_results_update_the_run_into_a_new_version_with_what_moved(tmp_path: Path, package: LaunchPackage) -> None:
    settings = _settings(tmp_path)
    run_id = _register(settings, package, "acme")
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")
    mine, theirs = keys.create("acme")[1], keys.create("beta")[1]
    path = tmp_path / "results.csv"
    _simulated_rows(package, 3).to_csv(path, index=False)

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), catalog=None, trained=None)

    with TestClient(create_app(settings, context)) as client:
        for key, status in ((theirs, 404), (mine, 200)):
            with path.open("rb") as handle:
                answer = client.post(f"/v1/runs/{run_id}/results", headers={"Authorization": f"Bearer {key}"},
                                     files={"file": ("results.csv", handle, "text/csv")})  # fmt: skip
            assert answer.status_code == status, answer.text
        assert answer.json()["added"] > 0 and answer.json()["errors"] == []
        assert client.post(f"/v1/runs/{run_id}/results/update", headers={"Authorization": f"Bearer {theirs}"}).status_code == 404
        updated = client.post(f"/v1/runs/{run_id}/results/update", headers={"Authorization": f"Bearer {mine}"})
        assert updated.status_code == 200, updated.text
        assert updated.json()["through_week"] == 3 and updated.json()["moves"]
    assert result_store(settings).rows("beta", run_id).empty
    record = registry(settings).get(run_id)
    assert record.version == 2 and record.output_dir.endswith("v2")
    report = (Path(record.output_dir) / "report.md").read_text(encoding="utf-8")
    assert "## After launch: results through week 3 of" in report and "### What moved" in report
    assert (Path(record.output_dir) / "curves.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    html = (Path(record.output_dir) / "report.html").read_text(encoding="utf-8")
    assert '<section id="results">' in html and "results through week 3" in html
    assert LaunchPackage.model_validate_json((Path(record.output_dir) / "package.json").read_text()).results is not None


def test_cli_imports_results_lists_bad_lines_and_updates_the_run(tmp_path: Path, package: LaunchPackage,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    settings = _settings(tmp_path)
    for name, value in (("GREENROOM_DATA_DIR", settings.data_dir), ("GREENROOM_OUTPUT_DIR", settings.output_dir),
                        ("GREENROOM_SEED_CATALOG", "false")):  # fmt: skip
        monkeypatch.setenv(name, str(value))
    run_id = _register(settings, package, "default")
    rows = _simulated_rows(package, 2)
    path = tmp_path / "results.csv"
    rows.to_csv(path, index=False)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("2026-03-02,search,search-1,abc,1,0,0\n")
    runner = CliRunner()
    first = runner.invoke(app, ["results", "import", run_id, str(path)])
    assert first.exit_code == EXIT_BAD_INPUT, first.output
    assert f"line {len(rows) + 2}" in first.output and "spend (column 'spend')" in first.output
    again = runner.invoke(app, ["results", "import", run_id, str(path)])
    assert f"0 added, 0 updated, {len(rows)} unchanged" in again.output
    other = runner.invoke(app, ["results", "import", run_id, str(path), "--tenant", "beta"])
    assert other.exit_code == EXIT_BAD_INPUT and "no run" in other.output
    done = runner.invoke(app, ["results", "update", run_id])
    assert done.exit_code == 0, done.output
    assert "Through week 2 of" in done.output and "Version 2 written" in done.output


def test_the_simulated_campaign_report_names_the_creative_winners(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["results", "simulate", "--week", "4", "--out", str(tmp_path / "sim")])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "sim" / "results.md").read_text(encoding="utf-8")
    assert "results through week 4 of 10" in report and "winner" in report and "### Attribution by channel" in report
    truth = (tmp_path / "sim" / "truth.md").read_text(encoding="utf-8")
    assert creative_id("search", 0) in truth


def test_update_run_refuses_another_tenants_run(tmp_path: Path, package: LaunchPackage) -> None:
    from greenroom.store.runs import UnknownRunError

    settings = _settings(tmp_path)
    run_id = _register(settings, package, "acme")
    with pytest.raises(UnknownRunError):
        update_run(settings, run_id, "beta")


def test_a_stopped_test_gets_a_new_line_in_the_winners_direction_and_never_a_repeat(package: LaunchPackage) -> None:
    from greenroom.interfaces.results import plan_curves, update_package
    from tests.packages import story_model

    plan = package.promotion_plan
    channel = plan.ad_copy[0].channel
    campaign = make_campaign(plan_curves(package), seed=5, variants=2)
    campaign.start = plan.week_starts[0]
    campaign.click_rates[channel] = [0.005, 0.02]
    spend = planned_spend(plan.allocation, [c.name for c in campaign.curves])
    rng = np.random.default_rng(5)
    rows = pd.DataFrame([r for week in range(2) for r in daily_rows(campaign, spend, week, rng)])
    fresh = "The storm comes back for the keeper tonight."
    replies = {title: {"variants": [plan.ad_copy[0].variants[1], fresh[: int(size)]]}
               for title, size in (("AdCopyShort", 40), ("AdCopy", 120), ("AdCopyLong", 200))}  # fmt: skip
    updated = update_package(package, rows, model=story_model(replies=replies))
    test = next(t for t in updated.results.creative_tests if t.channel == channel)  # type: ignore[union-attr]
    assert test.winner == creative_id(channel, 1)
    assert test.new_variant.startswith(fresh[:20]) and test.new_variant_id == creative_id(channel, len(test.arms))
    assert len(updated.calls) > len(package.calls)
    repeat = update_package(package, rows, model=story_model(replies={t: {"variants": plan.ad_copy[0].variants[:2]}
                                                                       for t in replies}))  # fmt: skip
    assert next(t for t in repeat.results.creative_tests if t.channel == channel).new_variant == ""  # type: ignore[union-attr]


def test_a_results_file_attached_in_a_runs_slack_thread_updates_the_run(tmp_path: Path, package: LaunchPackage) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from types import SimpleNamespace

    from greenroom.interfaces.slack import SlackBot, tenant_of

    settings = _settings(tmp_path)
    run_id = _register(settings, package, tenant_of("T1"))
    body = _simulated_rows(package, 2).to_csv(index=False).encode()

    class Files(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body if self.headers.get("Authorization") == "Bearer xoxb-test" else b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    posted: list[dict[str, Any]] = []
    client = SimpleNamespace(
        base_url=f"{base}/api/", token="xoxb-test", chat_postMessage=lambda **kw: posted.append(kw) or {"ts": "1"},
        files_info=lambda file: {"file": {"id": file, "name": "week2.csv", "url_private": f"{base}/files/week2.csv"}},
    )  # fmt: skip
    bot = SlackBot(settings, SimpleNamespace(settings=settings), client)  # type: ignore[arg-type]
    bot.threads.link("C1", "100.1", run_id, "T1")
    try:
        event = {"channel": "C1", "ts": "100.9", "thread_ts": "100.1", "text": "<@UBOT> results",
                 "files": [{"id": "F1", "name": "week2.csv"}]}  # fmt: skip
        bot.on_mention(event, {"team_id": "T1"})
        bot.on_mention(event, {"team_id": "T2"})  # another workspace: another tenant, no such run
    finally:
        server.shutdown()
        server.server_close()
    assert posted[0]["thread_ts"] == "100.1" and "rows added" in posted[0]["text"]
    assert "Through week 2 of" in posted[0]["text"] and "Version 2" in posted[0]["text"]
    assert posted[1]["text"].startswith("✘") and registry(settings).get(run_id).version == 2


def test_results_uploaded_on_the_chat_page_update_the_chats_run(tmp_path: Path, package: LaunchPackage) -> None:
    settings = _settings(tmp_path)
    run_id = _register(settings, package, "acme")
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")
    mine, theirs = {"Authorization": f"Bearer {keys.create('acme')[1]}"}, {"Authorization": f"Bearer {keys.create('beta')[1]}"}
    body = _simulated_rows(package, 2).to_csv(index=False).encode()

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), catalog=None, trained=None)

    app_ = create_app(settings, context)
    with TestClient(app_, base_url="http://127.0.0.1:8000") as client:
        sessions = {name: str(client.post("/chat/sessions", headers=h).json()["session_id"]) for name, h in
                    (("acme", mine), ("beta", theirs), ("idle", mine))}  # fmt: skip
        headers = {"acme": mine, "beta": theirs, "idle": mine}
        for name, tenant in (("acme", "acme"), ("beta", "beta")):
            app_.state.chat.sessions.step(sessions[name], tenant, {"kind": "carried", "run_id": run_id})  # as a launch does
        answers = {name: client.post(f"/chat/sessions/{sessions[name]}/results", headers=headers[name],
                                     files={"file": ("week2.csv", body, "text/csv")})
                   for name in sessions}  # fmt: skip
    assert answers["acme"].status_code == 200, answers["acme"].text
    said = answers["acme"].json()["say"]
    assert said[0].startswith("Results from week2.csv:") and any("Through week 2 of" in line for line in said)
    assert answers["beta"].status_code == 404 and answers["idle"].status_code == 409
    assert registry(settings).get(run_id).version == 2
