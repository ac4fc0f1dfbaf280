"""A guard against overfitting: the same plan written with other numbering, bullets and wording
conventions must give the same facts (section labels aside)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from document_parsing import parse
from document_parsing.extraction import extract
from surface_forms import REWRITES

DATA = Path(__file__).parent / "data" / "plans"
PLANS = sorted(p.stem for p in (Path(__file__).parent / "data" / "gold").glob("*.json"))


def facts(path: Path) -> dict[str, Counter]:
    """Everything extracted, keyed without section labels (which the rewrites change)."""
    x = extract(parse(path), path.stem)
    return {
        "targets": Counter((t.value, t.comparator, t.year) for t in x.targets),
        "responsibilities": Counter((r.agency, r.role) for r in x.responsibilities),
        "deadlines": Counter((d.recurrence, d.month, d.day) for d in x.deadlines),
        "tasks": Counter([len(x.tasks)]),
        "projects": Counter((p.no, tuple(p.years)) for p in x.appendix_projects),
        "document": Counter([(x.document.number, x.document.date, x.document.level)]),
    }


@pytest.fixture(scope="module")
def originals() -> dict[str, dict[str, Counter]]:
    return {plan: facts(DATA / f"{plan}.txt") for plan in PLANS}


@pytest.mark.parametrize("rewrite", REWRITES, ids=[r.__name__ for r in REWRITES])
def test_same_facts_in_other_surface_forms(rewrite, originals, tmp_path: Path) -> None:
    changed = 0
    for plan in PLANS:
        text = (DATA / f"{plan}.txt").read_text(encoding="utf-8")
        rewritten = rewrite(text)
        changed += rewritten != text
        path = tmp_path / f"{plan}.txt"
        path.write_text(rewritten, encoding="utf-8")
        got = facts(path)
        for kind, expected in originals[plan].items():
            assert got[kind] == expected, f"{plan} after {rewrite.__name__}: {kind} differ\n" \
                                          f"lost {expected - got[kind]}\ngained {got[kind] - expected}"
    assert changed, f"{rewrite.__name__} changed no plan: the test would prove nothing"
