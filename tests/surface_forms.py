"""Rewrite a plan's text into other surface forms that mean the same thing.

Used by the metamorphic test: the same facts must come out of every rewriting, section labels
aside.  Each rewrite is one convention Vietnamese offices use interchangeably (issue 8, item 8).
"""
from __future__ import annotations

import re
from typing import Callable

LINE_START = re.compile(r"^(\s*)", re.M)


def roman_to_phan(text: str) -> str:
    """"I. MỤC TIÊU" → "Phần I. MỤC TIÊU" (the top-level parts only)."""
    return re.sub(r"^( *)([IVX]{1,4})\.(?= +[A-ZĐÀ-Ỹ]| *$)", r"\1Phần \2.", text, flags=re.M)


def letter_style(punct: str) -> Callable[[str], str]:
    def rewrite(text: str) -> str:
        return re.sub(r"^( *)([a-zđ])\) +", rf"\1\2{punct} ", text, flags=re.M)
    rewrite.__name__ = f"letter_{'dot' if punct == '.' else 'slash'}"
    return rewrite


def arabic_paren(text: str) -> str:
    """"1. Mục đích" → "1) Mục đích" (not "1.1." and not when the plan already uses "1)")."""
    if re.search(r"^\s*\d{1,2}\)\s", text, re.M):
        return text
    return re.sub(r"^( *)(\d{1,2})\. +(?=\D)", r"\1\2) ", text, flags=re.M)  # table rows keep their tabs


def swap_bullets(text: str) -> str:
    """"-" ↔ "+", so nested lists keep two different markers."""
    return re.sub(r"^(\s*)([-+])(\s+)", lambda m: m.group(1) + ("+" if m.group(2) == "-" else "-") + m.group(3),
                  text, flags=re.M)


def star_bullets(text: str) -> str:
    if re.search(r"^\s*\*\s", text, re.M):
        return text
    return re.sub(r"^(\s*)-(\s+)", r"\1*\2", text, flags=re.M)


def comparator_words(text: str) -> str:
    """"ít nhất" → "tối thiểu", "tối thiểu" → "không dưới" (all mean ">=")."""
    text = re.sub(r"\btối thiểu\b", "\x00", text)
    text = re.sub(r"\bít nhất\b", "tối thiểu", text)
    text = re.sub(r"\bÍt nhất\b", "Tối thiểu", text)
    return text.replace("\x00", "không dưới")


def zero_padding(text: str) -> str:
    """"02 phòng học" ↔ "2 phòng học": a count's leading zero is dropped, a bare digit gets one."""
    text = re.sub(r"(?<![\d./,])0(\d)(?=\s+[a-zà-ỹđ])", r"\1", text)
    return re.sub(r"(?<![\d./,])([1-9])(?=\s+(?:phòng|trường|lớp|bài|học liệu|giáo viên|sản phẩm)\b)", r"0\1", text)


def wrapped_parts(text: str) -> str:
    """The Roman parts become "A.", "B." … under one outer "Phần thứ nhất. NỘI DUNG KẾ HOẠCH" — the
    parts are then one level down (plans that already letter their parts are left alone)."""
    if re.search(r"^ *[A-H]\. ", text, re.M):
        return text
    letters = iter("ABCDEFGHKLMN")
    text = re.sub(r"^( *)([IVX]{1,4})\.(?= +[A-ZĐÀ-Ỹ]| *$)", lambda m: m.group(1) + next(letters) + ".", text, flags=re.M)
    first = re.search(r"^ *A\.", text, re.M)
    return text[: first.start()] + "Phần thứ nhất. NỘI DUNG KẾ HOẠCH\n" + text[first.start():] if first else text


REWRITES: list[Callable[[str], str]] = [roman_to_phan, letter_style("."), letter_style("/"), arabic_paren,
                                        swap_bullets, star_bullets, comparator_words, zero_padding, wrapped_parts]
