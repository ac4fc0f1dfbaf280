"""Responsibilities: who does what in the "Tổ chức thực hiện" part and in the appendix table.

One record per agency per numbered item, with the strongest role it has there: "chủ trì" if it
leads (anywhere in the item or its lettered sub-items), else "thực hiện" if it acts on its own,
else "phối hợp".  Agencies named after "phối hợp với …" are partners of that item.
"""
from __future__ import annotations

import re

from ..model import Document, Section
from ..text_utils import clean_space, fold
from .agencies import agencies_and_rest, canonical_agency, is_vague, split_agencies
from .appendix import extract_projects
from .parts import organisation_parts
from .records import Responsibility

RANK = {"chủ trì": 3, "thực hiện": 2, "phối hợp": 1}
LEADS = re.compile(r"(?<!đơn vị )(?<!cơ quan )\bchủ trì\b", re.I)
PARTNER_CUE = re.compile(r"phối hợp với\s*", re.I)


def _bodies(item: Section) -> list[str]:
    """The item's own paragraphs after its heading, then each lettered sub-item's text."""
    texts = [i.text for i in item.items] if item.children else []
    for child in item.walk():
        if child is not item:
            texts.append(child.text())
    return [t for t in texts if t]


def _role(bodies: list[str]) -> str:
    joined = " ".join(bodies)
    if LEADS.search(joined):
        return "chủ trì"
    if bodies and fold(bodies[0]).startswith("phoi hop"):
        return "phối hợp"
    return "thực hiện"


def _task(bodies: list[str]) -> str:
    text = clean_space("; ".join(b.rstrip(" ;.") for b in bodies))
    text = re.sub(r"^(?:Chủ trì|Phối hợp)(?:,\s*|\s+)(?:phối hợp với [^;]*?(?=\s(?:tổ chức|triển khai|thực hiện|xây dựng|bố trí)))?", "", text, flags=re.I)
    return text.strip(" ,;")[:1000]


def _item_responsibilities(item: Section) -> list[Responsibility]:
    heading = item.text() if not item.children else item.heading
    heading = re.sub(r"^(?:Đề nghị)\s+", "", heading)
    named, rest = agencies_and_rest(heading)
    agencies = [a for a in named if not is_vague(a)]
    if not agencies:
        return []
    # the item's own text after the agency names ("Sở Tài chính: Phối hợp với …"), then sub-items
    bodies = [b for b in [rest.strip(" :.-")] if b] + _bodies(item)
    if not item.children:
        bodies = [b for b in [rest.strip(" :.-")] if b]
    found: dict[str, Responsibility] = {}
    task = _task(bodies)

    def add(name: str, role: str) -> None:
        key = fold(canonical_agency(name))
        old = found.get(key)
        if old is None or RANK[role] > RANK[old.role]:
            found[key] = Responsibility(item.path, canonical_agency(name), role, task)

    role = _role(bodies)
    for name in agencies:
        add(name, role)
    for body in bodies:
        for cue in PARTNER_CUE.finditer(body):
            for name in split_agencies(body[cue.end():]):
                if not is_vague(name):
                    add(name, "phối hợp")
    return list(found.values())


def extract_responsibilities(doc: Document) -> list[Responsibility]:
    found: list[Responsibility] = []
    for part in organisation_parts(doc):
        for item in part.children:
            found.extend(_item_responsibilities(item))
    for project in extract_projects(doc):
        section = f"PL.{project.no}"
        if project.lead:
            found.extend(Responsibility(section, canonical_agency(n), "chủ trì", project.name)
                         for n in split_partners_safe(project.lead))
        for partner in project.partners:
            found.append(Responsibility(section, canonical_agency(partner), "phối hợp", project.name))
    return found


def split_partners_safe(cell: str) -> list[str]:
    from .appendix import split_partners

    return split_partners(cell) or [cell]
