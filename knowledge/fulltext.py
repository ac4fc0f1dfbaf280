"""The full-text index of every kind of fact: SQLite FTS5 or PostgreSQL ``tsvector`` + GIN.

One row per searchable row of a *current* plan version (document front matter, section, target,
task, responsibility, appendix project, deadline), holding its syllables twice: accent-folded
with abbreviations spelled out (``folded``: "cntt" → "cong nghe thong tin") and lowercase as
printed (``accented``: "họp" ≠ "hợp").  Questions are matched on the folded words (any of them:
an OR query) and ranked by the engine's own BM25-style score — FTS5's ``bm25()`` with the
accented column as a smaller bonus, PostgreSQL's ``ts_rank_cd`` with the folded words at weight A
and the accented ones at weight B.  The chatbot's search (:mod:`knowledge.search`) takes the
best-ranked rows as candidates and re-scores only those, so a question costs the same at four
plans and at a thousand.

The table is created by migration ``0009_fulltext`` and kept by the ingest in the transaction
that changes which version is current (:func:`index_rows`, :func:`drop_document`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Optional, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from .textsearch import indexed_words

TABLE = "fulltext"
KINDS = ("document", "section", "target", "task", "responsibility", "project", "deadline")

# FTS5: the scope column holds "d<document id>" and "k<kind>" tokens, so that a search within
# some plans or kinds is one more term of the MATCH (an intersection of posting lists), not a
# scan of UNINDEXED columns.
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(folded, accented, scope, kind UNINDEXED, "
    "document_id UNINDEXED, fact_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
)
POSTGRES_CREATE = (
    f"CREATE TABLE {TABLE} ("
    " id BIGSERIAL PRIMARY KEY,"
    " kind VARCHAR(20) NOT NULL,"
    " document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,"
    " fact_id INTEGER NOT NULL,"
    " folded TEXT NOT NULL,"
    " accented TEXT NOT NULL,"
    " tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple', folded), 'A') ||"
    " setweight(to_tsvector('simple', accented), 'B')) STORED)",
    f"CREATE INDEX ix_{TABLE}_tsv ON {TABLE} USING GIN (tsv)",
    f"CREATE INDEX ix_{TABLE}_document_id ON {TABLE} (document_id)",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {TABLE}",)
POSTGRES_DROP = (f"DROP TABLE IF EXISTS {TABLE}",)

# FTS5 bm25() weights per column (folded, accented, scope, kind, document_id, fact_id).
BM25_WEIGHTS = "1.0, 0.3, 0.0, 0.0, 0.0, 0.0"
_TERM = re.compile(r"^[0-9a-z]+$")
_ACCENTED_TERM = re.compile(r"^[^\W_]+$")  # one word, nothing FTS5 or to_tsquery would parse


@dataclass(frozen=True)
class Match:
    """One row found: its kind, plan version, row id and the engine's score (higher = better)."""

    kind: str
    document_id: int
    fact_id: int
    score: float


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def create_statements(dialect: str) -> tuple[str, ...]:
    """DDL of the index for ``dialect`` ("sqlite" or "postgresql"), for the migration."""
    return (SQLITE_CREATE,) if dialect == "sqlite" else POSTGRES_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    return SQLITE_DROP if dialect == "sqlite" else POSTGRES_DROP


def row_texts(text_value: str) -> tuple[str, str]:
    """(folded words with abbreviations spelled out *and* as written, accented words).

    The accented column holds only the words printed with a letter outside ASCII: it is only
    ever searched for words typed with diacritics ("họp" ≠ "hợp"), and a plain word there would
    just lengthen every row."""
    words, marked = indexed_words(text_value)
    return " ".join(words), " ".join(sorted(marked))


# kind → the table it indexes and the columns its text is made of ("agency_name": the canonical
# name of the row's agency, which the caller supplies)
FACT_COLUMNS = {
    "section": ("sections", ("heading", "body")),
    "target": ("targets", ("subject", "text")),
    "task": ("tasks", ("text",)),
    "responsibility": ("responsibilities", ("agency_name", "role", "task")),
    "project": ("appendix_projects", ("name", "lead", "partners", "years")),
    "deadline": ("deadlines", ("agency", "what", "to", "when")),
}
KIND_OF_TABLE = {table: kind for kind, (table, _) in FACT_COLUMNS.items()}


def fact_text(kind: str, row: Mapping, agency_name: Optional[str] = None) -> str:
    """The indexed text of one fact row of ``kind`` from its column values (lists spelled out)."""
    parts: list[str] = []
    for column in FACT_COLUMNS[kind][1]:
        value = agency_name if column == "agency_name" else row.get(column)
        if isinstance(value, (list, tuple)):
            parts.extend(map(str, value))
        else:
            parts.append("" if value is None else str(value))
    return " ".join(parts)


