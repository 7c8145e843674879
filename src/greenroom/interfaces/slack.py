"""The Slack bot: briefs in from a slash command or a mention, progress and the launch package back in the thread.

    /greenroom title: Night Shift ...        # a brief inline, YAML or JSON
    @greenroom  (with brief.yaml attached)   # or as a file
    /greenroom resume 3f2a…                  # carry on a chat session from the chat page or the terminal

Thin by design, like the REST API: briefs are checked here and handed to the
same `RunService`; its event feed drives the thread (one progress message,
updated as steps finish), the package arrives as Block Kit with approve and
reject buttons, and a reply in the thread asks for a revision. Which thread
follows which run is kept in the run registry (`store.slack_threads`).

A chat session (the conversation that builds a brief, `interfaces.chat`) of the
workspace's tenant can be resumed in a thread: each reply there is a message
of the conversation, worded for Slack, and the run it launches is followed in
the same thread. A session of another tenant is not found.

HTTP mode mounts `/slack/events` on the REST API server (every request's
signature and timestamp are checked with the signing secret by bolt);
Socket Mode runs from `greenroom slack --socket`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from fastapi import FastAPI, Request, Response
from slack_bolt import Ack, App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from greenroom.core import limits
from greenroom.core.brief import Brief, BriefError, FieldError, parse_brief
from greenroom.core.package import LaunchPackage
from greenroom.core.vocabulary import ACTIVE, status_icon, status_words
from greenroom.graphs.conversation import missing_fields
from greenroom.interfaces.chat import ChatDesk, ChatSession, ChatSessions, UnknownChatError, brief_rows, model_reader_for
from greenroom.interfaces.outputs import (
    ESTIMATE_NAMES,
    REACH_NAME,
    amount,
    editor_outcome,
    estimate_span,
    estimate_value,
    fallback_notes,
    label,
    money,
    price,
    sentence,
    span,
)
from greenroom.interfaces.problems import problem_response
from greenroom.interfaces.service import RunBusyError, RunService
from greenroom.interfaces.settings import Settings
from greenroom.store.runs import IdempotencyConflictError, RunEvent, UnknownRunError
from greenroom.store.slack_requests import SeenRequests
from greenroom.store.slack_threads import SlackChat, SlackThread, SlackThreads

logger = logging.getLogger(__name__)

COMMAND = "/greenroom"
APPROVE_ACTION = "greenroom_approve"
REJECT_ACTION = "greenroom_reject"
EVENTS_PATH = "/slack/events"
SLACK_FILES_ORIGIN = "https://files.slack.com"
MAX_BRIEF_FILE_BYTES = 256 * 1024
RESULTS_SUFFIXES = (".csv", ".parquet")
"""A file with one of these names, attached in a run's thread, is the campaign's results (`interfaces.results`)."""
MAX_RESULTS_FILE_BYTES = 20 * 1024 * 1024
BRIEF_SUFFIXES = (".yaml", ".yml", ".json")
FOLLOW_PING_S = 15
USAGE = (
    "Send a brief in YAML or JSON: `/greenroom` followed by the brief, or mention me with the brief "
    "(inline or as an attached .yaml/.json file). Reply in the thread to ask for a revision. "
    "`/greenroom resume ID` carries on a chat session started on the chat page or in the terminal."
)
RESUME = re.compile(r"^\s*resume\s+`?([0-9a-f]{32})`?\s*$", re.I)
"""`resume ID`: carry on a chat session in a thread."""
BRIEF_WORDS = ("brief", "show brief", "the brief")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_FENCE = re.compile(r"^```[a-z]*\n?|\n?```$")


# --- briefs from Slack text and files ----------------------------------------------


def slack_text(text: str) -> str:
    """Slack's markup undone: mentions dropped, links to their text, code fences removed, entities unescaped."""
    text = _MENTION.sub("", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _FENCE.sub("", text.strip())
    return html.unescape(text).strip()


def brief_from_text(text: str, source: str = "Slack message") -> Brief:
    """A brief from YAML or JSON text (JSON is YAML), BriefError with every failing field."""
    if limits.json_depth(text) > limits.JSON_MAX_DEPTH:
        raise BriefError([FieldError(field="brief", message=f"nested more than {limits.JSON_MAX_DEPTH} levels deep")], source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BriefError([FieldError(field="brief", message=f"not valid YAML or JSON: {exc}")], source) from exc
    except (ValueError, RecursionError):  # a number of thousands of digits, or nesting by indentation
        raise BriefError([FieldError(field="brief", message="holds a number or nesting too large to read")], source) from None
    return parse_brief(data, source)


def download_brief_file(client: WebClient, file_id: str) -> Brief:
    """Fetch an attached brief with the bot token (`files.info`, then its `url_private`) and parse it."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError:
        raise BriefError([FieldError(field="file", message="Slack would not say where the attached brief is")]) from None
    name = str(info.get("name", file_id))
    if not name.lower().endswith(BRIEF_SUFFIXES):
        raise BriefError([FieldError(field="file", message=f"{name}: attach a .yaml, .yml or .json brief")], name)
    if int(info.get("size", 0)) > MAX_BRIEF_FILE_BYTES:
        raise BriefError([FieldError(field="file", message=f"{name}: larger than {MAX_BRIEF_FILE_BYTES} bytes")], name)
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    _check_file_origin(client, url)
    return brief_from_text(_download(url, str(client.token), name), name)


class ResultsFileError(ValueError):
    """An attached results file that cannot be fetched (wrong kind, too large, the download failed)."""


def download_results_file(client: WebClient, file_id: str) -> tuple[str, bytes]:
    """Fetch an attached results file (CSV or Parquet) with the bot token: its name and its bytes."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError:
        raise ResultsFileError("Slack would not say where the attached results file is") from None
    name = str(info.get("name", file_id))
    if not name.lower().endswith(RESULTS_SUFFIXES):
        raise ResultsFileError(f"{name}: attach the results as a .csv or .parquet file")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if _origin(url) not in {SLACK_FILES_ORIGIN, _origin(client.base_url)}:
        raise ResultsFileError(f"{name}: refusing to download it from {_origin(url)}")
    body = bytearray()
    try:
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {client.token}"}, timeout=30,
                          follow_redirects=False) as response:  # fmt: skip
            if response.status_code != 200:
                raise ResultsFileError(f"{name}: the download failed (Slack answered {response.status_code}); attach it again")
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_RESULTS_FILE_BYTES:
                    raise ResultsFileError(f"{name}: larger than {MAX_RESULTS_FILE_BYTES // (1024 * 1024)} MB; split it")
    except httpx.HTTPError:
        raise ResultsFileError(f"{name}: the download did not complete; attach it again") from None
    return name, bytes(body)


def _download(url: str, token: str, name: str) -> str:
    """The file's text, read up to the size limit whatever size Slack reported; BriefError (field `file`) otherwise."""

    def refuse(message: str) -> BriefError:
        return BriefError([FieldError(field="file", message=f"{name}: {message}")], name)

    try:
        with httpx.stream(
            "GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=30, follow_redirects=False
        ) as response:
            if response.is_redirect:
                raise refuse("Slack redirected the download elsewhere; attach the brief again or paste it")
            if response.status_code != 200:
                raise refuse(f"the download failed (Slack answered {response.status_code}); attach the brief again")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_BRIEF_FILE_BYTES:
                    raise refuse(f"larger than {MAX_BRIEF_FILE_BYTES} bytes")
    except httpx.HTTPError:
        raise refuse("the download did not complete; attach the brief again") from None
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("is not UTF-8 text") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _check_file_origin(client: WebClient, url: str) -> None:
    """The bot token goes only to Slack's file host or the Web API's own origin (a fake one in tests)."""
    if _origin(url) not in {SLACK_FILES_ORIGIN, _origin(client.base_url)}:
        raise BriefError([FieldError(field="file", message=f"refusing to download the brief from {_origin(url)}")])


def errors_text(exc: BriefError) -> str:
    """Every failing field, one per line."""
    lines = "\n".join(f"• `{e.field}`: {e.message}" for e in exc.errors)
    return f"✘ The brief has {len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''}:\n{lines}"


# --- messages --------------------------------------------------------------------


def progress_text(title: str, done: list[str], status: str, message: str = "") -> str:
    """The progress message: the steps finished so far and where the run stands."""
    from greenroom.graphs.steps import STEP_LABELS  # the declarations import every agent: loaded once a run reports

    lines = [f"{status_icon(status)} *{title}* — {status_words(status)}" + (f": {message}" if message else "")]
    lines += [f"  ✓ {step}: {STEP_LABELS.get(step, step)}" for step in done]
    return "\n".join(lines)


def _reach_field(package: LaunchPackage) -> str:
    """People reached as the report's funnel counts them (unique, in the addressable audience), else gross."""
    if package.funnel is None:
        reach = package.promotion_plan.allocation.expected_reach
        return f"*{sentence(REACH_NAME)}*\n{amount(reach.expected)} by the promotion (gross; {span(reach.low, reach.high, reach.interval)})"
    reached, addressable = package.funnel.stage("reached"), package.funnel.stage("addressable")
    return (
        f"*{sentence(REACH_NAME)}*\n{amount(reached.point)} of an addressable {amount(addressable.point)}, each counted once "
        f"({amount(reached.low)} – {amount(reached.high)})"
    )


def _estimate_line(key: str, estimate: Any) -> str:
    """One forecast in words; interest as its percentile among the same years' releases (a unit that survives
    time), the count beside it named as a 2005 snapshot, as the report has it."""
    name = sentence(ESTIMATE_NAMES[key])
    if key == "votes" and estimate.percentile is not None:
        return (f"{name}: percentile {estimate.percentile:.0f} of {estimate.percentile_of} "
                f"({estimate.percentile_lower:.0f}–{estimate.percentile_upper:.0f}); the count, "
                f"{estimate_value(key, estimate.point, estimate.unit)}, is of a 2005 snapshot")  # fmt: skip
    return f"{name}: {estimate_value(key, estimate.point, estimate.unit)} ({estimate_span(key, estimate)})"


def package_fields(package: LaunchPackage) -> list[str]:
    """The key numbers a person decides on, named and rounded as in the report: launch date, forecast, promotion
    budget and people reached, prices, the editor's outcome, and what the model could not write."""
    promo = package.promotion_plan.allocation
    tiers, forecast = package.pricing_plan.recommendation.tiers, package.audience.forecast
    prices = "\n".join(f"{sentence(label(t.tier))}: {price(t.recommended.price, t.currency)}" for t in tiers)
    estimates = [(key, getattr(forecast, key)) for key in ("votes", "box_office")] if forecast else []
    outlook = "\n".join(_estimate_line(key, e) for key, e in estimates if e is not None)
    notes = fallback_notes(package)
    return [
        f"*Launch date*\n{package.release_plan.chosen.start:%a %d %b %Y}",
        *([f"*Forecast*\n{outlook}"] if outlook else []),
        f"*Promotion budget*\n{money(promo.budget, promo.currency)} over {promo.weeks} weeks",
        _reach_field(package),
        f"*Recommended prices*\n{prices or f'No viewer price ({label(package.brief.business_model.value)} release)'}",
        f"*Editor's verdict*\n{editor_outcome(package)}",
        *(["*Caveats*\n" + "\n".join(notes)] if notes else []),
    ]


def package_blocks(package: LaunchPackage, status: str) -> list[dict[str, Any]]:
    """The package as Block Kit; approve and reject buttons while it awaits approval."""
    title = package.brief.working_title
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title} — launch package v{package.version}"[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f[:2000]} for f in [
            f"*Where it stands*\n{status_icon(status)} {status_words(status)}", *package_fields(package)]]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"run `{package.run_id}` · {package.accounting.model_calls} model calls · est. ${package.accounting.cost:.4f}"
            + (f" · revision: {package.revision_note[:200]}" if package.revision_note else ""))}]},
    ]  # fmt: skip
    if status == "awaiting_approval":
        blocks.append({"type": "actions", "block_id": "greenroom_approval", "elements": [
            {"type": "button", "action_id": APPROVE_ACTION, "style": "primary", "value": package.run_id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": REJECT_ACTION, "style": "danger", "value": package.run_id,
             "text": {"type": "plain_text", "text": "Reject"}},
        ]})  # fmt: skip
    return blocks


