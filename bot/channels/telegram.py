"""Telegram: a project subclass of Rasa 3.6's ``TelegramInput`` (webhook ``/webhooks/telegram/webhook``).

What Rasa 3.6.21's connector does that this one does not (rasa/core/channels/telegram.py):

* it checks no ``X-Telegram-Bot-Api-Secret-Token``, so anyone who knows the URL can post
  updates as any user — here an update without the right secret gets 403 and reaches nothing;
* it calls ``get_me()`` on the Bot API for every update (to compare a username) — not here;
* it calls ``set_webhook`` whenever the output channel is built (start-up, and every
  proactive message), so Telegram must be reachable then, and it exposes an unauthenticated
  ``/set_webhook`` route — here the webhook is set once by ``python -m bot.channels.telegram
  set-webhook``, which passes the secret;
* its sender id is ``chat.id`` (an int) and callback queries are never answered (the
  button keeps spinning) — here the sender is ``from.id`` as a string and callbacks are
  answered;
* every answer is split at each blank line into separate messages and buttons sit in one
  row — here an answer is one message (cut only past Telegram's 4096-character limit) and
  each button has its row.

Only private chats are served: in a group, a report conversation (names, phone numbers) would
be read by everyone. Settings come from the environment only: ``TELEGRAM_TOKEN``,
``TELEGRAM_WEBHOOK_SECRET``, ``TELEGRAM_WEBHOOK_URL``, ``TELEGRAM_API_BASE``.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update
from aiogram.utils.exceptions import RetryAfter, TelegramAPIError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.messages import MAX_BODY_BYTES, TEXT_ONLY, RecentIds, same_secret, split_text

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
PUBLIC_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
TEXT_LIMIT = 4000  # Bot API: 4096 UTF-16 units per message; a margin for astral characters
CALLBACK_DATA_LIMIT = 64  # Bot API: callback_data is 1–64 bytes
LONG_PAYLOADS = 5_000  # payloads too long for callback_data, remembered by their hash
UPDATES = ["message", "callback_query"]  # what the bot subscribes to (set-webhook)


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    webhook_secret: str = ""
    webhook_url: str = ""
    api_base: str = PUBLIC_API

    @classmethod
    def from_env(cls) -> "TelegramSettings":
        return cls(token=os.environ.get("TELEGRAM_TOKEN", "").strip(),
                   webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
                   webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL", "").strip(),
                   api_base=(os.environ.get("TELEGRAM_API_BASE", "").strip() or PUBLIC_API).rstrip("/"))

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @property
    def secret_valid(self) -> bool:
        return bool(SECRET_PATTERN.fullmatch(self.webhook_secret))


def callback_data(payload: str) -> str:
    """What a button carries: its payload when it fits Telegram's 64 bytes, else ``h:`` and a
    hash of it (the output channel remembers which payload that was)."""
    if 0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
        return payload
    return "h:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


class TelegramOutput(RasaTelegramOutput):
    """Rasa's Telegram output pointed at ``api_base`` (aiogram's ``TelegramAPIServer``)."""

    def __init__(self, token: str, api_base: str = PUBLIC_API) -> None:
        Bot.__init__(self, token, server=TelegramAPIServer.from_base(api_base))
        self._long_payloads: OrderedDict[str, str] = OrderedDict()

    def payload_of(self, data: str) -> Optional[str]:
        """The payload behind a button's callback data, None for an unknown hash."""
        if not data.startswith("h:"):
            return data
        return self._long_payloads.get(data)

    async def safely(self, method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """One Bot API call, waiting once when Telegram asks to slow down; a refused call
        (user blocked the bot, chat gone) is logged, not raised into Rasa's reply loop."""
        try:
            try:
                return await method(*args, **kwargs)
            except RetryAfter as exc:
                await asyncio.sleep(min(float(exc.timeout), 30.0))
                return await method(*args, **kwargs)
        except TelegramAPIError as exc:
            logger.warning("Telegram từ chối %s: %s", getattr(method, "__name__", method), exc)
            return None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, TEXT_LIMIT):
            await self.safely(self.send_message, recipient_id, part)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     button_type: Optional[str] = None, **kwargs: Any) -> None:
        """An inline keyboard, one button per row (titles are long Vietnamese phrases)."""
        parts = split_text(text, TEXT_LIMIT) or ["…"]
        for part in parts[:-1]:
            await self.safely(self.send_message, recipient_id, part)
        markup = InlineKeyboardMarkup()
        for button in buttons:
            title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
            if not title or not payload:
                continue
            data = callback_data(payload)
            if data != payload:
                self._long_payloads[data] = payload
                self._long_payloads.move_to_end(data)
                while len(self._long_payloads) > LONG_PAYLOADS:
                    self._long_payloads.popitem(last=False)
            markup.row(InlineKeyboardButton(title, callback_data=data))
        await self.safely(self.send_message, recipient_id, parts[-1], reply_markup=markup)


@dataclass
class Incoming:
    """What one update asks of the bot."""

    sender_id: str
    text: Optional[str]  # None: not text (photo, sticker …)
    callback_query_id: Optional[str] = None


