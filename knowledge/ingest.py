"""Plan files → knowledge base: parse, extract, write, each file in ONE transaction.

A file either lands completely (document row, sections and every fact) or not at all: the
only commit is the last statement of :func:`ingest_file`, so an exception, a kill or a power
cut mid-document leaves the KB as it was.  Re-ingesting a plan whose content changed adds a
*version*: the new rows become current and the previous version stays, marked not current, for
reproducible answers.  The same content again (the same file, or another rendering of it: txt,
docx, pdf) writes nothing and keeps the current version.

Every per-file problem becomes one Vietnamese sentence in :attr:`IngestResult.error`; nothing
here raises for a bad file, so :func:`ingest_paths` can go on with the next one.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, Optional

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import document_parsing
from document_parsing.text_utils import clean_space

from . import fulltext, geography, models, search
from .area_models import LearntArea, link_rows
from document_parsing.agency_names import agency_kind, canonical_agency
from .db import WRITE_OPTION

SUPPORTED_SUFFIXES = tuple(document_parsing.SUPPORTED)  # .docx, .doc, .odt, .pdf, .txt, .md
# Suffixes that name a *rendering* of a plan, not a different plan: "x.autonum.docx" is plan "x".
# How a file name marks another rendering of the same plan ("x.autonum.docx", "x.tcvn3.txt", "x.scan.pdf").
RENDERING_SUFFIXES = (".autonum", ".tcvn3", ".vni", ".utf16", ".scan")

FACT_LABELS = {  # counts shown to users, in this order
    "targets": "chỉ tiêu",
    "tasks": "nhiệm vụ",
    "responsibilities": "phân công",
    "appendix_projects": "dự án phụ lục",
    "deadlines": "thời hạn",
}


@dataclass
class IngestResult:
    """What happened to one file: the version written, or why nothing was written."""

    path: Path
    plan: Optional[str] = None
    document_id: Optional[int] = None
    number: Optional[str] = None
    issuer: Optional[str] = None
    version: Optional[int] = None
    previous_version: Optional[int] = None
    unchanged: bool = False  # same text as the current version, which was kept: nothing written
    counts: dict[str, int] = field(default_factory=dict)
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def plan_label(self) -> str:
        """"Kế hoạch số 3381/KH-UBND" or, for a blank number, the plan's export name."""
        return f"Kế hoạch số {self.number}" if self.number else f"Kế hoạch {self.plan}"

    @property
    def version_note(self) -> str:
        if self.unchanged:
            return f"nội dung không đổi, giữ phiên bản {self.version}"
        if not self.version or self.version == 1:
            return ""
        return f"phiên bản mới, thay phiên bản {self.previous_version}" if self.previous_version else "phiên bản mới"

    def summary(self) -> str:
        """One Vietnamese line for the terminal or a log."""
        if self.error:
            return f"Lỗi: {self.path}: {self.error}"
        counts = ", ".join(f"{self.counts.get(key, 0)} {label}" for key, label in FACT_LABELS.items())
        if self.unchanged:
            return f"Không đổi {self.path.name}: {self.plan_label} ({self.version_note}): {counts}"
        note = f" ({self.version_note})" if self.version_note else ""
        return f"Đã nhập {self.path.name}: {self.plan_label}, phiên bản {self.version}{note}: {counts}"


def plan_stem(path: str | Path) -> str:
    """The plan's export name: the file stem without a rendering suffix ("x.autonum.docx" → "x")."""
    stem = Path(path).stem
    for suffix in RENDERING_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem


def _one_line(text: str) -> str:
    return clean_space(str(text)) or "(không rõ lý do)"


def _content_hash(doc: document_parsing.Document, info) -> str:
    """sha256 of what the plan says: its number and date, then the words of its sections in
    order (headings and items, table rows included), folded.  The txt, docx and pdf renderings
    of a plan hash alike whatever their line breaks, header layout, list labels or a web page's
    metadata lines around it; any changed word or figure, or a changed order, is new content."""
    texts: list[str] = []
    for top in doc.sections:
        for section in top.walk():
            texts.append(section.heading or "")
            texts.extend(item.text for item in section.items)
    if not doc.sections:  # nothing but a preamble: its words are the content
        texts.extend(item.text for item in doc.preamble)
    # the words of each text's search key, in order: folded once, all texts together (a space
    # between two texts is a word break either way)
    words = models.key_words(" ".join(texts))
    normalised = " ".join([*(info.number or "").split(), *(info.date or "").split(), *words])
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _identity(info, content_hash: str) -> str:
    """What makes two files the same plan: its number and issuer; a plan printed without a
    number is known by issuer, title and date, or failing those by its text."""
    issuer = models.search_key(canonical_agency(info.issuer or "")).strip()
    if info.number:
        number = "".join(models.search_key(info.number).split())
        return f"so:{number}|{issuer}"
    if info.issuer and info.title:
        title = models.search_key(info.title).strip()
        return f"khong-so:{issuer}|{title}|{info.date or ''}"[:600]
    return f"noi-dung:{content_hash}"


