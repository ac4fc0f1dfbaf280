"""Progress reporting end to end: the real action server and Rasa server (REST channel), the
shared test knowledge base (sample plans, bot/testing.py) plus reporting units and approved
reporters created through :mod:`reporting`, exactly as an administrator would.

Each test talks as its own chat user (REST sender id = the reporter's channel_user), then
checks the reports table itself: what the bot says it saved must be what is stored.
"""
from __future__ import annotations

import re
import uuid

import pytest

import reporting
from bot.servers import ask

AREA = "thành phố Cần Thơ"


# ---------------------------------------------------------------------------- the data, through the API


def _session(kb: str):
    from knowledge.db import open_session

    return open_session(kb)


def approved_reporter(kb: str, sender: str, kind: str = "school"):
    """A unit of its own (so tests never share a report) and its approved reporter."""
    with _session(kb) as s:
        if kind == "school":
            unit = reporting.add_unit(f"Trường THCS Thử Nghiệm {sender[-8:]}", "trường", AREA, session=s)
        else:
            unit = reporting.add_unit(f"Phòng Giáo dục và Đào tạo Thử {sender[-8:]}", "phòng", AREA, session=s)
        info = reporting.register_reporter("rest", sender, "Nguyễn Văn Thử", f"{unit.name} {unit.area}",
                                           "0912345678", session=s)
        return reporting.approve_reporter(info.id, session=s)


def reporter_of(kb: str, sender: str):
    with _session(kb) as s:
        return reporting.get_reporter("rest", sender, session=s)


def stored(kb: str, sender: str) -> list[tuple[int, float, str]]:
    """(revision, value, period) of every revision saved by this chat user's unit."""
    from sqlalchemy import select

    from reporting.models import Report, Reporter, ReportRevision

    with _session(kb) as s:
        unit_ids = select(Reporter.unit_id).where(Reporter.channel == "rest", Reporter.channel_user == sender)
        rows = s.execute(select(ReportRevision.revision, ReportRevision.value, Report.period_label)
                         .join(Report, Report.id == ReportRevision.report_id)
                         .where(Report.unit_id.in_(unit_ids))
                         .order_by(Report.period_label, ReportRevision.revision)).all()
        return [(r.revision, r.value, r.period_label) for r in rows]


def foreign_target_id(kb: str) -> int:
    """A target of the Lâm Đồng plan, which does not cover Cần Thơ's units."""
    from sqlalchemy import select

    from knowledge import models

    with _session(kb) as s:
        return s.execute(select(models.Target.id).join(models.Document)
                         .where(models.Document.plan == "lamdong-3381-2017", models.Document.is_current.is_(True))
                         ).scalars().first()


class Chat:
    """One chat user over REST: ``say`` returns the joined texts, ``buttons`` the last ones."""

    def __init__(self, bot, sender: str | None = None):
        self.bot = bot
        self.sender = sender or f"rep-{uuid.uuid4().hex[:12]}"
        self.buttons: list[dict] = []

    def say(self, text: str) -> str:
        replies = ask(self.bot.rasa_url, text, self.sender)
        self.buttons = [b for r in replies for b in r.get("buttons") or []]
        return "\n".join(r.get("text", "") for r in replies if r.get("text"))


def approved_chat(bot, kb, unit: str = "school") -> Chat:
    chat = Chat(bot)
    approved_reporter(kb, chat.sender, unit)
    return chat


def pick_target(chat: Chat, reply: str, words: str = "cuộc họp") -> str:
    """The offered target button whose title has ``words`` (Cần Thơ's "70% các cuộc họp …
    trực tuyến", mục III.2.a)."""
    wanted = [b for b in chat.buttons if words.lower() in b["title"].lower()]
    assert wanted, (reply, chat.buttons)
    return wanted[0]["payload"]


def report(chat: Chat, value: str, period: str = "năm 2024", opening: str = "báo cáo kết quả chỉ tiêu họp trực tuyến",
           comment: str = "không") -> str:
    """A whole report conversation up to the summary; returns the summary."""
    reply = chat.say(opening)
    reply = chat.say(pick_target(chat, reply))
    assert "kỳ nào" in reply, reply
    reply = chat.say(period)
    assert "Kết quả đạt được" in reply, reply
    reply = chat.say(value)
    assert "ghi chú" in reply.lower(), reply
    summary = chat.say(comment)
    assert "Kiểm tra lại báo cáo" in summary, summary
    assert [b["title"] for b in chat.buttons] == ["Xác nhận", "Sửa", "Hủy"], chat.buttons
    return summary


