"""Progress reporting on the real sample plans, on SQLite and PostgreSQL: units, reporters and
approval, value and period parsing, idempotent saves, corrections as revisions, and progress
figures checked by hand against the stored reports."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from conftest import PLAN_NAMES, PLANS, PROJECT_ROOT, create_pg_database, drop_pg_database, run_cli
import reporting as rp
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_file, ingest_paths
from reporting.values import parse_period, parse_value
from reporting.models import Report, Reporter, ReportRevision, Unit

UNITS_CSV = PROJECT_ROOT / "samples" / "units.csv"

# ---------------------------------------------------------------------------- pure parsing


@pytest.mark.parametrize("text, unit, value", [
    ("72,5", "%", 72.5), ("72.5%", "%", 72.5), ("72,5 %", "%", 72.5), ("bảy mươi hai", "%", 72.0),
    ("bay muoi hai phan tram", "%", 72.0), ("100", "%", 100.0), ("0", "%", 0.0), ("một trăm", "%", 100.0),
    ("mười lăm", "trường", 15.0), ("15 trường", "trường", 15.0), ("1.234", "trường", 1234.0),
])
def test_parse_value(text: str, unit: str, value: float) -> None:
    assert parse_value(text, unit) == value


@pytest.mark.parametrize("text, unit, message", [
    ("120", "%", "Tỷ lệ phải từ 0 đến 100%"), ("-1", "%", "Tỷ lệ phải từ 0 đến 100%"),
    ("abc", "%", "Không hiểu số “abc”: hãy nhập số, ví dụ 72,5"), ("", "%", "Bạn chưa nhập kết quả"),
    ("2,5", "trường", "phải là số nguyên không âm"), ("-3", "trường", "phải là số nguyên không âm"),
    ("bảy mươi hai con mèo", "%", "Không hiểu số"),
])
def test_parse_value_refusals_are_vietnamese(text: str, unit: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_value(text, unit)
    assert message in str(info.value)


@pytest.mark.parametrize("text, kind, label", [
    ("2024", "year", "năm 2024"), ("năm 2024", "year", "năm 2024"), ("quý 2 năm 2024", "quarter", "quý 2/2024"),
    ("Q2/2024", "quarter", "quý 2/2024"), ("quy 2 2024", "quarter", "quý 2/2024"),
    ("năm học 2024-2025", "school_year", "năm học 2024-2025"),
    ("nam hoc 2024 - 2025", "school_year", "năm học 2024-2025"),
])
def test_parse_period(text: str, kind: str, label: str) -> None:
    period = parse_period(text)
    assert (period.kind, period.label) == (kind, label)
    assert period.start < period.end


def test_period_dates() -> None:
    q2 = parse_period("Q2/2024")
    assert (q2.start.isoformat(), q2.end.isoformat()) == ("2024-04-01", "2024-06-30")
    school = parse_period("năm học 2024-2025")
    assert (school.start.isoformat(), school.end.isoformat()) == ("2024-09-01", "2025-08-31")


@pytest.mark.parametrize("text, message", [
    ("quý 5/2024", "Quý 5 không hợp lệ"), ("năm học 2024-2026", "Năm học 2024-2026 không hợp lệ"),
    ("hôm qua", "Không hiểu kỳ báo cáo “hôm qua”"), ("24", "năm phải có 4 chữ số"), ("", "Bạn chưa nhập kỳ báo cáo"),
    ("năm 1990", "Năm 1990 không hợp lệ"),
])
def test_parse_period_refusals(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_period(text)
    assert message in str(info.value)


@pytest.mark.parametrize("phone, normal", [
    ("0912345678", "0912345678"), ("+84 912.345.678", "0912345678"), ("84-912-345-678", "0912345678"),
    ("0292 3123 456", "02923123456"),
])
def test_phone_normalised(phone: str, normal: str) -> None:
    assert rp.normalise_phone(phone) == normal


@pytest.mark.parametrize("phone", ["12345", "0112345678", "09123456789", "abc"])
def test_bad_phone_refused(phone: str) -> None:
    with pytest.raises(rp.ReportingError, match="Số điện thoại .* không hợp lệ"):
        rp.normalise_phone(phone)


def test_area_key_and_coverage() -> None:
    assert rp.area_key("Ủy ban nhân dân thành phố Cần Thơ") == "can tho"
    assert rp.area_key("huyện Mường Tè") == "muong te"
    assert rp.covers("lai chau", "muong te") and rp.covers("muong te", "muong te")
    assert not rp.covers("can tho", "muong te")


# ---------------------------------------------------------------------------- one loaded KB per backend


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request, tmp_path_factory):
    """The four sample plans and samples/units.csv, once per backend; yields a session factory."""
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite3'}", None
    else:
        url = cleanup = create_pg_database(request.getfixturevalue("postgres_server"))
    factory = make_session_factory(url)
    results = ingest_paths([PLANS / f"{n}.txt" for n in PLAN_NAMES], factory, show_progress=False)
    assert [r.error for r in results] == [None] * 4
    with factory() as s:
        assert rp.import_units(UNITS_CSV, session=s).added == 29
    factory.url = url
    yield factory
    factory.kw["bind"].dispose()
    if cleanup:
        drop_pg_database(cleanup)


@pytest.fixture
def session(loaded):
    """A session; reports and reporters are cleared after each test (units and plans stay)."""
    with loaded() as s:
        yield s
    with loaded() as s, s.begin():
        s.execute(delete(ReportRevision))
        s.execute(delete(Report))
        s.execute(delete(Reporter))


def _target_id(s, plan: str, section: str, starts: str, value: float | None = None) -> int:
    from knowledge import models

    query = (select(models.Target.id).join(models.Document)
             .where(models.Document.plan == plan, models.Document.is_current.is_(True),
                    models.Target.section_path == section, models.Target.text.like(f"{starts}%")))
    if value is not None:
        query = query.where(models.Target.value == value)
    return s.execute(query).scalars().one()


def _approved(s, user: str, unit: str, name: str = "Nguyễn Thị Lan") -> rp.ReporterInfo:
    reporter = rp.register_reporter("rest", user, name, unit, "0912 345 678", session=s)
    return rp.approve_reporter(reporter.id, session=s)


MEETINGS = ("cantho-148-2017", "III.2.a", "Có 70% các cuộc họp")  # "=" 70%


# ---------------------------------------------------------------------------- units and reporters


def test_units_imported_and_found(session) -> None:
    assert len(rp.list_units("Cần Thơ", session=session)) == 6
    found = rp.find_units("le quy don", session=session)
    assert {u.area for u in found} == {"thành phố Cần Thơ", "tỉnh Đắk Lắk"}
    assert [u.area for u in rp.find_units("Lê Qúy Đôn", area="Cần Thơ", session=session)] == ["thành phố Cần Thơ"]
    assert rp.find_units("trung hoc co so kan ho", session=session)[0].name == "Trường PTDTBT THCS Kan Hồ"
    assert rp.find_units("le qui don", area="dak lak", session=session)[0].name == "Trường THCS Lê Quý Đôn"


def test_import_refuses_bad_file_and_saves_nothing(session, tmp_path: Path) -> None:
    bad = tmp_path / "units.csv"
    bad.write_text("name,kind,area\nTrường A,trường,huyện Mường Tè\nTrường B,bệnh viện,huyện Mường Tè\n",
                   encoding="utf-8")
    before = session.execute(select(func.count()).select_from(Unit)).scalar()
    with pytest.raises(rp.ReportingError, match="dòng 3: Loại đơn vị “bệnh viện” không hợp lệ"):
        rp.import_units(bad, session=session)
    assert session.execute(select(func.count()).select_from(Unit)).scalar() == before


def test_registration_and_approval(session) -> None:
    reporter = rp.register_reporter("rest", "u1", "Nguyễn Văn An", "THCS Lê Quý Đôn Cần Thơ", "+84 912 345 678",
                                    session=session)
    assert (reporter.unit, reporter.area, reporter.phone, reporter.approved) == (
        "Trường THCS Lê Quý Đôn", "thành phố Cần Thơ", "0912345678", False)
    assert [r.id for r in rp.list_reporters(pending_only=True, session=session)] == [reporter.id]
    approved = rp.approve_reporter("0912.345.678", session=session)
    assert approved.approved and rp.list_reporters(pending_only=True, session=session) == []
    assert rp.get_reporter("rest", "u1", session=session).approved
    # same unit again: still approved; another unit: approval withdrawn until approved again
    again = rp.register_reporter("rest", "u1", "Nguyễn Văn An", "Trường THCS Lê Quý Đôn (Cần Thơ)", "0912345678",
                                 session=session)
    assert again.approved and again.id == reporter.id
    moved = rp.register_reporter("rest", "u1", "Nguyễn Văn An", "Châu Văn Liêm", "0912345678", session=session)
    assert (moved.id, moved.unit, moved.approved) == (reporter.id, "Trường THPT Châu Văn Liêm", False)
    assert rp.get_reporter("rest", "nobody", session=session) is None


@pytest.mark.parametrize("unit, message", [
    ("Lê Quý Đôn", "khớp với nhiều đơn vị"), ("Trường Hogwarts", "Không tìm thấy đơn vị “Trường Hogwarts”"),
])
def test_unknown_or_ambiguous_unit_refused(session, unit: str, message: str) -> None:
    with pytest.raises(rp.ReportingError, match=message) as info:
        rp.register_reporter("rest", "u2", "Trần Bình", unit, "0987654321", session=session)
    if "nhiều" in message:
        assert len(info.value.candidates) == 2
    assert rp.get_reporter("rest", "u2", session=session) is None


# ---------------------------------------------------------------------------- targets and saving


def test_candidate_targets_are_the_units_plans(session) -> None:
    reporter = _approved(session, "u3", "Kan Hồ")
    options = rp.candidate_targets(reporter, "", limit=100, session=session)
    assert options and {o.plan for o in options} == {"muongte-2022"}
    best = rp.candidate_targets(_approved(session, "u4", "Lê Quý Đôn Cần Thơ"), "họp trực tuyến", session=session)[0]
    assert best.text.startswith("Có 70% các cuộc họp") and best.value == 70 and best.unit == "%"
    assert best.citation == "(Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ, mục III.2.a)"
    assert rp.target_option(best.target_id, session=session) == best


def test_unapproved_and_foreign_unit_refused(session) -> None:
    meetings = _target_id(session, *MEETINGS)
    pending = rp.register_reporter("rest", "u5", "Lò Văn Páo", "Kan Hồ", "0912345678", session=session)
    with pytest.raises(rp.ReportingError, match="chưa được duyệt"):
        rp.save_report(pending.id, meetings, "năm 2024", 50, None, "k-pending", session=session)
    approved = rp.approve_reporter(pending.id, session=session)
    with pytest.raises(rp.ReportingError, match="Bạn chỉ được báo cáo cho đơn vị của mình"):
        rp.save_report(approved.id, meetings, "năm 2024", 50, None, "k-foreign", session=session)
    for value, message in (("150", "Tỷ lệ phải từ 0 đến 100%"), ("nhiều", "Không hiểu số")):
        with pytest.raises(rp.ReportingError, match=message):
            rp.save_report(_approved(session, "u6", "Châu Văn Liêm").id, meetings, "năm 2024", value, None,
                           f"k-{value}", session=session)
    with pytest.raises(rp.ReportingError, match="Không hiểu kỳ báo cáo"):
        rp.save_report(approved.id, meetings, "tuần trước", 50, None, "k-period", session=session)
    assert session.execute(select(func.count()).select_from(ReportRevision)).scalar() == 0
    assert session.execute(select(func.count()).select_from(Report)).scalar() == 0


def test_idempotent_save(session) -> None:
    reporter = _approved(session, "u7", "Châu Văn Liêm")
    meetings = _target_id(session, *MEETINGS)
    first = rp.save_report(reporter.id, meetings, "năm 2024", "72,5", "đủ minh chứng", "confirm-1", session=session)
    again = rp.save_report(reporter.id, meetings, "2024", 99, None, "confirm-1", session=session)
    assert first.created and not again.created
    assert (again.report_id, again.revision) == (first.report_id, first.revision) == (first.report_id, 1)
    assert session.execute(select(func.count()).select_from(ReportRevision)).scalar() == 1
    assert rp.progress(meetings, "năm 2024", session=session).units[0].value == 72.5


def test_correction_is_a_new_revision(session) -> None:
    reporter = _approved(session, "u8", "Châu Văn Liêm", name="Phạm Minh Tuấn")
    meetings = _target_id(session, *MEETINGS)
    first = rp.save_report(reporter.id, meetings, "Q2/2024", 60, None, "c-1", session=session)
    second = rp.save_report(reporter.id, meetings, "quý 2 năm 2024", "65", "sửa số liệu", "c-2", session=session)
    assert (second.report_id, second.revision, second.created) == (first.report_id, 2, True)
    history = rp.report_history(reporter.unit_id, meetings, "quý 2/2024", session=session)
    assert [(h.revision, h.value, h.author) for h in history] == [(1, 60.0, "Phạm Minh Tuấn"),
                                                                   (2, 65.0, "Phạm Minh Tuấn")]
    assert history[1].comment == "sửa số liệu" and history[0].reported_at <= history[1].reported_at
    progress = rp.progress(meetings, "quý 2/2024", session=session)
    assert [(u.value, u.revision) for u in progress.units] == [(65.0, 2)]
    # the figure is over the plan's five Cần Thơ schools: 65 and four not reported (0)
    assert (progress.reported, progress.covered, progress.reported_mean) == (1, 5, 65.0)
    assert progress.aggregate == pytest.approx(13.0)
    # the latest value kept on the report is the latest revision's (written with it)
    report = session.get(Report, second.report_id)
    assert (report.latest_value, report.latest_comment, report.latest_reporter_id) == (65.0, "sửa số liệu", reporter.id)


def _report(session, school: str, target: int, value: float, period: str = "năm 2024") -> None:
    reporter = _approved(session, f"h-{school}", school)
    rp.save_report(reporter.id, target, period, value, None, f"h-{school}-{period}-{value}", session=session)


def test_progress_figures_by_hand(session) -> None:
    """Cần Thơ has five schools (samples/units.csv).  The figure is over all five, missing ones
    counted as 0; a verdict needs 4 of them (80%) to have reported."""
    meetings = _target_id(session, *MEETINGS)  # 70%, comparator "="
    for school, value in {"Châu Văn Liêm": 60, "Đoàn Thị Điểm": 70, "Trần Quốc Toản": 80}.items():
        _report(session, school, meetings, value)
    p = rp.progress(meetings, "năm 2024", session=session)
    assert (p.reported, p.covered, p.method) == (3, 5, "trung bình")
    assert p.aggregate == pytest.approx(42.0) and p.reported_mean == pytest.approx(70.0)  # 210 / 5, 210 / 3
    assert p.on_track is None and p.verdict == "chưa đủ báo cáo"  # 3/5 < 80%: no verdict, although 70 = 70
    assert {u.unit: (u.value, u.on_track, u.status) for u in p.units} == {
        "Trường THPT Châu Văn Liêm": (60.0, False, "chưa đạt"), "Trường THCS Đoàn Thị Điểm": (70.0, True, "đạt"),
        "Trường Tiểu học Trần Quốc Toản": (80.0, True, "đạt")}
    assert p.missing_units == ["Trường Mầm non Hoa Sen", "Trường THCS Lê Quý Đôn"]
    assert [u.name for u in p.unreported] == p.missing_units
    assert {u.unit: u.status for u in p.statuses()} == {
        "Trường THPT Châu Văn Liêm": "chưa đạt", "Trường THCS Đoàn Thị Điểm": "đạt",
        "Trường Tiểu học Trần Quốc Toản": "đạt", "Trường Mầm non Hoa Sen": "chưa báo cáo",
        "Trường THCS Lê Quý Đôn": "chưa báo cáo"}
    assert p.citation.endswith("mục III.2.a)") and "148/KH-UBND" in p.citation
    summary = p.summary()
    for words in ("3/5 trường đã báo cáo", "trung bình 42% trên cả 5 trường (trường chưa báo cáo tính 0%)",
                  "riêng các trường đã báo cáo: trung bình 70%", "chưa đủ báo cáo để đánh giá (cần ít nhất 4/5 trường)",
                  "cần ít nhất 80% trường báo cáo", "Chưa báo cáo (2): Trường Mầm non Hoa Sen, Trường THCS Lê Quý Đôn"):
        assert words in summary, summary
    assert "— đạt" not in summary
    # another period is empty; another plan sees none of it
    empty = rp.progress(meetings, "năm 2025", session=session)
    assert empty.aggregate is None and empty.verdict == "chưa có báo cáo" and (empty.reported, empty.covered) == (0, 5)
    by_words = rp.progress_by_words("họp trực tuyến", "năm 2024", "Cần Thơ", session=session)
    assert by_words.target.target_id == meetings and by_words.aggregate == pytest.approx(42.0)
    whole = rp.plan_progress("cantho-148-2017", "năm 2024", session=session)
    assert len(whole) == 25 and [p.aggregate for p in whole if p.aggregate is not None] == [pytest.approx(42.0)]
    missing = rp.missing_reports("Cần Thơ", "năm 2024", session=session)
    by_unit = {m.unit: m for m in missing}
    assert len(by_unit["Trường THPT Châu Văn Liêm"].missing) == 24
    assert len(by_unit["Trường Mầm non Hoa Sen"].missing) == 25
    # a fourth school: 4/5 reported, the reporters' mean is 72.5 ≥ 70 but the figure over all
    # five (the missing one as 0) is 58: behind, not reached
    _report(session, "Lê Quý Đôn Cần Thơ", meetings, 80)
    p = rp.progress(meetings, "năm 2024", session=session)
    assert (p.reported, p.aggregate, p.reported_mean, p.on_track) == (4, pytest.approx(58.0), pytest.approx(72.5), False)
    assert "4/5 trường đã báo cáo" in p.summary() and "— chưa đạt." in p.summary()
    # all five: (60 + 70 + 80 + 80 + 100) / 5 = 78 ≥ 70
    _report(session, "Hoa Sen", meetings, 100)
    p = rp.progress(meetings, "năm 2024", session=session)
    assert (p.reported, p.aggregate, p.on_track, p.missing_units) == (5, pytest.approx(78.0), True, [])
    assert "5/5 trường đã báo cáo; trung bình 78% — đạt." in p.summary(), p.summary()


def test_one_school_at_100_percent_is_not_the_plan(session) -> None:
    """The issue's case: one school of the plan at 100% made the whole plan "đạt"."""
    meetings = _target_id(session, *MEETINGS)
    _report(session, "Hoa Sen", meetings, 100)
    p = rp.progress(meetings, "năm 2024", session=session)
    assert (p.reported, p.covered, p.aggregate, p.on_track) == (1, 5, pytest.approx(20.0), None)
    assert "1/5 trường đã báo cáo" in p.figures() and "chưa đủ báo cáo để đánh giá" in p.figures()


