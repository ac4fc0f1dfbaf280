"""The production set-up (bot/prod.py, ``make prod``) under load and faults, for real: PostgreSQL,
Redis, two Rasa replicas, the action server with two workers, the web page server and nginx,
started in a temporary folder on free loopback ports.  The only fake is Telegram's Bot API
(tests/fakes/telegram_api.py), which the Telegram channel calls to send its replies.

The tests of this module run in file order on one set-up (it takes minutes to start):

1. a web-chat conversation over socket.io through nginx;
2. 30 reporters (REST and Telegram through nginx) file reports while ``rasa-1`` and then the
   action server are killed with SIGKILL (bench/prod.py, the same code as ``make bench-prod``):
   every report confirmed is stored exactly once, none lost, none doubled;
3. the web chat reconnects through nginx — ``rasa-1`` is dead, so to ``rasa-2`` — and its
   conversation goes on from the tracker store;
4. ``rasa-1`` restarted reads the reporters' conversations from the tracker store;
5. no secret on a command line, secrets file 0600, one pid and log per process; ``stop`` ends
   every process and keeps the data.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests.socketio_client import SocketIOClient

ROOT = Path(__file__).resolve().parent.parent
REPORTERS = int(os.environ.get("PROD_TEST_REPORTERS", "30"))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_prod", ROOT / "bench" / "prod.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_prod"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture(scope="module")
def telegram():
    return bench.fake_telegram()  # (api, token, secret)


@pytest.fixture(scope="module")
def stack(telegram):
    api, token, secret = telegram
    # not under pytest's 0700 basetemp: the postgres user must reach its data folder
    run_dir = Path(tempfile.mkdtemp(prefix="prod-test-"))
    try:
        started = bench.start_stack(run_dir, api, secret, token)
    except RuntimeError as exc:  # a missing Debian package or a server that will not start
        pytest.fail(f"Bản triển khai không khởi động được: {exc}", pytrace=False)
    yield started
    started.stop()
    shutil.rmtree(run_dir, ignore_errors=True)


def web_session(stack) -> tuple[str, str]:
    """A browser's signed session from the web page server, through nginx; and its sender id."""
    with urllib.request.urlopen(f"{stack.url}/session", timeout=30) as resp:
        token = json.loads(resp.read().decode())["token"]
    return token, sender_of(stack, token)


def sender_of(stack, token: str) -> str:
    from bot import sessions

    os.environ["WEB_SESSION_SECRET"] = stack.secrets["WEB_SESSION_SECRET"]
    try:
        return sessions.verify(token).sender_id
    finally:
        os.environ.pop("WEB_SESSION_SECRET", None)


async def web_chat(stack, token: str, text: str) -> list[dict]:
    async with SocketIOClient(stack.url, origin=stack.url) as client:
        await client.emit("session_request", {"session_id": token})
        confirmed = await client.wait_for("session_confirm")
        assert sender_of(stack, confirmed) == sender_of(stack, token)  # the same session, re-signed
        await client.emit("user_uttered", {"message": text})
        return await client.replies()


def tracker_texts(stack, replica: str, sender: str) -> list[str]:
    url = f"{stack.rasa_url(replica)}/conversations/{sender}/tracker?token={stack.secrets['RASA_AUTH_TOKEN']}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        events = json.loads(resp.read().decode())["events"]
    return [e["text"] for e in events if e["event"] == "user"]


WEB: dict = {}
LOAD: dict = {}


def test_web_chat_over_socketio_through_nginx(stack):
    page = urllib.request.urlopen(f"{stack.url}/", timeout=30)  # redirected to ?server=<this origin>
    assert page.url == f"{stack.url}/?server={stack.url}" and b"<html" in page.read()
    token, sender = web_session(stack)
    replies = asyncio.run(web_chat(stack, token, "xin chào"))
    assert any("Xin chào" in r.get("text", "") for r in replies), replies
    WEB.update(token=token, sender=sender)


