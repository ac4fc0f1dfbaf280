"""When a plan's figure for a target may be called "đạt": the aggregation rule, in one place.

The figure of a target over a plan is taken over **every unit the plan covers** (its schools;
the Sở/Phòng only when it covers no school), not over the units that happened to report:

* a rate ("%"): the mean over all covered units, a unit that has not reported counting as 0 —
  it is never counted as having reached the target.  The mean over the units that reported is
  shown beside it, for information;
* a count ("trường", "phòng học"…): the sum of what the units reported (a missing unit adds 0).

The verdict is given only when enough units reported: **at least 80% of the covered units**
(:data:`MIN_REPORTED_SHARE`).  Below that it is "chưa đủ báo cáo để đánh giá" (``None``).
At or above it, the figure above — in which missing units add nothing — must reach the target.
So "đạt" is never a guess: whatever the late units report, the figure can only rise.  This is
stricter than "the mean of the reporters meets the target", which would let one school at 100%
make a plan of fifty schools "đạt", and it is what the answer states in words (:func:`rule_text`).
"""
from __future__ import annotations

import math
from typing import Optional

MIN_REPORTED_SHARE = 0.8
"""Share of the covered units that must have reported before a verdict is given."""


def needed(covered: int) -> int:
    """How many of ``covered`` units must report before a verdict: ⌈80% × covered⌉ (at least 1)."""
    return max(1, math.ceil(MIN_REPORTED_SHARE * covered - 1e-9))


def enough_reported(reported: int, covered: int) -> bool:
    return covered > 0 and reported >= needed(covered)


def verdict(reached: bool, reported: int, covered: int) -> Optional[bool]:
    """True ("đạt") / False ("chưa đạt") when enough units reported, else None; ``reached`` is
    whether the figure over all covered units (missing ones adding nothing) meets the target."""
    if reported == 0 or not enough_reported(reported, covered):
        return None
    return reached


def rule_text(noun: str, rate: bool) -> str:
    """The rule as the answer states it: "Cách đánh giá: …"."""
    share = f"{round(MIN_REPORTED_SHARE * 100)}%"
    how = (f"trung bình tính trên tất cả {noun} thuộc kế hoạch, {noun} chưa báo cáo tính 0%"
           if rate else f"tổng chỉ gồm số liệu các {noun} đã báo cáo")
    return (f"Cách đánh giá: cần ít nhất {share} {noun} báo cáo mới kết luận đạt hay chưa đạt; {how}, "
            f"{noun} chưa báo cáo không bao giờ được tính là đạt.")


__all__ = ["MIN_REPORTED_SHARE", "needed", "enough_reported", "verdict", "rule_text"]
