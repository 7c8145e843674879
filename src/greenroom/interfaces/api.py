"""The REST API: briefs in, runs, events and launch packages out.

    greenroom keys create acme        # prints a key once
    greenroom serve --port 8000
    curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
         --data @brief.json http://127.0.0.1:8000/v1/briefs

Thin by design: requests are checked here and handed to `RunService`, which
runs the launch graph in background workers and keeps each run's event feed.
Every key belongs to one tenant and sees only that tenant's runs.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import fastapi_offline
from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, model_validator
from sse_starlette import EventSourceResponse

from greenroom.core import limits
from greenroom.core.brief import Brief, BriefError, FieldError, Format, in_words, parse_brief, plain_message
from greenroom.core.package import LaunchPackage
from greenroom.core.times import UtcTime
from greenroom.core.viewers import TargetingList, ViewerList
from greenroom.core.vocabulary import RunStatus
from greenroom.interfaces.chat_web import add_chat_routes
from greenroom.interfaces.http import SSE_PING_S, bearer, event_stream
from greenroom.interfaces.problems import PROBLEM_JSON, Problem, RequestIds, add_problem_handlers, problem_response, send_problem
from greenroom.interfaces.reports import render_html, render_markdown
from greenroom.interfaces.runs import package_version, version_folder
from greenroom.interfaces.service import ContextFactory, RunBusyError, RunService
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.viewers import import_history, run_targeting, user_recommendations, viewer_panels
from greenroom.interfaces.webhooks import WebhookRequest
from greenroom.store.catalog import Catalog, Title
from greenroom.store.importer import ImportFileError, ImportReport, import_file, parse_mapping
from greenroom.store.keys import KeyStore
from greenroom.store.runs import IdempotencyConflictError, RunRecord, UnknownRunError
from greenroom.store.viewers import ViewerImportReport
from greenroom.tools.viewers import ViewerPanels

API_PREFIX = "/v1"
UPLOAD_PATHS = frozenset({f"{API_PREFIX}/catalog/import", f"{API_PREFIX}/viewers/import"})
DOCS_ASSETS = "/docs-assets"
"""Where Swagger UI's and ReDoc's scripts are served from (out of the fastapi-offline package)."""
PARSED_BODY = "parsed_json_body"
"""Where `JsonShape` leaves the JSON body it checked, so a route does not parse it again."""
MAX_EVENT_ID = 2**63 - 1
"""Event ids are SQLite integers; a larger Last-Event-ID is a client error, not a server one."""
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


# --- response and request models ----------------------------------------------


class Accepted(BaseModel):
    """A run that was queued (or, for a repeated Idempotency-Key, the run the first request queued)."""

    run_id: str = Field(..., description="The run's id.")
    status: RunStatus = Field(..., description="The run's status now.")


class RunSummary(BaseModel):
    """A run, without its package."""

    run_id: str = Field(..., description="The run's id.")
    title: str = Field(..., description="The brief's working title.")
    status: RunStatus = Field(..., description="Where the run stands; the schema lists every status.")
    message: str = Field("", description="Why the run has this status, in words.")
    version: int = Field(0, description="Latest package version (0 before the first).")
    created_at: UtcTime = Field(..., description="UTC time the run was created, ISO 8601 (2026-12-07T19:30:00.000Z).")
    updated_at: UtcTime = Field(..., description="UTC time of the last change, ISO 8601 (2026-12-07T19:30:00.000Z).")

    @classmethod
    def of(cls, record: RunRecord) -> RunSummary:
        return cls(run_id=record.id, title=record.title, status=record.status, message=record.message,
                   version=record.version, created_at=record.created_at, updated_at=record.updated_at)  # fmt: skip


class RunList(BaseModel):
    """One page of runs, newest first."""

    runs: list[RunSummary] = Field(..., description="The runs on this page.")
    next_offset: int | None = Field(None, description="Offset of the next page; null on the last one.")


class PackageLinks(BaseModel):
    """Where one version of a run's package and its reports are served."""

    version: int = Field(..., description="The package version (1 for the first, +1 per revision).")
    package: str = Field(..., description="The launch package as JSON.")
    report_html: str = Field(..., description="The report as one self-contained HTML page.")
    report_md: str = Field(..., description="The report as Markdown.")

    @classmethod
    def of(cls, run_id: str, version: int, latest: bool = False) -> PackageLinks:
        base, query = f"{API_PREFIX}/runs/{run_id}", "" if latest else f"?version={version}"
        return cls(version=version, package=f"{base}/package.json{query}", report_html=f"{base}/report.html{query}",
                   report_md=f"{base}/report.md{query}")  # fmt: skip


