"""The answer test: the scorer (tests/data/score.py qa) on every development question file,
asked over HTTP to the real Rasa and action servers (bot/evaluate.py), with and without
diacritics, plus the NLU intent F1 on the held-out paraphrases (tests/data/nlu-paraphrases.yml).

Thresholds are the issue's goal (0.95 on every file, with and without diacritics; every
unanswerable question refused); dev-3 asks about the four newer plans (Sở, school, district
decision, four-level numbering).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml

from bot.evaluate import PARAPHRASES, QUESTIONS, evaluate
from bot.train import ROOT, ensure_model

# Reached on 2 December 2026 (issue 9): every file 1.000 with and without diacritics, every
# unanswerable question refused, paraphrase F1 0.965.  The thresholds are the goal, so that
# a change that answers worse on one file, or invents an answer, fails here.
THRESHOLDS = {
    "questions-dev.yml": 0.95,
    "questions-dev-2.yml": 0.95,
    "questions-dev-3.yml": 0.95,
}
PARAPHRASE_F1 = 0.90


@pytest.fixture(scope="module")
def results():
    model, _ = ensure_model(quiet=True)
    work = Path(tempfile.mkdtemp(prefix="answers-eval-"))
    return evaluate(model, work, QUESTIONS, verbose=True)


def test_every_question_file_has_a_threshold() -> None:
    assert {p.name for p in QUESTIONS} == set(THRESHOLDS)


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_question_file_scores(results, name: str) -> None:
    scores, _ = results
    row = scores[name]
    assert row["qa_accuracy"] >= THRESHOLDS[name], row
    assert row["qa_accuracy_plain"] >= THRESHOLDS[name], row


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_unanswerable_questions_are_refused(results, name: str) -> None:
    """A question the plan has no answer for gets "không đề cập …", with no section cited —
    every one of them, with and without diacritics."""
    scores, _ = results
    row = scores[name]
    assert row["unanswerable_refused"] == row["unanswerable"], row


def test_paraphrases_are_held_out_and_understood(results) -> None:
    """No paraphrase is a training example (a held-out set), and the NLU understands them."""
    training = set()
    for path in (ROOT / "nlu_data").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            training |= {line[2:].strip().lower() for line in str(block.get("examples", "")).splitlines()
                         if line.strip().startswith("- ")}
    held_out = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
    assert not [item["text"] for item in held_out if item["text"].strip().lower() in training]
    _, f1 = results
    assert f1 >= PARAPHRASE_F1, f1
