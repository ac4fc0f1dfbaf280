"""Attacks on a running bot, as the issue's findings were found: real servers on loopback
(bot/testing.py), real HTTP, a real websocket, a real SQLite lock from another process.

Each test names the finding it closes.  Nothing is stubbed: the action server, the Rasa
server with the project's channels, and the web page server are the ones ``make run`` starts.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.servers import ask
from webclient import Browser, WebChat

ROOT = Path(__file__).resolve().parent.parent
STAFF_PASSWORD = "mat-khau-that-dai-2024"


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, body, headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def rest(bot, payload: dict, token: str | None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    status, _, body = http("POST", f"{bot.rasa_url}/webhooks/rest/webhook", json.dumps(payload).encode(), headers)
    return status, body


def tracker(bot, sender: str) -> dict:
    status, _, body = http("GET", f"{bot.rasa_url}/conversations/{sender}/tracker?token={bot.rasa_token}")
    assert status == 200, body
    return json.loads(body)


def user_texts(bot, sender: str) -> list[str]:
    return [e.get("text") for e in tracker(bot, sender)["events"] if e["event"] == "user"]


def revisions(kb: str) -> int:
    from sqlalchemy import func, select

    from knowledge.db import open_session
    from reporting.models import ReportRevision

    with open_session(kb) as s:
        return s.execute(select(func.count()).select_from(ReportRevision)).scalar_one()


def other_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (where another machine would connect)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
    found = [a for a in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", out) if not a.startswith("127.")]
    if not found:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect(("192.0.2.1", 9))
                found = [s.getsockname()[0]]
            except OSError:
                pass
    return [a for a in found if not a.startswith("127.")]


# ---------------------------------------------------------------------------- nothing open


def test_no_server_answers_on_a_non_loopback_address(bot):
    """Finding: the action server listened on 0.0.0.0."""
    addresses = other_addresses()
    assert addresses, "no non-loopback IPv4 address on this machine to try from (`ip -4 addr` shows none)"
    for address in addresses:
        for port in (bot.action_port, bot.rasa_port, bot.web_port):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(3)
                assert s.connect_ex((address, port)) != 0, f"port {port} answers on {address}"


def test_action_server_refuses_a_forged_call(bot):
    """Finding: one POST to the action server saved a forged report."""
    kb = bot.env["KB_URL"]
    before = revisions(kb)
    call = {"next_action": "action_submit_report", "sender_id": "attacker", "version": "3.6.21",
            "tracker": {"sender_id": "attacker", "slots": {"report_session": "x", "report_target": "1",
                                                           "report_period": "năm 2024", "report_value": 99},
                        "latest_message": {"text": "/confirm", "intent": {"name": "confirm"}},
                        "events": [], "latest_input_channel": "rest", "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": None},
            "domain": {}}
    body = json.dumps(call).encode()
    for headers in ({}, {"X-Action-Token": "wrong"}, {"X-Action-Token": bot.secrets["ACTION_SERVER_TOKEN"] + "x"}):
        status, _, reply = http("POST", f"{bot.action_url}/webhook", body, {"Content-Type": "application/json", **headers})
        assert status == 403, (status, reply)
    status, _, _ = http("GET", f"{bot.action_url}/actions")
    assert status == 403
    assert revisions(kb) == before
    assert http("GET", f"{bot.action_url}/health")[0] == 200


@pytest.mark.parametrize("method,path", [
    ("GET", "/status"), ("GET", "/conversations/victim/tracker"), ("PUT", "/model"),
    ("POST", "/conversations/victim/tracker/events"), ("POST", "/conversations/victim/execute"),
    ("POST", "/conversations/victim/trigger_intent"), ("POST", "/model/parse"), ("DELETE", "/model"),
])
def test_rasa_api_needs_the_token(bot, method, path):
    """Finding: the HTTP API had no token (PUT /model → 204, events injected, trackers read)."""
    body = b'{"event": "slot", "name": "x", "value": 1}' if method != "GET" else None
    for suffix in ("", "?token=wrong"):
        status, _, reply = http(method, f"{bot.rasa_url}{path}{suffix}", body, {"Content-Type": "application/json"})
        assert status == 401, (method, path, status, reply[:200])
    assert http("GET", f"{bot.rasa_url}/status?token={bot.rasa_token}")[0] == 200


def test_cors_allows_only_the_pages_origin(bot):
    """Finding: CORS answered any origin with credentials."""
    evil = "http://evil.example"
    for method in ("GET", "OPTIONS"):
        headers = {"Origin": evil, "Access-Control-Request-Method": "POST"}
        _, got, _ = http(method, f"{bot.rasa_url}/conversations/victim/tracker", None, headers)
        assert "access-control-allow-origin" not in got, got
        _, got, _ = http(method, f"{bot.rasa_url}/webhooks/rest/webhook", None, headers)
        assert got.get("access-control-allow-origin") in (None,), got
    _, got, _ = http("GET", f"{bot.rasa_url}/", None, {"Origin": bot.web_origin})
    assert got.get("access-control-allow-origin") == bot.web_origin, got
    # socket.io (polling handshake) from another site's page is refused
    status, _, _ = http("GET", f"{bot.rasa_url}/socket.io/?EIO=4&transport=polling", None, {"Origin": evil})
    assert status == 400
    status, _, _ = http("GET", f"{bot.rasa_url}/socket.io/?EIO=4&transport=polling", None, {"Origin": bot.web_origin})
    assert status == 200


def test_rest_needs_its_token(bot):
    """Finding: any REST client was whoever it said."""
    message = {"sender": f"r-{uuid.uuid4().hex[:8]}", "message": "xin chào"}
    assert rest(bot, message, None)[0] == 401
    assert rest(bot, message, "wrong-token")[0] == 401
    status, body = rest(bot, message, bot.rest_token)
    assert status == 200 and json.loads(body), body


def test_rest_cannot_claim_another_channel(bot):
    """Finding: a REST client claimed the web chat's channel with ``input_channel``."""
    sender = f"r-{uuid.uuid4().hex[:8]}"
    status, _ = rest(bot, {"sender": sender, "message": "xin chào", "input_channel": "socketio",
                           "metadata": {"web_claim": "forged"}}, bot.rest_token)
    assert status == 200
    users = [e for e in tracker(bot, sender)["events"] if e["event"] == "user"]
    assert users and all(e["input_channel"] == "rest" for e in users), users
    assert all(not (e.get("metadata") or {}).get("web_claim") for e in users), users


