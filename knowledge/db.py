"""Where the knowledge base lives and how to open it.

One environment variable, ``KB_URL``, names the database for every entry point (CLI, bot
actions, tests); without it the KB is the SQLite file ``data/kb.sqlite3`` under the project
root.  The schema is owned by Alembic (``knowledge/migrations``): :func:`upgrade_schema` brings
any database, new or old, to the latest revision, so no code path calls ``create_all``.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ENV_VAR = "KB_URL"
DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'kb.sqlite3'}"
WRITE_OPTION = "kb_writer"  # execution option: this transaction will write (see _sqlite_begin)


def kb_url(url: Optional[str] = None) -> str:
    """The database URL: the explicit one, else ``$KB_URL``, else the project's SQLite file."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Every SQLite connection of the KB: foreign keys on, WAL, synchronous=NORMAL, one real
    transaction per ingest.

    pysqlite's own transaction handling starts transactions late and commits before DDL; we let
    SQLAlchemy emit BEGIN itself so an ingest (and a migration) is one real transaction.

    ``synchronous=NORMAL`` with WAL is SQLite's recommended production setting: a commit appends
    to the write-ahead log without waiting for an fsync, and the log is synced at each
    checkpoint.  A commit stays atomic and the database consistent whatever happens (a crash or
    a kill never leaves half an ingest); only a power cut or OS crash can undo the last few
    committed transactions, which a plan ingest simply repeats.  The default (FULL) waits for
    an fsync at every commit."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the bot) never wait for an ingest
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at checkpoints, atomic always (see above)
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB at most: an ingest rewrites pages all over the word index
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A writer (ingest) asks for the write lock up front with BEGIN IMMEDIATE: upgrading a read
    # transaction to a write one fails at once ("database is locked") when another writer got
    # there first, whereas waiting for the lock is covered by busy_timeout.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


def make_engine(url: Optional[str] = None) -> Engine:
    """An engine for ``url`` (see :func:`kb_url`); for SQLite the folder of the file is created,
    connections are pooled and foreign keys + WAL are switched on for every connection."""
    parsed = make_url(kb_url(url))
    if parsed.get_backend_name() == "sqlite":
        options: dict = {}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            # Connections kept open in a pool, as SQLAlchemy 2.0 does for a SQLite file (1.4 opens
            # one per session): closing the last connection of a WAL database checkpoints the whole
            # log into the file with an fsync (about 15 ms of a 100 ms plan ingest); a pooled
            # connection leaves that to SQLite's automatic checkpoints, spread over the commits.
            # A pooled connection serves one thread at a time, so pysqlite's same-thread check
            # (which would refuse a connection opened by another thread) is off.
            options = {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}
        engine = create_engine(parsed, future=True, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, future=True, pool_pre_ping=True)


def alembic_config(engine: Engine):
    """A programmatic Alembic config (no ``alembic.ini``) pointing at ``knowledge/migrations``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` inside one transaction."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def make_session_factory(url: Optional[str] = None, *, upgrade: bool = True) -> sessionmaker:
    """A session factory for the KB at ``url``; by default the schema is upgraded first, so a
    fresh URL is usable at once."""
    engine = make_engine(url)
    if upgrade:
        upgrade_schema(engine)
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


_factory_lock = threading.Lock()


@lru_cache(maxsize=None)
def _cached_factory(url: str) -> sessionmaker:
    # Serialised: the action server's first calls come from several threads at once, and two
    # Alembic upgrades at the same time (module-global state) fail with ``KeyError: 'script'``:
    # every first report of a busy start was answered "không truy cập được dữ liệu".
    with _factory_lock:
        return make_session_factory(url)


def default_session_factory() -> sessionmaker:
    """The process-wide factory for ``$KB_URL`` (created and upgraded once, on first use)."""
    return _cached_factory(kb_url())


def open_session(url: Optional[str] = None) -> Session:
    """A new session on ``url`` (or ``$KB_URL``); the caller closes it (``with open_session() as s``)."""
    return _cached_factory(kb_url(url))()


@contextmanager
def session_scope(session: Optional[Session] = None) -> Iterator[Session]:
    """The caller's session when given (it owns the transaction), else a new one on ``$KB_URL``
    closed afterwards: how every read function of the knowledge base takes ``session=None``."""
    if session is not None:
        yield session
        return
    with open_session() as own:
        yield own


@contextmanager
def write_transaction(session: Optional[Session] = None) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on any exception.

    Given a session, what it holds is committed first, then the block runs in a transaction of
    its own; without one a new session on ``$KB_URL`` is opened.  On SQLite the transaction is
    a ``BEGIN IMMEDIATE`` one (:data:`WRITE_OPTION`), so two writers at once (two confirmations
    of a report) queue for the lock instead of failing with "database is locked"."""
    if session is None:
        with open_session() as own, own.begin():
            own.connection(execution_options={WRITE_OPTION: True})
            yield own
        return
    if session.in_transaction():
        session.commit()
    with session.begin():
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
