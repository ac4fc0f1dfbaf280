"""`make eval`: question answering against the real servers, then NLU cross-validation.

1. Trains if needed, builds a fresh knowledge base (sample plans + procedures), starts the action
   server and Rasa on free loopback ports, runs
   ``tests/data/score.py qa tests/data/questions-dev*.yml --url …`` and stops the servers.
2. ``rasa test nlu --cross-validation --folds 3`` and prints the intent F1 (weighted average).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bot.servers import BotServers
from bot.testing import build_kb
from bot.train import DOMAIN, RASA, ROOT, ensure_model, rasa_env

QUESTIONS = sorted((ROOT / "tests" / "data").glob("questions-dev*.yml"))


def qa(model: Path, work: Path) -> int:
    kb_url = build_kb(work)
    with BotServers(model, log_dir=work / "logs", env={"KB_URL": kb_url}) as servers:
        print(f"Máy chủ: Rasa {servers.rasa_url}, hành động {servers.action_url}", flush=True)
        cmd = [sys.executable, str(ROOT / "tests" / "data" / "score.py"), "qa", *map(str, QUESTIONS),
               "--url", servers.rasa_url, "-v"]
        return subprocess.run(cmd, cwd=ROOT, env={**os.environ, "REST_TOKEN": servers.rest_token or ""}).returncode


def cross_validation(work: Path, folds: int = 3) -> float:
    out = work / "cv"
    cmd = [RASA, "test", "nlu", "--nlu", str(ROOT / "nlu_data"), "--config", str(ROOT / "config.yml"),
           "--domain", str(DOMAIN), "--cross-validation", "--folds", str(folds), "--out", str(out),
           "--no-plot", "--no-errors"]
    subprocess.run(cmd, cwd=ROOT, env=rasa_env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    for name, row in sorted(report.items()):
        if isinstance(row, dict) and "f1-score" in row and name not in ("macro avg", "weighted avg", "micro avg"):
            print(f"  {name:24s} F1={row['f1-score']:.3f} (n={row.get('support')})")
    return report["weighted avg"]["f1-score"]


def main() -> int:
    model, _ = ensure_model()
    work = Path(tempfile.mkdtemp(prefix="bot-eval-"))
    rc = qa(model, work)
    print(f"NLU cross-validation ({3} folds, nlu_data/)…", flush=True)
    f1 = cross_validation(work)
    print(f"SCORE nlu_intent_f1_cv={f1:.3f}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
