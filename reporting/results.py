"""What progress questions return: one unit's figure, one target's progress over its units
(with the verdict of :mod:`reporting.rule` and its Vietnamese wording), the units that owe
reports.  The chat, the CLI, the exports and the dashboard all word progress from here, so
they say the same thing."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from knowledge.queries import format_value

from .rule import needed
from .targets import TargetOption
from .units import SCHOOL, UnitInfo

REACHED, BEHIND, REPORTED, NOT_REPORTED = "đạt", "chưa đạt", "đã báo cáo", "chưa báo cáo"
"""A unit's status for one target: a rate reached or not, a count reported, or nothing yet."""


@dataclass(slots=True)
class UnitResult:
    """One unit's latest figure for a target and period (slots: a whole plan makes 10,000)."""

    unit_id: int
    unit: str
    kind: str
    area: str
    value: float
    revision: int
    author: str
    reported_at: datetime  # UTC
    comment: Optional[str]
    on_track: Optional[bool]  # None for counts: a count target is for the whole area

    @property
    def status(self) -> str:
        """"đạt" / "chưa đạt" for a rate, "đã báo cáo" for a count."""
        return REPORTED if self.on_track is None else (REACHED if self.on_track else BEHIND)


@dataclass
class UnitStatus:
    """One unit of a target's progress, reported or not (:meth:`Progress.statuses`)."""

    unit_id: int
    unit: str
    kind: str
    area: str
    status: str  # REACHED | BEHIND | REPORTED | NOT_REPORTED
    value: Optional[float]  # None: not reported
    counted: bool  # part of the plan's figure (a Phòng's own report is not, when schools are)


def _shown(value: float, unit: Optional[str]) -> str:
    return format_value(round(value, 1), unit)


@dataclass
class Progress:
    """Progress of one target in one period, over the units its plan covers (or one area).

    ``aggregate`` is the figure over **all** ``covered`` units (see :mod:`reporting.rule`): the
    mean of a rate with missing units as 0, the sum of a count; None when nobody reported.
    ``on_track`` is None until enough units reported.  ``units`` are the units that reported —
    None when the caller did not ask for them (``plan_progress(..., units=True)``);
    ``missing_units`` / ``unreported`` the counted units that have not."""

    target: TargetOption
    period: str  # canonical label
    area: Optional[str]
    units: Optional[list[UnitResult]]  # None: not read (reporting.progress.plan_progress)
    aggregate: Optional[float]  # None when no unit reported
    method: str  # "trung bình" (a "%" target) | "tổng" (a count)
    on_track: Optional[bool]  # None: nobody or too few reported (reporting.rule)
    missing_units: list[str]  # names of units that should have reported and have not
    citation: str
    covered: int = 0  # counted units the plan covers here (schools, or the offices when no school)
    reported: int = 0  # of them, those that reported
    rule: str = ""  # the aggregation rule in Vietnamese (reporting.rule.rule_text)
    reported_mean: Optional[float] = None  # a rate's mean over the counted units that reported
    unreported: list[UnitInfo] = field(default_factory=list)  # the units of missing_units
    counted_kind: str = SCHOOL  # the kind of the counted units, or "" for all kinds

    @property
    def noun(self) -> str:
        """What the counted units are called in the answer: "trường" or "đơn vị"."""
        return SCHOOL if self.counted_kind == SCHOOL else "đơn vị"

    @property
    def coverage(self) -> Optional[float]:
        """Share of the covered units that reported (None when the plan covers none here)."""
        return self.reported / self.covered if self.covered else None

    @property
    def verdict(self) -> str:
        """"đạt" / "chưa đạt" / "chưa đủ báo cáo" / "chưa có báo cáo"."""
        if self.on_track is not None:
            return REACHED if self.on_track else BEHIND
        return "chưa có báo cáo" if self.aggregate is None else "chưa đủ báo cáo"

    def headline(self) -> str:
        """"Chỉ tiêu “…” (ít nhất 70%) tại huyện X, năm 2024: " — the start of every answer."""
        target = self.target
        where = f" tại {self.area}" if self.area else ""
        return f"Chỉ tiêu “{target.subject or target.text}” ({target.figure()}){where}, {self.period}: "

    def figures(self) -> str:
        """Coverage, the figure, the verdict and the rule, with no unit named: what anyone may
        read (the chat gives it to people who are not the plan's staff)."""
        noun, unit = self.noun, self.target.unit
        if self.aggregate is None:
            return f"chưa có {noun} nào báo cáo ({self.reported}/{self.covered})."
        count = f"{self.reported}/{self.covered} {noun} đã báo cáo"
        if self.target.is_rate():
            figure = f"trung bình {_shown(self.aggregate, unit)}"
            if self.reported < self.covered:
                figure += (f" trên cả {self.covered} {noun} ({noun} chưa báo cáo tính 0%), riêng các {noun} đã báo "
                           f"cáo: trung bình {_shown(self.reported_mean or 0.0, unit)}")
        else:
            figure = f"tổng {_shown(self.aggregate, unit)}"
        if self.on_track is None:
            verdict = f"chưa đủ báo cáo để đánh giá (cần ít nhất {needed(self.covered)}/{self.covered} {noun})"
        else:
            verdict = REACHED if self.on_track else BEHIND
        return f"{count}; {figure} — {verdict}. {self.rule}"

    def summary(self) -> str:
        """One Vietnamese paragraph for the plan's staff: the figures, who has not reported, the citation."""
        missing = ""
        if self.missing_units:
            shown = ", ".join(self.missing_units[:8]) + (" …" if len(self.missing_units) > 8 else "")
            missing = f" Chưa báo cáo ({len(self.missing_units)}): {shown}."
        return f"{self.headline()}{self.figures()}{missing} {self.citation}"

    def statuses(self) -> list[UnitStatus]:
        """Every unit of this progress with its status — the reported ones ("đạt", "chưa đạt",
        "đã báo cáo") and the counted ones that have not ("chưa báo cáo") — by area, kind, name."""
        if self.units is None:
            raise ValueError("the units' rows were not read: plan_progress(..., units=True)")
        out = [UnitStatus(r.unit_id, r.unit, r.kind, r.area, r.status, r.value,
                          not self.counted_kind or r.kind == self.counted_kind) for r in self.units]
        out += [UnitStatus(u.id, u.name, u.kind, u.area, NOT_REPORTED, None, True) for u in self.unreported]
        return sorted(out, key=lambda u: (u.area, u.kind, u.unit))


@dataclass
class MissingReport:
    """A unit that has not reported every target of a plan covering it for a period."""

    unit_id: int
    unit: str
    area: str
    plan: str
    plan_name: str
    missing: list[str] = field(default_factory=list)  # "III.2.a: 70% cuộc họp …"
    total: int = 0


__all__ = ["UnitResult", "UnitStatus", "Progress", "MissingReport", "REACHED", "BEHIND", "REPORTED",
           "NOT_REPORTED"]
