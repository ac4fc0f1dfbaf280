"""Fake Telegram Bot API and Zalo OA API servers on loopback, for the channel tests.

Each is a small aiohttp application served from a thread of the test process on a free
loopback port; it answers in the shapes the real APIs answer and records every request, so a
test posts updates to the running Rasa server and reads back what the bot sent.

``channel_fakes()`` starts both once per test process and gives the environment that points
the project's channels at them (random secrets, a token file in a temporary folder).
"""
from __future__ import annotations

import asyncio
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from aiohttp import web


class FakeServer:
    """An aiohttp application on 127.0.0.1:<free port>, served from a daemon thread."""

    def __init__(self, app: web.Application):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.port: Optional[int] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._serve, daemon=True, name=type(self).__name__)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def recent(self) -> list:
        """The last requests recorded, shown when :meth:`wait_for` times out."""
        return []

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60) -> Any:
        """``condition()``'s first truthy value, polled until ``timeout`` seconds have passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f}s; {type(self).__name__} so far: {self.recent()}")

    def start(self) -> "FakeServer":
        self._thread.start()
        if not self._ready.wait(30) or self._error:
            raise RuntimeError(f"{type(self).__name__} did not start: {self._error}")
        return self

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            runner = web.AppRunner(self.app, access_log=None)
            self.loop.run_until_complete(runner.setup())
            self.loop.run_until_complete(web.SockSite(runner, sock).start())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()


class ChannelFakes:
    """Both fakes and the channel environment that points at them."""

    def __init__(self) -> None:
        from tests.fakes.telegram_api import FakeBotApi
        from tests.fakes.zalo_api import FakeZaloApi

        self.folder = Path(tempfile.mkdtemp(prefix="channel-fakes-"))
        self.telegram_token = f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(24)}"
        self.telegram_secret = secrets.token_urlsafe(24)
        self.telegram = FakeBotApi(self.telegram_token).start()
        self.zalo_app_id = str(secrets.randbelow(10**18) + 10**18)
        self.zalo_oa_secret = secrets.token_urlsafe(16)
        self.zalo_app_secret = secrets.token_urlsafe(16)
        self.zalo = FakeZaloApi(app_id=self.zalo_app_id, app_secret=self.zalo_app_secret).start()
        self.zalo_token_file = self.folder / "zalo" / "tokens.json"
        self.env = {
            "TELEGRAM_TOKEN": self.telegram_token,
            "TELEGRAM_WEBHOOK_SECRET": self.telegram_secret,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.invalid/webhooks/telegram/webhook",
            "TELEGRAM_API_BASE": self.telegram.url,
            "ZALO_APP_ID": self.zalo_app_id,
            "ZALO_OA_SECRET_KEY": self.zalo_oa_secret,
            "ZALO_APP_SECRET": self.zalo_app_secret,
            "ZALO_ACCESS_TOKEN": self.zalo.access_token,
            "ZALO_REFRESH_TOKEN": self.zalo.refresh_token,
            "ZALO_API_BASE": self.zalo.url,
            "ZALO_OAUTH_BASE": self.zalo.url,
            "ZALO_TOKEN_FILE": str(self.zalo_token_file),
        }


_fakes: Optional[ChannelFakes] = None


def channel_fakes() -> ChannelFakes:
    global _fakes
    if _fakes is None:
        _fakes = ChannelFakes()
    return _fakes
