"""Retrieval for free-text questions: which plan(s) a question names, and which facts of a kind
answer it, ranked.

The chatbot cannot rely on the user typing a plan's exact words: questions come without
diacritics, with abbreviations ("tthc", "gv", "kh") and typos, and a plan ingested after the bot
was trained must be answerable.  So every current plan is turned, on first use, into searchable
units (one per target, task, deadline, appendix project, section sentence, and one per
responsibility *item* with all its agencies), scored with :func:`textsearch.coverage`.  Place
names for plan resolution are read from the issuers in the KB, never listed in code.

The index is cached per database and rebuilt only for plans whose current version changed
(units are keyed on the document id, and a re-ingest creates a new id); the cheap staleness
check is one ``max(id), count(*)`` query per question.
"""
from __future__ import annotations

import re
import threading
import time
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db import session_scope
from . import fulltext, models, queries
from .queries import Cited, PlanInfo
from .textsearch import (YEAR, Doc, Query, Vocabulary, agency_key, best_window, coverage, first_sentences,
                         folded_words, make_query, matched_share, names_agency)
from document_parsing.text_utils import fold_words

KINDS = ("target", "responsibility", "deadline", "task", "project", "passage", "document")
PLACE_MATCH = 82  # fuzzy ratio (0..100) for a place name typed with a typo or without spaces
_ADMIN_WORDS = re.compile(r"^(ủy ban nhân dân|uỷ ban nhân dân|ubnd)\s+", re.I)
_LEVEL_WORDS = re.compile(r"^(tỉnh|thành phố|tp\.?|huyện|quận|thị xã|xã|phường|thị trấn)\s+", re.I)


# ---------------------------------------------------------------------------- result types


@dataclass(kw_only=True)
class Passage(Cited):
    """One sentence of a section body: answers what no extracted fact covers."""

    text: str
    heading: str


@dataclass(kw_only=True)
class ResponsibilityItem(Cited):
    """One numbered item of "Tổ chức thực hiện" with every agency named in it, so that an
    answer gives the lead *and* all partners of the same item."""

    task: str
    members: list[tuple[str, str]]  # (agency, role) in the plan's order

    def agencies(self, role: Optional[str] = None) -> list[str]:
        return [a for a, r in self.members if role is None or r == role]


HEADING_YEAR = re.compile(r"năm\s+(\d{4})", re.I)


@dataclass
class Hit:
    """A fact with its score (see :func:`textsearch.coverage`) and the key of the facts that
    answer together (same sentence for targets, same item for the others)."""

    kind: str
    plan: str
    fact: object
    score: float
    group: tuple = ()
    year: Optional[int] = None
    matched: float = 0.0  # textsearch.matched_share: how much of the question the fact covers
    doc: Optional[Doc] = None  # the words it was matched on (fact, heading, sentence)


@dataclass
class _Unit:
    kind: str
    fact: object
    doc: Doc
    group: tuple
    year: Optional[int] = None
    agencies: tuple[tuple[str, str], ...] = ()  # (agency_key, role) named in the fact
    heads: tuple[str, ...] = ()  # agency keys the item's heading starts with: whose item it is
    keys: tuple[tuple[str, int], ...] = ()  # (kind, row id) of its rows in the full-text index


@dataclass
class _PlanIndex:
    info: PlanInfo
    places: list[list[str]]  # folded place names ("can tho")
    number: Optional[str]  # "148" from "148/KH-UBND"
    title_words: frozenset[str] = frozenset()
    units: list[_Unit] = field(default_factory=list)
    document_id: int = 0
    pairs: frozenset[str] = frozenset()  # every word pair of its facts and sentences (answerability)
    words: frozenset[str] = frozenset()
    by_kind: dict[str, list["_Unit"]] = field(default_factory=dict)  # its units per kind


@dataclass
class _Snapshot:
    key: tuple
    plans: "OrderedDict[str, _PlanIndex]"
    vocab: Vocabulary
    average_length: dict[str, float] = field(default_factory=dict)  # per kind, for length damping
    # full-text row (kind, id) → the units it belongs to, with their plan: candidates → units
    by_key: dict[tuple[str, int], list[tuple[str, "_Unit"]]] = field(default_factory=dict)
    # distinct place names (folded, joined) → plans, and plan number → plans: plan resolution
    # looks each distinct name up once, not once per plan
    places: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, list[str]] = field(default_factory=dict)
    url: str = ""
    stems: list[str] = field(default_factory=list)  # every current plan, in order
    title_words: frozenset[str] = frozenset()  # the words of every plan's title
    rows: int = 0  # full-text rows of the current plans: how costly a ranked query over all is
    units: int = 0  # searchable units of the current plans
    place_keys: dict[str, list[str]] = field(default_factory=dict)  # "cantho" → ["can tho"]
    place_words: int = 0  # words of the longest place name

    @property
    def version(self) -> tuple:
        """Which database and which state of it: the key of per-question memos."""
        return (self.url, self.key)


