"""Reading what a teacher types as a result ("72,5", "bảy mươi hai phần trăm") and as a
reporting period ("quý 2/2024", "năm học 2024-2025").

Pure functions with no database: the chat validates each answer before anything is stored,
and every refusal is a :class:`ValueError` whose message is Vietnamese and can be shown as is
(the user retypes; nothing has been saved).  Inputs may come without diacritics ("bay muoi
hai phan tram", "nam hoc 2024 - 2025") because many people type on phones without them.
(:func:`reporting_period` is the data layer's form, raising :class:`ReportingError`;
:func:`local_time` shows a stored time.)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from document_parsing.text_utils import clean_space, fold

from .errors import ReportingError

# ---------------------------------------------------------------------------- numbers

_DIGITS = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7,
           "tam": 8, "chin": 9}
"""Folded Vietnamese digit words ("mốt", "tư", "lăm" are the forms used after "mươi")."""

_SCALES = {"nghin": 1000, "ngan": 1000, "trieu": 1_000_000}
_FILLER = {"dat", "khoang", "la", "duoc", "ket", "qua", "so", "luong", "ty", "ti", "le"}


def _words_to_int(words: list[str]) -> Optional[int]:
    """"bay muoi hai" → 72, "mot tram linh nam" → 105, "hai muoi mot" → 21, "muoi lam" → 15,
    "hai nghin" → 2000; None when the words are not a number."""
    if not words:
        return None
    total = 0  # completed thousands/millions
    hundreds = 0  # the hundreds below the current scale
    current = 0  # the running tens and units
    for word in words:
        if word == "linh":  # "một trăm linh năm": a zero ten
            continue
        if word == "muoi":
            current = 10 if current == 0 else current * 10
        elif word == "tram":
            hundreds += (current or 1) * 100
            current = 0
        elif word in _SCALES:
            total += ((hundreds + current) or 1) * _SCALES[word]
            hundreds = current = 0
        elif word in _DIGITS:
            current += _DIGITS[word]
        else:
            return None
    return total + hundreds + current


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)*)$")


def _number_from_digits(raw: str, unit: Optional[str]) -> Optional[float]:
    """"72,5" / "72.5" → 72.5; "1.234" (a count) → 1234; "1.234,5" → 1234.5."""
    if not _NUMBER.match(raw):
        return None
    sign = -1 if raw.startswith("-") else 1
    body = raw.lstrip("+-")
    if "," in body and "." in body:  # the last separator is the decimal one
        decimal = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        body = body.replace(thousands, "").replace(decimal, ".")
    elif body.count(",") == 1:
        body = body.replace(",", ".")
    elif body.count(".") == 1 and unit == "%":
        pass
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", body):  # "1.234", "12,345,678" for a count
        body = re.sub(r"[.,]", "", body)
    elif body.count(".") > 1 or body.count(",") > 1:
        return None
    return sign * float(body)


def _spoken_number(words: list[str]) -> Optional[float]:
    """Number words with an optional decimal part: "bay muoi hai phay nam" → 72.5."""
    if "phay" in words:
        cut = words.index("phay")
        whole, frac = _words_to_int(words[:cut]), words[cut + 1:]
        digits = [_DIGITS.get(w) for w in frac]
        if whole is None or not digits or any(d is None or d > 9 for d in digits):
            return None
        return float(f"{whole}.{''.join(str(d) for d in digits)}")
    value = _words_to_int(words)
    return None if value is None else float(value)


def _example(unit: Optional[str]) -> str:
    return "ví dụ 72,5" if unit == "%" else "ví dụ 12"


def parse_value(text: str, unit: Optional[str]) -> float:
    """The figure a reporter typed for a target measured in ``unit``.

    Accepts "72,5", "72.5%", "72,5 %", "100", "bảy mươi hai", "bay muoi hai phan tram".  A
    ``"%"`` value must lie in 0–100; any other unit is a count (schools, classes…) and must be a
    non-negative whole number; without a unit any non-negative number.  Raises
    :class:`ValueError` with a Vietnamese explanation."""
    raw = clean_space(str(text or ""))
    if not raw:
        raise ValueError(f"Bạn chưa nhập kết quả. Hãy nhập một số, {_example(unit)}.")
    folded = fold(raw).replace("%", " % ")
    if unit and unit != "%":
        for word in fold(unit).split():  # "15 trường"
            folded = re.sub(rf"\b{re.escape(word)}\b", " ", folded)
    folded = re.sub(r"\bphan\s+tram\b", " % ", folded)
    tokens = [t for t in folded.split() if t not in _FILLER and t not in ("%", ":", "=")]
    value: Optional[float] = None
    if len(tokens) == 1:
        value = _number_from_digits(tokens[0], unit)
    if value is None and tokens and all(re.fullmatch(r"[a-z]+", t) for t in tokens):
        value = _spoken_number(tokens)
    if value is None:
        raise ValueError(f"Không hiểu số “{raw}”: hãy nhập số, {_example(unit)}.")
    return _in_range(value, unit)


def _in_range(value: float, unit: Optional[str]) -> float:
    """``value`` when it is a valid figure for ``unit`` (see :func:`parse_value`)."""
    shown = f"{value:g}".replace(".", ",")
    if unit == "%":
        if not 0 <= value <= 100:
            raise ValueError(f"Tỷ lệ phải từ 0 đến 100% (bạn nhập {shown}). Hãy nhập lại, ví dụ 72,5.")
    elif unit:
        if value < 0 or not float(value).is_integer():
            raise ValueError(f"Số lượng ({unit}) phải là số nguyên không âm (bạn nhập {shown}). "
                             "Hãy nhập lại, ví dụ 12.")
    elif value < 0:
        raise ValueError(f"Kết quả không được âm (bạn nhập {shown}).")
    return float(value)


def check_value(value: float, unit: Optional[str]) -> float:
    """The same range checks as :func:`parse_value` for a number already parsed (the chat may
    hand :func:`reporting.saving.save_report` a float); raises :class:`ValueError`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Không hiểu số “{value}”: hãy nhập số, {_example(unit)}.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"Không hiểu số “{value}”: hãy nhập số, {_example(unit)}.")
    return _in_range(number, unit)


