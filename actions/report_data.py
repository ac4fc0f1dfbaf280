"""The reporting data layer (package :mod:`reporting`) as the report actions call it.

Two things every report action does, written once:

* :class:`Question` — what a staff question names: the reporting period ("quý 2/2024",
  "năm 2024"; this year when none), the place ("Cần Thơ", "Mường Tè") and the remaining words
  (the target's words, or the plan "kế hoạch 148");
* :func:`fetch` — one call to the data layer: a :class:`reporting.ReportingError` (or another
  user error given) is shown as its Vietnamese message, anything else is logged and answered
  with :data:`DATA_ERROR`; the caller learns which, to keep or clear its slots.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Generic, Optional, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import reporting
from document_parsing.text_utils import fold, nfc
from reporting.values import parse_period

logger = logging.getLogger(__name__)

DATA_ERROR = "Xin lỗi, hiện không truy cập được dữ liệu báo cáo. Thầy/cô vui lòng thử lại sau."

T = TypeVar("T")


@dataclass
class Fetched(Generic[T]):
    """What :func:`fetch` got: the value, or which kind of error was already answered."""

    value: Optional[T] = None
    error: Optional[str] = None  # None | "user" (its message was shown) | "data" (DATA_ERROR was shown)

    @property
    def ok(self) -> bool:
        return self.error is None


def fetch(dispatcher: CollectingDispatcher, what: str, call: Callable[[], T], *, prefix: str = "",
          data_error: str = DATA_ERROR, user_errors: tuple[type[BaseException], ...] = ()) -> Fetched[T]:
    """``call()``; a user error is answered with ``prefix`` + its Vietnamese message, any other
    failure is logged (as ``what``) and answered with ``data_error``."""
    try:
        return Fetched(call())
    except (reporting.ReportingError, *user_errors) as exc:
        dispatcher.utter_message(text=f"{prefix}{exc}")
        return Fetched(error="user")
    except Exception:  # noqa: BLE001 - the database is down, a bug: logged, and the user told
        logger.exception("%s failed", what)
        dispatcher.utter_message(text=data_error)
        return Fetched(error="data")


# ---------------------------------------------------------------------------- the question

_PERIOD_PATTERNS = (
    r"n[aă]m\s+h[oọ]c\s+\d{4}\s*[-–/]\s*\d{4}",
    r"\b(?:qu[yý]|q)\s*(?:\d|i{1,3}|iv)\s*(?:/|-|n[aă]m)?\s*(?:n[aă]m\s+)?\d{4}",
    r"\b\d{4}\s*[-–]\s*\d{4}",
    r"\bn[aă]m\s+\d{4}",
    r"\b(?:19|20)\d\d\b",
)
# Request words of the staff questions (not the target's words).
# Words a target never turns on ("họp", "học", "phòng", "bảng"… may: they stay).
QUESTION_WORDS = set("""
tien do chi tieu cua nam quy thuc hien ket qua bao cao bao nhieu da dat duoc roi den dau co khong ko
dung cham kip hay voi ke hoach thuc te tinh hinh xem tong cac nhung truong don vi nao chua
nop gui ai con danh sach thieu kiem tra cap nhat lieu vay la gi the nhu o tai toi cho
xuat file excel xlsx csv dang ra ve export ket du
""".split())


def find_period(text: str) -> tuple[Optional[str], str]:
    """The first reporting period written in ``text`` (its label) and the text without it."""
    low = nfc(text)
    for pattern in _PERIOD_PATTERNS:
        for match in re.finditer(pattern, low, re.I):
            try:
                label = parse_period(match[0]).label
            except ValueError:
                continue
            return label, (low[:match.start()] + " " + low[match.end():])
    return None, low


def places(text: str) -> list[str]:
    """Place names in the question: provinces (knowledge.geography) and the places the KB has plans for."""
    from knowledge.geography import provinces_in

    names = list(provinces_in(text))
    try:
        from knowledge.search import known_places

        folded = f" {' '.join(re.findall(r'[0-9a-z]+', fold(text).lower()))} "
        for place in known_places():
            key = " ".join(re.findall(r"[0-9a-z]+", fold(place).lower()))
            if key and f" {key} " in folded and place not in names:
                names.append(place)
    except Exception:  # noqa: BLE001 - places are a refinement
        logger.exception("known_places failed")
    return names


def plan_words(text: str) -> Optional[str]:
    """"kế hoạch 148" / "KH 3381" / "kế hoạch Mường Tè" → "148" / "3381" / "Mường Tè"; None otherwise."""
    match = re.search(r"\b(?:k[eế]\s*ho[aạ]ch|kh)\s+(?:s[oố]\s+)?(\d+[\w/.-]*)", nfc(text), re.I)
    if match:
        return match[1]
    match = re.search(r"\b(?:k[eế]\s*ho[aạ]ch|kh)\s+(?:c[uủ]a\s+)?([^\W\d_][^,.?!]*)", nfc(text), re.I)
    if match:
        words = [w for w in match[1].split() if fold(w).lower() not in QUESTION_WORDS]
        return " ".join(words[:4]) or None
    return None


@dataclass
class Question:
    """A staff question about reports: "tiến độ chỉ tiêu họp trực tuyến của Cần Thơ năm 2024?"."""

    text: str
    period: str  # a canonical label; this calendar year when the question names none
    rest: str  # the text without the period
    area: Optional[str]  # the first place named

    @classmethod
    def read(cls, text: str) -> "Question":
        period, rest = find_period(text)
        found = places(rest)
        return cls(text=text, period=period or f"năm {date.today().year}", rest=rest,
                   area=found[0] if found else None)

    @classmethod
    def of(cls, tracker: Tracker) -> "Question":
        """The question in the user's latest message."""
        return cls.read(tracker.latest_message.get("text") or "")

    @property
    def words(self) -> str:
        """The target's words: the rest without request words, the place and numbers."""
        place = set(fold(self.area or "").lower().split())
        words = re.findall(r"[^\W_]+", nfc(self.rest))
        return " ".join(w for w in words if fold(w).lower() not in QUESTION_WORDS | place and not w.isdigit())

    @property
    def plan(self) -> Optional[str]:
        """The plan named ("kế hoạch 148" → "148"), or None."""
        return plan_words(self.rest)


__all__ = ["DATA_ERROR", "Fetched", "fetch", "Question", "find_period", "places", "plan_words", "QUESTION_WORDS"]
