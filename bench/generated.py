"""Generated plans for the scale benches (bench/ingest.py, bench/search.py): the sample plans'
text renderings with another place, number and figures, each a plan of its own — never a new
version of an earlier one, so N generated files are N current plans."""
from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "tests" / "data" / "plans").glob("*.txt"))

# The places and the school the sample plans are named by: each is replaced by the generated place.
SAMPLE_PLACES = ["Lâm Đồng", "Cần Thơ", "Đắk Lắk", "Mường Tè", "Ngọc Sơn", "Bình Lâm", "Hòa Mỹ", "Hòa An",
                 "Tân Phước", "Lê Quý Đôn", "Lai Châu", "Sơn Giang"]
FIRST = ("An Bình Cát Đông Hòa Hưng Kim Long Minh Nam Ninh Phú Phước Quang Sơn Tân Thạch Thanh Thuận Vĩnh "
         "Bảo Cẩm Diên Gia Hà Hiệp Hội Khánh Lam Lương Mỹ Nghĩa Nhơn Quế Tam Thái Thiện Tịnh Trà Tuy").split()
SECOND = ("Xuân Hạ Thu Đông Lâm Giang Hải Điền Khánh Lợi Mỹ Nguyên Phong Quý Thành Thịnh Trung Tường Yên Hòa "
          "Bắc Tây Châu Đức Hậu Lạc Lộc Mai Ngọc Tiến").split()
_PLACE = re.compile("|".join(sorted({*SAMPLE_PLACES, *(p.upper() for p in SAMPLE_PLACES)}, key=len, reverse=True)))


def variants(n: int, out: Path) -> list[Path]:
    """``n`` plans written as text files in ``out``: each moved to a place of its own ("Bình
    Xuân", "Hòa Giang", …) with a number of its own, and its percentages moved by up to ±10."""
    names = [f"{a} {b}" for a in FIRST for b in SECOND if a != b]
    assert len(names) >= n, f"at most {len(names)} distinct generated plans"
    rng = random.Random(7)
    files = []
    for i, name in zip(range(n), names):
        text = SOURCES[i % len(SOURCES)].read_text(encoding="utf-8")
        text = re.sub(r"\b(\d{3,4})/KH-UBND", lambda m: f"{rng.randint(100, 9999)}/KH-UBND", text, count=2)
        text = _PLACE.sub(lambda m: name.upper() if m.group(0).isupper() else name, text)
        text = re.sub(r"(Số:\s*)\d+", lambda m: f"{m.group(1)}{10000 + i}", text, count=1)
        text = re.sub(r"\b(\d{1,2})%", lambda m: f"{min(100, int(m.group(1)) + rng.randint(-10, 10))}%", text)
        path = out / f"variant-{i:04d}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files
