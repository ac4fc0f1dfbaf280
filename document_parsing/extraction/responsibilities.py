"""Responsibilities: who does what in the "Tổ chức thực hiện" part and in the plan's tables.

In the text, a responsibility item is a section whose heading names one or more agencies
("2. Sở Tài chính: …", "1.1. Sở Giáo dục và Đào tạo", "8. Đề nghị Viettel …, VNPT …"); group
headings ("Trách nhiệm của các sở, ban, ngành") are looked through.  Each named agency gets one
record per item with the strongest role it has there: "chủ trì" if it leads, else "phối hợp" if its
text opens by cooperating, else "thực hiện".  When an item names several agencies, a paragraph
that opens with one of them speaks for that one only.  Agencies after "phối hợp với" are partners.

In tables, one record per agency per row, the role given by the column (chủ trì / phối hợp /
thực hiện).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from ..agency_names import folded_agency
from ..model import Document, Section
from ..text_utils import clean_space, fold, fold_startswith
from .agencies import agencies_and_rest, canonical_agency, is_vague, split_agencies, starts_with_head, starts_with_stop
from .appendix import split_partners
from .parts import organisation_parts
from .records import Responsibility
from .tables import TableLayout, layouts, section_of

RANK = {"chủ trì": 3, "thực hiện": 2, "phối hợp": 1}
# (the look-ahead at "c" first: the look-behinds are then tried only where "chủ trì" can start)
LEADS = re.compile(r"(?=c)(?<!đơn vị )(?<!cơ quan )\bchủ trì\b", re.I)
PARTNER_CUE = re.compile(r"phối hợp với\s*", re.I)
# What may stand before the agencies an item is about: a request, an assignment, "Trách nhiệm của".
REQUEST = re.compile(r"^(?:Đề nghị|Giao|Trách nhiệm của|Nhiệm vụ của|Đối với)\s+", re.I)


@lru_cache(maxsize=1024)  # keys are whole paragraphs: enough for one plan, little memory
def _named(text: str) -> tuple[tuple[str, ...], str]:
    """The agencies a heading or paragraph opens with (vague collectives dropped) and the rest.
    Cached: a heading is asked as an item, as the child of a possible group, and again by the
    deadlines for the agency of every section under it."""
    names, rest = agencies_and_rest(REQUEST.sub("", clean_space(text)))
    return tuple(n for n in names if not is_vague(n)), rest


def _bodies(item: Section, rest: str) -> list[str]:
    """What the item says its agencies do: the heading's remainder, its paragraphs, sub-items."""
    rest = rest.lstrip(" :.-").rstrip()  # keep a final ":" — "phối hợp với các Sở:" lists them next
    texts = [rest] if rest else []
    texts += [i.text for i in item.items if i.kind != "table_row"]
    for child in item.walk():
        if child is not item:
            texts.append(child.text())
    return [t for t in texts if t]


def _role(texts: list[str]) -> str:
    if any(LEADS.search(t) for t in texts):
        return "chủ trì"
    if texts and fold_startswith(texts[0], "phoi hop"):
        return "phối hợp"
    return "thực hiện"


# "Chủ trì, phối hợp với … tổ chức …": the role words before what is to be done
ROLE_WORDS = re.compile(r"^(?:Là [^,;]*?,\s*)?(?:Chủ trì|Phối hợp)(?:,\s*|\s+)(?:phối hợp với [^;]*?(?=\s(?:tổ chức|triển khai"
                        r"|thực hiện|xây dựng|bố trí|tham mưu|hướng dẫn)))?", re.I)


def _strip_role_words(text: str) -> str:
    return ROLE_WORDS.sub("", text).strip(" ,;:")


def _task(texts: list[str]) -> str:
    return _strip_role_words(clean_space("; ".join(t.rstrip(" ;.") for t in texts)))[:1000]


def _item_responsibilities(item: Section, agencies: tuple[str, ...], rest: str, own_text: bool = True) -> list[Responsibility]:
    bodies = _bodies(item, rest) if own_text else [rest.strip(" :.-")]
    keys = {folded_agency(a): a for a in agencies}
    own: dict[str, list[str]] = {k: [] for k in keys}
    shared: list[str] = []
    for body in bodies:
        opener, _ = _named(body)
        key = folded_agency(opener[0]) if opener else None
        if key in own and len(keys) > 1:
            own[key].append(body)
        else:
            shared.append(body)
    found: dict[str, Responsibility] = {}

    def add(name: str, role: str, task: str) -> None:
        key = folded_agency(name)
        old = found.get(key)
        if old is None or RANK[role] > RANK[old.role]:
            found[key] = Responsibility(item.path, canonical_agency(name), role, task)

    for key, name in keys.items():
        texts = own[key] + shared
        add(name, _role(texts), _task(texts))
    joined = " ".join(bodies)  # "phối hợp với các Sở:" may list its members in the next paragraph
    for cue in PARTNER_CUE.finditer(joined):
        after = joined[cue.end():]
        partners = [name for name in split_agencies(after) if not is_vague(name)]
        task = _task([after]) if partners else ""  # the same for every partner the cue names
        for name in partners:
            add(name, "phối hợp", task)
    return list(found.values())


