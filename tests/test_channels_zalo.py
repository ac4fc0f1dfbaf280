"""Zalo OA over real HTTP: signed events in Zalo's shapes posted to the running Rasa server's
``/webhooks/zalo/webhook``; the bot's replies and token refreshes land on a fake OA/OAuth API
on loopback (tests/fakes/zalo_api.py), which the tests read back.

The channel's environment (app id, OA secret, tokens, API and OAuth base = the fake, token
file) is given to the shared test servers when this module is imported.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import stat
import threading
import time

import pytest

from bot.testing import add_server_env
from tests.fakes import channel_fakes
from tests.fakes.readback import approve, post, reporter, stored, turn_over, user_events
from tests.fakes.zalo_api import FakeZaloApi, signed, text_event

FAKES = channel_fakes()
add_server_env(FAKES.env)


@pytest.fixture
def api():
    return FAKES.zalo


def new_user() -> str:
    return str(10**18 + secrets.randbelow(8 * 10**18))  # Zalo ids: 19-digit integers, kept as strings


class ZaloChat:
    """One Zalo user writing to the OA."""

    def __init__(self, bot, api, user_id: str | None = None):
        self.rasa_url = bot.rasa_url
        self.url = f"{bot.rasa_url}/webhooks/zalo/webhook"
        self.api = api
        self.user_id = user_id or new_user()
        self.replies: list[dict] = []

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        status, answer = post(self.url, body, headers, timeout=10)
        return status

    def send(self, event: dict) -> int:
        return self.post(*signed(event, FAKES.zalo_oa_secret))

    def say(self, text: str) -> str:
        """Send a text event; the replies of its turn."""
        before = len(self.api.messages(self.user_id))
        event = text_event(FAKES.zalo_app_id, self.user_id, text)
        assert self.send(event) == 200
        turn_over(self.rasa_url, self.user_id, event["message"]["msg_id"])
        self.replies = [m["body"]["message"] for m in self.api.messages(self.user_id)[before:]]
        assert self.replies, f"no reply to {text!r}"
        return "\n".join(r.get("text", "") for r in self.replies)

    @property
    def buttons(self) -> list[dict]:
        return [b for r in self.replies for b in (r.get("attachment") or {}).get("payload", {}).get("buttons", [])]

    def press(self, words: str) -> str:
        """Press a button: Zalo sends its ``oa.query.hide`` payload as the user's text."""
        for button in reversed(self.buttons):
            if words.lower() in button["title"].lower():
                assert button["type"] == "oa.query.hide", button
                return self.say(button["payload"])
        raise AssertionError(f"no button with {words!r} in {self.buttons}")


def test_forged_or_unsigned_events_get_403_and_change_nothing(bot, api):
    chat = ZaloChat(bot, api)
    event = text_event(FAKES.zalo_app_id, chat.user_id, "báo cáo tiến độ")
    body, headers = signed(event, FAKES.zalo_oa_secret)
    unsigned = {"Content-Type": "application/json"}
    forged = {**headers, "X-ZEvent-Signature": signed(event, "not-the-secret")[1]["X-ZEvent-Signature"]}
    tampered_body = body.replace("báo cáo".encode(), "xin chào".encode())
    other_app = signed({**event, "app_id": "1234567890123456789"}, FAKES.zalo_oa_secret)
    assert chat.post(body, unsigned) == 403
    assert chat.post(body, forged) == 403
    assert chat.post(tampered_body, headers) == 403
    assert chat.post(*other_app) == 403
    assert chat.post(b"not json", headers) == 403
    # a signed message from someone else is processed meanwhile: the forged ones were not
    other = ZaloChat(bot, api)
    assert "Xin chào" in other.say("xin chào")
    assert api.messages(chat.user_id) == []
    assert user_events(bot.rasa_url, chat.user_id) == []


def test_events_are_acknowledged_before_they_are_processed(bot, api):
    chat = ZaloChat(bot, api)
    api.hold = threading.Event()  # the OA API does not answer until released
    try:
        # answered at once although the reply cannot be sent yet (a wait would time out here)
        assert chat.send(text_event(FAKES.zalo_app_id, chat.user_id, "xin chào")) == 200
        assert api.messages(chat.user_id) == []
    finally:
        api.hold.set()
        api.hold = None
    api.wait_for(lambda: api.messages(chat.user_id))
    assert "Xin chào" in api.texts(chat.user_id)[0]


