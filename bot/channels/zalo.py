"""Zalo Official Account: the ``zalo`` input channel (webhook ``/webhooks/zalo/webhook``).

No official Zalo page is in the project's sources; the shapes below come from third-party
integrations (chatwoot ``app/jobs/webhooks/zalo_events_job.rb`` and ``app/services/zalo_oa``,
eSMS and Goby OA API guides) and are listed in README:

* an event: ``{"event_name": "user_send_text", "app_id", "sender": {"id"}, "recipient": {"id"},
  "message": {"text", "msg_id"}, "timestamp", "user_id_by_app"}`` — ids are big integers and
  stay strings here;
* its signature: header ``X-ZEvent-Signature: mac=<sha256 hex of app_id + raw body + timestamp
  + OA secret key>`` (plain SHA-256, not HMAC); anything else gets 403 and reaches nothing;
* Zalo wants an answer within about 2 s or retries (and may switch the webhook off): the
  event is acknowledged at once and processed in the background; a retried ``msg_id`` is
  processed once;
* a reply: ``POST {api_base}/v3.0/oa/message/cs``, header ``access_token``, body
  ``{"recipient": {"user_id"}, "message": {"text"}}`` — text at most 2000 characters, so long
  answers go as several messages; buttons become the message's ``template`` attachment with
  ``oa.query.hide`` buttons (at most 5 per message, title ≤ 100 characters, payload ≤ 1000):
  pressing one sends its payload to the OA as a ``user_send_text`` event without showing
  ``/choose_target{…}`` in the chat;
* access tokens expire (bot/channels/zalo_tokens.py refreshes them).

Settings from the environment only: ``ZALO_APP_ID``, ``ZALO_OA_SECRET_KEY`` (webhook
signature), ``ZALO_ACCESS_TOKEN``, ``ZALO_REFRESH_TOKEN``, ``ZALO_APP_SECRET`` (OAuth refresh),
``ZALO_API_BASE``, ``ZALO_OAUTH_BASE``, ``ZALO_TOKEN_FILE``.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.messages import MAX_BODY_BYTES, TEXT_ONLY, RecentIds, same_secret, shorten, split_text
from bot.channels.zalo_tokens import TokenFile, TokenKeeper, ZaloTokens

logger = logging.getLogger(__name__)

CHANNEL = "zalo"
PUBLIC_API = "https://openapi.zalo.me"
PUBLIC_OAUTH = "https://oauth.zaloapp.com"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TEXT_LIMIT = 2000  # characters of a text message
BUTTONS_PER_MESSAGE = 5
BUTTON_TITLE_LIMIT = 100
BUTTON_PAYLOAD_LIMIT = 1000
MORE_CHOICES = "Các lựa chọn khác:"
TOKEN_ERRORS = {-216, -124}  # access token invalid / expired: refresh and send again once
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ZaloSettings:
    app_id: str = ""
    oa_secret_key: str = ""
    access_token: str = ""
    refresh_token: str = ""
    app_secret: str = ""
    api_base: str = PUBLIC_API
    oauth_base: str = PUBLIC_OAUTH
    token_file: Path = field(default=ROOT / "data" / "zalo-tokens.json")
    refresh_margin: float = 1800.0  # refresh this long before the access token expires
    max_event_age: float = 3600.0  # older signed events are acknowledged but not processed

    @classmethod
    def from_env(cls) -> "ZaloSettings":
        env = {k: v.strip() for k, v in os.environ.items() if k.startswith("ZALO_")}
        return cls(app_id=env.get("ZALO_APP_ID", ""), oa_secret_key=env.get("ZALO_OA_SECRET_KEY", ""),
                   access_token=env.get("ZALO_ACCESS_TOKEN", ""), refresh_token=env.get("ZALO_REFRESH_TOKEN", ""),
                   app_secret=env.get("ZALO_APP_SECRET", ""),
                   api_base=(env.get("ZALO_API_BASE") or PUBLIC_API).rstrip("/"),
                   oauth_base=(env.get("ZALO_OAUTH_BASE") or PUBLIC_OAUTH).rstrip("/"),
                   token_file=Path(env.get("ZALO_TOKEN_FILE") or cls.token_file),
                   refresh_margin=_seconds(env, "ZALO_REFRESH_MARGIN", cls.refresh_margin),
                   max_event_age=_seconds(env, "ZALO_MAX_EVENT_AGE", cls.max_event_age))

    @property
    def missing(self) -> list[str]:
        """What the channel cannot work without (the access token may come from the token file)."""
        needed = {"ZALO_APP_ID": self.app_id, "ZALO_OA_SECRET_KEY": self.oa_secret_key}
        if not self.access_token and not self.token_file.exists():
            needed["ZALO_ACCESS_TOKEN"] = ""
        return [name for name, value in needed.items() if not value]


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name) or default)
    except ValueError:
        logger.error("%s phải là số giây; dùng %.0f.", name, default)
        return default


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """``mac=`` + SHA-256 hex of app_id + raw body + timestamp + OA secret key."""
    raw = app_id.encode("utf-8") + body + timestamp.encode("utf-8") + oa_secret_key.encode("utf-8")
    return "mac=" + hashlib.sha256(raw).hexdigest()


def zalo_button(button: dict[str, Any]) -> Optional[dict[str, Any]]:
    """A Rasa button as an OA ``oa.query.hide`` button (None when it has no title or payload)."""
    title, payload = str(button.get("title") or "").strip(), str(button.get("payload") or "").strip()
    if not title or not payload:
        return None
    if len(payload) > BUTTON_PAYLOAD_LIMIT:
        payload = shorten(title, BUTTON_PAYLOAD_LIMIT)
    return {"title": shorten(title, BUTTON_TITLE_LIMIT), "type": "oa.query.hide", "payload": payload}


class ZaloOutput(OutputChannel):
    """Sends through the OA customer-service message API with a token from ``TokenKeeper``."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, settings: ZaloSettings):
        self.settings = settings
        self.message_url = settings.api_base + "/v3.0/oa/message/cs"
        self._session: Optional[aiohttp.ClientSession] = None
        self.tokens = TokenKeeper(ZaloTokens(settings.access_token, settings.refresh_token),
                                  TokenFile(settings.token_file), app_id=settings.app_id,
                                  app_secret=settings.app_secret, oauth_base=settings.oauth_base,
                                  post_form=self._post_form, margin=settings.refresh_margin)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        return self._session

    async def _post_form(self, url: str, headers: dict, form: dict) -> dict:
        async with self.session().post(url, headers=headers, data=form) as resp:
            return await resp.json(content_type=None)

    async def _post_message(self, token: str, body: dict) -> dict:
        async with self.session().post(self.message_url, headers={"access_token": token}, json=body) as resp:
            return await resp.json(content_type=None)

    async def send(self, recipient_id: str, message: dict[str, Any]) -> bool:
        """One OA message; a rejected token is refreshed and the message sent again once.
        Failures are logged, not raised: the other replies of the turn still go out."""
        body = {"recipient": {"user_id": str(recipient_id)}, "message": message}
        for attempt in (1, 2):
            token = await self.tokens.access_token()
            try:
                answer = await self._post_message(token, body)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                logger.warning("Không gửi được tin Zalo: %s", exc)
                return False
            code = _error_code(answer)
            if code == 0:
                return True
            if code in TOKEN_ERRORS and attempt == 1 and await self.tokens.refresh(stale=token):
                continue
            logger.warning("Zalo từ chối tin nhắn: %s %s", code, answer.get("message", ""))
            return False
        return False

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, TEXT_LIMIT):
            await self.send(recipient_id, {"text": part})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        parts = split_text(text, TEXT_LIMIT) or [MORE_CHOICES]
        for part in parts[:-1]:
            await self.send(recipient_id, {"text": part})
        options = [b for b in map(zalo_button, buttons) if b]
        groups = [options[i:i + BUTTONS_PER_MESSAGE] for i in range(0, len(options), BUTTONS_PER_MESSAGE)] or [[]]
        for index, group in enumerate(groups):
            message: dict[str, Any] = {"text": parts[-1] if index == 0 else MORE_CHOICES}
            if group:
                message["attachment"] = {"type": "template", "payload": {"buttons": group}}
            await self.send(recipient_id, message)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _error_code(answer: Any) -> Optional[int]:
    try:
        return int(answer.get("error"))
    except (AttributeError, TypeError, ValueError):
        return None


