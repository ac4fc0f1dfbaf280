"""knowledge.search and knowledge.procedures on a real knowledge base: the four sample plans
(DOCX) and samples/procedures.yml in a fresh SQLite file."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PLAN_NAMES, PLANS, PROJECT_ROOT
from knowledge import procedures, search
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_paths
from knowledge.textsearch import folded_words, make_query

PLAN_FILES = [PLANS / f"{n}.docx" for n in PLAN_NAMES]
PROCEDURES = PROJECT_ROOT / "samples" / "procedures.yml"


def build_kb(directory: Path, extra: tuple[Path, ...] = ()):
    """A session factory on a new SQLite KB holding the sample plans, ``extra`` plan files and
    the procedures."""
    factory = make_session_factory(f"sqlite:///{directory / 'kb.sqlite3'}")
    results = ingest_paths([*PLAN_FILES, *extra], factory, show_progress=False)
    assert all(r.error is None for r in results), [r.error for r in results]
    procedures.load_procedures(factory, PROCEDURES)
    return factory


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    factory = build_kb(tmp_path_factory.mktemp("kb"))
    with factory() as s:
        yield s


# ---------------------------------------------------------------------------- text


def test_folding_and_abbreviations() -> None:
    assert folded_words("Sở GD&ĐT") == ["so", "giao", "duc", "va", "dao", "tao"]
    assert folded_words("tthc") == ["thu", "tuc", "hanh", "chinh"]
    query = make_query("cho hỏi bao nhiêu phần trăm gv dùng CNTT?")
    assert query.unigrams == ["giao", "vien", "dung", "cong", "nghe", "thong", "tin"]


# ---------------------------------------------------------------------------- plans


@pytest.mark.parametrize("text, plan", [
    ("Cần Thơ", "cantho-148-2017"), ("can tho", "cantho-148-2017"), ("cantho", "cantho-148-2017"),
    ("cn tho", "cantho-148-2017"),  # typo
    ("Mường Tè", "muongte-2022"), ("muong te", "muongte-2022"), ("lam dong", "lamdong-3381-2017"),
    ("kế hoạch 148", "cantho-148-2017"), ("3381/KH-UBND", "lamdong-3381-2017"), ("dak lak", "daklak-4575-2018"),
])
def test_resolve_plans(session, text: str, plan: str) -> None:
    assert [p.plan for p in search.resolve_plans(f"kế hoạch của {text} có gì", session=session)] == [plan]


def test_resolve_plans_names_nothing(session) -> None:
    assert search.resolve_plans("chỉ tiêu họp trực tuyến năm 2020", session=session) == []
    assert search.resolve_plans("Hà Nội có kế hoạch gì", session=session) == []


def test_targets_ranked_with_figures_and_sections(session) -> None:
    hits = search.search_targets("cuoc hop truc tuyen can tho", ["cantho-148-2017"], 2020, session=session)
    top = hits[0]
    assert top.fact.value == 70 and top.fact.section == "III.2.a" and top.fact.year == 2020
    assert "cuộc họp" in top.fact.text


def test_target_siblings_share_a_group(session) -> None:
    """"61% … trong đó 44% … 17%" is one sentence: one group, three figures."""
    hits = search.search_targets("ty le tthc xu ly truc tuyen muc do 3, 4", ["cantho-148-2017"], 2020,
                                 session=session, limit=100)
    group = [h.fact.value for h in hits if h.group == hits[0].group]
    assert sorted(group) == [17, 44, 61]


def test_year_prefers_that_years_target(session) -> None:
    hits = search.search_targets("phu huynh tuong tac voi nha truong", ["cantho-148-2017"], 2025, session=session)
    assert (hits[0].fact.value, hits[0].fact.year, hits[0].fact.section) == (70, 2025, "III.2.b")
    hits = search.search_targets("phu huynh tuong tac voi nha truong", ["cantho-148-2017"], 2020, session=session)
    assert (hits[0].fact.value, hits[0].fact.year) == (40, 2020)


def test_responsibility_items_group_agencies(session) -> None:
    hits = search.search_responsibilities("So Tai chinh phoi hop voi ai khi bo tri kinh phi",
                                          ["cantho-148-2017"], session=session)
    item = hits[0].fact
    assert item.section == "VI.3"
    assert item.agencies("chủ trì") == ["Sở Tài chính"]
    assert {"Sở Giáo dục và Đào tạo", "Ủy ban nhân dân quận, huyện"} <= set(item.agencies("phối hợp"))


def test_projects_and_deadlines(session) -> None:
    project = search.search_projects("trang thong tin dien tu tap trung", ["lamdong-3381-2017"], session=session)[0]
    assert project.fact.no == 9 and project.fact.years == [2019, 2020] and project.fact.section == "PL.9"
    deadline = search.search_deadlines("du toan kinh phi gui phong nao", ["muongte-2022"], session=session)[0]
    assert deadline.fact.section == "IV.1" and "Tài chính - Kế hoạch" in (deadline.fact.to or deadline.fact.what)


def test_typo_is_repaired_but_real_words_are_not(session) -> None:
    assert "tuyen" in search.query_of("hoc truc tuyn", session=session).unigrams
    assert "tieng" in search.query_of("day bang tieng anh", session=session).unigrams


def test_question_words_and_content_words() -> None:
    """"báo cáo" keeps its "bao" (only "bao nhiêu / bao giờ / bao lâu" ask); "hạn chót", "ngày nào"
    ask for a date and are not the subject.  (Speed: bench/search.py, not a timed test.)"""
    assert make_query("khi nào phải nộp báo cáo").unigrams == ["nop", "bao", "cao"]
    assert make_query("bao nhiêu giáo viên, hạn chót ngày nào").unigrams == ["giao", "vien"]


def test_colloquial_word_and_short_typo_are_repaired(session) -> None:
    words = search.query_of("lắp thêm phòng học thông mih", session=session).unigrams
    assert {"bo", "sung", "minh"} <= set(words) and "them" not in words, words


def test_index_follows_a_new_version(tmp_path) -> None:
    """Re-ingesting a plan (new document id) rebuilds its index: the cache never serves old rows."""
    factory = build_kb(tmp_path)
    with factory() as s:
        before = search._snapshot(s)
    original = PLAN_FILES[0].with_suffix(".txt").read_text(encoding="utf-8")
    changed = tmp_path / PLAN_FILES[0].with_suffix(".txt").name  # new content: the same text would keep the version
    changed.write_text(original.replace("- 70% phụ huynh học sinh", "- 70% phụ huynh học sinh (sửa đổi)", 1),
                       encoding="utf-8")
    assert [r.version for r in ingest_paths([changed], factory, show_progress=False)] == [2]
    with factory() as s:
        after = search._snapshot(s)
        assert after is not before and after.key != before.key
        assert search.search_targets("cuoc hop truc tuyen can tho", session=s)[0].fact.value == 70


# ---------------------------------------------------------------------------- procedures


def test_load_procedures_is_idempotent(tmp_path) -> None:
    factory = make_session_factory(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    first = procedures.load_procedures(factory, PROCEDURES)
    again = procedures.load_procedures(factory, PROCEDURES)
    assert first["added"] == 26 and again == {"added": 0, "updated": 0, "unchanged": 26, "removed": 0}


def test_search_procedures(session) -> None:
    hits = procedures.search_procedures("cap ban sao bang tot nghiep thcs mat bao lau", session=session)
    entry = hits[0].procedure
    assert entry["id"] == "cap-ban-sao-bang-thcs-baubang" and hits[0].score >= procedures.GOOD
    text = procedures.describe(entry, "mất bao lâu")
    assert "07 ngày làm việc" in text and entry["source"] in text and "Bàu Bàng" in text
    local = procedures.search_procedures("ho tro an trua tre mau giao o lai chau", session=session)[0]
    assert local.procedure["id"] == "ho-tro-an-trua-tre-mau-giao-laichau"
    assert not procedures.is_answer(procedures.search_procedures("xin cấp giấy phép lái xe", session=session)[0])


@pytest.mark.parametrize("scan, ranked", [(0, 10**9), (0, 0)], ids=["full-text ranked", "full-text unranked"])
def test_every_search_path_finds_the_fact(session, monkeypatch, scan: int, ranked: int) -> None:
    """A few plans are scored whole in memory; a large KB reads candidates from the full-text
    index, ranked by the engine (up to RANKED_ROWS rows in scope) or not (beyond): each path
    finds the same fact here (bench/search.py times them at 1,000 plans)."""
    expected = search.search_targets("phu huynh tuong tac voi nha truong", None, 2025, session=session)[0]
    monkeypatch.setattr(search, "SCAN_UNITS", scan)
    monkeypatch.setattr(search, "RANKED_ROWS", ranked)
    search.clear_memo()
    hit = search.search_targets("phu huynh tuong tac voi nha truong", None, 2025, session=session)[0]
    assert (hit.plan, hit.fact.section, hit.fact.value) == (expected.plan, expected.fact.section, expected.fact.value)
    assert (hit.fact.value, hit.fact.section) == (70, "III.2.b")
    search.clear_memo()
