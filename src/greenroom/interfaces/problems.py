"""One error shape and one request id for every HTTP answer the server gives.

Every error, whatever its status, is RFC 9457 problem details served as
`application/problem+json`: `type`, `title`, `status`, `detail` (in words),
`instance` (the request's path) and `request_id`, plus `errors` (one entry per
failing field) on a 422. Every response carries `X-Request-ID`: the caller's
own when it is a sane token, else a new one; the server's log line for the
request names it too, so a caller who quotes it can be found in the log.

Written here rather than taken from a package: the problem-details packages
for FastAPI word validation errors in pydantic's terms and put them under their
own member names, while greenroom already words every field error for a person
(`FieldError`); what is left is the shape and three exception handlers.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenroom.core.brief import FieldError

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
"""An incoming request id is echoed only when it is a short token: nothing that could break a header or a log line."""
_SESSION_PATH = re.compile(r"(/chat/sessions/)[0-9a-f]{32}")
"""A chat session id is the session's only credential: the log line shows `/chat/sessions/…` instead."""
SERVER_ERROR = "something went wrong on the server; the server log has the details under this request id"

logger = logging.getLogger("greenroom.api")
_current: ContextVar[tuple[str, str]] = ContextVar("greenroom_request", default=("", ""))
"""(request id, path) of the request being answered; set by `RequestIds` for everything inside it."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Problem(BaseModel):
    """Why a request failed: RFC 9457 problem details, served as application/problem+json."""

    type: str = Field("about:blank", description="about:blank: the status and title say what kind of problem it is.")
    title: str = Field(..., description="The HTTP status in words, e.g. Not Found.")
    status: int = Field(..., description="The HTTP status code.")
    detail: str = Field(..., description="What went wrong with this request, in words.")
    instance: str = Field(..., description="The path of the request that failed.")
    request_id: str = Field(..., description="The request's X-Request-ID; quote it when asking about this request.")
    errors: list[FieldError] | None = Field(None, description="On a 422: one entry per failing field.")


def request_id() -> str:
    """The id of the request being answered ('' outside one)."""
    return _current.get()[0]


def problem(status: int, detail: str = "", errors: list[FieldError] | None = None) -> dict[str, Any]:
    """The problem-details body for the request being answered."""
    if not detail and errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    rid, path = _current.get()
    title = _phrase(status)
    body = Problem(title=title, status=status, detail=detail or title.lower(), instance=path, request_id=rid, errors=errors)
    return body.model_dump(mode="json", exclude_none=True)


def problem_response(status: int, detail: str = "", errors: list[FieldError] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    """A problem-details response for the request being answered."""
    return JSONResponse(problem(status, detail, errors), status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def send_problem(send: Send, status: int, detail: str = "", errors: list[FieldError] | None = None) -> None:
    """Answer with a problem from ASGI middleware (outside the app's exception handlers)."""
    response = problem_response(status, detail, errors)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class RequestIds:
    """Give each request an id, put it on the response and in the request's log line; an unexpected error is a plain 500.

    The outermost middleware, so that every answer (413s and 500s included) carries the id.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = _current.set((rid, scope["path"]))
        status, answered, started = 500, False, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # the server's own failure: the log keeps the traceback, the caller gets the id and no internals
            logger.exception("%s %s failed (request_id=%s)", scope["method"], _logged_path(scope["path"]), rid)
            if not answered:
                await send_problem(send_with_id, 500, SERVER_ERROR)
        finally:
            ms = (time.perf_counter() - started) * 1000
            logger.info("%s %s %d %.0f ms request_id=%s", scope["method"], _logged_path(scope["path"]), status, ms, rid)
            _current.reset(token)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status the standard library does not name
        return "Error"


def _logged_path(path: str) -> str:
    return _SESSION_PATH.sub(r"\1…", path)


def add_problem_handlers(app: FastAPI) -> None:
    """Answer every HTTPException (401, 404, 405, 409 and the rest) as problem details."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        if detail in ("", _phrase(exc.status_code)):  # the framework's own 404 and 405 say only the status
            allowed = (exc.headers or {}).get("Allow", "")
            detail = {404: "nothing is served at this address",
                      405: f"this address does not answer {request.method}" + (f"; it answers {allowed}" if allowed else "")
                      }.get(exc.status_code, _phrase(exc.status_code).lower())  # fmt: skip
        return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))
