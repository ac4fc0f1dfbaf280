#!/usr/bin/env python3
"""The chatbot's ranked search at scale: p50/p95 of one question over every kind of fact, with
N generated plans in one SQLite knowledge base (goal: p95 < 20 ms at 1,000 plans).

  .venv/bin/python bench/search.py [--plans 1000] [--kb sqlite:///…]   # --kb: kept, reused next time

The plans are bench/generated.py's (other places, numbers and figures).  A question
is timed as the chatbot asks it: the per-question memos cleared, then the six kinds of fact
searched in turn (target, responsibility, deadline, task, project, passage) — the full-text
candidates are read once and re-scored per kind.  Printed next to it, measured in the same run:
the floor (one row fetched by primary key through the same session) and the whole answer
(``actions.answering.answer``: plan resolution, every kind, answerability, the reply's text).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from knowledge import models, queries  # noqa: E402
from knowledge import search as kb_search  # noqa: E402
from knowledge.db import make_session_factory  # noqa: E402
from knowledge.ingest import ingest_file  # noqa: E402
from actions.answering import MIN_MATCHED  # noqa: E402
from generated import variants  # noqa: E402  (bench/generated.py, shared with bench/ingest.py)
from timing import timed  # noqa: E402  (bench/timing.py)

QUESTIONS = ["tỷ lệ cuộc họp trực tuyến năm 2020", "ai chủ trì bố trí kinh phí", "sổ điểm điện tử bao nhiêu phần trăm",
             "khi nào báo cáo kết quả thực hiện", "an toàn thông tin", "hoc sinh hoc truc tuyen bao nhieu phan tram",
             "phòng tài chính kế hoạch thẩm định dự toán", "trang thông tin điện tử tập trung ngành giáo dục"]
KINDS = ("target", "responsibility", "deadline", "task", "project", "passage")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=1000)
    ap.add_argument("--kb", help="KB URL: reused when it holds plans, else the generated plans are ingested into it")
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    url = args.kb or f"sqlite:///{tmp / 'kb.sqlite3'}"
    factory = make_session_factory(url)
    with factory() as s:
        present = len(queries.find_plans(session=s))
    if present < min(args.plans, 100):  # an empty (or nearly) KB: build it; else reuse what is there
        started = time.perf_counter()
        for path in variants(args.plans, tmp):
            assert ingest_file(factory, path).ok, path
        print(f"{args.plans} generated plans ingested in {time.perf_counter() - started:.0f} s ({url})")
    session = factory()
    plans = [p.plan for p in queries.find_plans(session=session)]
    started = time.perf_counter()
    kb_search.plan_infos(session=session)  # the in-memory units of every plan, built once per process
    print(f"{len(plans)} current plans; search index built in {time.perf_counter() - started:.1f} s")

    rotation = iter(range(10**9))

    def question() -> str:
        return QUESTIONS[next(rotation) % len(QUESTIONS)]

    def ranked(named=None) -> None:
        q = question()
        kb_search.clear_memo()  # a question from scratch (the memo only serves the kinds of one question)
        for kind in KINDS:  # as the chatbot asks: facts covering too little of the question are not scored
            kb_search.search(kind, q, named, None, session=session, limit=200, min_matched=MIN_MATCHED)

    def answered() -> None:
        from actions.answering import answer

        kb_search.clear_memo()
        answer("ask_target", question(), {}, session=session)

    floor = lambda: session.execute(select(models.Document.id).where(models.Document.id == 1)).all()  # noqa: E731
    f50, f95 = timed(floor, 200)
    print(f"\n{'':36s} {'p50':>9s} {'p95':>9s}")
    print(f"{'floor: one row by primary key':36s} {f50 * 1000:7.2f}ms {f95 * 1000:7.2f}ms")
    one = plans[len(plans) // 2]
    rows = {
        f"search, {len(plans)} plans (6 kinds)": lambda: ranked(None),
        "search, one plan named (6 kinds)": lambda: ranked([one]),
        f"whole answer, {len(plans)} plans": answered,
    }
    results = {}
    for name, call in rows.items():
        p50, p95 = timed(call, args.runs)
        results[name] = p95
        print(f"{name:36s} {p50 * 1000:7.2f}ms {p95 * 1000:7.2f}ms  × floor {p95 / f95:6.1f}")
    p95 = results[f"search, {len(plans)} plans (6 kinds)"]
    print(f"\nsearch at {len(plans)} plans: p95 = {p95 * 1000:.1f} ms (goal < 20 ms) — "
          f"{'met' if p95 < 0.020 else 'NOT met'}")
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
