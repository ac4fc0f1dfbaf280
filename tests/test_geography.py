"""Geography: Vietnam's pre-2025 divisions from the vietnam-provinces dataset, spelling variants,
former names, and the parents a plan states about places no dataset knows (learnt at ingest,
kept in the KB, used by the reporting coverage), on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import pytest

import document_parsing
from conftest import PLANS, PROJECT_ROOT
from document_parsing.extraction import extract
from knowledge import geography as geo
import reporting as rp
from knowledge.area_models import learnt_links
from knowledge.db import make_session_factory
from knowledge.ingest import plan_texts, ingest_file, plan_stem

SAMPLES = PROJECT_ROOT / "samples" / "plans"
UNITS_CSV = PROJECT_ROOT / "samples" / "units.csv"

# ---------------------------------------------------------------------------- the dataset


@pytest.mark.parametrize("area, key", [
    ("Ủy ban nhân dân thành phố Cần Thơ", "can tho"), ("huyện Mường Tè", "muong te"), ("Cần Thơ", "can tho"),
    ("UBND TP. Cần Thơ", "can tho"), ("Sở Giáo dục và Đào tạo tỉnh Lâm Đồng", "lam dong"),
    ("Sở Lao động - Thương binh và Xã hội tỉnh Lâm Đồng", "lam dong"), ("TP.HCM", "ho chi minh"),
    ("Phòng Giáo dục và Đào tạo huyện Mường Tè", "muong te"), ("huyện Tân Phước, tỉnh Hòa An", "tan phuoc"),
    ("Trường THPT Lê Quý Đôn", "truong thpt le quy don"),
])
def test_area_key(area: str, key: str) -> None:
    assert geo.area_key(area) == key
    assert geo.area_key(key) == key  # keys are areas too


@pytest.mark.parametrize("district, province", [
    ("huyện Mường Tè", "lai chau"), ("huyen muong te", "lai chau"), ("HUYỆN MƯỜNG TÈ", "lai chau"),
    ("quận Ninh Kiều", "can tho"), ("thành phố Đà Lạt", "lam dong"), ("thị xã Buôn Hồ", "dak lak"),
    ("huyện Cư M'gar", "dak lak"), ("huyện Cư M’Gar", "dak lak"), ("Cư Mgar", "dak lak"), ("cu m gar", "dak lak"),
    ("huyện Krông Ana", "dak lak"), ("Krông A Na", "dak lak"), ("huyện Krông Pắk", "dak lak"),
    ("huyện Ea H'leo", "dak lak"), ("huyện Hoành Bồ", "quang ninh"), ("Quận 9", "ho chi minh"),
])
def test_parent_province_of_a_district(district: str, province: str) -> None:
    assert geo.parents(district) == {province}
    assert geo.area_level(district) == geo.DISTRICT
    assert geo.covers(province, district) and not geo.covers("ha noi", district)


@pytest.mark.parametrize("area, level", [
    ("thành phố Cần Thơ", "tỉnh"), ("TP. Hồ Chí Minh", "tỉnh"), ("tỉnh Lai Châu", "tỉnh"), ("Đắk Lắk", "tỉnh"),
    ("Đắc Lắc", "tỉnh"), ("thành phố Lai Châu", "huyện"), ("thành phố Buôn Ma Thuột", "huyện"),
    ("Mường Tè", "huyện"), ("xã Kan Hồ", "xã"), ("huyện Hòa Mỹ", "huyện"), ("Hòa Mỹ", ""),
])
def test_area_level(area: str, level: str) -> None:
    assert geo.area_level(area) == level


def test_sixty_three_provinces_before_2025() -> None:
    from knowledge.geography import _divisions

    assert len(_divisions().provinces) == 63
    assert geo.province_name("lai chau") == "Tỉnh Lai Châu" and geo.province_name("hoa an") is None
    assert geo.area_key("tỉnh Thừa Thiên Huế") == geo.area_key("thành phố Huế") == "hue"


def test_a_name_shared_by_several_provinces() -> None:
    """Châu Thành is a district of eleven provinces: each one's plans cover it, unless the
    unit's area names its province."""
    assert {"long an", "tien giang", "an giang", "soc trang"} <= geo.parents("huyện Châu Thành")
    assert geo.covers("tỉnh Long An", "huyện Châu Thành, tỉnh Long An")
    assert not geo.covers("tỉnh Tiền Giang", "huyện Châu Thành, tỉnh Long An")