def _answered_blocks(blocks: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """The package message once answered: its buttons replaced by who answered."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]


# --- the bot -----------------------------------------------------------------------


def tenant_of(team: str) -> str:
    """The run registry's tenant for a Slack workspace."""
    return f"slack-{team or 'workspace'}"


class SlackBot:
    """Slack requests to RunService calls, and each run's event feed back to its thread."""

    def __init__(self, settings: Settings, service: RunService, client: WebClient) -> None:
        self.service = service
        self.client = client
        self.threads = SlackThreads(settings.data_dir / "runs.sqlite")
        sessions = ChatSessions(settings, model_reader_for(settings.model), surface="slack")
        self.chats = ChatDesk(service, settings.api.chat_sessions, settings.api.chat_sessions_per_tenant, sessions=sessions)
        """Chat sessions carried on in threads (the same sessions as the chat page's and the terminal's)."""
        self._followers: set[threading.Thread] = set()
        self._lock = threading.Lock()

    # --- listeners (bolt passes arguments by name) ---

    def on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """`/greenroom BRIEF`: a bad brief is answered at once (only to its sender); a good one opens a thread."""
        text = slack_text(command.get("text", ""))
        if not text:
            ack(text=USAGE)
            return
        if resume := RESUME.match(text):
            self.resume(resume[1], command["channel_id"], command.get("user_id", ""), command.get("team_id", ""), ack=ack)
            return
        try:
            brief = brief_from_text(text)
        except BriefError as exc:
            ack(text=errors_text(exc))
            return
        ack()
        channel, user = command["channel_id"], command.get("user_id", "")
        root = self.client.chat_postMessage(channel=channel, text=f"<@{user}> sent the brief *{brief.working_title}*")
        self.submit(brief, channel, str(root["ts"]), command.get("team_id", ""))

    def on_mention(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """A mention: in a run's thread it asks for a revision; elsewhere it submits a brief (inline or attached)."""
        channel, ts, team = event["channel"], event["ts"], body.get("team_id", "")
        thread_ts = str(event.get("thread_ts") or ts)
        text = slack_text(event.get("text", ""))
        chat = self.threads.chat_for(channel, thread_ts) if event.get("thread_ts") else None
        if chat is not None and not event.get("files"):
            self.chat_reply(chat, text, team)
            return
        if chat is None and (resume := RESUME.match(text)):
            self.resume(resume[1], channel, event.get("user", ""), team, thread_ts=thread_ts)
            return
        link = self.threads.run_for(channel, thread_ts) if event.get("thread_ts") else None
        files = event.get("files") or []
        if link is not None and files and str(files[0].get("name", "")).lower().endswith(RESULTS_SUFFIXES):
            self.results(link, str(files[0]["id"]), team)
            return
        if link is not None and not event.get("files"):
            self.revise(link, text, event.get("user", ""), team)
            return
        try:
            brief = self._brief_of(event, text)
        except BriefError as exc:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=errors_text(exc))
            return
        if brief is None:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=USAGE)
            return
        self.submit(brief, channel, thread_ts, team, message_ts=ts)

    def on_message(self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]) -> None:
        """A person's reply in a run's thread asks for a revision (mentions are left to `on_mention`)."""
        thread_ts = event.get("thread_ts")
        if event.get("subtype") or event.get("bot_id") or not thread_ts or thread_ts == event.get("ts"):
            return
        bot_user = context.get("bot_user_id")
        if bot_user and f"<@{bot_user}" in event.get("text", ""):
            return
        chat = self.threads.chat_for(event["channel"], str(thread_ts))
        if chat is not None:
            self.chat_reply(chat, slack_text(event.get("text", "")), body.get("team_id", ""))
            return
        link = self.threads.run_for(event["channel"], str(thread_ts))
        if link is not None:
            self.revise(link, slack_text(event.get("text", "")), event.get("user", ""), body.get("team_id", ""))

    def on_approve(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """The Approve button."""
        ack()
        self._answer(body, str(action["value"]), {"action": "accept"}, "approved")

    def on_reject(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """The Reject button."""
        ack()
        user = body.get("user", {}).get("id", "")
        self._answer(body, str(action["value"]), {"action": "reject", "reason": f"rejected in Slack by <@{user}>"}, "rejected")

    # --- requests to the service ---

    def _brief_of(self, event: dict[str, Any], text: str) -> Brief | None:
        files = event.get("files") or []
        if files:
            return download_brief_file(self.client, str(files[0]["id"]))
        return brief_from_text(text) if text else None

    def submit(self, brief: Brief, channel: str, thread_ts: str, team: str, message_ts: str = "") -> None:
        """Queue the brief with an approval step and follow it in the thread (a Slack retry of the message gets the same run)."""
        key = f"slack:{channel}:{message_ts or thread_ts}"
        try:
            record, created = self.service.submit(brief, tenant_of(team), key, approval=True)
        except IdempotencyConflictError as exc:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=f"✘ {exc}")
            return
        if not created:
            return
        self.threads.link(channel, thread_ts, record.id, team)
        self.follow(record.id, channel, thread_ts, after=0, title=brief.working_title)

    def results(self, link: SlackThread, file_id: str, team: str) -> None:
        """A results file attached in a run's thread: imported for the run, then the run updated and re-planned."""
        import tempfile
        from pathlib import Path

        from greenroom.interfaces.results import PlanCurvesError, import_run_results, results_lines, update_run
        from greenroom.store.importer import ImportFileError

        def say(text: str) -> None:
            self.client.chat_postMessage(channel=link.channel, thread_ts=link.thread_ts, text=text)

        try:
            name, data = download_results_file(self.client, file_id)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"results{Path(name).suffix.lower()}"
                path.write_bytes(data)
                try:
                    report = import_run_results(self.service.settings, link.run_id, tenant_of(team), path)
                except ImportFileError as exc:  # named as the person attached it, not as the temporary copy
                    raise ResultsFileError(str(exc).replace(str(path), name)) from None
            package, _ = update_run(self.service.settings, link.run_id, tenant_of(team))
        except (ResultsFileError, PlanCurvesError, UnknownRunError) as exc:
            say(f"✘ {exc}")
            return
        skipped = "".join(f"\n  skipped {e}" for e in report.errors[:10])
        more = f"\n  … and {len(report.errors) - 10} more" if len(report.errors) > 10 else ""
        lines = results_lines(package.results) if package.results is not None else []
        say(f"Results from {name}: {report.added} rows added, {report.updated} updated, {report.unchanged} unchanged."
            f"{skipped}{more}\n" + "\n".join(lines) + f"\nVersion {package.version} of the package has the full report.")  # fmt: skip

    def revise(self, link: SlackThread, text: str, user: str, team: str) -> None:
        """A reply in the thread: the answer to a pending approval, or a revision of a finished run."""
        if not text:
            return
        after = self._last_seq(link.run_id)
        try:
            record = self.service.run_for(link.run_id, tenant_of(team))
            if record.status == "awaiting_approval":
                self.service.approve(link.run_id, {"action": "respond", "text": text})
            else:
                self.service.revise(link.run_id, note=text)
        except (RunBusyError, UnknownRunError, BriefError) as exc:
            self.client.chat_postMessage(channel=link.channel, thread_ts=link.thread_ts, text=f"✘ {exc}")
            return
        self.client.chat_postMessage(
            channel=link.channel, thread_ts=link.thread_ts, text=f"<@{user}> asked for a revision: {text}"
        )
        self.follow(link.run_id, link.channel, link.thread_ts, after=after, title=record.title)

    # --- chat sessions carried on in a thread ---

    def resume(self, session_id: str, channel: str, user: str, team: str, *, ack: Ack | None = None,
               thread_ts: str | None = None) -> None:  # fmt: skip
        """`resume ID`: the workspace's chat session carried on in a thread, its brief so far and its open question."""
        try:
            session = self.chats.session(session_id, tenant_of(team))
        except UnknownChatError:
            refusal = (f"There is no chat session `{session_id}` for this workspace. Copy the id from the chat page "
                       "(opened with this workspace's API key) or from the terminal.")  # fmt: skip
            if ack is not None:
                ack(text=refusal)
            else:
                self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=refusal)
            return
        if ack is not None:
            ack()
        if thread_ts is None:
            root = self.client.chat_postMessage(channel=channel,
                                                text=f"<@{user}> resumed the chat session `{session_id}`: *{session.title}*")  # fmt: skip
            thread_ts = str(root["ts"])
        link = self.threads.link_chat(channel, thread_ts, session_id, team)
        session = self._catch_up(link, session)
        self._say(link, "\n".join(["The brief so far:", *_brief_lines(session), _open_question(session)]))

    def chat_reply(self, link: SlackChat, text: str, team: str) -> None:
        """A reply in a chat session's thread: a message of the conversation; the run it starts is followed here."""
        if not text:
            return
        try:
            session = self._catch_up(link, self.chats.session(link.session_id, tenant_of(team)))
            if text.strip().lower() in BRIEF_WORDS:
                self._say(link, "\n".join(["The brief so far:", *_brief_lines(session)]))
                return
            before = session.conversation.run_id
            after = self._last_seq(before) if before else 0
            turn = self.chats.send(link.session_id, tenant_of(team), text)
        except UnknownChatError:
            self._say(link, f"✘ There is no chat session `{link.session_id}` for this workspace.")
            return
        self._say(link, "\n".join(turn.say))
        if turn.run_id and turn.stage == "running":
            self.follow(turn.run_id, link.channel, link.thread_ts, after=after if turn.run_id == before else 0,
                        title=str(turn.brief.get("working_title") or session.title))  # fmt: skip

    def _catch_up(self, link: SlackChat, session: ChatSession) -> ChatSession:
        """A run of the session that came to rest unseen (elsewhere, or before a restart): its outcome, said once."""
        if session.conversation.run_id is None:
            return session
        turn = self.chats.settle(link.session_id, session.tenant)
        if not turn.say:
            return session
        self._say(link, "\n".join(turn.say))
        return self.chats.session(link.session_id, session.tenant)

    def _settle_chat(self, channel: str, thread_ts: str) -> None:
        """The run a chat thread follows came to rest: the conversation says what can be done next."""
        link = self.threads.chat_for(channel, thread_ts)
        if link is None:
            return
        with suppress(UnknownChatError):
            turn = self.chats.settle(link.session_id, tenant_of(link.team))
            if turn.say:
                self._say(link, "\n".join(turn.say))

    def _say(self, link: SlackChat, text: str) -> None:
        if text:
            self.client.chat_postMessage(channel=link.channel, thread_ts=link.thread_ts, text=text)

    def _answer(self, body: dict[str, Any], run_id: str, answer: dict[str, Any], verb: str) -> None:
        channel, message = body["channel"]["id"], body.get("message", {})
        team, user = body.get("team", {}).get("id", ""), body.get("user", {}).get("id", "")
        thread_ts = str(message.get("thread_ts") or message.get("ts", ""))
        after = self._last_seq(run_id)
        try:
            record = self.service.run_for(run_id, tenant_of(team))
            self.service.approve(run_id, answer)
        except (RunBusyError, UnknownRunError) as exc:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=f"✘ {exc}")
            return
        self.client.chat_update(channel=channel, ts=message["ts"], text=f"{verb} by <@{user}>",
                                blocks=_answered_blocks(message.get("blocks", []), f"{verb} by <@{user}>"))  # fmt: skip
        self.follow(run_id, channel, thread_ts, after=after, title=record.title)

    def _last_seq(self, run_id: str) -> int:
        last = self.service.registry.last_event(run_id, "status")
        return last.seq if last is not None else 0

    # --- the run's feed back to the thread ---

    def follow(self, run_id: str, channel: str, thread_ts: str, *, after: int, title: str) -> threading.Thread:
        """Post a progress message in the thread and keep it current from the run's event feed, in a thread of its own."""
        thread = threading.Thread(target=self._follow, args=(run_id, channel, thread_ts, after, title),
                                  name=f"slack-follow-{run_id}", daemon=True)  # fmt: skip
        with self._lock:
            self._followers = {t for t in self._followers if t.is_alive()} | {thread}
        thread.start()
        return thread

    def join(self, timeout: float = 30) -> None:
        """Wait for every follower to finish (tests, shutdown)."""
        with self._lock:
            followers = list(self._followers)
        for thread in followers:
            thread.join(timeout)

    def _follow(self, run_id: str, channel: str, thread_ts: str, after: int, title: str) -> None:
        try:
            progress = self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=progress_text(title, [], "queued"))
            done: list[str] = []
            last: dict[str, Any] = {"status": "queued", "message": ""}

            def on_event(event: RunEvent) -> None:
                if event.type == "step_finished":
                    done.append(str(event.data.get("step", "")))
                elif event.type == "status":
                    last.update(event.data)
                    if event.data.get("status") in ACTIVE:
                        return
                else:
                    return
                self.client.chat_update(channel=channel, ts=progress["ts"],
                                        text=progress_text(title, done, str(last["status"]), str(last.get("message", ""))))  # fmt: skip

            asyncio.run(self._feed(run_id, after, on_event))
            if not self.service.closing:
                self._post_outcome(run_id, channel, thread_ts, str(last["status"]))
                self._settle_chat(channel, thread_ts)
        except SlackApiError:  # a follower's boundary: the run goes on; the log says why its thread fell silent
            logger.exception("run %s: Slack thread %s/%s stopped following", run_id, channel, thread_ts)

    async def _feed(self, run_id: str, after: int, on_event: Callable[[RunEvent], None]) -> None:
        """Replay the feed after `after`, then follow it until the run comes to rest (this thread's own loop)."""
        with self.service.hub.watch(run_id) as wake:
            while not self.service.closing:
                wake.clear()
                events = self.service.registry.events(run_id, after)
                for event in events:
                    after = event.seq
                    on_event(event)
                if self.service.feed_finished(run_id, after):
                    return
                if not events:
                    with suppress(TimeoutError):  # a periodic look, in case a wake-up was missed
                        await asyncio.wait_for(wake.wait(), timeout=self.service.poll_s or FOLLOW_PING_S)

    def _post_outcome(self, run_id: str, channel: str, thread_ts: str, status: str) -> None:
        package = self.service.latest_package(run_id) if status in ("done", "awaiting_approval") else None
        if package is None:
            record = self.service.registry.get(run_id)
            text = f"{status_icon(status)} run `{run_id}` is {status_words(status)}: {record.message}"
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
            return
        summary = f"{package.brief.working_title}: launch package v{package.version} ({status_words(status)})"
        self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=summary, blocks=package_blocks(package, status))


