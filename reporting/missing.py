"""Which schools still owe reports: every target of the plans covering them, for a period."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db import session_scope
from knowledge.geography import area_key
from knowledge.queries import format_value

from .models import Report
from .results import MissingReport
from .targets import one_plan, plan_name, plan_targets, plans_for_area, target_keys
from .units import SCHOOL, covered_units
from .values import reporting_period


def missing_reports(area_words: Optional[str], period_label: str, plan: Optional[str] = None, *,
                    session: Optional[Session] = None) -> list[MissingReport]:
    """Schools of an area that have not reported every target of the plans covering them for
    a period, with the targets they owe (by area, then name)."""
    period = reporting_period(period_label)
    with session_scope(session) as s:
        docs = [one_plan(s, plan)] if plan else plans_for_area(s, area_words)
        out = []
        for doc in docs:
            keep_area = area_words if area_words and area_key(area_words) != area_key(doc.issuer) else None
            units = covered_units(s, doc.issuer, keep_area)
            keys = target_keys(s, doc.id)
            targets = plan_targets(s, doc)
            done = set(s.execute(select(Report.unit_id, Report.target_key)
                                 .where(Report.plan == doc.plan, Report.period_label == period.label)).all())
            for unit in sorted(units.values(), key=lambda u: (u.area, u.name)):
                if unit.kind != SCHOOL:
                    continue
                owed = [f"{t.section_path}: {format_value(t.value, t.unit)} {t.subject or t.text}"
                        for t in targets if (unit.id, keys[t.id]) not in done]
                if owed:
                    out.append(MissingReport(unit_id=unit.id, unit=unit.name, area=unit.area, plan=doc.plan,
                                             plan_name=plan_name(doc), missing=owed, total=len(targets)))
        return out


__all__ = ["missing_reports"]
