"""Agency names: recognising them in running text and writing them one canonical way.

Plans write the same body many ways ("Sở GD&ĐT", "Sở GDĐT", "Sở Giáo dục và Đào tạo") and list
several in one breath ("các Sở: Tài chính, Kế hoạch và Đầu tư").  The vocabulary below is the
ordinary structure of Vietnamese local government, not any one plan's wording.
"""
from __future__ import annotations

import re
from typing import Optional

from ..agency_names import canonical_agency
from ..text_utils import clean_space, fold

# Specialised departments as they follow "Sở" (province) or "Phòng" (district).
DEPARTMENTS = [
    "Giáo dục và Đào tạo", "Tài chính", "Kế hoạch và Đầu tư", "Thông tin và Truyền thông", "Nội vụ",
    "Khoa học và Công nghệ", "Lao động - Thương binh và Xã hội", "Văn hóa, Thể thao và Du lịch",
    "Văn hóa và Thể thao", "Văn hóa và Thông tin", "Văn hóa - Thông tin", "Y tế", "Tư pháp", "Xây dựng",
    "Công Thương", "Giao thông vận tải", "Tài nguyên và Môi trường", "Nông nghiệp và Phát triển nông thôn",
    "Ngoại vụ", "Tài chính - Kế hoạch", "Kinh tế và Hạ tầng", "Kinh tế - Hạ tầng", "Dân tộc", "Kinh tế",
]
# Words that open an agency name in a list.
HEADS = ("Sở", "Phòng", "Ủy ban", "Uỷ ban", "UBND", "Ban", "Bộ", "Công an", "Trung tâm", "Đài", "Báo",
         "Viễn thông", "Chi nhánh", "Bưu điện", "Văn phòng", "Kho bạc", "Bảo hiểm", "Hội", "Liên đoàn",
         "Tỉnh đoàn", "Huyện đoàn", "Thành đoàn", "Đoàn", "Trường", "Cục", "Chi cục", "Thanh tra", "Quỹ",
         "Tập đoàn", "Tổng công ty", "Công ty", "Viettel", "VNPT", "Mobifone", "Các", "các", "Thủ trưởng")
# Where an agency phrase ends: the verb or preposition that starts what it does.
STOPS = ("chủ trì", "phối hợp", "tổ chức", "triển khai", "thực hiện", "xây dựng", "bố trí", "nghiên cứu", "tham mưu", "trong việc",
         "để", "nhằm", "hướng dẫn", "đề xuất", "tổng hợp", "cung cấp", "kiểm tra", "đảm bảo", "bảo đảm", "rà soát",
         "thẩm định", "giao", "phân bổ", "hỗ trợ", "tuyên truyền", "chỉ đạo", "ban hành", "lồng ghép", "vận động",
         "theo dõi", "đôn đốc", "cân đối", "huy động", "trình", "về việc", "thống nhất", "chuẩn bị", "lựa chọn",
         "quản lý", "đánh giá", "phát triển", "nâng cao", "tăng cường", "đẩy mạnh", "trên cơ sở", "theo",
         "tư vấn", "cấp", "thường xuyên", "kịp thời", "sơ kết", "tổng kết", "báo cáo", "gửi", "thu thập",
         "tập huấn", "bồi dưỡng", "đào tạo", "cập nhật", "phổ biến", "duy trì")
# Collective or vague mentions: collectives are kept as printed, vague ones dropped.
VAGUE = re.compile(r"^(?:các |những )?(?:cơ quan|đơn vị|tổ chức|địa phương|ngành|bộ phận)(?:,? (?:cơ quan|đơn vị|đơn vị|địa phương|ban|ngành))*(?: có)? liên quan$|liên quan$|^(?:các )?đơn vị chủ trì$|^các đơn vị$", re.I)
PLACES = r"(?:các\s+)?(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn)(?:\s*,\s*(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn))*"


def is_vague(name: str) -> bool:
    return bool(VAGUE.search(clean_space(name)))


def _starts_with_head(fragment: str) -> bool:
    return any(fragment.startswith(h + " ") or fragment == h for h in HEADS)