class _SenderQueues:
    """One lock per Zalo user while their events are processed, so the background tasks of
    one user run in arrival order (asyncio locks are first come, first served)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def run(self, sender: str, work: Callable[[], Awaitable[Any]]) -> None:
        lock, users = self._locks.get(sender, (asyncio.Lock(), 0))
        self._locks[sender] = (lock, users + 1)
        try:
            async with lock:
                await work()
        finally:
            lock, users = self._locks[sender]
            if users <= 1:
                del self._locks[sender]
            else:
                self._locks[sender] = (lock, users - 1)


class ZaloInput(InputChannel):
    """Verifies, acknowledges and queues OA webhook events; replies go through ``ZaloOutput``."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "ZaloInput":
        """Settings come from the environment; credentials.yml only names the class."""
        return cls(ZaloSettings.from_env())

    def __init__(self, settings: ZaloSettings):
        self.settings = settings
        self.enabled = not settings.missing
        self.seen_events = RecentIds()
        self._queues = _SenderQueues()
        self._tasks: set[asyncio.Task] = set()
        self._output: Optional[ZaloOutput] = None
        if not self.enabled:
            logger.info("Kênh Zalo tắt: chưa đặt %s.", ", ".join(settings.missing))
        elif not (settings.app_secret and (settings.refresh_token or settings.token_file.exists())):
            logger.warning("Kênh Zalo: thiếu ZALO_APP_SECRET hoặc ZALO_REFRESH_TOKEN, mã truy cập sẽ không được làm mới.")

    def get_output_channel(self) -> Optional[ZaloOutput]:
        """One output channel (and token keeper) per process, also for proactive messages."""
        if not self.enabled:
            return None
        if self._output is None:
            self._output = ZaloOutput(self.settings)
        return self._output

    def verified_event(self, body: bytes, header: Optional[str]) -> Optional[dict[str, Any]]:
        """The event if its signature is right and it is for this app, else None."""
        try:
            event = json.loads(body)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        app_id, timestamp = str(event.get("app_id") or ""), str(event.get("timestamp") or "")
        expected = signature(app_id, body, timestamp, self.settings.oa_secret_key)
        if not same_secret((header or "").strip(), expected) or app_id != self.settings.app_id:
            return None
        return event

    def fresh(self, event: dict[str, Any]) -> bool:
        try:
            sent = float(event.get("timestamp")) / 1000.0
        except (TypeError, ValueError):
            return False
        return self.settings.max_event_age <= 0 or abs(time.time() - sent) <= self.settings.max_event_age

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        zalo_webhook = Blueprint("zalo_webhook", __name__)

        @zalo_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @zalo_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "Kênh Zalo chưa được cấu hình."}, status=404)
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.json({"error": "too large"}, status=413)
            event = self.verified_event(body, request.headers.get(SIGNATURE_HEADER))
            if event is None:
                return response.json({"error": "forbidden"}, status=403)
            self.accept(event, on_new_message)
            return response.json({"message": "ok"})

        return zalo_webhook

    def accept(self, event: dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Queue a verified event for the background (returns at once)."""
        name = str(event.get("event_name") or "")
        if not name.startswith("user_send_"):
            return  # follow/unfollow, delivery and seen receipts, OA's own messages …
        sender = str((event.get("sender") or {}).get("id") or "")
        message = event.get("message") or {}
        msg_id = str(message.get("msg_id") or "")
        if not sender or not msg_id or not self.fresh(event):
            return
        if not self.seen_events.first_time(msg_id):
            logger.info("Sự kiện Zalo %s đã xử lý, bỏ qua lần gửi lại.", msg_id)
            return
        text = message.get("text") if name == "user_send_text" else None
        output = self.get_output_channel()

        async def work() -> None:
            try:
                if not isinstance(text, str) or not text.strip():
                    await output.send_text_message(sender, TEXT_ONLY)
                else:
                    await on_new_message(UserMessage(text, output, sender, input_channel=CHANNEL,
                                                     message_id=msg_id))
            except Exception:
                logger.exception("Lỗi khi xử lý sự kiện Zalo %s", msg_id)

        task = asyncio.get_running_loop().create_task(self._queues.run(sender, work))
        self._tasks.add(task)  # a reference until done, or the task may be garbage-collected
        task.add_done_callback(self._tasks.discard)