def test_count_target_is_a_sum_with_coverage(loaded, session) -> None:
    """A count ("350 bộ máy tính") is summed; Bình Lâm has no school in samples/units.csv, so its
    Sở and its Phòng are the units the figure is over ("đơn vị")."""
    assert ingest_file(loaded, PLANS / "sgd-binhlam-2024.txt").ok
    target = _target_id(session, "sgd-binhlam-2024", "II.2.a", "Bổ sung 350 bộ máy tính")
    _report(session, "Sở Giáo dục và Đào tạo tỉnh Bình Lâm", target, 200)
    p = rp.progress(target, "năm 2024", session=session)
    assert (p.method, p.aggregate, p.reported, p.covered, p.reported_mean, p.on_track) == ("tổng", 200.0, 1, 2, None, None)
    assert p.units[0].status == "đã báo cáo" and p.counted_kind == "" and p.noun == "đơn vị"
    assert "1/2 đơn vị đã báo cáo; tổng 200 bộ máy tính — chưa đủ báo cáo để đánh giá" in p.figures(), p.figures()
    assert "tổng chỉ gồm số liệu các đơn vị đã báo cáo" in p.rule
    _report(session, "Phòng Giáo dục và Đào tạo huyện Phú Điền", target, 160)
    p = rp.progress(target, "năm 2024", session=session)
    assert (p.aggregate, p.reported, p.on_track) == (360.0, 2, True)


