"""Ingestion through the job queue: the same batch of plans over 1 worker and over N workers.

  python bench/ingest_queue.py [--plans 200] [--scans 4] [--workers 2] [--direct]

The batch: generated text variants of the sample plans (other numbers, issuers and figures, so
each is a new plan to write), the docx and text-layer PDF samples under other names, and
``--scans`` copies of the scanned samples (OCR, seconds per page).  Each run gets a fresh
PostgreSQL database and an empty Redis database (throwaway servers, as in the tests), its
workers are started and warm before the clock starts, and the time is from the first job
queued to the last result collected (``knowledge.jobs.enqueue_files`` + ``follow``).  Printed:
seconds per run, plans per minute, and the ratio 1 worker / N workers (2 cores here: ideal 2.0;
OCR already uses both cores for one scan, so the scans gain less).  ``--direct`` adds the plain
single-process ``ingest_paths`` on the same files as the baseline without a queue.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import conftest  # noqa: E402  - the tests' throwaway PostgreSQL and Redis, as context managers
import redis  # noqa: E402

from knowledge import jobs  # noqa: E402
from knowledge.db import make_session_factory  # noqa: E402
from knowledge.ingest import ingest_paths  # noqa: E402

PLANS = ROOT / "tests" / "data" / "plans"
PROVINCES = ["An Giang", "Bắc Ninh", "Cà Mau", "Đồng Tháp", "Hà Giang", "Kon Tum", "Lào Cai", "Nghệ An",
             "Phú Yên", "Quảng Trị", "Sơn La", "Thái Bình", "Trà Vinh", "Vĩnh Long", "Yên Bái"]


def batch_files(total: int, scans: int, out: Path) -> list[Path]:
    """``total`` files: ``scans`` scanned PDFs, one docx and one PDF per sample plan (renamed),
    the rest text variants with their own numbers, places and figures."""
    rng = random.Random(11)
    files: list[Path] = []
    scanned = sorted((PLANS / "scanned").glob("*.pdf"))
    for i in range(scans):
        src = scanned[i % len(scanned)]
        files.append(out / f"scan-{i:03d}-{src.name}")
        shutil.copy(src, files[-1])
    for src in sorted(PLANS.glob("*.docx")) + sorted(PLANS.glob("*.pdf")):
        if len(files) >= total or ".autonum" in src.name:
            continue
        files.append(out / f"copy-{len(files):03d}-{src.name}")
        shutil.copy(src, files[-1])
    texts = sorted(PLANS.glob("*.txt"))
    i = 0
    while len(files) < total:
        text = texts[i % len(texts)].read_text(encoding="utf-8")
        text = re.sub(r"\b(\d{2,4})/(KH|QĐ)-", lambda m: f"{rng.randint(100, 9999)}/{m.group(2)}-", text, count=2)
        text = re.sub(r"(Lâm Đồng|Cần Thơ|Đắk Lắk|Mường Tè|LÂM ĐỒNG|CẦN THƠ|ĐẮK LẮK)", rng.choice(PROVINCES), text)
        text = re.sub(r"\b(\d{1,2})%", lambda m: f"{min(100, int(m.group(1)) + rng.randint(-10, 10))}%", text)
        files.append(out / f"variant-{i:04d}.txt")
        files[-1].write_text(text, encoding="utf-8")
        i += 1
    return files


def start_worker(kb: str, redis_url: str, name: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KB_QUEUE_HEARTBEAT": "5"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "knowledge", "--kb", kb, "worker", "--redis", redis_url,
                                 "--name", name], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 300
    while "nhận việc nhập kế hoạch" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker {name} did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return proc


def queued_run(files: list[Path], n_workers: int, pg_server: str, redis_server: str, tmp: Path, db: int) -> float:
    kb = conftest.create_pg_database(pg_server)
    redis_url = redis_server.rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(redis_url).flushdb()
    make_session_factory(kb)  # schema before the workers start (they would also do it, in turn)
    workers = [start_worker(kb, redis_url, f"bench-{n_workers}-{i}", tmp / f"worker-{n_workers}-{i}.log")
               for i in range(n_workers)]
    try:
        connection = jobs.connect(redis_url)
        start = time.perf_counter()
        batch = jobs.enqueue_files(connection, files)
        failed: list[str] = []
        jobs.follow(batch, lambda queued, outcome: outcome.result.ok or failed.append(outcome.result.summary()),
                    timing=jobs.QueueTiming.from_env(5), poll=0.2)
        elapsed = time.perf_counter() - start
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=120)
        conftest.drop_pg_database(kb)
    if failed:
        raise SystemExit("failures:\n" + "\n".join(failed[:10]))
    return elapsed


def direct_run(files: list[Path], pg_server: str) -> float:
    kb = conftest.create_pg_database(pg_server)
    try:
        factory = make_session_factory(kb)
        start = time.perf_counter()
        results = ingest_paths(files, factory, show_progress=False)
        elapsed = time.perf_counter() - start
        factory.kw["bind"].dispose()
    finally:
        conftest.drop_pg_database(kb)
    bad = [r.summary() for r in results if not r.ok]
    if bad:
        raise SystemExit("failures:\n" + "\n".join(bad[:10]))
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=200)
    ap.add_argument("--scans", type=int, default=4, help="scanned PDFs among the plans (OCR)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--direct", action="store_true", help="also the single-process ingest, without the queue")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(contextlib.contextmanager(conftest.postgres_server.__wrapped__)())
        rs = stack.enter_context(contextlib.contextmanager(conftest.redis_server.__wrapped__)())
        folder = tmp / "plans"
        folder.mkdir()
        files = batch_files(args.plans, args.scans, folder)
        kinds = {k: sum(1 for f in files if f.name.startswith(k)) for k in ("scan", "copy", "variant")}
        print(f"{len(files)} plans: {kinds['variant']} text variants, {kinds['copy']} docx/pdf copies, "
              f"{kinds['scan']} scanned PDFs (OCR); PostgreSQL KB, {os.cpu_count()} CPU cores")
        if args.direct:
            direct = direct_run(files, pg)
            print(f"direct (no queue, one process): {direct:7.1f} s  {len(files) / direct * 60:6.1f} plans/min")
        one = queued_run(files, 1, pg, rs, tmp, 1)
        print(f"queue, 1 worker:                {one:7.1f} s  {len(files) / one * 60:6.1f} plans/min")
        many = queued_run(files, args.workers, pg, rs, tmp, 2)
        print(f"queue, {args.workers} workers:               {many:7.1f} s  {len(files) / many * 60:6.1f} plans/min")
        print(f"ratio 1 worker / {args.workers} workers = {one / many:.2f}  (ideal {min(args.workers, os.cpu_count() or 1):.1f}"
              f" on this machine)" + (f"; queue 1 worker / direct = {one / direct:.2f}" if args.direct else ""))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
