"""Input bounds shared by the project's channels: a message over ``MAX_MESSAGE_CHARS`` is
answered with a Vietnamese refusal and never reaches the NLU, and long messages take turns.

Why: the NLU's cost grows faster than the text (the transformer attends over every pair of
tokens: a 200 kB message took Rasa to 23 GB).  Refusing early bounds memory; letting only one
long message into the NLU at a time keeps a normal question from queueing behind a hundred long
ones (the NLU runs on the event loop, so every waiting long message would otherwise run first).
"""
from __future__ import annotations

import asyncio
import os
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage

MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "2000"))
LONG_MESSAGE_CHARS = int(os.environ.get("LONG_MESSAGE_CHARS", "300"))


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 2.000: the Vietnamese thousands separator


def too_long_reply(length: int, limit: int = MAX_MESSAGE_CHARS) -> str:
    return (f"Tin nhắn quá dài ({_number(length)} ký tự; tối đa {_number(limit)} ký tự), nên chưa được xử lý. "
            "Vui lòng gửi câu hỏi ngắn gọn hơn hoặc chia thành nhiều tin.")


class MessageGuard:
    """Wraps Rasa's ``on_new_message``: refuses over-long text, serialises long text."""

    def __init__(self, max_chars: int = MAX_MESSAGE_CHARS, long_chars: int = LONG_MESSAGE_CHARS):
        self.max_chars = max_chars
        self.long_chars = long_chars
        self._long: Optional[asyncio.Semaphore] = None  # made on the server's loop

    def wrap(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
        async def guarded(message: UserMessage) -> Any:
            text = message.text or ""
            if len(text) > self.max_chars:
                await message.output_channel.send_text_message(message.sender_id, too_long_reply(len(text), self.max_chars))
                return None
            if len(text) <= self.long_chars:
                return await on_new_message(message)
            if self._long is None:
                self._long = asyncio.Semaphore(1)
            async with self._long:
                return await on_new_message(message)

        return guarded


__all__ = ["MessageGuard", "too_long_reply", "MAX_MESSAGE_CHARS"]
