"""What a staff member does from a plan page: remind a late unit (POST, CSRF-checked by the
app) and download the plan's progress as CSV/XLSX/DOCX (made by the chat's export code)."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from dashboard import data
from dashboard.reminders import remind_unit
from dashboard.render import message

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _export_bytes(staff: data.StaffInfo, plan_name: str, period_text: str, fmt: str):
    plan = data.plan_for(staff, plan_name)
    if plan is None:
        return None
    period = data.parse_period(period_text)
    folder = Path(tempfile.mkdtemp(prefix="dashboard-export-"))
    try:
        path = data.export(plan, period, fmt, folder)
        return path.name, path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint("actions", url_prefix=prefix)

    @bp.post("/plans/<plan_name:str>/remind")
    async def remind(request: Request, plan_name: str) -> HTTPResponse:
        form = request.ctx.form
        staff = request.ctx.staff
        try:
            period = data.parse_period(form.get("period", "")[:40])
            unit_id = int(form.get("unit_id", ""))
        except ValueError:
            return message(request, 400, "Yêu cầu không hợp lệ", "Thiếu kỳ báo cáo hoặc đơn vị cần nhắc.")
        plan = await asyncio.to_thread(data.plan_for, staff, plan_name)
        if plan is None:
            return message(request, 404, "Không có kế hoạch này", "Kế hoạch không tồn tại hoặc không thuộc địa bàn của bạn.")
        try:
            outcome = await remind_unit(request.app.ctx.sender, plan, period, unit_id, staff.username, staff.unit)
        except data.ReportingError as exc:
            return message(request, 409, "Không nhắc được", exc.message)
        query = urlencode({"period": period.label, "nhac": "lap" if outcome.repeated else "gui"})
        return response.redirect(f"{prefix}/plans/{quote(plan.plan)}?{query}#missing", status=303)

    @bp.get("/plans/<plan_name:str>/export/<fmt:str>")
    async def export(request: Request, plan_name: str, fmt: str) -> HTTPResponse:
        if fmt not in CONTENT_TYPES:
            return message(request, 404, "Không có định dạng này", "Chỉ tải được CSV, XLSX hoặc DOCX.")
        try:
            found = await asyncio.to_thread(_export_bytes, request.ctx.staff, plan_name,
                                            (request.args.get("period") or "")[:40], fmt)
        except ValueError as exc:  # the period
            return message(request, 400, "Kỳ báo cáo không hợp lệ", str(exc))
        except data.ReportingError as exc:
            return message(request, 400, "Không xuất được báo cáo", exc.message)
        if found is None:
            return message(request, 404, "Không có kế hoạch này", "Kế hoạch không tồn tại hoặc không thuộc địa bàn của bạn.")
        name, body = found
        return response.raw(body, content_type=CONTENT_TYPES[fmt],
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return bp
