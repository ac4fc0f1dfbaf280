"""A minimal socket.io v5 client over a raw websocket (the ``websockets`` package Rasa already
needs), for tests that must see exactly what the server sends: the engine.io open packet, the
namespace connect, events, and a refused handshake.  Not a general client."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Optional

import websockets


class SocketIOClient:
    def __init__(self, base_url: str, origin: Optional[str] = None, path: str = "/socket.io/"):
        self.url = base_url.replace("http://", "ws://").rstrip("/") + path + "?EIO=4&transport=websocket"
        self.origin = origin
        self.ws = None
        self.events: list[tuple[str, Any]] = []

    async def __aenter__(self) -> "SocketIOClient":
        headers = {"Origin": self.origin} if self.origin else {}
        self.ws = await websockets.connect(self.url, extra_headers=headers, compression=None, open_timeout=20)
        opened = await asyncio.wait_for(self.ws.recv(), 20)
        assert opened.startswith("0{"), opened
        await self.ws.send("40")
        while True:
            packet = await asyncio.wait_for(self.ws.recv(), 20)
            if packet.startswith("40"):
                return self
            if packet.startswith("44"):
                raise ConnectionRefusedError(packet)

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send("42" + json.dumps([event, data], ensure_ascii=False))

    async def wait_for(self, event: str, timeout: float = 60) -> Any:
        """The next ``event``'s data (answering the server's pings meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            packet = await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - loop.time()))
            if packet == "2":
                await self.ws.send("3")
                continue
            if packet.startswith("42"):
                name, *args = json.loads(packet[2:])
                self.events.append((name, args[0] if args else None))
                if name == event:
                    return args[0] if args else None

    async def replies(self, quiet: float = 1.5, timeout: float = 60) -> list[dict]:
        """Every ``bot_uttered`` until none came for ``quiet`` seconds (at least one)."""
        first = await self.wait_for("bot_uttered", timeout)
        out = [first]
        while True:
            try:
                out.append(await self.wait_for("bot_uttered", quiet))
            except asyncio.TimeoutError:
                return out


def run(coro):
    return asyncio.run(coro)
