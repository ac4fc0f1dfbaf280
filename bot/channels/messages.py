"""What the Telegram and Zalo channels share: cutting answers to a platform's length limit,
remembering recently seen event ids, and the few Vietnamese texts they send themselves."""
from __future__ import annotations

import hmac
from collections import OrderedDict
from typing import Optional

from document_parsing.text_utils import nfc

# Sent when someone sends a photo, a sticker, a file … : the bot reads text only.
TEXT_ONLY = "Xin lỗi, tôi chỉ đọc được tin nhắn dạng chữ. Bạn hãy gõ câu hỏi hoặc câu trả lời nhé."

# Webhook bodies larger than this are refused before they are parsed (a text update is a few kB).
MAX_BODY_BYTES = 64 * 1024


def split_text(text: str, limit: int) -> list[str]:
    """``text`` (NFC) in pieces of at most ``limit`` characters, cut between paragraphs, else
    between lines, else between words, and only as a last resort inside a word — so a long
    answer arrives as several readable messages instead of being refused by the platform."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = nfc(text or "").strip()
    if not text:
        return []
    pieces: list[str] = []
    current = ""
    for unit, joiner in _units(text, limit):
        candidate = f"{current}{joiner}{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, limit: int):
    """(piece, separator before it) with every piece at most ``limit`` long: paragraphs, or
    the lines of a long paragraph, or the words of a long line, or slices of a long word."""
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            yield paragraph, "\n\n"
            continue
        first_line = True
        for line in paragraph.split("\n"):
            joiner = "\n\n" if first_line else "\n"
            first_line = False
            if len(line) <= limit:
                yield line, joiner
                continue
            first_word = True
            for word in line.split(" "):
                sep = joiner if first_word else " "
                first_word = False
                while len(word) > limit:
                    yield word[:limit], sep
                    word, sep = word[limit:], ""
                if word:
                    yield word, sep


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for button titles)."""
    text = nfc(text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def same_secret(given: Optional[str], expected: Optional[str]) -> bool:
    """Constant-time comparison; an unset secret never matches anything."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class RecentIds:
    """The last ``capacity`` ids seen, to process an update delivered twice only once.

    Bounded so that a flood of distinct ids cannot grow memory; an id older than the last
    ``capacity`` ones would be processed again, which a platform's retry (seconds to minutes
    later) never reaches. Per process: with several Rasa replicas behind a load balancer a
    retry may land on another replica (see README)."""

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen (and remembers it), False afterwards."""
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)