def _cut_at_stop(fragment: str) -> tuple[str, bool]:
    """The agency part of ``fragment`` and whether a verb (the end of the list) was met."""
    low = " " + re.sub(r"[^\w\s]", " ", fragment.lower()) + " "  # same length as fragment, padded
    best = len(fragment)
    for stop in STOPS:
        i = low.find(" " + stop + " ")
        if i >= 0:
            best = min(best, i)
    if best < len(fragment):
        return fragment[:best].strip(), True
    return fragment.strip(), False


def split_agencies(text: str) -> list[str]:
    """The agencies listed at the start of ``text`` ("Sở Tài chính, Sở Kế hoạch và Đầu tư và các
    Sở, ban, ngành … bố trí …"), as printed; the list stops at the first verb."""
    return agencies_and_rest(text)[0]


def agencies_and_rest(text: str) -> tuple[list[str], str]:
    """:func:`split_agencies` and the text that follows the list (what they are to do)."""
    text = clean_space(text)
    # "các Sở: Tài chính, Kế hoạch và Đầu tư" → "Sở Tài chính, Sở Kế hoạch và Đầu tư"
    m = re.match(r"^(?:các\s+)?(Sở|Phòng)\s*:\s*(.*)$", text, re.I)
    shared_head = m.group(1).capitalize() if m else None
    if m:
        text = m.group(2)
    names: list[str] = []
    rest = text
    while rest:
        rest = rest.lstrip(" ,;")
        rest = re.sub(r"^(?:và|với)\s+", "", rest)
        if not rest:
            break
        if shared_head and not _starts_with_head(rest):
            dept = next((d for d in sorted(DEPARTMENTS, key=len, reverse=True)
                         if rest[:1].isupper() and fold(rest).startswith(fold(d))), None)
            if dept is None:
                break
            names.append(f"{shared_head} {rest[:len(dept)]}")
            rest = rest[len(dept):]
            continue
        shared_head = None
        name, after, stopped = _take_one(rest)
        if not name:
            break
        names.append(name)
        rest = after
        if stopped:
            break
    return names, rest.lstrip(" ,;:.")


def _proper_name(text: str) -> str:
    """The capitalised words at the start of ``text`` ("Lâm Đồng"), stopping at a capitalised
    verb that begins the next sentence ("Chủ trì", "Căn cứ")."""
    words = text.split()
    taken: list[str] = []
    for i, word in enumerate(words):
        pair = f"{word} {words[i + 1]}".lower() if i + 1 < len(words) else word.lower()
        if not word[:1].isupper() or pair in STOPS or word.lower() in STOPS or pair == "căn cứ":
            break
        taken.append(word)
    return (" " + " ".join(taken)) if taken else ""


def _take_one(text: str) -> tuple[str, str, bool]:
    """One agency from the start of ``text``: (name, the rest, whether the list ended)."""
    # Ủy ban nhân dân + places: "Ủy ban nhân dân quận, huyện", "UBND các xã, thị trấn"
    m = re.match(rf"^((?:Ủy|Uỷ) ban nhân dân|UBND)\s+({PLACES})", text)
    if m:
        end = m.end()
        if not m.group(2).startswith("các") and "," not in m.group(2):
            end += len(_proper_name(text[end:]))  # "Ủy ban nhân dân tỉnh Lâm Đồng"
        return text[:end].strip(), text[end:], False
    for dept in sorted(DEPARTMENTS, key=len, reverse=True):
        m = re.match(rf"^(Sở|Phòng)\s+{re.escape(dept)}(\s+(?:huyện|tỉnh|thành phố|quận|thị xã)\b)?", text, re.I)
        if m:
            return m.group(0), text[m.end():], False
    # collective: "các Sở, ban, ngành, địa phương", "các sở, ban, ngành thành phố"
    m = re.match(r"^(?:[Cc]ác\s+)?(?:sở|Sở),\s*ban,\s*ngành(?:,\s*(?:địa phương|đoàn thể))*(?:\s+(?:tỉnh|thành phố|huyện))?(?:\s+(?:có\s+)?liên quan)?", text)
    if m:
        return m.group(0), text[m.end():], False
    # anything else: up to the next comma / "và" + head, or the first verb
    segment = re.split(r",\s*|\s+và\s+(?=(?:" + "|".join(map(re.escape, HEADS)) + r")\b)", text, maxsplit=1)
    first = segment[0]
    name, stopped = _cut_at_stop(first)
    rest = text[len(first):] if not stopped else text[len(name):]
    if not name or not _starts_with_head(name):
        return "", "", True
    return name, rest, stopped