# ---------------------------------------------------------------------------- bounded input


def test_a_200_kB_message_is_refused_quickly_and_the_server_stays_up(bot):
    """Finding: one 200 kB message took Rasa to 23 GB and down with it all three servers."""
    big = {"sender": f"r-{uuid.uuid4().hex[:8]}", "message": "chỉ tiêu " * 25_000}
    assert len(json.dumps(big)) > 200_000
    started = time.monotonic()
    status, body = rest(bot, big, bot.rest_token)
    refused_in = time.monotonic() - started
    assert status == 413, (status, body[:200])
    assert "quá lớn" in json.loads(body)["error"]
    assert refused_in < 10, refused_in  # refused before it is read, not after minutes of NLU
    assert all(p.poll() is None for p in bot.procs.values())
    reply = ask(bot.rasa_url, "xin chào", f"r-{uuid.uuid4().hex[:8]}")
    assert reply and "Xin chào" in reply[0]["text"]


def test_a_long_message_gets_a_vietnamese_refusal_before_the_nlu(bot):
    sender = f"r-{uuid.uuid4().hex[:8]}"
    reply = ask(bot.rasa_url, "họp trực tuyến " * 300, sender)
    assert len(reply) == 1 and "Tin nhắn quá dài" in reply[0]["text"] and "2.000" in reply[0]["text"], reply
    assert user_texts(bot, sender) == []  # never reached the tracker, so never the NLU
    web = WebChat(bot.rasa_url, bot.web_origin)
    (text,) = web.say("a" * 2001)
    assert "Tin nhắn quá dài" in text


# ---------------------------------------------------------------------------- web identity


