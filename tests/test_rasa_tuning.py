"""bot/rasa_tuning.py on Rasa's own classes: the action response still validated in full, and an
action call made again while the action server is not yet listening (a real aiohttp server that
starts late), never when it refuses for good."""
from __future__ import annotations

import asyncio
import socket
import time

import pytest
from aiohttp import web
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_tuning

rasa_tuning.install()

GOOD = {"events": [{"event": "slot", "name": "report_value", "value": 40, "timestamp": None}],
        "responses": [{"text": "Thầy/cô có ghi chú gì thêm?", "buttons": [{"title": "Không", "payload": "không"}]}]}


def test_a_good_response_passes_and_a_bad_one_fails_as_before():
    assert rasa_tuning.validate_action_response(GOOD) is True
    bad = {"events": "not a list"}
    with pytest.raises(ValidationError) as ours:
        rasa_tuning.validate_action_response(bad)
    with pytest.raises(ValidationError) as theirs:
        validate(bad, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(theirs.value.message) and "Action server" in ours.value.message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_action(port: int, late_start: float | None) -> tuple[list, float]:
    async def main():
        async def webhook(request):
            return web.json_response(GOOD)

        async def serve_later():
            await asyncio.sleep(late_start)
            app = web.Application()
            app.router.add_post("/webhook", webhook)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            return runner

        server = asyncio.create_task(serve_later()) if late_start is not None else None
        action = RemoteAction("action_ask_report_value", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
        started = time.monotonic()
        try:
            events = await action.run(None, None, DialogueStateTracker("u1", []), Domain.empty())
            return events, time.monotonic() - started
        finally:
            if server is not None:
                await (await server).cleanup()

    return asyncio.run(main())


def test_a_call_waits_for_an_action_server_that_is_starting(monkeypatch):
    monkeypatch.setattr(rasa_tuning, "CONNECT_PATIENCE", 10.0)
    events, seconds = run_action(free_port(), late_start=1.5)
    assert [e.key for e in events if hasattr(e, "key")] == ["report_value"] and 1.0 < seconds < 8


def test_an_action_server_that_never_comes_fails_after_the_patience(monkeypatch):
    monkeypatch.setattr(rasa_tuning, "CONNECT_PATIENCE", 1.0)
    started = time.monotonic()
    with pytest.raises(RasaException):
        run_action(free_port(), late_start=None)
    assert 0.9 < time.monotonic() - started < 5
