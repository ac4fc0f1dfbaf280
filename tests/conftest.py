"""Shared fixtures: the sample plans, fresh SQLite knowledge bases, and one throwaway
PostgreSQL 15 server and one throwaway Redis server per test session.

The PostgreSQL server is never skipped: if it cannot start, every test that needs it fails
with the server log's last lines, because a silently skipped backend is an untested one.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLANS = PROJECT_ROOT / "tests" / "data" / "plans"
GOLD = PROJECT_ROOT / "tests" / "data" / "gold"
SCORER = PROJECT_ROOT / "tests" / "data" / "score.py"
PLAN_NAMES = ["cantho-148-2017", "daklak-4575-2018", "lamdong-3381-2017", "muongte-2022"]

if str(PROJECT_ROOT) not in sys.path:  # `import knowledge` without an editable install
    sys.path.insert(0, str(PROJECT_ROOT))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server tools as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(không đọc được {path}: {exc})"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL 15 server on a free loopback port; yields the URL of its ``postgres`` database."""
    base = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    data, log, port = base / "data", base / "server.log", _free_port()
    started = False
    try:
        steps = [
            ["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
            ["pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
             f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        ]
        for step in steps:
            try:
                done = subprocess.run(_as_postgres(step), capture_output=True, text=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired) as exc:
                pytest.fail(f"PostgreSQL không khởi động được: {step[0]}: {exc}\n{_tail(log)}", pytrace=False)
            if done.returncode != 0:
                pytest.fail(f"PostgreSQL không khởi động được: {' '.join(step[:1])} thoát mã {done.returncode}\n"
                            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n--- log ---\n{_tail(log)}", pytrace=False)
        started = True
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(_as_postgres(["pg_ctl", "-D", str(data), "stop", "-m", "fast", "-w"]),
                           capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def create_pg_database(server_url: str) -> str:
    """A new empty database on the throwaway server; returns its URL."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"kb_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname=url.database)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(db_url: str) -> None:
    """Drop a test database even if pooled connections are still open."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    conn = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, nothing saved to disk; yields its URL.
    Missing redis-server fails the tests that need it (never a skip)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server không có trên máy: cài gói Debian `redis-server` "
                    "(apt-get install -y redis-server, hoặc requirements/debian.sh).", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="kb-redis-"))
    port, log = _free_port(), base / "redis.log"
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(base), "--logfile", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"redis-server không khởi động được (mã {proc.returncode}): "
                            f"{proc.stderr.read()[-2000:]}\n{_tail(log)}", pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server không trả lời sau 30 giây\n{_tail(log)}", pytrace=False)
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def bot():
    """The real servers (action server, Rasa, web page, dashboard) every chat test shares
    (:func:`bot.testing.shared_servers`); modules that need fake platform APIs add their
    environment at import (``add_server_env``), before the servers start."""
    from bot.testing import shared_servers

    return shared_servers()


@pytest.fixture(scope="session")
def kb(bot) -> str:
    """The shared servers' knowledge base URL, with the sample reporting units imported."""
    from tests.fakes.readback import setup_units

    url = bot.env["KB_URL"]
    setup_units(url)
    return url


@pytest.fixture
def sqlite_kb_url(tmp_path: Path) -> str:
    """A fresh SQLite knowledge-base file (created on first use)."""
    return f"sqlite:///{tmp_path / 'kb.sqlite3'}"


@pytest.fixture
def postgres_kb_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = create_pg_database(postgres_server)
    yield url
    drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kb_url(request) -> str:
    """A fresh, empty knowledge base on each backend in turn."""
    return request.getfixturevalue(f"{request.param}_kb_url")


def run_cli(*args: str, kb: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m knowledge --kb KB ARGS…`` from the project root, as a user would run it."""
    full_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("KB_URL", None)
    return subprocess.run([sys.executable, "-m", "knowledge", "--kb", kb, *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout, env=full_env)
