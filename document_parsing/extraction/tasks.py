"""Tasks: the leaf items of the plan's "nhiệm vụ / giải pháp" parts.

A task is the smallest unit of action the plan numbers or bullets: each bullet of a leaf section,
else the leaf section itself.  A heading that only introduces what follows ("…, bao gồm:",
"… như sau:") is not a task; its sub-items are.
"""
from __future__ import annotations

import re

from ..model import Document, Item, Section
from .parts import task_parts
from .records import Task

# A heading that is a title ("An toàn, an ninh thông tin"), not a sentence: short, no final stop.
TITLE_WORDS = 14
FINAL_STOP = re.compile(r"[.;]$")


def _clean(text: str) -> str:
    return text.strip().rstrip(".;").strip()


def _introduces(text: str) -> bool:
    """"Phát triển kho học liệu số của nhà trường, cụ thể:" — a lead-in to the items below it."""
    return text.rstrip().endswith(":")


def _bullet_tasks(items: list[Item]) -> list[str]:
    """Each bullet; a bullet that introduces sub-bullets of another marker gives way to them."""
    bullets = [i for i in items if i.kind == "list_item"]
    texts: list[str] = []
    for n, item in enumerate(bullets):
        following = bullets[n + 1] if n + 1 < len(bullets) else None
        if _introduces(item.text) and following is not None and following.bullet != item.bullet:
            continue
        texts.append(item.text)
    return texts


def _is_title(section: Section) -> bool:
    heading = section.heading.strip()
    return bool(heading) and len(heading.split()) <= TITLE_WORDS and not FINAL_STOP.search(heading)


def _leaf_task(section: Section) -> list[str]:
    bullets = _bullet_tasks(section.items)
    if bullets:
        return bullets
    paragraphs = [i.text for i in section.items if i.kind == "paragraph"]
    if paragraphs and _is_title(section):
        return [" ".join(paragraphs)]
    return [section.text()] if section.text() else []


def extract_tasks(doc: Document) -> list[Task]:
    found: list[Task] = []
    for part in task_parts(doc):
        for section in part.walk():
            if section is part or section.children:
                continue
            found.extend(Task(section.path, _clean(t)) for t in _leaf_task(section) if _clean(t))
    return found
