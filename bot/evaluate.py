"""`make eval`: question answering against the real servers, per question file, and the NLU
intent F1 on held-out paraphrases.

1. Trains if needed, builds a fresh knowledge base (the plans in tests/data/plans + procedures),
   starts the action server and Rasa on free loopback ports and runs
   ``tests/data/score.py qa FILE --url …`` once per ``tests/data/questions-dev*.yml`` file, so
   that each file prints its own score with and without diacritics.
2. Sends every sentence of ``tests/data/nlu-paraphrases.yml`` (written apart from nlu_data/ and
   never trained on) to Rasa's ``/model/parse`` and prints the intent F1 (weighted average).
3. With ``--cv``: ``rasa test nlu --cross-validation --folds 3`` on nlu_data/ (three more
   trainings: slow on a shared machine, so not by default).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import yaml

from bot.servers import BotServers
from bot.testing import build_kb
from bot.train import DOMAIN, RASA, ROOT, ensure_model, rasa_env

DATA = ROOT / "tests" / "data"
QUESTIONS = sorted(DATA.glob("questions-dev*.yml"))
PARAPHRASES = DATA / "nlu-paraphrases.yml"
SCORE_LINE = re.compile(r"^SCORE (.*)$", re.M)


WRONG_LINE = re.compile(r"^WRONG \[(.+?)/(q|q_plain)\]", re.M)


def qa_file(rasa_url: str, questions: Path, verbose: bool = True, rest_token: str = "") -> dict[str, float]:
    """Scores of one question file (the scorer's own ``SCORE`` line, parsed), plus
    ``unanswerable`` (how many questions of the file have no answer in the plans) and
    ``unanswerable_refused`` (how many of them were refused in both forms), read from the
    scorer's ``WRONG`` lines."""
    cmd = [sys.executable, str(DATA / "score.py"), "qa", str(questions), "--url", rasa_url, "-v"]
    out = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True,
                         env={**os.environ, "REST_TOKEN": rest_token})
    shown = out.stdout if verbose else "\n".join(l for l in out.stdout.splitlines()
                                                if not l.startswith(("WRONG", "   ->")))
    print(shown, end="" if shown.endswith("\n") else "\n", flush=True)
    match = SCORE_LINE.search(out.stdout)
    if out.returncode != 0 or not match:
        raise RuntimeError(f"score.py failed on {questions.name}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    scores = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    unanswerable = {item["id"] for item in yaml.safe_load(questions.read_text(encoding="utf-8"))
                    if item.get("unanswerable")}
    missed = {m.group(1) for m in WRONG_LINE.finditer(out.stdout)} & unanswerable
    scores["unanswerable"] = float(len(unanswerable))
    scores["unanswerable_refused"] = float(len(unanswerable - missed))
    return scores


def parse_intent(rasa_url: str, text: str, token: str = "") -> str:
    body = json.dumps({"text": text}).encode()
    req = urllib.request.Request(f"{rasa_url.rstrip('/')}/model/parse?token={token}", body,
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return (json.loads(resp.read().decode()).get("intent") or {}).get("name") or "nlu_fallback"


def paraphrase_f1(rasa_url: str, path: Path = PARAPHRASES, verbose: bool = True, token: str = "") -> float:
    """Weighted intent F1 of the served model on the held-out paraphrases."""
    from sklearn.metrics import f1_score

    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    gold, predicted = [], []
    for item in items:
        gold.append(item["intent"])
        predicted.append(parse_intent(rasa_url, item["text"], token))
        if verbose and predicted[-1] != gold[-1]:
            print(f"  NLU {item['text']!r}: {predicted[-1]} (expected {gold[-1]})")
    return float(f1_score(gold, predicted, average="weighted", zero_division=0))


def cross_validation(work: Path, folds: int = 3) -> float:
    out = work / "cv"
    cmd = [RASA, "test", "nlu", "--nlu", str(ROOT / "nlu_data"), "--config", str(ROOT / "config.yml"),
           "--domain", str(DOMAIN), "--cross-validation", "--folds", str(folds), "--out", str(out),
           "--no-plot", "--no-errors"]
    subprocess.run(cmd, cwd=ROOT, env=rasa_env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    return report["weighted avg"]["f1-score"]


def evaluate(model: Path, work: Path, files: list[Path] = QUESTIONS,
             verbose: bool = True) -> tuple[dict[str, dict[str, float]], float]:
    """(scores per question file name, paraphrase F1) against freshly started servers."""
    kb_url = build_kb(work)
    with BotServers(model, log_dir=work / "logs", env={"KB_URL": kb_url}) as servers:
        print(f"Máy chủ: Rasa {servers.rasa_url}, hành động {servers.action_url}", flush=True)
        scores = {}
        for path in files:
            print(f"== {path.name}", flush=True)
            scores[path.name] = qa_file(servers.rasa_url, path, verbose, servers.rest_token or "")
        f1 = paraphrase_f1(servers.rasa_url, verbose=verbose, token=servers.rasa_token)
    return scores, f1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cv", action="store_true", help="also 3-fold NLU cross-validation (three trainings)")
    ap.add_argument("--min", type=float, default=0.0,
                    help="exit 1 when a file scores below this (or answers a question the plans cannot)")
    args = ap.parse_args()
    model, _ = ensure_model()
    work = Path(tempfile.mkdtemp(prefix="bot-eval-"))
    scores, f1 = evaluate(model, work)
    print("\nCâu hỏi                     có dấu  không dấu  câu không có trong kế hoạch: đã từ chối")
    for name, row in scores.items():
        print(f"  {name:26s} {row['qa_accuracy']:.3f}   {row['qa_accuracy_plain']:.3f}      "
              f"{int(row['unanswerable_refused'])}/{int(row['unanswerable'])}")
    print(f"SCORE nlu_intent_f1_paraphrases={f1:.3f}")
    if args.cv:
        print(f"SCORE nlu_intent_f1_cv={cross_validation(work):.3f}")
    low = [n for n, row in scores.items()
           if min(row["qa_accuracy"], row["qa_accuracy_plain"]) < args.min
           or row["unanswerable_refused"] < row["unanswerable"]]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
