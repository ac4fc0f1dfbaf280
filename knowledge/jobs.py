"""Ingestion through a Redis job queue (RQ): one job per plan file, taken by worker processes on
this machine or on others that share the Redis server and the knowledge base.

Why RQ and not Celery: a job here is one function call on one file, with retries and a result;
RQ does exactly that on Redis alone (two small pure-Python packages, ``rq`` and ``click``, next
to the ``redis`` client already pinned), its worker classes are small enough to adapt (see
``IngestWorker``) and its registries are plain Redis structures a test can read.  Celery would bring kombu, billiard, vine, a broker abstraction and a result backend to
configure, for features (routing, chords, beat) this project does not use.

How a batch flows:

* :func:`enqueue_files` (the ``ingest --queue`` command) puts each file's bytes under a Redis key
  of its own, so workers on other machines need no shared disk, and enqueues one job naming it,
  biggest files first (scanned PDFs take longest), with :data:`RETRIES` retries.
* ``python -m knowledge worker`` (:func:`run_worker`) runs an ``IngestWorker``, which calls
  :func:`ingest_job`, i.e. :func:`knowledge.ingest.ingest_file`, one transaction per file, in
  its own process: kill -9 the worker mid-document and the database rolls the transaction back.
* :func:`follow` polls the jobs, hands each result over as it arrives and deletes the job and
  its file from Redis.

Faults.  A job that raises is put back on the queue by its worker (RQ's ``Retry``); a bad file
is not an exception but a result with its Vietnamese error.  A worker that dies (kill -9, out
of memory, the machine gone) stops the job's heartbeat: the job's entry in RQ's ``StartedJobRegistry`` expires ``heartbeat + grace`` seconds
(:class:`QueueTiming`) after the last beat, and ``StartedJobRegistry.cleanup`` — run by any idle
worker's maintenance and by the waiting ``ingest --queue`` command every ``heartbeat`` seconds —
re-enqueues it while retries are left.  A retried job that finds its plan already stored (same
content) writes nothing: the ingest keeps the current version.

Security: job data is JSON (never pickle), a worker runs :func:`ingest_job` and nothing else,
and a Redis server without a password is accepted on loopback only.  URLs come from options or
the environment (``REDIS_URL``, ``KB_URL``), never from a job.
"""
from __future__ import annotations

import gc
import ipaddress
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Optional
from urllib.parse import urlsplit, urlunsplit

from .db import ENV_VAR as KB_ENV_VAR
from .db import kb_url as resolve_kb_url
from .ingest import IngestResult, expand_paths

REDIS_ENV_VAR = "REDIS_URL"
HEARTBEAT_ENV_VAR = "KB_QUEUE_HEARTBEAT"
QUEUE_NAME = "kb-ingest"
INGEST_FUNC = "knowledge.jobs.ingest_job"
FILE_KEY_PREFIX = "kb-ingest:file:"
RETRIES = 3  # a file whose worker died this many times more is reported as failed
MAX_FILE_BYTES = 64 * 1024 * 1024  # a plan file, even a scan, is a few MB; Redis holds it until done
KEEP_SECONDS = 24 * 3600  # files and results of a batch nobody collects leave Redis after a day
JOB_TIMEOUT = 3600  # one file: a long scanned plan through OCR takes minutes, never an hour


class QueueError(Exception):
    """A user-caused problem with the queue (address, server, database); the text is Vietnamese."""


@dataclass(frozen=True)
class QueueTiming:
    """How fast a dead worker's job is handed to another.

    A busy worker beats every ``heartbeat`` seconds; its job counts as abandoned ``heartbeat +
    grace`` seconds after the last beat; abandoned jobs are looked for every ``heartbeat``
    seconds (by a waiting ``ingest --queue``) or ``3 × heartbeat`` (by idle workers).  So a job
    is back on the queue at most about ``3 × heartbeat + grace`` seconds after its worker died.
    RQ's own defaults (30 s beats, 60 s grace, a 10-minute maintenance) would take ~11 minutes."""

    heartbeat: int = 10
    grace: int = 20

    @classmethod
    def from_env(cls, heartbeat: Optional[int] = None) -> "QueueTiming":
        """``heartbeat`` from the option, else ``$KB_QUEUE_HEARTBEAT``, else 10 s; grace = 2 beats."""
        if heartbeat is None:
            raw = os.environ.get(HEARTBEAT_ENV_VAR, "").strip()
            try:
                heartbeat = int(raw) if raw else cls.heartbeat
            except ValueError:
                raise QueueError(f"{HEARTBEAT_ENV_VAR}={raw!r} không phải số giây nguyên.") from None
        if heartbeat < 1:
            raise QueueError("Chu kỳ tín hiệu của công nhân phải từ 1 giây trở lên.")
        return cls(heartbeat=heartbeat, grace=2 * heartbeat)

    @property
    def maintenance(self) -> int:
        return 3 * self.heartbeat


