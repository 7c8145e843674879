"""The brief as an editable form beside the chat, in a real browser (desktop and a 390 px phone), and a session that
survives a server restart. Playwright drives Debian's headless Chromium against uvicorn (loopback, fake model).

With GREENROOM_SCREENSHOTS=<folder> set, the tests save chat-form-desktop.png and chat-form-phone.png there
(the ones in docs/ were made with GREENROOM_SCREENSHOTS=docs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.api_helpers import api_settings, thread_server
from tests.integration.test_chat_page import CHROMIUM, DESKTOP, FLAGS, PHONE, _mine, _page, _page_width, _ready, _say, _screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

MIXED = [  # a producer's own words, in their own order: each answer names another field than the one asked
    "The Salt Road - two estranged sisters drive their late dad's truck from Perth to the coast to scatter his ashes",
    "budget is around two and a half million",
    "territories Canada, Australia and New Zealand",
    "early spring 2028, but not before March 10",
    "It's a six-part drama series, each episode 50 minutes",
    "keep it PG",
    "please avoid anything about drug use or graphic violence",
    "mostly women 25 to 44",
    "subscription",
]
EXPECTED = {
    "working_title": "The Salt Road", "format": "series", "genres": "drama", "length.episodes": "6", "length.minutes": "50",
    "budget.amount": "2500000", "business_model": "subscription", "release.earliest": "2028-03-10",
    "release.latest": "2028-03-31", "territories": "CA, AU, NZ", "audience.age_min": "25", "audience.age_max": "44",
    "constraints.age_rating_ceiling": "PG", "constraints.avoid_topics": "drug use, graphic violence",
}  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium)"
    ),
]


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


@pytest.fixture
def catalog() -> Any:
    from greenroom.store.catalog import Catalog, Title
    from tests.conftest import SMALL_CATALOG

    found = Catalog.memory()
    found.upsert([Title(source="test", **row) for row in SMALL_CATALOG])
    return found


def _form(page: Page) -> dict[str, str]:
    """The brief form as the page shows it: field -> value."""
    rows: list[list[str]] = page.eval_on_selector_all("#brief [name]", "els => els.map(e => [e.name, e.value])")
    return dict((name, value) for name, value in rows)


def _filled_right(page: Page) -> None:
    form = _form(page)
    assert {k: form[k] for k in EXPECTED} == EXPECTED
    assert form["logline"].startswith("Two estranged sisters drive their late dad's truck")
    assert form["audience.interests"] == "" and form["studio"] == "" and form["tone"] == ""  # nothing stored by mistake


@pytest.mark.parametrize(("viewport", "shot"), [(DESKTOP, "chat-form-desktop.png"), (PHONE, "chat-form-phone.png")])
def test_a_mixed_order_conversation_fills_the_form_an_edit_shows_in_the_chat_and_a_restart_keeps_it(
    tmp_path: Path, browser: Browser, trained_small: Any, catalog: Any, viewport: dict[str, int], shot: str
) -> None:
    from playwright.sync_api import expect

    settings = api_settings(tmp_path / "data", tmp_path / "out")
    with thread_server(settings, catalog, trained_small) as server:
        page = _page(browser, viewport)
        page.goto(f"{server.url}/chat")
        _ready(page)
        _say(page, *MIXED)
        expect(page.locator(".msg.bot", has_text="Budget: $2.5M (from “budget is around two and a half million”)")).to_have_count(
            1
        )
        expect(page.locator("#brief")).to_be_visible()  # nothing to unfold, on a phone too
        _filled_right(page)
        assert _page_width(page) <= viewport["width"]
        expect(page.locator("#missing")).to_have_text("")
        expect(page.get_by_role("button", name="Launch it")).to_be_visible()
        _screenshot(page, shot)

        budget = page.locator("#brief [name='budget.amount']")
        budget.fill("3M")
        budget.press("Tab")  # the change is sent when the field is left
        expect(page.locator(".msg.bot", has_text="Changed in the form: Budget: $3M")).to_have_count(1)
        expect(page.locator("body[data-pending='0']")).to_have_count(1)
        said, session = _mine(page), page.url.split("#s=", 1)[1]
        page.context.close()

    with thread_server(settings, catalog, trained_small) as restarted:  # a new server process on the same data
        page = _page(browser, viewport)
        page.goto(f"{restarted.url}/chat#s={session}")
        _ready(page)
        assert _mine(page) == said and page.url.endswith(session)
        expect(page.locator("#session-id")).to_contain_text(f"greenroom chat --session {session}")  # to resume elsewhere
        expect(page.locator(".msg.bot", has_text="Changed in the form: Budget: $3M")).to_have_count(1)
        form = _form(page)
        assert form["budget.amount"] == "3000000" and form["territories"] == "CA, AU, NZ"
        _say(page, "undo")
        expect(page.locator("#brief [name='budget.amount']")).to_have_value("2500000")
        page.context.close()