def test_written_parents_win_over_the_dataset() -> None:
    """A fictional tỉnh Hòa An with a huyện Tân Phước (a real district of Tiền Giang, and a real
    huyện Hòa An of Cao Bằng): what the unit's area says decides."""
    unit = "huyện Tân Phước, tỉnh Hòa An"
    assert geo.covers("Hòa An", unit) and geo.covers("huyện Tân Phước", unit)
    assert not geo.covers("Tiền Giang", unit) and not geo.covers("Cao Bằng", unit)
    assert geo.covers("Tiền Giang", "huyện Tân Phước")


def test_communes_reach_their_province() -> None:
    assert geo.ancestors("xã Kan Hồ, huyện Mường Tè") == {"muong te", "lai chau"}
    assert geo.covers("tỉnh Lai Châu", "xã Kan Hồ, huyện Mường Tè")


def test_unknown_places_use_learnt_links() -> None:
    assert not geo.is_known("huyện Hòa Mỹ") and geo.is_known("huyện Mường Tè")
    assert geo.parents("huyện Hòa Mỹ") == frozenset()
    assert not geo.covers("tỉnh Sơn Giang", "huyện Hòa Mỹ")
    links = {"hoa my": {"son giang"}}
    assert geo.parents("Hòa Mỹ", links) == {"son giang"}
    assert geo.covers("tỉnh Sơn Giang", "huyện Hòa Mỹ", links)


# ---------------------------------------------------------------------------- learning from plans


def _links(path: Path) -> set[tuple[str, str]]:
    doc = document_parsing.parse(path)
    info = extract(doc, plan_stem(path)).document
    return {(link.child_name, link.parent_name) for link in geo.learn_links(info.issuer, plan_texts(doc, info.title))}


def test_a_district_decision_is_placed_in_the_province_it_cites() -> None:
    """qd-hoamy-2023: Ủy ban nhân dân huyện Hòa Mỹ cites the plan of Ủy ban nhân dân tỉnh Sơn Giang
    and reports to its Sở: the only province it names."""
    assert _links(SAMPLES / "qd-hoamy-2023.docx") == {("huyện Hòa Mỹ", "tỉnh Sơn Giang")}


def test_a_school_plan_states_its_district_and_province() -> None:
    """thpt-lequydon-hoaan-2024: "trên địa bàn thị trấn Tân Phước, huyện Tân Phước, tỉnh Hòa An"."""
    assert _links(SAMPLES / "thpt-lequydon-hoaan-2024.docx") == {("huyện Tân Phước", "tỉnh Hòa An")}


def test_a_new_province_owns_the_districts_its_plan_names() -> None:
    """ngocson-96-2021: tỉnh Ngọc Sơn is in no dataset; the districts its plan names are its own
    (even Đồng Xuân and Sơn Hà, whose names the dataset gives to Phú Yên and Quảng Ngãi)."""
    assert _links(SAMPLES / "ngocson-96-2021.docx") == {("huyện Đồng Xuân", "tỉnh Ngọc Sơn"),
                                                       ("huyện Sơn Hà", "tỉnh Ngọc Sơn")}


@pytest.mark.parametrize("name", ["cantho-148-2017.docx", "daklak-4575-2018.docx", "lamdong-3381-2017.docx",
                                  "muongte-2022.docx"])
def test_plans_of_real_places_learn_nothing_false(name: str) -> None:
    for child, parent in _links(SAMPLES / name):
        child_key, parent_key = geo.area_key(child), geo.area_key(parent)
        assert not geo.is_known(child) or parent_key in geo.parents(child_key), (child, parent)


def test_learning_rules_on_sentences() -> None:
    chain = geo.learn_links(None, ["Trường đóng trên địa bàn xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk."])
    assert {(l.child, l.child_level, l.parent) for l in chain} == {
        ("ea tu", "xã", "buon ma thuot"), ("buon ma thuot", "huyện", "dak lak")}
    both = geo.learn_links("Ủy ban nhân dân huyện Hòa Mỹ",
                           ["Căn cứ Kế hoạch của Ủy ban nhân dân tỉnh Sơn Giang;", "Kế hoạch của tỉnh Bình Lâm."])
    assert both == []  # two provinces named as often: no guess
    assert geo.learn_links("Ủy ban nhân dân huyện Mường Tè", ["Ủy ban nhân dân tỉnh Sơn Giang"]) == []  # dataset knows
    assert geo.learn_links(None, ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "các huyện, thành phố Phối hợp"]) == []


