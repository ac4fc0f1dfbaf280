"""Reporting deadlines: who reports what to whom and when, in the "Tổ chức thực hiện" part.

A deadline is a clause with a reporting cue ("báo cáo", "gửi …", "sơ kết", "phản ánh về").
Clauses of one sentence that have no timing of their own ("chủ trì sơ kết …; tổng hợp báo cáo …
theo quy định") are one deadline; a closing paragraph ("Trong quá trình triển khai …, báo cáo …")
belongs to the whole part.
"""
from __future__ import annotations

import re
from typing import Optional

from ..model import Document, Section
from ..text_utils import clean_space, fold
from .agencies import canonical_agency, split_agencies
from .parts import organisation_parts
from .records import Deadline

CUE = re.compile(r"báo cáo|gửi\s|sơ kết|tổng kết|phản ánh", re.I)
TIMING = re.compile(r"(hàng|hằng|mỗi)\s+(năm|quý|tháng|tuần)|định kỳ[^,;.]*|trước ngày\s*\d{1,2}(?:/\d{1,2})?(?:/\d{4})?|"
                    r"(?:cuối|đầu|trong)\s+tháng\s+\d{1,2}|sau\s+(?:\d+\s+(?:năm|tháng)|khi)[^,;.]*|theo (?:yêu cầu|quy định)|"
                    r"trong quá trình[^.]*?(?:vướng mắc|khó khăn)", re.I)
RECURRENCE = [(re.compile(r"(hàng|hằng|mỗi)\s+năm|định kỳ\s+(hàng\s+)?năm", re.I), "yearly"),
              (re.compile(r"(hàng|hằng|mỗi)\s+quý|định kỳ\s+(hàng\s+)?quý", re.I), "quarterly"),
              (re.compile(r"(hàng|hằng|mỗi)\s+tháng|định kỳ\s+(hàng\s+)?tháng", re.I), "monthly"),
              (re.compile(r"(?:6|06|sáu) tháng", re.I), "half-yearly"),
              (re.compile(r"sau\s+(?:\d+\s+(?:năm|tháng)|khi)|trước ngày", re.I), "once")]
CLOSING = ("trong qua trinh", "qua trinh trien khai", "trong thoi gian trien khai")
TO = re.compile(r"(?:gửi(?:\s+về)?|báo cáo|phản ánh về|về)\s+((?:Sở|Phòng|Bộ|Ủy ban|Uỷ ban|UBND|Ban|Văn phòng)[^;.]*)")


def _recurrence(text: str) -> Optional[str]:
    for pattern, name in RECURRENCE:
        if pattern.search(text):
            return name
    return None


def _month_day(text: str) -> tuple[Optional[int], Optional[int]]:
    m = re.search(r"trước ngày\s*(\d{1,2})/(\d{1,2})", text, re.I)
    if m:
        return int(m.group(2)), int(m.group(1))
    m = re.search(r"(?:cuối|đầu|trong)?\s*tháng\s+(\d{1,2})\b", text, re.I)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(1)), None
    return None, None


def _to(text: str) -> Optional[str]:
    m = TO.search(text)
    if not m:
        return None
    names = split_agencies(m.group(1))
    return ", ".join(canonical_agency(n) for n in names) or None


def _deadlines_in(text: str, section: str, agency: Optional[str]) -> list[Deadline]:
    found: list[Deadline] = []
    for sentence in re.split(r"(?<=\.)\s+", text):
        opening = TIMING.match(sentence.strip())
        sentence_timing = opening.group(0) if opening else None
        groups: list[list[str]] = []
        for clause in re.split(r";\s*", sentence):
            if not CUE.search(clause):
                continue
            has_timing = bool(TIMING.search(clause)) and not (opening and TIMING.search(clause).group(0) == opening.group(0) and len(groups) > 0)
            if groups and not (has_timing and any(TIMING.search(c) for c in groups[-1])):
                groups[-1].append(clause)
            else:
                groups.append([clause])
        for group in groups:
            what = clean_space("; ".join(group)).strip(" .;")
            own = next((m.group(0) for c in group if (m := TIMING.search(c))), None)
            timing = ", ".join(t for t in dict.fromkeys([sentence_timing, own]) if t) or None
            month, day = _month_day(timing or "")
            recurrence = _recurrence(own or "") or _recurrence(sentence_timing or "")
            found.append(Deadline(section=section, agency=agency, what=what, to=_to(what), when=timing,
                                  recurrence=recurrence, month=month, day=day))
    return found


def _primary_agency(item: Section) -> Optional[str]:
    names = split_agencies(re.sub(r"^Đề nghị\s+", "", item.heading))
    return canonical_agency(names[0]) if names else None


def extract_deadlines(doc: Document) -> list[Deadline]:
    found: list[Deadline] = []
    for part in organisation_parts(doc):
        for section in part.walk():
            if section is part:
                continue
            number = section if section.parent is part else next(a for a in section.ancestors() if a.parent is part)
            agency = _primary_agency(number)
            texts = [section.heading] if section is not number or not agency else []
            if section is number and agency:
                texts.append(section.heading[len(split_agencies(section.heading)[0]) if split_agencies(section.heading) else 0:])
            for item in section.items:
                if fold(item.text).startswith(CLOSING):
                    found.extend(_deadlines_in(item.text, part.path, _subject(item.text)))
                else:
                    texts.append(item.text)
            found.extend(_deadlines_in(" ".join(t for t in texts if t), section.path, agency))
        for item in part.items:
            found.extend(_deadlines_in(item.text, part.path, _subject(item.text)))
    return found


def _subject(text: str) -> Optional[str]:
    m = re.search(r",\s*((?:các|những)\s+[^,]+?)\s+(?:kịp thời|phản ánh|báo cáo)", text)
    return m.group(1)[:1].upper() + m.group(1)[1:] if m else None
