"""Words are made where they are produced: every output a person reads of a launch package (the Markdown and HTML
reports, the Slack message and the prose of the JSON API) is free of Python list reprs, 'log1p' and snake_case
identifiers, with no filter repairing them at render time; and a run's status reads the same everywhere."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from greenroom.core.package import LaunchPackage
from greenroom.core.vocabulary import STATUS_DISPLAY, RunStatus
from greenroom.interfaces.reports import render_html, render_markdown
from greenroom.interfaces.slack import package_blocks, progress_text
from tests.packages import make_package

BRIEFS = ("night-shift-film.yaml", "deep-dish-podcast.yaml", "orbital-series.yaml", "paper-lanterns-album.json")
"""A theatrical film, an ad-supported podcast, a subscription series and a music release (no forecast)."""

LIST_REPR = re.compile(r"""[\[(]\s*['"]""")
INTERVAL = re.compile(r"\[-?\d+(?:\.\d+)?,\s*-?\d")  # a range written as maths: "in [-1, 1]"
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def _faults(text: str) -> list[str]:
    """What a person should never read: a list repr, 'log1p', or a snake_case word (each with its context)."""
    found = [m.group(0) for m in LIST_REPR.finditer(text)] + (["log1p"] if "log1p" in text else [])
    found += [m.group(0) for m in INTERVAL.finditer(text)]
    found += [text[max(0, m.start() - 40) : m.end() + 40] for m in SNAKE.finditer(text)]
    return found


def _markdown_prose(markdown: str) -> str:
    """The Markdown as read: code spans and link targets dropped, backslash escapes undone."""
    text = re.sub(r"`[^`\n]*`", " ", markdown)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"\\(.)", r"\1", text)


class _Text(HTMLParser):
    """The text of an HTML page a person reads: no tags, attributes, styles, scripts, charts' code or code spans."""

    SKIP = frozenset({"style", "script", "code", "svg"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in self.SKIP

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self.SKIP

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def _html_prose(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _slack_prose(blocks: list[dict[str, Any]]) -> str:
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                texts.append(value["text"])
            for key, item in value.items():
                if key not in ("action_id", "block_id", "value", "style", "type"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks)
    return re.sub(r"`[^`\n]*`", " ", "\n".join(texts))


def _json_prose(package: LaunchPackage) -> str:
    """The sentences of the package as the JSON API sends it: every string value with a space in it (keys and
    vocabulary values such as 'ad_supported' are identifiers a program reads, not prose)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and " " in value.strip():
            found.append(value)

    walk(json.loads(package.model_dump_json()))
    return "\n".join(found)


@pytest.fixture(scope="module", params=BRIEFS)
def package(request: pytest.FixtureRequest, trained_small: Any, tmp_path_factory: pytest.TempPathFactory) -> LaunchPackage:
    return make_package(request.param, tmp_path_factory.getbasetemp() / "greenroom-data")


@pytest.mark.parametrize("output", ["markdown", "html", "slack", "json"])
def test_every_output_of_a_package_reads_in_plain_words(package: LaunchPackage, output: str) -> None:
    text = {
        "markdown": lambda: _markdown_prose(render_markdown(package, "awaiting_approval")),
        "html": lambda: _html_prose(render_html(package, "awaiting_approval")),
        "slack": lambda: _slack_prose(package_blocks(package, "awaiting_approval")),
        "json": lambda: _json_prose(package),
    }[output]()
    assert len(text) > 300  # the output was read, not an empty page
    assert _faults(text) == []


def test_the_checks_catch_what_they_look_for() -> None:
    assert _faults("genres ['Horror', 'Thriller'] are rare")
    assert _faults("an error of 0.9 in log1p(votes)")
    assert _faults("tier priors: premium_vod: assumption")
    assert _faults("compound score in [-1, 1]")
    assert _faults(_markdown_prose("tier priors: premium\\_vod")) and not _faults(_markdown_prose("run `a_b` done"))
    assert not _faults("a [note] in brackets, premium VOD, ad-supported")


def test_no_template_repairs_words_at_render_time() -> None:
    templates = Path(__file__).resolve().parents[2] / "src" / "greenroom" / "interfaces" / "templates"
    uses = [
        f"{p.name}: {line}"
        for p in templates.iterdir()
        for line in p.read_text().splitlines()
        if re.search(r"\|\s*words\b", line)
    ]
    assert uses == []


# --- one status table, one approval wording -----------------------------------------------------


def test_the_status_enum_stores_and_sends_plain_strings() -> None:
    assert RunStatus("awaiting_approval") == "awaiting_approval"
    assert json.dumps({"status": RunStatus.AWAITING_APPROVAL}) == '{"status": "awaiting_approval"}'
    assert set(STATUS_DISPLAY) == set(RunStatus)  # every status has its words, icon and colour


@pytest.mark.parametrize("status", list(RunStatus))
def test_slack_and_the_report_read_a_status_from_the_same_table(status: RunStatus) -> None:
    shown = STATUS_DISPLAY[status]
    assert progress_text("The Night Shift", [], status).startswith(f"{shown.icon} *The Night Shift* — {shown.words}")
    package = make_package("night-shift-film.yaml")
    blocks = json.dumps(package_blocks(package, status), ensure_ascii=False)
    assert f"{shown.icon} {shown.words}" in blocks
    if shown.decision:
        assert shown.decision in render_markdown(package, status)


@pytest.mark.parametrize("status", list(RunStatus))
def test_the_chat_and_the_cli_read_a_status_from_the_same_table(status: RunStatus, cli_env: Path) -> None:
    from typer.testing import CliRunner

    from greenroom.interfaces.chat import progress_line
    from greenroom.interfaces.cli import app
    from greenroom.interfaces.runs import registry
    from greenroom.interfaces.settings import Settings

    shown = STATUS_DISPLAY[status]
    assert progress_line("status", {"status": status, "message": ""}) == f"Status: {shown.words}"
    registry(Settings()).register("r1", "The Night Shift", {}, job=None, status=status)
    result = CliRunner().invoke(app, ["runs", "show", "r1"])
    assert result.exit_code == 0, result.output
    assert shown.words in " ".join(result.stdout.split())


def _cover(html: str) -> str:
    return html[html.find('<section id="summary"') : html.find("</section>")]


@pytest.mark.parametrize("editor", ["approved", "max_rounds"])
def test_a_run_awaiting_a_person_is_never_shown_as_not_approved(editor: str) -> None:
    package = make_package("night-shift-film.yaml").model_copy(update={"edit_outcome": editor})
    cover = _cover(render_html(package, "awaiting_approval"))
    assert '<div class="verdict awaiting"><strong>Awaiting your approval</strong>' in cover
    assert "not-approved" not in cover.split("<ul")[0] and "NOT APPROVED" not in cover.upper().split("<UL")[0]
    markdown = render_markdown(package, "awaiting_approval")
    assert "**Awaiting your approval.**" in markdown and "**Editor's verdict: not approved" not in markdown
    slack = json.dumps(package_blocks(package, "awaiting_approval"), ensure_ascii=False)
    assert "*Where it stands*\\n🟡 awaiting your approval" in slack and '"Approve"' in slack


def test_a_persons_approval_and_the_editors_verdict_are_worded_apart() -> None:
    package = make_package("night-shift-film.yaml").model_copy(update={"edit_outcome": "max_rounds"})
    cover = unescape(_cover(render_html(package, "approved")))
    assert '<div class="verdict approved"><strong>Approved by a person</strong>' in cover
    assert '<span class="name">Editor\'s verdict</span><b>did not approve the draft</b>' in cover
    assert "Editor: Not approved" not in cover and "Editor: not approved" not in cover
    markdown = render_markdown(package, "approved")
    assert "**Approved by a person.**" in markdown and "| Editor's verdict | The editor did not approve" in markdown
    slack = json.dumps(package_blocks(package, "approved"), ensure_ascii=False)
    assert "approved by a person" in slack and "*Editor's verdict*\\nThe editor did not approve" in slack
    assert '"Approve"' not in slack  # nothing left to answer
