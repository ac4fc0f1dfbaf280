"""Extraction quality on every plan with gold, scored by the project's copy of the eval scorer.

Each rendering (txt, docx, pdf; auto-numbered docx where it exists) is parsed and exported
separately; the scorer compares the exports with the hand-labelled gold under the thresholds of
issue 8, per plan and per rendering (a plan scoring well cannot hide another scoring badly).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from document_parsing import parse
from document_parsing.extraction import extract

DATA = Path(__file__).parent / "data"
PLANS = sorted(p.stem for p in (DATA / "gold").glob("*.json"))
THRESHOLDS = {"targets_f1": 0.95, "responsibilities_f1": 0.95, "appendix_projects_f1": 0.90,
              "deadlines_f1": 0.90, "tasks_f1": 0.90, "document_fields": 0.95}
RENDERINGS = [(plan, r) for plan in PLANS for r in ("txt", "docx", "autonum.docx", "pdf")
              if (DATA / "plans" / f"{plan}.{r}").exists()]


def score(gold_dir: Path, pred_dir: Path) -> tuple[dict[str, float], str]:
    """Run the scorer; its last line is "SCORE name=value …"."""
    out = subprocess.run([sys.executable, str(DATA / "score.py"), "extraction", str(gold_dir), str(pred_dir)],
                         capture_output=True, text=True, check=True).stdout
    line = out.strip().splitlines()[-1]
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}, out


def test_every_plan_with_gold_has_its_three_renderings() -> None:
    assert len(PLANS) >= 8
    for plan in PLANS:
        assert {r for p, r in RENDERINGS if p == plan} >= {"txt", "docx", "pdf"}, plan


@pytest.mark.parametrize("plan,rendering", RENDERINGS, ids=[f"{p}.{r}" for p, r in RENDERINGS])
def test_scores_per_plan_and_rendering(plan: str, rendering: str, tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / f"{plan}.json").write_bytes((DATA / "gold" / f"{plan}.json").read_bytes())
    pred = tmp_path / "pred"
    pred.mkdir()
    doc = parse(DATA / "plans" / f"{plan}.{rendering}")
    (pred / f"{plan}.json").write_text(json.dumps(extract(doc, plan).to_schema(), ensure_ascii=False), encoding="utf-8")
    scores, out = score(gold, pred)
    low = {k: v for k, v in scores.items() if v < THRESHOLDS[k]}
    assert not low, f"{plan}.{rendering}: below threshold {low}\n{out}"


OTHER_INPUTS = sorted(p for folder in ("legacy", "scanned") for p in (DATA / "plans" / folder).iterdir() if p.is_file())
OTHER_THRESHOLDS = {"targets_f1": 0.85, "responsibilities_f1": 0.85}


def test_legacy_and_scanned_material_is_there() -> None:
    assert {p.parent.name for p in OTHER_INPUTS} == {"legacy", "scanned"}
    assert len([p for p in OTHER_INPUTS if p.parent.name == "scanned"]) == 2


@pytest.mark.parametrize("path", OTHER_INPUTS, ids=[f"{p.parent.name}/{p.name}" for p in OTHER_INPUTS])
def test_scores_of_scans_and_old_encodings(path: Path, tmp_path: Path) -> None:
    """Image-only scans (OCR), TCVN3/UTF-16 text, TCVN3 Word, .doc and .odt of plans with gold."""
    plan = path.name.split(".")[0]
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / f"{plan}.json").write_bytes((DATA / "gold" / f"{plan}.json").read_bytes())
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / f"{plan}.json").write_text(json.dumps(extract(parse(path), plan).to_schema(), ensure_ascii=False),
                                       encoding="utf-8")
    scores, out = score(gold, pred)
    low = {k: scores[k] for k, v in OTHER_THRESHOLDS.items() if scores[k] < v}
    assert not low, f"{path.name}: below threshold {low}\n{out}"


def test_three_figures_in_one_sentence_give_three_targets() -> None:
    doc = parse(DATA / "plans" / "cantho-148-2017.docx")
    targets = [t for t in extract(doc, "cantho").targets if t.section == "III.2.a" and t.value in (61.0, 44.0, 17.0)]
    assert [(t.value, t.comparator, t.year) for t in targets] == [(61.0, ">=", 2020), (44.0, "=", 2020), (17.0, "=", 2020)]


def test_agency_abbreviations_are_canonical_in_appendix_responsibilities() -> None:
    doc = parse(DATA / "plans" / "lamdong-3381-2017.pdf")
    leads = {r.agency for r in extract(doc, "lamdong").responsibilities if r.section == "PL.4" and r.role == "chủ trì"}
    assert leads == {"Sở Giáo dục và Đào tạo"}


def test_a_decision_carrying_its_plan_gives_the_decisions_number_and_not_its_articles() -> None:
    doc = parse(DATA / "plans" / "qd-hoamy-2023.docx")
    facts = extract(doc, "qd-hoamy-2023")
    assert facts.document.number == "1234/QĐ-UBND" and facts.document.level == "huyện"
    assert [s.label for s in doc.sections] == ["A", "B", "C", "D"]
    assert not any("Chánh Văn phòng" in r.agency for r in facts.responsibilities)


def test_numbered_appendices_and_duty_tables() -> None:
    facts = extract(parse(DATA / "plans" / "ngocson-96-2021.pdf"), "ngocson")
    sections = {r.section for r in facts.responsibilities}
    assert {"PLI.1", "PLII.6", "IV.1.1"} <= sections and not any(s.startswith("PL.") for s in sections)
    school = extract(parse(DATA / "plans" / "thpt-lequydon-hoaan-2024.docx"), "thpt")
    assert school.document.level == "trường"
    table_rows = [r for r in school.responsibilities if r.section == "IV.1"]
    assert {"Tổ Tin học", "Giáo viên chủ nhiệm"} <= {r.agency for r in table_rows}
    assert {r.role for r in table_rows} == {"thực hiện"}
    monthly = [d for d in school.deadlines if d.section == "IV.1" and d.recurrence == "monthly"]
    assert len(monthly) == 1 and not any(d.when == "Thường xuyên" for d in school.deadlines)