# ---------------------------------------------------------------------------- the KB remembers


def test_ingested_plans_place_units_for_reporting(kb_url: str) -> None:
    factory = make_session_factory(kb_url)
    with factory() as s:
        rp.import_units(UNITS_CSV, session=s)
        assert not [u.name for u in rp.list_units("tỉnh Sơn Giang", session=s)]
    hoamy = ingest_file(factory, SAMPLES / "qd-hoamy-2023.docx")
    assert hoamy.ok, hoamy.summary()
    with factory() as s:
        assert learnt_links(s) == {"hoa my": {"son giang"}}
        assert [u.name for u in rp.list_units("tỉnh Sơn Giang", session=s)] == [
            "Phòng Giáo dục và Đào tạo huyện Hòa Mỹ"]
        assert [u.name for u in rp.list_units("son giang", session=s)] == ["Phòng Giáo dục và Đào tạo huyện Hòa Mỹ"]
        # a unit written with its province belongs to it, not to the dataset's Quảng Ngãi
        assert "Phòng Giáo dục và Đào tạo huyện Sơn Hà" in [u.name for u in rp.list_units("Ngọc Sơn", session=s)]
        assert not rp.list_units("Quảng Ngãi", session=s)
        # a Phòng of Hòa Mỹ may report on the Hòa Mỹ plan
        reporter = rp.register_reporter("rest", "geo-1", "Trần Văn Bình", "Phòng Giáo dục và Đào tạo huyện Hòa Mỹ",
                                         "0912 000 111", session=s)
        reporter = rp.approve_reporter(reporter.id, session=s)
        offered = rp.candidate_targets(reporter, "", session=s)
        assert offered and {o.plan for o in offered} == {"qd-hoamy-2023"}
        saved = rp.save_report(reporter.id, offered[0].target_id, "năm 2024", 1, None, "geo-r1", session=s)
        assert saved.revision == 1
        assert rp.unit_covered(hoamy.issuer, "huyện Hòa Mỹ", session=s)
        # the Phòng of Sơn Hà (tỉnh Ngọc Sơn) may not
        other = rp.approve_reporter(rp.register_reporter("rest", "geo-2", "Lê Thị Cúc",
                                                         "Phòng Giáo dục và Đào tạo huyện Sơn Hà", "0912 000 222",
                                                         session=s).id, session=s)
        assert not rp.unit_covered(hoamy.issuer, "huyện Sơn Hà, tỉnh Ngọc Sơn", session=s)
        with pytest.raises(rp.ReportingError, match="không thuộc phạm vi"):
            rp.save_report(other.id, offered[0].target_id, "năm 2024", 1, None, "geo-r2", session=s)
    # the same content again writes nothing, so nothing is learnt twice
    assert ingest_file(factory, SAMPLES / "qd-hoamy-2023.docx").unchanged
    with factory() as s:
        from sqlalchemy import func, select

        from knowledge.area_models import LearntArea

        assert s.execute(select(func.count()).select_from(LearntArea)).scalar_one() == 1
    factory.kw["bind"].dispose()


@pytest.mark.parametrize("text, names", [
    ("thủ tục ở TP.HCM và Hà Nội", ["Hồ Chí Minh", "Hà Nội"]), ("kế hoạch của lam dong va can tho", ["Lâm Đồng", "Cần Thơ"]),
    ("Sài Gòn", ["Hồ Chí Minh"]), ("tỉnh Thừa Thiên Huế", ["Huế"]), ("Bà Rịa - Vũng Tàu", ["Bà Rịa - Vũng Tàu"]),
    ("Đắk Lắk hay Dak Nong, Đắk Lắk", ["Đắk Lắk", "Đắk Nông"]), ("chuyển đổi số trong giáo dục", []),
])
def test_provinces_named_in_a_question(text: str, names: list[str]) -> None:
    assert geo.provinces_in(text) == names
