"""The production set-up under load and faults: reporters over REST and Telegram through nginx.

Starts ``make prod``'s set-up (bot/prod.py: PostgreSQL, Redis, two Rasa replicas, the action
server, nginx) in a temporary folder on free loopback ports, with the Telegram channel pointed at
a fake Bot API (tests/fakes/telegram_api.py, the only fake) and a REST token.  N approved reporters
(half REST, half Telegram; one school each, registered and approved through the data layer as an
administrator would) each file one progress report at the same time, all through nginx's port;
a few "greeters" say "xin chào" from fresh chats meanwhile, to time the cheapest turn under the
same load.  Mid-run:

1. ``kill -9`` of the replica ``rasa-1`` (nginx passes its messages to ``rasa-2``, which reads
   each conversation from the tracker store);
2. later ``kill -9`` of the action server (all its workers), restarted at once.

A client acts like a person: it answers what the bot asks (period, value, comment, the
"Xác nhận" button) and, when a reply is an error or does not come, sends the same message again.
Afterwards it checks PostgreSQL: each reporter's unit has exactly the one report it confirmed,
with its value and period (none lost, none doubled), and every conversation is in the tracker
store.  Prints throughput, p50/p95 per turn, the greeting p95 and the ratio (goal ≤ 1.5), counts.

    .venv/bin/python bench/prod.py [--reporters 100] [--greeters 10] [--turns turns.json]

``--turns`` writes every turn (seconds, attempts, replica, step, the unusable reply that made the
client send again) and the kill times, to see where the slow turns fall.
"""
from __future__ import annotations

import argparse
import itertools
import json
import secrets
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):  # also loaded by file from tests/test_prod.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bot.prod import ProdStack, Ports  # noqa: E402
from timing import percentile  # noqa: E402  (bench/timing.py)

AREA = "thành phố Cần Thơ"
OPENING = "báo cáo kết quả chỉ tiêu họp trực tuyến"
TARGET_WORDS = "cuộc họp"  # Cần Thơ's "70% các cuộc họp … trực tuyến" (mục III.2.a)
PERIOD = "năm 2024"
TURNS_PER_REPORT = 6  # opening, target, period, value, comment, confirm
TEST_PLANS = tuple(sorted((ROOT / "tests" / "data" / "plans").glob("*.txt")))


@dataclass
class Reply:
    texts: list[str]
    buttons: list[tuple[str, str]]  # (title, what pressing it sends)
    served_by: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


class Unavailable(Exception):
    """No answer this time (5xx, refused, timed out): the client sends the same thing again."""


# ---------------------------------------------------------------------------- the two channels


class RestChat:
    def __init__(self, url: str, token: str, sender: str):
        self.url, self.token, self.sender = f"{url}/webhooks/rest/webhook", token, sender

    def send(self, message: str) -> Reply:
        body = json.dumps({"sender": self.sender, "message": message}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=180) as resp:
                replies, served = json.loads(resp.read().decode()), resp.headers.get("X-Served-By", "")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Unavailable(str(exc)) from exc
        return Reply([r["text"] for r in replies if r.get("text")],
                     [(b["title"], b["payload"]) for r in replies for b in r.get("buttons") or []], served)

    def press(self, button: tuple[str, str]) -> Reply:
        return self.send(button[1])


class TelegramChat:
    """A Telegram user: updates posted to the webhook through nginx (with the secret header);
    the bot's messages read back from the fake Bot API.  A resent update keeps its update_id."""

    def __init__(self, url: str, secret: str, api, user_id: int):
        self.url, self.secret, self.api, self.user_id = f"{url}/webhooks/telegram/webhook", secret, api, user_id
        self.last_sent: list[dict] = []

    def _post(self, update: dict) -> Reply:
        before = len(self.api.sent_to(self.user_id))
        req = urllib.request.Request(self.url, json.dumps(update, ensure_ascii=False).encode(),
                                     {"Content-Type": "application/json",
                                      "X-Telegram-Bot-Api-Secret-Token": self.secret})
        try:
            with urllib.request.urlopen(req, timeout=180) as resp:
                resp.read()
                served = resp.headers.get("X-Served-By", "")
        except (urllib.error.URLError, OSError) as exc:
            raise Unavailable(str(exc)) from exc
        sent = self.api.sent_to(self.user_id)[before:]
        if sent:
            self.last_sent = sent
        return Reply([m.get("text", "") for m in sent],
                     [(b["text"], b["callback_data"]) for m in sent
                      for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row], served)

    def send(self, message: str) -> Reply:
        from tests.fakes.telegram_api import text_update

        return self._post(text_update(self.user_id, message))

    def press(self, button: tuple[str, str]) -> Reply:
        from tests.fakes.telegram_api import callback_update

        message = next((m for m in reversed(self.last_sent)
                        for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
                        if b["callback_data"] == button[1]), self.last_sent[-1] if self.last_sent else {"text": ""})
        return self._post(callback_update(self.user_id, message, button[1], self.api.bot_user))