def _is_reporting_title(section: Section) -> bool:
    return "bao cao" in fold(section.heading) and len(section.heading.split()) <= 8


def _wrapped(item: Section) -> bool:
    """Whether the item's heading runs on into its first paragraph ("6. Đề nghị Viễn thông Cần" /
    "Thơ và Chi nhánh Viettel Cần Thơ …"), as hard-wrapped text and PDF lines leave it."""
    if item.children or not item.items or item.items[0].kind != "paragraph":
        return False
    first = item.items[0].text
    words = first.split()
    if not words or not item.heading:
        return False
    if item.heading.rstrip().endswith((",", " và")) or words[0][:1].islower():
        return True
    if REQUEST.match(first) or starts_with_head(first) or starts_with_stop(first):
        return False
    return len(words) > 1 and (words[1][:1].isupper() or words[1] == "và")


def _is_group(section: Section) -> bool:
    """"1. Trách nhiệm của các sở, ban, ngành" over "1.1. Sở Giáo dục …", "1.2. Sở Tài chính …": a
    heading whose sub-items name their own agencies groups them; it is no agency item itself."""
    naming = sum(1 for child in section.children if _named(child.heading)[0])
    return naming >= 2 and naming * 2 >= len(section.children)


def _walk(section: Section) -> list[Responsibility]:
    found: list[Responsibility] = []
    for child in section.children:
        if _wrapped(child):
            agencies, rest = _named(child.text())
            if agencies:
                found.extend(_item_responsibilities(child, agencies, rest, own_text=False))
                continue
        agencies, rest = _named(child.heading)
        if agencies and not _is_group(child):
            found.extend(_item_responsibilities(child, agencies, rest))
        else:
            found.extend(_walk(child))
    found.extend(_unnumbered_items(section))
    return found


def _unnumbered_items(section: Section) -> list[Responsibility]:
    """Bulleted or plain paragraphs that open with agencies ("- Sở Tài chính: chủ trì …") in a
    section that names none itself: one record per agency and section, the strongest role."""
    if section.parent is not None and _named(section.heading)[0]:
        return []
    merged: dict[str, Responsibility] = {}
    for item in section.items:
        if item.kind == "table_row":
            continue
        agencies, rest = _named(item.text)
        if not agencies or not (rest.startswith(":") or starts_with_stop(rest.lstrip(" :,-"))):
            continue
        holder = Section(section.label, section.path, "", section.kind, item.location)
        for found in _item_responsibilities(holder, agencies, rest):
            key = fold(found.agency)
            if key not in merged or RANK[found.role] > RANK[merged[key].role]:
                merged[key] = found
    return list(merged.values())


def _table_responsibilities(doc: Document, table: TableLayout) -> list[Responsibility]:
    found: list[Responsibility] = []
    columns = [(table.lead, "chủ trì"), (table.partner, "phối hợp"), (table.performer, "thực hiện")]
    for row in table.rows:
        section = section_of(doc, table.table, row)
        task = table.cell(row, table.task).rstrip(" .;")
        seen: set[str] = set()
        for column, role in columns:
            for name in split_partners(table.cell(row, column)):
                key = folded_agency(name)
                if key and key not in seen and not is_vague(name):
                    seen.add(key)
                    found.append(Responsibility(section, canonical_agency(name), role, task))
    return found


def extract_responsibilities(doc: Document) -> list[Responsibility]:
    found: list[Responsibility] = []
    for part in organisation_parts(doc):
        found.extend(_walk(part))
    for table in layouts(doc):
        if table.has_agencies and (table.table.section == "" or _in_parts(table.table.section, organisation_parts(doc))):
            found.extend(_table_responsibilities(doc, table))
    return found


def _in_parts(path: str, parts: list[Section]) -> bool:
    return any(path == p.path or path.startswith(p.path + ".") for p in parts)


def primary_agency(item: Section) -> Optional[str]:
    """The first agency an item's heading names (for deadlines that item sets)."""
    names, _ = _named(item.heading)
    return canonical_agency(names[0]) if names else None
