"""Agency names: recognising them in running text and writing them one canonical way.

Plans write the same body many ways ("Sở GD&ĐT", "Sở GDĐT", "Sở Giáo dục và Đào tạo") and list
several in one breath ("các Sở: Tài chính, Kế hoạch và Đầu tư").  The vocabulary below is the
ordinary structure of Vietnamese local government, not any one plan's wording.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from ..agency_names import canonical_agency
from ..text_utils import clean_space, fold, fold_aligned
from ..vocab import load_vocabulary

VOCABULARY = load_vocabulary("agencies")
DEPARTMENTS: list[str] = VOCABULARY["departments"]
HEADS: tuple[str, ...] = tuple(VOCABULARY["heads"]) + tuple(h.lower() for h in VOCABULARY["heads"])
STOPS: tuple[str, ...] = tuple(VOCABULARY["stops"])
COLLECTIVES: tuple[str, ...] = tuple(fold(c) for c in VOCABULARY["collectives"])
# Collective or vague mentions: collectives are kept as printed, vague ones dropped.
VAGUE = re.compile(r"^(?:các |những )?(?:cơ quan|đơn vị|tổ chức|địa phương|ngành|bộ phận)(?:,? (?:cơ quan|đơn vị|đơn vị|địa phương|ban|ngành))*(?: có)? liên quan$|liên quan$|^(?:các )?đơn vị chủ trì$|^các đơn vị$", re.I)
PLACES = r"(?:các\s+)?(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn)(?:\s*,\s*(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn))*"


# Words that add nothing to a collective ("các cơ quan, đơn vị có liên quan", "đơn vị được giao").
FILLER = frozenset("co lien quan va duoc thuoc truc tren dia ban khac".split())


COLLECTIVES_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(COLLECTIVES, key=len, reverse=True))


@lru_cache(maxsize=4096)
def is_vague(name: str) -> bool:
    """"Các cơ quan, đơn vị liên quan", "các đơn vị": a collective that names no body.  (Cached:
    the same name is asked about for every record, role and deadline it appears in.)"""
    if VAGUE.search(clean_space(name)):
        return True
    words = NON_WORD.sub(" ", fold(name)).split()
    if words and words[0] in ("cac", "nhung"):
        words = words[1:]
    text = " ".join(words)
    for collective in COLLECTIVES_LONGEST_FIRST:
        text = text.replace(collective, " ")
    return not (set(text.split()) - FILLER)


HEAD_START = re.compile(r"^(?:" + "|".join(sorted(map(re.escape, set(HEADS)), key=len, reverse=True)) + r")(?:\s|$)")


# Heads of two words or more also match without their accents ("Chỉ nhánh" as OCR reads "Chi nhánh"):
# one-syllable heads do not ("Bộ" must not match "Bổ sung").
LONG_HEADS = sorted({fold(h) for h in HEADS if " " in h}, key=len, reverse=True)
LONG_HEAD_START = re.compile(r"^(?:" + "|".join(map(re.escape, LONG_HEADS)) + r")(?:\s|$)")


HEAD_PREFIXES: tuple[str, ...] = tuple(set(HEADS))
LONG_HEAD_PREFIXES: tuple[str, ...] = tuple(LONG_HEADS)


def _may_start_with_head(text: str) -> bool:
    """Whether ``text`` begins with the letters of an agency head — what :func:`_starts_with_head`
    needs of any beginning of ``text``, without its word-end test: a cheap test before working out
    where a name would end in a long paragraph."""
    return text.startswith(HEAD_PREFIXES) or fold_aligned(text[:40]).startswith(LONG_HEAD_PREFIXES)


def _starts_with_head(fragment: str) -> bool:
    return HEAD_START.match(fragment) is not None or LONG_HEAD_START.match(fold_aligned(fragment[:40])) is not None


def starts_with_head(text: str) -> bool:
    """Whether ``text`` opens with a word that begins an agency name ("Sở", "Tổ", "Giáo viên" …),
    written with a capital or not."""
    if _starts_with_head(text):
        return True
    capitalised = text[:1].upper() + text[1:]
    return capitalised != text and _starts_with_head(capitalised)


FOLDED_STOPS = frozenset(fold(s) for s in STOPS) | {"dong thoi"}


def starts_with_stop(text: str) -> bool:
    """Whether ``text`` opens with a verb or connective that starts an action ("Chủ trì", "Xây dựng")."""
    # Only the first three words count: they are read from the first 80 characters when those
    # hold a fourth word (so the third is whole), not from the whole rest of a long paragraph
    # (this runs after every comma of an agency list).
    words = NON_WORD.sub(" ", fold(text[:80])).split()
    if len(words) < 4 and len(text) > 80:
        words = NON_WORD.sub(" ", fold(text)).split()
    return any(" ".join(words[:n]) in FOLDED_STOPS for n in (1, 2, 3))


NON_WORD = re.compile(r"[^\w\s]")
# the leftmost stop word, as a whole word (the padded text has a space at each end)
STOP_WORDS = re.compile(r" (?=(?:" + "|".join(map(re.escape, sorted(set(STOPS), key=len, reverse=True))) + r") )")


def _cut_at_stop(fragment: str) -> tuple[str, bool]:
    """The agency part of ``fragment`` and whether a verb (the end of the list) was met."""
    low = " " + NON_WORD.sub(" ", fragment.lower()) + " "  # same length as fragment, padded
    m = STOP_WORDS.search(low)
    if m:
        return fragment[: m.start()].strip(), True
    return fragment.strip(), False


def split_agencies(text: str) -> list[str]:
    """The agencies listed at the start of ``text`` ("Sở Tài chính, Sở Kế hoạch và Đầu tư và các
    Sở, ban, ngành … bố trí …"), as printed; the list stops at the first verb."""
    return agencies_and_rest(text)[0]


def agencies_and_rest(text: str) -> tuple[list[str], str]:
    """:func:`split_agencies` and the text that follows the list (what they are to do)."""
    names, rest = _agencies_and_rest(clean_space(text))
    return list(names), rest


SHARED_HEAD = re.compile(r"^(?:các\s+)?(Sở|Phòng)\s*:\s*(.*)$", re.I)
AND_WITH = re.compile(r"^(?:và|với)\s+")
# (department as printed in the vocabulary, its folded form), longest first
DEPARTMENTS_FOLDED: tuple[tuple[str, str], ...] = tuple((d, fold(d)) for d in sorted(DEPARTMENTS, key=len, reverse=True))


@lru_cache(maxsize=1024)  # keys are whole paragraphs: enough for one plan, little memory
def _agencies_and_rest(text: str) -> tuple[tuple[str, ...], str]:
    """:func:`agencies_and_rest` of clean text.  Cached: a heading is read as an item, as a child of
    a possible group and again for the deadlines it sets; a paragraph as an item and as a body."""
    # "các Sở: Tài chính, Kế hoạch và Đầu tư" → "Sở Tài chính, Sở Kế hoạch và Đầu tư"
    m = SHARED_HEAD.match(text)
    shared_head = m.group(1).capitalize() if m else None
    if m:
        text = m.group(2)
    names: list[str] = []
    rest = text
    while rest:
        rest = rest.lstrip(" ,;")
        rest = AND_WITH.sub("", rest)
        if not rest:
            break
        if shared_head and not _starts_with_head(rest):
            folded_rest = fold(rest) if rest[:1].isupper() else ""
            dept = next((d for d, folded in DEPARTMENTS_FOLDED if folded_rest and folded_rest.startswith(folded)), None)
            if dept is None:
                break
            names.append(f"{shared_head} {rest[:len(dept)]}")
            rest = rest[len(dept):]
            continue
        shared_head = None
        name, after, stopped = _take_one(rest)
        if not name:
            break
        names.append(name)
        rest = after
        if stopped:
            break
    return tuple(names), rest.lstrip(" ,;:.")


def _proper_name(text: str) -> str:
    """The capitalised words at the start of ``text`` ("Lâm Đồng"), stopping at a capitalised
    verb that begins the next sentence ("Chủ trì", "Căn cứ")."""
    words = text.split()
    taken: list[str] = []
    for i, word in enumerate(words):
        bare = word.strip(",;:.()").lower()
        pair = f"{bare} {words[i + 1].strip(',;:.()').lower()}" if i + 1 < len(words) else bare
        if not word[:1].isupper() or pair in STOPS or bare in STOPS:
            break
        taken.append(word)
        if word[-1:] in ",;:.)":
            break
    return (" " + " ".join(taken)) if taken else ""


HEAD_AFTER_AND = re.compile(r"\s+và\s+(?=(?:" + "|".join(map(re.escape, HEADS)) + r")\b)")
LONG_HEAD_AFTER_AND = re.compile(r"\s+va\s+(?=(?:" + "|".join(map(re.escape, LONG_HEADS)) + r")\b)")


def _first_segment(text: str) -> str:
    """The text up to the next agency in a list: a comma or "và" followed by an agency head.  A
    comma followed by anything else continues the name ("Trung tâm Văn hóa, Thông tin và Thể thao",
    "Các trường mầm non, tiểu học")."""
    end = len(text)
    m = HEAD_AFTER_AND.search(text)
    if m:
        end = m.start()
    comma = _name_ending_comma(text, end)
    # An unaccented "va" + head before ``end`` moves the end there, and the commas are read again
    # up to it; one after the comma that ends the name changes nothing, so it is not looked for.
    limit = end if comma is None else comma.end() + 1
    long_and = _long_head_after_and(text, end, limit)
    if long_and is not None:
        end = long_and
        comma = _name_ending_comma(text, end)
    return text[: comma.start()] if comma else text[:end]


def _name_ending_comma(text: str, end: int) -> Optional[re.Match]:
    """The first comma before ``end`` after which the name does not go on: the text ends, another
    agency, a verb, a parenthesis or quote, or a clause word follows it."""
    for comma in COMMA.finditer(text, 0, end):
        after = text[comma.end():]
        if not after or starts_with_head(after) or starts_with_stop(after) or after[:1] in "(\"“" \
                or CLAUSE_WORD.match(after):
            return comma
    return None


# how far past its start a LONG_HEAD_AFTER_AND match reads in single-spaced text: " va ", the
# longest head, and the character its word end is tested against
LONG_HEAD_REACH = len(" va ") + max(map(len, LONG_HEADS), default=0) + 1


def _long_head_after_and(text: str, end: int, limit: int) -> Optional[int]:
    """Where LONG_HEAD_AFTER_AND first matches the folded ``text[:end]``, if before ``limit``.

    Only the text up to ``limit`` and a match's reach is folded (a paragraph's rest is long, a name
    short): folding is character by character, so that is the start of the whole fold, and in
    single-spaced text a match starting before ``limit`` lies within it, its word end included.
    Text with other spacing is folded up to ``end``, as a run of spaces has no bound."""
    stop = min(end, limit + LONG_HEAD_REACH)
    window = text[:stop]
    if stop < end and not (window.isprintable() and "  " not in window):
        window = text[:end]
    m = LONG_HEAD_AFTER_AND.search(fold_aligned(window))
    return m.start() if m and m.start() < limit else None


COMMA = re.compile(r",\s*")
# a comma followed by one of these words ends the name: what follows is a clause, not more of it
CLAUSE_WORD = re.compile(r"(?:và|với|để|nhằm|trong|theo|có|được)\b")


DEPARTMENT_NAME = re.compile(r"^(Sở|Phòng)\s+(?:" + "|".join(map(re.escape, sorted(DEPARTMENTS, key=len, reverse=True)))
                             + rf")(?=$|[\s,;:.])(\s+{PLACES})?", re.I)


PLURAL = re.compile(r"^(?:các|những)\s+(.*)$", re.I)


def _names_a_body(name: str) -> bool:
    """"Các trường …", "các tổ trưởng …", "các cơ quan …" name bodies; "Các nội dung công việc …"
    does not: after "các" must come an agency head or a collective noun."""
    m = PLURAL.match(name)
    if not m:
        return True
    rest = m.group(1)
    return starts_with_head(rest) or any(fold(rest).startswith(c) for c in COLLECTIVES)


PEOPLES_COMMITTEE = re.compile(rf"^((?:Ủy|Uỷ) ban nhân dân|UBND)\s+({PLACES})")
DEPARTMENTS_COLLECTIVE = re.compile(r"^(?:[Cc]ác\s+)?(?:sở|Sở),\s*ban,\s*ngành(?:,\s*(?:địa phương|đoàn thể))*"
                                    r"(?:\s+(?:tỉnh|thành phố|huyện))?(?:\s+(?:có\s+)?liên quan)?")


def _take_one(text: str) -> tuple[str, str, bool]:
    """One agency from the start of ``text``: (name, the rest, whether the list ended)."""
    # Ủy ban nhân dân + places: "Ủy ban nhân dân quận, huyện", "UBND các xã, thị trấn"
    m = PEOPLES_COMMITTEE.match(text)
    if m:
        end = m.end()
        if not m.group(2).startswith("các") and "," not in m.group(2):
            end += len(_proper_name(text[end:]))  # "Ủy ban nhân dân tỉnh Lâm Đồng"
        return text[:end].strip(), text[end:], False
    m = DEPARTMENT_NAME.match(text)
    if m:
        end = m.end()
        if m.group(2) and not m.group(2).strip().startswith("các") and "," not in m.group(2):
            end += len(_proper_name(text[end:]))  # "Sở Giáo dục và Đào tạo tỉnh Bình Lâm"
        return text[:end], text[end:], False
    # collective: "các Sở, ban, ngành, địa phương", "các sở, ban, ngành thành phố"
    m = DEPARTMENTS_COLLECTIVE.match(text)
    if m:
        return m.group(0), text[m.end():], False
    if not _may_start_with_head(text):
        return "", "", True  # no beginning of it names a body: no need to find where the name would end
    # anything else: up to the next comma / "và" + head, or the first verb
    first = _first_segment(text)
    name, stopped = _cut_at_stop(first)
    rest = text[len(first):] if not stopped else text[len(name):]
    if not name or not _starts_with_head(name) or not _names_a_body(name):
        return "", "", True
    return name, rest, stopped