# ---------------------------------------------------------------------------- one reporter


@dataclass
class Reporter:
    channel: str  # "rest" | "telegram"
    user: str
    value: int
    unit_id: int = 0


@dataclass
class Turn:
    seconds: float
    attempts: int
    served_by: str
    at: float  # monotonic end time
    step: str = ""  # what was sent: opening, target, period, value, comment, confirm
    unusable: str = ""  # the first reply that was not the report's next question (then sent again)


@dataclass
class Outcome:
    reporter: Reporter
    turns: list[Turn] = field(default_factory=list)
    confirmed: bool = False
    error: Optional[str] = None
    restarts: int = 0


class Progress:
    """Turns done so far, for the fault schedule."""

    def __init__(self) -> None:
        self.turns = 0
        self.lock = threading.Lock()

    def add(self) -> None:
        with self.lock:
            self.turns += 1


def next_step(reply: Reply, reporter: Reporter) -> Optional[tuple[str, object]]:
    """What a person answers to this reply: ("say", text) / ("press", button) / ("done", None);
    None when the reply is not one of the report's questions (then the same message again)."""
    text = reply.text
    if "Đã lưu báo cáo" in text or "đã được lưu trước đó" in text:
        return ("done", None)
    if "Kiểm tra lại báo cáo" in text:
        confirm = [b for b in reply.buttons if b[0] == "Xác nhận"]
        return ("press", confirm[0]) if confirm else ("say", "/confirm")
    if "ghi chú" in text.lower():
        return ("say", "không")
    if "Kết quả đạt được" in text:
        return ("say", str(reporter.value))
    if "kỳ nào" in text:
        return ("say", PERIOD)
    targets = [b for b in reply.buttons if TARGET_WORDS in b[0].lower()]
    if targets:
        return ("press", targets[0])
    return None


def step_name(step: tuple[str, object], reporter: Reporter) -> str:
    if step[0] == "press":
        return "confirm" if step[1][1] == "/confirm" else "target"  # type: ignore[index]
    return {OPENING: "opening", PERIOD: "period", str(reporter.value): "value", "không": "comment",
            "/confirm": "confirm"}.get(str(step[1]), "other")


def converse(chat, reporter: Reporter, progress: Progress, patience: float = 240) -> Outcome:
    """One whole report, answered step by step; every turn timed (retries included).

    When a reply is not one of the report's questions (an action failed while the action server
    was down, so a question was never asked), the client says the same again, twice at most;
    then, like a person, it starts the report over — or, once it has pressed "Xác nhận", presses
    it again (the same report session: saved once, whatever the number of presses)."""
    outcome = Outcome(reporter)
    step: tuple[str, object] = ("say", OPENING)
    confirming, restarts = False, 0
    deadline = time.monotonic() + patience * 3
    while time.monotonic() < deadline:
        started, attempts = time.perf_counter(), 0
        turn_deadline = time.monotonic() + patience
        reply, nxt, unusable = None, None, ""
        while time.monotonic() < turn_deadline:
            attempts += 1
            try:
                reply = chat.send(step[1]) if step[0] == "say" else chat.press(step[1])
            except Unavailable:
                time.sleep(1.0)
                continue
            nxt = next_step(reply, reporter)
            if nxt is None and not unusable:
                unusable = reply.text[:160] or "(không có tin nhắn)"
            if nxt is not None or attempts >= 3:
                break
            time.sleep(1.0)
        outcome.turns.append(Turn(time.perf_counter() - started, attempts, reply.served_by if reply else "",
                                  time.monotonic(), step_name(step, reporter), unusable))
        progress.add()
        if nxt is None:
            if reply is None or restarts >= 3:
                outcome.error = (f"{reporter.channel}:{reporter.user}: không tiếp tục được sau {step!r}: "
                                 f"{reply.text[:200] if reply else 'không có trả lời'}")
                return outcome
            restarts += 1
            outcome.restarts += 1
            nxt = ("say", "/confirm") if confirming else ("say", OPENING)
        if nxt[0] == "done":
            outcome.confirmed = True
            return outcome
        confirming = confirming or nxt == ("say", "/confirm") or (
            nxt[0] == "press" and nxt[1][1] == "/confirm")  # type: ignore[index]
        step = nxt  # type: ignore[assignment]
    outcome.error = f"{reporter.channel}:{reporter.user}: quá thời gian"
    return outcome