def test_strict_comparator_and_district_scope(session) -> None:
    # Mường Tè "ít nhất 40% học sinh … học trực tuyến" (>=), its five schools: mean 40 → on track
    target = _target_id(session, "muongte-2022", "II.2.1.a", "Có ít nhất 40% học sinh", 40)
    schools = {"Kan Hồ": 30, "Bum Tở": 50, "THCS Thị trấn Mường Tè": 40, "Tiểu học Thị trấn Mường Tè": 45,
               "Mầm non Thị trấn Mường Tè": 35}
    for i, (school, value) in enumerate(schools.items()):
        rp.save_report(_approved(session, f"m{i}", school).id, target, "năm học 2024-2025", value, None, f"m-{i}",
                       session=session)
        p = rp.progress(target, "nam hoc 2024 - 2025", area="Mường Tè", session=session)
        assert (p.reported, p.covered, len(p.missing_units)) == (i + 1, 5, 4 - i)
        assert p.on_track is (None if i < 3 else i == 4)  # 4/5: (30+50+40+45)/5 = 33 < 40; 5/5: 40
    assert p.aggregate == pytest.approx(40.0) and p.counted_kind == "trường"
    # the Phòng's own report is shown but is not one of the schools the figure is over
    rp.save_report(_approved(session, "m-office", "Phòng Giáo dục và Đào tạo huyện Mường Tè").id, target,
                   "năm học 2024-2025", 0, None, "m-office", session=session)
    p = rp.progress(target, "năm học 2024-2025", area="Mường Tè", session=session)
    assert p.aggregate == pytest.approx(40.0) and len(p.units) == 6 and p.reported == 5
    assert [u.counted for u in p.statuses() if u.kind == "phòng"] == [False]
    # Cần Thơ "trên 90%" (>): exactly 90 is not reached
    strict = _target_id(session, "cantho-148-2017", "III.2.a", "Tỷ lệ cán bộ quản lý")
    rp.save_report(_approved(session, "s1", "Lê Quý Đôn Cần Thơ").id, strict, "năm 2024", 90, None, "s-1",
                   session=session)
    assert rp.progress(strict, "năm 2024", session=session).units[0].on_track is False
    assert rp.target_option(strict, session=session).met_by(90.01)


