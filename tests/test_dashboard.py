"""The staff dashboard over real HTTP (the process ``make run`` starts, bot/testing.py's shared
servers): anonymous users are sent to the sign-in page, a staff member sees only the plans of
their area, forms without the session's CSRF token or from another origin change nothing, and a
double click on "Nhắc báo cáo" sends exactly one Telegram message (to a fake Bot API on loopback).

The channel environment (fake Bot API and OA API) is given to the shared servers when this module
is imported, as the channel tests do, so the dashboard's reminders reach the fakes.
"""
from __future__ import annotations

import re
import secrets
import socket
import subprocess
import threading
import time
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest

from bot.testing import add_server_env
from tests.fakes import channel_fakes
from webclient import Browser

ROOT = Path(__file__).resolve().parent.parent
FAKES = channel_fakes()
add_server_env(FAKES.env)
PASSWORD = "mat-khau-bang-theo-doi-1"
CANTHO = "cantho-148-2017"
DAKLAK = "daklak-4575-2018"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def add_staff(kb: str, unit: str) -> str:
    from knowledge.db import open_session
    from knowledge.staff import add_staff as add

    username = f"cb.{uuid.uuid4().hex[:8]}"
    with open_session(kb) as s:
        add(username, "Nguyễn Thị Cán Bộ", unit, PASSWORD, session=s)
    return username


def dashboard(bot) -> Browser:
    return Browser(f"http://127.0.0.1:{bot.dashboard_port}")


def csrf_of(html: bytes) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html.decode())
    assert found, html[:2000]
    return found[1]


def sign_in(bot, kb, unit: str = "Sở GD&ĐT Cần Thơ") -> Browser:
    browser = dashboard(bot)
    status, _, page = browser.request("GET", "/dashboard/login")
    assert status == 200
    body = urlencode({"csrf": csrf_of(page), "username": add_staff(kb, unit), "password": PASSWORD,
                      "next": "/dashboard/"}).encode()
    status, headers, _ = browser.request("POST", "/dashboard/login", body, FORM, origin=browser.origin)
    assert status == 303 and headers["location"] == "/dashboard/", (status, headers)
    return browser


def text_of(html: bytes) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html.decode()))