# ---------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A reporting period: its kind, its canonical Vietnamese label (stored on every report,
    so "Q2/2024" and "quý 2 năm 2024" are the same period) and its first and last days."""

    kind: str  # "year" | "quarter" | "school_year"
    label: str  # "năm 2024" | "quý 2/2024" | "năm học 2024-2025"
    start: date
    end: date

    @property
    def year(self) -> int:
        """The calendar year the period starts in (what a plan's target years compare with)."""
        return self.start.year


_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
_YEAR = r"((?:19|20|21)\d\d)"


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValueError(f"Năm {year} không hợp lệ: hãy nhập năm từ 2000 đến 2100.")


def year_period(year: int) -> Period:
    _check_year(year)
    return Period("year", f"năm {year}", date(year, 1, 1), date(year, 12, 31))


def quarter_period(quarter: int, year: int) -> Period:
    _check_year(year)
    if not 1 <= quarter <= 4:
        raise ValueError(f"Quý {quarter} không hợp lệ: một năm có quý 1 đến quý 4.")
    month, day = _QUARTER_END[quarter]
    return Period("quarter", f"quý {quarter}/{year}", date(year, 3 * quarter - 2, 1), date(year, month, day))


def school_year_period(first: int, second: int) -> Period:
    _check_year(first)
    if second != first + 1:
        raise ValueError(f"Năm học {first}-{second} không hợp lệ: năm sau phải bằng năm trước cộng 1 "
                         f"(ví dụ năm học {first}-{first + 1}).")
    return Period("school_year", f"năm học {first}-{second}", date(first, 9, 1), date(second, 8, 31))


_PERIOD_HELP = "Hãy nhập kỳ báo cáo, ví dụ “năm 2024”, “quý 2/2024” hoặc “năm học 2024-2025”."


def parse_period(text: str) -> Period:
    """"2024", "năm 2024", "quý 2 năm 2024", "Q2/2024", "quy 2 2024", "năm học 2024-2025",
    "nam hoc 2024 - 2025" → :class:`Period`; raises :class:`ValueError` (Vietnamese) otherwise."""
    raw = clean_space(str(text or ""))
    folded = fold(raw)
    folded = re.sub(r"\s*([/\-–])\s*", r" \1 ", folded.replace("–", "-"))
    folded = " ".join(folded.split())
    patterns = (
        (rf"^(?:nam hoc|nh)\s*{_YEAR} [-/] {_YEAR}$", lambda m: school_year_period(int(m[1]), int(m[2]))),
        (rf"^(?:nam\s+)?{_YEAR} - {_YEAR}$", lambda m: school_year_period(int(m[1]), int(m[2]))),
        (rf"^(?:quy|q)\s*(\d{{1,2}})\s*(?:/|-|nam)?\s*(?:nam\s+)?{_YEAR}$",
         lambda m: quarter_period(int(m[1]), int(m[2]))),
        (rf"^(?:quy|q)\s*(i{{1,3}}|iv)\s*(?:/|-|nam)?\s*(?:nam\s+)?{_YEAR}$",
         lambda m: quarter_period({"i": 1, "ii": 2, "iii": 3, "iv": 4}[m[1]], int(m[2]))),
        (rf"^(?:nam\s+)?{_YEAR}$", lambda m: year_period(int(m[1]))),
    )
    for pattern, build in patterns:
        match = re.match(pattern, folded)
        if match:
            return build(match)
    if not raw:
        raise ValueError(f"Bạn chưa nhập kỳ báo cáo. {_PERIOD_HELP}")
    if re.search(r"\d", folded) and not re.search(_YEAR, folded):
        raise ValueError(f"Không hiểu kỳ báo cáo “{raw}”: năm phải có 4 chữ số. {_PERIOD_HELP}")
    raise ValueError(f"Không hiểu kỳ báo cáo “{raw}”. {_PERIOD_HELP}")


def reporting_period(label: str) -> Period:
    """:func:`parse_period` for the data layer: a bad period is a :class:`ReportingError` (what
    every reporting function raises for a user error), not a :class:`ValueError`."""
    try:
        return parse_period(label)
    except ValueError as exc:
        raise ReportingError(str(exc)) from None


def local_time(moment: datetime) -> str:
    """A stored UTC time as Vietnam reads it: "05/03/2024 14:30" (UTC+7, no daylight saving)."""
    return (moment + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")


__all__ = ["Period", "parse_value", "check_value", "parse_period", "reporting_period", "year_period",
           "quarter_period", "school_year_period", "local_time"]
