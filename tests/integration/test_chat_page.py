"""The chat page in a real browser: Playwright drives Debian's headless Chromium against a uvicorn server (loopback, fake model).

Needs /usr/bin/chromium (Debian: `apt-get install -y chromium`) and the `playwright` package (its driver only;
no browser download); skipped without Chromium. With GREENROOM_SCREENSHOTS=<folder> set, the tests save
chat-desktop.png and chat-phone.png there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from greenroom.interfaces.chat import DEFAULT_TENANT
from greenroom.store.runs import RunRegistry
from tests.integration.api_helpers import Served, api_settings, thread_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("GREENROOM_SCREENSHOTS")

FILM = [
    "A film called Night Shift at the Lighthouse",
    "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a week-long storm.",
    "thriller, drama",
    "104 minutes",
    "budget 250000 USD",
    "theatrical",
]
MORE = [  # fields a producer adds once the brief is complete, and some chatter: 20 messages in all with FILM
    "The audience is adults 18-34 in the US and UK",
    "R rated max",
    "territories: US, GB",
    "avoid: gore, smoking",
    "it must include the lighthouse",
    "studio: Harbour Light Pictures",
    "hmm",
    "the storm should feel endless",
    "budget 250000 USD",
    "see https://example.com/" + "storm-notes-" * 12,  # one long unbroken word
    "thriller, drama",
    "R rated max",
    "territories: US, GB",
]

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Browser, viewport: dict[str, int]) -> Page:
    page = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    page.set_default_timeout(60_000)
    return page


def _ready(page: Page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("body[data-ready='1']")).to_have_count(1)


def _say(page: Page, *messages: str) -> None:
    """Type each message and send it, then wait for every answer."""
    from playwright.sync_api import expect

    for message in messages:
        page.fill("#text", message)
        page.press("#text", "Enter")
    expect(page.locator("body[data-pending='0']")).to_have_count(1)


def _panel(page: Page) -> dict[str, str]:
    """The brief form as the page shows it: label -> value."""
    rows: list[list[str]] = page.eval_on_selector_all(
        "#brief label", "labels => labels.map(l => [l.firstChild.textContent, l.lastChild.value])"
    )
    return dict((label, value) for label, value in rows)


def _mine(page: Page) -> list[str]:
    return page.locator(".msg.me").all_inner_texts()


def _inside_viewport(page: Page, selector: str) -> bool:
    box, size = page.locator(selector).bounding_box(), page.viewport_size
    assert box is not None and size is not None
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]  # fmt: skip


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name))


def test_a_conversation_builds_a_brief_runs_it_and_approves_the_package(served: tuple[Served, Path], browser: Browser) -> None:
    from playwright.sync_api import expect

    server, data_dir = served
    page = _page(browser, DESKTOP)
    page.goto(f"{server.url}/chat")
    _ready(page)
    _say(page, *FILM)
    expect(page.locator("#missing")).to_have_text("Still needed: release")
    expect(page.locator("#brief label.todo > span")).to_have_text(["Release earliest date", "Release latest date"])
    _say(page, "release 2027-09-01 to 2027-12-15", *MORE)
    expect(page.locator(".msg.me")).to_have_count(20)
    expect(page.locator("#brief [name='studio']")).to_have_value("Harbour Light Pictures")
    expect(page.locator("#offers").get_by_role("button", name="Launch it")).to_be_visible()
    assert _inside_viewport(page, "#say button") and _inside_viewport(page, "#text")  # the input stays in view
    panel = _panel(page)
    assert panel["Working title"] == "Night Shift at the Lighthouse" and panel["Budget amount"] == "250000"
    assert panel["Release earliest date"] == "2027-09-01" and panel["Release latest date"] == "2027-12-15"
    assert panel["Audience youngest age"] == "18" and panel["Audience regions"] == "US, GB"
    assert panel["Genres"] == "thriller, drama" and panel["Avoid"] == "gore, smoking"
    assert not any(c in page.locator("aside").inner_text() for c in "{}[]_")

    page.get_by_role("button", name="Launch it").click()
    expect(page.locator(".progress", has_text="Writer started")).to_have_count(1)
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    report = page.frame_locator("iframe[title='Launch package report']")
    expect(report.locator("h1")).to_have_text("Night Shift at the Lighthouse")
    expect(report.locator("figure[id^='chart-'] svg").first).to_be_visible()
    expect(page.locator("#run")).to_contain_text("awaiting your approval")
    assert _inside_viewport(page, "#say button")
    run_id = page.locator("#run").inner_text().split()[1]
    said, panel, progress = _mine(page), _panel(page), page.locator(".progress").all_inner_texts()
    _screenshot(page, "chat-desktop.png")

    page.reload()  # the URL carries the session: everything comes back
    _ready(page)
    assert page.url.split("#", 1)[1].startswith("s=")
    assert _mine(page) == said and _panel(page) == panel
    assert page.locator(".progress").all_inner_texts() == progress
    expect(page.locator("#run")).to_have_text(f"Run {run_id} — awaiting your approval")
    expect(report.locator("h1")).to_have_text("Night Shift at the Lighthouse")
    expect(page.locator("#sessions li[aria-current]")).to_contain_text("Night Shift at the Lighthouse")
    expect(page.locator("#sessions li[aria-current]")).to_contain_text("awaiting your approval")

    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".msg.bot", has_text="approved by a person").last).to_be_visible()
    expect(page.locator(".progress", has_text="your answer is waiting for a worker")).to_have_count(1)
    text = page.locator("body").inner_text()
    assert "awaiting_approval" not in text and "approve queued" not in text
    page.context.close()
    record = RunRegistry(data_dir / "runs.sqlite").get(run_id)
    assert record.status == "approved" and record.tenant == DEFAULT_TENANT  # an ordinary run of the chat's tenant
    assert httpx.get(f"{server.url}/v1/runs/{run_id}", timeout=10).status_code == 401  # the REST API still wants a key


def test_on_a_phone_the_page_fits_the_screen_and_a_reload_or_the_session_list_brings_the_chat_back(
    served: tuple[Served, Path], browser: Browser
) -> None:
    from playwright.sync_api import expect

    server, _ = served
    page = _page(browser, PHONE)
    page.goto(f"{server.url}/chat")
    _ready(page)
    _say(page, *FILM, "release 2027-09-01 to 2027-12-15", *MORE)
    expect(page.locator(".msg.me")).to_have_count(20)
    expect(page.get_by_role("button", name="Launch it")).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    assert _inside_viewport(page, "#say button") and _inside_viewport(page, "#text")

    expect(page.locator("#brief [name='studio']")).to_have_value("Harbour Light Pictures")  # nothing folded, on a phone too
    panel = _panel(page)
    assert panel["Budget amount"] == "250000" and panel["Release latest date"] == "2027-12-15"
    assert not any(c in page.locator("#panel").inner_text() for c in "{}[]_")
    assert _page_width(page) <= PHONE["width"] and _inside_viewport(page, "#say button")
    _screenshot(page, "chat-phone.png")

    said, address = _mine(page), page.url
    page.reload()
    _ready(page)
    assert page.url == address and _mine(page) == said
    assert _panel(page) == panel and _page_width(page) <= PHONE["width"]

    page.get_by_role("button", name="New chat").click()
    _ready(page)
    assert page.url != address and _mine(page) == []
    page.locator("#history summary").click()
    page.locator("#sessions a", has_text="Night Shift at the Lighthouse").click()
    expect(page.locator(".msg.me")).to_have_count(len(said))
    assert page.url == address and _mine(page) == said

    other = _page(browser, PHONE)  # a shared link opens the same chat in another browser
    other.goto(address)
    _ready(other)
    assert _mine(other) == said
    page.context.close()
    other.context.close()