def _iso_date(value: Optional[str]) -> Optional[date]:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class _AgencyRef:
    """An agency row's key and canonical name: all a fact row needs of it."""

    id: int
    name: str


def _agency_row(name: str) -> dict:
    return dict(name=name, folded=models.search_key(name), kind=agency_kind(name))


_AGENCIES_NAMED = text("SELECT id, name FROM agencies WHERE name IN :names").bindparams(
    bindparam("names", expanding=True))  # plain SQL: see _previous_version_sql


class _AgencyCache:
    """Get-or-create of :class:`models.Agency` rows by canonical name within one session.

    :meth:`prepare` reads every agency a document names in one query and inserts the new ones
    with one multi-row insert, on PostgreSQL in a savepoint: a concurrent ingest that created one
    of them first costs a re-select of that one, not the whole document.  SQLite needs no
    savepoint: its writers take turns from BEGIN IMMEDIATE, so no other one can create an agency
    between our select and our insert."""

    def __init__(self, session: Session):
        self.session = session
        self.by_name: dict[str, _AgencyRef] = {}
        self._concurrent = session.get_bind().dialect.name != "sqlite"

    def _insert(self, rows: list[dict]) -> None:
        if not self._concurrent:
            _insert_with_ids(self.session, {models.Agency: rows})
            return
        with self.session.begin_nested():
            _insert_with_ids(self.session, {models.Agency: rows})

    def _select(self, names: Iterable[str]) -> None:
        with self.session.no_autoflush:
            self.by_name.update((name, _AgencyRef(key, name))
                                for key, name in self.session.execute(_AGENCIES_NAMED, {"names": list(names)}))

    def prepare(self, printed: Iterable[Optional[str]]) -> None:
        names = {n for n in (canonical_agency(p or "") for p in printed) if n and n not in self.by_name}
        if not names:
            return
        self._select(names)
        new = [_agency_row(n) for n in sorted(names - set(self.by_name))]
        if not new:
            return
        try:
            self._insert(new)
        except IntegrityError:  # created meanwhile by another ingest: one at a time
            for row in new:
                self.get(row["name"])
            return
        self.by_name.update((row["name"], _AgencyRef(row["id"], row["name"])) for row in new)

    def get(self, printed: Optional[str]) -> Optional[_AgencyRef]:
        name = canonical_agency(printed or "")
        if not name:
            return None
        if name not in self.by_name:
            self._select([name])
        if name not in self.by_name:
            row = _agency_row(name)
            try:
                self._insert([row])
                self.by_name[name] = _AgencyRef(row["id"], name)
            except IntegrityError:  # created meanwhile by another ingest
                self._select([name])
        return self.by_name[name]


def _insert_with_ids(session: Session, tables: dict[type, list[dict]]) -> None:
    """Insert rows of a document, table by table, as plain column values, with one executemany
    per table (no ORM object per fact: a plan has hundreds), each given its primary key first
    (``row["id"]``) so the full-text index can point at it (SQLite cannot return the keys of a
    multi-row insert).  Safe because the writer owns the keys it takes: on SQLite the
    transaction holds the write lock from BEGIN IMMEDIATE (and one query reads every table's
    highest key); on PostgreSQL the keys come from each table's sequence."""
    tables = {model: rows for model, rows in tables.items() if rows}
    if not tables:
        return
    if session.get_bind().dialect.name == "postgresql":
        starts: dict[type, Iterable] = {}
        for model, rows in tables.items():
            sequence = session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                       {"t": model.__tablename__}).scalar()
            starts[model] = session.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"),
                                            {"s": sequence, "n": len(rows)}).scalars().all()
    else:
        quote = session.get_bind().dialect.identifier_preparer.quote
        highest = session.execute(text("SELECT " + ", ".join(
            f"(SELECT coalesce(max(id), 0) FROM {quote(model.__tablename__)})" for model in tables))).one()
        starts = {model: range(top + 1, top + 1 + len(rows)) for (model, rows), top in zip(tables.items(), highest)}
    for model, rows in tables.items():
        for row, key in zip(rows, starts[model]):
            row["id"] = key
        _executemany(session, model.__table__, rows)