def test_web_chat_identity_comes_from_the_signed_session(bot):
    """Finding: the web chat's identity was the socket id (a new user on every reconnect)."""
    browser = Browser(bot.web_origin)
    token = browser.session()["token"]
    assert browser.cookie and browser.cookie.startswith("kh_session=")
    _, headers, _ = Browser(bot.web_origin).request("GET", "/session")
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Lax" in headers["set-cookie"]
    web = WebChat(bot.rasa_url, bot.web_origin, token=token)
    web.say("xin chào")
    again = WebChat(bot.rasa_url, bot.web_origin, token=browser.session()["token"])  # a reload
    again.say("hồ sơ chuyển trường cần giấy tờ gì")
    from bot import sessions
    import os

    os.environ.setdefault("WEB_SESSION_SECRET", bot.secrets["WEB_SESSION_SECRET"])
    sender = sessions.verify(token).sender_id
    assert sessions.verify(web.confirmed).sender_id == sessions.verify(again.confirmed).sender_id == sender
    assert user_texts(bot, sender) == ["xin chào", "hồ sơ chuyển trường cần giấy tờ gì"]
    # what the tracker store keeps is a short-lived claim for the actions, not a session key
    claims = [(e.get("metadata") or {}).get("web_claim") for e in tracker(bot, sender)["events"] if e["event"] == "user"]
    assert all(claims) and all(sessions.verify(c) is None for c in claims)
    thief = WebChat(bot.rasa_url, bot.web_origin, token=claims[0])
    thief.say("xin chào")
    assert sessions.verify(thief.confirmed).sender_id != sender


def test_a_forged_or_foreign_session_id_is_not_accepted(bot):
    victim = Browser(bot.web_origin)
    victim_token = victim.session()["token"]
    from bot import sessions
    import os

    os.environ.setdefault("WEB_SESSION_SECRET", bot.secrets["WEB_SESSION_SECRET"])
    victim_sender = sessions.verify(victim_token).sender_id
    forged = victim_token[:-3] + ("AAA" if not victim_token.endswith("AAA") else "BBB")
    attacker = WebChat(bot.rasa_url, bot.web_origin, token=forged)
    attacker.say("xin chào")
    assert sessions.verify(attacker.confirmed).sender_id != victim_sender
    # a plain id (what Rasa's own channel trusted) is not a session either
    attacker = WebChat(bot.rasa_url, bot.web_origin, token=victim_sender)
    attacker.say("xin chào")
    assert sessions.verify(attacker.confirmed).sender_id != victim_sender
    status, _, _ = http("GET", f"{bot.rasa_url}/conversations/{victim_sender}/tracker?token={bot.rasa_token}")
    assert status == 200 and user_texts(bot, victim_sender) == []


# ---------------------------------------------------------------------------- staff, exports


def add_staff(kb: str, username: str, unit: str) -> None:
    from bot.train import rasa_env

    done = subprocess.run([sys.executable, "-m", "knowledge", "--kb", kb, "staff", "add", username,
                           "--name", "Trần Văn Cán Bộ", "--unit", unit], input=STAFF_PASSWORD + "\n",
                          capture_output=True, text=True, cwd=ROOT, env=rasa_env(), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def reported(bot):
    """Cần Thơ units, one approved school reporter who reported 77% for "năm 2022", and a
    staff account of Sở GD&ĐT Cần Thơ and one of Sở GD&ĐT Lâm Đồng."""
    import reporting
    from knowledge.db import open_session

    kb = bot.env["KB_URL"]
    with open_session(kb) as s:
        reporting.import_units(ROOT / "samples" / "units.csv", session=s)
    sender = f"r-{uuid.uuid4().hex[:8]}"
    with open_session(kb) as s:
        info = reporting.register_reporter("rest", sender, "Phạm Thị Báo Cáo", "Trường THPT Châu Văn Liêm",
                                           "0912345678", session=s)
        reporting.approve_reporter(info.id, session=s)
        target = reporting.candidate_targets(reporting.get_reporter("rest", sender, session=s),
                                             "họp trực tuyến", session=s)[0]
        reporting.save_report(info.id, target.target_id, "năm 2022", 77, None, f"sec-{sender}", session=s)
    add_staff(kb, "canbo.cantho", "Sở Giáo dục và Đào tạo thành phố Cần Thơ")
    add_staff(kb, "canbo.lamdong", "Sở Giáo dục và Đào tạo tỉnh Lâm Đồng")
    return kb


def staff_chat(bot, username: str | None) -> tuple[Browser, WebChat]:
    browser = Browser(bot.web_origin)
    browser.session()
    if username:
        assert browser.login(username, STAFF_PASSWORD) == 303
        assert browser.session()["staff"]["username"] == username
    return browser, WebChat(bot.rasa_url, bot.web_origin, token=browser.session()["token"])


def test_wrong_password_and_cross_site_login_are_refused(bot, reported):
    browser = Browser(bot.web_origin)
    browser.session()
    assert browser.login("canbo.cantho", "sai-mat-khau-roi") == 401
    assert browser.login("khong.co.ai", STAFF_PASSWORD) == 401
    assert browser.session()["staff"] is None
    body = b"username=canbo.cantho&password=" + STAFF_PASSWORD.encode()
    status, _, _ = browser.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"},
                                   origin="http://evil.example")
    assert status == 403 and browser.session()["staff"] is None
    status, _, _ = browser.request("POST", "/login", b"x" * 20_000, {"Content-Type": "application/x-www-form-urlencoded"},
                                   origin=bot.web_origin)
    assert status == 413