def _plan_target_ids(s, plan: str) -> list[int]:
    from knowledge import models

    return s.execute(select(models.Target.id).join(models.Document)
                     .where(models.Document.plan == plan, models.Document.is_current.is_(True))
                     .order_by(models.Target.position)).scalars().all()


def _figures(p: rp.Progress) -> tuple:
    """Everything of a target's progress but its units' rows."""
    return (p.target, p.period, p.area, p.aggregate, p.method, p.on_track, p.missing_units, p.unreported, p.citation,
            p.covered, p.reported, p.rule, p.reported_mean, p.counted_kind, p.verdict, p.summary())


def _rows(p: rp.Progress) -> list[tuple]:
    return [(u.unit_id, u.unit, u.kind, u.area, u.value, u.revision, u.author, u.reported_at, u.comment, u.on_track)
            for u in p.units]


def test_plan_progress_is_each_targets_progress(loaded, session) -> None:
    """A whole plan's figures are summed per target by the database, without a row per unit:
    every target's figure, verdict and missing units are exactly those of its own progress (the
    rule checked by hand above), on a plan of schools and on one of offices narrowed to a
    district; the units' rows are read only when asked for, and are then the same."""
    assert ingest_file(loaded, PLANS / "sgd-binhlam-2024.txt").ok
    cantho = _plan_target_ids(session, "cantho-148-2017")
    schools = ["Châu Văn Liêm", "Lê Quý Đôn Cần Thơ", "Đoàn Thị Điểm", "Trần Quốc Toản", "Hoa Sen"]
    who = {school: _approved(session, f"plan-{i}", school).id for i, school in enumerate(schools)}
    who["Sở"] = _approved(session, "plan-so", "Sở Giáo dục và Đào tạo thành phố Cần Thơ").id

    def report(unit: str, target: int, value: float, key: str = "") -> None:
        rp.save_report(who[unit], target, "năm 2024", value, None, f"plan-{unit}-{target}{key}", session=session)

    for i, school in enumerate(schools):  # all five: (60 + 70 + 80 + 90 + 100) / 5 = 80 < 100
        report(school, cantho[0], 60 + 10 * i)
    for school in schools[:4]:  # four of five at 100%: a verdict, and the fifth counts 0: 80 < 100
        report(school, cantho[1], 100)
    for school in schools[:2]:  # two of five: 36 over all five, no verdict
        report(school, cantho[2], 90)
    report("Sở", cantho[3], 100)  # the Sở's own report is shown but is none of the schools
    report(schools[0], cantho[4], 10)
    report(schools[0], cantho[4], 20, "-sửa")  # a correction: the latest value counts
    binhlam = _plan_target_ids(session, "sgd-binhlam-2024")
    computers = _target_id(session, "sgd-binhlam-2024", "II.2.a", "Bổ sung 350 bộ máy tính")
    who["Sở BL"] = _approved(session, "plan-so-bl", "Sở Giáo dục và Đào tạo tỉnh Bình Lâm").id
    who["Phú Điền"] = _approved(session, "plan-pd", "Phòng Giáo dục và Đào tạo huyện Phú Điền").id
    report("Sở BL", computers, 200)
    report("Phú Điền", computers, 160)
    report("Phú Điền", binhlam[0], 100)

    whole = rp.plan_progress("cantho-148-2017", "năm 2024", session=session)
    assert [(p.reported, p.covered, p.aggregate, p.on_track) for p in whole[:5]] == [
        (5, 5, pytest.approx(80.0), False), (4, 5, pytest.approx(80.0), False), (2, 5, pytest.approx(36.0), None),
        (0, 5, None, None), (1, 5, pytest.approx(4.0), None)]
    assert whole[1].missing_units == ["Trường Mầm non Hoa Sen"] and len(whole[3].missing_units) == 5
    assert all(p.units is None for p in whole)
    with pytest.raises(ValueError, match="units=True"):
        whole[0].statuses()
    for plan, area, ids in [("cantho-148-2017", None, cantho), ("sgd-binhlam-2024", None, binhlam),
                            ("sgd-binhlam-2024", "Phú Điền", binhlam)]:
        figures = rp.plan_progress(plan, "năm 2024", area, session=session)
        detailed = rp.plan_progress(plan, "năm 2024", area, units=True, session=session)
        assert [p.target.target_id for p in figures] == [p.target.target_id for p in detailed] == ids
        for p, d, target_id in zip(figures, detailed, ids):
            one = rp.progress(target_id, "năm 2024", area, session=session)
            assert _figures(p) == _figures(d) == _figures(one)
            assert _rows(d) == _rows(one) and d.statuses() == one.statuses()
    by_target = {p.target.target_id: p for p in rp.plan_progress("sgd-binhlam-2024", "năm 2024", session=session)}
    assert (by_target[computers].aggregate, by_target[computers].reported, by_target[computers].counted_kind) == \
        (360.0, 2, "")
    district = {p.target.target_id: p for p in rp.plan_progress("sgd-binhlam-2024", "năm 2024", "Phú Điền",
                                                                 units=True, session=session)}
    assert (district[computers].aggregate, district[computers].covered) == (160.0, 1)
    assert [u.unit for u in district[computers].units] == ["Phòng Giáo dục và Đào tạo huyện Phú Điền"]
    assert (district[binhlam[0]].aggregate, district[binhlam[0]].on_track) == (100.0, True)


