"""Vietnam's administrative areas as the plans name them: area keys, levels, parent provinces.

Plans (2017–2024) name the divisions as they were before the 2025 reorganisation: 63 provinces
with their districts.  Those come from the maintained ``vietnam-provinces`` 0.6.0 package
(divisions as of 2025-01-04, General Statistics Office codes), loaded once; the few names that
plans still use but that the dataset no longer lists (merged districts, a renamed province,
common abbreviations) are in ``data/former_areas.csv``, each with its legal source.

A place no dataset knows (a fictional or newly created one) gets its parent from the plan that
names it: "trên địa bàn huyện X, tỉnh Y", a district issuer that cites one province, a
province's plan that names its districts.  :func:`learn_links` finds those links in a plan's
text; the knowledge base stores them (:mod:`knowledge.area_models`) and passes them back to
:func:`parents` and :func:`covers` as a plain ``{child key: {parent keys}}`` mapping.

Everything here is plain data in and out; comparisons are accent-insensitive and ignore the
spelling variants of ethnic-minority names ("Cư M'gar" = "Cư Mgar" = "cu m'gar", "Krông A Na" =
"Krông Ana").  A key is the folded place name without its administrative word: "huyện Mường Tè"
→ "muong te", "Ủy ban nhân dân thành phố Cần Thơ" → "can tho".
"""
from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Optional

from document_parsing.text_utils import clean_space, fold

PROVINCE = "tỉnh"
DISTRICT = "huyện"
COMMUNE = "xã"
_RANK = {COMMUNE: 0, DISTRICT: 1, PROVINCE: 2}
_CITY_RANK = 1.5  # "thành phố X" unknown to the dataset: above a district, below a province

FORMER_AREAS = Path(__file__).with_name("data") / "former_areas.csv"

Links = Mapping[str, Iterable[str]]
"""Parents learnt from documents: child key → parent keys (see :func:`learn_links`)."""

# Administrative words, folded, longest first; the value is the level they give.  Commune words
# count only at the start of an area ("xã Kan Hồ, huyện Mường Tè"): inside an agency's name
# "xã" is mostly "xã hội".
_ADMIN = (("thanh pho", "city"), ("thi tran", COMMUNE), ("thi xa", DISTRICT), ("tinh", PROVINCE),
          ("huyen", DISTRICT), ("quan", DISTRICT), ("tp", "city"), ("tx", DISTRICT),
          ("phuong", COMMUNE), ("xa", COMMUNE))
_LEADING_ONLY = {"thi tran", "phuong", "xa"}
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_WORD = re.compile(r"[0-9a-z]+")
_FINAL_K = re.compile(r"k\b")
_PART_BREAK = re.compile(r"[,;()|]")


def _words(text: str) -> list[str]:
    """Folded words, apostrophes dropped inside names ("M'gar" → "mgar")."""
    return _WORD.findall(_APOSTROPHES.sub("", fold(text or "")))


@dataclass(frozen=True)
class _Province:
    key: str
    name: str  # as in the dataset: "Thành phố Cần Thơ", "Tỉnh Lai Châu"
    city: bool  # a centrally-run city (thành phố trực thuộc trung ương)

    @property
    def short(self) -> str:
        """The name without "Tỉnh"/"Thành phố": "Cần Thơ"."""
        return self.name.split(" ", 2)[2] if self.city else self.name.split(" ", 1)[1]


@dataclass(frozen=True)
class _Divisions:
    provinces: dict[str, _Province]
    districts: dict[str, frozenset[str]]  # district key → keys of the provinces having one of that name
    compact: dict[str, str]  # key without spaces → key, for spelling variants
    loose: dict[str, str]  # the same with word-final k as c ("Đắk Lắk" = "Đắc Lắc")
    aliases: dict[str, str]  # another name of a province → its key
    former: dict[str, frozenset[str]]  # a district the dataset no longer lists → province keys


def _strip_type(name: str) -> str:
    """"Huyện Cư M'gar" → "Cư M'gar" (the dataset's names start with their type)."""
    words = _words(name)
    for admin, _level in _ADMIN:
        parts = admin.split()
        if words[:len(parts)] == parts:
            return " ".join(words[len(parts):])
    return " ".join(words)


