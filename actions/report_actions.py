"""Actions of the progress-reporting conversation, one class per concern:

* :class:`ActionRegisterReporter` — stores the registration form's answers (waits for approval);
* :class:`ActionStartReport` / :class:`ActionEditReport` — may this user report now? New
  form session (``report_session``, a uuid) and the report slots cleared;
* :class:`ActionReportSummary` — the summary with the "Xác nhận" / "Sửa" / "Hủy" buttons;
* :class:`ActionSubmitReport` — ``save_report`` with the idempotency key
  ``chat-<sha256(sender id, form session)>``: a confirmation delivered twice saves once;
* :class:`ActionCancelReport` — deactivates the form, clears its slots, saves nothing;
* :class:`ActionAnswerProgress`, :class:`ActionAnswerMissingReports`, :class:`ActionExportReport`
  — the staff's questions.

Data: the package :mod:`reporting`, called through :func:`actions.report_data.fetch` (a
:class:`reporting.ReportingError` is shown as its Vietnamese message; anything else is logged and
answered with :data:`~actions.report_data.DATA_ERROR`).
"""
from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from pathlib import Path
from typing import Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import reporting
from document_parsing.text_utils import fold, nfc

from .off_loop import OffLoop
from .report_data import DATA_ERROR, Question, fetch
from .report_forms import (channel_of, citation, current_reporter, current_staff, describe_target, figure,
                           safe_target)

ROOT = Path(__file__).resolve().parent.parent
REPORT_SLOTS = ("report_target", "report_period", "report_value", "report_comment", "report_target_options")
REGISTRATION_SLOTS = ("reporter_name", "reporter_unit", "reporter_phone", "reporter_unit_options")

STAFF_ONLY = ("Số liệu từng đơn vị, tên người báo cáo, danh sách đơn vị chưa báo cáo và tệp tổng hợp chỉ dành cho "
              "cán bộ Sở/Phòng GD&ĐT phụ trách, đã đăng nhập trên trang web (nút \"Đăng nhập cán bộ\").")

HOW_TO_REGISTER = ("Để báo cáo, thầy/cô cần đăng ký người báo cáo: gõ \"đăng ký báo cáo\", nhập họ tên, "
                   "đơn vị và số điện thoại; sau khi Sở/Phòng GD&ĐT duyệt là báo cáo được.")


def idempotency_key(sender_id: str, session_id: str) -> str:
    """One key per (chat user, report conversation): a retried confirmation reuses it."""
    return "chat-" + hashlib.sha256(f"{sender_id}\0{session_id}".encode()).hexdigest()[:40]


def clear(slots: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(slot, None) for slot in slots]


def exports_dir() -> Path:
    return Path(os.environ.get("EXPORTS_DIR") or ROOT / "out" / "exports")


def exports_url() -> str:
    return (os.environ.get("EXPORTS_URL") or "http://127.0.0.1:8080/exports").rstrip("/")


# ---------------------------------------------------------------------------- registration


class ActionRegisterReporter(OffLoop, Action):
    def name(self) -> str:
        return "action_register_reporter"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        name, unit, phone = (tracker.get_slot(s) for s in ("reporter_name", "reporter_unit", "reporter_phone"))
        got = fetch(dispatcher, "register_reporter", lambda: reporting.register_reporter(
            channel=channel_of(tracker), channel_user=tracker.sender_id, name=name, unit_name=unit, phone=phone),
            prefix="Chưa đăng ký được: ")
        if not got.ok:
            return clear(REGISTRATION_SLOTS)
        info = got.value
        if info.approved:
            dispatcher.utter_message(text=f"Đã cập nhật đăng ký của {nfc(info.name)} ({nfc(info.unit)}). "
                                          "Thầy/cô đã được duyệt: gõ \"báo cáo tiến độ\" để báo cáo.")
        else:
            dispatcher.utter_message(
                text=f"Đã nhận đăng ký của {nfc(info.name)} — {nfc(info.unit)}, điện thoại {info.phone}. "
                     "Vui lòng chờ Sở/Phòng GD&ĐT duyệt; sau khi được duyệt, gõ \"báo cáo tiến độ\" để gửi báo cáo.")
        return clear(REGISTRATION_SLOTS)


# ---------------------------------------------------------------------------- the report


