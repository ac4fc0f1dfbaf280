"""Ingestion through the Redis job queue (``ingest --queue`` + ``python -m knowledge worker``),
with a real redis-server and a real PostgreSQL, both throwaway (conftest.py).

Everything runs as a user would run it: worker processes and the enqueuing command are
``python -m knowledge`` children.  The one test-only addition is in the *test's* worker process
(:data:`PAUSING_WORKER`): an SQLAlchemy ``after_cursor_execute`` listener that, the first time a
plan's targets are inserted inside the ingest transaction, prints a marker with the worker's pid and
sleeps — so a kill lands mid-document, deterministically.  Production code knows nothing of it.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select

from conftest import PLANS, PROJECT_ROOT, _free_port, run_cli
from test_ingest_atomic import dump

from knowledge import models

HEARTBEAT = 1  # seconds: a dead worker's job is back on the queue within a few seconds
PAUSE_MARKER = "QUEUE_JOB_PAUSED_IN_TRANSACTION"
PAUSING_WORKER = f"""
import os, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
from knowledge.cli import main

FLAG = os.environ["PAUSE_ONCE_FLAG"]

@event.listens_for(Engine, "after_cursor_execute")
def pause_once_targets_are_written(conn, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith("INSERT INTO TARGETS") and not os.path.exists(FLAG):
        open(FLAG, "w").close()
        print("{PAUSE_MARKER}", os.getpid(), file=sys.stderr, flush=True)
        time.sleep(300)

sys.exit(main(sys.argv[1:]))
"""
_db_numbers = itertools.count(1)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A database of the throwaway Redis server of its own (1–15), emptied, for one test."""
    url = redis_server.rsplit("/", 1)[0] + f"/{next(_db_numbers) % 15 + 1}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


def _env(**extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONIOENCODING": "utf-8",
           "KB_QUEUE_HEARTBEAT": str(HEARTBEAT), **extra}
    for name in ("KB_URL", "REDIS_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


class Worker:
    """A ``python -m knowledge worker`` child with its log in a file."""

    def __init__(self, kb: str, redis_url: str, name: str, log_dir: Path, *, pausing: bool = False,
                 burst: bool = False):
        self.name, self.log = name, log_dir / f"{name}.log"
        command = [sys.executable, "-c", PAUSING_WORKER] if pausing else [sys.executable, "-m", "knowledge"]
        command += ["--kb", kb, "worker", "--redis", redis_url, "--name", name] + (["--burst"] if burst else [])
        env = _env(PAUSE_ONCE_FLAG=str(log_dir / f"{name}.paused"))
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            if self.proc.poll() is not None:
                raise AssertionError(f"worker {self.name} ended (rc={self.proc.returncode}):\n{self.text()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name}: no {pattern!r} after {timeout} s:\n{self.text()[-3000:]}")

    def ready(self) -> "Worker":
        self.wait_for(r"nhận việc nhập kế hoạch", 180)
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def workers():
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def queued_ingest(kb: str, redis_url: str, *paths: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "knowledge", "--kb", kb, "ingest", "--queue", redis_url,
                             *map(str, paths)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env(**(env or {})))


def documents(kb: str) -> list[tuple]:
    engine = create_engine(kb, future=True)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(models.Document.plan, models.Document.version, models.Document.is_current,
                       models.Document.identity).order_by(models.Document.plan, models.Document.version))]
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------- tests


