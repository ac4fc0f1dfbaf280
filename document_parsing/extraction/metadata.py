"""Document metadata: number, issuer, level, date, parent decisions, title, period.

Read from the front matter (header block, title, the "Thực hiện Quyết định số …" sentence) and,
when the header is missing, from the appendix caption ("Kèm theo Kế hoạch số … ngày …").
"""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

from ..model import Document
from ..text_utils import fold_startswith
from ..agency_names import canonical_agency
from .records import DocumentInfo

DOC_NUMBER = r"\d+[a-zA-Z]?(?:/\d{4})?/[A-ZĐ]{1,6}(?:-[A-ZĐa-zđ]{1,8}){0,3}"
OWN_NUMBER = re.compile(rf"(?:Số|Số hiệu)\s*:?\s*({DOC_NUMBER}|/[A-ZĐ]+-[A-ZĐa-z]+)")
ATTACHED = re.compile(rf"(?:Kèm|Kem) theo Kế hoạch (?:số\s*)?({DOC_NUMBER})(?:\s*ngày\s*(\d{{1,2}})/(\d{{1,2}})/(\d{{4}}))?", re.I)
TITLE_NUMBER = re.compile(rf"^Kế hoạch (?:số\s*)?({DOC_NUMBER})", re.I)
DATE_LONG = re.compile(r"ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.I)
DATE_PRINTED = re.compile(r"ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.I)
NAME_WORD = r"[A-ZĐÀ-Ỹ][a-zà-ỹđ]*(?:'[A-ZĐÀ-Ỹa-zà-ỹđ]+)?"
PERSON = re.compile(rf"(?<!\S)((?:{NAME_WORD}\s+){{1,4}}{NAME_WORD})\s*$")
SIGNER_FIELD = re.compile(r"Người ký\s*:?\s*([^\n]+?)\s*(?:Lĩnh vực|$)")
DATE_SHORT = re.compile(r"(?:Ngày ban hành|ban hành ngày)\s*:?\s*(\d{1,2})/(\d{1,2})/(\d{4})", re.I)
ISSUER = re.compile(r"(?:ỦY|UỶ|Ủy|Uỷ)\s+BAN\s+NHÂN\s+DÂN\s+(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ)\s+([A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ' -]*?[A-ZĐÀ-Ỹ])(?=\s+(?:CỘNG|Số|[-–]|$)|$)")
# the national motto printed beside the issuer; in a PDF's text layer its words interleave with it.
# (MOTTO and PARENT_INLINE open with a look-ahead at the letters they can start with: the scan
# passes over every other position at once instead of trying each alternative there.)
MOTTO = re.compile(r"(?=[CVĐ-])(?:CỘNG\s+HÒA\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA|VIỆT\s+NAM|Độc\s+lập\s*-\s*Tự\s+do\s*-\s*Hạnh\s+phúc|-{3,})")
AREA = re.compile(r"trên địa bàn (tỉnh|thành phố|huyện|quận|thị xã) ((?:[A-ZĐÀ-Ỹ][\wà-ỹđ']*\s?){1,4})")
ISSUER_SENTENCE = re.compile(r"(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND)\s+(tỉnh|thành phố|huyện|quận|thị xã)\s+((?:[A-ZĐÀ-Ỹ][\wà-ỹđ']*\s?){1,4})", re.U)
# The documents a plan carries out ("Thực hiện", "Triển khai", "cụ thể hóa"); "Căn cứ" cites legal bases.
PARENT_CUE = re.compile(r"^(?:Thực hiện|Triển khai)\b", re.I)
BASIS_IMPLEMENTED = re.compile(r"^Căn cứ\s+Kế hoạch\b.*?\svề(?: việc)? triển khai\b", re.I)
PARENT_INLINE = re.compile(r"(?=[ctđ])\b(?:cụ thể hóa|cụ thể hoá|triển khai thực hiện|để thực hiện)\b", re.I)
DOC_NUMBERS = re.compile(DOC_NUMBER)
SPACES = re.compile(r"\s+")
YEARS = re.compile(r"\b(20\d\d|19\d\d)\b")
OFFICE_AREA = re.compile(r"\b(tỉnh|thành phố|huyện|quận|thị xã)\s+(.+)$")
TITLE_ATTACHMENT = re.compile(r"\s*\((?:Ban hành|Kèm|Kem) theo")  # "(Ban hành kèm theo …)" after a title
OPENING_QUOTE_LETTER = re.compile(r"“(\w)")
TITLE_PLACE = re.compile(r"(tỉnh|thành phố|huyện|quận) ((?:\w+ ?){1,3})$")
LEVELS = {"tỉnh": "tỉnh", "thành phố": "tỉnh", "huyện": "huyện", "quận": "huyện", "thị xã": "huyện"}
# The issuing office in the header, in capitals: a Sở, a Phòng or a school ("TRƯỜNG THPT LÊ QUÝ ĐÔN");
# the last body named before "Số:" is the issuer, the one above it its superior.
OFFICE_HEADS = {"SỞ": "sở", "PHÒNG": "phòng", "TRƯỜNG": "trường"}
OFFICE_LEVEL = {"sở": "tỉnh", "phòng": "huyện", "trường": "trường"}
# School levels written as abbreviations inside a school's name stay in capitals.
SCHOOL_ABBREVIATIONS = {"THPT", "THCS", "TH", "MN", "PTDTBT", "PTDTNT", "THCS&THPT", "TH&THCS", "GDTX", "GDNN-GDTX"}


def _iso(day: str, month: str, year: str) -> Optional[str]:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _place(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in name.split())


def extract_metadata(doc: Document) -> DocumentInfo:
    front = [i.text for i in doc.preamble]
    closing = " ".join(i.text for i in doc.closing) + " " + " ".join(t.caption for t in doc.tables)
    head = SPACES.sub(" ", MOTTO.sub(" ", " ".join(front)))
    info = DocumentInfo()

    m = OWN_NUMBER.search(head)
    attached = ATTACHED.search(closing) or ATTACHED.search(head)
    if m:
        info.number = m.group(1) if not m.group(1).startswith("/") else None
    elif attached:
        info.number = attached.group(1)
    elif front and (t := TITLE_NUMBER.search(front[0])):
        info.number = t.group(1)

    d = DATE_LONG.search(head[: head.find("KẾ HOẠCH") if "KẾ HOẠCH" in head else len(head)]) or DATE_SHORT.search(head)
    if d:
        info.date = _iso(*d.groups())
    elif attached and attached.group(2):
        info.date = _iso(attached.group(2), attached.group(3), attached.group(4))

    info.issuer, info.level = _issuer(head, front, closing)

    own_header = head[: head.find("KẾ HOẠCH")] if "KẾ HOẠCH" in head else head
    m = DATE_PRINTED.search(own_header) or DATE_PRINTED.search(head)
    if m:
        day, month, year = m.groups()
        info.date_printed = (f"ngày {day} " if day else "") + f"tháng {int(month)} năm {year}"
    elif info.date:
        year, month, day = (int(x) for x in info.date.split("-"))
        info.date_printed = f"ngày {day} tháng {month} năm {year}"
    info.signer = _signer(front, [i.text for i in doc.closing])
    info.title = _title(front)
    parents: list[str] = []
    for text in front:
        cue = PARENT_CUE.search(text) or PARENT_INLINE.search(text)
        implemented = BASIS_IMPLEMENTED.search(text)
        if cue is None and implemented is None:
            continue
        # "Căn cứ Kế hoạch số … về việc triển khai Đề án …": a basis that is itself being carried out
        scope = text[cue.start():] if cue is not None else text[: implemented.end()]
        for number in DOC_NUMBERS.findall(scope):
            if number != info.number and number not in parents:
                parents.append(number)
    info.parent = parents
    years = [int(y) for y in YEARS.findall(info.title or "")]
    if years:
        info.period = [min(years), max(years)]
    return info


def _header_block(head: str) -> str:
    """The header before the document's number or title, where the issuing body is printed."""
    cut = min([i for i in (head.find("Số:"), head.find("Số :"), head.find("SỐ:"), head.find("KẾ HOẠCH"), head.find("QUYẾT ĐỊNH"))
               if i >= 0] or [len(head)])
    return head[:cut]


def _office_name(kind: str, rest: str, place: Optional[str]) -> str:
    """"SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH BÌNH LÂM" → "Sở Giáo dục và Đào tạo tỉnh Bình Lâm"."""
    words = rest.split()
    if kind == "trường":
        cased = [w if w in SCHOOL_ABBREVIATIONS else _place(w) for w in words]
        return "Trường " + " ".join(cased)
    low = " ".join(words).lower()
    m = OFFICE_AREA.search(low)
    body, area = (low[: m.start()].strip(), f"{m.group(1)} {_place(m.group(2))}") if m else (low, place)
    name = canonical_agency(f"{kind.capitalize()} {body}")
    return f"{name} {area}".strip() if area else name


def _issuer(head: str, front: list[str], closing: str) -> tuple[Optional[str], Optional[str]]:
    """(issuer, level): the last body named in the header — a People's Committee, a Sở, a Phòng
    or a school — else the sentence that says who issues the plan, else the title's area."""
    block = _header_block(head)
    candidates: list[tuple[int, str, str]] = []
    ubnd_place = None
    for m in ISSUER.finditer(block):
        kind = m.group(1).lower()
        ubnd_place = f"{kind} {_place(m.group(2))}"
        candidates.append((m.start(), f"Ủy ban nhân dân {ubnd_place}", LEVELS[kind]))
    words = block.split()
    for i, word in enumerate(words):
        kind = OFFICE_HEADS.get(word)
        if kind is None:
            continue
        name = []
        for w in words[i + 1:]:
            if not w.isupper() or w in OFFICE_HEADS or w.startswith(("CỘNG", "ỦY", "UỶ", "-", "|")):
                break
            name.append(w)
        if name:
            position = len(" ".join(words[:i]))
            candidates.append((position, _office_name(kind, " ".join(name), ubnd_place), OFFICE_LEVEL[kind]))
    if candidates:
        _, name, level = max(candidates)
        return name, level
    # the sentence that says who issues this plan, not the ones citing other documents
    own = [t for t in front if "ban hành" in t and not PARENT_CUE.search(t)]
    m = next(filter(None, (ISSUER_SENTENCE.search(t) for t in own)), None) or ISSUER_SENTENCE.search(closing)
    if m is None and (area := AREA.search(_title(front) or "")):
        m = area  # "Ủy ban nhân dân thành phố ban hành …" names no place: the title does
    if m:
        kind = m.group(1).lower()
        return f"Ủy ban nhân dân {kind} {m.group(2).strip()}", LEVELS[kind]
    return None, None


def _signer(front: list[str], closing: list[str]) -> Optional[str]:
    """The signer: a "Người ký" field in copied front matter, else the name that ends the
    signature block (after "TM. ỦY BAN NHÂN DÂN … CHỦ TỊCH"), before any appendix."""
    for text in front:
        m = SIGNER_FIELD.search(text)
        if m:
            return m.group(1).strip()
    block: list[str] = []
    for text in closing:
        if fold_startswith(text, "phu luc"):
            break
        block.append(text)
    for text in reversed(block):
        m = PERSON.search(text)
        if m and not text.rstrip().endswith(":") and len(m.group(1).split()) >= 2:
            return m.group(1)
    return None


def _title(front: list[str]) -> Optional[str]:
    """"KẾ HOẠCH" followed by its subject, in sentence case."""
    for i, text in enumerate(front):
        if not fold_startswith(text, "ke hoach"):
            continue
        if len(text.split()) <= 3 and i + 1 < len(front):
            rest = front[i + 1]
        elif text[:8].isupper():
            rest = text[len("KẾ HOẠCH"):].strip()
        else:
            continue
        rest = TITLE_ATTACHMENT.split(rest)[0].strip()
        if rest.isupper():
            rest = rest.lower()
            rest = OPENING_QUOTE_LETTER.sub(lambda m: "“" + m.group(1).upper(), rest)
            rest = TITLE_PLACE.sub(lambda m: m.group(1) + " " + _place(m.group(2)), rest)
        return f"Kế hoạch {rest[:1].lower()}{rest[1:]}".strip()
    return None
