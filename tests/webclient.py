"""Test helpers for the web page server and the socket.io channel, over real HTTP: a browser's
cookie jar in miniature (one ``kh_session`` cookie), staff sign-in, and one chat user on the
socket.io channel with the session token the page would hand over."""
from __future__ import annotations

import asyncio
import http.client
import json
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlencode, urlsplit

from socketio_client import SocketIOClient


@dataclass
class Browser:
    """One browser of the web page server: keeps the session cookie across requests."""

    origin: str  # "http://127.0.0.1:PORT"
    cookie: Optional[str] = None

    def request(self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[dict] = None,
                origin: Optional[str] = None) -> tuple[int, dict, bytes]:
        parts = urlsplit(self.origin)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        if origin:
            hdrs["Origin"] = origin
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        got = {k.lower(): v for k, v in resp.getheaders()}
        if "set-cookie" in got:
            self.cookie = got["set-cookie"].split(";", 1)[0]
        conn.close()
        return resp.status, got, data

    def session(self) -> dict:
        status, _, body = self.request("GET", "/session")
        assert status == 200, (status, body)
        return json.loads(body)

    def login(self, username: str, password: str) -> int:
        body = urlencode({"username": username, "password": password}).encode()
        status, _, _ = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"},
                                    origin=self.origin)
        return status


@dataclass
class WebChat:
    """One web-chat user: the page's token, then socket.io over a websocket."""

    rasa_url: str
    origin: str
    token: Optional[str] = None
    confirmed: Optional[str] = None
    log: list = field(default_factory=list)

    async def _say(self, texts: list[str]) -> list[str]:
        out = []
        async with SocketIOClient(self.rasa_url, origin=self.origin) as sio:
            await sio.emit("session_request", {"session_id": self.token})
            self.confirmed = await sio.wait_for("session_confirm")
            for text in texts:
                await sio.emit("user_uttered", {"message": text})
                replies = await sio.replies()
                self.log.append(replies)
                out.append("\n".join(r.get("text", "") for r in replies if r.get("text")))
        return out

    def say(self, *texts: str) -> list[str]:
        """Each text's joined replies, over one fresh connection (as after a reload)."""
        return asyncio.run(self._say(list(texts)))