# ------------------------------------------------------------------------ addresses and servers


def _is_loopback(host: Optional[str]) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def redis_url(explicit: Optional[str] = None) -> str:
    """The Redis URL from the option, else ``$REDIS_URL``; checked by :func:`check_redis_url`."""
    url = (explicit or os.environ.get(REDIS_ENV_VAR) or "").strip()
    if not url:
        raise QueueError(f"chưa có địa chỉ Redis: dùng --queue redis://127.0.0.1:6379/0 "
                         f"hoặc đặt biến môi trường {REDIS_ENV_VAR}.")
    check_redis_url(url)
    return url


def check_redis_url(url: str) -> None:
    """Whoever can write to the queue's Redis decides what workers ingest, so a Redis server
    without a password is accepted only on this machine (loopback or a unix socket)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise QueueError(f"địa chỉ Redis không hợp lệ ({public_url(url)}): cần dạng redis://máy:cổng/số, "
                         "rediss://… (TLS) hoặc unix:///đường/dẫn.sock.")
    if parts.scheme == "unix" or parts.password or _is_loopback(parts.hostname):
        return
    raise QueueError(f"Redis ở {parts.hostname} không có mật khẩu: chỉ chấp nhận Redis không mật khẩu trên "
                     "chính máy này (127.0.0.1). Với máy khác, đặt requirepass cho Redis và dùng "
                     "REDIS_URL=redis://:MẬT_KHẨU@máy:6379/0 (nên dùng rediss:// qua mạng).")


def check_kb_for_queue(kb: str, redis: str) -> None:
    """A SQLite knowledge base is a file on this machine: workers elsewhere would write to files
    of their own.  So with SQLite the queue is for workers on this machine only, which a Redis
    server on loopback guarantees; otherwise the KB must be a server (PostgreSQL)."""
    from sqlalchemy.engine import make_url

    url = make_url(kb)
    if url.get_backend_name() != "sqlite":
        return
    if not url.database or url.database == ":memory:":
        raise QueueError("cơ sở tri thức SQLite trong bộ nhớ không dùng chung được với công nhân: "
                         "dùng một tệp SQLite hoặc PostgreSQL.")
    parts = urlsplit(redis)
    if parts.scheme != "unix" and not _is_loopback(parts.hostname):
        raise QueueError("cơ sở tri thức SQLite là một tệp trên máy này, công nhân ở máy khác không ghi vào được. "
                         f"Dùng PostgreSQL ({KB_ENV_VAR}=postgresql+psycopg2://…) cho công nhân nhiều máy, "
                         "hoặc Redis ở 127.0.0.1 để chỉ chạy công nhân trên máy này.")


def connect(url: str):
    """A Redis client for ``url``, checked with a PING so a wrong address fails here, clearly."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        client.ping()
    except redis.exceptions.AuthenticationError as exc:
        raise QueueError(f"Redis từ chối mật khẩu ({public_url(url)}): {exc}") from None
    except (redis.exceptions.RedisError, OSError, ValueError) as exc:
        raise QueueError(f"không kết nối được Redis tại {public_url(url)}: {exc}. "
                         "Hãy kiểm tra redis-server đang chạy và địa chỉ đúng.") from None
    return client


def _queue(connection):
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)


# ------------------------------------------------------------------------------ the job itself


@lru_cache(maxsize=None)
def _session_factory():
    """The worker's engine, kept from job to job; the worker upgraded the schema when it started."""
    from .db import make_session_factory

    return make_session_factory(resolve_kb_url(), upgrade=False)


