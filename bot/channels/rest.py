"""REST for tests and trusted integrations only: every call needs ``Authorization: Bearer
$REST_TOKEN``; without ``REST_TOKEN`` in the environment the channel answers 403 to everything
(that is how ``make run`` ships it: off).  A caller cannot claim another channel with
``input_channel`` (the conversation is always channel ``rest``) nor pass metadata, and
over-long messages are refused before the NLU (bot/channels/guard.py).

Registered in credentials.yml as ``bot.channels.rest.TokenRestInput`` (webhook unchanged:
``/webhooks/rest/webhook``).
"""
from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from .guard import MessageGuard

TOKEN_ENV = "REST_TOKEN"


class TokenRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.token = os.environ.get(TOKEN_ENV) or None
        self.guard = MessageGuard()

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never the client's "input_channel"

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return None  # nothing the client says about itself is trusted

    def allowed(self, request: Request) -> bool:
        if not self.token:
            return False
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(self.guard.wrap(on_new_message))

        @bp.middleware("request")
        async def require_token(request: Request):
            if not self.allowed(request):
                text = ("Kênh REST đã tắt trên máy chủ này." if not self.token
                        else "Thiếu hoặc sai mã truy cập (Authorization: Bearer …).")
                return response.json({"error": text}, status=403 if not self.token else 401)
            return None

        return bp


__all__ = ["TokenRestInput"]
