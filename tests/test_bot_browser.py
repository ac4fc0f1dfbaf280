"""The web chat in a real browser: Debian's /usr/bin/chromium driven by Playwright (no browser
download), headless, against the real servers (bot/testing.py). The page and its socket.io client
are served locally; every request the page makes must stay on loopback; the chat runs over a
websocket (no "Invalid frame header"), and a reload keeps the browser's conversation."""
from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

from bot.testing import shared_servers

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium (.ci/run does it)"
    servers = shared_servers()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        hosts: set[str] = set()
        sockets: list[str] = []
        console: list[str] = []
        page.on("request", lambda req: hosts.add(urlparse(req.url).hostname or ""))
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.on("console", lambda msg: console.append(msg.text))
        page.goto(servers.web_url)
        page.wait_for_selector("body[data-session=ready]", timeout=30_000)
        page.hosts = hosts  # type: ignore[attr-defined]
        page.sockets = sockets  # type: ignore[attr-defined]
        page.console = console  # type: ignore[attr-defined]
        page.servers = servers  # type: ignore[attr-defined]
        yield page
        browser.close()


def _ask(page, text: str) -> None:
    before = page.locator(".msg.bot").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}", timeout=60_000)
    page.wait_for_timeout(300)  # a reply may come in several messages


def test_question_gets_a_cited_answer(page):
    _ask(page, "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến")
    text = page.locator(".msg.bot").all_inner_texts()
    answer = "\n".join(text)
    assert "70%" in answer and "mục I.2.a" in answer, answer
    assert page.locator(".msg.user").last.inner_text().startswith("đến năm 2020")


def test_buttons_are_rendered_and_clickable(page):
    _ask(page, "xin chào")
    button = page.locator(".msg.bot .buttons button", has_text="Tôi có thể hỏi gì?").last
    button.wait_for(timeout=10_000)
    before = page.locator(".msg.bot").count()
    button.click()
    page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}", timeout=60_000)
    assert "Tôi có thể trả lời" in page.locator(".msg.bot").last.inner_text()


def test_page_uses_only_local_assets(page):
    assert page.hosts and page.hosts <= {"127.0.0.1", "localhost"}, page.hosts


def test_chat_runs_over_a_websocket(page):
    _ask(page, "xin chào")
    assert any("transport=websocket" in url for url in page.sockets), page.sockets
    assert not [m for m in page.console if "Invalid frame header" in m or "WebSocket connection" in m], page.console


def _sender(page) -> str:
    import os

    from bot import sessions

    os.environ.setdefault("WEB_SESSION_SECRET", page.servers.secrets["WEB_SESSION_SECRET"])
    (cookie,) = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE]
    assert cookie["httpOnly"]
    return sessions.verify(cookie["value"]).sender_id


def test_a_reload_keeps_the_conversation(page):
    import json
    import urllib.request

    sender = _sender(page)
    _ask(page, "hồ sơ chuyển trường cần giấy tờ gì")
    page.reload()
    page.wait_for_selector("body[data-session=ready]", timeout=30_000)
    assert _sender(page) == sender
    _ask(page, "xin chào")
    url = f"{page.servers.rasa_url}/conversations/{sender}/tracker?token={page.servers.rasa_token}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        events = json.loads(resp.read())["events"]
    said = [e["text"] for e in events if e["event"] == "user"]
    assert said[-2:] == ["hồ sơ chuyển trường cần giấy tờ gì", "xin chào"], said
    assert all(e["input_channel"] == "socketio" for e in events if e["event"] == "user")


def test_staff_sign_in_through_the_login_form(page):
    """A Sở's staff member signs in on /login (argon2 account made with the CLI) and the chat
    then knows it: per-unit questions are answered for them."""
    import subprocess
    import sys
    import uuid

    from bot.train import ROOT, rasa_env

    servers = page.servers
    kb = servers.env["KB_URL"]
    username = f"cb.{uuid.uuid4().hex[:6]}"
    for cmd, stdin in ((["units", "import", str(ROOT / "samples" / "units.csv")], ""),
                       (["staff", "add", username, "--name", "Đỗ Thị Cán Bộ", "--unit", "Sở GD&ĐT Cần Thơ"],
                        "mat-khau-trinh-duyet-1\n")):
        done = subprocess.run([sys.executable, "-m", "knowledge", "--kb", kb, *cmd], input=stdin, text=True,
                              capture_output=True, cwd=ROOT, env=rasa_env(), timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    staff_page = page.context.browser.new_page()
    try:
        staff_page.goto(f"http://127.0.0.1:{servers.web_port}/login")
        staff_page.fill("#username", username)
        staff_page.fill("#password", "sai-mat-khau-nhe")
        staff_page.click("#login-submit")
        assert "Sai tên đăng nhập hoặc mật khẩu" in staff_page.content()
        staff_page.goto(f"http://127.0.0.1:{servers.web_port}/login")
        staff_page.fill("#username", username)
        staff_page.fill("#password", "mat-khau-trinh-duyet-1")
        staff_page.click("#login-submit")
        staff_page.wait_for_url(f"http://127.0.0.1:{servers.web_port}/", timeout=30_000)
        staff_page.goto(servers.web_url)
        staff_page.wait_for_selector("body[data-session=ready]", timeout=30_000)
        assert "Đỗ Thị Cán Bộ" in staff_page.inner_text("#chat-who")
        _ask(staff_page, "trường nào ở Cần Thơ chưa báo cáo năm 2019?")
        answer = staff_page.locator(".msg.bot").last.inner_text()
        assert "chỉ dành cho" not in answer and "chưa báo cáo" in answer, answer
    finally:
        staff_page.close()
