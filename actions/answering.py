"""The chatbot's answers as a pure function: ``answer(kind, text, state) -> Reply``.

Rasa actions are thin wrappers around this (see :mod:`actions.actions`), so every behaviour —
which plan, which facts, when to say "không đề cập", what to remember for the next turn — is
testable without a Rasa server.  Data comes only from :mod:`knowledge.search` /
:mod:`knowledge.procedures`.

Rules that keep answers trustworthy on plans the bot has never seen:
- every factual sentence carries its citation ("(Kế hoạch số …, mục III.2.a)");
- below :data:`GOOD` nothing is asserted: the reply says the plan does not mention it and cites
  no section;
- several plans matching equally are answered one by one, each labelled, never blended.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from sqlalchemy.orm import Session

from document_parsing.text_utils import fold, nfc
from knowledge import search as kb
from knowledge.geography import provinces_in
from knowledge.queries import DeadlineFact, PlanInfo, ProjectFact, TargetFact

from .answerability import ALL_LEVELS_PAIRS, LEVELS, Asked, agency_name, has_money, level_name, level_phrases

# Score (knowledge.textsearch.coverage) from which a fact is taken to answer the question.
GOOD = 0.5
# A second plan is answered too when its best score is this close to the first one's.
CLOSE = 0.12
# Another kind replaces the asked one (NLU may misclassify) when it scores this much better.
SWITCH_MARGIN = 0.15
COVER_MARGIN = 0.15  # … or when its best fact covers this much more of the question
CLEAR_SWITCH_MARGIN = 0.3  # … even when the asked kind found something passable
# Facts answering together with the best one: same group, or nearly as good.
NEAR = 0.85
SIBLING = 0.6  # a sub-item of the same numbered item as the best one, this good, is shown too
MAX_PLANS = 3
# Share of the question a fact must cover (textsearch.matched_share); higher when the question
# has words no plan uses ("robot", "bể bơi"): then the rest must match very well.
MIN_MATCHED = 0.35
MIN_MATCHED_WITH_UNKNOWN = 0.6

PLAN_KINDS = ("target", "responsibility", "deadline", "task", "project")
FALLBACK_ORDER = ("target", "responsibility", "deadline", "task", "project", "passage")

INTENT_KINDS = {
    "ask_target": "target", "ask_responsibility": "responsibility", "ask_deadline": "deadline",
    "ask_task": "task", "ask_document_info": "document", "ask_appendix_project": "project",
    "ask_procedure": "procedure", "ask_comparison": "comparison", "followup": "followup", "ask_followup": "followup",
    "choose_plan": "followup",
}

KIND_WORDS = {
    "target": "chỉ tiêu", "responsibility": "trách nhiệm thực hiện", "deadline": "thời hạn, báo cáo",
    "task": "nhiệm vụ", "project": "dự án", "passage": "nội dung", "document": "thông tin văn bản",
}


@dataclass
class Reply:
    """What the bot says, the buttons it offers and the conversation state after this turn."""

    text: str
    buttons: list[dict] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    found: bool = True  # False: the reply says the knowledge base has nothing for the question


def button(title: str, payload: str) -> dict:
    return {"title": nfc(title), "payload": payload}


def choose_plan_payload(stem: str) -> str:
    return '/choose_plan{"plan_id":"' + stem + '"}'


def followup_payload(**entities: str) -> str:
    return "/followup" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------- formatting


def _dot(text: str) -> str:
    text = text.strip().rstrip(";,:")
    return text if text.endswith((".", "!", "?", "…", "/")) else text + "."


def format_date(iso: Optional[str]) -> Optional[str]:
    """"2017-09-22" → "ngày 22 tháng 9 năm 2017 (22/09/2017)"."""
    if not iso:
        return None
    year, month, day = (int(x) for x in iso.split("-"))
    return f"ngày {day} tháng {month} năm {year} ({day:02d}/{month:02d}/{year})"


def describe_target(t: TargetFact) -> str:
    year = f" (năm {t.year})" if t.year else ""
    figure = t.figure()
    return f"{_dot(t.text)[:-1]} — chỉ tiêu: {figure}{year}"


def describe_responsibility(item: kb.ResponsibilityItem) -> str:
    parts = []
    for role, label in (("chủ trì", "Chủ trì"), ("thực hiện", "Thực hiện"), ("phối hợp", "Phối hợp")):
        agencies = item.agencies(role)
        if agencies:
            parts.append(f"{label}: {', '.join(agencies)}")
    return f"{'; '.join(parts)}. Nội dung: {_dot(item.task)}"


def describe_deadline(d: DeadlineFact) -> str:
    who = f"{d.agency}: " if d.agency else ""
    to = f" Gửi/báo cáo: {d.to}." if d.to and d.to not in d.what else ""
    when = f" Thời hạn: {d.when}." if d.when and d.when not in d.what else ""
    return f"{who}{_dot(d.what)}{to}{when}"


def describe_project(p: ProjectFact) -> str:
    years = ", ".join(map(str, p.years))
    lead = f" Chủ trì: {p.lead}." if p.lead else ""
    partners = f" Phối hợp: {', '.join(p.partners)}." if p.partners else ""
    when = f" Thời gian thực hiện: {years}." if years else ""
    return f"Dự án số {p.no} (phụ lục): {_dot(p.name)}{lead}{partners}{when}"


def describe(hit: kb.Hit) -> str:
    fact = hit.fact
    if hit.kind == "target":
        return describe_target(fact)
    if hit.kind == "responsibility":
        return describe_responsibility(fact)
    if hit.kind == "deadline":
        return describe_deadline(fact)
    if hit.kind == "project":
        return describe_project(fact)
    text = _dot(fact.text)
    if hit.year and str(hit.year) not in text:
        text = f"{text} (mục tiêu đến năm {hit.year})"  # from the heading it sits under
    return text


# ---------------------------------------------------------------------------- selection


@dataclass
class Context:
    """What one question is about once the plans are resolved."""

    text: str
    plans: Optional[list[str]]  # None: any plan
    named: bool  # the user (or the slot) named the plans
    year: Optional[int]
    topic: str
    unknown: list[str] = field(default_factory=list)  # content words no plan uses


def _years(text: str) -> list[int]:
    return [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)]


SCHOOL_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\b")


def _question_years(text: str) -> list[int]:
    """Years written in the question; a school year "2024 - 2025" counts as the year it ends
    (its targets are for the end of the school year)."""
    folded = fold(text)
    starts = {int(m.group(1)) for m in SCHOOL_YEAR.finditer(folded) if int(m.group(2)) == int(m.group(1)) + 1}
    return [y for y in dict.fromkeys(_years(text)) if y not in starts]


def _school_years(text: str) -> set[int]:
    return {int(m.group(2)) for m in SCHOOL_YEAR.finditer(fold(text)) if int(m.group(2)) == int(m.group(1)) + 1}


def asked_years(text: str, plans: Optional[list[str]], session: Optional[Session]) -> list[int]:
    """Years the question asks about (a year that only names the plan, "Kế hoạch 4575 năm 2018",
    is not one); "năm học 2024 - 2025" is one school year, asked as its first year."""
    years = _question_years(text)
    names = {i.plan_year for i in kb.plan_infos(session=session) if i.plan in (plans or [])} - _school_years(text)
    return [y for y in years if y not in names] or ([] if plans else years)


def _context(text: str, state: dict, session: Optional[Session]) -> tuple[Context, kb.PlanMention]:
    reading = kb.read_question(text, session=session)
    mention, query = reading.mention, reading.query
    plans: Optional[list[str]] = list(mention.plans) or None
    named = bool(plans)
    slot = [p for p in str(state.get("plan_id") or "").split(",") if p in reading.plan_years]
    if not plans and slot:
        plans, named = slot, True
    elif plans and slot and len(plans) > 1 and set(slot) < set(plans):
        plans = slot  # "Cần Thơ" names two plans; the user already chose one of them
    years = _question_years(text)
    # A year that only names the plan ("Kế hoạch 4575 năm 2018") is not the year asked about.
    plan_years = {reading.plan_years[p] for p in (plans or [])} - _school_years(text)
    asked = [y for y in years if y not in plan_years] or ([] if plans else years)
    year = asked[0] if asked else (int(state["year"]) if str(state.get("year") or "").isdigit() else None)
    unknown = reading.unknown
    if named and plans:
        # a word the plans asked about never use ("robot" asked of a plan that has none) is unknown
        # for this question even if another plan uses it: the rest must then match very well
        unknown = [w for w in query.unigrams
                   if not any(kb.plan_mentions(p, (w,), session=session) for p in plans)]
    return Context(text, plans, named, year, " ".join(query.unigrams), unknown), mention


def _search(kind: str, ctx: Context, session: Optional[Session], floor: float = 0.0) -> list[kb.Hit]:
    if kind == "task":
        hits = kb.search("task", ctx.text, ctx.plans, ctx.year, session=session, limit=50, min_matched=floor)
        passages = kb.search("passage", ctx.text, ctx.plans, ctx.year, session=session, limit=50, min_matched=floor)
        for hit in passages:
            hit.score -= 0.05  # an extracted task item reads better than a sentence
        return sorted(hits + passages, key=lambda h: -h.score)
    return kb.search(kind, ctx.text, ctx.plans, ctx.year, session=session, limit=200, min_matched=floor)


def _best_per_plan(hits: list[kb.Hit]) -> dict[str, float]:
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.plan] = max(best.get(hit.plan, -1.0), hit.score)
    return best


def _answer_group(hits: list[kb.Hit], plan: str, year: Optional[int] = None) -> list[kb.Hit]:
    """The best hit of ``plan`` and the facts that answer with it: the same sentence/item, and
    (for tasks and deadlines) other items nearly as good."""
    mine = [h for h in hits if h.plan == plan]
    if not mine:
        return []
    top = mine[0]
    chosen = [h for h in mine if h.group == top.group]
    if top.kind in ("task", "passage", "deadline"):
        seen = {h.group for h in chosen}
        parent = _parent(top.fact.section)
        # Sub-items of the same numbered item answer together ("III.4 Đảm bảo an toàn thông tin": a, b).
        for h in mine[1:]:
            if (h.kind == top.kind and parent and _parent(h.fact.section) == parent and h.group not in seen
                    and h.score >= SIBLING * top.score and len(chosen) < 4):
                chosen.append(h)
                seen.add(h.group)
        for h in mine[1:]:
            if len(chosen) >= 3:
                break
            if h.group not in seen and h.score >= GOOD and h.score >= NEAR * top.score:
                chosen.append(h)
                seen.add(h.group)
    if top.kind == "target":
        # a row of a target table ("… - Học kỳ I: 150", "… - Cả năm: 300") answers as a whole row
        row = _table_row(top.fact.text)
        if row:
            chosen += [h for h in mine if h.kind == "target" and h not in chosen and _table_row(h.fact.text) == row
                       and (year is None or h.year == year)]
        order = {id(h): i for i, h in enumerate(hits)}
        chosen.sort(key=lambda h: (h.fact.section, order[id(h)]))
        # keep the plan's order within the sentence (hits come sorted by score)
        chosen = sorted(chosen, key=lambda h: _plan_position(h))
    return chosen


TABLE_CELL = re.compile(r"^(.+?) - ([^:]{1,40}): [^:]{1,40}$")


def _table_row(text: str) -> Optional[str]:
    """The row label of a target read from a table cell ("Số bài giảng … - Cả năm: 300")."""
    match = TABLE_CELL.match(text or "")
    return match.group(1) if match else None


def _parent(section: Optional[str]) -> Optional[str]:
    return section.rsplit(".", 1)[0] if section and "." in section else None


def _plan_position(hit: kb.Hit) -> int:
    return hit.group[-1] if isinstance(hit.group[-1], int) else 0


# ---------------------------------------------------------------------------- plan answers


def _plan_name(stem: str, session: Optional[Session]) -> str:
    for info in kb.plan_infos(session=session):
        if info.plan == stem:
            return info.plan_name()
    return stem


def _covers(hit: kb.Hit, asked: Asked) -> bool:
    """Whether a fact says what the question is about: the sum of money it asks for, the school
    level it names (a fact about another level does not answer), the agency it names."""
    if asked.money and not has_money(describe(hit)):
        return False
    doc = hit.doc
    if doc is None:
        return True
    if asked.levels:
        mentioned = {k for k in LEVELS if any(kb.has_phrase(doc.words, doc.pairs, p) for p in level_phrases(k))}
        if mentioned and not mentioned & set(asked.levels) and not doc.pairs & ALL_LEVELS_PAIRS:
            return False
    if asked.agencies and not any(kb.has_phrase(doc.words, doc.pairs, a) for a in asked.agencies):
        return False
    return True


def _missing(plan: str, asked: Asked, session: Optional[Session]) -> list[str]:
    """What the question names that the plan never mentions (levels, agencies)."""
    missing = [f"cấp {level_name(k)}" if k not in ("cao dang", "dai hoc") else f"trường {level_name(k)}"
               for k in asked.levels if not any(kb.plan_mentions(plan, p, session=session) for p in level_phrases(k))]
    missing += [agency_name(a) for a in asked.agencies if not kb.plan_mentions(plan, a, session=session)]
    return missing


def _refusal(plans: list[str], missing: dict[str, list[str]], session: Optional[Session]) -> str:
    return " ".join(f"{_plan_name(p, session)} không đề cập {', '.join(missing[p])}." for p in plans)


def _not_found(ctx: Context, kind: str, session: Optional[Session], what: Optional[str] = None) -> str:
    """The honest reply: which plan(s) were searched and for what, no section cited."""
    what = what or KIND_WORDS.get(kind, "nội dung")
    year = f" cho năm {ctx.year}" if ctx.year else ""
    asked = f" “{ctx.text.strip()}”" if ctx.text.strip() else ""
    if ctx.plans and len(ctx.plans) == 1:
        return f"{_plan_name(ctx.plans[0], session)} không đề cập {what}{year} khớp với câu hỏi{asked}."
    return f"Không tìm thấy thông tin ({what}{year}) khớp với câu hỏi{asked} trong các kế hoạch hiện có."


def _unknown_place(text: str, mention: kb.PlanMention, session: Optional[Session]) -> Optional[str]:
    """A province named in the question that no plan in the KB is issued by."""
    if mention.plans:
        return None
    known = f" {' | '.join(kb.known_places(session=session))} "
    for name in provinces_in(text):
        if " ".join(re.findall(r"[a-z]+", fold(name))) not in known:
            return name
    # "huyện Hòa An", "tỉnh Quảng Bắc" written with capitals: a place the KB has no plan for
    for match in NAMED_PLACE.finditer(text):
        words = [w for w in match.group(2).split() if w[:1].isupper()]
        key = " ".join(re.findall(r"[a-z0-9]+", fold(" ".join(words))))
        if key and f" {key} " not in known and not any(f" {key} " in f" {k} " for k in known.split(" | ")):
            return f"{match.group(1)} {' '.join(words)}"
    return None


NAMED_PLACE = re.compile(r"\b(tỉnh|thành phố|huyện|quận|thị xã)\s+((?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ]"
                         r"[^\s,.;:?!()]*\s*){1,3})")


def _parts(text: str, session: Optional[Session]) -> list[dict]:
    """The parts of a question that each need their own figure: two years ("năm 2024 và năm
    2025"), two school levels ("cấp THPT và cấp THCS"); one part otherwise."""
    plans = kb.resolve_plans(text, session=session)
    years = asked_years(text, [p.plan for p in plans] or None, session)
    if len(years) >= 2:
        return [{"year": y} for y in years[:4]]
    levels = Asked.of(text).levels
    if len(levels) >= 2:
        return [{"levels": [level]} for level in levels[:4]]
    return [{}]


def answer_plan_kind(kind: str, text: str, state: dict, session: Optional[Session] = None) -> Reply:
    """Targets, responsibilities, deadlines, tasks, appendix projects of one or more plans; a
    question in several parts gets each part's facts, grouped in one reply (each fact once,
    with its citation)."""
    parts = _parts(text, session)
    if len(parts) == 1:
        return _answer_plan_kind(kind, text, state, session)
    replies = [_answer_plan_kind(kind, text, state, session, **part) for part in parts]
    found = [r for r in replies if r.found]
    if not found:  # no part has its own figure: the question as a whole
        return _answer_plan_kind(kind, text, state, session)
    seen: list[str] = []
    for reply in found:
        for block in reply.text.split("\n\n"):
            if block not in seen:
                seen.append(block)
    for part, reply in zip(parts, replies):
        if not reply.found:  # the part the plan has no figure for is said, not skipped
            what = f"năm {part['year']}" if "year" in part else f"cấp {level_name(part['levels'][0])}"
            seen.append(f"Về {what}: {reply.text}")
    buttons = [b for r in found for b in r.buttons]
    unique = [b for i, b in enumerate(buttons) if b not in buttons[:i]]
    return Reply("\n\n".join(seen), unique, {**found[-1].state, "year": None}, found=True)


# "bao nhiêu phòng", "mấy bài giảng", "bn giáo viên": the thing counted (folded), when it is not a
# share, a sum of money or a time ("bao nhiêu phần trăm", "mấy tỷ", "bao lâu").
COUNTED = re.compile(r"\b(?:bao nhieu|may|bn)\s+([a-z]+)\b")
NOT_COUNTED = frozenset("phan ty ti trieu ty nghin ngan tien lau gio nam lan tinh chieu in muc".split())
COUNT_BONUS = 0.15


def counted_unit(text: str) -> Optional[str]:
    match = COUNTED.search(fold(text))
    return match.group(1) if match and match.group(1) not in NOT_COUNTED else None


def _prefer_counted(hits: list[kb.Hit], unit: str) -> None:
    """A question counting something ("bao nhiêu phòng") is answered by a fact giving a number
    of that thing ("bổ sung 02 phòng học") before one giving a number of something else ("1.000
    tiết dạy" in "phòng học thông minh")."""
    figure = re.compile(rf"\d[\d.,]*\s+{re.escape(unit)}\b")
    for hit in hits:
        if figure.search(fold(describe(hit))):
            hit.score += COUNT_BONUS
    hits.sort(key=lambda h: -h.score)


def _unknown_plan_number(text: str, mention: kb.PlanMention, session: Optional[Session]) -> Optional[str]:
    """"Kế hoạch số 555" when no current plan has that number (and no plan is named otherwise)."""
    if mention.plans:
        return None
    match = re.search(r"\b(?:ke hoach|kh|quyet dinh|qd)\s*(?:so\s*)?(\d{1,5})\b(?!\s*[-–]?\s*(?:19|20)\d\d)", fold(text))
    if not match or re.fullmatch(r"(19|20)\d\d", match.group(1)):
        return None
    numbers = {re.match(r"\d+", i.plan_number).group(0) for i in kb.plan_infos(session=session)
               if i.plan_number and re.match(r"\d+", i.plan_number)}
    return None if match.group(1) in numbers else match.group(1)


def _which_plans(session: Optional[Session]) -> str:
    return "; ".join(i.plan_name() for i in kb.plan_infos(session=session))


def _answer_plan_kind(kind: str, text: str, state: dict, session: Optional[Session] = None, *,
                      year: Optional[int] = None, levels: Optional[list[str]] = None) -> Reply:
    ctx, mention = _context(text, state, session)
    if year is not None:
        ctx.year = year
    number = _unknown_plan_number(text, mention, session)
    if number:
        return Reply(f"Không có kế hoạch số {number} trong cơ sở tri thức; hiện có: {_which_plans(session)}.",
                     state=dict(state))
    place = _unknown_place(text, mention, session)
    if place:
        return Reply(f"Không tìm thấy kế hoạch của {place} trong cơ sở tri thức; hiện có: {_which_plans(session)}.",
                     state=dict(state))
    if not ctx.topic:
        return Reply("Bạn muốn hỏi về nội dung nào của kế hoạch? Hãy nêu rõ hơn, ví dụ: "
                     "“chỉ tiêu họp trực tuyến năm 2020 của Cần Thơ”.", state=dict(state), found=False)
    asked_about = Asked.of(text)
    if levels is not None:
        asked_about.levels = levels
    if ctx.named and ctx.plans:
        missing = {p: _missing(p, asked_about, session) for p in ctx.plans}
        if all(missing.values()):
            state = {**state, "plan_id": ",".join(ctx.plans), "question_kind": kind, "topic": ctx.topic}
            return Reply(_refusal(ctx.plans, missing, session), [], state, found=False)
    floor = MIN_MATCHED_WITH_UNKNOWN if ctx.unknown else MIN_MATCHED
    results = {k: [h for h in _search(k, ctx, session, floor) if h.matched >= floor and _covers(h, asked_about)
                   and (year is None or h.year == year)]  # a part of the question: facts of its own year
               for k in FALLBACK_ORDER if k != "passage" or kind != "task"}
    unit = counted_unit(text)
    if unit:
        for hits in results.values():
            _prefer_counted(hits, unit)
    # The prior: the NLU's kind, or the kind the question's cue words ask for ("… cho phòng nào
    # thẩm định" asks whom a report goes to, "bộ phận nào phụ trách" who does it) when its best
    # fact scores higher; other kinds then have to beat it by the margins below.
    prior = kind
    cue = cue_kind(text)
    if cue not in (kind, "task") and results.get(cue) and (
            not results.get(kind) or results[cue][0].score > results[kind][0].score):
        prior = cue
    if {prior, kind} == {"responsibility", "project"} and results.get("project") and results.get("responsibility") \
            and results["project"][0].fact.section == results["responsibility"][0].fact.section:
        prior = "project"  # an appendix row read both ways: the project answer also gives its years
    asked = results[prior]
    best_asked = asked[0].score if asked else 0.0
    used_kind = prior
    matched_asked = asked[0].matched if asked else 0.0
    # An appendix row is both a project and its lead/partners; the project answer says more.
    subsumed = {"responsibility"} if prior == "project" and asked and (asked[0].fact.section or "").startswith("PL") else set()
    others = [(hits[0].score, hits[0].matched, k) for k, hits in results.items()
              if hits and k != prior and k != "passage" and k not in subsumed]
    others += [(hits[0].score - 0.05, hits[0].matched, k) for k, hits in results.items() if hits and k == "passage"]
    if others:
        score, matched, other = max(others)
        margin = SWITCH_MARGIN if best_asked < GOOD else CLEAR_SWITCH_MARGIN
        # The intent is only a prior: another kind wins when it scores clearly better, or when
        # it scores better and covers clearly more of the question's words.
        covers_more = matched >= matched_asked + COVER_MARGIN and score > best_asked
        if score >= GOOD and (score >= best_asked + margin or covers_more):
            used_kind = other
    hits = results[used_kind]
    new_state = {**state, "question_kind": kind, "topic": ctx.topic, "year": str(ctx.year) if ctx.year else None,
                 "pending_question": None}
    if not hits or hits[0].score < GOOD:
        new_state["plan_id"] = ",".join(ctx.plans) if ctx.plans else state.get("plan_id")
        what = "kinh phí (số tiền cụ thể)" if asked_about.money else None
        return Reply(_not_found(ctx, kind, session, what), _followup_buttons(kind, ctx, session), new_state,
                     found=False)
    per_plan = _best_per_plan(hits)
    top = hits[0].score
    plans = [p for p, s in sorted(per_plan.items(), key=lambda x: -x[1])
             if s >= GOOD and (ctx.named or s >= top - CLOSE)][:MAX_PLANS]
    blocks = []
    for plan in plans:
        group = _answer_group(hits, plan, None if _school_years(text) else ctx.year)
        lines = list(dict.fromkeys(describe(h) for h in group))  # two facts of one sentence may read alike
        cite = _citations(group)
        body = "\n".join(f"- {line}" for line in lines) if len(lines) > 1 else lines[0]
        label = _plan_name(plan, session)
        blocks.append(f"Theo {label}:\n{body}\n{cite}" if len(plans) > 1 or len(lines) > 1
                      else f"Theo {label}: {body} {cite}")
    missing = [p for p in (ctx.plans or []) if ctx.named and p not in plans]
    for p in missing:
        blocks.append(f"{_plan_name(p, session)} không đề cập nội dung này.")
    new_state["plan_id"] = ",".join(plans)
    buttons = _followup_buttons(kind, Context(ctx.text, plans, True, ctx.year, ctx.topic), session)
    if len(plans) > 1:
        # Each plan answered and labelled; a button narrows the conversation to one of them.
        buttons = [button(f"Chỉ {_plan_name(p, session)}", choose_plan_payload(p)) for p in plans] + buttons
        new_state["pending_question"] = text
    return Reply("\n\n".join(blocks), buttons, new_state)


def _citations(group: list[kb.Hit]) -> str:
    seen: list[str] = []
    for hit in group:
        cite = hit.fact.citation()
        if cite not in seen:
            seen.append(cite)
    return " ".join(seen)


def _followup_buttons(kind: str, ctx: Context, session: Optional[Session]) -> list[dict]:
    """Buttons for the obvious next question: other years of the same targets, who does it."""
    buttons: list[dict] = []
    if kind == "target" and ctx.plans and len(ctx.plans) == 1:
        years = sorted({h.year for h in kb.search("target", ctx.topic or ctx.text, ctx.plans, None,
                                                  session=session, limit=10)
                        if h.year and h.score >= GOOD and h.year != ctx.year})
        buttons += [button(f"Năm {y}", followup_payload(year=str(y))) for y in years[:3]]
    if kind in ("target", "task", "project"):
        buttons.append(button("Trách nhiệm thực hiện", followup_payload(question_kind="responsibility")))
    return buttons


# ---------------------------------------------------------------------------- document info


def answer_document(text: str, state: dict, session: Optional[Session] = None) -> Reply:
    """Number, issuer, date as printed, parent decisions, period, signer (only if the KB has it)."""
    ctx, mention = _context(text, state, session)
    place = _unknown_place(text, mention, session)
    if place:
        return Reply(f"Không tìm thấy kế hoạch của {place} trong cơ sở tri thức; hiện có: "
                     f"{', '.join(i.plan_name() for i in kb.plan_infos(session=session))}.", state=dict(state))
    infos = {i.plan: i for i in kb.plan_infos(session=session)}
    plans = ctx.plans or (list(infos) if len(infos) == 1 else [])
    if not plans:
        hits = kb.search("document", text, None, None, session=session)
        good = [h for h in hits if h.score >= GOOD]
        if len(good) == 1 or (good and len(good) > 1 and good[0].score - good[1].score >= CLOSE):
            plans = [good[0].plan]
    if not plans:
        return Reply("Bạn hỏi về kế hoạch nào?",
                     [button(i.plan_name(), choose_plan_payload(p)) for p, i in infos.items()],
                     {**state, "question_kind": "document", "pending_question": text})
    blocks = [describe_document(infos[p], text) for p in plans[:MAX_PLANS] if p in infos]
    new_state = {**state, "question_kind": "document", "plan_id": ",".join(plans[:MAX_PLANS]),
                 "topic": ctx.topic, "pending_question": None}
    return Reply("\n\n".join(blocks), [], new_state)


SIGNER_WORDS = re.compile(r"\b(ky|nguoi ky|ai ky)\b")


def describe_document(info: PlanInfo, question: str) -> str:
    lines = [f"{info.plan_name()}: {info.title}." if info.title else f"{info.plan_name()}."]
    lines.append(f"Số hiệu: {info.plan_number}." if info.plan_number else "Số hiệu: văn bản không ghi số.")
    if info.issuer:
        lines.append(f"Cơ quan ban hành: {info.issuer}.")
    printed = info.date_printed  # the date as printed, when the KB keeps it
    date = format_date(info.date)
    if printed:
        lines.append(f"Ngày ban hành: {printed}" + (f" ({date})." if date else "."))
    elif date:
        lines.append(f"Ngày ban hành: {date}.")
    else:
        lines.append("Ngày ban hành: không có thông tin về ngày ban hành trong cơ sở tri thức.")
    if info.parent:
        lines.append(f"Căn cứ/triển khai: {', '.join(info.parent)}.")
    if info.period:
        lines.append(f"Giai đoạn: {info.period[0]}–{info.period[1]}.")
    signer = info.signer
    if signer:
        lines.append(f"Người ký: {signer}.")
    elif SIGNER_WORDS.search(fold(question)):
        lines.append("Người ký: cơ sở tri thức chưa có thông tin về người ký.")
    lines.append(f"({info.plan_name()}, phần mở đầu văn bản)")
    return " ".join(lines)


# ---------------------------------------------------------------------------- comparison


FIGURE = re.compile(r"(it nhat|toi thieu|tu|tren|hon|duoi|khong qua|toi da)?\s*(\d+(?:[.,]\d+)?)\s*(%|phan tram)")


def _figure_filter(text: str) -> Callable[[TargetFact], bool]:
    match = FIGURE.search(fold(text))
    if not match:
        return lambda t: True
    word, number = match.group(1) or "", float(match.group(2).replace(",", "."))
    if word in ("duoi", "khong qua", "toi da"):
        return lambda t: t.value <= number
    if word in ("tren", "hon"):
        return lambda t: t.value > number
    return lambda t: t.value >= number


def answer_comparison(text: str, state: dict, session: Optional[Session] = None) -> Reply:
    """Across plans: which plans set a target about the subject (meeting a figure), and when."""
    ctx, _mention = _context(text, {}, session)
    if len(_mention.plans) == 1:  # one plan named: a question about that plan, not a comparison
        return answer_plan_kind(cue_kind(text), text, state, session)
    keep = _figure_filter(text)
    hits = [h for h in kb.search("target", ctx.text, ctx.plans, None, session=session, limit=500)
            if h.score >= GOOD and keep(h.fact)]
    if not hits and _mention.plans:
        return answer_plan_kind("task", text, state, session)  # one plan named: not a comparison
    if not hits:
        return Reply(f"Không tìm thấy kế hoạch nào có chỉ tiêu về “{ctx.topic}” như vậy.",
                     state={**state, "question_kind": "comparison", "topic": ctx.topic}, found=False)
    best: dict[str, kb.Hit] = {}
    for hit in hits:
        if hit.plan not in best:
            best[hit.plan] = hit
    lines = []
    for plan, hit in sorted(best.items(), key=lambda x: -x[1].score):
        t: TargetFact = hit.fact
        place = (t.issuer or plan)
        year = f", đến năm {t.year}" if t.year else ""
        lines.append(f"- {place}: {t.figure()}{year} — {_dot(t.text)} {t.citation()}")
    return Reply("Các kế hoạch có chỉ tiêu này:\n" + "\n".join(lines), [],
                 {**state, "question_kind": "comparison", "topic": ctx.topic, "plan_id": None})


# ---------------------------------------------------------------------------- procedures


def answer_procedure(text: str, state: dict, session: Optional[Session] = None) -> Reply:
    from knowledge import procedures

    hits = procedures.search_procedures(text, session=session)
    new_state = {**state, "question_kind": "procedure", "topic": text}
    if not hits or not procedures.is_answer(hits[0]):
        if kb.resolve_plans(text, session=session):
            # a question naming a plan's province or number is about the plan, whatever NLU said
            return answer_plan_kind("task", text, state, session)
        return Reply("Không tìm thấy thông tin về thủ tục này trong dữ liệu thủ tục hành chính hiện có.",
                     state=new_state, found=False)
    entry = hits[0].procedure
    text_out = procedures.describe(entry, text)
    asked = provinces_in(text)
    if asked and not any(fold(p) in fold(entry.get("locality") or "") for p in asked):
        text_out = (f"Chưa có thông tin riêng cho {', '.join(asked)}; dưới đây là thông tin của "
                    f"{entry.get('locality') or 'một địa phương khác'}, có thể khác quy định tại địa phương bạn.\n"
                    + text_out)
    return Reply(text_out, [], new_state)


# ---------------------------------------------------------------------------- follow-ups


PAYLOAD = re.compile(r"^\s*/(\w+)\s*(\{.*\})?\s*$", re.S)


def parse_payload(text: str) -> Optional[tuple[str, dict]]:
    """"/choose_plan{"plan_id":"x"}" → ("choose_plan", {"plan_id": "x"})."""
    match = PAYLOAD.match(text or "")
    if not match:
        return None
    try:
        entities = json.loads(match.group(2)) if match.group(2) else {}
    except json.JSONDecodeError:
        entities = {}
    return match.group(1), entities if isinstance(entities, dict) else {}


def answer_followup(text: str, state: dict, session: Optional[Session] = None) -> Reply:
    """"còn năm 2025 thì sao?" keeps plan and subject and changes the year; a plan-choice
    button re-asks the pending question for that plan."""
    payload = parse_payload(text)
    kind = state.get("question_kind") or "target"
    if payload:
        intent, entities = payload
        if entities.get("plan_id"):
            state = {**state, "plan_id": entities["plan_id"]}
            pending = state.get("pending_question")
            if pending:
                return answer(kind, pending, {**state, "pending_question": None}, session=session)
        kind = entities.get("question_kind", kind)
        year = entities.get("year")
        text = f"{state.get('topic') or ''} {year or ''}".strip()
        return answer(kind, text, {**state, "year": year or state.get("year")}, session=session)
    if kind == "followup" or not state.get("topic"):
        return Reply("Bạn muốn hỏi tiếp về nội dung nào? Hãy nêu câu hỏi đầy đủ hơn.", state=dict(state))
    combined = f"{state.get('topic') or ''} {text}"
    return answer(kind, combined, state, session=session)


# ---------------------------------------------------------------------------- entry point


# Questions about the document itself, however NLU labelled them (folded text).
DOCUMENT_QUESTION = re.compile(
    r"\bban hanh (khi nao|ngay nao|nam nao|luc nao|bao gio|thang nao)|\bso (may|hieu|bao nhieu)\b(?! phan tram)|"
    r"\b(ai|nguoi) ky\b|\bcan cu (vao )?(ke hoach|quyet dinh|van ban|nghi quyet) nao|"
    r"\b(quyet dinh|ke hoach|van ban) nao cua (thu tuong|chinh phu|tinh|bo)\b|\bgiai doan nao\b")


def answer(kind: str, text: str, state: Optional[dict] = None, *, session: Optional[Session] = None) -> Reply:
    """Answer ``text`` as a question of ``kind`` (an intent name like "ask_target" is accepted
    too) given the conversation ``state`` (the slots)."""
    state = dict(state or {})
    kind = INTENT_KINDS.get(kind, kind)
    text = nfc(text or "")
    if kind == "followup":
        return answer_followup(text, state, session)
    if kind == "document" and not Asked.of(text).money:
        return answer_document(text, state, session)
    if kind == "comparison":
        return answer_comparison(text, state, session)
    if kind == "procedure":
        return answer_procedure(text, state, session)
    if kind not in PLAN_KINDS:
        kind = "task"
    if DOCUMENT_QUESTION.search(fold(text)) and not Asked.of(text).money:
        return answer_document(text, state, session)  # "ban hành khi nào, số mấy?" is about the document
    return answer_plan_kind(kind, text, state, session)


# ---------------------------------------------------------------------------- retrieval first


# Cue words of a question (folded) → the kind of fact it asks for, in order of precedence; the
# NLU intent is not known here (nlu_fallback / out_of_scope), so the words decide the prior.
CUES: tuple[tuple[str, re.Pattern], ...] = (
    # when a report is due, how often, and to whom it goes ("gửi … cho phòng nào", "báo cáo về đâu")
    ("deadline", re.compile(r"\b(khi nao|bao gio|luc nao|truoc ngay|han chot|thoi han|hang quy|hang thang|hang nam|"
                            r"ngay may|ngay nao|dinh ky|bao lau|may lan)\b.*\b(bao cao|nop|gui)\b|\b(bao cao|nop|gui)\b.*"
                            r"\b(khi nao|bao gio|luc nao|truoc ngay|han chot|thoi han|hang quy|hang thang|hang nam|ngay may|"
                            r"ngay nao|dinh ky|bao lau|may lan|(cho|ve|len|toi) (ai|dau|\w+ nao))\b")),
    # "ai", and "<who> nào" for any kind of body: agency, department, team, company, network operator
    ("responsibility", re.compile(r"\b(ai|(don vi|co quan|ben|phong|to|so|nganh|bo phan|nha mang|doanh nghiep|"
                                  r"to chuc|luc luong|cong ty|doan the|ca nhan|ban) nao|"
                                  r"ai lo|phu trach|chu tri|phoi hop|giao cho|dau moi|trach nhiem)\b")),
    # "mấy" is a count unless it is "máy" written without accents ("trên máy tính", "máy chiếu")
    ("target", re.compile(r"\b(bao nhieu|(?<!tren )(?<!bang )(?<!phong )may(?! (tinh|chieu|in|chu|moc|quay|may))|"
                          r"bn|ty le|ti le|phan tram|chi tieu|toi thieu|it nhat|muc tieu|dat)\b|%")),
    # last: "phụ lục", "dự án" name where the answer is, the question words above say what is asked
    ("project", re.compile(r"\b(du an|phu luc)\b")),
)


# Words that make a question one about the plans even when nothing answers it: then the honest
# "không tìm thấy / không đề cập" reply, not "tôi chưa hiểu".
ABOUT_PLANS = re.compile(r"\b(ke hoach|kh|de an|chi tieu|nhiem vu|trach nhiem|bao cao|kinh phi|chuyen doi so|"
                         r"ung dung cntt|cong nghe thong tin|phu luc|du an)\b")

# "còn huyện Hòa Mỹ thì sao?", "thế năm 2025?", "vậy còn cấp THCS": a follow-up however the NLU read it.
FOLLOWUP = re.compile(r"^\s*(con|the|vay|the con|vay con)\b.{0,60}(thi sao|the nao|ra sao|nhu nao|\?|$)")


def cue_kind(text: str) -> str:
    """The kind of fact the question's words ask for ("ai lo …" → responsibility, "mấy phần
    trăm" → target, "khi nào phải nộp báo cáo" → deadline); "có … không" and the rest → task."""
    folded = fold(nfc(text or "")).lower()
    for kind, pattern in CUES:
        if pattern.search(folded):
            return kind
    return "task"


def answer_any(text: str, state: Optional[dict] = None, *, session: Optional[Session] = None) -> Optional[Reply]:
    """Retrieval first for what the NLU could not place: the question is answered from the
    knowledge base when anything there answers it — a plan fact of the kind its cue words ask
    for (the others compete as for any question), the document's front matter, a procedure.
    ``None`` when nothing does and no plan is named, so that the bot asks to rephrase; a named
    plan that lacks the subject gets the honest "không đề cập" reply."""
    state = dict(state or {})
    text = nfc(text or "").strip()
    if not text or parse_payload(text):
        return None
    folded = fold(text)
    if state.get("topic") and FOLLOWUP.search(folded):
        return answer_followup(text, state, session)
    named = bool(kb.resolve_plans(text, session=session))
    if DOCUMENT_QUESTION.search(folded) and named:
        return answer_document(text, state, session)
    reply = answer(cue_kind(text), text, state, session=session)
    if reply.found:
        return reply
    from knowledge import procedures

    hits = procedures.search_procedures(text, session=session)
    if hits and procedures.is_answer(hits[0]):
        return answer_procedure(text, state, session)
    return reply if named or ABOUT_PLANS.search(folded) else None