def test_unregistered_user_is_refused_with_how_to_register(bot, kb):
    chat = Chat(bot)
    reply = chat.say("báo cáo tiến độ")
    assert "chưa đăng ký" in reply and "đăng ký báo cáo" in reply, reply
    assert not stored(kb, chat.sender)


def test_registration_waits_for_approval_and_then_reporting_is_refused(bot, kb):
    chat = Chat(bot)
    assert "họ và tên" in chat.say("dang ky bao cao")
    assert "họ và tên" in chat.say("123"), "a name of digits is asked again"
    assert "đơn vị" in chat.say("Nguyễn Thị Lan")
    reply = chat.say("truong thcs le quy don")  # one in Cần Thơ, one in Đắk Lắk: buttons
    assert len(chat.buttons) == 2 and "Cần Thơ" in reply + str(chat.buttons), reply
    reply = chat.say(next(b["payload"] for b in chat.buttons if "Cần Thơ" in b["title"]))
    assert "điện thoại" in reply, reply
    reply = chat.say("12345")
    assert "không hợp lệ" in reply, reply
    reply = chat.say("0912 345 678")
    assert "chờ" in reply and "duyệt" in reply, reply
    info = reporter_of(kb, chat.sender)
    assert info is not None and not info.approved and info.phone == "0912345678"
    assert info.unit == "Trường THCS Lê Quý Đôn" and "Cần Thơ" in info.area
    reply = chat.say("báo cáo tiến độ")
    assert "chờ" in reply and "duyệt" in reply, reply


def test_a_full_report_is_saved_with_its_value(bot, kb):
    chat = approved_chat(bot, kb)
    summary = report(chat, "85,5")
    assert "85,5%" in summary and "năm 2024" in summary, summary
    reply = chat.say("/confirm")
    assert "Đã lưu báo cáo" in reply, reply
    assert stored(kb, chat.sender) == [(1, 85.5, "năm 2024")]


def test_a_correction_is_a_second_revision(bot, kb):
    chat = approved_chat(bot, kb)
    report(chat, "60")
    assert "Đã lưu báo cáo" in chat.say("xác nhận")
    report(chat, "72", period="nam 2024", opening="bao cao tien do hop truc tuyen")
    reply = chat.say("/confirm")
    assert "lần sửa thứ 2" in reply, reply
    assert stored(kb, chat.sender) == [(1, 60.0, "năm 2024"), (2, 72.0, "năm 2024")]


def test_edit_before_confirming_saves_only_the_edited_value(bot, kb):
    chat = approved_chat(bot, kb)
    report(chat, "40")
    reply = chat.say("/edit")
    assert "kỳ nào" in reply, reply
    chat.say("quý 2/2024")
    chat.say("45")
    summary = chat.say("không")
    assert "45%" in summary and "quý 2/2024" in summary, summary
    assert "Đã lưu" in chat.say("/confirm")
    assert stored(kb, chat.sender) == [(1, 45.0, "quý 2/2024")]


@pytest.mark.parametrize("cancel_at", ["target", "value", "summary"])
def test_cancel_saves_nothing(bot, kb, cancel_at):
    chat = approved_chat(bot, kb)
    reply = chat.say("báo cáo tiến độ họp trực tuyến")
    if cancel_at != "target":
        chat.say(pick_target(chat, reply))
        chat.say("năm 2024")
    if cancel_at == "summary":
        chat.say("90")
        chat.say("không")
        reply = chat.say("/cancel")
    else:
        reply = chat.say("hủy báo cáo" if cancel_at == "target" else "thôi")
    assert "Đã hủy" in reply, reply
    assert "chưa đăng ký" not in reply
    # the conversation is over: a confirmation now saves nothing
    assert "Không có báo cáo nào" in chat.say("/confirm")
    assert not stored(kb, chat.sender)


