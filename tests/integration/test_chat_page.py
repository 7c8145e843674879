"""The chat page in a real browser: Playwright drives Debian's headless Chromium against a uvicorn server (loopback, fake model).

Needs /usr/bin/chromium (Debian: `apt-get install -y chromium`) and the `playwright` package (its driver only;
no browser download); skipped without Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from greenroom.interfaces.chat import DEFAULT_TENANT
from greenroom.store.runs import ServiceRegistry
from tests.integration.api_helpers import Served, api_settings, thread_server

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium)"
    ),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Iterator[tuple[Served, Path]]:
    """The API (and its chat page) in a thread, and its data folder."""
    from greenroom.store.catalog import Catalog, Title
    from tests.conftest import SMALL_CATALOG

    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in SMALL_CATALOG])
    root = tmp_path_factory.mktemp("chat")
    with thread_server(api_settings(root / "data", root / "out"), catalog, trained_small, "acme") as server:
        yield server, root / "data"


def test_a_conversation_builds_a_brief_runs_it_and_approves_the_package(served: tuple[Served, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, data_dir = served
    expect.set_options(timeout=60_000)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{server.url}/chat")
            expect(page.locator("body[data-ready='1']")).to_have_count(1)
            for message in (
                "A film called Night Shift at the Lighthouse",
                "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a week-long storm.",
                "thriller, drama",
                "104 minutes",
                "budget 250000 USD",
                "theatrical",
            ):
                page.fill("#text", message)
                page.press("#text", "Enter")
            expect(page.locator("#missing")).to_have_text("Still needed: release")
            page.fill("#text", "release 2027-09-01 to 2027-12-15")
            page.press("#text", "Enter")
            expect(page.locator("#brief")).to_contain_text("Night Shift at the Lighthouse")
            page.get_by_role("button", name="Launch it").click()
            expect(page.locator(".progress", has_text="Writer started")).to_have_count(1)
            expect(page.get_by_role("button", name="Approve")).to_be_visible()
            report = page.frame_locator("iframe[title='Launch package report']")
            expect(report.locator("h1")).to_have_text("Night Shift at the Lighthouse")
            expect(report.locator("figure[id^='chart-'] svg").first).to_be_visible()
            run_id = page.locator("#run").inner_text().split()[1]
            page.get_by_role("button", name="Approve").click()
            expect(page.locator(".msg.bot", has_text="approved").last).to_be_visible()
        finally:
            browser.close()
    record = ServiceRegistry(data_dir / "runs.sqlite").get(run_id)
    assert record.status == "approved" and record.tenant == DEFAULT_TENANT  # an ordinary run of the chat's tenant
    assert httpx.get(f"{server.url}/v1/runs/{run_id}", timeout=10).status_code == 401  # the REST API still wants a key
