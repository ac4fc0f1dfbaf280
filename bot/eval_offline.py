"""Offline QA evaluation: every dev question (``q`` and ``q_plain``) through
:func:`actions.answering.answer` against a knowledge base, judged by the scorer's own check
(``tests/data/score.py``: ``canon``, ``NO_INFO``), without a Rasa server.

  python -m bot.eval_offline --kb sqlite:////tmp/x.db QUESTIONS.yml... [-v]

The intent of each item is mapped to the answer kind as the NLU would; a wrong NLU guess is
covered by the answer's own fallback across kinds.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = sorted((ROOT / "tests" / "data").glob("questions-dev*.yml"))


def load_scorer():
    spec = importlib.util.spec_from_file_location("qa_score", ROOT / "tests" / "data" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judge(scorer, item: dict, reply: str) -> bool:
    """The exact test of ``score.py``'s ``score_qa`` for one reply."""
    flat = scorer.canon(reply)
    if item.get("unanswerable"):
        return bool(scorer.NO_INFO.search(flat)) and not re.search(r"\bmục [ivx0-9]", flat)
    wanted = [scorer.canon(str(e)) for e in item.get("expect") or []]
    section = (item.get("section") or "").lower()
    cited = not section or re.search(rf"(?<![\w.]){re.escape(section)}(?!\w)", flat)
    return all(w in flat for w in wanted) and bool(cited)


def evaluate(items: list[dict], verbose: bool = False, out=sys.stdout) -> dict[str, float]:
    from actions.answering import answer

    scorer = load_scorer()
    right = {"q": 0, "q_plain": 0}
    slowest = 0.0
    for item in items:
        for form in right:
            start = time.perf_counter()
            reply = answer(item.get("intent", "ask_task"), item[form], dict(item.get("state") or {}))
            slowest = max(slowest, time.perf_counter() - start)
            ok = judge(scorer, item, reply.text)
            right[form] += ok
            if verbose and not ok:
                print(f"WRONG [{item.get('id')}/{form}] {item[form]!r}\n   -> {reply.text[:400]!r}", file=out)
    n = len(items) or 1
    print(f"questions: {len(items)}; correct with diacritics {right['q']}, without {right['q_plain']}; "
          f"slowest answer {slowest * 1000:.0f} ms", file=out)
    return {"qa_accuracy": right["q"] / n, "qa_accuracy_plain": right["q_plain"] / n}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path, nargs="*", default=DEFAULT_QUESTIONS)
    ap.add_argument("--kb", help="knowledge-base URL (else $KB_URL)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.kb:
        os.environ["KB_URL"] = args.kb
    items = [q for f in args.questions for q in yaml.safe_load(f.read_text(encoding="utf-8"))]
    result = evaluate(items, args.verbose)
    print("SCORE " + " ".join(f"{k}={v:.3f}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
