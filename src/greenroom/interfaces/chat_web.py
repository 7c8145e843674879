"""The chat page at /chat: one HTML page (no external assets) over a few JSON routes and one event stream.

    GET  /chat                                 the page (a session's id travels in its fragment: /chat#s=<id>)
    POST /chat/sessions                        open a session (tenant: the Bearer key's, or the default chat tenant)
    GET  /chat/sessions/{id}                   the session so far: transcript, brief panel, run and report (same tenant)
    POST /chat/sessions/summaries              {"ids": [...]} -> title and status of each of those sessions still held
    POST /chat/sessions/{id}/messages          {"text": ...} -> the chat's answer (a Turn)
    POST /chat/sessions/{id}/brief             {"field": "budget.amount", "value": "3M"} -> a field edited in the form
    POST /chat/sessions/{id}/settle            the followed run came to rest -> its package and what can be done next
    GET  /chat/sessions/{id}/events?after=N    Server-Sent Events of the followed run, each with a line of text
    GET  /chat/sessions/{id}/report            the latest package's HTML report (charts included)

The session id is the page's capability: it is bound to its tenant when it is opened, and a session is
restored only for its own tenant (the Bearer key's, or the default chat tenant without a key). The page
keeps it in the URL's fragment, which browsers never send, so it is in no request line nor access log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from greenroom.graphs.conversation import FORM_FIELDS, Turn
from greenroom.interfaces.chat import (
    DEFAULT_TENANT,
    ChatDesk,
    ChatFullError,
    ChatSession,
    ChatSessions,
    FormField,
    Line,
    Row,
    UnknownChatError,
    brief_form,
    brief_rows,
    model_reader_for,
    progress_line,
    still_needed,
)
from greenroom.interfaces.http import SSE_PING_S, bearer, event_stream
from greenroom.interfaces.problems import problem_response
from greenroom.interfaces.reports import render_html
from greenroom.interfaces.service import RunService

CHAT_PATH = "/chat"
_PAGE = Path(__file__).parent / "templates" / "chat.html"
_NO_REFERRER = {"Referrer-Policy": "no-referrer"}  # the report's address carries the session id: links from it never send it on


class Message(BaseModel):
    """A person's message."""

    text: str = Field(..., max_length=4000, description="What the person typed.")


class Shown(Turn):
    """A turn with what the page shows beside it: the brief panel in words and where the session stands."""

    title: str = Field(..., description="The working title, or 'Untitled brief'.")
    status: str = Field(..., description="Where the session stands, in words (its run's status once it has one).")
    panel: list[Row] = Field(default_factory=list, description="The brief, one labelled line per field.")
    form: list[FormField] = Field(default_factory=list, description="The brief as an editable form, every field.")
    needed: list[str] = Field(default_factory=list, description="Required fields not given yet, in words.")


class Edit(BaseModel):
    """A brief field changed in the form."""

    field: str = Field(..., max_length=60, description="The field by dotted path, e.g. 'budget.amount'.")
    value: str = Field("", max_length=4000, description="Its new value, as typed ('' clears it).")


_EDITABLE = frozenset([*(f for f in FORM_FIELDS if f != "length"), "length.minutes", "length.episodes", "length.tracks",
                       "length.hours", "length.words"])  # fmt: skip


class Opened(BaseModel):
    """A new chat session and the chat's greeting."""

    session_id: str = Field(..., description="The session's id; keep it for the session's other routes.")
    tenant: str = Field(..., description="The tenant the session's runs belong to.")
    turn: Shown = Field(..., description="The greeting.")


class Restored(BaseModel):
    """A session so far, for a page that opens it again."""

    session_id: str = Field(..., description="The session's id.")
    transcript: list[Line] = Field(..., description="Everything said so far, both sides, and the run's progress.")
    events_seen: int = Field(..., description="The run's feed up to here is in the transcript; follow it from here.")
    turn: Shown = Field(..., description="The latest turn, without its words: offers, brief panel, run and report.")


class Known(BaseModel):
    """Sessions a browser has opened before."""

    ids: list[str] = Field(..., max_length=50, description="Session ids, newest first.")


class Summary(BaseModel):
    """One session in a list of sessions."""

    session_id: str = Field(..., description="The session's id.")
    title: str = Field(..., description="The working title, or 'Untitled brief'.")
    status: str = Field(..., description="Where it stands, in words.")


