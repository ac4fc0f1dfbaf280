"""The chatbot's answers (actions.answering) and the Rasa action wrappers on a real knowledge
base: figures and sections as printed in the sample plans, honest "không đề cập" replies,
follow-ups, and a city with two plans."""
from __future__ import annotations

import asyncio
import importlib.util
import re

import pytest

from conftest import PLANS, SCORER
from test_search import build_kb
from actions.answering import answer, choose_plan_payload, followup_payload
from actions import actions as rasa_actions



def _scorer():
    spec = importlib.util.spec_from_file_location("qa_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORE = _scorer()


def correct(reply: str, expect: list[str], section: str | None) -> bool:
    """score.py's check: every expected string and the section, after its canon()."""
    flat = SCORE.canon(reply)
    cited = not section or re.search(rf"(?<![\w.]){re.escape(section.lower())}(?!\w)", flat)
    return all(SCORE.canon(e) in flat for e in expect) and bool(cited)


def honest(reply: str) -> bool:
    flat = SCORE.canon(reply)
    return bool(SCORE.NO_INFO.search(flat)) and not re.search(r"\bmục [ivx0-9]", flat)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    factory = build_kb(tmp_path_factory.mktemp("kb"))
    with factory() as s:
        yield s


@pytest.fixture(scope="module")
def two_cantho(tmp_path_factory):
    """The KB plus a second (made-up, 2022) Cần Thơ plan with other figures: a city, two plans."""
    directory = tmp_path_factory.mktemp("two")
    text = (PLANS / "cantho-148-2017.txt").read_text(encoding="utf-8")
    text = text.replace("148/KH-UBND", "55/KH-UBND").replace("ngày 22 tháng 9 năm 2017", "ngày 10 tháng 3 năm 2022")
    text = text.replace("Có 70% các cuộc họp", "Có 90% các cuộc họp")
    extra = directory / "cantho-55-2022.txt"
    extra.write_text(text, encoding="utf-8")
    factory = build_kb(directory, (extra,))
    with factory() as s:
        yield s


# ---------------------------------------------------------------------------- probes

# Questions of our own (paraphrased, abbreviated, misspelt), answered from the KB.
PROBES = [
    ("ask_target", "ty le hop truc tuyen cua lam dong nam 2020", ["70%", "2020"], "I.2.a"),
    ("ask_target", "cần thơ muốn bao nhiu % phụ huynh tương tác với nhà trường năm 2025", ["70%"], "III.2.b"),
    ("ask_target", "muong te phan dau bao nhieu % hs hoc truc tuyn", ["40%"], "II.2.1.a"),  # typo
    ("ask_target", "chi tieu so diem dien tu o dak lak", ["70%", "sổ điểm điện tử"], "II.2.1.2"),
    ("ask_target", "kh 148: bao nhieu % truong thpt co phong hoc da nang nam 2020", ["100%"], "III.2.a"),
    ("ask_responsibility", "so tttt lam dong phu trach viec gi", ["Sở Thông tin và Truyền thông"], "III.2"),
    ("ask_responsibility", "ai lo kinh phi cho ke hoach o muong te", ["Phòng Tài chính - Kế hoạch"], "IV.3"),
    ("ask_appendix_project", "du an quan ly tap trung truc tuyen lam dong lam nam nao",
     ["2017", "2020", "Sở Kế hoạch và Đầu tư"], "PL.4"),
    ("ask_task", "cantho co xay dung thu vien dien tu khong", ["thư viện điện tử"], "III.2.b"),
    ("ask_deadline", "pgd mường tè gửi dự toán kinh phí cho ai, khi nào", ["Phòng Tài chính - Kế hoạch", "Hàng năm"],
     "IV.1"),
    # NLU may pick the wrong intent: the answer falls back to the kind that matches.
    ("ask_task", "Sở Tài chính Cần Thơ phối hợp với ai khi bố trí kinh phí?", ["Sở Giáo dục và Đào tạo"], "VI.3"),
    ("ask_document_info", "kh 3381 lam dong ban hanh ngay nao", ["8", "6", "2017"], None),
]

UNANSWERABLE = [
    ("ask_target", "Cần Thơ đặt chỉ tiêu bao nhiêu phần trăm giáo viên dạy bằng tiếng Anh?"),
    ("ask_target", "Mường Tè đặt chỉ tiêu bao nhiêu robot trong trường học?"),
    ("ask_target", "lam dong dat chi tieu bao nhieu % truong co be boi"),
    ("ask_task", "Đắk Lắk có kế hoạch dùng trí tuệ nhân tạo chấm thi không?"),
    ("ask_responsibility", "Cần Thơ giao ai xây dựng sân vận động?"),
    ("ask_target", "Hà Nội đặt mục tiêu bao nhiêu % cuộc họp trực tuyến?"),  # no plan of Hà Nội
    ("ask_target", "kế hoạch của tỉnh Cà Mau có chỉ tiêu học bạ điện tử không"),
    ("ask_procedure", "thủ tục cấp giấy phép lái xe ô tô"),
]


@pytest.mark.parametrize("intent, text, expect, section", PROBES)
def test_probe_questions(session, intent, text, expect, section) -> None:
    reply = answer(intent, text, {}, session=session)
    assert correct(reply.text, expect, section), reply.text


@pytest.mark.parametrize("intent, text", UNANSWERABLE)
def test_unanswerable_questions_are_declined(session, intent, text) -> None:
    reply = answer(intent, text, {}, session=session)
    assert honest(reply.text), reply.text


def test_every_answer_cites_plan_and_section(session) -> None:
    reply = answer("ask_target", "chỉ tiêu tthc trực tuyến mức độ 3, 4 của Cần Thơ năm 2020", {}, session=session)
    assert "(Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ, mục III.2.a)" in reply.text
    for figure in ("61%", "44%", "17%"):  # the three figures of one sentence answer together
        assert figure in reply.text
    assert reply.text == __import__("unicodedata").normalize("NFC", reply.text)


def test_document_info(session) -> None:
    reply = answer("ask_document_info", "Kế hoạch 148 của Cần Thơ ban hành ngày nào, thực hiện quyết định nào?", {},
                   session=session)
    assert "ngày 22 tháng 9 năm 2017" in reply.text and "117/QĐ-TTg" in reply.text
    assert "Kế hoạch số 148/KH-UBND" in reply.text and "mục" not in reply.text
    blank = answer("ask_document_info", "kh cds muong te ap dung giai doan nao", {}, session=session)
    assert "2022–2030" in blank.text and "không ghi số" in blank.text
    signer = answer("ask_document_info", "ai ky kh 4575 dak lak", {}, session=session)
    assert "Người ký: H'Yim Kđoh" in signer.text  # from the copied front matter ("Người ký …")
    printed = answer("ask_document_info", "kh chuyen doi so giao duc muong te ban hanh khi nao", {}, session=session)
    assert "tháng 6 năm 2021" in printed.text  # the printed date keeps its blank day out, never invents one


def test_comparison_across_plans(session) -> None:
    reply = answer("ask_comparison", "tỉnh nào đặt mục tiêu ít nhất 70% cuộc họp trực tuyến, đến năm nào?", {},
                   session=session)
    assert "Lâm Đồng" in reply.text and "I.2.a" in reply.text and "2020" in reply.text
    assert "Cần Thơ" in reply.text and "III.2.a" in reply.text
    assert "Đắk Lắk" in reply.text and "80%" in reply.text  # 40% by 2020 is below, 80% by 2025 is not


# ---------------------------------------------------------------------------- conversations


def test_followup_changes_year_keeps_plan_and_subject(session) -> None:
    first = answer("ask_target", "Cần Thơ: bao nhiêu % phụ huynh tương tác với nhà trường qua truyền thông năm 2020?",
                   {}, session=session)
    assert correct(first.text, ["40%"], "III.2.a"), first.text
    assert first.state["plan_id"] == "cantho-148-2017" and first.state["year"] == "2020"
    assert {"title": "Năm 2025", "payload": followup_payload(year="2025")} in first.buttons
    second = answer("followup", "còn năm 2025 thì sao?", first.state, session=session)
    assert correct(second.text, ["70%", "2025"], "III.2.b"), second.text
    assert "40%" not in second.text and second.state["year"] == "2025"
    by_button = answer("followup", followup_payload(year="2025"), first.state, session=session)
    assert correct(by_button.text, ["70%"], "III.2.b"), by_button.text


def test_followup_asks_who_is_responsible(session) -> None:
    first = answer("ask_target", "Lâm Đồng: chỉ tiêu họp trực tuyến năm 2020?", {}, session=session)
    who = answer("followup", followup_payload(question_kind="responsibility"), first.state, session=session)
    assert "Lâm Đồng" in who.text and "mục" in who.text


def test_city_with_two_plans(two_cantho) -> None:
    """Cần Thơ has a 2017 and a 2022 plan: both answered and labelled; a year or a button narrows."""
    both = answer("ask_target", "Cần Thơ đặt bao nhiêu % cuộc họp, lớp tập huấn trực tuyến?", {}, session=two_cantho)
    assert "Kế hoạch số 148/KH-UBND" in both.text and "Kế hoạch số 55/KH-UBND" in both.text
    assert "70%" in both.text and "90%" in both.text
    assert {"title": "Chỉ Kế hoạch số 55/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ",
            "payload": choose_plan_payload("cantho-55-2022")} in both.buttons
    assert both.state["pending_question"]
    chosen = answer("followup", choose_plan_payload("cantho-55-2022"), both.state, session=two_cantho)
    assert "90%" in chosen.text and "148/KH-UBND" not in chosen.text and chosen.state["plan_id"] == "cantho-55-2022"
    dated = answer("ask_target", "kế hoạch năm 2022 của Cần Thơ: bao nhiêu % cuộc họp trực tuyến?", {},
                   session=two_cantho)
    assert "55/KH-UBND" in dated.text and "148/KH-UBND" not in dated.text
    doc = answer("ask_document_info", "kế hoạch của Cần Thơ ban hành ngày nào?", {}, session=two_cantho)
    assert "22 tháng 9 năm 2017" in doc.text and "10 tháng 3 năm 2022" in doc.text


def test_procedure_answer_cites_source(session) -> None:
    reply = answer("ask_procedure", "thủ tục chuyển trường THCS ở Long An cần hồ sơ gì?", {}, session=session)
    assert "dichvucong.longan.gov.vn" in reply.text and "Long An" in reply.text
    assert "không có thông tin về thành phần hồ sơ" in reply.text  # the stored page was cut: not invented


# ---------------------------------------------------------------------------- Rasa wrappers


class FakeTracker:
    def __init__(self, text: str, slots: dict, intent: str = "", entities: list | None = None):
        self.latest_message = {"text": text, "intent": {"name": intent}, "entities": entities or []}
        self.slots = slots

    def get_slot(self, name: str):
        return self.slots.get(name)


class FakeDispatcher:
    def __init__(self):
        self.messages: list[dict] = []

    def utter_message(self, text=None, buttons=None, **_):
        self.messages.append({"text": text, "buttons": buttons})


def test_rasa_actions(session, monkeypatch) -> None:
    monkeypatch.setenv("KB_URL", str(session.get_bind().url))
    from knowledge import db

    db._cached_factory.cache_clear()
    names = {cls().name() for cls in rasa_actions.KnowledgeAction.__subclasses__()}
    assert names == {"action_answer_target", "action_answer_responsibility", "action_answer_deadline",
                     "action_answer_task", "action_answer_document_info", "action_answer_appendix_project",
                     "action_answer_procedure", "action_answer_comparison", "action_answer_followup",
                     "action_answer_any"}
    dispatcher = FakeDispatcher()
    events = asyncio.run(rasa_actions.ActionAnswerTarget().run(
        dispatcher, FakeTracker("phụ huynh Cần Thơ tương tác với nhà trường năm 2020 bao nhiêu %", {}), {}))
    assert "40%" in dispatcher.messages[0]["text"]
    slots = {e["name"]: e["value"] for e in events}
    assert slots["plan_id"] == "cantho-148-2017" and slots["year"] == "2020" and slots["question_kind"] == "target"
    dispatcher = FakeDispatcher()
    tracker = FakeTracker("còn 2025 thì sao", slots, intent="followup")
    asyncio.run(rasa_actions.ActionAnswerFollowup().run(dispatcher, tracker, {}))
    assert "70%" in dispatcher.messages[0]["text"] and "III.2.b" in dispatcher.messages[0]["text"]
    db._cached_factory.cache_clear()


# ---------------------------------------------------------------------------- issue #9


@pytest.mark.parametrize("question, missing", [
    ("Công an tỉnh Lâm Đồng có trách nhiệm gì trong kế hoạch này?", "Công an"),
    ("cong an tinh lam dong co trach nhiem gi", "Công an"),
    ("Kế hoạch của Lâm Đồng đặt chỉ tiêu bao nhiêu cho các trường cao đẳng, đại học?", "cao đẳng"),
])
def test_a_plan_that_does_not_name_the_subject_says_so(session, question: str, missing: str) -> None:
    """An agency or school level the plan never names: "không đề cập <it>", no section cited."""
    reply = answer("ask_responsibility", question, session=session)
    assert honest(reply.text) and missing in reply.text and "3381/KH-UBND" in reply.text, reply.text


@pytest.mark.parametrize("question", [
    "Tổng kinh phí thực hiện kế hoạch của Lâm Đồng là bao nhiêu tỷ đồng?",
    "tong kinh phi ke hoach lam dong bao nhieu ty dong",
])
def test_a_money_question_is_not_answered_with_a_percentage(session, question: str) -> None:
    reply = answer("ask_target", question, session=session)
    assert honest(reply.text) and "%" not in reply.text, reply.text


def test_two_years_get_each_their_part(session) -> None:
    """"năm 2020 và năm 2025": both parts in one reply; a part the plan has no figure for is said."""
    reply = answer("ask_target", "Lâm Đồng đặt chỉ tiêu họp trực tuyến năm 2020 và năm 2030 là bao nhiêu?",
                   session=session)
    assert "70%" in reply.text and "mục I.2.a" in reply.text, reply.text
    assert "năm 2030" in reply.text and "không đề cập" in reply.text, reply.text


def test_an_unknown_plan_number_lists_the_plans_there_are(session) -> None:
    reply = answer("ask_target", "Kế hoạch số 5555 đặt chỉ tiêu họp trực tuyến bao nhiêu?", session=session)
    assert "5555" in reply.text and "3381/KH-UBND" in reply.text and "148/KH-UBND" in reply.text, reply.text


def test_a_plan_without_a_number_is_cited_by_issuer_and_title(session) -> None:
    reply = answer("ask_target", "muong te phan dau bao nhieu % hs hoc truc tuyen", session=session)
    assert "Mường Tè" in reply.text and "muongte" not in reply.text and "mục II.2.1.a" in reply.text, reply.text


@pytest.mark.parametrize("question, kind", [
    ("ai lo bố trí kinh phí ở Mường Tè", "responsibility"),
    ("Mường Tè mấy phần trăm học sinh học trực tuyến", "target"),
    ("khi nào phải nộp báo cáo kết quả cho UBND", "deadline"),
    ("phụ lục có dự án gì", "project"),
    ("Cần Thơ có xây thư viện điện tử không", "task"),
])
def test_cue_words_choose_the_kind(question: str, kind: str) -> None:
    from actions.answering import cue_kind

    assert cue_kind(question) == kind


def test_retrieval_first_answers_what_the_nlu_could_not_place(session) -> None:
    from actions.answering import answer_any

    reply = answer_any("ai lo kinh phí cho kế hoạch ở Mường Tè vậy", session=session)
    assert reply is not None and "Phòng Tài chính - Kế hoạch" in reply.text and "mục IV.3" in reply.text
    assert answer_any("asdfgh qwerty", session=session) is None  # nothing: the bot asks to rephrase
    assert answer_any("giá vàng hôm nay bao nhiêu", session=session) is None


def test_followup_with_another_place_keeps_the_subject(session) -> None:
    first = answer("ask_target", "tỷ lệ họp trực tuyến của Lâm Đồng năm 2020", session=session)
    assert "70%" in first.text
    reply = answer("ask_followup", "còn Cần Thơ thì sao?", first.state, session=session)
    assert "148/KH-UBND" in reply.text and "trực tuyến" in reply.text, reply.text
