"""The chat page's sessions: each holds a `Conversation` and carries its actions out on the `RunService`.

The conversation itself (reading messages, asking for what is missing, turning
follow-ups into revisions) lives in `graphs.conversation`. `ChatDesk` runs what
it asks for on the same `RunService` the REST API uses, so a chat's runs are
ordinary runs of its tenant.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

from greenroom.core.brief import BriefError, parse_brief
from greenroom.core.vocabulary import AT_REST
from greenroom.graphs.conversation import Answer, Conversation, Launch, Revise, Turn, announce
from greenroom.interfaces.service import RunBusyError, RunService

if TYPE_CHECKING:
    from greenroom.core.package import LaunchPackage

DEFAULT_TENANT = "chat"


class UnknownChatError(KeyError):
    """No such chat session (or it belongs to another tenant)."""


class ChatFullError(RuntimeError):
    """Every chat session is held by a key's tenant: a key-less session cannot be opened now."""


class ChatDesk:
    """Chat sessions of one server, in memory; their actions run on the shared RunService.

    Sessions are capped per tenant (a tenant's own oldest makes room) and in all; past the overall cap a
    key-less session makes room first, and a session opened with a key is never dropped for a key-less one.
    """

    def __init__(self, service: RunService, max_sessions: int = 1000, max_per_tenant: int = 100) -> None:
        self.service = service
        self.max_sessions, self.max_per_tenant = max_sessions, max_per_tenant
        self._sessions: dict[str, tuple[str, Conversation]] = {}
        self._keyed: dict[str, bool] = {}
        self._lock = threading.Lock()

    def open(self, tenant: str, keyed: bool = True) -> tuple[str, Turn]:
        """A new session for `tenant` (`keyed`: opened with an API key), with the chat's greeting."""
        session_id, conversation = uuid.uuid4().hex, Conversation()
        with self._lock:
            own = [s for s, (t, _) in self._sessions.items() if t == tenant and self._keyed[s] == keyed]
            if len(own) >= self.max_per_tenant:
                self._drop(own[0])
            elif len(self._sessions) >= self.max_sessions:
                keyless = next((s for s in self._sessions if not self._keyed[s]), None)
                if keyless is None and not keyed:
                    raise ChatFullError("the chat is full; try again later or use an API key")
                self._drop(keyless or next(iter(self._sessions)))
            self._sessions[session_id] = (tenant, conversation)
            self._keyed[session_id] = keyed
        return session_id, conversation.greet()

    def _drop(self, session_id: str) -> None:
        del self._sessions[session_id]
        del self._keyed[session_id]

    def get(self, session_id: str) -> tuple[str, Conversation]:
        """The session's tenant and conversation."""
        try:
            return self._sessions[session_id]
        except KeyError:
            raise UnknownChatError(session_id) from None

    def send(self, session_id: str, text: str) -> Turn:
        """Answer one message, carrying out what it asks for."""
        tenant, conversation = self.get(session_id)
        return self._carry_out(tenant, conversation, conversation.reply(text))

    def settle(self, session_id: str) -> Turn:
        """Called when the followed run came to rest: show its package (or start a pending revision)."""
        tenant, conversation = self.get(session_id)
        if conversation.run_id is None:
            return conversation.reply("")
        record = self.service.run_for(conversation.run_id, tenant)
        if record.status not in AT_REST:
            return Turn(say=[], stage=conversation.stage, brief=conversation.draft, run_id=conversation.run_id)
        package = self.service.latest_package(conversation.run_id)
        return self._carry_out(tenant, conversation, conversation.settled(record.status, record.message, package))

    def package(self, session_id: str) -> LaunchPackage | None:
        """The latest package of the session's run."""
        tenant, conversation = self.get(session_id)
        if conversation.run_id is None:
            return None
        self.service.run_for(conversation.run_id, tenant)
        return self.service.latest_package(conversation.run_id)

    def _carry_out(self, tenant: str, conversation: Conversation, turn: Turn) -> Turn:
        action = turn.action
        try:
            if isinstance(action, Launch):
                record, _ = self.service.submit(parse_brief(action.brief), tenant, approval=True)
                conversation.launched(record.id)
            elif isinstance(action, Answer) and conversation.run_id:
                self.service.approve(conversation.run_id, action.answer)
            elif isinstance(action, Revise) and conversation.run_id:
                self.service.revise(conversation.run_id, action.note, action.sets)
        except BriefError as exc:
            return conversation.refused(exc.errors, "I cannot use that brief yet:")
        except RunBusyError as exc:
            return conversation.refused([], f"Not now: {exc}")
        except ValueError as exc:  # an approval answer the run cannot apply
            return conversation.refused([], f"That change does not apply: {exc}")
        if action is not None and not turn.say:
            turn.say.append(announce(action))
        return turn.model_copy(update={"run_id": conversation.run_id, "stage": conversation.stage})