def test_folder_spread_over_two_workers(postgres_kb_url: str, redis_url: str, workers, tmp_path: Path) -> None:
    folder = tmp_path / "ke-hoach"
    folder.mkdir()
    # every rendering (txt, docx, autonum docx, pdf) of seven plans, and one plan only as a scan:
    # the renderings of a plan are one plan, whichever worker stores it first
    for path in PLANS.glob("*.*"):
        if not path.name.startswith("qd-hoamy-2023"):
            shutil.copy(path, folder)
    shutil.copy(PLANS / "scanned" / "qd-hoamy-2023.scan.pdf", folder)
    (folder / "hong.pdf").write_bytes(b"%PDF-1.7\nkhong phai PDF that\n" * 10)
    (folder / "ghi-chu.txt").write_text("Ghi chú họp tổ chuyên môn: mang theo sổ điểm.\n", encoding="utf-8")
    plan_files = sorted(p for p in folder.iterdir() if p.name not in ("hong.pdf", "ghi-chu.txt"))
    expected_plans = {p.name.split(".")[0] for p in plan_files}
    assert len(expected_plans) == 8

    workers += [Worker(postgres_kb_url, redis_url, name, tmp_path) for name in ("cn-1", "cn-2")]
    for worker in workers:
        worker.ready()
    done = queued_ingest(postgres_kb_url, redis_url, folder)
    stdout, stderr = done.communicate(timeout=900)

    assert done.returncode == 1, (stdout, stderr)  # two files failed
    total = len(plan_files) + 2
    assert f"Đã nhập {len(plan_files)}/{total} tệp; 2 tệp lỗi." in stdout, stdout
    lines = stderr.splitlines()
    # one line per file as it finished, naming the worker that ingested it
    for path in plan_files:
        assert any(path.name in line and ("Đã nhập" in line or "Không đổi" in line) for line in lines), (path, stderr)
    assert any(re.search(r"Lỗi: .*hong\.pdf: .*PDF", line) for line in lines), stderr
    assert any(re.search(r"Lỗi: .*ghi-chu\.txt: không (phải|tìm thấy nội dung) kế hoạch", line) for line in lines), stderr
    assert "công nhân cn-1" in stderr and "công nhân cn-2" in stderr, stderr
    assert "LỖI" in stdout and "hong.pdf" in stdout  # the table shows the failures too

    # every plan exactly once: one version each, current; its renderings kept it
    docs = documents(postgres_kb_url)
    assert sorted(d[0] for d in docs) == sorted(expected_plans), docs
    assert all(version == 1 and current for _, version, current, _ in docs), docs
    assert len({identity for *_, identity in docs}) == len(docs)
    engine = create_engine(postgres_kb_url, future=True)
    try:
        with engine.connect() as conn:
            for model in (models.Section, models.Target):  # every plan stored whole: each has both
                per_doc = dict(conn.execute(select(model.document_id, func.count()).group_by(model.document_id)).all())
                assert len(per_doc) == len(docs) and all(per_doc.values()), (model, per_doc)
    finally:
        engine.dispose()
    # nothing of the batch is left in Redis (jobs and file bytes are deleted once collected)
    client = redis.Redis.from_url(redis_url)
    assert not [k for k in client.keys("*") if k.startswith((b"rq:job:", b"kb-ingest:file:"))]