def test_reports_survive_reingest(loaded, session, tmp_path: Path) -> None:
    meetings = _target_id(session, *MEETINGS)
    reporter = _approved(session, "r1", "Châu Văn Liêm")
    rp.save_report(reporter.id, meetings, "năm 2024", 75, None, "r-1", session=session)
    changed = tmp_path / "cantho-148-2017.txt"
    original = (PLANS / "cantho-148-2017.txt").read_text(encoding="utf-8")
    text = original.replace("I. CĂN CỨ LẬP\nKẾ HOẠCH", "I. CĂN CỨ LẬP\nKẾ HOẠCH (bản sửa)")
    assert text != original  # a changed plan: the same content would keep version 1
    changed.write_text(text, encoding="utf-8")
    result = ingest_file(loaded, changed)
    assert result.ok and result.version == 2, result
    new_id = _target_id(session, *MEETINGS)
    assert new_id != meetings
    p = rp.progress(new_id, "năm 2024", session=session)
    assert [u.value for u in p.units] == [75.0]
    # a late confirmation against the old target id lands on the same report
    second = rp.save_report(reporter.id, meetings, "năm 2024", 76, None, "r-2", session=session)
    assert second.revision == 2 and rp.progress(new_id, "năm 2024", session=session).units[0].value == 76.0