_cache: dict[str, _Snapshot] = {}
_plan_cache: dict[tuple[str, int], _PlanIndex] = {}
_lock = threading.Lock()


# ---------------------------------------------------------------------------- building




KEY_TTL = 2.0  # seconds a checked KB state is trusted: one check per question, not one per search
_checked: dict[str, tuple[float, tuple]] = {}


def _kb_key(session: Session) -> tuple:
    """``(max id, count)`` of the current plan versions: changes when a plan is (re)ingested."""
    url = str(session.get_bind().url)
    now = time.monotonic()
    checked = _checked.get(url)
    if checked is not None and now - checked[0] < KEY_TTL:
        return checked[1]
    key = _read_kb_key(session)
    _checked[url] = (now, key)
    return key


def forget_kb_state() -> None:
    """Check the KB's state at the next search (called by the ingest of this process)."""
    _checked.clear()


def _read_kb_key(session: Session) -> tuple:
    row = session.execute(select(func.max(models.Document.id), func.count(models.Document.id))
                          .where(models.Document.is_current.is_(True))).one()
    return tuple(row)


# A place or a school named in an issuer or a title: the capitalised words after a level word
# ("tỉnh Ngọc Sơn", "huyện Hòa Mỹ", "Trường THPT Lê Quý Đôn").
_NAMED_PLACE = re.compile(r"(?:tỉnh|thành phố|huyện|quận|thị xã|thị trấn|xã|phường|"
                          r"trường (?:THPT|THCS|TH|PTDTBT|PTDTNT|tiểu học|mầm non|trung học (?:cơ sở|phổ thông)))"
                          r"\s+((?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ][\wÀ-ỹ]*\s*){1,4})", re.I)


def _place_names(issuer: Optional[str], title: Optional[str] = None) -> list[list[str]]:
    """Folded place names of a plan: its issuer's area ("Ủy ban nhân dân thành phố Cần Thơ" →
    ["can", "tho"]) and the places or school its issuer and title name ("tỉnh Ngọc Sơn",
    "Trường THPT Lê Quý Đôn"), for an issuer that is not a People's Committee."""
    places: list[list[str]] = []
    if issuer:
        name = _LEVEL_WORDS.sub("", _ADMIN_WORDS.sub("", issuer.strip()))
        words = fold_words(name)
        if words and not re.match(r"(?i)(sở|phòng|trường|ban|bộ)\b", name):
            places.append(words)
    for source in (issuer, title):
        for match in _NAMED_PLACE.finditer(source or ""):
            capitalised = []
            for word in match.group(1).split():
                if not word[:1].isupper():
                    break
                capitalised.append(word)
            words = fold_words(" ".join(capitalised))
            if words and words not in places:
                places.append(words)
    return places


def _number_key(number: Optional[str]) -> Optional[str]:
    match = re.match(r"\s*(\d+)", number or "")
    return match.group(1) if match else None


def _sentence_index(sentences: list[list[str]], text: str) -> int:
    words = set(folded_words(text))
    best, best_i = 0.0, -1
    for i, sentence in enumerate(sentences):
        common = len(words & set(sentence))
        score = common / (len(words) or 1)
        if score > best:
            best, best_i = score, i
    return best_i if best >= 0.5 else -1


def _cited(info: PlanInfo, section: Optional[str]) -> dict:
    return dict(plan=info.plan, plan_number=info.plan_number, issuer=info.issuer, plan_year=info.plan_year,
                section=section, plan_date=info.plan_date, plan_title=info.plan_title)


