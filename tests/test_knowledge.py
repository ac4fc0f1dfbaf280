"""The knowledge base on the real sample plans, on SQLite and on PostgreSQL: ingest, query,
versioning, and the agency-name canonicalisation the queries rely on."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from conftest import PLAN_NAMES, PLANS, PROJECT_ROOT, create_pg_database, drop_pg_database
from knowledge import fulltext, models, queries
from document_parsing.agency_names import agency_kind, canonical_agency
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_file, ingest_paths, plan_stem

# ---------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize("printed, canonical", [
    ("Sở GD&ĐT", "Sở Giáo dục và Đào tạo"),
    ("Sở GDĐT", "Sở Giáo dục và Đào tạo"),
    ("Sở Giáo dục - Đào tạo", "Sở Giáo dục và Đào tạo"),
    ("Sở KH&ĐT", "Sở Kế hoạch và Đầu tư"),
    ("Sở TC", "Sở Tài chính"),
    ("Sở TTTT", "Sở Thông tin và Truyền thông"),
    ("Sở TT&TT", "Sở Thông tin và Truyền thông"),
    ("UBND các huyện, thành phố", "Ủy ban nhân dân các huyện, thành phố"),
    ("Uỷ ban nhân dân tỉnh Lâm Đồng", "Ủy ban nhân dân tỉnh Lâm Đồng"),
    ("Đề nghị Sở Tài chính", "Sở Tài chính"),
    ("so tai chinh", "Sở Tài chính"),
    ("Phòng TC-KH", "Phòng Tài chính - Kế hoạch"),
    ("Các Sở, ban, ngành, địa phương", "Các Sở, ban, ngành, địa phương"),
])
def test_canonical_agency(printed: str, canonical: str) -> None:
    assert canonical_agency(printed) == canonical


def test_agency_kind() -> None:
    assert agency_kind("Sở GD&ĐT") == "sở"
    assert agency_kind("UBND các huyện") == "ủy ban nhân dân"
    assert agency_kind("Các Sở, ban, ngành") == "tập thể"


def test_plan_stem_drops_rendering_suffix() -> None:
    assert plan_stem("x/lamdong-3381-2017.autonum.docx") == "lamdong-3381-2017"
    assert plan_stem("muongte-2022.pdf") == "muongte-2022"


def test_search_key_is_word_padded_and_accent_free() -> None:
    assert models.search_key("Họp trực tuyến", "148/KH-UBND") == " hop truc tuyen 148 kh ubnd "


# ---------------------------------------------------------------------------- one loaded KB per backend


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request, tmp_path_factory):
    """The four sample plans (text rendering) ingested once per backend; yields a session factory."""
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite3'}", None
    else:
        url = create_pg_database(request.getfixturevalue("postgres_server"))
        cleanup = url
    factory = make_session_factory(url)
    results = ingest_paths([PLANS / f"{n}.txt" for n in PLAN_NAMES], factory, show_progress=False)
    assert [r.error for r in results] == [None] * 4
    yield factory
    factory.kw["bind"].dispose()
    if cleanup:
        drop_pg_database(cleanup)


@pytest.fixture
def session(loaded):
    with loaded() as s:
        yield s


def test_every_plan_is_listed_once(session) -> None:
    plans = queries.find_plans(None, session=session)
    assert [p.plan for p in plans] == PLAN_NAMES
    assert all(p.version == 1 for p in plans)


@pytest.mark.parametrize("words", ["hop truc tuyen", "họp trực tuyến", ["trực", "HỌP"]])
def test_targets_accent_insensitive(session, words) -> None:
    found = queries.targets(plan="lamdong", year=2020, subject_words=words, session=session)
    assert [(t.value, t.unit, t.year, t.section) for t in found] == [(70.0, "%", 2020, "I.2.a")]
    assert found[0].citation() == "(Kế hoạch số 3381/KH-UBND của Ủy ban nhân dân tỉnh Lâm Đồng, mục I.2.a)"
    assert found[0].figure() == "70%"


def test_words_typed_with_diacritics_must_match_them(session) -> None:
    folded = queries.appendix_projects(plan="lamdong", words="hop truc tuyen", session=session)
    accented = queries.appendix_projects(plan="lamdong", words="họp trực tuyến", session=session)
    assert {3} == {p.no for p in accented} < {p.no for p in folded}  # "hop" also finds "tích hợp"


def test_targets_need_every_word(session) -> None:
    assert queries.targets(plan="lamdong", subject_words="hop truc tuyen khong-co-tu-nay", session=session) == []


@pytest.mark.parametrize("words", ["hop truc tuyen", "trực tuyến", "họp"])
def test_a_limit_keeps_the_first_matches_in_index_order(session, words) -> None:
    """With a limit, targets() and plans_with_target() keep the first matches in the full-text
    index's order — the order the plans became current (here the order they were ingested, as
    their target ids), each plan's in its order — and return them in plan order like the whole
    list: a sub-list of it, never a shorter one than asked because the accent filter came after
    the limit."""
    whole = queries.targets(subject_words=words, session=session)
    above = queries.plans_with_target(words, 50, session=session)
    assert len(whole) >= 4 and len(above) >= 3, (whole, above)
    for found, limited in ((whole, lambda n: queries.targets(subject_words=words, session=session, limit=n)),
                           (above, lambda n: queries.plans_with_target(words, 50, session=session, limit=n))):
        ids = [t.fact_id for t in found]
        for n in (1, 2, len(found) - 1, len(found), len(found) + 3):
            first = set(sorted(ids)[:n])
            assert [t.fact_id for t in limited(n)] == [i for i in ids if i in first], (words, n)
    for word in queries.marked_words(words):  # every row kept prints the words as typed
        assert all(word in f"{t.subject} {t.text}".lower() for t in whole + above)


def test_tone_placements_are_one_spelling(session) -> None:
    """"hoá" and "hóa" (old and new tone placement) are the same word typed with diacritics."""
    assert queries.spellings("hóa") == ["hóa", "hoá"]
    assert queries.spellings("họp") == ["họp"]
    new = queries.tasks(words="xã hội hóa", session=session)
    assert new and [t.fact_id for t in queries.tasks(words="xã hội hoá", session=session)] == [t.fact_id for t in new]
    assert all("xã hội hóa" in t.text.lower() for t in new)


def test_responsibilities_of_finance_department(session) -> None:
    found = queries.responsibilities(agency="Sở Tài chính", session=session)
    assert found, "Sở Tài chính phải có phân công"
    assert {r.agency for r in found} == {"Sở Tài chính"}
    assert {"cantho-148-2017", "lamdong-3381-2017"} <= {r.plan for r in found}
    assert all(r.role in {"chủ trì", "phối hợp", "thực hiện"} for r in found)
    # abbreviations and missing accents find the same rows
    same = queries.responsibilities(agency="so TC", session=session)
    assert [(r.plan, r.section, r.role) for r in same] == [(r.plan, r.section, r.role) for r in found]
    assert all(r.citation().startswith("(Kế hoạch số ") for r in found)


def test_responsibilities_by_task_words_and_plan(session) -> None:
    found = queries.responsibilities(task_words="kinh phi", plan="cantho-148-2017", session=session)
    assert found and all("kinh phí" in r.task.lower() for r in found)
    assert {r.plan for r in found} == {"cantho-148-2017"}


def test_cross_plan_online_meetings_at_least_70(session) -> None:
    found = queries.plans_with_target("hop truc tuyen", min_value=70, session=session)
    assert found and all(t.value >= 70 for t in found)
    by_plan = {(t.plan, t.value, t.year) for t in found}
    assert ("lamdong-3381-2017", 70.0, 2020) in by_plan
    assert ("daklak-4575-2018", 80.0, 2025) in by_plan
    assert ("daklak-4575-2018", 40.0, 2020) not in by_plan


def test_find_plans_by_place_number_year(session) -> None:
    assert [p.plan for p in queries.find_plans("lam dong", session=session)] == ["lamdong-3381-2017"]
    assert [p.plan for p in queries.find_plans("Lâm Đồng", session=session)] == ["lamdong-3381-2017"]
    assert [p.plan for p in queries.find_plans("148/KH-UBND", session=session)] == ["cantho-148-2017"]
    assert "muongte-2022" in [p.plan for p in queries.find_plans("muong te 2022", session=session)]
    assert queries.find_plans("ha noi", session=session) == []


def test_document_info_and_numberless_citation(session) -> None:
    info = queries.document_info("muongte-2022", session=session)
    assert info.plan_number is None and info.level == "huyện"
    # no number printed: named by issuer, date (or year) and title, never by the file name
    cited = info.citation()
    assert cited.startswith("(Kế hoạch (không ghi số) của Ủy ban nhân dân huyện Mường Tè năm 2022 về "), cited
    assert "muongte" not in cited and "Tăng cường ứng dụng công nghệ thông tin" in cited, cited
    lamdong = queries.document_info("3381/KH-UBND", session=session)
    assert lamdong.plan == "lamdong-3381-2017" and lamdong.date == "2017-06-08"
    assert lamdong.period == (2016, 2025) and lamdong.parent == ["117/QĐ-TTg"]
    assert lamdong.counts["targets"] > 0


def test_unknown_and_ambiguous_plan(session) -> None:
    with pytest.raises(queries.PlanNotFound, match="Không tìm thấy kế hoạch"):
        queries.targets(plan="Hà Nội", session=session)
    with pytest.raises(queries.AmbiguousPlan):
        queries.document_info("2017", session=session)


def test_deadlines_and_projects(session) -> None:
    assert queries.deadlines(plan="muongte-2022", session=session)
    projects = queries.appendix_projects(plan="lamdong", words="họp trực tuyến", session=session)
    assert [p.no for p in projects] == [3]
    assert projects[0].section == "PL.3" and projects[0].lead == "Sở Giáo dục và Đào tạo"
    assert "mục PL.3" in projects[0].citation()


# ---------------------------------------------------------------------------- versioning (both backends)


def _current_count(factory, plan: str) -> tuple[int, int]:
    with factory() as s:
        total = s.execute(select(func.count()).select_from(models.Document)
                          .where(models.Document.plan == plan)).scalar_one()
        current = s.execute(select(func.count()).select_from(models.Document)
                            .where(models.Document.plan == plan, models.Document.is_current.is_(True))).scalar_one()
    return total, current


def _changed_copy(tmp_path: Path, name: str = "lamdong-3381-2017.txt") -> Path:
    """The plan with one sentence of its body reworded: the same plan, new content."""
    original = (PLANS / name).read_text(encoding="utf-8")
    first_item = next(line for line in original.splitlines() if line.startswith("- "))
    changed = tmp_path / name
    changed.write_text(original.replace(first_item, first_item + " (sửa đổi)", 1), encoding="utf-8")
    return changed


def test_same_content_keeps_the_current_version(kb_url: str, tmp_path: Path) -> None:
    """The same file again, or another rendering of the same content, writes nothing: the
    current version stays, and the user is told so."""
    factory = make_session_factory(kb_url)
    first = ingest_file(factory, PLANS / "lamdong-3381-2017.txt")
    assert first.error is None and first.version == 1 and not first.unchanged
    with factory() as s:
        ingested_at = s.get(models.Document, first.document_id).ingested_at
    for rendering in ("txt", "docx", "autonum.docx", "pdf"):
        again = ingest_file(factory, PLANS / f"lamdong-3381-2017.{rendering}")
        assert again.error is None and again.unchanged, (rendering, again.summary())
        assert (again.version, again.document_id) == (1, first.document_id)
        assert again.summary().startswith(f"Không đổi lamdong-3381-2017.{rendering}: Kế hoạch số 3381/KH-UBND")
        assert "nội dung không đổi, giữ phiên bản 1" in again.summary()
        assert again.counts == first.counts
    assert _current_count(factory, "lamdong-3381-2017") == (1, 1)
    with factory() as s:
        assert s.get(models.Document, first.document_id).ingested_at == ingested_at
    factory.kw["bind"].dispose()


def test_reingest_makes_new_version_without_duplicates(kb_url: str, tmp_path: Path) -> None:
    factory = make_session_factory(kb_url)
    first = ingest_file(factory, PLANS / "lamdong-3381-2017.txt")
    second = ingest_file(factory, _changed_copy(tmp_path))
    assert (first.error, second.error) == (None, None)
    assert (first.version, second.version) == (1, 2) and not second.unchanged
    assert "phiên bản mới, thay phiên bản 1" in second.summary() and "không đổi" not in second.summary()
    assert _current_count(factory, "lamdong-3381-2017") == (2, 1)
    with factory() as s:
        found = queries.targets(plan="lamdong", year=2020, subject_words="hop truc tuyen", session=s)
        assert len(found) == 1
        assert len(queries.find_plans("lam dong", session=s)) == 1
        one = queries.responsibilities(agency="Sở Tài chính", plan="lamdong", session=s)
        assert len(one) == len({(r.section, r.role, r.task) for r in one})
    third = ingest_file(factory, PLANS / "lamdong-3381-2017.docx")  # the original again: differs from version 2
    assert third.error is None and third.version == 3 and third.previous_version == 2 and not third.unchanged
    assert _current_count(factory, "lamdong-3381-2017") == (3, 1)
    factory.kw["bind"].dispose()


def test_database_refuses_two_current_versions(kb_url: str, tmp_path: Path) -> None:
    factory = make_session_factory(kb_url)
    assert ingest_file(factory, PLANS / "daklak-4575-2018.txt").error is None
    assert ingest_file(factory, _changed_copy(tmp_path, "daklak-4575-2018.txt")).version == 2
    with pytest.raises(IntegrityError):
        with factory() as s, s.begin():
            s.execute(update(models.Document).values(is_current=True))
    factory.kw["bind"].dispose()


def test_all_renderings_of_a_plan_are_one_version(tmp_path: Path) -> None:
    """Every rendering of every plan in tests/data/plans: one version per plan, the other
    renderings reported unchanged."""
    factory = make_session_factory(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    # every top-level rendering; legacy/ and scanned/ hold other material (tested on their own)
    results = ingest_paths(sorted(p for p in PLANS.iterdir() if p.is_file()), factory, show_progress=False)
    assert results and all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    plans = sorted({r.plan for r in results})
    assert set(PLAN_NAMES) <= set(plans)
    with factory() as s:
        assert [p.plan for p in queries.find_plans(None, session=s)] == plans
    for name in plans:
        assert _current_count(factory, name) == (1, 1), (name, [r.summary() for r in results if r.plan == name])
    assert sum(not r.unchanged for r in results) == len(plans)


def test_samples_hold_one_rendering_per_plan() -> None:
    """`make run` ingests samples/plans: one file per plan, so one version each and no
    "nội dung không đổi" lines."""
    files = sorted((PROJECT_ROOT / "samples" / "plans").iterdir())
    stems = [plan_stem(f) for f in files]
    assert files and len(stems) == len(set(stems)), stems
    assert set(PLAN_NAMES) <= set(stems) and all(f.suffix == ".docx" for f in files)


def test_not_a_plan_is_refused(tmp_path: Path, sqlite_kb_url: str) -> None:
    notice = tmp_path / "thong-bao.txt"
    notice.write_text("ỦY BAN NHÂN DÂN XÃ A\nTHÔNG BÁO\nVề lịch nghỉ Tết\nI. NỘI DUNG\n"
                      "1. Cơ quan nghỉ Tết từ ngày 20 đến hết ngày 26 tháng 01.\n"
                      "2. Lịch trực cơ quan do Văn phòng bố trí.\nII. GHI CHÚ\n1. Mọi người nghỉ Tết vui vẻ.\n",
                      encoding="utf-8")
    factory = make_session_factory(sqlite_kb_url)
    result = ingest_file(factory, notice)
    assert result.error and "không phải kế hoạch" in result.error
    assert result.summary().startswith(f"Lỗi: {notice}: ")
    with factory() as s:
        assert s.execute(select(func.count()).select_from(models.Document)).scalar_one() == 0


def test_export_reproduces_extraction(loaded) -> None:
    """What the KB exports is what extraction produced: nothing lost or reordered on the way."""
    import document_parsing
    from document_parsing.extraction import extract

    from knowledge.export import plan_schema

    with loaded() as s:
        docs = {d.plan: d for d in s.execute(select(models.Document).where(models.Document.is_current.is_(True)))
                .scalars()}
        for path in (PLANS / f"{n}.txt" for n in PLAN_NAMES):
            expected = extract(document_parsing.parse(path), plan_stem(path)).to_schema()
            for r in expected["responsibilities"]:
                r["agency"] = canonical_agency(r["agency"])
            assert plan_schema(docs[plan_stem(path)]) == expected, path.name


# ---------------------------------------------------------------------------- word index (both backends)


def _word_index_answers(s) -> dict:
    """What the word searches answer, comparable across schema changes."""
    return {
        "targets": [(t.plan, t.section, t.value, t.year) for t in queries.targets(subject_words="hop truc tuyen", session=s)],
        "plans_70": [(t.plan, t.value, t.year) for t in queries.plans_with_target("họp trực tuyến", 70, session=s)],
        "tasks": [(t.plan, t.section) for t in queries.tasks(words="co so du lieu", session=s)],
        "who": [(r.plan, r.section, r.agency) for r in queries.responsibilities(task_words="kinh phi", session=s)],
        "projects": [(p.plan, p.no) for p in queries.appendix_projects(words="hop truc tuyen", session=s)],
        "plans": [p.plan for p in queries.find_plans("uy ban nhan dan", session=s)],
    }


def test_word_index_follows_the_current_version(kb_url: str) -> None:
    """Re-ingesting moves the plan's words to the new version in the same transaction: the index
    never holds a superseded version, and answers do not repeat."""
    factory = make_session_factory(kb_url)
    for path in (PLANS / "lamdong-3381-2017.txt", PLANS / "lamdong-3381-2017.docx", PLANS / "daklak-4575-2018.txt"):
        assert ingest_file(factory, path).error is None
    with factory() as s:
        current = set(s.execute(select(models.Document.id).where(models.Document.is_current.is_(True))).scalars())
        indexed = set(s.execute(text(f"SELECT DISTINCT document_id FROM {fulltext.TABLE}")).scalars())
        assert indexed == current and len(current) == 2
        found = queries.targets(plan="lamdong", year=2020, subject_words="hop truc tuyen", session=s)
        assert [(t.value, t.section) for t in found] == [(70.0, "I.2.a")]
        assert queries.targets(subject_words="x" * 100, session=s) == []
    factory.kw["bind"].dispose()


def test_a_limit_reads_on_when_the_printed_words_decide(kb_url: str) -> None:
    """The index is a first sieve for words typed with diacritics; the printed words decide.
    When a row the index lists under "họp" no longer prints it, a limited search reads further
    matches instead of answering fewer rows than asked."""
    factory = make_session_factory(kb_url)
    for name in PLAN_NAMES:
        assert ingest_file(factory, PLANS / f"{name}.txt").ok
    with factory() as s:
        whole = queries.targets(subject_words="họp trực tuyến", session=s)
        ids = sorted(t.fact_id for t in whole)
        assert len(ids) >= 4, whole
        changed = next(t for t in whole if t.fact_id == ids[0])
        s.execute(update(models.Target).where(models.Target.id == changed.fact_id)
                  .values(subject=changed.subject.replace("họp", "hợp"), text=changed.text.replace("họp", "hợp")))
        s.commit()
        now = [t.fact_id for t in queries.targets(subject_words="họp trực tuyến", session=s)]
        assert now == [t.fact_id for t in whole if t.fact_id != ids[0]]
        for n in (1, 2, 3):
            first = set(ids[1:1 + n])
            assert [t.fact_id for t in queries.targets(subject_words="họp trực tuyến", session=s, limit=n)] == \
                [i for i in now if i in first], n
    factory.kw["bind"].dispose()


def test_upgrade_from_0001_builds_the_search_index(kb_url: str) -> None:
    """An existing KB (schema 0001, no search index) upgrades in place and answers as before."""
    from alembic import command

    from knowledge.db import alembic_config, upgrade_schema

    factory = make_session_factory(kb_url)
    engine = factory.kw["bind"]
    results = ingest_paths([*(PLANS / f"{n}.txt" for n in PLAN_NAMES), PLANS / "lamdong-3381-2017.docx"], factory,
                           show_progress=False)
    assert all(r.ok for r in results)
    count = text(f"SELECT count(*) FROM {fulltext.TABLE}")
    with factory() as s:
        before = _word_index_answers(s)
        postings = s.execute(count).scalar_one()
    assert all(before.values()), before
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    from sqlalchemy import inspect

    tables = inspect(engine).get_table_names()
    assert fulltext.TABLE not in tables and "search_words" not in tables
    upgrade_schema(engine)
    with factory() as s:
        assert s.execute(count).scalar_one() == postings
        assert _word_index_answers(s) == before
    assert "search_words" not in inspect(engine).get_table_names()  # 0010: the full-text index replaced it
    engine.dispose()