def test_a_retried_event_is_processed_once(bot, api):
    chat = ZaloChat(bot, api)
    event = text_event(FAKES.zalo_app_id, chat.user_id, "xin chào")
    assert chat.send(event) == 200
    assert chat.send(event) == 200  # Zalo retries with the same msg_id
    # one user's events are processed in order: a retry, had it been queued, would come first
    assert "Tôi có thể trả lời" in chat.say("/help")
    events = user_events(bot.rasa_url, chat.user_id)
    assert [(e["message_id"], e["input_channel"]) for e in events][:1] == [(event["message"]["msg_id"], "zalo")]
    assert [e["text"] for e in events] == ["xin chào", "/help"]
    assert sum("Xin chào" in t for t in api.texts(chat.user_id)) == 1


def test_replies_carry_buttons_and_non_text_gets_an_explanation(bot, api):
    chat = ZaloChat(bot, api)
    chat.say("xin chào")
    message = chat.replies[-1]
    assert message["attachment"]["type"] == "template"
    assert chat.buttons[0] == {"title": "Tôi có thể hỏi gì?", "type": "oa.query.hide", "payload": "/help"}
    assert "Tôi có thể trả lời" in chat.press("hỏi gì")
    before = len(api.messages(chat.user_id))
    assert chat.send(text_event(FAKES.zalo_app_id, chat.user_id, "", event_name="user_send_image")) == 200
    api.wait_for(lambda: len(api.messages(chat.user_id)) > before)
    assert "chỉ đọc được tin nhắn dạng chữ" in api.texts(chat.user_id)[-1]


def test_registration_and_a_full_report_over_zalo(bot, api, kb):
    chat = ZaloChat(bot, api)
    assert "họ và tên" in chat.say("dang ky bao cao")
    assert "đơn vị" in chat.say("Trần Văn Minh")
    reply = chat.say("truong thcs le quy don")
    assert len(chat.buttons) == 2, (reply, chat.buttons)
    assert "điện thoại" in chat.press("Cần Thơ")
    assert "chờ" in chat.say("0987654321")
    info = reporter(kb, "zalo", chat.user_id)
    assert info is not None and info.unit == "Trường THCS Lê Quý Đôn" and not info.approved
    approve(kb, info.id)

    chat.say("bao cao chi tieu hop truc tuyen")
    assert "kỳ nào" in chat.press("cuộc họp")
    assert "Kết quả đạt được" in chat.say("quý 2/2022")
    assert "ghi chú" in chat.say("64").lower()
    summary = chat.say("không")
    assert "Kiểm tra lại báo cáo" in summary and "64%" in summary, summary
    assert [b["title"] for b in chat.buttons] == ["Xác nhận", "Sửa", "Hủy"]
    assert "Đã lưu báo cáo" in chat.press("Xác nhận")
    assert stored(kb, "zalo", chat.user_id) == [(1, 64.0, "quý 2/2022")]


def test_an_expired_token_is_refreshed_and_the_new_refresh_token_stored(bot, api):
    file = FAKES.zalo_token_file
    spent = api.refresh_token
    refreshes = len(api.refreshes())
    api.expires_in = "1"  # a token about to expire: refreshed before the next send
    api.expire_access_token()
    chat = ZaloChat(bot, api)
    assert "Xin chào" in chat.say("xin chào")
    assert api.rejected() and api.rejected()[-1]["body"]["recipient"]["user_id"] == chat.user_id
    first = api.refreshes()[refreshes]
    assert first["form"] == {"app_id": FAKES.zalo_app_id, "grant_type": "refresh_token", "refresh_token": spent}
    assert first["headers"]["secret_key"] == FAKES.zalo_app_secret
    saved = json.loads(file.read_text())
    assert saved["refresh_token"] == api.refresh_token != spent
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert [p.name for p in file.parent.iterdir() if p.name.endswith(".tmp")] == []
    # expiring within the margin: refreshed before sending, with the refresh token stored last
    stored_refresh = saved["refresh_token"]
    rejected = len(api.rejected())
    api.expires_in = "90000"
    time.sleep(1.0)  # the one-second token is now past half its life
    assert "Xin chào" in chat.say("xin chào")
    second = api.refreshes()[refreshes + 1]
    assert second["form"]["refresh_token"] == stored_refresh
    assert len(api.rejected()) == rejected  # nothing was sent with the old token
    assert json.loads(file.read_text())["refresh_token"] == api.refresh_token
    assert api.messages(chat.user_id)[-1]["token"] == api.access_token