def greet_until(chat_factory: Callable[[], object], stop: threading.Event, out: list[float],
                pause: float = 1.0) -> None:
    """"xin chào" from fresh chats, one after another, until ``stop``."""
    while not stop.is_set():
        chat = chat_factory()
        started = time.perf_counter()
        try:
            reply = chat.send("xin chào")
        except Unavailable:
            time.sleep(1.0)
            continue
        if "Xin chào" in reply.text:
            out.append(time.perf_counter() - started)
        stop.wait(pause)  # a person, not a loop: the greeting's latency under the reporters' load


# ---------------------------------------------------------------------------- data set-up and checks


def setup_reporters(kb_url: str, count: int) -> list[Reporter]:
    """``count`` approved reporters, alternately REST and Telegram, each of a school of its own."""
    import reporting
    from knowledge.db import open_session

    run = uuid.uuid4().hex[:6]
    out = []
    with open_session(kb_url) as s:
        for i in range(count):
            channel = "rest" if i % 2 == 0 else "telegram"
            user = f"prod-{run}-{i:03d}" if channel == "rest" else str(10**9 + secrets.randbelow(9 * 10**9))
            unit = reporting.add_unit(f"Trường Tiểu học Tải {run} {i:03d}", "trường", AREA, session=s)
            info = reporting.register_reporter(channel, user, f"Giáo Viên {i:03d}", f"{unit.name} {unit.area}",
                                               "0912345678", session=s)
            reporting.approve_reporter(info.id, session=s)
            out.append(Reporter(channel, user, 40 + i % 60, unit.id))
    return out


def stored_reports(kb_url: str, reporters: list[Reporter]) -> dict[int, list[tuple[float, str]]]:
    """unit id → (value, period) of every saved revision of its reports."""
    from sqlalchemy import select

    from knowledge.db import open_session
    from reporting.models import Report, ReportRevision

    ids = [r.unit_id for r in reporters]
    with open_session(kb_url) as s:
        rows = s.execute(select(Report.unit_id, ReportRevision.value, Report.period_label)
                         .join(ReportRevision, ReportRevision.report_id == Report.id)
                         .where(Report.unit_id.in_(ids))).all()
    out: dict[int, list[tuple[float, str]]] = {i: [] for i in ids}
    for unit_id, value, period in rows:
        out[unit_id].append((value, period))
    return out