def _executemany(session: Session, table, rows: list[dict]) -> None:
    """``INSERT`` of ``rows`` (dicts with the same keys).  On SQLite the rows
    go to the driver's executemany as tuples, each value through its column type's own bind
    processor (JSON, dates): SQLAlchemy's per-row parameter handling cost as much as the
    insert.  A table whose omitted columns have Python-side defaults takes the usual path."""
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    if dialect.name != "sqlite" or any(c.default is not None and c.name not in rows[0] for c in table.c):
        session.execute(table.insert(), rows)
        return
    sql, converted = _sqlite_insert(table, tuple(columns))
    values = list(map(itemgetter(*columns), rows)) if len(columns) > 1 else [(row[columns[0]],) for row in rows]
    if converted:  # JSON and date columns: only those values go through their processor
        values = [_processed(row, converted) for row in values]
    session.connection().exec_driver_sql(sql, values)


def _processed(row: tuple, converted: list[tuple[int, Callable]]) -> tuple:
    out = list(row)
    for i, process in converted:
        out[i] = process(out[i])
    return tuple(out)


# Every SQLite engine is made alike (knowledge.db): one dialect's bind processors serve them all
_SQLITE = sqlite_dialect.dialect()


@lru_cache(maxsize=64)
def _sqlite_insert(table, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, Callable]]]:
    """The SQLite INSERT statement of ``columns`` of ``table``, and (position, bind processor) of
    each of those columns whose type has one, worked out once per process, not once per engine
    (looking up a column type's processor costs more than inserting a row, and a command-line
    ingest makes a new engine)."""
    processors = [table.c[name].type.dialect_impl(_SQLITE).bind_processor(_SQLITE) for name in columns]
    quote = _SQLITE.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    return sql, [(i, process) for i, process in enumerate(processors) if process is not None]


def index_document_words(session: Session, document_id: int) -> None:
    """Rebuild the full-text index (:mod:`knowledge.fulltext`) of one stored document version,
    e.g. after making an older version current again by hand; the caller owns the transaction
    (and drops the rows of the version that stopped being current)."""
    fulltext.drop_document(session, document_id)
    document = session.get(models.Document, document_id)
    if document is not None:
        fulltext.index_rows(session, document_id, fulltext.document_rows(document))


def plan_texts(doc: document_parsing.Document, title: Optional[str]) -> Iterable[str]:
    """Header, title and body text, where a plan says where its places lie."""
    yield from (item.text for item in doc.preamble)
    yield title or ""
    for top in doc.sections:
        for section in top.walk():
            yield section.heading or ""
            yield from (item.text for item in section.items)


def _previous_version_sql(numberless: bool, dialect: str) -> str:
    """The current version of the same plan: the same identity or, for a plan printed without a
    number, the same text; locked on PostgreSQL (SQLite writers already take turns).

    The plan's own rows are read and retired with plain SQL: on a fresh engine (every first
    ingest of a command-line run) compiling an ORM or Core query costs more than running it."""
    same = "identity = :identity" + (" OR (number IS NULL AND content_hash = :content_hash)" if numberless else "")
    return ('SELECT id, content_hash, identity, version, "plan", number, issuer FROM documents '
            f"WHERE is_current AND ({same}) ORDER BY version DESC" + ("" if dialect == "sqlite" else " FOR UPDATE"))


