"""Which parts of a plan hold what: objectives, tasks, organisation, reporting.

A part is found by the words of its title ("MỤC TIÊU", "NHIỆM VỤ, GIẢI PHÁP", "TỔ CHỨC THỰC
HIỆN", "CHẾ ĐỘ BÁO CÁO").  Usually the parts are the plan's top-level sections; when the plan wraps
them in an outer level ("Phần II. NỘI DUNG KẾ HOẠCH" → "I. MỤC TIÊU" …) they are looked for one
level down, inside top-level sections that are no part themselves.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from ..model import Document, Section
from ..text_utils import fold
from .figures import is_situation_heading, vocabulary

# A title, not a sentence that happens to name objectives ("1. Cụ thể hóa mục tiêu, nhiệm vụ …").
TITLE_WORDS = 16


def _heading(section: Section) -> str:
    return _folded(section.heading)


@lru_cache(maxsize=4096)
def _folded(heading: str) -> str:
    """A heading folded once: each extractor asks for the parts again, each part kind tests each heading."""
    return fold(heading)


@lru_cache(maxsize=1)
def _target_part_words() -> tuple[str, ...]:
    return tuple(fold(w) for w in vocabulary().target_part_words)


def _is_title(section: Section) -> bool:
    heading = section.heading.strip()
    return 0 < len(heading.split()) <= TITLE_WORDS and not heading.endswith((".", ";"))


def _is_target(s: Section) -> bool:
    """Objectives by the words of vocab/targets.yml, but not a review of past results ("KẾT QUẢ
    THỰC HIỆN CÁC CHỈ TIÊU NĂM 2023")."""
    h = _heading(s)
    return any(w in h for w in _target_part_words()) and not is_situation_heading(s.heading)


def _is_task(s: Section) -> bool:
    h = _heading(s)
    return any(k in h for k in ("nhiem vu", "giai phap", "noi dung thuc hien", "noi dung trien khai")) \
        and not _is_target(s) and not _is_organisation(s)


def _is_organisation(s: Section) -> bool:
    h = _heading(s)
    return any(k in h for k in ("to chuc thuc hien", "trach nhiem", "phan cong"))


def _is_reporting(s: Section) -> bool:
    return "bao cao" in _heading(s) and not _is_organisation(s)


KINDS: tuple[Callable[[Section], bool], ...] = (_is_target, _is_task, _is_organisation, _is_reporting)


def _parts(doc: Document, kind: Callable[[Section], bool]) -> list[Section]:
    top = [s for s in doc.sections if kind(s)]
    if top:
        return top
    wrappers = [s for s in doc.sections if not any(k(s) for k in KINDS)]
    return [c for w in wrappers for c in w.children if _is_title(c) and kind(c)]


def target_parts(doc: Document) -> list[Section]:
    """Parts about objectives: "MỤC TIÊU", "MỤC TIÊU, CHỈ TIÊU", "CHỈ TIÊU …", "KẾT QUẢ CẦN ĐẠT"."""
    return _parts(doc, _is_target)


def task_parts(doc: Document) -> list[Section]:
    return _parts(doc, _is_task)


def organisation_parts(doc: Document) -> list[Section]:
    return _parts(doc, _is_organisation)


def reporting_parts(doc: Document) -> list[Section]:
    """A part of its own on reporting ("V. CHẾ ĐỘ THÔNG TIN, BÁO CÁO"): it gives deadlines only."""
    organisation = organisation_parts(doc)
    return [s for s in _parts(doc, _is_reporting) if s not in organisation]