def _brief_lines(session: ChatSession) -> list[str]:
    draft = session.conversation.draft
    return [
        f"• *{row.label}*: " + ("_still needed_" if row.needed else row.value) for row in brief_rows(draft, missing_fields(draft))
    ]


def _open_question(session: ChatSession) -> str:
    """What the session waits on, in Slack's words."""
    return session.conversation.pending()


# --- apps ----------------------------------------------------------------------------


def slack_client(settings: Settings) -> WebClient:
    """The Web API client with the bot token, at `slack.api_base_url` when one is set."""
    token = settings.slack.bot_token.get_secret_value() or None
    base = settings.slack.api_base_url
    if not base:
        return WebClient(token=token)
    return WebClient(token=token, base_url=base if base.endswith("/") else f"{base}/")


def create_slack_app(settings: Settings, service: RunService, client: WebClient | None = None) -> App:
    """The bolt app: `/greenroom`, mentions, thread replies and the approve / reject buttons."""
    bot = SlackBot(settings, service, client or slack_client(settings))
    app = App(
        client=bot.client,
        signing_secret=settings.slack.signing_secret.get_secret_value(),
        request_verification_enabled=True,  # signature and timestamp of every HTTP request; bad ones get 401
        token_verification_enabled=False,  # no auth.test at construction; bolt calls it on the first verified request
        process_before_response=False,
    )
    app.command(COMMAND)(bot.on_command)
    app.event("app_mention")(bot.on_mention)
    app.event("message")(bot.on_message)
    app.action(APPROVE_ACTION)(bot.on_approve)
    app.action(REJECT_ACTION)(bot.on_reject)
    return app


