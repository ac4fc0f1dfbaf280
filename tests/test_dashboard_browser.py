"""The staff dashboard in a real browser: Debian's /usr/bin/chromium driven by Playwright,
headless, against the real servers (bot/testing.py).  A Sở staff member signs in on the
dashboard and reads a target's figure; a teacher files a report through the web chat (real Rasa,
real action server); the staff member reloads and sees the figure change.  Every request stays
on loopback (no CDN, no network)."""
from __future__ import annotations

import os
import uuid
from urllib.parse import quote, urlparse

import pytest

from bot.testing import shared_servers
from tests.fakes.readback import setup_units

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "mat-khau-trinh-duyet-2"
PLAN = "cantho-148-2017"
PERIOD = "năm 2031"  # no other test reports on it: the figure is this test's report alone


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium (.ci/run does it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def _meeting_figure(page) -> str:
    """The plan-level figure of Cần Thơ's "70% các cuộc họp … trực tuyến" target (mục III.2.a)."""
    section = page.locator("section.target", has_text="cuộc họp").first
    return section.locator(".figure").inner_text().strip()


def _ask(page, text: str) -> None:
    before = page.locator(".msg.bot").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}", timeout=60_000)
    page.wait_for_timeout(300)


def _click(page, title: str) -> None:
    before = page.locator(".msg.bot").count()
    page.locator(".msg.bot .buttons button", has_text=title).last.click()
    page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}", timeout=60_000)
    page.wait_for_timeout(300)


def _web_sender(page, servers) -> str:
    from bot import sessions

    os.environ.setdefault("WEB_SESSION_SECRET", servers.secrets["WEB_SESSION_SECRET"])
    (cookie,) = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE]
    return sessions.verify(cookie["value"]).sender_id


def test_staff_sees_a_figure_change_after_a_report_in_the_chat(browser):
    import reporting
    from knowledge.db import open_session
    from knowledge.queries import format_value
    from knowledge.staff import add_staff

    servers = shared_servers()
    kb = servers.env["KB_URL"]
    setup_units(kb)
    username = f"cb.{uuid.uuid4().hex[:8]}"
    with open_session(kb) as s:
        add_staff(username, "Phạm Thị Theo Dõi", "Sở GD&ĐT Cần Thơ", PASSWORD, session=s)

    hosts: set[str] = set()
    staff = browser.new_context().new_page()
    staff.on("request", lambda req: hosts.add(urlparse(req.url).hostname or ""))
    plan_url = f"{servers.dashboard_url}plans/{PLAN}?period={quote(PERIOD)}"
    staff.goto(plan_url)
    staff.wait_for_selector("#login-submit")  # not signed in: the sign-in page
    staff.fill("#username", username)
    staff.fill("#password", PASSWORD)
    staff.click("#login-submit")
    staff.wait_for_selector("#plan-name", timeout=30_000)
    assert "Phạm Thị Theo Dõi" in staff.inner_text("#who")
    assert staff.get_attribute("#period-label", "data-period") == PERIOD
    before = _meeting_figure(staff)

    # a teacher of a new Cần Thơ school reports 85% through the web chat
    teacher = browser.new_context().new_page()
    teacher.on("request", lambda req: hosts.add(urlparse(req.url).hostname or ""))
    teacher.goto(servers.web_url)
    teacher.wait_for_selector("body[data-session=ready]", timeout=30_000)
    sender = _web_sender(teacher, servers)
    with open_session(kb) as s:
        unit = reporting.add_unit(f"Trường THCS Trình Duyệt {uuid.uuid4().hex[:6]}", "trường", "thành phố Cần Thơ",
                                  session=s)
        info = reporting.register_reporter("socketio", sender, "Võ Thị Giáo Viên", f"{unit.name} {unit.area}",
                                           "0911222333", session=s)
        reporting.approve_reporter(info.id, session=s)
    _ask(teacher, "báo cáo kết quả chỉ tiêu họp trực tuyến")
    _click(teacher, "cuộc họp")
    assert "kỳ nào" in teacher.locator(".msg.bot").last.inner_text()
    _ask(teacher, PERIOD)
    _ask(teacher, "85")
    _ask(teacher, "không")
    assert "Kiểm tra lại báo cáo" in "\n".join(teacher.locator(".msg.bot").all_inner_texts()[-3:])
    _click(teacher, "Xác nhận")
    assert "Đã lưu báo cáo" in "\n".join(teacher.locator(".msg.bot").all_inner_texts()[-3:])

    staff.reload()
    staff.wait_for_selector("#plan-name")
    after = _meeting_figure(staff)
    assert before != after, (before, after)
    # the plan's figure is the mean over every Cần Thơ school it covers (reporting.rule): the page
    # shows what the data layer computes from this one report of 85%
    with open_session(kb) as s:
        meeting = next(p for p in reporting.plan_progress(PLAN, PERIOD, session=s) if "cuộc họp" in p.target.text)
    assert meeting.reported == 1 and meeting.aggregate == 85 / meeting.covered
    assert after == format_value(round(meeting.aggregate, 1), "%"), after
    row = staff.locator("section.target", has_text="cuộc họp").first.locator(f'tr[data-unit="{unit.name}"]')
    assert "85%" in row.inner_text() and row.get_attribute("class") == "dat"  # 85% ≥ 70%: đạt
    assert hosts and hosts <= {"127.0.0.1", "localhost"}, hosts