QUESTION = "tiến độ chỉ tiêu họp trực tuyến của Cần Thơ năm 2022"


def test_per_unit_progress_only_for_signed_in_staff_of_the_area(bot, reported):
    """Finding: per-unit progress with reporters' names was given to anyone who asked."""
    _, staff = staff_chat(bot, "canbo.cantho")
    (reply,) = staff.say(QUESTION)
    assert "Trường THPT Châu Văn Liêm" in reply and "Phạm Thị Báo Cáo" in reply and "77%" in reply, reply
    for who in (None, "canbo.lamdong"):  # a citizen; staff of another province
        _, chat = staff_chat(bot, who)
        (reply,) = chat.say(QUESTION)
        # the plan-level figure (other test modules share these servers and report too: any mean)
        assert re.search(r"trung bình \d+(?:,\d+)?%", reply) and re.search(r"\d+/\d+ trường đã báo cáo", reply), reply
        assert "cần ít nhất 80% trường báo cáo" in reply, reply
        assert "Châu Văn Liêm" not in reply and "Phạm Thị" not in reply and "Chưa báo cáo" not in reply, reply
        assert "chỉ dành cho" in reply
    over_rest = " ".join(r.get("text", "") for r in ask(bot.rasa_url, QUESTION, f"r-{uuid.uuid4().hex[:8]}"))
    assert re.search(r"trung bình \d+(?:,\d+)?%", over_rest), over_rest
    assert "Phạm Thị" not in over_rest and "Châu Văn Liêm" not in over_rest, over_rest


def test_missing_units_only_for_signed_in_staff(bot, reported):
    question = "trường nào ở Cần Thơ chưa báo cáo năm 2022?"
    _, staff = staff_chat(bot, "canbo.cantho")
    (reply,) = staff.say(question)
    assert "chưa báo cáo" in reply and "Trường" in reply, reply
    _, citizen = staff_chat(bot, None)
    (reply,) = citizen.say(question)
    assert "chỉ dành cho" in reply and "Trường THCS" not in reply, reply


def test_exports_only_to_a_signed_in_session_under_unguessable_names(bot, reported):
    """Finding: export files were served without a session under predictable names."""
    browser, staff = staff_chat(bot, "canbo.cantho")
    (reply,) = staff.say("xuất báo cáo kế hoạch 148 năm 2022 dạng excel")
    link = re.search(r"http://\S+/exports/(\S+)", reply)
    assert link, reply
    name = link[1]
    assert re.fullmatch(r"bao-cao-cantho-148-2017-nam-2022-[A-Za-z0-9_-]{24}\.xlsx", name), name
    status, headers, body = browser.request("GET", f"/exports/{name}")
    assert status == 200 and body[:2] == b"PK", status
    assert Browser(bot.web_origin).request("GET", f"/exports/{name}")[0] == 403  # no session
    citizen, _ = staff_chat(bot, None)
    assert citizen.request("GET", f"/exports/{name}")[0] == 403
    for guess in ("bao-cao-cantho-148-2017-nam-2022.xlsx", "..%2F..%2Fcredentials.yml", "../../endpoints.yml",
                  "%2e%2e/%2e%2e/README.md"):
        assert browser.request("GET", f"/exports/{guess}")[0] == 404, guess
    _, chat = staff_chat(bot, None)
    (reply,) = chat.say("xuất báo cáo kế hoạch 148 năm 2022 dạng excel")
    assert "/exports/" not in reply and "chỉ dành cho" in reply, reply
    _, other = staff_chat(bot, "canbo.lamdong")
    (reply,) = other.say("xuất báo cáo kế hoạch 148 năm 2022 dạng excel")
    assert "/exports/" not in reply, reply


def test_an_expired_export_is_gone(bot, reported):
    import os

    from bot.web_server import EXPORT_TTL

    browser, _ = staff_chat(bot, "canbo.cantho")
    name = "bao-cao-cantho-148-2017-nam-2022-" + "A" * 24 + ".csv"
    path = bot.exports_dir / name
    path.write_text("x", encoding="utf-8")
    assert browser.request("GET", f"/exports/{name}")[0] == 200
    old = time.time() - EXPORT_TTL - 60
    os.utime(path, (old, old))
    assert browser.request("GET", f"/exports/{name}")[0] == 404
    assert not path.exists()