def _write(session: Session, path: Path, doc: document_parsing.Document, extraction) -> IngestResult:
    """Insert one new current version of the plan, or keep the current one when its content is
    the same; the caller owns the transaction."""
    info = extraction.document
    content_hash = _content_hash(doc, info)
    identity = _identity(info, content_hash)
    numberless = not info.number  # the brief's rule: a numberless plan with the same text is the same plan
    previous = session.execute(text(_previous_version_sql(numberless, session.get_bind().dialect.name)),
                               {"identity": identity} | ({"content_hash": content_hash} if numberless else {})).first()
    counts = {key: len(getattr(extraction, key)) for key in FACT_LABELS}
    if previous is not None and previous.content_hash == content_hash:
        return IngestResult(path=path, plan=previous.plan, document_id=previous.id, number=previous.number,
                            issuer=previous.issuer, version=previous.version, unchanged=True,
                            counts=counts | {"sections": sum(1 for top in doc.sections for _ in top.walk())})
    if previous is not None:
        identity = previous.identity
        # before the insert: the partial unique index allows one current row
        session.execute(text("UPDATE documents SET is_current = :no WHERE id = :id"), {"no": False, "id": previous.id})
        # the full-text index covers current versions only: the old version's rows leave with it
        fulltext.drop_document(session, previous.id)
    last_version = session.execute(text("SELECT max(version) FROM documents WHERE identity = :identity"),
                                   {"identity": identity}).scalar()
    period = list(info.period or [])
    row = dict(
        plan=extraction.plan,
        source_file=path.name,
        format=doc.format,
        content_hash=content_hash,
        identity=identity,
        number=info.number or None,
        issuer=info.issuer,
        level=info.level,
        date=_iso_date(info.date),
        parent=list(info.parent or []),
        title=info.title,
        period_start=period[0] if period else None,
        period_end=period[-1] if period else None,
        date_printed=info.date_printed,
        signer=info.signer,
        version=(last_version or 0) + 1,
        is_current=True,
        ingested_at=datetime.utcnow(),
        folded=models.search_key(extraction.plan, info.number, info.issuer, info.title),
    )
    _insert_with_ids(session, {models.Document: [row]})
    document = models.Document(**row)  # its values, for the index and the result; never added to the session
    places = link_rows(document.id, geography.learn_links(info.issuer, plan_texts(doc, info.title)))
    if places:
        _executemany(session, LearntArea.__table__, places)

    agencies = _AgencyCache(session)
    agencies.prepare([r.agency for r in extraction.responsibilities] + [p.lead for p in extraction.appendix_projects]
                     + [d.agency for d in extraction.deadlines])
    tables: dict[type, list[dict]] = {model: [] for model in models.FACT_TABLES}
    position = 0
    for top in doc.sections:
        for section in top.walk():
            body = " ".join(i.text for i in section.items if i.kind != "table_row")
            tables[models.Section].append(dict(
                document_id=document.id, position=position, path=section.path, heading=section.heading or "",
                body=body))
            position += 1
    for i, t in enumerate(extraction.targets):
        tables[models.Target].append(dict(
            document_id=document.id, position=i, section_path=t.section, text=t.text, value=float(t.value),
            unit=t.unit, comparator=t.comparator or "=", year=t.year, subject=t.subject or "",
            folded=models.search_key(t.subject, t.text)))
    for i, t in enumerate(extraction.tasks):
        tables[models.Task].append(dict(document_id=document.id, position=i, section_path=t.section, text=t.text))
    agency_names: dict[int, str] = {}
    for i, r in enumerate(extraction.responsibilities):
        agency = agencies.get(r.agency)
        if agency is None:
            continue  # no agency named: nothing to answer "who" with
        agency_names[agency.id] = agency.name
        tables[models.Responsibility].append(dict(
            document_id=document.id, position=i, section_path=r.section, agency_id=agency.id, role=r.role,
            task=r.task or ""))
    for i, p in enumerate(extraction.appendix_projects):
        lead = agencies.get(p.lead)
        tables[models.AppendixProject].append(dict(
            document_id=document.id, position=i, no=int(p.no), name=p.name, lead=p.lead,
            lead_agency_id=lead.id if lead else None, partners=list(p.partners or []),
            years=[int(y) for y in p.years or []], section_path=p.section))
    for i, d in enumerate(extraction.deadlines):
        agency = agencies.get(d.agency)
        tables[models.Deadline].append(dict(
            document_id=document.id, position=i, section_path=d.section, agency=d.agency,
            agency_id=agency.id if agency else None, what=d.what or "", to=d.to, when=d.when,
            recurrence=d.recurrence, month=d.month, day=d.day))
    index = [("document", document.id, fulltext.document_text(document))]
    _insert_with_ids(session, tables)
    for model, rows in tables.items():
        kind = fulltext.KIND_OF_TABLE[model.__tablename__]
        index += [(kind, row["id"], fulltext.fact_text(kind, row, agency_names.get(row.get("agency_id"))))
                  for row in rows]
    fulltext.index_rows(session, document.id, index)
    search.forget_kb_state()  # this process's searches look at the KB again (others within seconds)

    return IngestResult(
        path=path, plan=document.plan, document_id=document.id, number=document.number, issuer=document.issuer,
        version=document.version, previous_version=previous.version if previous is not None else None,
        counts=counts | {"sections": position},
    )


