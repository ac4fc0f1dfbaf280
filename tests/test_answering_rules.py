"""How :func:`actions.answering.answer` picks the fact that answers, on real plans (text
renderings of a school's plan, a province's plan and two district plans in a fresh SQLite KB),
asked in words of our own (not the development questions):

- the question's cue words weigh the kinds with the NLU's intent ("gửi … cho phòng nào" asks
  whom a report goes to; "bao lâu một lần" how often; "bộ phận nào" who does it);
- a row of an assignment table is an item of its own, with every body of the row;
- "bao nhiêu phòng" prefers a fact that counts rooms;
- "…; riêng thành phố … đạt 65%" is part of its sentence's figure;
- the plan's name is not searched for, but its words are where they mean something else.
"""
from __future__ import annotations

import re

import pytest

from actions.answering import answer, counted_unit, cue_kind
from conftest import PLANS
from knowledge import search
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_paths

FILES = [PLANS / f"{name}.txt" for name in ("thpt-lequydon-hoaan-2024", "ngocson-96-2021", "muongte-2022",
                                             "qd-hoamy-2023", "sgd-binhlam-2024")]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    factory = make_session_factory(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite3'}")
    results = ingest_paths(FILES, factory, show_progress=False)
    assert all(r.error is None for r in results), [r.error for r in results]
    search.clear_cache()
    with factory() as s:
        yield s


def cited(text: str) -> list[str]:
    return re.findall(r"mục ([\w.]+)\)", text)


@pytest.mark.parametrize("text, kind", [
    ("Phòng giáo dục lập dự toán xong thì gửi cho phòng nào thẩm định?", "deadline"),
    ("số liệu này báo cáo bao lâu một lần", "deadline"),
    ("bộ phận nào lo việc cấp tài khoản cho học sinh", "responsibility"),
    ("nhà mạng nào hỗ trợ gói cước", "responsibility"),
    ("trên máy tính kiểm tra những môn nào", "task"),
    ("tren may tinh kiem tra nhung mon nao", "task"),
    ("mấy phòng học thông minh", "target"),
    ("phụ lục có những dự án nào", "project"),
])
def test_cue_words(text: str, kind: str) -> None:
    assert cue_kind(text) == kind


def test_counted_unit() -> None:
    assert counted_unit("trường bổ sung bao nhiêu phòng học?") == "phong"
    assert counted_unit("bao nhiêu phần trăm giáo viên") is None
    assert counted_unit("kiểm tra trên máy tính") is None


def test_recipient_question_is_answered_by_the_obligation(session) -> None:
    reply = answer("ask_responsibility", "Mường Tè: Phòng GD&ĐT lập dự toán kinh phí hằng năm xong gửi cho phòng nào "
                   "thẩm định?", {}, session=session)
    assert "Phòng Tài chính - Kế hoạch" in reply.text and "IV.1" in cited(reply.text), reply.text


def test_table_row_is_its_own_item_with_every_body(session) -> None:
    # the NLU took it for a target question: the cue words ("bộ phận nào") still ask who
    reply = answer("ask_target", "Ở trường Lê Quý Đôn, bộ phận nào cấp và kích hoạt tài khoản LMS cho học sinh?",
                   {}, session=session)
    assert "Tổ Tin học" in reply.text and "Giáo viên chủ nhiệm" in reply.text, reply.text
    assert cited(reply.text) == ["IV.1"]
    assert "Phó Hiệu trưởng" not in reply.text  # the other rows of the table are other items


def test_count_of_the_thing_asked(session) -> None:
    reply = answer("ask_target", "truong le quy don nam hoc nay lap them bao nhieu phong hoc thong minh", {},
                   session=session)
    assert "02 phòng học thông minh" in reply.text and "III.1" in cited(reply.text), reply.text


def test_sub_figure_answers_with_its_figure(session) -> None:
    reply = answer("ask_target", "Ngọc Sơn đặt mục tiêu bao nhiêu % học sinh phổ thông thường xuyên dùng nền tảng học "
                   "tập trực tuyến của tỉnh?", {}, session=session)
    assert "50%" in reply.text and "65%" in reply.text, reply.text


def test_how_often_is_a_deadline_even_asked_as_an_appendix(session) -> None:
    reply = answer("ask_appendix_project", "Theo phụ lục II của Ngọc Sơn, số tài khoản học sinh trên hệ thống học "
                   "trực tuyến phải báo cáo bao lâu một lần?", {}, session=session)
    assert "Hằng quý" in reply.text and "PLII.2" in cited(reply.text), reply.text


def test_plan_name_is_dropped_only_where_it_names_the_plan(session) -> None:
    words = search.query_of("trường THPT Lê Quý Đôn có bao nhiêu phòng học thông minh", session=session).unigrams
    assert {"phong", "hoc", "thong", "minh"} <= set(words) and not {"quy", "don"} & set(words), words


def test_a_word_the_named_plan_never_uses_is_refused(session) -> None:
    """"robot" is in no fact of Mường Tè's plan: the plan's other words ("kế hoạch", "giáo dục")
    do not make an answer."""
    reply = answer("ask_task", "Kế hoạch Mường Tè có nói gì về robot giáo dục không?", {}, session=session)
    assert not reply.found and "không đề cập" in reply.text and not cited(reply.text), reply.text


def test_a_place_written_exactly_is_not_also_a_near_miss(session) -> None:
    """"Ngọc Sơn … tỉnh làm gì": "tỉnh làm" is not a typo of another plan's place."""
    assert [p.plan for p in search.resolve_plans("Ngọc Sơn giao Công an tỉnh làm gì", session=session)] == [
        "ngocson-96-2021"]
