"""What a question is about that an answer must cover: a school level, an agency, a sum of money.

A fact that matches most of a question's words can still answer another question: "bao nhiêu
phần trăm học sinh THPT học trực tuyến" is not answered by the THCS figure, "Công an tỉnh có
trách nhiệm gì" not by the Sở's duty, "tổng kinh phí bao nhiêu tỷ đồng" not by a percentage.
These are the three things the development questions showed answers inventing; each is read
from the question with a small vocabulary (below, with its source) and checked against the
fact's own words, or the whole plan's.

The balance: a wrong figure misleads staff and citizens, a refusal only sends them to the plan,
so a question naming one of these things is refused unless a fact says it.  The checks are
narrow on purpose — only named levels, a fixed list of agencies and explicit money words — so
that ordinary questions (which name none of them) are never refused by this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.textsearch import folded_words

# School levels of the Vietnamese education system (Luật Giáo dục 2019, art. 6): printed name
# and the folded phrases that name it (after abbreviations are spelled out: "THCS" → "trung hoc
# co so"); "cấp 1/2/3" is how parents say it.
LEVELS: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    "mam non": ("mầm non", (("mam", "non"),)),
    "tieu hoc": ("tiểu học", (("tieu", "hoc"), ("cap", "1"))),
    "thcs": ("trung học cơ sở", (("trung", "hoc", "co", "so"), ("cap", "2"))),
    "thpt": ("trung học phổ thông", (("trung", "hoc", "pho", "thong"), ("cap", "3"))),
    "gdtx": ("giáo dục thường xuyên", (("giao", "duc", "thuong", "xuyen"),)),
    "cao dang": ("cao đẳng", (("cao", "dang"),)),
    "dai hoc": ("đại học", (("dai", "hoc"),)),
}

# Word pairs of a fact that cover every level: "cơ sở giáo dục phổ thông", "trường phổ thông",
# "từ tiểu học đến trung học", "các cấp học".
ALL_LEVELS_PAIRS = frozenset({"duc pho", "truong pho", "den trung", "cap hoc", "cac cap", "moi cap"})

# Agencies a question may name that a plan may not involve: the specialised departments of a
# province or district (Nghị định 107/2020/NĐ-CP and 108/2020/NĐ-CP on Sở and Phòng), the
# armed forces, mass organisations and utilities that education plans assign duties to.
# Folded key phrase → printed name.  "Giáo dục" is left out: every plan names it.
AGENCIES: dict[tuple[str, ...], str] = {tuple(k.split()): v for k, v in {
    "cong an": "Công an",
    "lao dong thuong binh": "Lao động - Thương binh và Xã hội",
    "y te": "Y tế",
    "tai chinh": "Tài chính",
    "noi vu": "Nội vụ",
    "tu phap": "Tư pháp",
    "van hoa": "Văn hóa",
    "khoa hoc va cong nghe": "Khoa học và Công nghệ",
    "ke hoach va dau tu": "Kế hoạch và Đầu tư",
    "thong tin va truyen thong": "Thông tin và Truyền thông",
    "giao thong van tai": "Giao thông vận tải",
    "nong nghiep": "Nông nghiệp và Phát triển nông thôn",
    "tai nguyen va moi truong": "Tài nguyên và Môi trường",
    "cong thuong": "Công Thương",
    "quan su": "Quân sự",
    "bien phong": "Biên phòng",
    "dan toc": "Dân tộc",
    "ngoai vu": "Ngoại vụ",
    "thanh tra": "Thanh tra",
    "kho bac": "Kho bạc Nhà nước",
    "bao hiem xa hoi": "Bảo hiểm xã hội",
    "dien luc": "Điện lực",
    "buu dien": "Bưu điện",
    "doan thanh nien": "Đoàn Thanh niên",
    "phu nu": "Hội Liên hiệp Phụ nữ",
    "lien doan lao dong": "Liên đoàn Lao động",
    "khuyen hoc": "Hội Khuyến học",
    "mat tran to quoc": "Mặt trận Tổ quốc",
    "thong ke": "Thống kê",
    "phat thanh": "Đài Phát thanh và Truyền hình",
}.items()}

# A question asking for a sum of money (folded): "bao nhiêu tỷ đồng", "tổng kinh phí … bao nhiêu".
MONEY_QUESTION = re.compile(r"\b(bao nhieu|may) (ty|trieu|nghin|ngan)\b|\b(ty|trieu) dong\b|\bbao nhieu tien\b|"
                            r"\b(tong kinh phi|tong von|tong muc dau tu|kinh phi|ngan sach|von)\b.*\bbao nhieu\b|"
                            r"\bbao nhieu\b.*\b(kinh phi|ngan sach|von dau tu)\b")
# A sum of money in a fact (folded): "2,5 tỷ đồng", "500 triệu", "120.000.000 đồng".
MONEY_FACT = re.compile(r"\d[\d.,]*\s*(ty|trieu|nghin|ngan)\b|\d[\d.,]*\s*(dong|vnd)\b")


def _phrase_in(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1))


@dataclass
class Asked:
    """The things a question names that its answer must cover."""

    levels: list[str] = field(default_factory=list)  # keys of LEVELS
    agencies: list[tuple[str, ...]] = field(default_factory=list)  # keys of AGENCIES
    money: bool = False

    @classmethod
    def of(cls, text: str) -> "Asked":
        words = folded_words(text)
        levels = [key for key, (_, phrases) in LEVELS.items() if any(_phrase_in(words, p) for p in phrases)]
        if "dai hoc" in levels and _phrase_in(words, ("dai", "hoc", "tu", "xa")):
            levels.remove("dai hoc")
        agencies = [key for key in AGENCIES if _phrase_in(words, key)]
        joined = " ".join(words)
        return cls(levels, agencies, bool(MONEY_QUESTION.search(joined)))


def level_phrases(key: str) -> tuple[tuple[str, ...], ...]:
    return LEVELS[key][1]


def level_name(key: str) -> str:
    return LEVELS[key][0]


def agency_name(key: tuple[str, ...]) -> str:
    return AGENCIES[key]


def has_money(text: str) -> bool:
    from document_parsing.text_utils import fold

    return bool(MONEY_FACT.search(fold(text or "").lower()))


__all__ = ["Asked", "LEVELS", "ALL_LEVELS_PAIRS", "AGENCIES", "level_phrases", "level_name", "agency_name", "has_money"]