def _build_plan(session: Session, doc: models.Document, info: PlanInfo) -> _PlanIndex:
    stem = doc.plan
    index = _PlanIndex(info=info, places=_place_names(doc.issuer, doc.title), number=_number_key(doc.number),
                       title_words=frozenset(folded_words(doc.title or "")), document_id=doc.id)
    sections = session.execute(select(models.Section).where(models.Section.document_id == doc.id)
                               .order_by(models.Section.position)).scalars().all()
    headings: dict[str, str] = {}
    bodies: dict[str, str] = {}  # a numbered item's body with its lettered sub-items
    sentences_by_path: dict[str, list[list[str]]] = {}
    sentence_text: dict[tuple[str, int], str] = {}
    section_keys: dict[str, tuple[tuple[str, int], ...]] = {}  # path → its full-text rows
    def heading_year(path: str) -> Optional[int]:
        """The year of the nearest enclosing heading that names one ("Định hướng đến năm 2025")."""
        parts = path.split(".")
        for depth in range(len(parts), 0, -1):
            m = HEADING_YEAR.search(headings.get(".".join(parts[:depth]), ""))
            if m:
                return int(m.group(1))
        return None

    for section in sections:
        headings.setdefault(section.path, section.heading or "")
        section_keys[section.path] = (*section_keys.get(section.path, ()), ("section", section.id))
        parts = section.path.split(".")
        for depth in range(1, len(parts) + 1):
            key = ".".join(parts[:depth])
            if key != section.path or section.body:
                bodies[key] = f"{bodies.get(key, '')} {section.heading if key != section.path else ''} {section.body}"
        for sentence in first_sentences(section.body):
            sentence_text[(section.path, len(sentences_by_path.get(section.path, [])))] = sentence
            sentences_by_path.setdefault(section.path, []).append(folded_words(sentence))
            passage = Passage(**_cited(info, section.path), text=sentence, heading=section.heading or "")
            index.units.append(_Unit("passage", passage, Doc.of(f"{section.heading} {sentence}"),
                                     (stem, "passage", section.path), heading_year(section.path),
                                     keys=(("section", section.id),)))

    def parent_heading(path: str) -> str:
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        return headings.get(parent, "") if parent else ""

    for t in queries.targets(plan=stem, session=session):
        sentence = _sentence_index(sentences_by_path.get(t.section, []), t.text)
        group = (stem, "target", t.section, sentence if sentence >= 0 else t.text)
        # The whole sentence, so "trong đó mầm non 85%" is found by the words of its head figure.
        context = sentence_text.get((t.section, sentence), "")
        text = f"{parent_heading(t.section)} {headings.get(t.section, '')} {context} {t.subject} {t.text}"
        # Its row in the full-text index holds only the figure's own words ("đạt 100% vào năm 2026"):
        # the sentence's section row finds it too, as it finds the sentence's other figures.
        keys = (("target", t.fact_id),) + (section_keys.get(t.section, ()) if sentence >= 0 else ())
        index.units.append(_Unit("target", t, Doc.of(text), group, t.year, keys=keys))
    for t in queries.tasks(plan=stem, session=session):
        text = f"{parent_heading(t.section)} {t.text}"
        index.units.append(_Unit("task", t, Doc.of(text), (stem, "task", t.section, t.text), heading_year(t.section),
                                 keys=(("task", t.fact_id),)))
    # A numbered item of prose is one responsibility item (lead and partners of the same item);
    # a row of an assignment table ("Nội dung công việc | Bộ phận thực hiện | Thời gian"), whose
    # task is not in the section's text, is an item of its own: the rows have nothing in common
    # but their heading.
    items: "OrderedDict[tuple, ResponsibilityItem]" = OrderedDict()
    item_keys: dict[tuple, list[tuple[str, int]]] = {}
    prose = {path: f" {' '.join(folded_words(headings.get(path, '') + ' ' + bodies.get(path, '')))} "
             for path in {*bodies, *headings}}
    for r in queries.responsibilities(plan=stem, session=session):
        task_words = folded_words(r.task)[:8]
        row = bool(task_words) and f" {' '.join(task_words)} " not in prose.get(r.section, " ")
        item_key = (r.section, r.task) if row else (r.section,)
        item_keys.setdefault(item_key, []).append(("responsibility", r.fact_id))
        item = items.get(item_key)
        if item is None:
            item = items[item_key] = ResponsibilityItem(
                plan=r.plan, plan_number=r.plan_number, issuer=r.issuer, plan_year=r.plan_year,
                section=r.section, plan_date=r.plan_date, plan_title=r.plan_title, task=r.task, members=[])
        if (r.agency, r.role) not in item.members:
            item.members.append((r.agency, r.role))
    for item_key, item in items.items():
        section = item.section
        agencies = " ".join(f"{a} {role}" for a, role in item.members)
        body = bodies.get(section, '') if len(item_key) == 1 else ""
        text = f"{headings.get(section, '')} {body} {item.task} {agencies}"
        keys = tuple((agency_key(a), role) for a, role in item.members)
        heading = " ".join(folded_words(headings.get(section, "")))
        heading = re.sub(r"^(de nghi |cac )+", "", heading)
        heads = tuple(k for k, _ in keys if heading.startswith(k))
        rows = tuple(item_keys.get(item_key, ())) + (section_keys.get(section, ()) if len(item_key) == 1 else ())
        index.units.append(_Unit("responsibility", item, Doc.of(text), (stem, "responsibility", *item_key),
                                 agencies=keys, heads=heads, keys=rows))
    for d in queries.deadlines(plan=stem, session=session):
        text = " ".join(x or "" for x in (headings.get(d.section or "", ""), d.agency, d.what, d.to, d.when))
        index.units.append(_Unit("deadline", d, Doc.of(text), (stem, "deadline", d.section, d.what),
                                 agencies=((agency_key(d.agency), ""),) if d.agency else (),
                                 keys=(("deadline", d.fact_id),)))
    for p in queries.appendix_projects(plan=stem, session=session):
        text = f"{p.name} {p.lead or ''} {' '.join(p.partners)} {' '.join(map(str, p.years))}"
        members = ([(agency_key(p.lead), "chủ trì")] if p.lead else []) + [(agency_key(x), "phối hợp")
                                                                         for x in p.partners]
        index.units.append(_Unit("project", p, Doc.of(text), (stem, "project", p.no), agencies=tuple(members),
                                 keys=(("project", p.fact_id),)))
    if not index.places:  # no issuer or title place (extraction missed it): the place the text names most
        named = Counter(" ".join(words) for section in sections[:40]
                        for words in _place_names(None, f"{section.heading} {section.body}"))
        if named:
            name, count = named.most_common(1)[0]
            if count >= 2:
                index.places = [name.split()]
    index.pairs = frozenset().union(*(u.doc.pairs for u in index.units))
    index.words = frozenset().union(*(u.doc.words for u in index.units))
    document_text = " ".join(x or "" for x in (doc.title, doc.issuer, doc.number, " ".join(doc.parent or [])))
    index.units.append(_Unit("document", info, Doc.of(document_text), (stem, "document"),
                             keys=(("document", doc.id),)))
    for unit in index.units:
        index.by_kind.setdefault(unit.kind, []).append(unit)
    return index


