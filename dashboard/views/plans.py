"""The plans of the staff member's area, and one plan's progress for a period: every target
overall and per unit, a chart over periods, the late units with their reminder button, exports."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from markupsafe import Markup
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from dashboard import charts, data
from dashboard.reminders import describe
from dashboard.render import message, page

EXPORT_LABELS = (("xlsx", "Bảng tính Excel (.xlsx)"), ("docx", "Văn bản Word (.docx)"), ("csv", "Tệp CSV (.csv)"))
STATE_TEXT = {"dat": "đạt", "chua-dat": "chưa đạt", "chua-bao-cao": "chưa báo cáo", "da-bao-cao": "đã báo cáo",
              "chua-du": "chưa đủ báo cáo để đánh giá"}


@dataclass
class UnitRow:
    name: str
    value: str
    state: str
    author: str
    bar: Markup

    @property
    def state_text(self) -> str:
        return STATE_TEXT[self.state]


@dataclass
class TargetView:
    id: int
    section: str
    text: str
    goal: str
    figure: str
    figure_raw: str
    state: str
    method: str
    reported: int
    missing: int
    bar: Markup
    units: list[UnitRow] = field(default_factory=list)  # the units that reported
    missing_names: list[str] = field(default_factory=list)
    chart: Markup = Markup("")
    chart_open: bool = False

    @property
    def state_text(self) -> str:
        return STATE_TEXT[self.state]


@dataclass
class LateView:
    unit_id: int
    unit: str
    area: str
    owed: int
    total: int
    reporters: list[str]
    reminders: list[str]


def _state(on_track: Optional[bool], reported: bool) -> str:
    if not reported:
        return "chua-bao-cao"
    if on_track is None:
        return "da-bao-cao"  # a count reported by one unit: the target is for the whole area
    return "dat" if on_track else "chua-dat"


def target_view(item: data.Progress, series: list[tuple[data.Period, Optional[float]]],
                period: data.Period) -> TargetView:
    t = item.target
    rate = item.method != "tổng"  # a mean of rates is drawn on 0–100; a count against its target
    comparator = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": ""}.get(t.comparator, t.comparator)
    goal = f"{comparator} {data.format_value(t.value, t.unit)}".strip()
    figure = data.format_value(round(item.aggregate, 1), t.unit) if item.aggregate is not None else "chưa có báo cáo"
    # the verdict of reporting.rule: none until enough of the covered units have reported
    state = ("chua-bao-cao" if item.aggregate is None else "chua-du" if item.on_track is None
             else "dat" if item.on_track else "chua-dat")
    units = []
    for r in item.units:
        ustate = _state(r.on_track, True)
        units.append(UnitRow(r.unit, data.format_value(r.value, t.unit), ustate, r.author,
                             charts.progress_bar(r.value, t.value, rate, ustate if ustate != "da-bao-cao" else "dat",
                                                 f"{r.unit}: {data.format_value(r.value, t.unit)}")))
    same_kind = [(p, v) for p, v in series if p.kind == period.kind]
    chart = charts.period_chart([(p.label, v, data.format_value(v, t.unit) if v is not None else "–")
                                 for p, v in same_kind], t.value, rate,
                                f"{t.section} qua các kỳ (mục tiêu {goal})") if any(v is not None for _, v in same_kind) \
        else Markup("")
    return TargetView(id=t.target_id, section=t.section, text=t.text, goal=goal, figure=figure,
                      figure_raw="" if item.aggregate is None else f"{item.aggregate:g}", state=state,
                      method=item.figures(), reported=len(item.units), missing=len(item.missing_units),
                      bar=charts.progress_bar(item.aggregate, t.value, rate, state, f"{t.section}: {figure}"),
                      units=units, missing_names=list(item.missing_units), chart=chart, chart_open=len(same_kind) > 1)


def late_views(late: list[data.MissingReport], reporters: dict[int, list[data.ReporterInfo]],
               reminders: dict[int, list[data.ReminderRecord]]) -> list[LateView]:
    from dashboard.reminders import CHANNEL_NAMES

    out = []
    for m in late:
        names = [f"{r.name} ({CHANNEL_NAMES.get(r.channel, r.channel)})" for r in reporters.get(m.unit_id, [])]
        out.append(LateView(m.unit_id, m.unit, m.area, len(m.missing), m.total, names,
                            [describe(r) for r in reminders.get(m.unit_id, [])[:3]]))
    return out


def _plan_page(staff: data.StaffInfo, plan_name: str, period_text: Optional[str]) -> dict:
    """All the page's data, read in one worker thread."""
    plan = data.plan_for(staff, plan_name)
    if plan is None:
        return {"missing_plan": True}
    periods = data.reported_periods(plan.plan)
    error = None
    period = None
    if period_text:
        try:
            period = data.parse_period(period_text)
        except ValueError as exc:
            error = str(exc)
    elif periods:
        period = periods[-1]
    else:
        period = data.parse_period(str(date.today().year))
    ctx = {"plan": plan, "periods": periods, "period": period, "error": error,
           "period_text": period.label if period else (period_text or ""), "exports": EXPORT_LABELS}
    if period is None:
        ctx["targets"] = []
        return ctx
    items = data.progress(plan, period)
    chart_periods = [p for p in periods if p.kind == period.kind]
    series = data.history(plan, chart_periods) if chart_periods else {}
    ctx["targets"] = [target_view(i, series.get(i.target.target_id, []), period) for i in items]
    late = data.missing(plan, period)
    reporters = data.approved_reporters({m.unit_id for m in late})
    ctx["late"] = late_views(late, reporters, data.reminders_for(plan.plan, period.label))
    return ctx


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint("plans", url_prefix=prefix)

    @bp.get("/")
    async def plans(request: Request) -> HTTPResponse:
        found = await asyncio.to_thread(data.plans_for, request.ctx.staff)
        return page(request, "plans.html", plans=found)

    @bp.get("/plans/<plan:str>")
    async def plan(request: Request, plan: str) -> HTTPResponse:
        period_text = (request.args.get("period") or "").strip()[:40] or None
        ctx = await asyncio.to_thread(_plan_page, request.ctx.staff, plan, period_text)
        if ctx.get("missing_plan"):
            return message(request, 404, "Không có kế hoạch này",
                           "Kế hoạch không tồn tại hoặc không thuộc địa bàn của bạn.")
        notice = request.args.get("nhac")
        if notice == "lap":
            ctx["notice"] = "Đơn vị này vừa được nhắc; lời nhắc không gửi lại."
        elif notice == "gui":
            ctx["notice"] = "Đã gửi lời nhắc (kết quả ghi bên cạnh đơn vị)."
        return page(request, "plan.html", status=400 if ctx.get("error") else 200, **ctx)

    return bp
