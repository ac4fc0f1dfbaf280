"""Tasks: the lettered (or bulleted) items of the plan's "nhiệm vụ / giải pháp" parts."""
from __future__ import annotations

from ..model import Document
from .records import Task
from .parts import task_parts


def _clean(text: str) -> str:
    return text.strip().rstrip(".;").strip()


def extract_tasks(doc: Document) -> list[Task]:
    """A task is a leaf item of a tasks part: a lettered item, or each bullet under its heading."""
    found: list[Task] = []
    for part in task_parts(doc):
        for section in part.walk():
            if section is part:
                continue
            bullets = [i for i in section.items if i.kind == "list_item"]
            if bullets:
                found.extend(Task(section.path, _clean(b.text)) for b in bullets)
            elif not section.children and section.kind == "letter":
                found.append(Task(section.path, _clean(section.text())))
            elif not section.children and section.parent is part:
                found.append(Task(section.path, _clean(section.text())))
    return found
