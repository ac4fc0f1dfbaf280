"""Targets: counted figures, comparators, years, target tables and situation figures, on the real
sample plans (tests/data/plans) and on rewritten copies of them.

The score test uses the project's copy of the evaluation scorer (tests/data/score.py) on the
targets alone, per plan and per rendering, against the hand-labelled gold of tests/data/gold.
The rewrite tests are metamorphic: a plan printed with other comparator words, other number
forms or an added sentence about today must give the same targets.
"""
from __future__ import annotations

import collections
import importlib.util
import re
from pathlib import Path

import pytest

from document_parsing import parse
from document_parsing.extraction.figures import comparator, find_figures, year_for, year_mentions
from document_parsing.extraction.targets import extract_targets

DATA = Path(__file__).parent / "data"
PLANS = sorted(p.stem for p in (DATA / "gold").glob("*.json"))
SYNTHETIC = ["sgd-binhlam-2024", "thpt-lequydon-hoaan-2024", "qd-hoamy-2023", "ngocson-96-2021"]


def _scorer():
    spec = importlib.util.spec_from_file_location("eval_score", DATA / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORER = _scorer()


def _targets_f1(plan: str, path: Path) -> tuple[float, list[dict]]:
    import json

    gold = json.loads((DATA / "gold" / f"{plan}.json").read_text(encoding="utf-8"))["targets"]
    predicted = [vars(t) for t in extract_targets(parse(path))]
    tp, ng, np_, missed = SCORER.match(gold, predicted, SCORER.same_target)
    return SCORER.f1(tp, ng, np_)[2], missed


def test_every_plan_is_in_the_score_test() -> None:
    assert set(SYNTHETIC) <= set(PLANS) and len(PLANS) == 8


@pytest.mark.parametrize("rendering", ["txt", "docx", "pdf"])
@pytest.mark.parametrize("plan", PLANS)
def test_targets_f1_per_plan_and_rendering(plan: str, rendering: str) -> None:
    score, missed = _targets_f1(plan, DATA / "plans" / f"{plan}.{rendering}")
    assert score >= 0.95, f"{plan}.{rendering}: targets F1 {score:.3f}; missed {missed[:3]}"


# ---------------------------------------------------------------------------- figures in text

@pytest.mark.parametrize("text, expected", [
    ("Các trường THPT có tối thiểu 02 phòng học thông minh/trường", [(2.0, "phòng học")]),
    ("Bổ sung 350 bộ máy tính cho phòng tin học", [(350.0, "bộ máy tính")]),
    ("toàn ngành bổ sung tối thiểu 1.500 học liệu số", [(1500.0, "học liệu")]),
    ("Có ít nhất 45 trường THPT (chiếm 75% tổng số trường)", [(45.0, "trường"), (75.0, "%")]),
    ("đến năm 2025, con số này đạt hơn 20.000 lượt", [(20000.0, "lượt")]),
    ("mỗi nhóm tiêu chí đạt trên 75 điểm", [(75.0, "điểm")]),
    ("xây dựng 12 chuyên đề ngoại khóa", [(12.0, "chuyên đề")]),
    ("lắp đặt 7 trạm phát sóng mới", [(7.0, "trạm")]),  # a noun in no list is still counted
    ("tỷ lệ đạt 12,5% ở cấp tiểu học", [(12.5, "%")]),
    ("Bổ sung 350 bộ máy tính cho các trường sau:", [(350.0, "bộ máy tính")]),  # a target, then its list
    ("Bổ sung 02 phòng học: ưu tiên các trường vùng khó", [(2.0, "phòng học")]),
])
def test_counted_figures(text: str, expected: list[tuple[float, str]]) -> None:
    assert [(f.value, f.unit) for f in find_figures(text)] == expected


@pytest.mark.parametrize("text", [
    "đạt mức độ 2 trở lên theo Bộ chỉ số", "dịch vụ công trực tuyến mức độ 3, 4 và 5 cho người dân",
    "100% học sinh lớp 10 được trang bị", "theo Chương trình giáo dục phổ thông 2018 hiện hành",
    "Thông tư số 09/2021/TT-BGDĐT ngày 30/3/2021", "bảo đảm an toàn hệ thống thông tin cấp độ 3 trở lên",
    "học 02 buổi/ngày", "báo cáo trước ngày 15/12/2024", "trong 05 ngày làm việc", "định kỳ 6 tháng một lần",
    "kinh phí 500 triệu đồng", "tại dòng 6 và dòng 8 được tính cộng dồn", "triển khai Đề án 06 của Chính phủ",
    "Quyết định số 1234/QĐ-UBND", "42/42 phòng học có máy chiếu",
    "Kế hoạch tập trung vào 05 nhóm nhiệm vụ sau:", "gồm 03 nội dung như sau", "qua 04 bước: chuẩn bị, triển khai",
])
def test_numbers_that_are_not_quantities(text: str) -> None:
    assert [f for f in find_figures(text) if f.unit != "%"] == []


@pytest.mark.parametrize("before, after, expected", [
    ("không dưới ", "", ">="), ("≥ ", "", ">="), ("tối thiểu có ", "", ">="), ("ít nhất ", "", ">="),
    ("phấn đấu có ", "", ">="), ("Phấn đấu đạt ", "", ">="), ("Từ ", " trở lên trường", ">="),
    ("từ ", " phòng học thông minh trở lên", ">="), ("trên ", "", ">"), ("đạt hơn ", "", ">"), ("vượt ", "", ">"),
    ("bảo đảm ", "", "="), ("đạt ", "", "="), ("đạt trung bình ", "", "="), ("", "", "="), ("chiếm ", "", "="),
    ("100% trường đạt mức độ 2 ", " trở lên", ">="),  # the figure here is the level's own
    ("", " trường THPT đạt mức độ 2 trở lên", "="),  # "100% … mức độ 2 trở lên": trở lên is the level's
])
def test_comparator_words(before: str, after: str, expected: str) -> None:
    assert comparator(before, after) == expected


@pytest.mark.parametrize("sentence, years", [
    ("Tỷ lệ trường đạt 85% trong năm học 2024 - 2025 và đạt 100% vào năm 2026", [2025, 2026]),
    ("cấp ít nhất 30.000 tài khoản cho học sinh đến hết năm 2023 và trên 85.000 tài khoản vào năm 2025", [2023, 2025]),
    ("Đến tháng 5/2025, 100% cán bộ được cấp chữ ký số", [2025]),
    ("Năm 2025, tối thiểu 95% giáo viên đạt yêu cầu", [2025]),
    ("100% phòng học được lắp đặt thiết bị ngay trong năm 2022", [2022]),
    ("Bổ sung 02 phòng học theo Thông tư ban hành ngày 30 tháng 3 năm 2021", [None]),
    ("Hoàn thành số hóa 100% hồ sơ trước ngày 31/12/2025", [2025]),
    ("Năm học 2024-2025: 100% trường có wifi", [2025]),
    ("đạt tỷ lệ 95% trong Quý IV/2024", [2024]),
])
def test_years_from_the_sentence(sentence: str, years: list) -> None:
    figures, mentions = find_figures(sentence), year_mentions(sentence)
    assert [year_for(f, figures, mentions) for f in figures] == years


# ---------------------------------------------------------------------------- real plans

def _facts(path: Path) -> collections.Counter:
    return collections.Counter((t.section, t.value, t.comparator, t.year) for t in extract_targets(parse(path)))


def test_counted_targets_with_units_comparators_and_years() -> None:
    targets = extract_targets(parse(DATA / "plans" / "sgd-binhlam-2024.docx"))
    by_value = {(t.section, t.value): t for t in targets}
    assert (by_value["II.2.a", 350.0].unit, by_value["II.2.a", 350.0].comparator) == ("bộ máy tính", "=")
    assert (by_value["II.2.b", 1500.0].unit, by_value["II.2.b", 1500.0].comparator) == ("học liệu", ">=")
    assert (by_value["II.2.a", 2.0].unit, by_value["II.2.a", 2.0].year) == ("phòng học", 2025)
    assert (by_value["II.3.b", 10000.0].comparator, by_value["II.3.b", 10000.0].year) == (">", 2030)
    # "45 trường (chiếm 75% …)": both are targets; "mức độ 2" is not
    restating = {t.value for t in targets if t.section == "II.2.c" and ("mức độ 2" in t.text or "chiếm" in t.text)}
    assert restating == {45.0, 75.0}
    # in the tasks part a figure without a year of its own has none
    assert {t.year for t in targets if t.section.startswith("III.")} == {None}


def test_target_table_by_semester_and_by_year() -> None:
    school = extract_targets(parse(DATA / "plans" / "thpt-lequydon-hoaan-2024.pdf"))
    lms = sorted((t.year, t.value) for t in school if t.section == "II.2" and "(LMS) của nhà trường" in t.text)
    assert lms == [(2024, 90.0), (2025, 100.0)]  # "Học kỳ I" → 2024, "Cả năm" → 2025 of năm học 2024 - 2025
    assert not any(t.value == 150.0 and t.year == 2024 and "trực tuyến" in t.text for t in school)  # "-" cell
    district = extract_targets(parse(DATA / "plans" / "qd-hoamy-2023.docx"))
    rooms = sorted((t.year, t.value, t.unit, t.comparator) for t in district if "phòng học thông minh (cộng dồn)" in t.text)
    assert rooms == [(2023, 2.0, "trường", "="), (2024, 5.0, "trường", "="), (2025, 8.0, "trường", "=")]
    assert any(t.value == 90.0 and t.year == 2023 and t.comparator == ">=" for t in district)  # "≥ 90%"


def test_money_and_situation_figures_are_not_targets() -> None:
    plan = extract_targets(parse(DATA / "plans" / "ngocson-96-2021.docx"))
    assert not any(t.value in (18500.0, 87300.0) for t in plan)  # "Kinh phí (triệu đồng)" column
    school = extract_targets(parse(DATA / "plans" / "thpt-lequydon-hoaan-2024.txt"))
    assert not any(t.value in (42.0, 228.0, 86.0, 38.0, 320.0, 27.0) for t in school)  # Phần I: today's figures


def _rewrite(plan: str, tmp_path: Path, name: str, change) -> Path:
    text = (DATA / "plans" / f"{plan}.txt").read_text(encoding="utf-8")
    new = change(text)
    assert new != text, f"{name} changed nothing in {plan}"
    out = tmp_path / f"{plan}.{name}.txt"
    out.write_text(new, encoding="utf-8")
    return out


REWRITES = {
    "ít nhất→tối thiểu": lambda s: s.replace("ít nhất", "tối thiểu"),
    "tối thiểu→không dưới": lambda s: s.replace("tối thiểu", "không dưới").replace("Tối thiểu", "Không dưới"),
    "tối thiểu→≥": lambda s: re.sub(r"(?:tối thiểu|Tối thiểu) (\d)", r"≥ \1", s),
    "02→2": lambda s: re.sub(r"(?<![\d./])0(\d) (?=[^\W\d])", r"\1 ", s),
    "trên→hơn": lambda s: re.sub(r"\b(trên|Trên) (\d)", lambda m: ("hơn " if m.group(1) == "trên" else "Hơn ") + m.group(2), s),
}


@pytest.mark.parametrize("name", sorted(REWRITES))
@pytest.mark.parametrize("plan", ["sgd-binhlam-2024", "ngocson-96-2021"])
def test_other_words_same_targets(plan: str, name: str, tmp_path: Path) -> None:
    assert _facts(_rewrite(plan, tmp_path, name, REWRITES[name])) == _facts(DATA / "plans" / f"{plan}.txt")


def test_a_sentence_about_today_adds_no_target(tmp_path: Path) -> None:
    def add(text: str) -> str:
        anchor = "b. Về chuyển đổi số trong dạy học, kiểm tra, đánh giá\n"
        today = ("- Hiện nay toàn ngành có 1.250 phòng học được kết nối Internet, 36 trường đã có phòng học "
                 "thông minh; đã trang bị 420 bộ máy tính.\n\n")
        return text.replace(anchor, anchor + today)

    assert _facts(_rewrite("sgd-binhlam-2024", tmp_path, "today", add)) == _facts(DATA / "plans" / "sgd-binhlam-2024.txt")


def test_a_part_reviewing_past_results_holds_no_targets(tmp_path: Path) -> None:
    def rename(text: str) -> str:
        return text.replace("Phần I. ĐẶC ĐIỂM TÌNH HÌNH", "Phần I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NĂM HỌC 2023 - 2024")

    plan = "thpt-lequydon-hoaan-2024"
    assert _facts(_rewrite(plan, tmp_path, "review", rename)) == _facts(DATA / "plans" / f"{plan}.txt")


def test_counted_variants_in_a_plan(tmp_path: Path) -> None:
    def add(text: str) -> str:
        anchor = "b. Về chuyển đổi số trong dạy học, kiểm tra, đánh giá\n"
        new = ("- Mỗi trường THCS có không dưới 02 phòng học bộ môn Tin học; từ 80% trở lên giáo viên "
               "có hồ sơ điện tử; tổ chức 05 hội thảo chuyên đề vào năm 2026.\n\n")
        return text.replace(anchor, anchor + new)

    targets = extract_targets(parse(_rewrite("sgd-binhlam-2024", tmp_path, "more", add)))
    added = {(t.value, t.unit, t.comparator, t.year) for t in targets if t.section == "II.2.b"} - \
        {(t.value, t.unit, t.comparator, t.year) for t in extract_targets(parse(DATA / "plans" / "sgd-binhlam-2024.txt"))
         if t.section == "II.2.b"}
    assert added == {(2.0, "phòng học", ">=", 2025), (80.0, "%", ">=", 2025), (5.0, "hội thảo", "=", 2026)}


def _docx_plan(path: Path, heading: str, header: list[list[str]], rows: list[list[str]]) -> Path:
    """A small plan written with python-docx: an objectives part holding one target table."""
    import docx

    document = docx.Document()
    for line in ["ỦY BAN NHÂN DÂN HUYỆN AN HÒA", "KẾ HOẠCH", "Chuyển đổi số năm học 2025 - 2026",
                 "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", "Nâng cao chất lượng dạy học.", "II. MỤC TIÊU", heading,
                 "Các chỉ tiêu cụ thể như sau:"]:
        document.add_paragraph(line)
    table = document.add_table(rows=len(header) + len(rows), cols=len(header[0]))
    for r, values in enumerate(header + rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    for line in ["III. NHIỆM VỤ, GIẢI PHÁP", "1. Hạ tầng", "- Rà soát thiết bị.", "IV. TỔ CHỨC THỰC HIỆN",
                 "1. Phòng Giáo dục và Đào tạo", "Chủ trì triển khai Kế hoạch."]:
        document.add_paragraph(line)
    document.save(path)
    return path


def test_target_table_by_school_level(tmp_path: Path) -> None:
    path = _docx_plan(tmp_path / "levels.docx", "1. Chỉ tiêu theo cấp học",
                      [["TT", "Chỉ tiêu", "Đơn vị tính", "Mầm non", "Tiểu học", "THCS"]],
                      [["1", "Tỷ lệ trường có kết nối Internet cáp quang", "%", "90", "≥ 95", "100"],
                       ["2", "Số phòng học thông minh", "phòng", "-", "12", "08"],
                       ["3", "Mức độ chuyển đổi số của trường", "", "Mức độ 2", "Mức độ 2", "Mức độ 3"]])
    targets = extract_targets(parse(path))
    found = sorted((t.subject.split(" - ")[-1], t.value, t.unit, t.comparator, t.year) for t in targets)
    assert found == [("Mầm non", 90.0, "%", "=", 2026), ("THCS", 8.0, "phòng", "=", 2026), ("THCS", 100.0, "%", "=", 2026),
                     ("Tiểu học", 12.0, "phòng", "=", 2026), ("Tiểu học", 95.0, "%", ">=", 2026)]
    assert all(t.section == "II.1" for t in targets)


def test_heading_period_gives_the_year_of_a_level_table(tmp_path: Path) -> None:
    path = _docx_plan(tmp_path / "period.docx", "1. Các chỉ tiêu chủ yếu giai đoạn 2025 - 2027",
                      [["TT", "Chỉ tiêu", "Tiểu học", "THCS"]],
                      [["1", "Tỷ lệ giáo viên có tài khoản học tập số", "80%", "85%"]])
    assert sorted((t.year, t.value) for t in extract_targets(parse(path))) == [(2027, 80.0), (2027, 85.0)]


def test_heading_year_without_preposition(tmp_path: Path) -> None:
    path = _docx_plan(tmp_path / "annual.docx", "1. Chỉ tiêu năm 2026",
                      [["TT", "Nội dung", "Chỉ tiêu"]],
                      [["1", "Tỷ lệ hồ sơ công việc xử lý trên môi trường mạng", "Trên 90%"]])
    assert [(t.year, t.value, t.comparator) for t in extract_targets(parse(path))] == [(2026, 90.0, ">")]


def test_target_table_with_two_header_rows(tmp_path: Path) -> None:
    path = _docx_plan(tmp_path / "terms.docx", "1. Chỉ tiêu cụ thể",
                      [["TT", "Chỉ tiêu", "Năm học 2025 - 2026", "Năm học 2025 - 2026"],
                       ["", "", "Học kỳ I", "Cả năm"]],
                      [["1", "Số bài giảng điện tử được thẩm định", "120 bài giảng", "250 bài giảng"]])
    found = sorted((t.year, t.value, t.unit) for t in extract_targets(parse(path)))
    assert found == [(2025, 120.0, "bài giảng"), (2026, 250.0, "bài giảng")]