def reminders(kb: str, unit_id: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from knowledge.db import open_session
    from reporting.reminder_models import Reminder

    with open_session(kb) as s:
        return [(r.status, r.period_label) for r in s.execute(select(Reminder).where(Reminder.unit_id == unit_id))
                .scalars()]


def late_school(kb: str, channel: str, user: str):
    """A new school of Cần Thơ (reports nothing: late for every period) with an approved reporter."""
    import reporting
    from knowledge.db import open_session

    with open_session(kb) as s:
        unit = reporting.add_unit(f"Trường THCS Nhắc Thử {uuid.uuid4().hex[:6]}", "trường", "thành phố Cần Thơ",
                                  session=s)
        info = reporting.register_reporter(channel, user, "Trần Văn Chậm", f"{unit.name} {unit.area}", "0987654321",
                                           session=s)
        reporting.approve_reporter(info.id, session=s)
    return unit


# ---------------------------------------------------------------------------- who may see what


def test_anonymous_users_are_sent_to_the_sign_in_page(bot, kb):
    anon = dashboard(bot)
    for path in ("/dashboard/", f"/dashboard/plans/{CANTHO}", f"/dashboard/plans/{CANTHO}/export/xlsx?period=2024"):
        status, headers, body = anon.request("GET", path)
        assert status == 303, (path, status)
        assert urlsplit(headers["location"]).path == "/dashboard/login", headers
        assert b"Tr\xc6\xb0\xe1\xbb\x9dng" not in body  # no unit names ("Trường …")
    status, headers, page = anon.request("GET", "/dashboard/login")
    assert status == 200 and "Đăng nhập cán bộ" in page.decode()
    assert headers["x-frame-options"] == "DENY" and "default-src 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    # a form with a valid token of this anonymous session still needs a signed-in staff member
    body = urlencode({"csrf": csrf_of(page), "period": "năm 2024", "unit_id": "1"}).encode()
    status, _, answer = anon.request("POST", f"/dashboard/plans/{CANTHO}/remind", body, FORM, origin=anon.origin)
    assert status == 403 and "Cần đăng nhập" in answer.decode()
    assert reminders(kb, 1) == []


def test_wrong_password_is_refused_in_vietnamese(bot, kb):
    browser = dashboard(bot)
    _, _, page = browser.request("GET", "/dashboard/login")
    body = urlencode({"csrf": csrf_of(page), "username": add_staff(kb, "Sở GD&ĐT Cần Thơ"),
                      "password": "sai-mat-khau-roi"}).encode()
    status, _, answer = browser.request("POST", "/dashboard/login", body, FORM, origin=browser.origin)
    assert status == 401 and "Sai tên đăng nhập hoặc mật khẩu" in answer.decode()
    assert browser.request("GET", "/dashboard/")[0] == 303


def test_staff_see_only_their_areas_plans(bot, kb):
    cantho = sign_in(bot, kb)
    status, _, page = cantho.request("GET", "/dashboard/")
    assert status == 200
    listed = set(re.findall(r'data-plan="([^"]+)"', page.decode()))
    assert CANTHO in listed and DAKLAK not in listed and "lamdong-3381-2017" not in listed, listed
    for path in (f"/dashboard/plans/{DAKLAK}", f"/dashboard/plans/{DAKLAK}/export/csv?period=2024"):
        status, _, body = cantho.request("GET", path)
        assert status == 404, (path, status)
        assert "Buôn Ma Thuột" not in body.decode() and "không thuộc địa bàn" in body.decode()

    daklak = sign_in(bot, kb, "Sở Giáo dục và Đào tạo tỉnh Đắk Lắk")
    listed = set(re.findall(r'data-plan="([^"]+)"', daklak.request("GET", "/dashboard/")[2].decode()))
    assert DAKLAK in listed and CANTHO not in listed, listed
    status, _, body = daklak.request("GET", f"/dashboard/plans/{DAKLAK}?period=2019")
    assert status == 200
    text = text_of(body)
    assert "Trường THPT Buôn Ma Thuột" in text and "Châu Văn Liêm" not in text  # Cần Thơ's schools never shown


def test_a_sign_in_on_the_chat_page_counts_on_the_dashboard(bot, kb):
    """Same cookie, same secret: the web page's /login signs the browser in on the dashboard too."""
    username = add_staff(kb, "Sở GD&ĐT Cần Thơ")
    web = Browser(f"http://127.0.0.1:{bot.web_port}")
    web.session()
    assert web.login(username, PASSWORD) == 303
    board = dashboard(bot)
    board.cookie = web.cookie
    status, _, page = board.request("GET", "/dashboard/")
    assert status == 200 and CANTHO in page.decode()


def test_a_plan_page_shows_targets_units_late_units_and_exports(bot, kb):
    import reporting
    from knowledge.db import open_session

    unit = late_school(kb, "telegram", str(10**9 + secrets.randbelow(10**9)))
    with open_session(kb) as s:
        silent = reporting.add_unit(f"Trường Tiểu học Chưa Ai {uuid.uuid4().hex[:6]}", "trường", "thành phố Cần Thơ",
                                    session=s)
    browser = sign_in(bot, kb)
    status, _, page = browser.request("GET", f"/dashboard/plans/{CANTHO}?period=" + quote("năm 2024"))
    assert status == 200
    html = page.decode()
    assert 'data-period="năm 2024"' in html
    assert html.count('class="target"') >= 10  # every target of the plan
    assert "<svg" in html and "http" not in re.sub(r'(href|action)="[^"]*"', "", html).split("<body>")[1]
    late = {m[0]: m[1] for m in re.findall(r'<tr data-unit-id="(\d+)">(.*?)</tr>', html, re.S)}
    assert "Nhắc báo cáo" in late[str(unit.id)] and "Trần Văn Chậm (Telegram)" in late[str(unit.id)]
    # a school without an approved reporter owes reports too, but has nobody to remind: no button, the page says why
    assert "Nhắc báo cáo" not in late[str(silent.id)] and "không có ai để nhắc" in late[str(silent.id)]
    for fmt in ("xlsx", "docx", "csv"):
        assert f"/export/{fmt}?period=" in html
    bad = browser.request("GET", f"/dashboard/plans/{CANTHO}?period=quy+7+2024")
    assert bad[0] == 400 and "Quý 7 không hợp lệ" in bad[2].decode()


@pytest.mark.parametrize("fmt,magic", [("xlsx", b"PK"), ("docx", b"PK"), ("csv", "Mục".encode())])
def test_exports_download(bot, kb, fmt, magic):
    browser = sign_in(bot, kb)
    status, headers, body = browser.request("GET", f"/dashboard/plans/{CANTHO}/export/{fmt}?period=2024")
    assert status == 200, body[:500]
    assert headers["content-disposition"].startswith('attachment; filename="bao-cao-cantho-148-2017-nam-2024')
    assert magic in body[:400]


# ---------------------------------------------------------------------------- forms


def test_forms_without_the_sessions_csrf_token_or_from_elsewhere_change_nothing(bot, kb):
    user = str(10**9 + secrets.randbelow(10**9))
    unit = late_school(kb, "telegram", user)
    browser = sign_in(bot, kb)
    other = sign_in(bot, kb)  # another signed-in browser: its token is valid, but not for this session
    _, _, page = browser.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")
    _, _, other_page = other.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")
    fields = {"period": "năm 2030", "unit_id": str(unit.id)}
    path = f"/dashboard/plans/{CANTHO}/remind"
    attempts = [
        (urlencode(fields).encode(), browser.origin),  # no token
        (urlencode({**fields, "csrf": "x" + csrf_of(page)[1:]}).encode(), browser.origin),  # altered
        (urlencode({**fields, "csrf": csrf_of(other_page)}).encode(), browser.origin),  # another session's
        (urlencode({**fields, "csrf": csrf_of(page)}).encode(), "http://evil.example"),  # another site
        (urlencode({**fields, "csrf": csrf_of(page)}).encode(), "null"),
    ]
    for body, origin in attempts:
        status, _, answer = browser.request("POST", path, body, FORM, origin=origin)
        assert status == 403, (origin, status, answer[:300])
    status, _, _ = browser.request("POST", path, b"x" * 40_000, FORM, origin=browser.origin)
    assert status == 413
    time.sleep(1)
    assert reminders(kb, unit.id) == []
    assert FAKES.telegram.sent_to(user) == []


def test_a_double_click_sends_one_telegram_reminder(bot, kb):
    user = str(10**9 + secrets.randbelow(10**9))
    unit = late_school(kb, "telegram", user)
    browser = sign_in(bot, kb)
    status, _, page = browser.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")
    assert status == 200 and f'data-unit-id="{unit.id}"' in page.decode()
    body = urlencode({"csrf": csrf_of(page), "period": "năm 2030", "unit_id": str(unit.id)}).encode()
    answers: list[int] = []

    def click() -> None:
        answers.append(browser.request("POST", f"/dashboard/plans/{CANTHO}/remind", body, FORM,
                                       origin=browser.origin)[0])

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join(60)
    assert answers == [303, 303]
    sent = FAKES.telegram.wait_for(lambda: FAKES.telegram.sent_to(user), timeout=30)
    time.sleep(2)  # a second message would have arrived by now
    sent = FAKES.telegram.sent_to(user)
    assert len(sent) == 1, sent
    text = sent[0]["text"]
    assert "Kế hoạch số 148/KH-UBND" in text and "năm 2030" in text and unit.name in text, text
    assert re.search(r"- III\.\d", text), text  # the targets owed, by section
    assert reminders(kb, unit.id) == [("sent", "năm 2030")]
    # a third click later still within the window: nothing sent, the page says when it was done
    assert browser.request("POST", f"/dashboard/plans/{CANTHO}/remind", body, FORM, origin=browser.origin)[0] == 303
    page = text_of(browser.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")[2])
    assert re.search(r"đã nhắc lúc \d\d/\d\d/\d{4} \d\d:\d\d qua Telegram", page), page[-3000:]
    time.sleep(1)
    assert len(FAKES.telegram.sent_to(user)) == 1


def test_a_web_chat_reporter_cannot_be_pushed_and_the_page_says_whom_to_call(bot, kb):
    unit = late_school(kb, "socketio", f"web-{secrets.token_urlsafe(12)}")
    browser = sign_in(bot, kb)
    _, _, page = browser.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")
    body = urlencode({"csrf": csrf_of(page), "period": "năm 2030", "unit_id": str(unit.id)}).encode()
    assert browser.request("POST", f"/dashboard/plans/{CANTHO}/remind", body, FORM, origin=browser.origin)[0] == 303
    assert reminders(kb, unit.id) == [("not_pushable", "năm 2030")]
    page = text_of(browser.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")[2])
    assert "không nhắc tự động được qua trang trò chuyện web" in page and "0987654321" in page


def test_the_dashboard_listens_on_loopback_only(bot):
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
    addresses = [a for a in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", out) if not a.startswith("127.")]
    assert addresses, "no non-loopback IPv4 address on this machine to try from (`ip -4 addr` shows none)"
    for address in addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            assert s.connect_ex((address, bot.dashboard_port)) != 0, f"the dashboard answers on {address}"


def test_a_zalo_reporter_is_reminded_through_the_oa_api(bot, kb):
    user = str(10**17 + secrets.randbelow(10**17))
    unit = late_school(kb, "zalo", user)
    browser = sign_in(bot, kb)
    _, _, page = browser.request("GET", f"/dashboard/plans/{CANTHO}?period=2030")
    body = urlencode({"csrf": csrf_of(page), "period": "năm 2030", "unit_id": str(unit.id)}).encode()
    assert browser.request("POST", f"/dashboard/plans/{CANTHO}/remind", body, FORM, origin=browser.origin)[0] == 303
    texts = FAKES.zalo.wait_for(lambda: FAKES.zalo.texts(user), timeout=30)
    assert len(texts) == 1 and "năm 2030" in texts[0] and unit.name in texts[0], texts
    assert reminders(kb, unit.id) == [("sent", "năm 2030")]


def test_the_command_line_lists_late_units_without_sending_on_dry_run(bot, kb):
    import sys

    from bot.train import rasa_env

    user = str(10**9 + secrets.randbelow(10**9))
    unit = late_school(kb, "telegram", user)
    out = subprocess.run([sys.executable, "-m", "dashboard.reminders", "--period", "năm 2030", "--plan", CANTHO,
                          "--dry-run"], cwd=ROOT, env={**rasa_env(), **bot.env}, text=True, capture_output=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if unit.name in line)
    assert "Trần Văn Chậm (Telegram)" in line and "chỉ tiêu" in line, line
    assert reminders(kb, unit.id) == [] and FAKES.telegram.sent_to(user) == []
    bad = subprocess.run([sys.executable, "-m", "dashboard.reminders", "--period", "quý 9/2024"], cwd=ROOT,
                         env={**rasa_env(), **bot.env}, text=True, capture_output=True, timeout=300)
    assert bad.returncode == 2 and "Quý 9 không hợp lệ" in bad.stderr
