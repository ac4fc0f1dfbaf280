"""Which Roman-numbered parts of a plan hold what: objectives, tasks, organisation."""
from __future__ import annotations

from ..model import Document, Section
from ..text_utils import fold
from .figures import is_situation_heading, vocabulary


def _heading(section: Section) -> str:
    return fold(section.heading)


def target_parts(doc: Document) -> list[Section]:
    """Top-level parts about objectives: "MỤC TIÊU", "MỤC TIÊU, CHỈ TIÊU", "CHỈ TIÊU …", "KẾT QUẢ
    CẦN ĐẠT" (words in vocab/targets.yml), but not a review of past results ("KẾT QUẢ THỰC HIỆN CÁC
    CHỈ TIÊU NĂM 2023")."""
    words = [fold(w) for w in vocabulary().target_part_words]
    return [s for s in doc.sections if any(w in _heading(s) for w in words) and not is_situation_heading(s.heading)]


def task_parts(doc: Document) -> list[Section]:
    keys = ("nhiem vu", "giai phap")
    return [s for s in doc.sections if any(k in _heading(s) for k in keys) and "muc tieu" not in _heading(s)]


def organisation_parts(doc: Document) -> list[Section]:
    return [s for s in doc.sections if "to chuc thuc hien" in _heading(s) or "trach nhiem" in _heading(s)]


def reporting_parts(doc: Document) -> list[Section]:
    """A part of its own on reporting ("V. CHẾ ĐỘ THÔNG TIN, BÁO CÁO"): it gives deadlines only."""
    organisation = organisation_parts(doc)
    return [s for s in doc.sections if "bao cao" in _heading(s) and s not in organisation]
