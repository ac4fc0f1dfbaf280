#!/usr/bin/env python3
"""The chatbot's ranked search at scale: p50/p95 of one question over every kind of fact, with
N generated plans in one SQLite knowledge base (goal: p95 < 20 ms at 1,000 plans).

  .venv/bin/python bench/search.py [--plans 1000] [--kb sqlite:///…]   # --kb: kept, reused next time

The plans are the variants of bench/ingest.py (other numbers, provinces and figures).  A question
is timed as the chatbot asks it: the per-question memos cleared, then the six kinds of fact
searched in turn (target, responsibility, deadline, task, project, passage) — the full-text
candidates are read once and re-scored per kind.  Printed next to it, measured in the same run:
the floor (one row fetched by primary key through the same session) and the whole answer
(``actions.answering.answer``: plan resolution, every kind, answerability, the reply's text).
"""
from __future__ import annotations

import argparse
import importlib.util
import re
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

QUESTIONS = ["tỷ lệ cuộc họp trực tuyến năm 2020", "ai chủ trì bố trí kinh phí", "sổ điểm điện tử bao nhiêu phần trăm",
             "khi nào báo cáo kết quả thực hiện", "an toàn thông tin", "hoc sinh hoc truc tuyen bao nhieu phan tram",
             "phòng tài chính kế hoạch thẩm định dự toán", "trang thông tin điện tử tập trung ngành giáo dục"]
KINDS = ("target", "responsibility", "deadline", "task", "project", "passage")


FIRST = ("An Bình Cát Đông Hòa Hưng Kim Long Minh Nam Ninh Phú Phước Quang Sơn Tân Thạch Thanh Thuận Vĩnh "
         "Bảo Cẩm Diên Gia Hà Hiệp Hội Khánh Lam Lương Mỹ Nghĩa Nhơn Quế Tam Thái Thiện Tịnh Trà Tuy").split()
SECOND = "Xuân Hạ Thu Đông Lâm Giang Hải Điền Khánh Lợi Mỹ Nguyên Phong Quý Thành Thịnh Trung Tường Yên Hòa".split()
SECOND += "Bắc Tây Châu Đức Hậu Lạc Lộc Mai Ngọc Tiến".split()


def variants(n: int, out: Path) -> list[Path]:
    """bench/ingest.py's generated plans (one generator for both benchmarks), each moved to a
    province of its own ("Bình Xuân", "Hòa Giang", …) so that every one is a plan of its own, not
    a new version of an earlier one (a plan printed without a number is named by its place)."""
    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = module.variants(n, out)
    names = [f"{a} {b}" for a in FIRST for b in SECOND if a != b]
    assert len(names) >= n, f"at most {len(names)} distinct generated plans"
    places = {*module_provinces(module), *SAMPLE_PLACES}
    pattern = re.compile("|".join(sorted({*places, *(p.upper() for p in places)}, key=len, reverse=True)))
    for i, (path, name) in enumerate(zip(files, names)):
        text = path.read_text(encoding="utf-8")
        text = pattern.sub(lambda m: name.upper() if m.group(0).isupper() else name, text)
        text = re.sub(r"(Số:\s*)\d+", lambda m: f"{m.group(1)}{10000 + i}", text, count=1)  # and a number of its own
        path.write_text(text, encoding="utf-8")
    return files


# The places and the school the newer sample plans are named by (bench/ingest.py's generator
# replaces only the first four plans' provinces).
SAMPLE_PLACES = ["Ngọc Sơn", "Bình Lâm", "Hòa Mỹ", "Hòa An", "Tân Phước", "Lê Quý Đôn", "Lai Châu", "Sơn Giang"]


def module_provinces(module) -> list[str]:
    """The provinces bench/ingest.py's generator writes (read from its source: one list)."""
    source = Path(module.__file__).read_text(encoding="utf-8")
    listed = re.search(r"provinces = \[(.*?)\]", source, re.S).group(1)
    return re.findall(r'"([^"]+)"', listed)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(call, n: int) -> tuple[float, float]:
    call()  # warm-up
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return percentile(times, .5), percentile(times, .95)


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
