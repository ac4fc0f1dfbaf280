"""Telegram over real HTTP: updates in the Bot API's shapes posted to the running Rasa server's
``/webhooks/telegram/webhook``; the bot's calls land on a fake Bot API on loopback
(tests/fakes/telegram_api.py), which the tests read back.

The channel's environment (token, webhook secret, API base = the fake) is given to the shared
test servers when this module is imported (bot.testing.add_server_env), before any test
starts them.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bot.testing import add_server_env
from tests.fakes import channel_fakes
from tests.fakes.readback import approve, post, reporter, stored, user_events
from tests.fakes.telegram_api import callback_update, text_update

ROOT = Path(__file__).resolve().parent.parent
FAKES = channel_fakes()
add_server_env(FAKES.env)


@pytest.fixture
def api():
    return FAKES.telegram


def new_user() -> int:
    return 10**9 + secrets.randbelow(9 * 10**9)


class TelegramChat:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, bot, api, user_id: int | None = None):
        self.url = f"{bot.rasa_url}/webhooks/telegram/webhook"
        self.api = api
        self.user_id = user_id or new_user()
        self.replies: list[dict] = []

    def post(self, update: dict, secret: str | None = FAKES.telegram_secret) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        status, _ = post(self.url, json.dumps(update, ensure_ascii=False).encode(), headers)
        return status

    def _exchange(self, update: dict) -> str:
        before = len(self.api.sent_to(self.user_id))
        assert self.post(update) == 200
        self.replies = self.api.sent_to(self.user_id)[before:]
        assert self.replies, f"no reply to {update}"
        return "\n".join(r["text"] for r in self.replies)

    def say(self, text: str) -> str:
        return self._exchange(text_update(self.user_id, text))

    @property
    def buttons(self) -> list[dict]:
        return [b for r in self.replies for row in (r.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row]

    def press(self, words: str) -> str:
        """Press the last inline button whose text contains ``words``; the callback must be answered."""
        for message in reversed(self.replies):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if words.lower() in button["text"].lower():
                        update = callback_update(self.user_id, message, button["callback_data"], self.api.bot_user)
                        reply = self._exchange(update)
                        answered = [c["params"] for c in self.api.calls("answerCallbackQuery")]
                        assert {"callback_query_id": update["callback_query"]["id"]} in answered, answered
                        return reply
        raise AssertionError(f"no button with {words!r} in {self.buttons}")


def test_an_update_without_the_secret_is_refused_and_reaches_nothing(bot, api):
    chat = TelegramChat(bot, api)
    for secret in (None, "", "sai-" + FAKES.telegram_secret, FAKES.telegram_secret[:-1]):
        assert chat.post(text_update(chat.user_id, "báo cáo tiến độ"), secret=secret) == 403
    callback = callback_update(chat.user_id, {"text": "x"}, "/confirm", api.bot_user)
    assert chat.post(callback, secret=None) == 403
    assert api.sent_to(chat.user_id) == []
    assert not [c for c in api.calls("answerCallbackQuery")
                if c["params"]["callback_query_id"] == callback["callback_query"]["id"]]
    assert user_events(bot.rasa_url, str(chat.user_id)) == []


def test_greeting_has_an_inline_keyboard_whose_buttons_work(bot, api):
    chat = TelegramChat(bot, api)
    reply = chat.say("/start")  # what Telegram sends when a user opens the bot
    assert "Xin chào" in reply, reply
    keyboard = chat.replies[-1]["reply_markup"]["inline_keyboard"]
    assert [len(row) for row in keyboard] == [1, 1], keyboard  # one button per row
    assert keyboard[0][0] == {"text": "Tôi có thể hỏi gì?", "callback_data": "/help"}
    reply = chat.press("hỏi gì")
    assert "Tôi có thể trả lời" in reply, reply
    events = user_events(bot.rasa_url, str(chat.user_id))
    assert [e["text"] for e in events] == ["/greet", "/help"]
    assert {e["input_channel"] for e in events} == {"telegram"}


def test_sender_is_the_telegram_user_and_a_resent_update_is_answered_once(bot, api):
    chat = TelegramChat(bot, api)
    update = text_update(chat.user_id, "xin chào")
    assert chat.post(update) == 200
    assert chat.post(update) == 200  # Telegram resends when it saw no answer in time
    assert len(api.sent_to(chat.user_id)) == 1
    events = user_events(bot.rasa_url, str(chat.user_id))
    assert len(events) == 1 and events[0]["input_channel"] == "telegram"
    assert events[0]["message_id"] == f"telegram-{update['update_id']}"


def test_group_chats_and_non_text_messages(bot, api):
    chat = TelegramChat(bot, api)
    group_id = -(10**12 + secrets.randbelow(10**9))
    assert chat.post(text_update(chat.user_id, "báo cáo tiến độ", chat_type="supergroup", chat_id=group_id)) == 200
    assert api.sent_to(group_id) == [] and api.sent_to(chat.user_id) == []
    sticker = text_update(chat.user_id, "")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "CAACAgIAAxkBAAIB", "file_unique_id": "AgADBAAD", "width": 512,
                                     "height": 512, "is_animated": False, "is_video": False, "type": "regular"}
    reply = chat._exchange(sticker)
    assert "chỉ đọc được tin nhắn dạng chữ" in reply, reply
    assert user_events(bot.rasa_url, str(chat.user_id)) == []


def test_no_get_me_per_message_and_no_set_webhook_at_start_or_by_url(bot, api):
    TelegramChat(bot, api).say("xin chào")
    # Rasa's connector serves an unauthenticated /set_webhook; this one does not
    assert post(f"{bot.rasa_url}/webhooks/telegram/set_webhook", b"", {})[0] == 404
    assert api.calls("getMe") == [] and api.calls("setWebhook") == []


def test_registration_and_a_full_report_over_telegram(bot, api, kb):
    chat = TelegramChat(bot, api)
    user = str(chat.user_id)
    assert "chưa đăng ký" in chat.say("báo cáo tiến độ")
    assert "họ và tên" in chat.say("đăng ký báo cáo")
    assert "đơn vị" in chat.say("Nguyễn Thị Lan")
    reply = chat.say("truong thcs le quy don")  # one in Cần Thơ, one in Đắk Lắk: two buttons
    assert len(chat.buttons) == 2, (reply, chat.buttons)
    assert "điện thoại" in chat.press("Cần Thơ")
    assert "chờ" in chat.say("0912 345 678")
    info = reporter(kb, "telegram", user)
    assert info is not None and not info.approved and info.phone == "0912345678"
    assert info.unit == "Trường THCS Lê Quý Đôn" and "Cần Thơ" in info.area
    approve(kb, info.id)

    reply = chat.say("báo cáo kết quả chỉ tiêu họp trực tuyến")
    assert "kỳ nào" in chat.press("cuộc họp"), reply
    assert "Kết quả đạt được" in chat.say("năm 2022")
    assert "ghi chú" in chat.say("85,5").lower()
    summary = chat.say("không")
    assert "Kiểm tra lại báo cáo" in summary and "85,5%" in summary, summary
    assert [b["text"] for b in chat.buttons] == ["Xác nhận", "Sửa", "Hủy"]
    assert "Đã lưu báo cáo" in chat.press("Xác nhận")
    assert stored(kb, "telegram", user) == [(1, 85.5, "năm 2022")]
    # the same identity on another channel is another person
    assert stored(kb, "rest", user) == [] and reporter(kb, "rest", user) is None


def test_set_webhook_command_passes_the_secret(api):
    env = {**os.environ, **FAKES.env, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bot.channels.telegram", "set-webhook", "--drop-pending"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    call = api.calls("setWebhook")[-1]["params"]
    assert call["url"] == FAKES.env["TELEGRAM_WEBHOOK_URL"]
    assert call["secret_token"] == FAKES.telegram_secret
    assert call["allowed_updates"] == ["message", "callback_query"] and call["drop_pending_updates"] == "true"
    bad = subprocess.run([sys.executable, "-m", "bot.channels.telegram", "set-webhook"], cwd=ROOT,
                         env={**env, "TELEGRAM_WEBHOOK_SECRET": "có dấu cách"}, capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in bad.stderr


def test_long_answers_are_cut_between_paragraphs_and_long_payloads_fit_in_64_bytes():
    from bot.channels.messages import split_text
    from bot.channels.telegram import callback_data

    text = "\n\n".join(f"Đoạn {i}: " + ("chuyển đổi số " * 40).strip() for i in range(20))
    parts = split_text(text, 4000)
    assert len(parts) > 1 and all(len(p) <= 4000 for p in parts)
    assert "\n\n".join(parts) == text  # nothing lost, cut only between paragraphs
    words = split_text("a" * 9000, 4000)
    assert [len(w) for w in words] == [4000, 4000, 1000]
    long_payload = '/followup{"question_kind":"responsibility","year":"2025","plan_id":"lamdong-3381-2017"}'
    assert len(callback_data(long_payload).encode()) <= 64 and callback_data("/help") == "/help"


def test_without_settings_both_channels_are_off_with_one_log_line(monkeypatch, caplog, tmp_path):
    """What `make run` gets without TELEGRAM_* / ZALO_* (the servers' behaviour when enabled is
    what the other tests check)."""
    from bot.channels.telegram import TelegramInput
    from bot.channels.zalo import ZaloInput

    for name in FAKES.env:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZALO_TOKEN_FILE", str(tmp_path / "none.json"))
    with caplog.at_level("INFO"):
        telegram, zalo = TelegramInput.from_credentials(None), ZaloInput.from_credentials(None)
    assert telegram.get_output_channel() is None and zalo.get_output_channel() is None
    assert [r.getMessage() for r in caplog.records] == [
        "Kênh Telegram tắt: chưa đặt TELEGRAM_TOKEN.",
        "Kênh Zalo tắt: chưa đặt ZALO_APP_ID, ZALO_OA_SECRET_KEY, ZALO_ACCESS_TOKEN."]
    assert telegram.name() == "telegram" and zalo.name() == "zalo"


def test_a_payload_longer_than_64_bytes_round_trips_through_a_button(api):
    """Sent to the fake Bot API by the output channel, pressed, read back by the input channel;
    after a restart (a new channel that never saw the payload) the button's title is used."""
    import asyncio

    from bot.channels.telegram import TelegramInput, TelegramSettings

    settings = TelegramSettings(token=FAKES.telegram_token, webhook_secret=FAKES.telegram_secret,
                                api_base=api.url)
    channel = TelegramInput(settings)
    user = new_user()
    payload = '/followup{"question_kind":"responsibility","year":"2025","plan_id":"lamdong-3381-2017"}'

    async def send():
        out = channel.get_output_channel()
        try:
            await out.send_text_with_buttons(str(user), "Bạn muốn xem gì tiếp?",
                                             [{"title": "Trách nhiệm thực hiện", "payload": payload}])
        finally:
            await out.session.close()

    asyncio.run(send())
    sent = api.sent_to(user)[-1]
    data = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64 and data != payload
    assert channel.read_update(callback_update(user, sent, data, api.bot_user)).text == payload
    restarted = TelegramInput(settings)
    assert restarted.read_update(callback_update(user, sent, data, api.bot_user)).text == "Trách nhiệm thực hiện"
