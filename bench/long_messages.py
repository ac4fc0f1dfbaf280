#!/usr/bin/env python3
"""A flood of long messages must not starve a normal question (issue #10: 100 concurrent 16 kB
messages made a normal question wait 20–28 s).

Real Rasa + action servers over REST on loopback.  In one run:

* baseline — a normal question alone (median of 5);
* flood of 100 concurrent 16 kB messages (over MAX_MESSAGE_CHARS: refused by the channel
  before the NLU), with the normal question sent while they are in flight;
* flood of 100 concurrent messages just under the limit (1,900 characters: they do go through
  the NLU, one at a time, bot/channels/guard.py), with the normal question sent meanwhile;
* server memory before and after (a 200 kB message used to take Rasa to 23 GB).

Prints each latency and its ratio to the baseline.

  .venv/bin/python bench/long_messages.py [--flood 100]
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

QUESTION = "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến"


def timed(url: str, text: str) -> float:
    started = time.monotonic()
    replies = ask(url, text, f"bench-{uuid.uuid4().hex[:8]}", timeout=600)
    assert any("70%" in (r.get("text") or "") for r in replies), replies
    return time.monotonic() - started


def under_flood(url: str, message: str, count: int) -> tuple[float, float]:
    """(normal question's latency while ``count`` copies of ``message`` are in flight, time for
    the whole flood to be answered)."""
    errors: list[BaseException] = []

    def one() -> None:
        try:
            ask(url, message, f"flood-{uuid.uuid4().hex[:8]}", timeout=900)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.5)  # the flood is queued in the server
    latency = timed(url, QUESTION)
    for t in threads:
        t.join()
    if errors:
        print(f"  ({len(errors)} flood messages failed: {errors[0]!r})")
    return latency, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=100)
    args = parser.parse_args()
    model, _ = ensure_model(quiet=True)
    work = Path(tempfile.mkdtemp(prefix="bench-long-"))
    with BotServers(model, log_dir=work / "logs", env={"KB_URL": build_kb(work)}) as servers:
        url = servers.rasa_url
        rasa_pid = servers.procs["rasa"].pid
        baseline = statistics.median(timed(url, QUESTION) for _ in range(5))
        memory_before = rss_bytes(rasa_pid)
        print(f"Câu hỏi bình thường, một mình: {baseline:.2f} s (trung vị của 5)")
        big = ("chỉ tiêu họp trực tuyến " * 700)[:16_000]
        latency, total = under_flood(url, big, args.flood)
        print(f"{args.flood} tin 16 kB (bị từ chối trước NLU): câu hỏi bình thường {latency:.2f} s "
              f"= {latency / baseline:.1f}× baseline; cả đợt xong sau {total:.1f} s")
        near = ("chỉ tiêu họp trực tuyến " * 100)[:1_900]
        latency, total = under_flood(url, near, args.flood)
        print(f"{args.flood} tin 1.900 ký tự (qua NLU, lần lượt từng tin): câu hỏi bình thường {latency:.2f} s "
              f"= {latency / baseline:.1f}× baseline; cả đợt xong sau {total:.1f} s")
        memory_after = rss_bytes(rasa_pid)
        print(f"Bộ nhớ Rasa: {memory_before / 2**20:.0f} MB trước, {memory_after / 2**20:.0f} MB sau "
              f"({memory_after / memory_before:.2f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