# ---------------------------------------------------------------------------- the database


def test_a_sqlite_lock_held_by_another_process_stalls_only_the_writer(bot, reported):
    """Finding: a SQLite lock held by another process stalled every user's answer."""
    import reporting
    from knowledge.db import open_session
    from sqlalchemy.engine import make_url

    kb = reported
    sender = f"r-{uuid.uuid4().hex[:8]}"
    with open_session(kb) as s:
        unit = reporting.add_unit(f"Trường THCS Khóa {sender}", "trường", "thành phố Cần Thơ", session=s)
        info = reporting.register_reporter("rest", sender, "Lê Văn Khóa", f"{unit.name} {unit.area}", "0912345678",
                                           session=s)
        reporting.approve_reporter(info.id, session=s)
    replies = ask(bot.rasa_url, "báo cáo kết quả chỉ tiêu họp trực tuyến", sender)
    button = [b for r in replies for b in r.get("buttons") or [] if "cuộc họp" in b["title"].lower()][0]
    for text in (button["payload"], "năm 2021", "55", "không"):
        replies = ask(bot.rasa_url, text, sender)
    assert "Kiểm tra lại báo cáo" in replies[0]["text"], replies
    before = revisions(kb)
    database = make_url(kb).database
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(float(sys.argv[2]))\n"
         "c.execute('ROLLBACK')", database, "25"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        confirm: dict = {}
        thread = threading.Thread(target=lambda: confirm.update(r=ask(bot.rasa_url, "/confirm", sender, timeout=120)))
        thread.start()
        time.sleep(1)
        other = ask(bot.rasa_url, "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến", "r-other-" + sender)
        assert holder.poll() is None, "the other user was answered only after the lock was released"
        assert other and "70%" in " ".join(r.get("text", "") for r in other), other
        thread.join(60)
        assert holder.poll() is None, "the writer was answered only after the lock was released"
        text = " ".join(r.get("text", "") for r in confirm["r"])
        assert "Hệ thống đang bận" in text, text
    finally:
        holder.wait(60)
    deadline = time.monotonic() + 60
    while revisions(kb) == before and time.monotonic() < deadline:  # the save in the worker goes through
        time.sleep(1)
    text = " ".join(r.get("text", "") for r in ask(bot.rasa_url, "/confirm", sender))
    assert "đã được lưu trước đó" in text or "Đã lưu" in text, text
    assert revisions(kb) == before + 1  # exactly once


def test_a_reporter_registered_on_the_web_chat_can_report_after_reconnecting(bot, reported):
    """Finding: a reporter registered on the web chat could never report (the identity was the
    socket id, new on every reconnect).  A reporter is (channel, the channel's own user id)."""
    import os

    from bot import sessions
    import reporting
    from knowledge.db import open_session

    os.environ.setdefault("WEB_SESSION_SECRET", bot.secrets["WEB_SESSION_SECRET"])
    browser = Browser(bot.web_origin)
    chat = WebChat(bot.rasa_url, bot.web_origin, token=browser.session()["token"])
    replies = chat.say("đăng ký báo cáo", "Võ Thị Web", "Trường Tiểu học Trần Quốc Toản", "0987654321")
    assert "chờ" in replies[-1] and "duyệt" in replies[-1], replies
    sender = sessions.verify(chat.confirmed).sender_id
    with open_session(reported) as s:
        info = reporting.get_reporter("socketio", sender, session=s)
        assert info is not None and info.name == "Võ Thị Web" and not info.approved
        reporting.approve_reporter(info.id, session=s)
    again = WebChat(bot.rasa_url, bot.web_origin, token=browser.session()["token"])  # reload / reconnect
    (reply,) = again.say("báo cáo kết quả chỉ tiêu họp trực tuyến")
    assert "chưa đăng ký" not in reply and "chờ" not in reply, reply
    assert any(b.get("title") for r in again.log[-1] for b in r.get("quick_replies") or []), again.log[-1]
    # another browser is another person, even on the same machine
    stranger = WebChat(bot.rasa_url, bot.web_origin, token=Browser(bot.web_origin).session()["token"])
    (reply,) = stranger.say("báo cáo kết quả chỉ tiêu họp trực tuyến")
    assert "chưa đăng ký" in reply, reply