def allowed_host(request: Request) -> None:
    """403 for a request whose Host is not in the chat's host list (a rebound DNS name), with or without a key.

    The page's routes answer only to the names the server is reached by: a header the attacker's page can
    set (Authorization included) never lifts the check.
    """
    hosts: list[str] = request.app.state.chat_hosts
    if "*" in hosts:
        return
    host = request.headers.get("host", "")
    if host.startswith("["):  # [::1]:8000
        name = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:  # localhost:8000
        name = host.split(":", 1)[0]
    else:  # a bare name, or an IPv6 address without brackets
        name = host
    if name.lower() not in hosts:
        raise HTTPException(403, "this server's chat does not answer to that host name; open it by its own address")


def session_tenant(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    """The Bearer key's tenant; the default chat tenant without a key; 401 for a key that is not valid."""
    if credentials is None:
        return str(request.app.state.chat_tenant)
    found = request.app.state.keys.tenant_of(credentials.credentials)
    if found is None:
        raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return str(found)


SessionTenant = Annotated[str, Depends(session_tenant)]


class ResultsReply(BaseModel):
    """What a results upload did, in lines for the transcript."""

    say: list[str] = Field(..., description="The import counts, skipped lines, what moved and the creative tests.")


def import_and_update(service: RunService, tenant: str, conversation: Any, file: UploadFile) -> list[str]:
    """Import an uploaded results file for the chat's run and update the run (HTTPException naming what is wrong)."""
    import tempfile

    from greenroom.interfaces.results import PlanCurvesError, import_run_results, results_lines, update_run
    from greenroom.store.importer import ImportFileError

    if conversation.run_id is None:
        raise HTTPException(409, "this chat has not launched a run yet")
    name = Path(file.filename or "upload.csv").name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"results{Path(name).suffix.lower()}"
        path.write_bytes(file.file.read())
        try:
            report = import_run_results(service.settings, conversation.run_id, tenant, path)
        except ImportFileError as exc:  # named as the person uploaded it, not as the temporary copy
            raise HTTPException(422, str(exc).replace(str(path), name)) from None
    try:
        package, _ = update_run(service.settings, conversation.run_id, tenant)
    except PlanCurvesError as exc:
        raise HTTPException(422, str(exc)) from None
    lines = [f"Results from {name}: {report.added} rows added, {report.updated} updated, {report.unchanged} unchanged."]
    lines += [f"Skipped {e}" for e in report.errors[:10]]
    lines += [f"… and {len(report.errors) - 10} more skipped"] if len(report.errors) > 10 else []
    lines += results_lines(package.results) if package.results is not None else []
    return [*lines, f"Version {package.version} of the package has the full report, in {service.settings.output_dir}."]


def add_chat_routes(app: FastAPI, service: RunService, default_tenant: str = DEFAULT_TENANT) -> ChatDesk:
    """Mount the chat page and its routes on `app`; the chat shares `service` (and so the run registry) with the API."""
    api = service.settings.api
    sessions = ChatSessions(service.settings, model_reader_for(service.settings.model), surface="web")
    sessions.adopt_saved()
    desk = ChatDesk(service, max_sessions=api.chat_sessions, max_per_tenant=api.chat_sessions_per_tenant, sessions=sessions)
    app.state.chat_tenant = default_tenant
    app.state.chat_hosts = [h.strip("[]").lower() for h in api.chat_hosts]
    _quiet_session_ids()
    router = APIRouter(  # the page's own routes, not the public API
        prefix=CHAT_PATH, tags=["chat"], include_in_schema=False, dependencies=[Depends(allowed_host)]
    )

    @router.get("", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(_PAGE.read_text(encoding="utf-8"), headers=_NO_REFERRER)

    @router.post("/sessions", response_model=Opened)
    def open_session(
        tenant: SessionTenant, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Opened:
        """Start a conversation; its runs belong to the key's tenant (or the default chat tenant without a key)."""
        try:  # keyed only for a valid Bearer key (an invalid one was refused by SessionTenant; any other scheme is no key)
            session_id, turn = desk.open(tenant, keyed=credentials is not None)
        except ChatFullError as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "60"}) from None
        return Opened(session_id=session_id, tenant=tenant, turn=shown(turn, desk.session(session_id, tenant)))

    @router.post("/sessions/summaries", response_model=list[Summary])
    def summaries(known: Known, tenant: SessionTenant) -> list[Summary]:
        """Title and status of each of `ids` this server still holds for the tenant (the others are left out)."""
        found = []
        for session_id in dict.fromkeys(known.ids):
            try:
                session = desk.session(session_id, tenant)
            except UnknownChatError:
                continue
            found.append(Summary(session_id=session_id, title=session.title, status=desk.status(session)))
        return found

    @router.get("/sessions/{session_id}", response_model=Restored)
    def restore(session_id: str, tenant: SessionTenant) -> Restored:
        """The session so far, for a reloaded page or a shared link of the same tenant."""
        session = desk.session(session_id, tenant)
        with session.lock:
            transcript, seen = list(session.transcript), session.events_seen
            turn = shown(session.resumed(), session)
        return Restored(session_id=session_id, transcript=transcript, events_seen=seen, turn=turn)

    @router.post("/sessions/{session_id}/messages", response_model=Shown)
    def send(session_id: str, message: Message, tenant: SessionTenant) -> Shown:
        """Answer one message, launching, approving or revising the run as it asks."""
        return shown(desk.send(session_id, tenant, message.text), desk.session(session_id, tenant))

    @router.post("/sessions/{session_id}/brief", response_model=Shown)
    def edit_brief(session_id: str, change: Edit, tenant: SessionTenant) -> Shown:
        """A field edited in place in the brief form; the chat says what changed."""
        if change.field not in _EDITABLE:
            raise HTTPException(422, f"{change.field!r} is not a field of the brief form")
        return shown(desk.edit(session_id, tenant, change.field, change.value), desk.session(session_id, tenant))

    @router.post("/sessions/{session_id}/settle", response_model=Shown)
    def settle(session_id: str, tenant: SessionTenant) -> Shown:
        """The followed run came to rest: its package and what can be done next."""
        return shown(desk.settle(session_id, tenant), desk.session(session_id, tenant))

    def shown(turn: Turn, session: ChatSession) -> Shown:
        """The turn with its report linked to the session, and the panel and status in words."""
        report = f"{CHAT_PATH}/sessions/{session.id}/report" if turn.report_url is not None else None
        return Shown(**{**dict(turn), "report_url": report}, title=session.title, status=desk.status(session),
                     panel=brief_rows(turn.brief, turn.missing), form=brief_form(turn.brief, turn.missing),
                     needed=still_needed(turn.missing))  # fmt: skip

    @router.get("/sessions/{session_id}/events")
    async def events(session_id: str, tenant: SessionTenant, after: Annotated[int, Query(ge=0)] = 0) -> EventSourceResponse:
        """The followed run's events after `after`, each with a line of text, until the run comes to rest."""
        tenant, conversation = desk.get(session_id, tenant)
        if conversation.run_id is None:
            raise HTTPException(409, "this chat has not launched a run yet")
        await asyncio.to_thread(service.run_for, conversation.run_id, tenant)
        return EventSourceResponse(_described(event_stream(service, conversation.run_id, after)), ping=SSE_PING_S)

    @router.get("/sessions/{session_id}/report", response_class=HTMLResponse)
    def report(session_id: str, tenant: SessionTenant) -> HTMLResponse:
        """The latest package's report, with its charts."""
        package = desk.package(session_id, tenant)
        if package is None:
            raise HTTPException(404, "no package yet")
        status = desk.session(session_id, tenant).conversation.run_status  # a person's decision, not the editor's verdict
        return HTMLResponse(render_html(package, status), headers=_NO_REFERRER)

    @router.post("/sessions/{session_id}/results", response_model=ResultsReply)
    def results(
        session_id: str, tenant: SessionTenant, file: Annotated[UploadFile, File(description="CSV or Parquet results.")]
    ) -> ResultsReply:
        """The launched run's campaign results: imported, then the run updated and re-planned; the reply in words."""
        return ResultsReply(say=import_and_update(service, *desk.get(session_id, tenant), file))

    @app.exception_handler(UnknownChatError)
    async def _unknown(request: Request, exc: UnknownChatError) -> JSONResponse:
        return problem_response(404, "no such chat session")

    app.include_router(router)
    app.state.chat_router = router
    return desk


_SESSION_ID = re.compile(r"(/chat/sessions/)[0-9a-f]{32}")


class _NoSessionIds(logging.Filter):
    """Access-log lines show `/chat/sessions/…`: a session id is the session's only credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_SESSION_ID.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        return True


def _quiet_session_ids() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoSessionIds) for f in access.filters):
        access.addFilter(_NoSessionIds())


async def _described(events: AsyncIterator[dict[str, str]]) -> AsyncIterator[dict[str, str]]:
    async for event in events:
        data: dict[str, Any] = json.loads(event["data"])
        yield {**event, "data": json.dumps({**data, "text": progress_line(event["event"], data)})}