def _snapshot(session: Session) -> _Snapshot:
    """The cached index for this database, rebuilt for the plans whose current version changed."""
    url = str(session.get_bind().url)
    key = _kb_key(session)
    with _lock:
        snap = _cache.get(url)
        if snap is not None and snap.key == key:
            return snap
        docs = session.execute(select(models.Document).where(models.Document.is_current.is_(True))
                               .order_by(models.Document.plan, models.Document.id)).scalars().all()
        plans: "OrderedDict[str, _PlanIndex]" = OrderedDict()
        infos: Optional[dict[str, PlanInfo]] = None
        for doc in docs:
            cache_key = (url, doc.id)
            index = _plan_cache.get(cache_key)
            if index is None:
                if infos is None:
                    infos = {i.plan: i for i in queries.find_plans(session=session)}
                index = _plan_cache[cache_key] = _build_plan(session, doc, infos[doc.plan])
            plans[doc.plan] = index
        live = {(url, d.id) for d in docs}
        for stale in [k for k in _plan_cache if k[0] == url and k not in live]:
            del _plan_cache[stale]
        vocab = Vocabulary(u.doc for p in plans.values() for u in p.units if u.kind != "document")
        lengths: dict[str, list[int]] = {}
        for p in plans.values():
            for u in p.units:
                lengths.setdefault(u.kind, []).append(u.doc.length)
        averages = {k: sum(v) / len(v) for k, v in lengths.items() if v}
        by_key: dict[tuple[str, int], list[tuple[str, _Unit]]] = {}
        places: dict[str, list[str]] = {}
        numbers: dict[str, list[str]] = {}
        for stem, p in plans.items():
            for unit in p.units:
                for k in unit.keys:
                    by_key.setdefault(k, []).append((stem, unit))
            for place in p.places:
                places.setdefault(" ".join(place), []).append(stem)
            if p.number:
                numbers.setdefault(p.number, []).append(stem)
        snap = _cache[url] = _Snapshot(key, plans, vocab, averages, by_key, places, numbers, url, list(plans),
                                       frozenset().union(*(p.title_words for p in plans.values())), len(by_key),
                                       sum(len(p.units) for p in plans.values()))
        for name in places:
            snap.place_keys.setdefault(name.replace(" ", ""), []).append(name)
        snap.place_words = max((len(name.split()) for name in places), default=0)
        _memo.clear()
        return snap


