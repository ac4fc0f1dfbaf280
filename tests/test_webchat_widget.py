"""The standard third-party widget, rasa-webchat 1.0.1 (npm; socket.io-client 3, vendored in
tests/vendor/rasa-webchat with its licence), embedded in a page of another loopback "site"
(bot/testing.py ``EMBED_ORIGIN``, allowed in WEB_ORIGINS), holds a conversation with the
project's Rasa server over a websocket — it failed with "Invalid frame header" before — and
keeps it across a reload (the session token it stores is the one the channel signed)."""
from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.testing import EMBED_PORT, shared_servers

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VENDOR = Path(__file__).resolve().parent / "vendor" / "rasa-webchat"


@pytest.fixture(scope="module")
def site():
    """The embedding site: tests/vendor/rasa-webchat served on EMBED_PORT."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(VENDOR))
    server = ThreadingHTTPServer(("127.0.0.1", EMBED_PORT), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{EMBED_PORT}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def widget(site):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium (.ci/run does it)"
    assert (VENDOR / "index.js").stat().st_size > 500_000, "tests/vendor/rasa-webchat/index.js missing"
    servers = shared_servers()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        sockets: list[str] = []
        console: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.on("console", lambda msg: console.append(msg.text))
        page.goto(f"{site}/embed.html?server={servers.rasa_url}")
        page.sockets, page.console, page.servers = sockets, console, servers  # type: ignore[attr-defined]
        yield page
        browser.close()


def responses(page) -> list[str]:
    return page.locator(".rw-response").all_inner_texts()


def wait_for_response(page, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function("t => [...document.querySelectorAll('.rw-response')].some(e => e.innerText.includes(t))",
                           arg=text, timeout=timeout)


def test_widget_greets_then_answers_over_a_websocket(widget):
    # initPayload "xin chào" is sent by the widget as soon as its session is confirmed
    wait_for_response(widget, "Xin chào")
    widget.fill(".rw-new-message", "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến")
    widget.press(".rw-new-message", "Enter")
    wait_for_response(widget, "70%")
    assert any("mục I.2.a" in text for text in responses(widget)), responses(widget)
    assert any("transport=websocket" in url for url in widget.sockets), widget.sockets
    assert not [m for m in widget.console if "Invalid frame header" in m], widget.console


def test_widget_keeps_its_conversation_across_a_reload(widget):
    import json
    import urllib.request

    from bot import sessions

    os.environ.setdefault("WEB_SESSION_SECRET", widget.servers.secrets["WEB_SESSION_SECRET"])
    stored = widget.evaluate("JSON.stringify(window.localStorage)")
    tokens = [v for v in json.loads(stored).values() if "session_id" in v]
    assert tokens, stored
    session_id = json.loads(tokens[0])["session_id"]
    sender = sessions.verify(session_id).sender_id
    widget.reload()
    widget.wait_for_selector(".rw-new-message", timeout=60_000)
    widget.wait_for_timeout(2000)
    widget.fill(".rw-new-message", "hồ sơ chuyển trường cần giấy tờ gì")
    widget.press(".rw-new-message", "Enter")
    widget.wait_for_timeout(4000)
    url = f"{widget.servers.rasa_url}/conversations/{sender}/tracker?token={widget.servers.rasa_token}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        said = [e["text"] for e in json.loads(resp.read())["events"] if e["event"] == "user"]
    assert "hồ sơ chuyển trường cần giấy tờ gì" in said and "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến" in said, said
