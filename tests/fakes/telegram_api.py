"""A fake Telegram Bot API: ``POST /bot<token>/<method>`` with form or JSON parameters, answered
like api.telegram.org (``{"ok": true, "result": …}``), every call recorded.

Also builds the updates Telegram posts to a webhook (``message`` and ``callback_query`` in a
private chat), with the fields the Bot API documents (update_id, message_id, from, chat, date).
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any, Optional

from aiohttp import web

from tests.fakes import FakeServer


class FakeBotApi(FakeServer):
    def __init__(self, token: str):
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Trợ lý kế hoạch",
                         "username": "tro_ly_ke_hoach_bot"}
        self._calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1000)
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        super().__init__(app)

    # ------------------------------------------------------------------ server side

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: v for k, v in (await request.post()).items()}
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        with self._lock:
            self._calls.append({"method": method, "params": params, "at": time.time()})
        result = self.result(method, params)
        if result is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": result})

    def result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "from": self.bot_user,
                       "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params.get("text", "")}
            if isinstance(params.get("reply_markup"), dict):
                message["reply_markup"] = params["reply_markup"]
            return message
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getMe":
            return self.bot_user
        return None

    # ------------------------------------------------------------------ test side

    def calls(self, method: Optional[str] = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._calls if method is None or c["method"] == method]

    def sent_to(self, chat_id: Any) -> list[dict[str, Any]]:
        """The ``sendMessage`` parameters of every message sent to ``chat_id``, in order."""
        return [c["params"] for c in self.calls("sendMessage") if str(c["params"].get("chat_id")) == str(chat_id)]

    def recent(self) -> list:
        return self.calls()[-5:]


_update_ids = itertools.count(int(time.time()) % 100_000_000)
_message_ids = itertools.count(1)


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn", "language_code": "vi"}


def text_update(user_id: int, text: str, chat_type: str = "private", chat_id: Optional[int] = None) -> dict[str, Any]:
    """A user's text message, as Telegram posts it."""
    chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
    if chat_type == "private":
        chat.update(first_name="Lan", last_name="Nguyễn")
    else:
        chat["title"] = "Nhóm giáo viên"
    return {"update_id": next(_update_ids),
            "message": {"message_id": next(_message_ids), "from": _user(user_id), "chat": chat,
                        "date": int(time.time()), "text": text}}


def callback_update(user_id: int, bot_message: dict[str, Any], data: str, bot_user: dict[str, Any]) -> dict[str, Any]:
    """A press on an inline button of ``bot_message`` (the sendMessage parameters the fake got)."""
    message = {"message_id": next(_message_ids), "from": bot_user, "date": int(time.time()),
               "chat": {"id": user_id, "type": "private", "first_name": "Lan"}, "text": bot_message.get("text", "")}
    if bot_message.get("reply_markup"):
        message["reply_markup"] = bot_message["reply_markup"]
    return {"update_id": next(_update_ids),
            "callback_query": {"id": str(next(_update_ids) * 7919), "from": _user(user_id), "message": message,
                               "chat_instance": "-4411223344556677", "data": data}}
