"""An ingest killed mid-document (SIGKILL, no cleanup code runs) leaves the KB exactly as it
was, on SQLite and PostgreSQL.

Deterministic, and nothing in the production code knows about it: the test runs the real
``python -m knowledge ingest`` in a child process whose only addition is an SQLAlchemy
``after_cursor_execute`` listener (:data:`PAUSING_INGEST`); when the ingest has inserted the
plan's targets inside its transaction, the listener prints a marker on stderr and sleeps, and the test kills
the process at that moment — after the previous version was marked not current and after rows
were written, before the commit.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading

from sqlalchemy import create_engine, inspect, text

from conftest import PLANS, PROJECT_ROOT, run_cli

PAUSE_MARKER = "INGEST_PAUSED_IN_TRANSACTION"
PAUSING_INGEST = f"""
import sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
from knowledge.cli import main

@event.listens_for(Engine, "after_cursor_execute")
def pause_once_targets_are_written(conn, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith("INSERT INTO TARGETS"):
        rows = cursor.connection.cursor()
        rows.execute("SELECT count(*) FROM targets")
        print("{PAUSE_MARKER}", rows.fetchone()[0], file=sys.stderr, flush=True)
        time.sleep(120)

sys.exit(main(sys.argv[1:]))
"""


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: the KB's whole state."""
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            # every column decides the order (ORDER BY 1 leaves ties to the plan PostgreSQL picks)
            return {t: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
                    for t in tables}
    finally:
        engine.dispose()


def _wait_for_marker(proc: subprocess.Popen, timeout: float) -> str:
    lines: "queue.Queue[str]" = queue.Queue()

    def reader() -> None:
        for line in proc.stderr:
            lines.put(line)
        lines.put("")

    threading.Thread(target=reader, daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the ingest never paused; stderr so far: {''.join(seen)}") from None
        if not line:
            raise AssertionError(f"the ingest ended before pausing (rc={proc.wait()}): {''.join(seen)}")
        seen.append(line)
        if line.startswith(PAUSE_MARKER):
            return line


def test_killed_ingest_leaves_kb_unchanged(kb_url: str, tmp_path) -> None:
    # a KB with content, including version 1 of the plan about to be re-ingested
    for name in ("daklak-4575-2018.txt", "lamdong-3381-2017.txt"):
        done = run_cli("ingest", "--no-progress", str(PLANS / name), kb=kb_url)
        assert done.returncode == 0, done.stderr
    before = dump(kb_url)
    assert before["documents"] and before["targets"]

    # the same plan with changed content, so the ingest writes a new version
    changed = tmp_path / "lamdong-3381-2017.txt"
    original = (PLANS / "lamdong-3381-2017.txt").read_text(encoding="utf-8")
    first_item = next(line for line in original.splitlines() if line.startswith("- "))
    changed.write_text(original.replace(first_item, first_item + " (sửa đổi)", 1), encoding="utf-8")

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("KB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSING_INGEST, "--kb", kb_url, "ingest", "--no-progress", str(changed)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        marker, rows = _wait_for_marker(proc, timeout=120).split()
        assert marker == PAUSE_MARKER and int(rows) > len(before["targets"])  # written, not committed
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert dump(kb_url) == before

    # and the KB is healthy: the same ingest now goes through as version 2
    done = run_cli("ingest", "--no-progress", str(changed), kb=kb_url)
    assert done.returncode == 0 and "thay phiên bản 1" in done.stdout, done.stdout + done.stderr
    after = dump(kb_url)
    assert len(after["documents"]) == len(before["documents"]) + 1
    assert len(after["targets"]) > len(before["targets"])