class RunView(RunSummary):
    """A run: its status, links to its latest package and reports and to every version, and its approval question.

    The package itself is fetched apart (`package` under `latest`): the run view stays small.
    """

    events: str = Field(..., description="The run's event stream (Server-Sent Events).")
    latest: PackageLinks | None = Field(None, description="The latest version's package and reports; null before the first.")
    versions: list[PackageLinks] = Field(default_factory=list, description="Every version, oldest first.")
    question: dict[str, Any] | None = Field(None, description="The approval request, while the run awaits approval.")


class ApprovalAnswer(BaseModel):
    """A person's answer to a run awaiting approval."""

    action: Literal["accept", "edit", "respond", "reject"] = Field(..., description="What to do with the package.")
    field: str | None = Field(None, max_length=200, description="edit: dotted path in the package, e.g. draft.hooks.taglines.0.")
    value: Any = Field(None, description="edit: the new value.")
    text: str = Field("", max_length=4000, description="respond: the change asked for, in words.")
    reason: str = Field("", max_length=4000, description="reject: why.")

    @model_validator(mode="after")
    def _complete(self) -> ApprovalAnswer:
        if self.action == "edit" and not self.field:
            raise ValueError("field: is required to edit")
        if self.action == "respond" and not self.text.strip():
            raise ValueError("text: is required to respond")
        return self


class RevisionRequest(BaseModel):
    """A change to a finished run: a request in words, changed brief fields, or both."""

    note: str = Field("", max_length=4000, description="What to change, in words (re-runs the writer).")
    sets: dict[str, Any] = Field(default_factory=dict, description="Brief fields by dotted path, e.g. {'budget.amount': 20000}.")

    @model_validator(mode="after")
    def _something(self) -> RevisionRequest:
        if not self.note.strip() and not self.sets:
            raise ValueError("note: give a note, sets, or both")
        return self


class CatalogHit(BaseModel):
    """One search result."""

    title: Title = Field(..., description="The matching title.")
    similarity: float = Field(..., description="Cosine similarity to the query (1 is identical).")


class CatalogHits(BaseModel):
    """Search results, nearest first."""

    hits: list[CatalogHit] = Field(..., description="The matching titles.")


# --- errors --------------------------------------------------------------------


def _validation_errors(errors: Any) -> list[FieldError]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "header", "path")]
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        if err.get("type") == "value_error" and ": " in msg and " " not in msg.split(": ", 1)[0]:
            head, msg = msg.split(": ", 1)
            loc.append(head)
        elif err.get("type") != "value_error":  # pydantic's own wording never reaches a reply
            msg = plain_message(str(err.get("type")), err.get("ctx") or {}, "is not valid here")
        out.append(FieldError(field=".".join(loc) or "request", message="is required" if err.get("type") == "missing" else msg))
    return out


def _errors_response(errors: list[FieldError], status: int = 422) -> JSONResponse:
    """A 422 problem naming every failing field."""
    return problem_response(status, errors=errors)


def _results_upload(path: str) -> bool:
    """Whether the path is a run's results upload (`/v1/runs/{id}/results`, or the chat's), which takes the upload limit."""
    return path.startswith((f"{API_PREFIX}/runs/", "/chat/sessions/")) and path.endswith("/results")


class BodyLimit:
    """Answer 413 to a request body over the limit (declared or streamed)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in UPLOAD_PATHS or _results_upload(scope["path"]) else self.limit
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await self._reject(send, limit, bad=not declared.isdigit())
            return
        received, started = 0, False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, limit)

    @staticmethod
    async def _reject(send: Send, limit: int, bad: bool = False) -> None:
        status, detail = (400, "Content-Length is not a number") if bad else (413, f"request body is larger than {limit} bytes")
        await send_problem(send, status, detail)


class JsonShape:
    """Answer 422, naming the body, to JSON nested too deep or carrying numbers no field could hold."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers") or ()).get(b"content-type", b"")
        if scope["type"] != "http" or b"json" not in content_type or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            scope.setdefault("state", {})[PARSED_BODY] = limits.load_json(body)  # the route reads it: one parse
        except limits.LimitError as exc:
            await send_problem(send, 422, errors=[FieldError(field=exc.field, message=exc.message)])
            return
        except ValueError:  # not JSON at all: the route says so in its own words
            pass
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class _TooLarge(Exception):
    """Raised inside the app when the streamed body passes the limit."""


