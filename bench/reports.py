"""50 simulated reporters report at once over REST against the real servers.

A fresh SQLite knowledge base (sample plans and procedures, bot/testing.py) gets the sample
units and 50 approved reporters (one school each, created through reporting); the
action server and Rasa start on free loopback ports; then every reporter runs a whole report
conversation (start → target button → period → value → comment → confirm) in its own thread,
at most ``--concurrency`` at a time.  Prints reports/s, the p50/p95 latency of one turn, and
checks that exactly one report per reporter was stored.

    .venv/bin/python bench/reports.py [--reporters 50] [--concurrency 50]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.servers import BotServers, ask  # noqa: E402
from bot.testing import build_kb  # noqa: E402
from bot.train import ensure_model  # noqa: E402

AREA = "thành phố Cần Thơ"


def setup(kb_url: str, count: int) -> list[str]:
    """``count`` approved reporters (chat user ids), each of its own school."""
    os.environ["KB_URL"] = kb_url
    import reporting

    reporting.import_units(ROOT / "samples" / "units.csv")
    senders = []
    for i in range(count):
        sender = f"bench-{i:03d}-{uuid.uuid4().hex[:6]}"
        unit = reporting.add_unit(f"Trường Tiểu học Bench {i:03d}", "trường", AREA)
        info = reporting.register_reporter("rest", sender, f"Giáo Viên {i:03d}", f"{unit.name} {unit.area}",
                                           "0912345678")
        reporting.approve_reporter(info.id)
        senders.append(sender)
    return senders


def conversation(url: str, sender: str, value: int) -> list[float]:
    """One whole report; the seconds of each turn.  Raises if the bot strays."""
    times: list[float] = []

    def say(text: str) -> list[dict]:
        started = time.perf_counter()
        replies = ask(url, text, sender, timeout=120)
        times.append(time.perf_counter() - started)
        return replies

    replies = say("báo cáo kết quả chỉ tiêu họp trực tuyến")
    buttons = [b for r in replies for b in r.get("buttons") or [] if "cuộc họp" in b["title"]]
    if not buttons:
        raise RuntimeError(f"{sender}: no target buttons: {replies}")
    say(buttons[0]["payload"])
    say("năm 2024")
    say(str(value))
    summary = " ".join(r.get("text", "") for r in say("không"))
    if "Kiểm tra lại báo cáo" not in summary:
        raise RuntimeError(f"{sender}: no summary: {summary}")
    saved = " ".join(r.get("text", "") for r in say("/confirm"))
    if "Đã lưu báo cáo" not in saved:
        raise RuntimeError(f"{sender}: not saved: {saved}")
    return times


def stored_reports(kb_url: str, senders: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from knowledge.db import open_session
    from reporting.models import Report, Reporter, ReportRevision

    with open_session(kb_url) as s:
        units = select(Reporter.unit_id).where(Reporter.channel_user.in_(senders))
        return {"reports": s.execute(select(func.count(Report.id)).where(Report.unit_id.in_(units))).scalar_one(),
                "revisions": s.execute(select(func.count(ReportRevision.id))
                                       .join(Report, Report.id == ReportRevision.report_id)
                                       .where(Report.unit_id.in_(units))).scalar_one()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    model, _ = ensure_model(quiet=True)
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    kb_url = build_kb(work)
    senders = setup(kb_url, args.reporters)
    with BotServers(model, log_dir=work / "logs", env={"KB_URL": kb_url}) as servers:
        print(f"Máy chủ: Rasa {servers.rasa_url}, hành động {servers.action_url}; "
              f"{args.reporters} người báo cáo, tối đa {args.concurrency} đồng thời", flush=True)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            futures = [pool.submit(conversation, servers.rasa_url, s, 50 + i % 50) for i, s in enumerate(senders)]
            results, errors = [], []
            for f in futures:
                try:
                    results.append(f.result())
                except Exception as exc:  # noqa: BLE001 - counted and shown
                    errors.append(str(exc)[:300])
        elapsed = time.perf_counter() - started
    turns = sorted(t for r in results for t in r)
    counts = stored_reports(kb_url, senders)
    p95 = turns[int(0.95 * (len(turns) - 1))] if turns else float("nan")
    summary = {
        "reporters": args.reporters, "completed": len(results), "errors": len(errors),
        "seconds": round(elapsed, 2), "reports_per_s": round(len(results) / elapsed, 2),
        "turns": len(turns), "turn_p50_ms": round(statistics.median(turns) * 1000) if turns else None,
        "turn_p95_ms": round(p95 * 1000) if turns else None, **counts,
    }
    for err in errors[:5]:
        print("LỖI:", err, file=sys.stderr)
    print(f"{len(results)} báo cáo trong {elapsed:.1f} s: {summary['reports_per_s']} báo cáo/s; "
          f"mỗi lượt p50 {summary['turn_p50_ms']} ms, p95 {summary['turn_p95_ms']} ms")
    print(f"Trong CSDL: {counts['reports']} báo cáo, {counts['revisions']} lần lưu (cần đúng {args.reporters})")
    print("RESULT " + json.dumps(summary, ensure_ascii=False))
    ok = not errors and counts["reports"] == args.reporters and counts["revisions"] == args.reporters
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