def mount_slack(api: FastAPI, settings: Settings, service: RunService, client: WebClient | None = None) -> App:
    """Serve the bot's HTTP mode at `/slack/events` (events, slash command and interactivity share it).

    Before bolt sees a request it is checked the way bolt checks it, with the values bolt reads: one
    signature and one timestamp header (a header given twice is refused: greenroom would read one value
    and bolt another), a timestamp of ASCII digits, a UTF-8 body, and slack_sdk's `SignatureVerifier.is_valid`
    on those values (what bolt's RequestVerification calls). A verified request is remembered in the run
    store for Slack's five-minute window, so a replay, even after a restart, is answered once. Bolt's own
    verification still runs on every request it dispatches.
    """
    bolt = create_slack_app(settings, service, client)
    verifier = SignatureVerifier(settings.slack.signing_secret.get_secret_value())
    seen = SeenRequests(settings.registry_target)

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        values = {name: request.headers.getlist(name) for name in (TIMESTAMP_HEADER, SIGNATURE_HEADER)}
        if any(len(found) != 1 for found in values.values()):
            return _refused(401, "a request needs exactly one signature and one timestamp header")
        timestamp, signature = values[TIMESTAMP_HEADER][0], values[SIGNATURE_HEADER][0]
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            return _refused(401, "the request timestamp is not a number of seconds")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _refused(400, "the request body is not UTF-8 text")
        if not verifier.is_valid(text, timestamp, signature):
            return _refused(401, "the request signature does not match")
        if not await asyncio.to_thread(seen.first_time, signature, timestamp):
            return Response(status_code=200)  # a replay (or Slack's own retry) of a request already answered
        try:
            bolt_request = _well_formed(to_bolt_request(request, body))
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):  # bolt's parsing of a body Slack never sends
            return _refused(400, "the request body is not a Slack event, command or action")
        bolt_response = await asyncio.to_thread(bolt.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    api.add_api_route(EVENTS_PATH, slack_events, methods=["POST"], include_in_schema=False)
    api.state.slack = bolt
    return bolt


TIMESTAMP_HEADER, SIGNATURE_HEADER = "x-slack-request-timestamp", "x-slack-signature"
_OBJECTS = ("event", "user", "team", "channel", "container", "message", "view")
"""Keys that are objects wherever Slack sends them as more than an id (bolt reads fields inside them)."""


def _well_formed(request: BoltRequest) -> BoltRequest:
    """The request when its parsed body has the shape bolt reads (objects where Slack sends objects, no deep
    nesting or endless numbers); ValueError otherwise."""
    body = request.body
    if not isinstance(body, dict):
        raise ValueError("not an object")
    limits.check_value(body, "body")
    for key in _OBJECTS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise ValueError(f"{key} is not an object")
    if "actions" in body and not (isinstance(body["actions"], list) and all(isinstance(a, dict) for a in body["actions"])):
        raise ValueError("actions is not a list of objects")
    return request


def _refused(status: int, detail: str) -> Response:
    return problem_response(status, detail)
