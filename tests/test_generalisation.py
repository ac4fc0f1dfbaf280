"""Structures none of the sample plans has, written the ways real offices write them: extraction
must not depend on the samples' layout (issue 8: "every rule will be scored on plans you will never
see")."""
from __future__ import annotations

from pathlib import Path

import pytest

from document_parsing import parse
from document_parsing.extraction import extract

PLAN = """ỦY BAN NHÂN DÂN HUYỆN SÔNG LAM
Số: 45/KH-UBND
Sông Lam, ngày 10 tháng 01 năm 2025
KẾ HOẠCH
Ứng dụng công nghệ thông tin trong giáo dục năm 2025
Chương I. MỤC TIÊU
Mục 1. Chỉ tiêu
- Đến năm 2025, không dưới 90% trường tiểu học có phòng máy tính.
- Bổ sung 12 phòng học thông minh cho các trường trung học cơ sở.
Chương II. NHIỆM VỤ
Mục 1. Hạ tầng
a/ Nâng cấp đường truyền Internet cho các điểm trường.
b/ Trang bị máy chiếu cho các lớp học.
Chương III. TỔ CHỨC THỰC HIỆN
Mục 1. Trách nhiệm của Phòng Giáo dục và Đào tạo
a/ Chủ trì, phối hợp với Phòng Tài chính - Kế hoạch xây dựng dự toán kinh phí.
b/ Tổng hợp, báo cáo Ủy ban nhân dân huyện trước ngày 15/12 hằng năm.
Mục 2. Các cơ quan khác
• Phòng Nội vụ: phối hợp với Phòng Giáo dục và Đào tạo bố trí biên chế phụ trách công nghệ thông tin.
• Trung tâm Văn hóa - Thể thao huyện: tuyên truyền về chuyển đổi số, báo cáo kết quả hằng quý.
Nơi nhận:
- Như trên;
"""


def test_word_led_headings_slash_letters_and_bulleted_agencies(tmp_path: Path) -> None:
    path = tmp_path / "songlam.txt"
    path.write_text(PLAN, encoding="utf-8")
    doc = parse(path)
    assert [s.path for s in doc.sections] == ["I", "II", "III"]
    facts = extract(doc, "songlam")
    assert facts.document.number == "45/KH-UBND" and facts.document.level == "huyện"
    assert {(t.value, t.unit, t.comparator, t.year) for t in facts.targets} >= {(90.0, "%", ">=", 2025)}
    assert any(t.value == 12.0 and t.unit == "phòng học" for t in facts.targets)
    assert {(t.section, t.text[:12]) for t in facts.tasks} == {("II.1.a", "Nâng cấp đườ"), ("II.1.b", "Trang bị máy")}
    roles = {(r.section, r.agency, r.role) for r in facts.responsibilities}
    assert ("III.1", "Phòng Giáo dục và Đào tạo", "chủ trì") in roles
    assert ("III.1", "Phòng Tài chính - Kế hoạch", "phối hợp") in roles
    assert ("III.2", "Phòng Nội vụ", "phối hợp") in roles
    assert ("III.2", "Trung tâm Văn hóa - Thể thao huyện", "thực hiện") in roles
    deadlines = {(d.section, d.recurrence, d.month, d.day) for d in facts.deadlines}
    assert ("III.1.b", "yearly", 12, 15) in deadlines
    assert ("III.2", "quarterly", None, None) in deadlines


def test_a_number_on_its_own_line_is_not_an_item(tmp_path: Path) -> None:
    """"55/KH-UBND" under "Số:" (a header table flattened to lines) is the plan's number, not item 55."""
    path = tmp_path / "so-dong-rieng.txt"
    path.write_text(PLAN.replace("Số: 45/KH-UBND", "Số:\n\n55/KH-UBND"), encoding="utf-8")
    facts = extract(parse(path), "x")
    assert facts.document.number == "55/KH-UBND"


@pytest.mark.parametrize("trouble", ["khó khăn, vướng mắc", "vướng mắc, khó khăn"])
def test_closing_request_reads_the_same_in_either_word_order(tmp_path: Path, trouble: str) -> None:
    """"… nếu có khó khăn, vướng mắc …" and "… nếu có vướng mắc, khó khăn …" are the same request:
    the deadline keeps its lead-in ("Trong quá trình thực hiện") whichever word comes first."""
    closing = (f"Trong quá trình thực hiện, nếu có {trouble}, các đơn vị báo cáo về "
               "Phòng Giáo dục và Đào tạo để tổng hợp.\n")
    path = tmp_path / "closing.txt"
    path.write_text(PLAN.replace("Nơi nhận:\n", closing + "Nơi nhận:\n"), encoding="utf-8")
    closing_deadlines = [d for d in extract(parse(path), "x").deadlines if d.what.startswith("Trong quá trình")]
    assert len(closing_deadlines) == 1, extract(parse(path), "x").deadlines
    deadline = closing_deadlines[0]
    assert deadline.when == f"Trong quá trình thực hiện, nếu có {trouble.split(',')[0]}"
    assert deadline.to.startswith("Phòng Giáo dục và Đào tạo")