class ActionStartReport(OffLoop, Action):
    """Refuses (with how to register) unless the user is an approved reporter; otherwise a new
    form session starts with empty report slots."""

    def name(self) -> str:
        return "action_start_report"

    def refusal(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[list[EventType]]:
        got = fetch(dispatcher, "get_reporter", lambda: current_reporter(tracker))
        if not got.ok:
            return [SlotSet("report_allowed", False)]
        reporter = got.value
        if reporter is None:
            dispatcher.utter_message(text="Thầy/cô chưa đăng ký người báo cáo nên chưa gửi báo cáo được. "
                                          + HOW_TO_REGISTER,
                                     buttons=[{"title": "Đăng ký báo cáo", "payload": "/register_reporter"}])
            return [SlotSet("report_allowed", False)]
        if not reporter.approved:
            dispatcher.utter_message(text=f"Đăng ký của thầy/cô ({nfc(reporter.unit)}) "
                                          "đang chờ Sở/Phòng GD&ĐT duyệt, nên chưa gửi báo cáo được. "
                                          "Vui lòng thử lại sau khi được duyệt.")
            return [SlotSet("report_allowed", False)]
        return None

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        refused = self.refusal(dispatcher, tracker)
        if refused is not None:
            return refused + clear(REPORT_SLOTS)
        return [SlotSet("report_allowed", True), SlotSet("report_session", uuid.uuid4().hex), *clear(REPORT_SLOTS)]


class ActionEditReport(ActionStartReport):
    """"Sửa": the target stays, the period, value and comment are asked again, in a new form
    session (so the corrected confirmation is a new revision, not a duplicate)."""

    def name(self) -> str:
        return "action_edit_report"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("report_target"):
            dispatcher.utter_message(text="Không có báo cáo nào đang chờ xác nhận để sửa. "
                                          "Gõ \"báo cáo tiến độ\" để bắt đầu báo cáo mới.")
            return [SlotSet("report_allowed", False)]
        refused = self.refusal(dispatcher, tracker)
        if refused is not None:
            return refused + clear(REPORT_SLOTS)
        dispatcher.utter_message(text="Sửa báo cáo: nhập lại kỳ báo cáo và kết quả (chỉ tiêu giữ nguyên; "
                                      "muốn đổi chỉ tiêu thì gõ \"hủy\" rồi báo cáo lại).")
        return [SlotSet("report_allowed", True), SlotSet("report_session", uuid.uuid4().hex),
                *clear(("report_period", "report_value", "report_comment"))]


def summary_text(tracker: Tracker) -> Optional[str]:
    option = safe_target(tracker.get_slot("report_target"))
    value = tracker.get_slot("report_value")
    if option is None or value is None or not tracker.get_slot("report_period"):
        return None
    comment = tracker.get_slot("report_comment") or "(không)"
    return (f"Kiểm tra lại báo cáo:\n"
            f"• Chỉ tiêu: {describe_target(option)}\n"
            f"• Căn cứ: {citation(option)}\n"
            f"• Kỳ báo cáo: {tracker.get_slot('report_period')}\n"
            f"• Kết quả: {figure(value, option.unit)}\n"
            f"• Ghi chú: {comment}\n"
            "Bấm \"Xác nhận\" để lưu, \"Sửa\" để nhập lại, \"Hủy\" để bỏ.")


class ActionReportSummary(OffLoop, Action):
    def name(self) -> str:
        return "action_report_summary"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = summary_text(tracker)
        if text is None:
            dispatcher.utter_message(text="Báo cáo chưa đủ thông tin. Gõ \"báo cáo tiến độ\" để bắt đầu lại.")
            return []
        dispatcher.utter_message(text=text, buttons=[{"title": "Xác nhận", "payload": "/confirm"},
                                                     {"title": "Sửa", "payload": "/edit"},
                                                     {"title": "Hủy", "payload": "/cancel"}])
        return []


class ActionSubmitReport(OffLoop, Action):
    def name(self) -> str:
        return "action_submit_report"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        session_id = tracker.get_slot("report_session")
        target, period = tracker.get_slot("report_target"), tracker.get_slot("report_period")
        value = tracker.get_slot("report_value")
        if not (session_id and target and period) or value is None:
            dispatcher.utter_message(text="Không có báo cáo nào đang chờ xác nhận. "
                                          "Gõ \"báo cáo tiến độ\" để bắt đầu báo cáo.")
            return []
        got = fetch(dispatcher, "get_reporter", lambda: current_reporter(tracker))
        if not got.ok:
            return []
        reporter = got.value
        if reporter is None or not reporter.approved:
            dispatcher.utter_message(text="Chưa lưu: thầy/cô chưa được duyệt làm người báo cáo. " + HOW_TO_REGISTER)
            return []
        got = fetch(dispatcher, "save_report", lambda: reporting.save_report(
            reporter_id=reporter.id, target_id=int(target) if str(target).isdigit() else target,
            period_label=period, value=float(value), comment=tracker.get_slot("report_comment") or None,
            idempotency_key=idempotency_key(tracker.sender_id, session_id)),
            prefix="Chưa lưu được báo cáo: ",
            data_error=DATA_ERROR + " Báo cáo chưa được lưu; bấm \"Xác nhận\" lần nữa để thử lại.")
        if got.error == "user":
            return [*clear(REPORT_SLOTS), SlotSet("report_session", None)]
        if not got.ok:
            return []
        saved = got.value
        revision = saved.revision
        option = safe_target(target)
        what = f"{figure(value, option.unit if option is not None else None)} cho {period}"
        if not saved.created:
            text = f"Báo cáo này đã được lưu trước đó (mã {saved.report_id}, lần sửa thứ {revision}); không lưu lại."
        elif revision > 1:
            text = f"Đã lưu, lần sửa thứ {revision}: {what} (mã báo cáo {saved.report_id}). Cảm ơn thầy/cô!"
        else:
            text = f"Đã lưu báo cáo: {what} (mã báo cáo {saved.report_id}). Cảm ơn thầy/cô!"
        dispatcher.utter_message(text=text)
        # the slots stay until the next report starts: a repeated confirmation finds the same key
        return []


class ActionCancelReport(OffLoop, Action):
    """"Hủy"/"thôi": stops whichever form is active, clears its slots, saves nothing."""

    def name(self) -> str:
        return "action_cancel_report"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        loop = (tracker.active_loop or {}).get("name")
        # always: the rules expect the loop closed after this action, form or not
        events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        if loop == "registration_form":
            dispatcher.utter_message(response="utter_registration_cancelled")
            return events + clear(REGISTRATION_SLOTS)
        pending = loop == "report_form" or (tracker.get_slot("report_target") and tracker.get_slot("report_session"))
        if pending:
            dispatcher.utter_message(response="utter_report_cancelled")
        else:
            dispatcher.utter_message(response="utter_nothing_to_cancel")
        return events + clear(REPORT_SLOTS) + [SlotSet("report_session", None)]


# ---------------------------------------------------------------------------- staff questions


class StaffQuestion(OffLoop):
    """Mixin of the staff questions over the reports (``class ActionX(StaffQuestion, Action)``;
    not an :class:`Action` itself, which rasa_sdk would register): the question read once
    (:class:`Question`), the answer built by :meth:`answer` from the data layer, its errors
    answered by :func:`fetch`."""

    what = "report question"

    def answer(self, question: Question, tracker: Tracker) -> str:
        raise NotImplementedError

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question = Question.of(tracker)
        got = fetch(dispatcher, self.what, lambda: self.answer(question, tracker), **self.fetch_options())
        if got.ok:
            dispatcher.utter_message(text=got.value)
        return []

    def fetch_options(self) -> dict:
        return {}


class ActionAnswerProgress(StaffQuestion, Action):
    """"tiến độ chỉ tiêu họp trực tuyến của Cần Thơ năm 2024?" → for signed-in staff of the
    plan's Sở/Phòng: figures per unit (within their area), the figure over the units, the
    verdict and its rule, and the citation; for anyone else the plan-level figures only."""

    what = "progress_by_words"

    def name(self) -> str:
        return "action_answer_progress"

    def answer(self, question: Question, tracker: Tracker) -> str:
        staff = current_staff(tracker)
        progress = reporting.progress_by_words(question.words, question.period, question.area)
        plan_area = reporting.area_key(progress.target.issuer)
        if staff is None or not staff.sees_area(plan_area):
            return plan_level(progress) + "\n" + STAFF_ONLY
        scope = staff.scope(plan_area)
        if scope and reporting.area_key(question.area or "") != staff.area_key():
            progress = reporting.progress_by_words(question.words, question.period, scope)  # only their own area
        return describe_progress(progress)


def plan_level(progress: reporting.Progress) -> str:
    """The figures, the verdict and its rule with the citation: no unit, no name, no missing list."""
    return f"{progress.headline()}{progress.figures()} {progress.citation}"


def describe_progress(progress: reporting.Progress) -> str:
    """The data layer's summary (coverage, figure, verdict and rule, who has not reported,
    citation), then each unit's latest figure."""
    lines = [progress.summary()]
    unit = progress.target.unit
    for row in progress.units[:15]:
        verdict = {True: " — đạt", False: " — chưa đạt"}.get(row.on_track, "")
        again = f", lần sửa {row.revision}" if row.revision > 1 else ""
        lines.append(f"• {row.unit}: {figure(row.value, unit)}{verdict} ({row.author}{again})")
    if len(progress.units) > 15:
        lines.append(f"… và {len(progress.units) - 15} đơn vị khác.")
    if progress.aggregate is not None:
        lines.append("Đánh giá: " + {True: "đạt chỉ tiêu, đúng tiến độ.", False: "chậm so với chỉ tiêu.",
                                     None: "chưa đủ báo cáo để kết luận."}[progress.on_track])
    return "\n".join(lines)


class ActionAnswerMissingReports(StaffQuestion, Action):
    """Signed-in staff only, and only the units of their own area."""

    what = "missing_reports"

    def name(self) -> str:
        return "action_answer_missing_reports"

    def answer(self, question: Question, tracker: Tracker) -> str:
        staff = current_staff(tracker)
        if staff is None:
            return STAFF_ONLY
        area, period = question.area, question.period
        missing = [row for row in reporting.missing_reports(area or staff.area, period, plan=question.plan)
                   if staff.sees_area(reporting.area_key(row.area))]
        where = f" ở {area}" if area else ""
        if not missing:
            return f"Tất cả đơn vị{where} đã báo cáo {period}."
        lines = [f"Các đơn vị{where} chưa báo cáo {period} ({len(missing)}):"]
        for row in missing[:30]:
            lines.append(f"• {row.unit} ({row.area}) — thiếu {len(row.missing)}/{row.total} chỉ tiêu "
                         f"của {row.plan_name}")
        if len(missing) > 30:
            lines.append(f"… và {len(missing) - 30} đơn vị khác.")
        return "\n".join(lines)


def export_format(text: str) -> str:
    return "csv" if "csv" in fold(text).lower() else "xlsx"


class ActionExportReport(StaffQuestion, Action):
    """Signed-in staff of the plan's Sở/Phòng only: the file is written under ``$EXPORTS_DIR``
    (out/exports) with an unguessable name and linked on the web server (``$EXPORTS_URL``),
    which serves it only to a signed-in staff session and only for ``EXPORT_TTL`` seconds."""

    what = "export_report"

    def name(self) -> str:
        return "action_export_report"

    def fetch_options(self) -> dict:
        from knowledge import queries

        return {"prefix": "Chưa xuất được: ", "user_errors": (queries.PlanNotFound, queries.AmbiguousPlan)}

    def answer(self, question: Question, tracker: Tracker) -> str:
        from knowledge import queries
        from reporting.exports import export_report

        staff = current_staff(tracker)
        if staff is None:
            return STAFF_ONLY
        plan, period, fmt = question.plan, question.period, export_format(question.text)
        if not plan:
            return "Thầy/cô muốn xuất báo cáo của kế hoạch nào? Ví dụ: \"xuất báo cáo kế hoạch 148 năm 2024\"."
        plan_area = reporting.area_key(queries.document_info(plan).issuer)
        if not staff.sees_area(plan_area):
            return f"Kế hoạch này không thuộc phạm vi của {staff.unit}, nên không xuất được báo cáo các đơn vị."
        path = Path(export_report(plan, period, fmt, exports_dir(), area=staff.scope(plan_area),
                                  token=secrets.token_urlsafe(18)))
        return (f"Đã xuất báo cáo kế hoạch {plan} {period} ({fmt.upper()}): {exports_url()}/{path.name} "
                "(tải được khi đã đăng nhập, trong 1 giờ)")


__all__ = ["ActionRegisterReporter", "ActionStartReport", "ActionEditReport", "ActionReportSummary",
           "ActionSubmitReport", "ActionCancelReport", "ActionAnswerProgress", "ActionAnswerMissingReports",
           "ActionExportReport", "idempotency_key", "plan_level"]
