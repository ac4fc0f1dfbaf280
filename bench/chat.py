#!/usr/bin/env python3
"""Chat latency under load: real Rasa + action servers, 20 concurrent simulated users over REST.

Each user alternates knowledge questions (answered by the action server from the knowledge base)
and greetings (answered by Rasa from the domain, no action) for a fixed number of rounds, so both
are measured in the same run under the same load. Prints p50/p95 of each, their ratio (goal:
knowledge p95 ≤ 1.5 × greeting p95), the resident memory of each server (goal: Rasa < 1.5 GB)
and the training time (goal < 5 min). Loopback only.

  .venv/bin/python bench/chat.py [--users 20] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.servers import BotServers, ask, rss_bytes  # noqa: E402
from bot.testing import build_kb  # noqa: E402
from bot.train import ensure_model  # noqa: E402
from timing import percentile  # noqa: E402  (bench/timing.py)

KNOWLEDGE = [
    "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến",
    "den nam 2020 lam dong bao nhieu phan tram cuoc hop truc tuyen",
    "Sở Tài chính Cần Thơ có nhiệm vụ gì trong kế hoạch?",
    "ke hoach cua dak lak ban hanh ngay nao",
    "Phụ lục kế hoạch của Lâm Đồng có những dự án nào?",
    "Khi nào Mường Tè phải báo cáo kết quả thực hiện kế hoạch?",
    "ho so chuyen truong can giay to gi",
    "Lệ phí cấp bản sao bằng tốt nghiệp là bao nhiêu?",
    # colloquial forms the NLU may not place: answered through retrieval first (action_answer_any)
    "ai lo kinh phí cho kế hoạch ở Mường Tè vậy",
    "Hòa Mỹ mấy phần trăm học sinh THCS học trực tuyến năm 2030?",
]
GREETINGS = ["xin chào", "Chào bạn", "xin chao"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5, help="knowledge + greeting pairs per user")
    args = ap.parse_args()

    model, seconds = ensure_model(quiet=True)
    if seconds is None:
        saved = Path(f"{model}.train-seconds")
        seconds = float(saved.read_text()) if saved.exists() else float("nan")
        how = "lần huấn luyện trước"
    else:
        how = "vừa huấn luyện"
    work = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    kb_url = build_kb(work)
    latencies: dict[str, list[float]] = {"knowledge": [], "greeting": []}
    errors: list[str] = []
    lock = threading.Lock()

    with BotServers(model, log_dir=work / "logs", env={"KB_URL": kb_url}) as servers:
        def user(i: int) -> None:
            sender = f"bench-{i}-{uuid.uuid4().hex[:8]}"
            for r in range(args.rounds):
                for kind, text in (("knowledge", KNOWLEDGE[(i + r) % len(KNOWLEDGE)]),
                                   ("greeting", GREETINGS[(i + r) % len(GREETINGS)])):
                    started = time.perf_counter()
                    try:
                        replies = ask(servers.rasa_url, text, sender)
                        ok = bool(replies)
                    except Exception as exc:  # noqa: BLE001
                        ok = False
                        with lock:
                            errors.append(f"{kind}: {exc}")
                    elapsed = time.perf_counter() - started
                    if ok:
                        with lock:
                            latencies[kind].append(elapsed)

        # one sequential round first, so caches are warm for both kinds
        for text in KNOWLEDGE[:2] + GREETINGS[:1]:
            ask(servers.rasa_url, text, "bench-warm-up")
        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
        rss = {name: rss_bytes(proc.pid) for name, proc in servers.procs.items()}

    k, g = latencies["knowledge"], latencies["greeting"]
    print(f"{args.users} người dùng đồng thời × {args.rounds} lượt (REST, loopback), {len(k) + len(g)} câu trả lời trong {wall:.1f} s, lỗi: {len(errors)}")
    for name, vals in (("knowledge", k), ("greeting", g)):
        print(f"  {name:10s} n={len(vals):4d}  p50={percentile(vals, .5) * 1000:7.0f} ms  p95={percentile(vals, .95) * 1000:7.0f} ms  mean={statistics.fmean(vals) * 1000 if vals else float('nan'):7.0f} ms")
    ratio = percentile(k, .95) / percentile(g, .95) if g and k else float("nan")
    print(f"  knowledge p95 / greeting p95 = {ratio:.2f} (mục tiêu ≤ 1.5)")
    for name, value in rss.items():
        print(f"  RSS {name:8s} {value / 2**20:7.0f} MiB" + ("  (mục tiêu Rasa < 1536 MiB)" if name == "rasa" else ""))
    print(f"  thời gian huấn luyện: {seconds:.0f} s ({how}; mục tiêu < 300 s)")
    for e in errors[:5]:
        print("  lỗi:", e)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