@pytest.mark.parametrize("slot,text,explanation", [
    ("value", "150", "từ 0 đến 100"),
    ("value", "-5", "từ 0 đến 100"),
    ("value", "khoảng tám mươi mấy", "Không hiểu số"),
    ("value", "abc", "Không hiểu số"),
    ("period", "quý 5/2024", "Quý 5 không hợp lệ"),
    ("period", "năm học 2024-2026", "không hợp lệ"),
    ("period", "hôm qua", "Không hiểu kỳ báo cáo"),
    ("period", "24", "4 chữ số"),
])
def test_an_invalid_answer_is_explained_and_asked_again(bot, kb, slot, text, explanation):
    chat = approved_chat(bot, kb)
    chat.say(pick_target(chat, chat.say("báo cáo tiến độ họp trực tuyến")))
    if slot == "value":
        chat.say("năm 2024")
    reply = chat.say(text)
    assert explanation in reply, reply
    assert ("Kết quả đạt được" if slot == "value" else "kỳ nào") in reply, reply
    # … and the conversation goes on normally afterwards
    if slot == "period":
        assert "Kết quả đạt được" in chat.say("năm 2024")
    assert "ghi chú" in chat.say("77").lower()
    chat.say("không")
    assert "Đã lưu" in chat.say("/confirm")
    assert stored(kb, chat.sender) == [(1, 77.0, "năm 2024")]


def test_a_target_of_another_area_is_refused(bot, kb):
    chat = approved_chat(bot, kb)
    chat.say("báo cáo tiến độ")
    reply = chat.say('/choose_target{"target_id":"%s"}' % foreign_target_id(kb))
    assert "chỉ được báo cáo cho đơn vị của mình" in reply, reply
    if "kỳ nào" in reply:  # the choice was taken: the save must refuse it
        chat.say("năm 2024")
        chat.say("50")
        chat.say("không")
        reply = chat.say("/confirm")
        assert "Chưa lưu được báo cáo" in reply, reply
    assert not stored(kb, chat.sender)


def test_a_confirmation_delivered_twice_saves_once(bot, kb):
    chat = approved_chat(bot, kb)
    report(chat, "66")
    first = chat.say("/confirm")
    second = chat.say("/confirm")  # the same REST message, retried
    assert "Đã lưu báo cáo" in first, first
    assert "đã được lưu trước đó" in second, second
    assert stored(kb, chat.sender) == [(1, 66.0, "năm 2024")]


def test_over_rest_progress_is_plan_level_only(bot, kb):
    """Per-unit figures and names are for signed-in web staff (tests/test_web_security.py); an
    approved reporter, even of a Phòng, gets the aggregate and the citation over REST."""
    chat = approved_chat(bot, kb)
    report(chat, "81", period="quý 3/2025")
    chat.say("/confirm")
    office = approved_chat(bot, kb, "office")
    reply = office.say("tiến độ chỉ tiêu họp trực tuyến của Cần Thơ quý 3/2025?")
    assert "81%" in reply and "mục" in reply, reply
    # the figure is over every school of the plan, with the coverage and the rule stated
    assert re.search(r"\d+/\d+ trường đã báo cáo", reply) and "cần ít nhất 80% trường báo cáo" in reply, reply
    assert "chưa đủ báo cáo để đánh giá" in reply, reply  # one school of several
    assert "Trường THCS Thử Nghiệm" not in reply and "Nguyễn Văn Thử" not in reply, reply


def test_over_rest_missing_units_and_exports_are_refused(bot, kb):
    office = approved_chat(bot, kb, "office")
    reply = office.say("trường nào ở Cần Thơ chưa báo cáo năm 2023?")
    assert "chỉ dành cho" in reply and "Trường THCS" not in reply, reply
    reply = office.say("xuất báo cáo kế hoạch 148 năm 2024 dạng excel")
    assert "chỉ dành cho" in reply and "/exports/" not in reply, reply


def test_payloads_parse_like_the_buttons_send_them():
    from actions.report_forms import normalise_phone, payload

    assert payload('/choose_target{"target_id":"12"}') == ("choose_target", {"target_id": "12"})
    assert payload("/confirm") == ("confirm", {})
    assert payload("họp trực tuyến") is None
    assert normalise_phone("+84 912.345.678") == "0912345678"
    assert normalise_phone("12345") is None