def test_cli_units_reporters_progress(loaded, session, tmp_path: Path) -> None:
    reporter = rp.register_reporter("rest", "cli", "Vũ Thu Hà", "Hoa Sen", "0933 222 111", session=session)
    listed = run_cli("reporters", "list", "--pending", kb=loaded.url)
    assert listed.returncode == 0 and "Vũ Thu Hà" in listed.stdout, listed.stderr
    approved = run_cli("reporters", "approve", "0933222111", kb=loaded.url)
    assert approved.returncode == 0 and "Đã duyệt Vũ Thu Hà" in approved.stdout
    rp.save_report(reporter.id, _target_id(session, *MEETINGS), "năm 2024", 88, None, "cli-1", session=session)
    shown = run_cli("progress", "cantho-148-2017", "--period", "năm 2024", kb=loaded.url)
    assert shown.returncode == 0 and "17,6% (trung bình)" in shown.stdout and "1/5 trường" in shown.stdout, \
        shown.stdout + shown.stderr
    assert "chưa đủ báo cáo" in shown.stdout and "Cách đánh giá: cần ít nhất 80% trường báo cáo" in shown.stdout
    bad = run_cli("progress", "cantho-148-2017", "--period", "tuần sau", kb=loaded.url)
    assert bad.returncode == 1 and "Không hiểu kỳ báo cáo" in bad.stderr
    units = run_cli("units", "list", "--area", "Mường Tè", kb=loaded.url)
    assert units.returncode == 0 and "Kan Hồ" in units.stdout
    again = run_cli("units", "import", str(UNITS_CSV), kb=loaded.url)
    assert again.returncode == 0 and "thêm 0" in again.stdout
    out = run_cli("export-report", "cantho", "--period", "2024", "--format", "csv", "--out", str(tmp_path), kb=loaded.url)
    assert out.returncode == 0 and (tmp_path / "bao-cao-cantho-148-2017-nam-2024.csv").exists(), out.stderr


