"""A fake Zalo OA API and OAuth server.

* ``POST /v3.0/oa/message/cs`` (header ``access_token``): records the message; answers
  ``{"error": 0, "message": "Success", "data": {"message_id", "user_id"}}``, or
  ``{"error": -216, …}`` when the access token is not the current one (expired or revoked);
* ``POST /v4/oa/access_token`` (header ``secret_key``, form ``app_id``, ``grant_type``,
  ``refresh_token``): with the current refresh token, a new pair (the old refresh token is
  spent, as on Zalo); anything else an OAuth error.

Also builds signed webhook events as Zalo posts them (``event_name``, ``app_id``, ``sender``,
``recipient``, ``message.msg_id``, ``timestamp`` as strings; ``X-ZEvent-Signature``).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from typing import Any, Optional

from aiohttp import web

from tests.fakes import FakeServer

OA_ID = "579745863508352884"


class FakeZaloApi(FakeServer):
    def __init__(self, app_id: str, app_secret: str):
        self.app_id = app_id
        self.app_secret = app_secret
        self.access_token = "at-" + secrets.token_urlsafe(12)
        self.refresh_token = "rt-" + secrets.token_urlsafe(12)
        self.expires_in = "90000"  # what the next refresh answers (Zalo sends a string)
        self._messages: list[dict[str, Any]] = []
        self._refreshes: list[dict[str, Any]] = []
        self._rejected: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.hold: Optional[threading.Event] = None  # set: message sends wait until it is set
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self.message)
        app.router.add_post("/v4/oa/access_token", self.oauth)
        super().__init__(app)

    # ------------------------------------------------------------------ server side

    async def message(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.headers.get("access_token", "")
        if self.hold is not None:
            hold = self.hold
            await self.loop.run_in_executor(None, hold.wait, 30)
        with self._lock:
            if token != self.access_token:
                self._rejected.append({"token": token, "body": body})
                return web.json_response({"error": -216, "message": "Access token is invalid"})
            self._messages.append({"token": token, "body": body, "at": time.time()})
        user = str(body.get("recipient", {}).get("user_id", ""))
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": f"{next(self._ids):020x}", "user_id": user}})

    async def oauth(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        with self._lock:
            self._refreshes.append({"headers": {"secret_key": request.headers.get("secret_key", "")}, "form": form})
            if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
                return web.json_response({"error": -14002, "error_name": "Invalid app secret"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
            self.access_token = "at-" + secrets.token_urlsafe(12)
            self.refresh_token = "rt-" + secrets.token_urlsafe(12)
            return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                      "expires_in": self.expires_in})

    # ------------------------------------------------------------------ test side

    def expire_access_token(self) -> None:
        """The current access token stops working (as when it expires on Zalo's side)."""
        with self._lock:
            self.access_token = "at-" + secrets.token_urlsafe(12)

    def messages(self, user_id: Optional[str] = None) -> list[dict[str, Any]]:
        """Accepted messages (``{"token", "body"}``), to one user when given."""
        with self._lock:
            return [dict(m) for m in self._messages
                    if user_id is None or str(m["body"]["recipient"]["user_id"]) == str(user_id)]

    def texts(self, user_id: str) -> list[str]:
        return [m["body"]["message"].get("text", "") for m in self.messages(user_id)]

    def refreshes(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._refreshes]

    def rejected(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._rejected]

    def recent(self) -> list:
        return self.messages()[-3:]


_msg_ids = itertools.count(1)


def text_event(app_id: str, user_id: str, text: str, event_name: str = "user_send_text",
               timestamp: Optional[str] = None) -> dict[str, Any]:
    """A user's message to the OA, as Zalo posts it (ids and timestamp are strings)."""
    message: dict[str, Any] = {"msg_id": secrets.token_hex(10) + f"{next(_msg_ids):04d}"}
    if event_name == "user_send_text":
        message["text"] = text
    else:
        message["attachments"] = [{"type": "image", "payload": {"thumbnail": "https://example.invalid/t.jpg",
                                                                "url": "https://example.invalid/i.jpg"}}]
    return {"app_id": app_id, "user_id_by_app": str(int(user_id) // 3 + 17), "event_name": event_name,
            "timestamp": timestamp or str(int(time.time() * 1000)),
            "sender": {"id": user_id}, "recipient": {"id": OA_ID}, "message": message}


def signed(event: dict[str, Any], oa_secret_key: str) -> tuple[bytes, dict[str, str]]:
    """The body Zalo posts and its headers, signed the way Zalo signs."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw = event["app_id"].encode() + body + str(event["timestamp"]).encode() + oa_secret_key.encode()
    return body, {"Content-Type": "application/json", "X-ZEvent-Signature": "mac=" + hashlib.sha256(raw).hexdigest()}