class TelegramInput(RasaTelegramInput):
    """Named ``telegram`` like Rasa's, so its webhook is ``/webhooks/telegram/webhook``."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "TelegramInput":
        """Settings come from the environment; credentials.yml only names the class."""
        return cls(TelegramSettings.from_env())

    def __init__(self, settings: TelegramSettings) -> None:
        super().__init__(settings.token or None, verify=None, webhook_url=settings.webhook_url or None,
                         debug_mode=False)
        self.settings = settings
        self.seen_updates = RecentIds()
        self._output: Optional[TelegramOutput] = None
        if not settings.enabled:
            logger.info("Kênh Telegram tắt: chưa đặt TELEGRAM_TOKEN.")
        elif not settings.secret_valid:
            logger.error("Kênh Telegram từ chối mọi cập nhật: TELEGRAM_WEBHOOK_SECRET chưa đặt hoặc không hợp lệ "
                         "(1–256 ký tự A-Z a-z 0-9 _ -).")

    def get_output_channel(self) -> Optional[TelegramOutput]:
        """One output channel per process (no ``set_webhook`` here, unlike Rasa's)."""
        if not self.settings.enabled:
            return None
        if self._output is None:
            self._output = TelegramOutput(self.settings.token, self.settings.api_base)
        return self._output

    def read_update(self, data: dict[str, Any]) -> Optional[Incoming]:
        """The sender and text of a private-chat message or button press; None for anything
        the bot does not answer (groups, edits, channel posts, member updates …)."""
        update = Update(**data)
        query = update.callback_query
        if query is not None:
            message = query.message
            if query.from_user is None or message is None or message.chat.type != "private":
                return None
            text = self.get_output_channel().payload_of(query.data or "")
            if text is None:  # a long payload from before a restart: the pressed button's title
                text = _button_title(message, query.data or "")
            return Incoming(str(query.from_user.id), text, callback_query_id=str(query.id))
        message = update.message
        if message is None or message.from_user is None or message.chat.type != "private":
            return None
        text = message.text
        if text is not None and re.fullmatch(r"/start(?:\s.*)?", text.strip(), re.S):
            text = "/greet"  # Telegram sends /start when a user opens the bot
        return Incoming(str(message.from_user.id), text)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.enabled else "disabled"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.settings.enabled:
                return response.json({"error": "Kênh Telegram chưa được cấu hình."}, status=404)
            if not self.settings.secret_valid or not same_secret(request.headers.get(SECRET_HEADER),
                                                                 self.settings.webhook_secret):
                return response.json({"error": "forbidden"}, status=403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "too large"}, status=413)
            try:
                data = json.loads(request.body)
                update_id = str(data["update_id"])
                incoming = self.read_update(data)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                logger.warning("Cập nhật Telegram không đọc được: %s", exc)
                return response.json({"error": "bad update"}, status=400)
            if incoming is None or not self.seen_updates.first_time(update_id):
                return response.text("success")
            output = self.get_output_channel()
            if incoming.callback_query_id:
                await output.safely(output.answer_callback_query, incoming.callback_query_id)
            if incoming.text is None:
                await output.send_text_message(incoming.sender_id, TEXT_ONLY)
                return response.text("success")
            try:
                await on_new_message(UserMessage(incoming.text, output, incoming.sender_id,
                                                 input_channel=CHANNEL, message_id=f"telegram-{update_id}"))
            except Exception:  # answered 200 anyway: Telegram would resend the update forever
                logger.exception("Lỗi khi xử lý cập nhật Telegram %s", update_id)
            return response.text("success")

        return telegram_webhook


def _button_title(message: Any, data: str) -> str:
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or []:
        for button in row:
            if getattr(button, "callback_data", None) == data:
                return str(button.text)
    return data


# ---------------------------------------------------------------------------- CLI


async def _webhook_command(command: str, settings: TelegramSettings, drop_pending: bool) -> dict[str, Any]:
    bot = TelegramOutput(settings.token, settings.api_base)
    try:
        if command == "set-webhook":
            # aiogram 2.15's set_webhook predates secret_token (Bot API 6.1): call the method itself
            result = await bot.request("setWebhook", {
                "url": settings.webhook_url,
                "secret_token": settings.webhook_secret,
                "allowed_updates": json.dumps(UPDATES),
                "drop_pending_updates": str(drop_pending).lower(),
            })
        elif command == "delete-webhook":
            result = await bot.request("deleteWebhook", {"drop_pending_updates": str(drop_pending).lower()})
        else:
            result = await bot.request("getWebhookInfo", {})
        return {"result": result}
    finally:
        await bot.session.close()  # aiogram 2's Bot.close() is deprecated (it is a Bot API method in 3.x)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.telegram",
        description="Đặt, xem hoặc xóa webhook của bot Telegram (đọc TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL, "
                    "TELEGRAM_WEBHOOK_SECRET, TELEGRAM_API_BASE).")
    parser.add_argument("command", choices=["set-webhook", "webhook-info", "delete-webhook"])
    parser.add_argument("--drop-pending", action="store_true", help="bỏ các cập nhật Telegram còn chờ")
    args = parser.parse_args(argv)
    settings = TelegramSettings.from_env()
    if not settings.enabled:
        print("Chưa đặt TELEGRAM_TOKEN.", file=sys.stderr)
        return 2
    if args.command == "set-webhook":
        if not settings.secret_valid:
            print("TELEGRAM_WEBHOOK_SECRET phải có 1–256 ký tự A-Z, a-z, 0-9, _ hoặc -.", file=sys.stderr)
            return 2
        if not settings.webhook_url.endswith(f"/webhooks/{CHANNEL}/webhook"):
            print(f"TELEGRAM_WEBHOOK_URL phải là địa chỉ công khai kết thúc bằng /webhooks/{CHANNEL}/webhook "
                  "(Telegram chỉ gọi https).", file=sys.stderr)
            return 2
    try:
        out = asyncio.run(_webhook_command(args.command, settings, args.drop_pending))
    except TelegramAPIError as exc:
        print(f"Telegram từ chối: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