def test_reports_through_nginx_survive_a_killed_replica_and_a_killed_action_server(stack, telegram):
    api, _, secret = telegram
    reporters = bench.setup_reporters(stack.kb_url, REPORTERS)
    result = bench.run_load(stack, api, secret, reporters, greeters=3)
    LOAD.update(reporters=reporters)
    print("\n" + bench.report(result))
    assert result.errors == []
    assert result.confirmed == result.exact == result.stored_reports == REPORTERS  # none lost, none doubled
    assert result.lost == result.doubled == 0
    assert result.tracked == REPORTERS  # every conversation is in PostgreSQL's tracker store
    assert not stack.running("rasa-1") and stack.running("rasa-2") and stack.running("actions")
    assert any(f.startswith("kill -9 rasa-1") for f in result.faults)
    assert any(f.startswith("kill -9 actions") for f in result.faults)
    # conversations begun before each kill and confirmed after it: they went on from the stores
    assert result.resumed_after_replica_kill > 0 and result.resumed_after_action_kill > 0
    replicas = {addr for key in result.turns_by_replica for addr in key.split(", ")}
    assert {f"127.0.0.1:{p}" for p in stack.ports.rasa} <= replicas  # both replicas served turns
    assert result.greeting_p95_ms and result.turn_p50_ms


def test_the_web_chat_reconnects_to_the_other_replica_and_keeps_its_conversation(stack):
    assert WEB, "the first web-chat test did not run"
    assert not stack.running("rasa-1")
    replies = asyncio.run(web_chat(stack, WEB["token"], "bạn giúp được gì?"))
    assert replies and all(r.get("text") for r in replies), replies
    texts = tracker_texts(stack, "rasa-2", WEB["sender"])
    assert texts[:1] == ["xin chào"] and texts[-1] == "bạn giúp được gì?", texts


def test_a_restarted_replica_takes_conversations_from_the_store(stack):
    """``rasa-1`` (killed above, never saw most of these turns) started again: a repeated
    confirmation sent straight to it finds the report's slots in the tracker store and saves nothing."""
    assert LOAD, "the load test did not run"
    stack.restart("rasa-1")
    reporter = next(r for r in LOAD["reporters"] if r.channel == "rest")
    chat = bench.RestChat(stack.rasa_url("rasa-1"), stack.secrets["REST_TOKEN"], reporter.user)
    reply = chat.send("/confirm")
    assert "đã được lưu trước đó" in reply.text, reply.text
    assert bench.stored_reports(stack.kb_url, [reporter])[reporter.unit_id] == [(float(reporter.value), bench.PERIOD)]


def test_secrets_pids_logs_and_stop_keeps_the_data(stack):
    run = stack.run_dir
    assert (run / "secrets.env").stat().st_mode & 0o777 == 0o600
    assert (run / "redis.conf").stat().st_mode & 0o777 == 0o600
    values = [v for k, v in stack.secrets.items() if len(v) >= 16]
    for name in ("postgres", "redis", "rasa-1", "rasa-2", "actions", "web", "nginx"):
        pid = stack.pid(name)
        assert pid and stack.running(name), name
        assert (run / f"{name}.log").exists(), name
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert not any(v in cmdline for v in values), f"a secret on {name}'s command line"
    endpoints = (run / "endpoints.yml").read_text()
    assert "${POSTGRES_PASSWORD}" in endpoints and "${REDIS_PASSWORD}" in endpoints
    assert not any(v in endpoints for v in values)
    pids = [stack.pid(n) for n in ("redis", "rasa-1", "rasa-2", "actions", "web", "nginx")]
    stack.stop()
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "zombie" in status.read_text(), pid
    assert not list(run.glob("*.pid"))
    # the data stays: PostgreSQL again, the reports still there
    stack.start_postgres()
    try:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=stack.ports.postgres, user="postgres",
                                password=stack.secrets["POSTGRES_PASSWORD"], dbname="kb")
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM reports r JOIN units u ON u.id = r.unit_id "
                        "WHERE u.name LIKE 'Trường Tiểu học Tải %%'")
            assert cur.fetchone()[0] == REPORTERS
        conn.close()
    finally:
        stack.stop_postgres()