def tracked_conversations(stack: ProdStack, reporters: list[Reporter]) -> int:
    """How many of the reporters' conversations Rasa's SQL tracker store holds."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=stack.ports.postgres, user="postgres",
                            password=stack.secrets["POSTGRES_PASSWORD"], dbname="rasa")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(DISTINCT sender_id) FROM events WHERE sender_id = ANY(%s)",
                        ([r.user for r in reporters],))
            return cur.fetchone()[0]
    finally:
        conn.close()


def pct(values: list[float], q: float) -> Optional[float]:
    """:func:`timing.percentile`, None when there is nothing to measure (the JSON result says null)."""
    return percentile(values, q) if values else None


# ---------------------------------------------------------------------------- the run


@dataclass
class Result:
    reporters: int
    confirmed: int
    errors: list[str]
    seconds: float
    reports_per_s: float
    turns: int
    turns_per_s: float
    turn_p50_ms: Optional[int]
    turn_p95_ms: Optional[int]
    greeting_p95_ms: Optional[int]
    greetings: int
    ratio: Optional[float]
    stored_reports: int
    exact: int  # units with exactly one revision, of the value and period confirmed
    lost: int
    doubled: int
    tracked: int
    turns_by_replica: dict[str, int]
    resumed_after_replica_kill: int
    resumed_after_action_kill: int
    retried_turns: int
    restarted_reports: int
    faults: list[str]
    turn_p95_undisturbed_ms: Optional[int] = None  # turns that overlapped no fault (kill + 25 s)
    step_p50_ms: dict[str, int] = field(default_factory=dict)
    rss_mb: dict[str, int] = field(default_factory=dict)  # resident memory after the run, per process
    ratio_undisturbed: Optional[float] = None


def run_load(stack: ProdStack, api, telegram_secret: str, reporters: list[Reporter], greeters: int = 10,
             kill_replica_at: float = 0.3, kill_actions_at: float = 0.6, log: Callable[[str], None] = print,
             dump: Optional[Path] = None) -> Result:
    rest_token = stack.secrets["REST_TOKEN"]

    def chat_of(r: Reporter):
        if r.channel == "rest":
            return RestChat(stack.url, rest_token, r.user)
        return TelegramChat(stack.url, telegram_secret, api, int(r.user))

    fresh_ids = itertools.count()

    def fresh_greeter():
        return RestChat(stack.url, rest_token, f"greet-{next(fresh_ids)}-{uuid.uuid4().hex[:6]}")

    expected_turns = len(reporters) * TURNS_PER_REPORT
    progress = Progress()
    faults: list[str] = []
    kill_times: dict[str, float] = {}
    stop = threading.Event()

    def fault_schedule() -> None:
        for name, share in (("rasa-1", kill_replica_at), ("actions", kill_actions_at)):
            while not stop.is_set() and progress.turns < share * expected_turns:
                time.sleep(0.05)
            if stop.is_set():
                return
            kill_times[name] = time.monotonic()
            stack.kill(name)
            faults.append(f"kill -9 {name} sau {progress.turns}/{expected_turns} lượt")
            log(faults[-1])
            if name == "actions":
                started = time.monotonic()
                stack.restart("actions")
                faults.append(f"máy chủ hành động chạy lại sau {time.monotonic() - started:.1f} s")
                log(faults[-1])

    greetings: list[float] = []
    started, started_mono = time.perf_counter(), time.monotonic()
    with ThreadPoolExecutor(max_workers=len(reporters) + greeters + 1) as pool:
        schedule = pool.submit(fault_schedule)
        greeting_jobs = [pool.submit(greet_until, fresh_greeter, stop, greetings) for _ in range(greeters)]
        jobs = [pool.submit(converse, chat_of(r), r, progress) for r in reporters]
        outcomes = [j.result() for j in jobs]
        elapsed = time.perf_counter() - started
        stop.set()
        schedule.result()
        for j in greeting_jobs:
            j.result()

    if dump:
        dump.write_text(json.dumps([{"channel": o.reporter.channel, "user": o.reporter.user, "restarts": o.restarts,
                                     "turns": [asdict(t) for t in o.turns]} for o in outcomes], ensure_ascii=False)
                        + "\n" + json.dumps({k: v - started_mono for k, v in kill_times.items()}))
    from bot.servers import rss_bytes

    rss = {name: round(rss_bytes(pid) / 2**20) for name, pid in stack.status().items()}
    turns = [t for o in outcomes for t in o.turns]
    seconds = [t.seconds for t in turns]
    stored = stored_reports(stack.kb_url, reporters)
    exact = sum(1 for r in reporters if stored[r.unit_id] == [(float(r.value), PERIOD)])
    lost = sum(1 for r in reporters if not stored[r.unit_id])
    doubled = sum(1 for r in reporters if len(stored[r.unit_id]) > 1)
    by_replica: dict[str, int] = {}
    for t in turns:
        by_replica[t.served_by or "?"] = by_replica.get(t.served_by or "?", 0) + 1

    def resumed(name: str) -> int:
        at = kill_times.get(name)
        if at is None:
            return 0
        return sum(1 for o in outcomes if o.confirmed and any(t.at < at for t in o.turns)
                   and any(t.at > at for t in o.turns))

    p50, p95, g95 = pct(seconds, 0.5), pct(seconds, 0.95), pct(greetings, 0.95)
    windows = [(at, at + 25.0) for at in kill_times.values()]
    calm = [t.seconds for t in turns if t.attempts == 1
            and not any(t.at - t.seconds < end and t.at > start for start, end in windows)]
    c95 = pct(calm, 0.95)
    confirmed = sum(o.confirmed for o in outcomes)
    return Result(
        reporters=len(reporters), confirmed=confirmed, errors=[o.error for o in outcomes if o.error],
        seconds=round(elapsed, 1), reports_per_s=round(confirmed / elapsed, 2), turns=len(turns),
        turns_per_s=round(len(turns) / elapsed, 2),
        turn_p50_ms=round(p50 * 1000) if p50 is not None else None,
        turn_p95_ms=round(p95 * 1000) if p95 is not None else None,
        greeting_p95_ms=round(g95 * 1000) if g95 is not None else None, greetings=len(greetings),
        ratio=round(p95 / g95, 2) if p95 and g95 else None,
        stored_reports=sum(len(v) for v in stored.values()), exact=exact, lost=lost, doubled=doubled,
        tracked=tracked_conversations(stack, reporters), turns_by_replica=by_replica,
        resumed_after_replica_kill=resumed("rasa-1"), resumed_after_action_kill=resumed("actions"),
        retried_turns=sum(1 for t in turns if t.attempts > 1),
        restarted_reports=sum(1 for o in outcomes if o.restarts), faults=faults,
        turn_p95_undisturbed_ms=round(c95 * 1000) if c95 is not None else None,
        ratio_undisturbed=round(c95 / g95, 2) if c95 and g95 else None,
        step_p50_ms={name: round(pct([t.seconds for t in turns if t.step == name], 0.5) * 1000)
                     for name in dict.fromkeys(t.step for t in turns)},
        rss_mb=rss)


def start_stack(run_dir: Path, api, telegram_secret: str, telegram_token: str) -> ProdStack:
    env = {"REST_TOKEN": secrets.token_urlsafe(32), "TELEGRAM_TOKEN": telegram_token,
           "TELEGRAM_WEBHOOK_SECRET": telegram_secret, "TELEGRAM_API_BASE": api.url,
           "TELEGRAM_WEBHOOK_URL": "https://bot.example.invalid/webhooks/telegram/webhook"}
    stack = ProdStack(run_dir=run_dir, ports=Ports.free(), env=env, plans=TEST_PLANS, fast_disk=True)
    return stack.start()


def fake_telegram():
    """The fake Bot API (tests/fakes/telegram_api.py) with a fresh token and webhook secret."""
    from tests.fakes.telegram_api import FakeBotApi

    token = f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(24)}"
    return FakeBotApi(token).start(), token, secrets.token_urlsafe(24)


def report(result: Result) -> str:
    lines = [
        f"{result.confirmed}/{result.reporters} báo cáo xác nhận trong {result.seconds} s: "
        f"{result.reports_per_s} báo cáo/s, {result.turns_per_s} lượt/s",
        f"Mỗi lượt: p50 {result.turn_p50_ms} ms, p95 {result.turn_p95_ms} ms; chào hỏi p95 "
        f"{result.greeting_p95_ms} ms ({result.greetings} lần); tỉ lệ {result.ratio} (mục tiêu ≤ 1.5)",
        f"Ngoài lúc sự cố: p95 {result.turn_p95_undisturbed_ms} ms, tỉ lệ {result.ratio_undisturbed}; "
        f"p50 theo bước (ms): {result.step_p50_ms}",
        f"Trong PostgreSQL: {result.stored_reports} lần lưu, {result.exact} đúng một báo cáo đúng giá trị, "
        f"{result.lost} mất, {result.doubled} trùng; {result.tracked} hội thoại trong kho hội thoại",
        f"Lượt theo bản sao: {result.turns_by_replica}; gửi lại: {result.retried_turns} lượt, "
        f"{result.restarted_reports} báo cáo bắt đầu lại; RAM (MB): {result.rss_mb}; tiếp tục sau "
        f"kill rasa-1: {result.resumed_after_replica_kill}, sau kill actions: {result.resumed_after_action_kill}",
    ]
    return "\n".join([*result.faults, *lines])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reporters", type=int, default=100)
    parser.add_argument("--greeters", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="để lại thư mục chạy (nhật ký) sau khi dừng")
    parser.add_argument("--turns", type=Path, help="ghi từng lượt (JSON) vào tệp này, để phân tích")
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="bench-prod-"))
    api, token, secret = fake_telegram()
    print(f"Khởi động bản triển khai trong {run_dir} …", flush=True)
    stack = start_stack(run_dir, api, secret, token)
    try:
        reporters = setup_reporters(stack.kb_url, args.reporters)
        print(f"{stack.url}: {args.reporters} người báo cáo (REST và Telegram), {args.greeters} người chào",
              flush=True)
        result = run_load(stack, api, secret, reporters, greeters=args.greeters, dump=args.turns)
    finally:
        stack.stop()
    for err in result.errors[:5]:
        print("LỖI:", err, file=sys.stderr)
    print(report(result))
    print("RESULT " + json.dumps(asdict(result), ensure_ascii=False))
    ok = (not result.errors and result.confirmed == result.reporters == result.exact
          and result.stored_reports == result.reporters)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