def ingest_file(session_factory: sessionmaker, path: str | Path,
                progress: Optional[Callable[[int, int], None]] = None) -> IngestResult:
    """Parse, extract and store one plan file in one transaction; never raises for a bad file.
    ``progress(done, total)`` follows the pages of a scanned PDF through OCR."""
    path = Path(path)
    if not path.exists():
        return IngestResult(path, error="không tìm thấy tệp")
    if path.is_dir():
        return IngestResult(path, error="là một thư mục, không phải tệp kế hoạch")
    try:
        doc = document_parsing.parse(path, progress)
    except document_parsing.ParseError as exc:
        return IngestResult(path, error=_one_line(exc))
    except Exception as exc:  # noqa: BLE001 - a bad file must not stop a batch
        return IngestResult(path, error=_one_line(f"lỗi không mong đợi khi đọc tệp: {type(exc).__name__}: {exc}"))
    try:
        from document_parsing.extraction import extract

        extraction = extract(doc, plan_stem(path))
    except Exception as exc:  # noqa: BLE001
        return IngestResult(path, error=_one_line(f"lỗi không mong đợi khi trích xuất: {type(exc).__name__}: {exc}"))
    if not (extraction.targets or extraction.tasks or extraction.responsibilities):
        return IngestResult(path, plan=extraction.plan, error="không phải kế hoạch (không tìm thấy chỉ tiêu, "
                                                              "nhiệm vụ hay phân công trách nhiệm nào)")
    def store() -> IngestResult:
        with session_factory() as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            return _write(session, path, doc, extraction)

    try:
        try:
            return store()
        except IntegrityError:
            # Another ingest (a queue worker with another rendering of this plan) stored it at the
            # same moment: the one-current-version index refused ours.  Looking again finds that
            # version, kept when the content is the same.  (SQLite writers never meet here: BEGIN
            # IMMEDIATE makes them wait their turn.)
            return store()
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        return IngestResult(path, plan=extraction.plan,
                            error=_one_line(f"lỗi không mong đợi khi ghi vào cơ sở tri thức: {reason}"))
    except Exception as exc:  # noqa: BLE001
        return IngestResult(path, plan=extraction.plan,
                            error=_one_line(f"lỗi không mong đợi: {type(exc).__name__}: {exc}"))


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files to ingest: folders searched recursively for plan files (sorted), files as given
    (an unsupported one then fails with its own message)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")))
        else:
            files.append(path)
    return files


def ingest_paths(paths: Iterable[str | Path], session_factory: Optional[sessionmaker] = None, *,
                 show_progress: bool = True,
                 on_result: Optional[Callable[[IngestResult], None]] = None) -> list[IngestResult]:
    """Ingest every plan file under ``paths``, going on after failures.

    With ``show_progress`` a progress bar runs on stderr and each failure is printed there as
    one line ("Lỗi: <file>: <reason>") the moment it happens."""
    if session_factory is None:
        from .db import make_session_factory

        session_factory = make_session_factory()
    files = expand_paths(paths)
    results: list[IngestResult] = []
    if not show_progress:
        for path in files:
            results.append(ingest_file(session_factory, path))
            if on_result:
                on_result(results[-1])
        return results

    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    columns = (TextColumn("{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(files), stage="Nhập kế hoạch")
        for path in files:
            progress.update(task, description=path.name)
            pages: list = []  # a second bar, per page, for a scanned PDF going through OCR

            def on_page(done: int, total: int) -> None:
                if not pages:
                    pages.append(progress.add_task("trang", total=total, stage="  Nhận dạng chữ (OCR)"))
                progress.update(pages[0], completed=done)

            result = ingest_file(session_factory, path, on_page)
            if pages:
                progress.remove_task(pages[0])
            if not result.ok:
                progress.console.print(f"[red]{escape(result.summary())}[/red]")
            results.append(result)
            if on_result:
                on_result(result)
            progress.advance(task)
    return results


__all__ = ["IngestResult", "ingest_file", "ingest_paths", "expand_paths", "plan_stem", "plan_texts", "index_document_words"]
