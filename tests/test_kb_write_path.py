"""The fast write path of an ingest stores exactly what the ORM reads back, and the SQLite KB runs
with the settings :mod:`knowledge.db` documents (pooled connections, WAL, synchronous=NORMAL)."""
from __future__ import annotations

import threading
import unicodedata

from sqlalchemy import select, text

from conftest import PLANS
from document_parsing.text_utils import clean_space, fold
from knowledge import fulltext, models
from knowledge.db import make_session_factory
from knowledge.ingest import index_document_words, ingest_file


def _index(session) -> list[tuple]:
    return sorted(session.execute(text(f"SELECT kind, document_id, fact_id, folded, accented FROM {fulltext.TABLE}")))


def test_ingested_rows_equal_those_rebuilt_from_the_stored_facts(kb_url: str) -> None:
    """The ingest builds the full-text rows from the values it inserts (tuples straight to the
    driver on SQLite); rebuilding them from the rows read back through the ORM gives the same
    index, and list columns (a project's partners and years) read back as lists."""
    factory = make_session_factory(kb_url)
    result = ingest_file(factory, PLANS / "ngocson-96-2021.docx")
    assert result.error is None and result.counts["appendix_projects"] > 0
    with factory() as session, session.begin():
        ingested = _index(session)
        assert len(ingested) > 100
        index_document_words(session, result.document_id)
        assert _index(session) == ingested
        projects = session.execute(select(models.AppendixProject)).scalars().all()
        assert all(isinstance(p.partners, list) and isinstance(p.years, list) for p in projects)
        assert any(p.years for p in projects)
        agencies = session.execute(select(models.Agency.id, models.Agency.name)).all()
        assert len({a.id for a in agencies}) == len(agencies) > 5
        used = set(session.execute(select(models.Responsibility.agency_id)).scalars())
        assert used <= {a.id for a in agencies}
    factory.kw["bind"].dispose()


def test_sqlite_kb_is_pooled_wal_and_synchronous_normal(sqlite_kb_url: str) -> None:
    """One connection serves session after session (closing the last one would checkpoint the
    whole log), in WAL mode with synchronous=NORMAL and foreign keys on; a session in another
    thread may use it (pysqlite's same-thread check is off for the pool)."""
    factory = make_session_factory(sqlite_kb_url)
    with factory() as first:
        settings = [first.execute(text(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "synchronous",
                                                                                   "foreign_keys")]
        raw = first.connection().connection.dbapi_connection
    assert settings == ["wal", 1, 1]  # synchronous: 1 = NORMAL
    with factory() as second:
        assert second.connection().connection.dbapi_connection is raw
    answers: list = []

    def in_another_thread() -> None:
        with factory() as session:
            answers.append(session.execute(text("SELECT count(*) FROM documents")).scalar())

    worker = threading.Thread(target=in_another_thread)
    worker.start()
    worker.join()
    assert answers == [0]
    assert ingest_file(factory, PLANS / "cantho-148-2017.docx").error is None
    factory.kw["bind"].dispose()


def _fold_by_definition(text_value: str) -> str:
    """fold spelled out: lowercase, each character without its combining marks, đ → d, spaces collapsed."""
    out = []
    for char in text_value.lower():
        if char in "đð":
            out.append("d")
        else:
            out.append("".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn"))
    return " ".join("".join(out).split())


def test_fold_and_clean_space_on_every_character() -> None:
    """The shortcuts (ASCII text skips the table, whitespace split by str.split) change no result:
    every character of the Basic Multilingual Plane, between two letters and alone."""
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        for sample in (f"a{char}B", char):
            assert fold(sample) == _fold_by_definition(sample), hex(code)
            expected = " ".join(unicodedata.normalize("NFC", sample).replace("\u200b", "").replace("\ufeff", "")
                                .replace("ð", "đ").replace("Ð", "Đ").split())
            assert clean_space(sample) == expected, hex(code)
    assert fold("  Sở GD&ĐT\u00a0tỉnh  Lâm Đồng ") == "so gd&dt tinh lam dong"
    assert clean_space(" Kế\u00a0hoạch\u200b  số\t148 ") == "Kế hoạch số 148"
