"""Vietnam's provinces and centrally-run cities (folded), to tell "a place the knowledge base has
no plan for" from "no place named": a question about Hà Nội must not be answered from Cần Thơ's
plan.  This is general geography, not plan data; which places *have* plans is read from the KB."""
from __future__ import annotations

import re

from document_parsing.text_utils import fold

PROVINCES = [
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre", "Bình Dương",
    "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Đắk Nông",
    "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương",
    "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu",
    "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ",
    "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La",
    "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "Hồ Chí Minh",
    "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
]


def _key(name: str) -> str:
    return " ".join(re.findall(r"[0-9a-z]+", fold(name)))


_FOLDED = {_key(p): p for p in PROVINCES}
_FOLDED.update({"hcm": "Hồ Chí Minh", "tphcm": "Hồ Chí Minh", "sai gon": "Hồ Chí Minh", "hue": "Thừa Thiên Huế"})


def provinces_in(text: str) -> list[str]:
    """Province names written in ``text`` (with or without diacritics, whole words)."""
    words = f" {' '.join(re.findall(r'[0-9a-z]+', fold(text or '')))} "
    return [name for key, name in _FOLDED.items() if f" {key} " in words]