@lru_cache(maxsize=1)
def _divisions() -> _Divisions:
    """The dataset, indexed once per process (the JSON is 2 MB; wards are not used)."""
    import vietnam_provinces

    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        raw = json.load(handle)
    provinces: dict[str, _Province] = {}
    districts: dict[str, set[str]] = defaultdict(set)
    for province in raw:
        key = _strip_type(province["name"])
        provinces[key] = _Province(key, province["name"], fold(province["name"]).startswith("thanh pho"))
        for district in province["districts"]:
            districts[_strip_type(district["name"])].add(key)
    aliases: dict[str, str] = {}
    former: dict[str, set[str]] = defaultdict(set)
    with open(FORMER_AREAS, encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            name, province = _strip_type(row["former"]), _strip_type(row["province"])
            if province not in provinces:
                raise ValueError(f"{FORMER_AREAS.name}: “{row['province']}” không có trong danh mục tỉnh")
            if _level_word(row["former"]) in (PROVINCE, None) and name not in districts:
                aliases[name] = province
            else:
                former[name].add(province)
    compact = {key.replace(" ", ""): key for key in [*districts, *former, *provinces]}
    compact.update({key.replace(" ", ""): key for key in aliases})
    loose = {_loose(key): key for key in reversed(list(compact.values()))}
    return _Divisions(provinces, {k: frozenset(v) for k, v in districts.items()}, compact, loose, aliases,
                      {k: frozenset(v) for k, v in former.items()})


def _loose(key: str) -> str:
    return _FINAL_K.sub("c", key).replace(" ", "")


def _level_word(text: str) -> Optional[str]:
    words = _words(text)
    for admin, level in _ADMIN:
        if words[:len(admin.split())] == admin.split():
            return level
    return None


def _canonical(words: list[str]) -> str:
    """The dataset's spelling of a place when it knows the place, else the folded words."""
    data = _divisions()
    joined = " ".join(words)
    key = data.compact.get(joined.replace(" ", "")) or data.loose.get(_loose(joined), joined)
    return data.aliases.get(key, key)


# ---------------------------------------------------------------------------- parsing an area


@dataclass(frozen=True)
class AreaName:
    """One area as written: its key, its level ("tỉnh", "huyện", "xã" or "" when neither the
    text nor the dataset says) and the keys of the higher areas written after it ("huyện Tân
    Phước, tỉnh Hòa An": ``parents == ("hoa an",)``)."""

    key: str
    level: str
    parents: tuple[str, ...] = ()


def _segments(text: str) -> list[tuple[str, Optional[str]]]:
    """(key, administrative level word or None) of each area named in ``text``, in order.
    Words before the first administrative word of a comma-separated part are an agency's name
    and dropped ("Sở Giáo dục và Đào tạo tỉnh X" → X)."""
    out: list[tuple[str, Optional[str]]] = []
    for part in _PART_BREAK.split(_APOSTROPHES.sub("", text or "")):
        words = _words(part)
        if not words:
            continue
        cuts: list[tuple[int, int, str]] = []  # (start, end, level) of each administrative word
        i = 0
        while i < len(words):
            for admin, level in _ADMIN:
                size = len(admin.split())
                if words[i:i + size] == admin.split() and (admin not in _LEADING_ONLY or i == 0) \
                        and i + size < len(words):
                    cuts.append((i, i + size, level))
                    i += size - 1
                    break
            i += 1
        if not cuts:
            out.append((_canonical(words), None))
            continue
        for n, (_start, end, level) in enumerate(cuts):
            stop = cuts[n + 1][0] if n + 1 < len(cuts) else len(words)
            if words[end:stop]:
                out.append((_canonical(words[end:stop]), level))
    return out


def _level(key: str, word: Optional[str]) -> str:
    data = _divisions()
    if word in (PROVINCE, DISTRICT, COMMUNE):
        return word
    if word == "city":  # thành phố: centrally-run (province level) or of a province (district level)
        province = data.provinces.get(key)
        return PROVINCE if province is not None and province.city else DISTRICT
    if key in data.provinces:
        return PROVINCE
    if key in data.districts or key in data.former:
        return DISTRICT
    return ""


def _rank(key: str, word: Optional[str]) -> Optional[float]:
    data = _divisions()
    if word == "city" and key not in data.provinces and key not in data.districts:
        return _CITY_RANK
    return _RANK.get(_level(key, word))


def parse_area(text: Optional[str]) -> AreaName:
    """The first area named in ``text`` with the higher areas written after it."""
    return _parse_area(text or "")


@lru_cache(maxsize=8192)
def _parse_area(text: str) -> AreaName:  # progress of a plan checks every unit's area: parse each once
    segments = _segments(text)
    if not segments:
        return AreaName("", "")
    key, word = segments[0]
    rank = _rank(key, word)
    higher: list[str] = []
    for other, other_word in segments[1:]:
        other_rank = _rank(other, other_word)
        if other == key or other in higher:
            continue
        if rank is None or other_rank is None or other_rank > rank:
            higher.append(other)
            rank = other_rank if other_rank is not None else rank
    return AreaName(key, _level(key, word), tuple(higher))


def area_key(area: Optional[str]) -> str:
    """The place name of an area or an issuer, folded, without the administrative word:
    "Ủy ban nhân dân thành phố Cần Thơ" → "can tho", "huyện Cư M'gar, tỉnh Đắk Lắk" → "cu mgar".
    Text naming no administrative area keeps its folded words ("Trường THPT X" → "truong thpt x")."""
    return parse_area(area).key


def area_level(area: Optional[str]) -> str:
    """"tỉnh" (a province or a centrally-run city: "thành phố Cần Thơ"), "huyện" (a district,
    quận, thị xã or a province's city: "thành phố Đà Lạt"), "xã", or "" when unknown."""
    return parse_area(area).level


def is_known(area: Optional[str]) -> bool:
    """Does the dataset (or the list of former names) know this place?"""
    data = _divisions()
    key = area_key(area)
    return key in data.provinces or key in data.districts or key in data.former


def province_name(key: str) -> Optional[str]:
    """The dataset's name of a province key ("lai chau" → "Tỉnh Lai Châu"), or None."""
    province = _divisions().provinces.get(key)
    return province.name if province else None


def provinces_in(text: Optional[str]) -> list[str]:
    """Provinces named in ``text`` — with or without diacritics, whole words, former and short
    names too ("Thừa Thiên Huế", "TP.HCM") — as the dataset names them without "Tỉnh"/"Thành
    phố" ("Hồ Chí Minh"), in the order written, each once.  Tells "a place the KB has no plan
    for" from "no place named": a question about Hà Nội must not be answered from Cần Thơ's plan."""
    data = _divisions()
    words = _words(text or "")
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            key = " ".join(words[i:i + size])
            key = data.aliases.get(key, key)
            if key in data.provinces:
                name = data.provinces[key].short
                if name not in found:
                    found.append(name)
                i += size - 1
                break
        i += 1
    return found


def parents(area: Optional[str], links: Optional[Links] = None) -> frozenset[str]:
    """Keys of the provinces (or, for a commune, districts) an area may belong to: every
    province of the dataset having a district of that name (Châu Thành is in eleven), the
    former names' provinces, and the links learnt from documents; or the one written in
    ``area`` itself ("huyện Tân Phước, tỉnh Hòa An" → "hoa an")."""
    data = _divisions()
    name = parse_area(area)
    if name.parents:  # written: "huyện Tân Phước, tỉnh Hòa An"
        return frozenset(name.parents[:1])
    key = name.key
    found = set(data.districts.get(key, ())) | set(data.former.get(key, ()))
    if links:
        found.update(links.get(key, ()))
    found.discard(key)  # thành phố Lai Châu in tỉnh Lai Châu
    return frozenset(found)


def ancestors(area: Optional[str], links: Optional[Links] = None) -> frozenset[str]:
    """Every higher area: those written in ``area`` ("huyện X, tỉnh Y"), else its
    :func:`parents`; for a commune, its district's too.  A district's parents are provinces:
    nothing above them is looked up (a fictional tỉnh Hòa An is not the huyện Hòa An of Cao Bằng)."""
    name = parse_area(area)
    first = list(name.parents) or sorted(parents(name.key, links))
    found = set(first)
    if name.level == COMMUNE and len(name.parents) < 2:
        for key in first:
            found |= parents(key, links)
    found.discard(name.key)
    return frozenset(found)


def covers(plan_area: Optional[str], unit_area: Optional[str], links: Optional[Links] = None) -> bool:
    """Does a plan issued for ``plan_area`` cover a unit of ``unit_area``: the same place, or
    one of the unit's higher areas?  A unit written with its province ("huyện Tân Phước, tỉnh
    Hòa An") belongs to that province only, whatever the dataset says of the name."""
    plan, unit = parse_area(plan_area), parse_area(unit_area)
    if not plan.key:
        return False
    if plan.key == unit.key:
        return not (plan.parents and unit.parents and plan.parents[0] != unit.parents[0])
    return plan.key in ancestors(unit_area, links)


# ---------------------------------------------------------------------------- learning from a plan


@dataclass(frozen=True)
class AreaLink:
    """``child`` lies in ``parent`` (keys), as a document says; names as written, for display."""

    child: str
    child_level: str
    child_name: str
    parent: str
    parent_name: str


# (the look-ahead of the alternatives' first letters lets most positions of a text fail at once)
_ADMIN_TEXT = re.compile(r"(?=[thqxp])(?<!\w)(thành phố|tp\.?|tỉnh|huyện|quận|thị xã|tx\.?|thị trấn|xã|phường)(?!\w)",
                         re.IGNORECASE)
_NAME_WORD = re.compile(r" ?([^\W_][\w'’ʼ-]*)")
_CHAIN_GAP = re.compile(r"\s*(?:,|-|–|thuộc|trực thuộc)?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class _Mention:
    key: str
    word: Optional[str]
    name: str  # "huyện Hòa Mỹ"
    start: int
    end: int


def _mentions(text: str) -> list[_Mention]:
    """Areas written with their administrative word and a capitalised name in running text."""
    return _mentions_in(clean_space(text))


def _mentions_in(text: str) -> list[_Mention]:
    """:func:`_mentions` of a text already through :func:`clean_space` (offsets are into it)."""
    out: list[_Mention] = []
    for match in _ADMIN_TEXT.finditer(text):
        if out and match.start() < out[-1].end:
            continue
        pos, words = match.end(), []
        while len(words) < 5:
            word = _NAME_WORD.match(text, pos)
            if not word or not (word.group(1)[0].isupper() or word.group(1)[0].isdigit()) \
                    or _ADMIN_TEXT.fullmatch(word.group(1)):
                break
            words.append(word.group(1))
            pos = word.end()
        if not words:
            continue
        admin = match.group(1)
        name = " ".join(words)
        name = name.title() if name.isupper() else name
        out.append(_Mention(_canonical(_words(name)), _level_word(admin.rstrip(".")), f"{admin.lower()} {name}",
                            match.start(), pos))
    return out


def _link(child: _Mention, parent: _Mention) -> AreaLink:
    return AreaLink(child.key, _level(child.key, child.word), child.name, parent.key, parent.name)


def learn_links(issuer: Optional[str], texts: Iterable[str]) -> list[AreaLink]:
    """The parent links a plan states about places, from its header, title and body:

    * a chain "thị trấn A, huyện B, tỉnh C" (or "huyện B thuộc tỉnh C"): A in B, B in C;
    * a district issuer the dataset does not place ("Ủy ban nhân dân huyện Hòa Mỹ"), in the
      province the plan names most ("Kế hoạch … của Ủy ban nhân dân tỉnh Sơn Giang");
    * a province's plan naming districts: those the dataset does not know, or all of them when
      the province itself is unknown (a new or fictional province), lie in that province.
    """
    data = _divisions()
    links: dict[tuple[str, str], AreaLink] = {}
    mentions: list[_Mention] = []
    for text in texts:
        plain = clean_space(text or "")
        found = _mentions_in(plain)
        for lower, upper in zip(found, found[1:]):
            low, high = _rank(lower.key, lower.word), _rank(upper.key, upper.word)
            if lower.key != upper.key and low is not None and high is not None and high > low \
                    and _CHAIN_GAP.fullmatch(plain[lower.end:upper.start]):
                links.setdefault((lower.key, upper.key), _link(lower, upper))
        mentions.extend(found)

    issuer_areas = _mentions(issuer or "")
    if not issuer_areas:  # a school or an agency without a place in its name: nothing to place
        return list(links.values())
    own = issuer_areas[0]
    rank = _rank(own.key, own.word)
    placed = {child for child, _parent in links}
    if rank is not None and rank < _RANK[PROVINCE]:
        if own.key in placed or parents(own.key):
            return list(links.values())
        counts = Counter(m.key for m in mentions if m.key != own.key and _rank(m.key, m.word) == _RANK[PROVINCE])
        best = counts.most_common(2)
        if best and (len(best) == 1 or best[0][1] > best[1][1]):
            province = next(m for m in mentions if m.key == best[0][0])
            links[(own.key, province.key)] = _link(own, province)
    elif rank == _RANK[PROVINCE]:
        unknown_province = own.key not in data.provinces
        for m in mentions:
            if m.key in placed or m.key == own.key or m.word != DISTRICT:  # huyện, quận, thị xã
                continue
            if unknown_province or not (m.key in data.districts or m.key in data.former):
                links.setdefault((m.key, own.key), _link(m, own))
    return list(links.values())


__all__ = ["AreaLink", "AreaName", "Links", "ancestors", "area_key", "area_level", "covers", "is_known",
           "learn_links", "parents", "parse_area", "province_name", "provinces_in", "COMMUNE", "DISTRICT", "PROVINCE"]