def test_long_answers_and_many_buttons_follow_zalo_limits(api, tmp_path):
    """The output channel alone against the fake OA API: 2000-character pieces, at most five
    buttons a message, titles cut to 100 characters."""
    from bot.channels.zalo import ZaloOutput, ZaloSettings

    settings = ZaloSettings(app_id=FAKES.zalo_app_id, oa_secret_key=FAKES.zalo_oa_secret,
                            access_token=api.access_token, refresh_token="", app_secret="",
                            api_base=api.url, oauth_base=api.url, token_file=tmp_path / "tokens.json")
    user = new_user()
    text = "\n\n".join(f"Mục {i}. " + ("Nâng cao chất lượng dạy học bằng công nghệ số. " * 12).strip()
                       for i in range(9))
    buttons = [{"title": f"{i}. " + "Trường Trung học cơ sở " * 6, "payload": f'/choose_unit{{"unit_id":"{i}"}}'}
               for i in range(1, 8)]

    async def run():
        out = ZaloOutput(settings)
        try:
            await out.send_text_with_buttons(user, text, buttons)
        finally:
            await out.close()

    asyncio.run(run())
    sent = [m["body"]["message"] for m in api.messages(user)]
    assert all(len(m["text"]) <= 2000 for m in sent)
    with_buttons = [m for m in sent if "attachment" in m]
    assert [len(m["attachment"]["payload"]["buttons"]) for m in with_buttons] == [5, 2]
    assert "\n\n".join(m["text"] for m in sent if m not in with_buttons[1:]) == text
    titles = [b["title"] for m in with_buttons for b in m["attachment"]["payload"]["buttons"]]
    assert all(len(t) <= 100 for t in titles) and titles[0].endswith("…")
    assert [b["payload"] for m in with_buttons for b in m["attachment"]["payload"]["buttons"]] == \
        [b["payload"] for b in buttons]


def test_two_processes_sharing_the_token_file_spend_the_refresh_token_once(tmp_path):
    """Two output channels (as two Rasa workers) meet an expired token at the same time: one
    refreshes, the other takes the new pair from the file instead of reusing the spent token.
    (A fake OA API of its own: the running server's tokens stay valid.)"""
    from bot.channels.zalo import ZaloOutput, ZaloSettings

    api = FakeZaloApi(app_id=FAKES.zalo_app_id, app_secret=FAKES.zalo_app_secret).start()
    stale = api.access_token
    api.expire_access_token()
    settings = ZaloSettings(app_id=FAKES.zalo_app_id, oa_secret_key=FAKES.zalo_oa_secret, access_token=stale,
                            refresh_token=api.refresh_token, app_secret=FAKES.zalo_app_secret,
                            api_base=api.url, oauth_base=api.url, token_file=tmp_path / "zalo" / "tokens.json")
    user = new_user()
    before = len(api.refreshes())

    async def run():
        first, second = ZaloOutput(settings), ZaloOutput(settings)
        try:
            return await asyncio.gather(first.send(user, {"text": "một"}), second.send(user, {"text": "hai"}))
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(run()) == [True, True]
    assert len(api.refreshes()) == before + 1
    assert sorted(api.texts(user)) == ["hai", "một"]
    assert {m["token"] for m in api.messages(user)} == {api.access_token}
    assert json.loads(settings.token_file.read_text())["refresh_token"] == api.refresh_token
    assert stat.S_IMODE(settings.token_file.stat().st_mode) == 0o600