def test_upgrade_to_0011_fills_the_latest_value_from_the_revisions(kb_url: str) -> None:
    """A KB made before 0011 (the columns dropped by the downgrade) gets each report's latest
    value, comment and author from its latest revision, and progress is unchanged."""
    from alembic import command

    from knowledge.db import alembic_config, upgrade_schema

    factory = make_session_factory(kb_url)
    assert ingest_file(factory, PLANS / "cantho-148-2017.txt").ok
    with factory() as s:
        rp.import_units(UNITS_CSV, session=s)
        meetings = _target_id(s, *MEETINGS)
        for school, values in {"Châu Văn Liêm": (60, 65), "Hoa Sen": (90,)}.items():
            reporter = _approved(s, f"up-{school}", school)
            for i, value in enumerate(values):
                rp.save_report(reporter.id, meetings, "năm 2024", value, f"lần {i + 1}", f"up-{school}-{i}", session=s)
        before = rp.progress(meetings, "năm 2024", session=s)
    engine = factory.kw["bind"]
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010_drop_word_index")
    from sqlalchemy import inspect

    assert "latest_value" not in {c["name"] for c in inspect(engine).get_columns("reports")}
    indexes = {i["name"] for i in inspect(engine).get_indexes("reports")}
    assert "ix_reports_plan_period_label" not in indexes and "ix_reports_progress" not in indexes
    upgrade_schema(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("reports")}  # 0013: a covering index
    assert {"ix_reports_progress", "ix_reports_plan_period_label"} <= indexes
    assert "ix_reports_plan_target_key_period_label" not in indexes
    with factory() as s:
        latest = {r.latest_value: (r.latest_comment, r.latest_revision) for r in s.execute(select(Report)).scalars()}
        assert latest == {65.0: ("lần 2", 2), 90.0: ("lần 1", 1)}
        after = rp.progress(meetings, "năm 2024", session=s)
    assert [(u.unit, u.value, u.revision, u.author, u.comment) for u in after.units] == \
        [(u.unit, u.value, u.revision, u.author, u.comment) for u in before.units]
    assert (after.aggregate, after.reported) == (pytest.approx(31.0), 2)  # (65 + 90) / 5
    engine.dispose()