def ingest_job(name: str, file_key: str) -> dict:
    """Run by a worker: ingest the file stored under ``file_key`` as ``name``; the result is
    :class:`IngestResult` as a dict (plus the worker's name), also for a bad file."""
    from rq import get_current_job

    from .ingest import ingest_file

    job = get_current_job()
    worker = job.worker_name or socket.gethostname()
    safe_name = Path(name).name
    if not safe_name or safe_name != name or not file_key.startswith(FILE_KEY_PREFIX):
        return {"error": "tên tệp hoặc khoá nội dung không hợp lệ", "worker": worker}
    data = job.connection.get(file_key)
    if data is None:
        return {"error": "nội dung tệp không còn trong hàng đợi (quá hạn hoặc đã bị xoá); hãy nhập lại tệp này",
                "worker": worker}
    last_saved = [0.0]

    def on_page(done: int, total: int) -> None:  # the waiting command shows the OCR of a scan
        now = time.monotonic()
        if now - last_saved[0] >= 0.5 or done == total:
            last_saved[0] = now
            job.meta["pages"] = [done, total]
            job.save_meta()

    with tempfile.TemporaryDirectory(prefix="kb-ingest-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        result = ingest_file(_session_factory(), path, on_page)
    payload = asdict(result)
    payload.pop("path")
    payload["worker"] = worker
    return payload


def _worker_class():
    from rq import SimpleWorker

    class IngestWorker(SimpleWorker):
        """RQ's worker running each job in the worker process itself, not in a forked child: the
        database connection, the compiled statements and the loaded vocabularies stay warm from
        one file to the next (a fork per job measured 2.5 times slower).  A thread beats while a
        job runs, at a short configurable interval; no job but :func:`ingest_job` is run."""

        def __init__(self, *args, timing: QueueTiming, **kwargs):
            super().__init__(*args, job_monitoring_interval=timing.heartbeat, maintenance_interval=timing.maintenance,
                             default_worker_ttl=timing.maintenance + 15, **kwargs)
            self.timing = timing

        def get_heartbeat_ttl(self, job) -> int:
            # RQ adds a fixed 60 s to a beat (a SimpleWorker even waits for the job's timeout);
            # ours is ``grace``, so an abandoned job is noticed within seconds
            return int(self.job_monitoring_interval + self.timing.grace)

        def execute_job(self, job, queue):
            if job.func_name != INGEST_FUNC:  # whoever wrote it to Redis, run nothing else
                self.log.error("Từ chối công việc %s: hàm %s không phải %s", job.id, job.func_name, INGEST_FUNC)
                self.handle_job_failure(job, queue, exc_string=f"công việc không được phép: {job.func_name}")
                return
            stop = threading.Event()

            def beat() -> None:  # what RQ's forking worker does while it waits for its child
                while not stop.wait(self.job_monitoring_interval):
                    try:
                        self.maintain_heartbeats(job)
                    except Exception as exc:  # noqa: BLE001 - Redis away for a moment: try next beat
                        self.log.warning("Không gửi được tín hiệu sống: %s", exc)

            thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
            thread.start()
            try:
                super().execute_job(job, queue)
            finally:
                stop.set()
                thread.join()

    return IngestWorker


WARM_UP_PLAN = """ỦY BAN NHÂN DÂN TỈNH AN BÌNH
Số: 1/KH-UBND
KẾ HOẠCH
Thực hiện nhiệm vụ giáo dục năm 2025
I. MỤC TIÊU
1. Đến năm 2025, 100% trường tiểu học đạt chuẩn quốc gia; tỷ lệ huy động trẻ đạt 98%.
II. NHIỆM VỤ
1. Sở Giáo dục và Đào tạo chủ trì, phối hợp với Sở Tài chính thực hiện; báo cáo trước ngày 15/12 hằng năm.
"""


def warm_up() -> None:
    """Load, once in the worker, what every job needs: the readers, and the vocabularies and
    patterns the extraction loads on first use (a plan read and extracted here, not stored).
    The first file then costs what the others do (the loading measured ~2 s), and a worker
    with a broken install fails at start, not on its first job."""
    import importlib
    import pkgutil

    from sqlalchemy.orm import configure_mappers

    import document_parsing
    import document_parsing.readers
    from document_parsing.extraction import extract

    for module in pkgutil.iter_modules(document_parsing.readers.__path__):
        importlib.import_module(f"document_parsing.readers.{module.name}")
    with tempfile.TemporaryDirectory(prefix="kb-warm-") as folder:
        path = Path(folder) / "khoi-dong.txt"
        path.write_text(WARM_UP_PLAN, encoding="utf-8")
        extract(document_parsing.parse(path), "khoi-dong")
    configure_mappers()
    # what is loaded now lives as long as the worker: out of the garbage collector's sight
    gc.collect()
    gc.freeze()


def run_worker(redis: str, kb: str, *, burst: bool = False, name: Optional[str] = None,
               timing: Optional[QueueTiming] = None) -> int:
    """``python -m knowledge worker``: take ingest jobs until stopped (SIGTERM finishes the
    current file first), or, with ``burst``, until the queue is empty."""
    from rq.serializers import JSONSerializer
    from sqlalchemy.exc import SQLAlchemyError

    from .db import make_engine, upgrade_schema

    timing = timing or QueueTiming.from_env()
    check_kb_for_queue(kb, redis)
    connection = connect(redis)
    engine = make_engine(kb)
    try:
        # once here, not per job; workers started together take turns
        # (two Alembic upgrades of a fresh database at once would both create the tables)
        with connection.lock(f"{QUEUE_NAME}:schema-upgrade", timeout=600, blocking_timeout=600):
            upgrade_schema(engine)
    except SQLAlchemyError as exc:
        raise QueueError(f"không mở được cơ sở tri thức ({engine.url.render_as_string(hide_password=True)}): "
                         f"{str(getattr(exc, 'orig', None) or exc).strip()}") from None
    finally:
        engine.dispose()
    os.environ[KB_ENV_VAR] = kb  # what ingest_job's session factory opens
    warm_up()
    worker = _worker_class()([QUEUE_NAME], connection=connection, serializer=JSONSerializer, timing=timing,
                             name=name or f"{socket.gethostname()}.{os.getpid()}")
    from sqlalchemy.engine import make_url

    print(f"Công nhân {worker.name} nhận việc nhập kế hoạch từ {public_url(redis)} (hàng đợi {QUEUE_NAME}), "
          f"ghi vào {make_url(kb).render_as_string(hide_password=True)}; tín hiệu mỗi {timing.heartbeat} giây.",
          file=sys.stderr, flush=True)
    worker.work(burst=burst, logging_level="INFO", with_scheduler=False)
    return 0


# --------------------------------------------------------------------------- the enqueuing side


@dataclass
class QueuedFile:
    """One file of a batch: where the user's file is and the job that ingests it."""

    path: Path
    job_id: str
    file_key: str


@dataclass
class Batch:
    """The jobs of one ``ingest --queue`` run, and the files refused before queueing."""

    connection: object
    files: list[QueuedFile] = field(default_factory=list)
    refused: list[IngestResult] = field(default_factory=list)


def _read(path: Path) -> bytes | IngestResult:
    """The file's bytes, or the reason it cannot be queued (same words as a direct ingest)."""
    if not path.exists():
        return IngestResult(path, error="không tìm thấy tệp")
    if path.is_dir():
        return IngestResult(path, error="là một thư mục, không phải tệp kế hoạch")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return IngestResult(path, error=f"tệp quá lớn ({size / 2**20:.0f} MB, tối đa {MAX_FILE_BYTES // 2**20} MB)")
        return path.read_bytes()
    except OSError as exc:
        return IngestResult(path, error=f"không đọc được tệp: {exc.strerror or exc}")


def enqueue_files(connection, files: Iterable[Path], *, job_timeout: int = JOB_TIMEOUT) -> Batch:
    """One job per file, biggest first (a scan takes longest: started first, it does not hold up
    the end of the batch)."""
    from rq import Retry

    queue = _queue(connection)
    batch = Batch(connection)
    batch_id = uuid.uuid4().hex[:12]
    readable: list[tuple[Path, bytes]] = []
    for path in files:
        data = _read(path)
        if isinstance(data, IngestResult):
            batch.refused.append(data)
        else:
            readable.append((path, data))
    readable.sort(key=lambda item: -len(item[1]))
    for index, (path, data) in enumerate(readable):
        job_id = f"{batch_id}-{index:05d}"
        file_key = f"{FILE_KEY_PREFIX}{job_id}"
        connection.set(file_key, data, ex=KEEP_SECONDS)
        queue.enqueue_call(INGEST_FUNC, args=(path.name, file_key), job_id=job_id, timeout=job_timeout,
                           result_ttl=KEEP_SECONDS, failure_ttl=KEEP_SECONDS, retry=Retry(max=RETRIES),
                           description=path.name)
        batch.files.append(QueuedFile(path, job_id, file_key))
    return batch


def _failure(job) -> str:
    """Why a job failed, in Vietnamese, from what RQ recorded."""
    result = job.latest_result()
    detail = (result.exc_string or "") if result is not None and result.type == result.Type.FAILED else ""
    if not detail:  # never finished: its worker died (or lost Redis) each time
        return (f"tiến trình công nhân nhập tệp này bị dừng đột ngột {RETRIES + 1} lần (bị tắt, hết bộ nhớ "
                "hoặc mất liên lạc); không có gì được ghi. Hãy xem nhật ký công nhân rồi nhập lại tệp này")
    if "JobTimeoutException" in detail:
        return f"quá thời gian cho phép ({job.timeout} giây cho một tệp); không có gì được ghi"
    if "công việc không được phép" in detail:
        return detail.strip().splitlines()[-1]
    return "lỗi không mong đợi trong công nhân: " + detail.strip().splitlines()[-1]


@dataclass
class Outcome:
    """A finished file: the ingest result and the worker that produced it (None if none did)."""

    result: IngestResult
    worker: Optional[str] = None


@dataclass
class Snapshot:
    """What the waiting command shows between results."""

    workers: int
    running: list[str]  # "tệp.pdf (OCR 3/11)" of the files being ingested now


def reclaim_abandoned(connection) -> list[str]:
    """Re-enqueue the jobs whose worker stopped beating (RQ's ``StartedJobRegistry.cleanup``),
    under RQ's maintenance lock so a worker's own maintenance never does it at the same time."""
    from rq.registry import StartedJobRegistry

    queue = _queue(connection)
    if not queue.acquire_maintenance_lock():
        return []
    try:
        return StartedJobRegistry(queue=queue).cleanup()
    finally:
        queue.release_maintenance_lock()


def follow(batch: Batch, on_outcome: Callable[[QueuedFile, Outcome], None], *,
           on_tick: Optional[Callable[[Snapshot], None]] = None, timing: Optional[QueueTiming] = None,
           poll: float = 0.5) -> dict[str, Outcome]:
    """Wait for every job of ``batch``; ``on_outcome`` is called as each one ends (then its job
    and file leave Redis), ``on_tick`` with the workers' state in between."""
    from rq import Worker
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    timing = timing or QueueTiming.from_env()
    connection = batch.connection
    queue = _queue(connection)
    pending = {f.job_id: f for f in batch.files}
    outcomes: dict[str, Outcome] = {}
    last_reclaim = 0.0
    while pending:
        ids = list(pending)
        running: list[str] = []
        for job_id, job in zip(ids, Job.fetch_many(ids, connection, serializer=JSONSerializer)):
            queued = pending[job_id]
            status = job.get_status(refresh=False) if job is not None else None
            if job is None:
                outcome = Outcome(IngestResult(queued.path, error="công việc không còn trong hàng đợi (Redis bị xoá "
                                                                  "hoặc khởi động lại?); hãy nhập lại tệp này"))
            elif status == JobStatus.FINISHED:
                payload = dict(job.return_value() or {})
                worker = payload.pop("worker", None)
                outcome = Outcome(IngestResult(queued.path, **payload), worker)
            elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                outcome = Outcome(IngestResult(queued.path, error=_failure(job)))
            else:
                if status == JobStatus.STARTED:
                    pages = job.meta.get("pages")
                    running.append(queued.path.name + (f" (OCR {pages[0]}/{pages[1]})" if pages else ""))
                continue
            del pending[job_id]
            outcomes[job_id] = outcome
            on_outcome(queued, outcome)
            if job is not None:
                job.delete()
            connection.delete(queued.file_key)
        if not pending:
            break
        if time.monotonic() - last_reclaim >= timing.heartbeat:
            last_reclaim = time.monotonic()
            reclaim_abandoned(connection)
        if on_tick:
            on_tick(Snapshot(Worker.count(queue=queue), running))
        time.sleep(poll)
    return outcomes


def cancel_pending(batch: Batch, done: Iterable[str]) -> tuple[int, int]:
    """After Ctrl-C: cancel the jobs not started yet (their files leave Redis); those being
    ingested finish.  Returns (cancelled, still running)."""
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    finished = set(done)
    cancelled = running = 0
    for queued in batch.files:
        if queued.job_id in finished:
            continue
        job = Job.fetch_many([queued.job_id], batch.connection, serializer=JSONSerializer)[0]
        if job is not None and job.get_status(refresh=False) == JobStatus.QUEUED:
            job.cancel()
            job.delete()
            batch.connection.delete(queued.file_key)
            cancelled += 1
        elif job is not None:
            running += 1
    return cancelled, running


def ingest_via_queue(paths: Iterable[str | Path], redis: str, *, show_progress: bool = True,
                     timing: Optional[QueueTiming] = None) -> list[Outcome]:
    """``ingest --queue``: enqueue every plan file under ``paths`` and wait for all of them, with
    one progress bar over the batch and one line per file as it ends (errors in red).  Results
    come back in the order of the files."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    timing = timing or QueueTiming.from_env()
    files = expand_paths(paths)
    connection = connect(redis)
    batch = enqueue_files(connection, files)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    by_path: dict[Path, Outcome] = {r.path: Outcome(r) for r in batch.refused}
    for result in batch.refused:
        console.print(f"[red]{escape(result.summary())}[/red]")
    failed = [len(batch.refused)]
    columns = (TextColumn("{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("lỗi: {task.fields[failed]}"), TimeElapsedColumn(), TextColumn("{task.description}"))
    warned_idle = [time.monotonic()]

    with Progress(*columns, console=console, transient=True, disable=not show_progress) as progress:
        task = progress.add_task("", total=len(files), completed=len(batch.refused), failed=failed[0],
                                 stage="Nhập kế hoạch qua hàng đợi")

        def on_outcome(queued: QueuedFile, outcome: Outcome) -> None:
            by_path[queued.path] = outcome
            line = escape(outcome.result.summary()) + (f" [dim](công nhân {escape(outcome.worker)})[/dim]"
                                                         if outcome.worker else "")
            if not outcome.result.ok:
                failed[0] += 1
                line = f"[red]{line}[/red]"
            progress.console.print(line)
            progress.update(task, advance=1, failed=failed[0])

        def on_tick(snapshot: Snapshot) -> None:
            if snapshot.workers:
                warned_idle[0] = time.monotonic()
            elif time.monotonic() - warned_idle[0] > 10:  # say it once every minute while nobody works
                warned_idle[0] = time.monotonic() + 50
                progress.console.print("[yellow]Chưa có công nhân nào nhận việc: chạy `python -m knowledge worker` "
                                       "(cùng REDIS_URL và KB_URL) trên máy này hoặc máy khác.[/yellow]")
            doing = ", ".join(snapshot.running[:3]) + (" …" if len(snapshot.running) > 3 else "")
            progress.update(task, description=f"{snapshot.workers} công nhân" + (f" · {doing}" if doing else ""))

        try:
            follow(batch, on_outcome, on_tick=on_tick, timing=timing)
        except KeyboardInterrupt:
            cancelled, running = cancel_pending(batch, (f.job_id for f in batch.files if f.path in by_path))
            raise QueueError(f"đã dừng theo dõi: {cancelled} tệp chưa bắt đầu đã được huỷ khỏi hàng đợi; "
                             f"{running} tệp đang được công nhân nhập sẽ vẫn được ghi xong.") from None
    return [by_path[path] for path in files]


def check_written(outcomes: list[Outcome], session_factory) -> None:
    """The workers' ``KB_URL`` must be the command's: every version a worker says it wrote (or
    kept) must be in this knowledge base, else the file is reported as an error."""
    from sqlalchemy import select

    from . import models

    claimed = {o.result.document_id: o for o in outcomes if o.result.ok and o.result.document_id is not None}
    if not claimed:
        return
    with session_factory() as session:
        found = {(row.id, row.plan, row.version) for row in session.execute(
            select(models.Document.id, models.Document.plan, models.Document.version)
            .where(models.Document.id.in_(claimed)))}
    for document_id, outcome in claimed.items():
        r = outcome.result
        if (document_id, r.plan, r.version) not in found:
            r.error = (f"công nhân {outcome.worker or ''} đã ghi vào một cơ sở tri thức khác (mã {document_id} không có "
                       f"ở đây): đặt {KB_ENV_VAR} của công nhân giống lệnh này rồi nhập lại").replace("  ", " ")


__all__ = ["QueueError", "QueueTiming", "ingest_job", "run_worker", "enqueue_files", "follow", "ingest_via_queue",
           "check_written", "check_redis_url", "check_kb_for_queue", "redis_url", "connect", "reclaim_abandoned",
           "public_url", "Outcome", "Batch", "QueuedFile", "REDIS_ENV_VAR", "HEARTBEAT_ENV_VAR", "QUEUE_NAME"]