def clear_memo() -> None:
    """Forget the per-question memos (benchmarks time a question from scratch)."""
    with _lock:
        _memo.clear()


def clear_cache() -> None:
    """Forget every index (tests; the staleness check makes this unnecessary in production)."""
    with _lock:
        _cache.clear()
        _plan_cache.clear()
        _memo.clear()
        _checked.clear()


# ---------------------------------------------------------------------------- plan resolution


@dataclass
class PlanMention:
    """What a question says about plans: the matching plans and the words that named them."""

    plans: list[str]
    words: set[str]
    by_number: bool = False
    names: list[tuple[str, ...]] = field(default_factory=list)  # the phrases that named them, as typed


def _raw_words(text: str) -> list[str]:
    return fold_words(text or "")


def _issuer_words(text: str, plan: _PlanIndex) -> tuple[str, ...]:
    """The issuer's words when the question writes the issuer out before the place ("UBND tỉnh
    Lâm Đồng", "ủy ban nhân dân thành phố Cần Thơ"): they name the plan, they are not the subject."""
    issuer = folded_words(plan.info.issuer or "")
    words = folded_words(text)
    joined = f" {' '.join(words)} "
    for start in range(len(issuer)):
        tail = issuer[start:]
        if len(tail) > 2 and f" {' '.join(tail)} " in joined:
            return tuple(tail)
    return ()


def mention(text: str, snap: _Snapshot) -> PlanMention:
    """Plans named in ``text`` by number ("148", "3381/KH-UBND") or by the place of the issuer
    ("Cần Thơ", "can tho", "cantho", "cn tho"); a year narrows several plans of one place."""
    memo_key = ("mention", snap.version, text)
    known = _memo.get(memo_key, _MISSING)  # one lookup: another thread may evict between two
    if known is not _MISSING:
        return known
    result = _mention(text, snap)
    _remember(memo_key, result)
    return result


def _place_matches(words: list[str], snap: _Snapshot) -> list[tuple[str, list[str], float, tuple[str, ...]]]:
    """(place, its plans, ratio, the words naming it) for the places a question names: written
    exactly (spaces ignored: "cantho"), else with a typo (fuzzy ratio ≥ PLACE_MATCH, "cn tho").
    A place written exactly rules out near misses elsewhere ("tỉnh làm" ≈ "Bình Lâm").  Windows
    of the question are looked up in the snapshot's place keys — a dictionary, then one
    vectorised fuzzy pass — so the cost does not grow with the number of plans' places."""
    keys = snap.place_keys
    windows: dict[str, tuple[str, ...]] = {}
    for size in range(1, snap.place_words + 2):
        for i in range(0, max(0, len(words) - size + 1)):
            windows.setdefault("".join(words[i:i + size]), tuple(words[i:i + size]))
    exact = [(name, snap.places[name], 100.0, window) for joined, window in windows.items()
             for name in keys.get(joined, ())]
    if exact:
        return list({m[0]: m for m in exact}.values())
    best: dict[str, tuple[float, tuple[str, ...]]] = {}
    choices = list(keys)
    for joined, window in windows.items():
        for choice, ratio, _ in process.extract(joined, choices, scorer=fuzz.ratio, score_cutoff=PLACE_MATCH,
                                                limit=None):
            if abs(len(choice) - len(joined)) <= 2:
                for name in keys[choice]:
                    if ratio > best.get(name, (0.0, ()))[0]:
                        best[name] = (ratio, window)
    return [(name, snap.places[name], ratio, window) for name, (ratio, window) in best.items()]