# --- the app -------------------------------------------------------------------


def require_tenant(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    """The tenant of the request's API key; 401 without a valid one."""
    keys: KeyStore = request.app.state.keys
    found = keys.tenant_of(credentials.credentials) if credentials else None
    if found is None:
        raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return found


Tenant = Annotated[str, Depends(require_tenant)]


def create_app(settings: Settings, context_factory: ContextFactory | None = None, *, workers: int | None = None) -> FastAPI:
    """The REST API over one RunService; the service starts and stops with the app."""
    service = RunService(settings, context_factory, workers=workers)
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(service.start)
        try:
            yield
        finally:
            service.close()

    app = FastAPI(title="greenroom", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="From a creative brief to a launch package. Authenticate with `Authorization: Bearer <key>`; "
                              "create keys with `greenroom keys create TENANT`.")  # fmt: skip
    app.state.service = service
    app.add_middleware(JsonShape)  # inside BodyLimit: the body it reads is already capped
    app.add_middleware(BodyLimit, limit=settings.api.max_body_bytes, upload_limit=settings.api.max_upload_bytes)
    app.add_middleware(RequestIds)  # outermost: every answer, a 413 or a 500 too, carries the request id
    _add_error_handlers(app)
    _add_offline_docs(app)

    app.state.keys = keys
    _add_run_routes(app, service)
    _add_catalog_routes(app, service)
    _add_viewer_routes(app, service)
    _add_results_routes(app, service)
    _add_webhook_routes(app, service)

    app.state.chat = add_chat_routes(app, service)
    if settings.slack.http_enabled:  # the Slack bot's HTTP mode: POST /slack/events
        from greenroom.interfaces.slack import mount_slack

        mount_slack(app, settings, service)
    _document_brief_body(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as problem details (see `interfaces.problems`): HTTP errors, bad fields, unknown and busy runs."""
    add_problem_handlers(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _errors_response(_validation_errors(exc.errors()))

    @app.exception_handler(UnknownRunError)
    async def _unknown(request: Request, exc: UnknownRunError) -> JSONResponse:
        return problem_response(404, str(exc))

    @app.exception_handler(RunBusyError)
    async def _busy(request: Request, exc: RunBusyError) -> JSONResponse:
        return problem_response(409, str(exc))


def _add_offline_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc with their scripts served from the fastapi-offline package: no CDN, no network."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    app.mount(DOCS_ASSETS, StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"), name="docs-assets")
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=title,
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png")  # fmt: skip

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=title,
                              redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False)  # fmt: skip


def _problem(description: str) -> dict[str, Any]:
    """An error response in the OpenAPI document: problem details (the Problem schema is added in `_document`)."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("Missing or invalid API key."),
    404: _problem("No such run for this key's tenant."),
    422: _problem("Every failing field, under errors."),
}


def _add_run_routes(app: FastAPI, service: RunService) -> None:
    @app.post(f"{API_PREFIX}/briefs", status_code=202, response_model=Accepted, tags=["runs"],
              responses={**_ERRORS, 409: _problem("Idempotency-Key reused with a different brief."),
                         413: _problem("Body too large.")},
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/Brief"}}}}})  # fmt: skip
    async def submit_brief(
        request: Request,
        response: Response,
        tenant: Tenant,
        approval: Annotated[bool, Query(description="Pause after assembly for a person's approval.")] = False,
        idempotency_key: Annotated[
            str | None, Header(max_length=200, description="Retries with the same key return the same run.")
        ] = None,
    ) -> Any:
        """Submit a brief; the run is recorded and queued, and executed in the background."""
        try:
            data = getattr(request.state, PARSED_BODY, None) or limits.load_json(await request.body())
        except limits.LimitError as exc:
            return _errors_response([FieldError(field=exc.field, message=exc.message)])
        except json.JSONDecodeError as exc:
            return _errors_response([FieldError(field="body", message=f"not valid JSON: {exc.msg} at line {exc.lineno}")])
        try:
            brief = parse_brief(data)
        except BriefError as exc:
            return _errors_response(exc.errors)
        try:
            record, _ = await service.accept(brief, tenant, idempotency_key, approval=approval)
        except IdempotencyConflictError as exc:
            return problem_response(409, str(exc))
        response.headers["Location"] = f"{API_PREFIX}/runs/{record.id}"
        return Accepted(run_id=record.id, status=record.status)

    @app.get(f"{API_PREFIX}/runs", response_model=RunList, tags=["runs"], responses=_ERRORS)
    def list_runs(
        tenant: Tenant,
        status: Annotated[RunStatus | None, Query(description="Only runs with this status.")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> RunList:
        """This tenant's runs, newest first."""
        records = service.registry.list(tenant=tenant, status=status, limit=limit + 1, offset=offset)
        return RunList(
            runs=[RunSummary.of(r) for r in records[:limit]], next_offset=offset + limit if len(records) > limit else None
        )

    @app.get(f"{API_PREFIX}/runs/{{run_id}}", response_model=RunView, tags=["runs"], responses=_ERRORS)
    def get_run(run_id: str, tenant: Tenant) -> RunView:
        """A run's status, message, times, links to its package and reports (every version), and its approval question."""
        record = service.run_for(run_id, tenant)
        question = None
        if record.status == "awaiting_approval":
            asked = service.registry.last_event(run_id, "approval_requested")
            question = asked.data.get("question") if asked else None
        return RunView(**RunSummary.of(record).model_dump(), events=f"{API_PREFIX}/runs/{run_id}/events",
                       latest=PackageLinks.of(run_id, record.version, latest=True) if record.version else None,
                       versions=[PackageLinks.of(run_id, v) for v in range(1, record.version + 1)],
                       question=question)  # fmt: skip

    def stored(run_id: str, tenant: str, version: int | None) -> tuple[LaunchPackage, Path | None, RunRecord]:
        """A version of the run's package (the latest without one), the folder holding its files if any, and the run."""
        record = service.run_for(run_id, tenant)
        wanted = version or record.version
        if not record.version or wanted > record.version:
            have = f"versions 1 to {record.version}" if record.version > 1 else f"version {record.version}"
            raise HTTPException(404, f"run {run_id} has no package yet" if not record.version
                                else f"run {run_id} has no version {wanted}; it has {have}")  # fmt: skip
        package = package_version(run_id, service.settings, wanted, record.output_dir)
        if package is None:
            raise HTTPException(404, f"version {wanted} of run {run_id} is no longer kept")
        folder = version_folder(service.settings, run_id, wanted, record.output_dir)
        return package, folder if folder.is_dir() else None, record

    @app.get(f"{API_PREFIX}/runs/{{run_id}}/package.json", response_model=LaunchPackage, tags=["runs"],
             responses={**_ERRORS, 404: _problem("No such run for this key's tenant, or no such version.")})  # fmt: skip
    def get_package(run_id: str, tenant: Tenant, version: VersionQuery = None) -> Any:
        """A version of the run's launch package (the latest by default)."""
        package, _, _ = stored(run_id, tenant, version)
        return package

    @app.get(f"{API_PREFIX}/runs/{{run_id}}/report.html", response_class=HTMLResponse, tags=["runs"],
             responses={**_ERRORS, 404: _problem("No such run for this key's tenant, or no such version.")})  # fmt: skip
    def get_report_html(run_id: str, tenant: Tenant, version: VersionQuery = None) -> HTMLResponse:
        """A version's report as one self-contained HTML page (charts inline, nothing loaded from elsewhere)."""
        return HTMLResponse(report_text(*stored(run_id, tenant, version), "report.html"), headers=REPORT_HEADERS)

    @app.get(f"{API_PREFIX}/runs/{{run_id}}/report.md", response_class=MarkdownResponse, tags=["runs"],
             responses={**_ERRORS, 404: _problem("No such run for this key's tenant, or no such version.")})  # fmt: skip
    def get_report_md(run_id: str, tenant: Tenant, version: VersionQuery = None) -> MarkdownResponse:
        """A version's report as Markdown."""
        return MarkdownResponse(report_text(*stored(run_id, tenant, version), "report.md"))

    @app.get(f"{API_PREFIX}/runs/{{run_id}}/events", tags=["runs"],
             responses={**_ERRORS, 200: {"description": "Server-Sent Events: status, step_started, step_finished, "
                                          "approval_requested; the stream ends when the run comes to rest.",
                                          "content": {"text/event-stream": {}}}})  # fmt: skip
    async def run_events(
        run_id: str,
        tenant: Tenant,
        last_event_id: Annotated[
            int | None, Header(ge=0, le=MAX_EVENT_ID, description="Replay only what came after this event id.")
        ] = None,
        after: Annotated[
            int, Query(ge=0, le=MAX_EVENT_ID, description="Same as Last-Event-ID, for clients that cannot set headers.")
        ] = 0,
    ) -> EventSourceResponse:
        """The run's events from the start (or after Last-Event-ID), then live until the run comes to rest."""
        await asyncio.to_thread(service.run_for, run_id, tenant)
        return EventSourceResponse(event_stream(service, run_id, max(after, last_event_id or 0)), ping=SSE_PING_S)

    @app.post(f"{API_PREFIX}/runs/{{run_id}}/approval", status_code=202, response_model=RunSummary, tags=["runs"],
              responses={**_ERRORS, 409: _problem("The run is not awaiting approval.")})  # fmt: skip
    def answer_approval(run_id: str, answer: ApprovalAnswer, tenant: Tenant, response: Response) -> Any:
        """Accept, edit, respond to or reject a run's package; the run continues in the background."""
        service.run_for(run_id, tenant)
        try:
            record = service.approve(run_id, answer.model_dump())
        except RunBusyError:
            raise
        except ValueError as exc:  # an edit that does not apply to the package (pydantic's ValidationError in words)
            return _errors_response([FieldError(field="field", message=in_words(exc))])
        response.headers["Location"] = f"{API_PREFIX}/runs/{run_id}"
        return RunSummary.of(record)

    @app.post(f"{API_PREFIX}/runs/{{run_id}}/cancel", status_code=202, response_model=RunSummary, tags=["runs"],
              responses={**_ERRORS, 409: {"description": "The run is not queued or running."}})  # fmt: skip
    def cancel_run(run_id: str, tenant: Tenant) -> RunSummary:
        """Cancel a queued run, or stop a running one before its next step; the steps it finished are kept."""
        service.run_for(run_id, tenant)
        return RunSummary.of(service.cancel(run_id))

    @app.post(f"{API_PREFIX}/runs/{{run_id}}/revisions", status_code=202, response_model=RunSummary, tags=["runs"],
              responses={**_ERRORS, 409: _problem("The run is busy or has no package yet.")})  # fmt: skip
    def revise_run(run_id: str, revision: RevisionRequest, tenant: Tenant, response: Response) -> Any:
        """Re-run only the steps a change touches; the previous version stays available."""
        service.run_for(run_id, tenant)
        try:
            record = service.revise(run_id, revision.note, revision.sets)
        except BriefError as exc:
            return _errors_response([FieldError(field=f"sets.{e.field}", message=e.message) for e in exc.errors])
        response.headers["Location"] = f"{API_PREFIX}/runs/{run_id}"
        return RunSummary.of(record)


VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000, description="The package version (the latest by default).")]


class MarkdownResponse(PlainTextResponse):
    """A Markdown document (text/markdown; charset=utf-8)."""

    media_type = "text/markdown"


REPORT_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
"""The HTML report needs nothing outside itself: a browser is told to load nothing and run nothing from it."""


def report_text(package: LaunchPackage, folder: Path | None, record: RunRecord, name: str) -> str:
    """A version's report: the file written with the package, or drawn now where that folder is not on this machine."""
    if folder is not None and (folder / name).is_file():
        return (folder / name).read_text(encoding="utf-8")
    status = record.status if package.version == record.version else None
    return (render_html if name.endswith(".html") else render_markdown)(package, status)


def _column_mapping(mapping: str | None) -> dict[str, str] | JSONResponse:
    """An upload's JSON mapping {our_field: their_column}, or the 422 that names what is wrong with it."""
    try:
        return parse_mapping(mapping)
    except ValueError as exc:
        return _errors_response([FieldError(field="mapping", message=str(exc))])


def _upload_name(file: UploadFile) -> str:
    """The name an import is stored under when none is given: the uploaded file's stem."""
    return Path(file.filename or "upload").stem or "upload"


def _import_upload(file: UploadFile, mapping: str | None, run: Callable[[Path, dict[str, str]], Any]) -> Any:
    """Save an upload, read its column mapping and run the import on it; a bad mapping or file is a 422 naming it."""
    columns = _column_mapping(mapping)
    if isinstance(columns, JSONResponse):
        return columns
    with _saved_upload(file) as path:
        try:
            return run(path, columns)
        except ImportFileError as exc:
            return _file_error(exc, path, file)


def _file_error(exc: ImportFileError, path: Path, file: UploadFile) -> JSONResponse:
    """A 422 naming the file as the person uploaded it, not the temporary copy."""
    return _errors_response([FieldError(field="file", message=str(exc).replace(str(path), file.filename or "upload"))])


@contextmanager
def _saved_upload(file: UploadFile) -> Iterator[Path]:
    """The uploaded file in a temporary folder, keeping its suffix (the readers go by it); removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(file.filename or '').suffix.lower()}"
        path.write_bytes(file.file.read())
        yield path


def _add_catalog_routes(app: FastAPI, service: RunService) -> None:
    def catalog() -> Catalog:
        if service.catalog is not None:
            return service.catalog
        from greenroom.interfaces.runs import open_catalog

        return open_catalog(service.settings)

    @app.get(f"{API_PREFIX}/catalog/search", response_model=CatalogHits, tags=["catalog"], responses=_ERRORS)
    def search_catalog(
        tenant: Tenant,
        q: Annotated[str, Query(min_length=1, max_length=2000, description="What to look for, in words.")],
        k: Annotated[int, Query(ge=1, le=100)] = 10,
        year_from: Annotated[int | None, Query(ge=1870, le=2100)] = None,
        year_to: Annotated[int | None, Query(ge=1870, le=2100)] = None,
        genre: Annotated[list[str] | None, Query(max_length=20, description="Keep titles with any of these genres.")] = None,
        format: Annotated[Format | None, Query(description="Keep titles of this format.")] = None,
    ) -> Any:
        """Titles nearest to the query among the shared catalog and this tenant's own imports."""
        try:
            hits = catalog().similar(
                q, k=k, year_from=year_from, year_to=year_to, genres=genre or (), format=format, tenant=tenant
            )
        except ValueError as exc:  # filters that contradict each other
            field = next((name for name in ("year_to", "year_from", "k") if name in str(exc)), "q")
            return _errors_response([FieldError(field=field, message=str(exc))])
        return CatalogHits(hits=[CatalogHit(title=h.title, similarity=round(h.similarity, 4)) for h in hits])

    @app.post(f"{API_PREFIX}/catalog/import", response_model=ImportReport, tags=["catalog"],
              responses={**_ERRORS, 413: _problem("File too large.")})  # fmt: skip
    def import_catalog(
        tenant: Tenant,
        file: Annotated[UploadFile, File(description="CSV, JSON, JSON Lines or Parquet file of titles.")],
        source: Annotated[str | None, Form(max_length=100, description="Source name stored on the titles.")] = None,
        mapping: Annotated[str | None, Form(max_length=4000, description="JSON {our_field: their_column}.")] = None,
    ) -> Any:
        """Import this tenant's titles (only its own searches and runs see them); bad rows are reported by line."""
        return _import_upload(file, mapping, lambda path, columns: import_file(
            path, catalog(), mapping=columns, tenant=tenant, source=source or _upload_name(file)))  # fmt: skip


def _add_viewer_routes(app: FastAPI, service: RunService) -> None:
    built: list[ViewerPanels] = []

    def panels() -> ViewerPanels:
        if not built:
            shared = getattr(service.context, "viewers", None) if service.catalog is not None else None
            built.append(shared if isinstance(shared, ViewerPanels) else viewer_panels(service.settings, service.catalog))
        return built[0]

    @app.post(f"{API_PREFIX}/viewers/import", response_model=ViewerImportReport, tags=["viewers"],
              responses={**_ERRORS, 413: _problem("File too large.")})  # fmt: skip
    def import_viewers(
        tenant: Tenant,
        file: Annotated[UploadFile, File(description="CSV, JSON, JSON Lines or Parquet file: one row per viewing event.")],
        source: Annotated[str | None, Form(max_length=100, description="Name of the import.")] = None,
        mapping: Annotated[str | None, Form(max_length=4000, description="JSON {our_field: their_column}.")] = None,
        rating_scale: Annotated[float, Form(gt=0, le=1000, description="The highest rating in the file.")] = 5.0,
    ) -> Any:
        """Import this tenant's viewing history; bad rows and titles the catalog lacks are reported by line."""
        return _import_upload(file, mapping, lambda path, columns: import_history(
            service.settings, path, tenant=tenant, mapping=columns, rating_scale=rating_scale,
            source=source or _upload_name(file), catalog=panels().catalog))  # fmt: skip

    @app.get(f"{API_PREFIX}/runs/{{run_id}}/targeting", response_model=TargetingList, tags=["viewers"], responses=_ERRORS)
    def run_targeting_list(
        run_id: str,
        tenant: Tenant,
        top: Annotated[int, Query(ge=1, le=10_000, description="Viewers in the list.")] = 100,
    ) -> Any:
        """Who to notify about the run's title and when: this tenant's viewers (or the bundled panel), best first."""
        return run_targeting(service.settings, run_id, tenant, panels(), top=top)

    @app.get(f"{API_PREFIX}/viewers/{{user_id}}/recommendations", response_model=ViewerList, tags=["viewers"],
             responses={**_ERRORS, 404: _problem("No such viewer, or no such run, for this key's tenant.")})  # fmt: skip
    def viewer_recommendations(
        user_id: str,
        tenant: Tenant,
        run_id: Annotated[str | None, Query(max_length=100, description="Place this run's title in the list.")] = None,
        k: Annotated[int, Query(ge=1, le=100, description="Titles in the list.")] = 10,
    ) -> Any:
        """One viewer's top titles, diversified, with the run's title placed where it ranks, and their send window."""
        try:
            return user_recommendations(service.settings, user_id, tenant, panels(), run_id=run_id, k=k)
        except UnknownRunError:
            raise
        except KeyError as exc:
            return problem_response(404, str(exc.args[0]) if exc.args else "no such viewer")


def _add_results_routes(app: FastAPI, service: RunService) -> None:
    from greenroom.core.results import ResultsUpdate
    from greenroom.interfaces.results import PlanCurvesError, import_run_results, update_run
    from greenroom.store.results import ResultsImportReport

    @app.post(f"{API_PREFIX}/runs/{{run_id}}/results", response_model=ResultsImportReport, tags=["results"],
              responses={**_ERRORS, 413: _problem("File too large.")})  # fmt: skip
    def import_results(
        run_id: str,
        tenant: Tenant,
        file: Annotated[
            UploadFile, File(description="CSV or Parquet (or JSON, JSON Lines): one row per day, channel and creative.")
        ],
        mapping: Annotated[str | None, Form(max_length=4000, description="JSON {our_field: their_column}.")] = None,
    ) -> Any:
        """Import a run's daily campaign results; bad rows are reported by line, and a repeated import changes nothing."""
        service.run_for(run_id, tenant)
        return _import_upload(file, mapping, lambda path, columns: import_run_results(
            service.settings, run_id, tenant, path, columns))  # fmt: skip

    @app.post(f"{API_PREFIX}/runs/{{run_id}}/results/update", response_model=ResultsUpdate, tags=["results"],
              responses=_ERRORS)  # fmt: skip
    def update_results(
        run_id: str,
        tenant: Tenant,
        new_variants: Annotated[bool, Query(description="Ask the model for a new line in each winner's direction.")] = False,
    ) -> Any:
        """Update the run's channel curves from its results and re-plan the weeks left; writes the next package version."""
        service.run_for(run_id, tenant)
        try:
            model = service.context.model if new_variants else None
            package, _ = update_run(service.settings, run_id, tenant, model=model)
        except PlanCurvesError as exc:
            return _errors_response([FieldError(field="run_id", message=str(exc))])
        return package.results


def _add_webhook_routes(app: FastAPI, service: RunService) -> None:
    """PUT/GET/DELETE /v1/webhooks and the deliveries: one webhook per tenant, its signing secret shown once."""
    from greenroom.interfaces.webhooks import (
        DeliveryList,
        DeliveryView,
        WebhookAddressError,
        WebhookView,
        check_address,
        unknown_events,
    )
    from greenroom.store.webhooks import EVENTS, UnknownDeliveryError, WebhookStore

    store = WebhookStore(service.settings.registry_target)
    missing: dict[int | str, dict[str, Any]] = {404: {"description": "This tenant has no webhook, or no such delivery."}}

    @app.put(f"{API_PREFIX}/webhooks", response_model=WebhookView, tags=["webhooks"], responses={**_ERRORS, **missing})
    def put_webhook(body: WebhookRequest, tenant: Tenant) -> Any:
        """Register or change where this tenant's run events are posted; the signing secret is in the first answer only."""
        if bad := list(unknown_events(body.events)):
            return _errors_response([FieldError(field="events", message=f"{bad[0]!r} is no event; use {', '.join(EVENTS)}")])
        try:
            url = check_address(body.url, service.settings.webhooks.allow_private)
        except WebhookAddressError as exc:
            return _errors_response([FieldError(field="url", message=str(exc))])
        webhook, secret = store.put(tenant, url, body.events or list(EVENTS), rotate_secret=body.rotate_secret)
        return WebhookView.of(webhook, secret)

    @app.get(f"{API_PREFIX}/webhooks", response_model=WebhookView, tags=["webhooks"], responses={**_ERRORS, **missing})
    def get_webhook(tenant: Tenant) -> Any:
        """This tenant's webhook (never its secret)."""
        webhook = store.get(tenant)
        if webhook is None:
            raise HTTPException(404, "this tenant has no webhook")
        return WebhookView.of(webhook)

    @app.delete(f"{API_PREFIX}/webhooks", status_code=204, response_model=None, response_class=Response, tags=["webhooks"],
                responses={**_ERRORS, **missing})  # fmt: skip
    def delete_webhook(tenant: Tenant) -> Any:
        """Stop posting this tenant's run events; deliveries not yet made are dropped."""
        if not store.delete(tenant):
            raise HTTPException(404, "this tenant has no webhook")
        return Response(status_code=204)

    @app.get(f"{API_PREFIX}/webhooks/deliveries", response_model=DeliveryList, tags=["webhooks"], responses=_ERRORS)
    def list_deliveries(
        tenant: Tenant,
        run_id: Annotated[str | None, Query(max_length=100, description="Only this run's deliveries.")] = None,
        state: Annotated[Literal["pending", "delivered", "failed"] | None, Query(description="Only these.")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> DeliveryList:
        """This tenant's deliveries, newest first."""
        found = store.deliveries(tenant, run_id=run_id, state=state, limit=limit + 1, offset=offset)
        return DeliveryList(deliveries=found[:limit], next_offset=offset + limit if len(found) > limit else None)

    @app.get(f"{API_PREFIX}/webhooks/deliveries/{{delivery_id}}", response_model=DeliveryView, tags=["webhooks"],
             responses={**_ERRORS, **missing})  # fmt: skip
    def get_delivery(delivery_id: str, tenant: Tenant) -> Any:
        """One delivery with every attempt: status code, error and duration of each."""
        try:
            delivery = store.delivery(delivery_id, tenant)
        except UnknownDeliveryError as exc:
            raise HTTPException(404, str(exc)) from None
        return DeliveryView(**delivery.model_dump(), attempt_log=store.attempts(delivery_id))

    @app.post(f"{API_PREFIX}/webhooks/deliveries/{{delivery_id}}/redeliver", status_code=202, response_model=DeliveryView,
              tags=["webhooks"], responses={**_ERRORS, **missing})  # fmt: skip
    def redeliver(delivery_id: str, tenant: Tenant) -> Any:
        """Post a delivery again, with a fresh round of attempts (same payload and id, a new signature)."""
        try:
            delivery = store.redeliver(delivery_id, tenant)
        except UnknownDeliveryError as exc:
            raise HTTPException(404, str(exc)) from None
        return DeliveryView(**delivery.model_dump(), attempt_log=store.attempts(delivery_id))


def _document_brief_body(app: FastAPI) -> None:
    """Put the Brief's JSON schema into the OpenAPI document (the route reads the body itself to report every field)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            brief = Brief.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(brief.pop("$defs", {}))
            components["Brief"] = brief
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
