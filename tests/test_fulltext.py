"""The full-text index (knowledge.fulltext, migration 0009_fulltext) on SQLite FTS5 and on
PostgreSQL (tsvector + GIN): filled at ingest for the current version only, accent-folded and
accented syllables, BM25-style ranking, filters by plan and kind."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from conftest import PLANS
from knowledge import fulltext
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_file

LAMDONG = PLANS / "lamdong-3381-2017.txt"
CANTHO = PLANS / "cantho-148-2017.txt"


def test_python_sqlite_has_fts5() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(x)")  # fails without FTS5


def _ids(session, plan: str) -> list[int]:
    return [row[0] for row in session.execute(
        text("SELECT id FROM documents WHERE plan = :p AND is_current"), {"p": plan})]


def test_index_ranks_every_kind_and_follows_the_current_version(kb_url: str) -> None:
    factory = make_session_factory(kb_url)
    for path in (LAMDONG, CANTHO):
        assert ingest_file(factory, path).ok
    with factory() as s:
        kinds = {m.kind for m in fulltext.search(s, ["hop", "truc", "tuyen"], limit=None)}
        assert {"target", "section"} <= kinds, kinds
        # folded words find the accented text; the best row has all the words
        best = fulltext.search(s, ["cuoc", "hop", "truc", "tuyen"], kinds=["target"], limit=3)
        assert best and best[0].score >= best[-1].score
        lamdong = _ids(s, "lamdong-3381-2017")
        within = fulltext.search(s, ["hop", "truc", "tuyen"], document_ids=lamdong, limit=None)
        assert within and {m.document_id for m in within} == set(lamdong)
        # abbreviations are spelled out on both sides: "CNTT" in a plan, "công nghệ thông tin" asked
        assert fulltext.search(s, ["cong", "nghe", "thong", "tin"], require_all=True, document_ids=lamdong)
        # a word typed with diacritics ranks the rows printing it first
        accented = fulltext.search(s, ["hop"], accented=["họp"], kinds=["target"], document_ids=lamdong, limit=1)
        assert accented
    # the same plan again (another rendering) becomes the current version: its rows replace the old ones
    assert ingest_file(factory, PLANS / "lamdong-3381-2017.docx").ok
    with factory() as s:
        lamdong_now = _ids(s, "lamdong-3381-2017")
        rows = fulltext.search(s, ["hop", "truc", "tuyen"], limit=None)
        assert not {m.document_id for m in rows} & (set(lamdong) - set(lamdong_now))
        assert {m.document_id for m in rows} & set(lamdong_now)


def test_migration_fills_the_index_of_an_existing_kb(kb_url: str) -> None:
    """A KB made before 0009_fulltext (the index dropped by the downgrade) is searchable after
    the upgrade: the revision indexes the current versions already stored."""
    from alembic import command

    from knowledge.db import alembic_config, make_engine

    factory = make_session_factory(kb_url)
    assert ingest_file(factory, LAMDONG).ok
    with factory() as s:
        before = {(m.kind, m.fact_id) for m in fulltext.search(s, ["hop", "truc", "tuyen"], limit=None)}
    assert before
    engine = make_engine(kb_url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008_project_section")  # the revision before 0009_fulltext
    make_session_factory(kb_url)  # upgrades to head again
    with factory() as s:
        after = {(m.kind, m.fact_id) for m in fulltext.search(s, ["hop", "truc", "tuyen"], limit=None)}
    assert after == before
    engine.dispose()


def test_row_words_are_those_of_the_whole_text_folded_at_once() -> None:
    """row_texts works per whitespace-separated chunk (cached); its words must be those of the
    whole text folded and expanded in one go, semester numbers ("kỳ 1" → "ky i") included."""
    import re

    from document_parsing.text_utils import fold, nfc
    from knowledge.textsearch import accented_words, expand_folded

    texts = ["Học kỳ 1 và HK2; kỳ\n2, kỹ năng 1", "Sở GD&ĐT, GD-ĐT, tc-kh, gv-hs", "Uỷ ban\u00a0nhân dân",
             "a-b -c & d", "ky-1", "\u0301abc e\u0301"]
    texts += [line for path in sorted(PLANS.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    for value in texts:
        folded = fold(nfc(value))
        words = set(expand_folded(folded)) | set(re.findall(r"[0-9a-z]+", folded))
        marked = {w for w in accented_words(value) if not w.isascii()}
        row_folded, row_accented = fulltext.row_texts(value)
        assert (set(row_folded.split()), set(row_accented.split())) == (words, marked), value
        assert len(row_folded.split()) == len(words)  # each word once: BM25 reads no repetition