def _mention(text: str, snap: _Snapshot) -> PlanMention:
    words = _raw_words(text)
    numbers = {w for w in words if w.isdigit()}
    by_number = list(dict.fromkeys(stem for n in numbers for stem in snap.numbers.get(n, [])))
    used: set[str] = {snap.plans[stem].number for stem in by_number if snap.plans[stem].number}
    names: list[tuple[str, ...]] = []

    def named_by(phrase: tuple[str, ...], window: tuple[str, ...] = ()) -> None:
        used.update(phrase)
        names.extend(n for n in (phrase, window) if n and n not in names)

    if by_number:
        for stem in by_number:
            if snap.plans[stem].number:
                named_by((snap.plans[stem].number,))
            named_by(_issuer_words(text, snap.plans[stem]))
            for place in snap.plans[stem].places:
                ratio, window = best_window(words, place)
                if ratio >= PLACE_MATCH:
                    named_by(tuple(place), window)
        return PlanMention(by_number, used, by_number=True, names=names)
    found = []
    matches = _place_matches(words, snap)
    for name, stems, _ratio, window in matches:
        for stem in stems:
            if stem not in found:
                found.append(stem)
                named_by(tuple(name.split()), window)
                named_by(_issuer_words(text, snap.plans[stem]))
    if len(found) > 1:
        years = {int(w) for w in words if YEAR.match(w)}
        dated = [s for s in found if snap.plans[s].info.plan_year in years]
        if dated:
            found = dated
    return PlanMention(found, used, names=names)


def resolve_plans(text: str, *, session: Optional[Session] = None) -> list[PlanInfo]:
    """The current plans a question names (empty when it names none)."""
    with session_scope(session) as s:
        snap = _snapshot(s)
        return [snap.plans[stem].info for stem in mention(text, snap).plans]


def plan_infos(*, session: Optional[Session] = None) -> list[PlanInfo]:
    """Every current plan (cached with the index)."""
    with session_scope(session) as s:
        return [p.info for p in _snapshot(s).plans.values()]


def known_places(*, session: Optional[Session] = None) -> list[str]:
    """Folded place names of the issuers in the KB ("can tho", "muong te")."""
    with session_scope(session) as s:
        return [" ".join(place) for p in _snapshot(s).plans.values() for place in p.places]


# ---------------------------------------------------------------------------- fact search


YEAR_MATCH_BONUS = 0.15
YEAR_MISMATCH_PENALTY = 0.3
AGENCY_BONUS = 0.2  # the fact involves an agency the question names ("Sở Tài chính … phối hợp với ai")
HEAD_BONUS = 0.4  # … and the item is that agency's own numbered item ("3. Sở Tài chính: …")
LEAD_BONUS = 0.1  # the question asks who leads ("chủ trì") and the item has a lead
NAMED_LEAD_BONUS = 0.2  # "Phòng GD&ĐT chủ trì … phối hợp với ai": the item Phòng GD&ĐT leads


def _agency_bonus(unit: _Unit, question: list[str], says_lead: bool) -> float:
    """Bonus for responsibility-like facts: the question names one of the fact's agencies (more
    if the item is that agency's own, more again if it leads it and the question says "chủ
    trì"); a question asking who leads, naming nobody, prefers items that have a lead."""
    named = 0.0
    for key, role in unit.agencies:
        if names_agency(question, key):
            bonus = HEAD_BONUS if key in unit.heads else AGENCY_BONUS
            if says_lead and role == "chủ trì":
                bonus += NAMED_LEAD_BONUS
            named = max(named, bonus)
    if named:
        return named
    return LEAD_BONUS if says_lead and any(role == "chủ trì" for _, role in unit.agencies) else 0.0


def search(kind: str, text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
           session: Optional[Session] = None, limit: int = 20, min_matched: float = 0.0) -> list[Hit]:
    """Facts of ``kind`` ranked for ``text`` within ``plans`` (stems; None = all current plans).
    Words naming the plan are not searched for; ``year`` favours targets of that year.  Facts
    covering less than ``min_matched`` of the question (:func:`textsearch.matched_share`) are
    not scored: the chatbot would not use them."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    with session_scope(session) as s:
        snap = _snapshot(s)
        stems = snap.stems if plans is None else [p for p in plans if p in snap.plans]
        query = _query(text, snap, stems)
        question = folded_words(text)
        says_lead = "chu tri" in " ".join(question)
        found = _candidates(s, snap, query, stems)
        if found is None:
            units = [(stem, u) for stem in stems for u in snap.plans[stem].by_kind.get(kind, ())]
        else:
            units = found.get(kind, [])
        hits: list[Hit] = []
        for stem, unit in units:
            matched = matched_share(query, unit.doc, snap.vocab) if not query.is_empty() else 0.0
            if matched < min_matched:
                continue
            score = (coverage(query, unit.doc, snap.vocab, snap.average_length.get(kind))
                     if not query.is_empty() else 0.0)
            if unit.agencies:
                score += _agency_bonus(unit, question, says_lead)
            if year is not None and unit.year is not None:
                score += YEAR_MATCH_BONUS if unit.year == year else -YEAR_MISMATCH_PENALTY
            hits.append(Hit(kind, stem, unit.fact, score, unit.group, unit.year, matched, unit.doc))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]


def search_targets(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                   session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Targets (figures) ranked; ``fact`` is a :class:`queries.TargetFact`."""
    return search("target", text, plans, year, session=session, limit=limit)


