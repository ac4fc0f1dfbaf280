"""Quantitative targets: every percentage figure in the objectives and tasks parts.

A sentence may carry several figures ("61% …, trong đó 44% … 17% …"): each is one target with
the clause around it as its text.  The comparator comes from the qualifier standing right before
the figure; the year from the sentence ("đến năm 2025") or the enclosing heading ("a) Đến năm 2020").
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

from ..model import Document, Section
from ..text_utils import fold
from .parts import target_parts, task_parts
from .records import Target

FIGURE = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d+)?)\s*(%|phần trăm)")
YEAR = re.compile(r"(?:đến|tới|trước|trong|vào)\s+(?:cuối\s+)?năm\s+(\d{4})|năm\s+(\d{4})\s*:", re.I)
SUBGROUP_OPEN = re.compile(r"\(\s*trong đó", re.I)
# qualifiers are matched on folded text just before the figure
GREATER = ("tren", "hon", "vuot")
AT_LEAST = ("it nhat", "toi thieu", "phan dau", "phan dau dat", "khong duoi", "khong it hon")
LEADING_NOISE = re.compile(r"^(?:[-+;,:.\s]|trong đó|và|có|đảm bảo|phấn đấu|phân đầu|ít nhất|tối thiểu|đạt|trên|hơn)+", re.I)


def _value(raw: str) -> float:
    return float(raw.replace(",", "."))


def _year_of(section: Section, in_target_part: bool) -> Optional[int]:
    if not in_target_part:
        return None
    for node in [section, *section.ancestors()]:
        m = YEAR.search(node.heading)
        if m:
            return int(m.group(1) or m.group(2))
    return None


def _comparator(before: str, after: str) -> str:
    tail = fold(before)[-24:]
    words = tail.split()
    last = words[-1] if words else ""
    if re.match(r"^\s*trở lên", after):
        return ">="
    if last in GREATER and not tail.endswith("tong so"):
        return ">"
    if any(tail.endswith(q) or tail.endswith(q + " co") or tail.endswith(q + " dat") for q in AT_LEAST):
        return ">="
    if re.search(r"\bphan dau\b", fold(before)):
        return ">="
    return "="


def _pieces(sentence: str) -> Iterator[tuple[str, re.Match, str]]:
    """(clause text, figure match within the sentence, text before the figure inside its clause)."""
    figures = list(FIGURE.finditer(sentence))
    if not figures:
        return
    cuts = [0]
    for prev, nxt in zip(figures, figures[1:]):
        gap = sentence[prev.end(): nxt.start()]
        offset = prev.end()
        m = re.search(r"[,;(]?\s*trong đó", gap, re.I)
        if m:
            cuts.append(offset + m.start())
        elif re.match(r"\s*[,)]", gap):  # "… đạt trên 85%, tiểu học …": the clause ends at the figure
            cuts.append(offset + gap.index(gap.strip()[0]) + 1 if gap.strip() else offset)
        elif "," in gap:
            cuts.append(offset + gap.rindex(",") + 1)
        else:
            cuts.append(offset + len(gap) - len(gap.lstrip()))
    cuts.append(len(sentence))
    clauses = [(sentence[a:b], a) for a, b in zip(cuts, cuts[1:])]
    short_heads = all(len(fold(sentence[f.end():cuts[i + 1]]).split()) <= 4 for i, f in enumerate(figures[:-1]))
    figure_first = not re.sub(r"\W|co|it nhat|toi thieu|phan dau", "", fold(sentence[: figures[0].start()]))
    for i, figure in enumerate(figures):
        clause, start = clauses[i]
        before = sentence[start: figure.start()]
        text = clause
        if len(figures) > 1 and short_heads and figure_first:
            # "100% các trường THPT, 50% trường THCS, 30% … được trang bị …": one shared predicate
            text = sentence
        yield _tidy(text), figure, before


def _tidy(text: str) -> str:
    text = text.strip().strip(";,.").strip()
    text = re.sub(r"^[,;)\s]+|[(\s]+$", "", text)
    if text.count("(") > text.count(")"):
        text = text.replace("(", "", 1) if text.rfind("(") < 0 else text + ")"
    return re.sub(r"\s+", " ", text).strip()


def _subject(text: str, figure: str) -> str:
    rest = text.replace(figure, " ", 1)
    rest = re.sub(r"\d{1,3}(?:[.,]\d+)?\s*%", " ", rest)
    rest = re.sub(r"\b(?:Tỷ lệ|tỷ lệ)\b", " ", rest)
    rest = LEADING_NOISE.sub("", rest.strip())
    rest = re.sub(r"^(?:các|những)\s+", "", rest.strip())
    rest = re.sub(r"(?:\s+(?:đạt|là|trên|hơn|tối thiểu|ít nhất|trung bình))+\s*$", "", rest)
    return re.sub(r"\s+", " ", rest).strip(" ,;:.")


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[;.])\s+(?=\S)", text)
    return [p for p in parts if FIGURE.search(p)]


def _section_texts(section: Section) -> Iterator[str]:
    yield section.heading
    for item in section.items:
        if item.kind != "table_row":
            yield item.text


PAREN_WITH_FIGURE = re.compile(r"\((?:[^()]*?)\d\s*%[^()]*\)")
TOPIC = re.compile(r"^[^:%]{3,60}:\s+(?=\S)")
ELIDED_HEAD = re.compile(r"^\s*(?:đạt|được|có|sử dụng|ở|tham gia)\b", re.I)
TRAILING_REFERENCE = re.compile(r"\s+theo (?:quy định|hướng dẫn|chủ trương) (?:tại|của)\b.*$", re.I)


def _targets_in_sentence(sentence: str) -> Iterator[tuple[str, str, re.Match, str, str]]:
    """(text, subject, figure, before, after) for each figure; parenthesised sub-groups
    ("(trong đó khu vực thuận lợi ít nhất 60%)") are taken apart from the main clause."""
    sentence = TOPIC.sub("", sentence.strip())
    groups = [m.group(0).strip("()") for m in PAREN_WITH_FIGURE.finditer(sentence)]
    main = re.sub(r"\s+", " ", PAREN_WITH_FIGURE.sub(" ", sentence))
    previous: tuple[str, str] | None = None  # (text before the figure, subject) of the last piece
    for chunk in [main, *groups]:
        for text, figure, before in _pieces(chunk):
            text = TRAILING_REFERENCE.sub("", text)
            subject = _subject(text, figure.group(0))
            if previous and not before.strip(" ,;") and ELIDED_HEAD.match(chunk[figure.end():]):
                # "95% cán bộ … đạt chuẩn cơ bản, 20% đạt chuẩn nâng cao": the noun is elided
                head = re.split(r"\s(?:đạt|được|có|sử dụng|tham gia)\s", previous[1])[0]
                subject = f"{head} {subject}"
            elif previous and previous[0].strip() and not before.strip(" ,;"):
                # "Tỷ trọng … đạt trung bình 4% ở cấp tiểu học, 8% ở cấp trung học"
                text = f"{previous[0].strip()} {text}"
                subject = _subject(text, figure.group(0))
            yield text, subject, figure, before, chunk[figure.end():]
            previous = (before, subject)
        previous = None


def extract_targets(doc: Document) -> list[Target]:
    found: list[Target] = []
    parts = [(p, True) for p in target_parts(doc)] + [(p, False) for p in task_parts(doc)]
    for part, is_target_part in parts:
        for section in part.walk():
            default_year = _year_of(section, is_target_part)
            for paragraph in _section_texts(section):
                for sentence in _sentences(paragraph):
                    m = YEAR.search(sentence)
                    year = int(m.group(1) or m.group(2)) if m else default_year
                    for text, subject, figure, before, after in _targets_in_sentence(sentence):
                        found.append(Target(
                            section=section.path, text=text, value=_value(figure.group(1)), unit="%",
                            comparator=_comparator(before, after), year=year, subject=subject,
                        ))
    return found