def document_text(document) -> str:
    """The indexed text of a plan's front matter: name, number, issuer, title and parents."""
    return " ".join(x or "" for x in (document.plan, document.number, document.issuer, document.title,
                                      " ".join(document.parent or [])))


def document_rows(document) -> list[tuple[str, int, str]]:
    """(kind, row id, text) of a stored :class:`models.Document` and its facts, read through its
    relationships (the ingest builds the same rows from the values it inserts)."""
    rows = [("document", document.id, document_text(document))]
    for fact in [*document.sections, *document.targets, *document.tasks, *document.responsibilities,
                 *document.appendix_projects, *document.deadlines]:
        kind = KIND_OF_TABLE[type(fact).__tablename__]
        values = {c: getattr(fact, c) for c in FACT_COLUMNS[kind][1] if c != "agency_name"}
        agency = fact.agency if kind == "responsibility" else None
        rows.append((kind, fact.id, fact_text(kind, values, agency.name if agency is not None else None)))
    return rows


def index_rows(session: Session, document_id: int, rows: Iterable[tuple[str, int, str]]) -> int:
    """Insert the index rows of one document version (one multi-row insert, caller's transaction)."""
    values = []
    for kind, fact_id, value in rows:
        folded, accented = row_texts(value)
        if folded:
            values.append((kind, fact_id, folded, accented))
    if not values:
        return 0
    if _dialect(session) == "sqlite":
        # plain tuples straight to the driver's executemany: the statement has no types to
        # process, and SQLAlchemy's per-row parameter handling cost as much as the insert itself
        session.connection().exec_driver_sql(
            f"INSERT INTO {TABLE} (folded, accented, scope, kind, document_id, fact_id) VALUES (?, ?, ?, ?, ?, ?)",
            [(folded, accented, f"d{document_id} k{kind}", kind, document_id, fact_id)
             for kind, fact_id, folded, accented in values])
    else:
        session.execute(text(f"INSERT INTO {TABLE} (kind, document_id, fact_id, folded, accented) "
                             "VALUES (:kind, :document_id, :fact_id, :folded, :accented)"),
                        [{"kind": kind, "document_id": document_id, "fact_id": fact_id, "folded": folded,
                          "accented": accented} for kind, fact_id, folded, accented in values])
    return len(values)


def drop_document(session: Session, document_id: int) -> None:
    """Remove one document version's rows (it stopped being current)."""
    if _dialect(session) == "sqlite":
        session.execute(text(f"DELETE FROM {TABLE} WHERE rowid IN "
                             f"(SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :q)"), {"q": f"scope : d{document_id}"})
    else:
        session.execute(text(f"DELETE FROM {TABLE} WHERE document_id = :d"), {"d": document_id})


def _terms(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(w for w in words if _TERM.match(w)))


def search(session: Session, words: Sequence[str], *, accented: Iterable[str] = (),
           document_ids: Optional[Sequence[int]] = None, kinds: Optional[Sequence[str]] = None,
           require_all: bool = False, limit: Optional[int] = 400, ranked: bool = True) -> list[Match]:
    """Rows having any (``require_all``: every) of the folded ``words``, best first, within
    ``document_ids`` and ``kinds`` when given; ``accented`` words typed with diacritics rank the
    rows printing them higher.  ``ranked=False``: the first ``limit`` rows in the index's order,
    score 0 — no BM25 over every matching row, whose cost grows with the knowledge base."""
    terms = _terms(words)
    if not terms:
        return []
    joiner = " AND " if require_all else " OR "
    if _dialect(session) == "sqlite":
        query = f"folded : ({joiner.join(terms)})"
        marked = [w for w in accented if re.match(r"^[^\W_]+$", w)]
        if marked and not require_all:
            query = f"({query}) OR (accented : ({' OR '.join(chr(34) + w + chr(34) for w in marked)}))"
        scope = []
        if document_ids is not None:
            if not document_ids:
                return []
            scope.append(" OR ".join(f"d{int(d)}" for d in document_ids))
        if kinds is not None:
            scope.append(" OR ".join(f"k{k}" for k in kinds))
        for part in scope:
            query = f"({query}) AND (scope : ({part}))"
        sql = (f"SELECT kind, document_id, fact_id, -bm25({TABLE}, {BM25_WEIGHTS}) AS score FROM {TABLE} "
               f"WHERE {TABLE} MATCH :q ORDER BY bm25({TABLE}, {BM25_WEIGHTS})" if ranked else
               f"SELECT kind, document_id, fact_id, 0.0 AS score FROM {TABLE} WHERE {TABLE} MATCH :q")
        params: dict = {"q": query}
    else:
        tsquery = (" & " if require_all else " | ").join(terms)
        marked = [w for w in accented if re.match(r"^[^\W_]+$", w)]
        if marked and not require_all:
            tsquery = f"({tsquery}) | ({' | '.join(marked)})"
        where = ["tsv @@ q"]
        params = {"q": tsquery}
        if document_ids is not None:
            if not document_ids:
                return []
            where.append("document_id = ANY(:ids)")
            params["ids"] = list(map(int, document_ids))
        if kinds is not None:
            where.append("kind = ANY(:kinds)")
            params["kinds"] = list(kinds)
        sql = (f"SELECT kind, document_id, fact_id, ts_rank_cd(tsv, q) AS score "
               f"FROM {TABLE}, to_tsquery('simple', :q) AS q WHERE {' AND '.join(where)} ORDER BY score DESC"
               if ranked else f"SELECT kind, document_id, fact_id, 0.0 AS score "
               f"FROM {TABLE}, to_tsquery('simple', :q) AS q WHERE {' AND '.join(where)}")
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = int(limit)
    return [Match(*row) for row in session.execute(text(sql), params)]