def test_killed_worker_leaves_no_trace_and_its_job_is_retried(postgres_kb_url: str, redis_url: str, workers,
                                                               tmp_path: Path) -> None:
    assert run_cli("ingest", "--no-progress", str(PLANS / "daklak-4575-2018.txt"), kb=postgres_kb_url).returncode == 0
    before = dump(postgres_kb_url)
    pausing = Worker(postgres_kb_url, redis_url, "cn-tam-dung", tmp_path, pausing=True)
    workers.append(pausing)
    pausing.ready()
    batch = queued_ingest(postgres_kb_url, redis_url, PLANS / "lamdong-3381-2017.docx")
    paused_pid = int(pausing.wait_for(PAUSE_MARKER + r" (\d+)", 300).group(1))
    assert paused_pid == pausing.proc.pid  # the job runs in the worker's own process

    pausing.proc.send_signal(signal.SIGKILL)
    pausing.proc.wait(timeout=30)
    killed_at = time.monotonic()
    assert dump(postgres_kb_url) == before  # the half-written document left nothing

    rescuer = Worker(postgres_kb_url, redis_url, "cn-cuu", tmp_path)
    workers.append(rescuer)
    stdout, stderr = batch.communicate(timeout=300)
    retried_in = time.monotonic() - killed_at
    assert batch.returncode == 0, (stdout, stderr)
    assert "Đã nhập 1/1 tệp." in stdout, stdout
    assert re.search(r"Đã nhập lamdong-3381-2017\.docx: .*công nhân cn-cuu", stderr), stderr
    # heartbeat 1 s: abandoned 3 s after the last beat, looked for every second; the rest is the
    # new worker's start (imports, warm-up: tens of seconds on a loaded machine) and the ingest
    assert retried_in < 240, retried_in
    print(f"killed worker's job done by another worker {retried_in:.1f} s after the kill")
    docs = documents(postgres_kb_url)
    assert [d[:3] for d in docs] == [("daklak-4575-2018", 1, True), ("lamdong-3381-2017", 1, True)], docs

    # the same file again, queued: found unchanged, no new version
    again = queued_ingest(postgres_kb_url, redis_url, PLANS / "lamdong-3381-2017.txt")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0 and "nội dung không đổi, giữ phiên bản 1" in stderr, (stdout, stderr)
    assert documents(postgres_kb_url) == docs


def test_sqlite_with_local_burst_worker(sqlite_kb_url: str, redis_url: str, tmp_path: Path) -> None:
    """SQLite is a file on this machine: allowed with a Redis on loopback (workers here only)."""
    files = [PLANS / "cantho-148-2017.txt", PLANS / "ngocson-96-2021.txt"]
    batch = queued_ingest(sqlite_kb_url, redis_url, *files)
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 120
    while client.llen("rq:queue:kb-ingest") < len(files):
        assert time.monotonic() < deadline and batch.poll() is None, batch.communicate()
        time.sleep(0.2)
    burst = Worker(sqlite_kb_url, redis_url, "cn-dot", tmp_path, burst=True)
    assert burst.proc.wait(timeout=300) == 0, burst.text()
    stdout, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 0 and "Đã nhập 2/2 tệp." in stdout, (stdout, stderr)
    assert sorted(d[0] for d in documents(sqlite_kb_url)) == ["cantho-148-2017", "ngocson-96-2021"]


@pytest.mark.parametrize("args, env, message", [
    (["ingest", "--queue", "redis://10.20.30.40:6379/0"], {}, "không có mật khẩu"),
    (["ingest", "--queue"], {}, "chưa có địa chỉ Redis"),
    (["ingest", "--queue"], {"REDIS_URL": "redis://:matkhau@10.20.30.40:6379/0"}, "SQLite là một tệp trên máy này"),
    (["worker", "--redis", "redis://:matkhau@10.20.30.40:6379/0"], {}, "SQLite là một tệp trên máy này"),
    (["worker", "--redis", "http://127.0.0.1:6379"], {}, "địa chỉ Redis không hợp lệ"),
])
def test_unsafe_or_missing_queue_settings_are_refused(sqlite_kb_url: str, args, env, message) -> None:
    paths = [str(PLANS / "cantho-148-2017.txt")] if args[0] == "ingest" else []
    done = run_cli(*args, *paths, kb=sqlite_kb_url, env={**_env(**env), "REDIS_URL": env.get("REDIS_URL", "")},
                   timeout=120)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert message in done.stderr, done.stderr
    assert "matkhau" not in done.stderr + done.stdout  # a password is never echoed


def test_unreachable_redis_is_a_clear_error(sqlite_kb_url: str) -> None:
    port = _free_port()
    done = run_cli("ingest", "--queue", f"redis://127.0.0.1:{port}/0", str(PLANS / "cantho-148-2017.txt"),
                   kb=sqlite_kb_url, env=_env(), timeout=120)
    assert done.returncode == 1
    assert f"không kết nối được Redis tại redis://127.0.0.1:{port}/0" in done.stderr, done.stderr
    assert not documents(sqlite_kb_url)