def search_responsibilities(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                            session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Responsibility items ranked; ``fact`` is a :class:`ResponsibilityItem`."""
    return search("responsibility", text, plans, year, session=session, limit=limit)


def search_deadlines(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                     session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Reporting obligations ranked; ``fact`` is a :class:`queries.DeadlineFact`."""
    return search("deadline", text, plans, year, session=session, limit=limit)


def search_tasks(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                 session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Task items ranked; ``fact`` is a :class:`queries.TaskFact`."""
    return search("task", text, plans, year, session=session, limit=limit)


def search_passages(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                    session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Sentences of section bodies ranked; ``fact`` is a :class:`Passage`."""
    return search("passage", text, plans, year, session=session, limit=limit)


def search_projects(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                    session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Appendix projects ranked; ``fact`` is a :class:`queries.ProjectFact`."""
    return search("project", text, plans, year, session=session, limit=limit)


def search_document(text: str, plans: Optional[Sequence[str]] = None, year: Optional[int] = None, *,
                    session: Optional[Session] = None, limit: int = 20) -> list[Hit]:
    """Plans' front matter ranked; ``fact`` is a :class:`queries.PlanInfo`."""
    return search("document", text, plans, year, session=session, limit=limit)


# Rows the full-text index returns per question: every fact worth re-scoring is among them (a
# plan has a few hundred rows; at a thousand plans the engine's BM25 order keeps the best).
CANDIDATES = 300
# Questions usually name a handful of content words; the rarest ones (by document frequency)
# select the candidates, so that "năm", "trường" do not pull in every row of every plan.
CANDIDATE_WORDS = 8
ENOUGH_WITH_ALL_WORDS = 50
SCAN_UNITS = 3_000  # up to this many units in scope (a handful of plans), every one is scored
UNRANKED_CANDIDATES = 80  # unranked rows are all as good to the engine: fewer, each re-scored
RANKED_ROWS = 20_000  # up to this many rows in scope (some fifty plans), the engine's BM25 ranks them
RARE_SHARE = 0.02  # unranked, a word in at most this share of the units selects rows on its own …
RARE_WORDS = 4  # … and at most this many such words do
_memo: "OrderedDict[tuple, object]" = OrderedDict()  # per-question results (mention, query, candidates)
_MISSING = object()


def _remember(key: tuple, value: object) -> None:
    with _lock:
        _memo[key] = value
        while len(_memo) > 256:
            _memo.popitem(last=False)


def _candidates(session: Session, snap: _Snapshot, query: Query,
                stems: Sequence[str]) -> Optional[dict[str, list[tuple[str, "_Unit"]]]]:
    """The units (per kind, with their plan) whose full-text rows have any of the question's
    rarest words, best BM25 first, within the plans searched; ``None`` (score every unit) when
    the question has no words.  One index query per question: the kinds asked in turn reuse it."""
    everything = len(stems) == len(snap.plans)
    units = snap.units if everything else sum(len(snap.plans[p].units) for p in stems[:SCAN_UNITS // 20])
    if query.is_empty() or units <= SCAN_UNITS:
        return None  # a plan or a few: scoring their units in memory costs less than reading the index
    key = ("candidates", snap.version, tuple(query.unigrams),
           tuple(sorted(query.accented)), tuple(stems))
    known = _memo.get(key, _MISSING)
    if known is not _MISSING:
        return known
    ids = None if everything else [snap.plans[p].document_id for p in stems]
    words = sorted(query.unigrams, key=lambda w: snap.vocab.df.get(w, 0))[:CANDIDATE_WORDS]
    words = [w for w in words if snap.vocab.df.get(w)] or words
    # BM25 orders every row that matches, so its cost grows with the KB: over a few plans it is
    # cheap and chooses well; over hundreds the rows are read unranked (a posting-list walk) and
    # only the Python re-scoring below ranks them.
    ranked = (snap.rows if everything else sum(len(snap.plans[p].units) for p in stems)) <= RANKED_ROWS
    limit = CANDIDATES if ranked else UNRANKED_CANDIDATES
    # rows with every word first (an intersection of posting lists: cheap at any size); when
    # too few have them all, rows with any word (ranked: by BM25; unranked: the rarest words')
    matches = fulltext.search(session, words, document_ids=ids, require_all=True, limit=limit, ranked=ranked)
    if len(matches) < min(ENOUGH_WITH_ALL_WORDS, 10 * len(stems)):
        if ranked:
            matches = fulltext.search(session, words, accented=query.accented, document_ids=ids, limit=CANDIDATES)
        else:
            rare = [w for w in words if snap.vocab.df.get(w, 0) <= RARE_SHARE * snap.vocab.n] or words[:1]
            for word in rare[:RARE_WORDS]:
                matches += fulltext.search(session, [word], document_ids=ids, limit=limit, ranked=False)
    wanted = set(stems)
    found: dict[str, list[tuple[str, _Unit]]] = {}
    seen: set[int] = set()
    for m in matches:
        for stem, unit in snap.by_key.get((m.kind, m.fact_id), ()):
            if stem in wanted and id(unit) not in seen:
                seen.add(id(unit))
                found.setdefault(unit.kind, []).append((stem, unit))
    _remember(key, found)
    return found


def _query(text: str, snap: _Snapshot, stems: Sequence[str]) -> Query:
    key = ("query", snap.version, text, tuple(stems))
    known = _memo.get(key, _MISSING)
    if known is not _MISSING:
        return known
    named = mention(text, snap)
    titles = (snap.title_words if not named.plans and len(stems) == len(snap.plans)
              else frozenset().union(*(snap.plans[p].title_words for p in (named.plans or stems))))
    query = snap.vocab.repair(make_query(text, title_words=titles, names=named.names))
    _remember(key, query)
    return query


@dataclass
class Reading:
    """What the search makes of a question: the plans it names, its query words (plan names
    removed, typos repaired), the current plans' years of issue and the words no plan uses."""

    mention: PlanMention
    query: Query
    plan_years: dict[str, Optional[int]]
    unknown: list[str]


def read_question(text: str, *, session: Optional[Session] = None) -> Reading:
    with session_scope(session) as s:
        snap = _snapshot(s)
        query = _query(text, snap, list(snap.plans))
        return Reading(mention(text, snap), query, {stem: p.info.plan_year for stem, p in snap.plans.items()},
                       snap.vocab.unknown(query))


def has_phrase(doc_words: frozenset[str], doc_pairs: frozenset[str], phrase: Sequence[str]) -> bool:
    """Whether folded ``phrase`` occurs (word pairs all present; one word: the word)."""
    if len(phrase) == 1:
        return phrase[0] in doc_words
    return all(f"{a} {b}" in doc_pairs for a, b in zip(phrase, phrase[1:]))


def plan_mentions(stem: str, phrase: Sequence[str], *, session: Optional[Session] = None) -> bool:
    """Whether any fact or sentence of the plan ``stem`` contains the folded ``phrase``."""
    with session_scope(session) as s:
        plan = _snapshot(s).plans.get(stem)
        return plan is not None and has_phrase(plan.words, plan.pairs, phrase)


def query_of(text: str, plans: Optional[Sequence[str]] = None, *, session: Optional[Session] = None) -> Query:
    """The query words searched for ``text`` (plan names removed, typos repaired): the subject
    kept by the chatbot for follow-up questions."""
    with session_scope(session) as s:
        snap = _snapshot(s)
        return _query(text, snap, [p for p in (plans or snap.plans) if p in snap.plans])


__all__ = [
    "KINDS", "Passage", "ResponsibilityItem", "Hit", "PlanMention", "resolve_plans", "plan_infos", "known_places",
    "search", "search_targets", "search_responsibilities", "search_deadlines", "search_tasks", "search_passages",
    "search_projects", "search_document", "query_of", "clear_cache", "clear_memo", "forget_kb_state", "Reading", "read_question", "mention", "has_phrase", "plan_mentions",
]