def matching_params(dialect: str, kind: str, words: Sequence[str], document_ids: Optional[Sequence[int]] = None,
                    accented: Sequence[Sequence[str]] = ()) -> dict:
    """The parameters of :func:`matching_statement`: ``kind`` rows having every folded word
    (within ``document_ids``), and for each group of ``accented`` spellings of a word typed with
    diacritics, one of them as printed ("họp" and not "hợp")."""
    terms = _terms(words)
    groups = [[w for w in group if _ACCENTED_TERM.match(w)] for group in accented]
    groups = [g for g in groups if g]
    if dialect == "sqlite":
        query = f"folded : ({' AND '.join(terms)}) AND scope : (k{kind})"
        for group in groups:
            query += f" AND accented : ({' OR '.join(chr(34) + w + chr(34) for w in group)})"
        if document_ids is not None:
            query += f" AND scope : ({' OR '.join(f'd{int(d)}' for d in document_ids) or 'd0'})"
        return {"fulltext_query": query}
    params = {"fulltext_query": " & ".join([*terms, *(f"({' | '.join(chr(39) + w + chr(39) for w in g)})"
                                                      for g in groups)]),
              "fulltext_kind": kind}
    if document_ids is not None:
        params["fulltext_ids"] = [int(d) for d in document_ids]
    return params


@lru_cache(maxsize=None)
def matching_statement(dialect: str, within_documents: bool):
    """A selectable of the ``fact_id`` of the rows :func:`matching_params` describes, for
    :mod:`knowledge.queries` to join its table to: the engine intersects the words' posting lists
    instead of scanning rows.  Built once per dialect, its parameters given at execution, so a
    query that uses it is not rebuilt (and its cache key not recomputed) at each question.

    Its ``ordinal`` column is the row's place in the index (the FTS5 rowid, PostgreSQL's serial
    id: plans in the order they became current, each plan's rows in its order): ordered by it,
    SQLite reads the matches in the index's own order, so ``LIMIT n`` stops after n matches
    instead of sorting every match first."""
    return _matching(text(_matching_sql(dialect, within_documents)))


def _matching_sql(dialect: str, within_documents: bool) -> str:
    if dialect == "sqlite":  # the kind and the documents are terms of the MATCH
        return f"SELECT rowid AS ordinal, fact_id FROM {TABLE} WHERE {TABLE} MATCH :fulltext_query"
    return (f"SELECT id AS ordinal, fact_id FROM {TABLE} WHERE tsv @@ to_tsquery('simple', :fulltext_query) "
            "AND kind = :fulltext_kind" + (" AND document_id = ANY(:fulltext_ids)" if within_documents else ""))


def _matching(clause):
    from sqlalchemy import BigInteger, Integer, column

    return clause.columns(column("ordinal", BigInteger), column("fact_id", Integer)).subquery("matching")


def matching_rows(dialect: str, kind: str, words: Sequence[str], document_ids: Optional[Sequence[int]] = None,
                  accented: Sequence[Sequence[str]] = ()):
    """:func:`matching_statement` with its parameters bound (see :func:`matching_params`)."""
    params = matching_params(dialect, kind, words, document_ids, accented)
    return _matching(text(_matching_sql(dialect, document_ids is not None)).bindparams(**params))


__all__ = ["matching_rows", "matching_params", "matching_statement", "TABLE", "KINDS", "Match", "create_statements", "drop_statements", "document_rows", "document_text", "fact_text", "KIND_OF_TABLE", "index_rows",
           "drop_document", "search", "row_texts"]