# ---------------------------------------------------------------------------- the report actions' helper


def test_report_question_and_fetch(sqlite_kb_url: str, monkeypatch) -> None:
    """actions.report_data: what a staff question names, and one data call with its Vietnamese error."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.report_data import DATA_ERROR, Question, fetch

    monkeypatch.setenv("KB_URL", sqlite_kb_url)
    q = Question.read("tiến độ chỉ tiêu họp trực tuyến của Cần Thơ quý 2/2024?")
    assert (q.period, q.area, q.words) == ("quý 2/2024", "Cần Thơ", "họp trực tuyến")
    export = Question.read("xuất báo cáo kế hoạch 148 năm học 2024-2025 dạng csv")
    assert (export.period, export.plan) == ("năm học 2024-2025", "148")
    dispatcher = CollectingDispatcher()
    got = fetch(dispatcher, "progress", lambda: rp.progress_by_words("họp", "năm 2024", "Hà Nội"), prefix="Lỗi: ")
    assert got.error == "user" and not got.ok
    assert dispatcher.messages[-1]["text"] == "Lỗi: Chưa có kế hoạch nào của “Hà Nội” trong cơ sở tri thức."
    got = fetch(dispatcher, "boom", lambda: 1 / 0)
    assert got.error == "data" and dispatcher.messages[-1]["text"] == DATA_ERROR
    assert fetch(dispatcher, "ok", lambda: 42).value == 42 and len(dispatcher.messages) == 2


def test_action_server_registers_every_report_action() -> None:
    """rasa_sdk registers every Action subclass of the package: a shared base without a name
    would stop the action server at start."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert {"action_answer_progress", "action_answer_missing_reports", "action_export_report",
            "action_submit_report", "validate_report_form"} <= set(executor.actions)
