"""Current plans → JSON files in the shape of ``/work/shared/eval/SCHEMA.md``.

The export reads the database, not the files, so what ``score.py`` grades is exactly what
the chatbot answers from.  Files are named by the plan's export name (the source stem without
a rendering suffix), which is the gold file's name.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import models


def plan_schema(doc: models.Document) -> dict:
    """One stored document version as the SCHEMA.md object (same keys and order as
    ``PlanExtraction.to_schema()``)."""
    period = [doc.period_start, doc.period_end] if doc.period_start is not None and doc.period_end is not None else None
    return {
        "plan": doc.plan,
        "document": {
            "number": doc.number,
            "issuer": doc.issuer,
            "level": doc.level,
            "date": doc.date.isoformat() if doc.date else None,
            "parent": list(doc.parent or []),
            "title": doc.title,
            "period": period,
            "date_printed": doc.date_printed,
            "signer": doc.signer,
        },
        "targets": [{"section": t.section_path, "text": t.text, "value": t.value, "unit": t.unit,
                     "comparator": t.comparator, "year": t.year, "subject": t.subject} for t in doc.targets],
        "tasks": [{"section": t.section_path, "text": t.text} for t in doc.tasks],
        "responsibilities": [{"section": r.section_path, "agency": r.agency.name, "role": r.role, "task": r.task}
                             for r in doc.responsibilities],
        "appendix_projects": [{"no": p.no, "name": p.name, "lead": p.lead, "partners": list(p.partners or []),
                               "years": list(p.years or []), "section": p.section_path or f"PL.{p.no}"}
                              for p in doc.appendix_projects],
        "deadlines": [{"section": d.section_path, "agency": d.agency, "what": d.what, "to": d.to, "when": d.when,
                       "recurrence": d.recurrence, "month": d.month, "day": d.day} for d in doc.deadlines],
    }


def export_json(session: Session, out_dir: str | Path) -> tuple[list[Path], list[str]]:
    """Write one ``<plan>.json`` per current plan; returns the files written and Vietnamese
    warnings (two current plans sharing an export name: the one ingested last wins)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs = session.execute(select(models.Document).where(models.Document.is_current.is_(True))
                           .order_by(models.Document.ingested_at, models.Document.id)).scalars().all()
    written: dict[str, Path] = {}
    sources: dict[str, str] = {}
    warnings: list[str] = []
    for doc in docs:
        if doc.plan in written:
            warnings.append(f"{doc.plan}.json: hai kế hoạch hiện hành cùng tên xuất ({sources[doc.plan]} và "
                            f"{doc.source_file}); giữ bản nhập sau ({doc.source_file})")
        path = out / f"{doc.plan}.json"
        path.write_text(json.dumps(plan_schema(doc), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written[doc.plan] = path
        sources[doc.plan] = doc.source_file
    return sorted(written.values()), warnings
