"""The web chat's socket.io channel, with what Rasa 3.6's ``SocketIOInput`` gets wrong fixed.

* **Identity.** The sender id comes from a session token the project's web server signed
  (bot/sessions.py): ``session_request`` with a valid token keeps that browser's conversation
  (``web-<id>``) across reloads and reconnects; without one (or with a forged one) a fresh
  anonymous session is issued and confirmed, so the standard rasa-webchat widget, which stores
  whatever ``session_confirm`` returns, keeps its conversation too.  The id a client puts in
  ``user_uttered`` is ignored; so is client metadata: the only metadata is a short-lived claim signed
  from the verified session, which the actions check again before treating the user as staff
  (the tracker store keeps that claim, never the session token itself).
* **Session persistence.** Rasa 3.6 calls ``sio.enter_room`` without awaiting it (a coroutine
  in python-socketio 5), so replies to a persistent session reached nobody; here it is awaited
  and every socket of one session joins the session's room.
* **Websockets.** Sanic 21.12's ``WebsocketImplProtocol.recv`` passes a bare coroutine to
  ``asyncio.wait``, which Python 3.11 refuses (TypeError): engine.io's Sanic driver then ends
  the socket at once and Sanic writes an HTTP response into the upgraded connection, which the
  browser reports as "Invalid frame header".  :class:`SanicWebSocket` receives through a task.
* **Origins and size.** Only the web page's origins (``WEB_ORIGINS``, comma-separated) may
  open a socket (engine.io refuses others; Rasa's CORS, started with the same list, answers
  the allowed ones); engine.io packets are capped; over-long messages get a Vietnamese refusal
  before the NLU (bot/channels/guard.py).

Registered in credentials.yml as ``bot.channels.socketio.WebChatInput``.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from engineio.async_drivers import sanic as engineio_sanic
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from socketio import AsyncServer

from bot import sessions

from .guard import MessageGuard

logger = logging.getLogger(__name__)

MAX_PACKET_BYTES = int(os.environ.get("SOCKETIO_MAX_BYTES", "65536"))


class SanicWebSocket(engineio_sanic.WebSocket):
    """engine.io's Sanic websocket wrapper, receiving without Sanic 21.12's broken ``recv``."""

    async def wait(self):
        sock = self._sock
        getter = asyncio.ensure_future(sock.assembler.get(None))
        try:
            data = await getter
        finally:
            if not getter.done():
                getter.cancel()
        if not isinstance(data, (bytes, str)):
            raise OSError("websocket closed")
        return data


def allowed_origins() -> list[str]:
    return [o.strip().rstrip("/") for o in os.environ.get("WEB_ORIGINS", "").split(",") if o.strip()]


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(credentials.get("user_message_evt", "user_uttered"),
                   credentials.get("bot_message_evt", "bot_uttered"),
                   credentials.get("namespace"), True, credentials.get("socketio_path", "/socket.io"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = MessageGuard()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sessions.secret()  # fail at start-up, not at the first message, when the secret is missing
        origins = allowed_origins()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins or None,
                          max_http_buffer_size=MAX_PACKET_BYTES)
        sio.eio._async = {**sio.eio._async, "websocket": SanicWebSocket}
        # engine.io checks the origin; the CORS headers themselves come from Rasa's sanic-cors
        # (same origins): both would send Access-Control-Allow-Origin twice, which browsers refuse
        sio.eio._cors_headers = lambda environ: []
        bp = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        guarded = self.guard.wrap(on_new_message)
        ns = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        async def start(sid: Text, session: sessions.WebSession) -> str:
            token = sessions.issue(session)
            await sio.save_session(sid, {"session": session, "token": token}, namespace=ns)
            joined = sio.enter_room(sid, session.sender_id, namespace=ns)
            if inspect.isawaitable(joined):
                await joined
            return token

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            return True

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            claimed = data.get("session_id") if isinstance(data, dict) else None
            session = sessions.verify(claimed) or sessions.new_session()
            token = await start(sid, session)
            await sio.emit("session_confirm", token, room=sid, namespace=ns)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: Text, data: Any) -> None:
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                return
            state = await sio.get_session(sid, namespace=ns)
            if not state:  # no session_request: this socket gets its own anonymous session
                await start(sid, sessions.new_session())
                state = await sio.get_session(sid, namespace=ns)
            session: sessions.WebSession = state["session"]
            output = SocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(text, output, session.sender_id, input_channel=self.name(),
                                  metadata={"web_claim": sessions.issue_claim(session)})
            await guarded(message)

        return bp


__all__ = ["WebChatInput", "SanicWebSocket"]
