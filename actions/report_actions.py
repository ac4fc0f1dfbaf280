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

Data: :mod:`knowledge.reporting`, :mod:`knowledge.report_values`, :mod:`knowledge.report_exports`
(errors are :class:`knowledge.reporting.ReportingError` with a Vietnamese message, shown as is).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import uuid
from pathlib import Path
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from document_parsing.text_utils import fold, nfc

from .off_loop import OffLoop
from .report_forms import (DATA_ERROR, attr, channel_of, citation, current_reporter, current_staff, describe_target,
                           figure, report_values, reporting, safe_target)

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
REPORT_SLOTS = ("report_target", "report_period", "report_value", "report_comment", "report_target_options")
REGISTRATION_SLOTS = ("reporter_name", "reporter_unit", "reporter_phone", "reporter_unit_options")

STAFF_ONLY = ("Số liệu từng đơn vị, tên người báo cáo, danh sách đơn vị chưa báo cáo và tệp tổng hợp chỉ dành cho "
              "cán bộ Sở/Phòng GD&ĐT phụ trách, đã đăng nhập trên trang web (nút \"Đăng nhập cán bộ\").")

HOW_TO_REGISTER = ("Để báo cáo, thầy/cô cần đăng ký người báo cáo: gõ \"đăng ký báo cáo\", nhập họ tên, "
                   "đơn vị và số điện thoại; sau khi Sở/Phòng GD&ĐT duyệt là báo cáo được.")


def reporting_error() -> type:
    try:
        return reporting().ReportingError
    except Exception:  # noqa: BLE001 - the data layer is missing: nothing is a ReportingError
        return type("NoReportingError", (Exception,), {})


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
        try:
            info = reporting().register_reporter(channel=channel_of(tracker), channel_user=tracker.sender_id,
                                                 name=name, unit_name=unit, phone=phone)
        except reporting_error() as exc:
            dispatcher.utter_message(text=f"Chưa đăng ký được: {exc}")
            return clear(REGISTRATION_SLOTS)
        except Exception:  # noqa: BLE001
            logger.exception("register_reporter failed")
            dispatcher.utter_message(text=DATA_ERROR)
            return clear(REGISTRATION_SLOTS)
        unit_name = nfc(attr(info, "unit", default=unit))
        if attr(info, "approved"):
            dispatcher.utter_message(text=f"Đã cập nhật đăng ký của {nfc(attr(info, 'name', default=name))} "
                                          f"({unit_name}). Thầy/cô đã được duyệt: gõ \"báo cáo tiến độ\" để báo cáo.")
        else:
            dispatcher.utter_message(
                text=f"Đã nhận đăng ký của {nfc(attr(info, 'name', default=name))} — {unit_name}, "
                     f"điện thoại {attr(info, 'phone', default=phone)}. Vui lòng chờ Sở/Phòng GD&ĐT duyệt; "
                     "sau khi được duyệt, gõ \"báo cáo tiến độ\" để gửi báo cáo.")
        return clear(REGISTRATION_SLOTS)


# ---------------------------------------------------------------------------- the report


class ActionStartReport(OffLoop, Action):
    """Refuses (with how to register) unless the user is an approved reporter; otherwise a new
    form session starts with empty report slots."""

    def name(self) -> str:
        return "action_start_report"

    def refusal(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[list[EventType]]:
        try:
            reporter = current_reporter(tracker)
        except Exception:  # noqa: BLE001
            logger.exception("get_reporter failed")
            dispatcher.utter_message(text=DATA_ERROR)
            return [SlotSet("report_allowed", False)]
        if reporter is None:
            dispatcher.utter_message(text="Thầy/cô chưa đăng ký người báo cáo nên chưa gửi báo cáo được. "
                                          + HOW_TO_REGISTER,
                                     buttons=[{"title": "Đăng ký báo cáo", "payload": "/register_reporter"}])
            return [SlotSet("report_allowed", False)]
        if not attr(reporter, "approved"):
            dispatcher.utter_message(text=f"Đăng ký của thầy/cô ({nfc(attr(reporter, 'unit', default=''))}) "
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
            f"• Kết quả: {figure(value, attr(option, 'unit'))}\n"
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
        try:
            reporter = current_reporter(tracker)
            if reporter is None or not attr(reporter, "approved"):
                dispatcher.utter_message(text="Chưa lưu: thầy/cô chưa được duyệt làm người báo cáo. " + HOW_TO_REGISTER)
                return []
            saved = reporting().save_report(
                reporter_id=attr(reporter, "id"), target_id=int(target) if str(target).isdigit() else target,
                period_label=period, value=float(value), comment=tracker.get_slot("report_comment") or None,
                idempotency_key=idempotency_key(tracker.sender_id, session_id))
        except reporting_error() as exc:
            dispatcher.utter_message(text=f"Chưa lưu được báo cáo: {exc}")
            return [*clear(REPORT_SLOTS), SlotSet("report_session", None)]
        except Exception:  # noqa: BLE001
            logger.exception("save_report failed")
            dispatcher.utter_message(text=DATA_ERROR + " Báo cáo chưa được lưu; bấm \"Xác nhận\" lần nữa để thử lại.")
            return []
        revision = attr(saved, "revision", default=1)
        option = safe_target(target)
        what = f"{figure(value, attr(option, 'unit') if option is not None else None)} cho {period}"
        if not attr(saved, "created", default=True):
            text = f"Báo cáo này đã được lưu trước đó (mã {attr(saved, 'report_id')}, lần sửa thứ {revision}); không lưu lại."
        elif revision and int(revision) > 1:
            text = f"Đã lưu, lần sửa thứ {revision}: {what} (mã báo cáo {attr(saved, 'report_id')}). Cảm ơn thầy/cô!"
        else:
            text = f"Đã lưu báo cáo: {what} (mã báo cáo {attr(saved, 'report_id')}). Cảm ơn thầy/cô!"
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

_PERIOD_PATTERNS = (
    r"n[aă]m\s+h[oọ]c\s+\d{4}\s*[-–/]\s*\d{4}",
    r"\b(?:qu[yý]|q)\s*(?:\d|i{1,3}|iv)\s*(?:/|-|n[aă]m)?\s*(?:n[aă]m\s+)?\d{4}",
    r"\b\d{4}\s*[-–]\s*\d{4}",
    r"\bn[aă]m\s+\d{4}",
    r"\b(?:19|20)\d\d\b",
)
# Request words of the staff questions (not the target's words).
# Words a target never turns on ("họp", "học", "phòng", "bảng"… may: they stay).
QUESTION_WORDS = set("""
tien do chi tieu cua nam quy thuc hien ket qua bao cao bao nhieu da dat duoc roi den dau co khong ko
dung cham kip hay voi ke hoach thuc te tinh hinh xem tong cac nhung truong don vi nao chua
nop gui ai con danh sach thieu kiem tra cap nhat lieu vay la gi the nhu o tai toi cho
xuat file excel xlsx csv dang ra ve export ket du
""".split())


def find_period(text: str) -> tuple[Optional[str], str]:
    """The first reporting period written in ``text`` (its label) and the text without it."""
    low = nfc(text)
    for pattern in _PERIOD_PATTERNS:
        for match in re.finditer(pattern, low, re.I):
            try:
                label = report_values().parse_period(match[0]).label
            except ValueError:
                continue
            return label, (low[:match.start()] + " " + low[match.end():])
    return None, low


def area_words(text: str) -> Optional[str]:
    """The first place named in the question (see :func:`places`), or None."""
    found = places(text)
    return found[0] if found else None


def places(text: str) -> list[str]:
    """Place names in the question: provinces (knowledge.geography) and the places the KB has plans for."""
    from knowledge.geography import provinces_in

    names = list(provinces_in(text))
    try:
        from knowledge.search import known_places

        folded = f" {' '.join(re.findall(r'[0-9a-z]+', fold(text).lower()))} "
        for place in known_places():
            key = " ".join(re.findall(r"[0-9a-z]+", fold(place).lower()))
            if key and f" {key} " in folded and place not in names:
                names.append(place)
    except Exception:  # noqa: BLE001 - places are a refinement
        logger.exception("known_places failed")
    return names


def subject_words(text: str, area: Optional[str]) -> str:
    folded_area = set(fold(area or "").lower().split())
    words = re.findall(r"[^\W_]+", nfc(text))
    return " ".join(w for w in words if fold(w).lower() not in QUESTION_WORDS | folded_area and not w.isdigit())


def current_period_label() -> str:
    from datetime import date

    return f"năm {date.today().year}"


class ActionAnswerProgress(OffLoop, Action):
    """"tiến độ chỉ tiêu họp trực tuyến của Cần Thơ năm 2024?" → for signed-in staff of the
    plan's Sở/Phòng: figures per unit (within their area), the aggregate, on track or behind,
    and the citation; for anyone else the plan-level figure only."""

    def name(self) -> str:
        return "action_answer_progress"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        period, rest = find_period(text)
        period = period or current_period_label()
        area = area_words(rest)
        words = subject_words(rest, area)
        try:
            staff = current_staff(tracker)
            progress = reporting().progress_by_words(words, period, area)
            plan_area = reporting().area_key(progress.target.issuer)
            if staff is not None and staff.sees_area(plan_area):
                scope = staff.scope(plan_area)
                if scope and reporting().area_key(area or "") != staff.area_key():
                    progress = reporting().progress_by_words(words, period, scope)  # only their own area
                dispatcher.utter_message(text=describe_progress(progress, period))
            else:
                dispatcher.utter_message(text=plan_level(progress) + "\n" + STAFF_ONLY)
        except reporting_error() as exc:
            dispatcher.utter_message(text=str(exc))
        except Exception:  # noqa: BLE001
            logger.exception("progress_by_words failed")
            dispatcher.utter_message(text=DATA_ERROR)
        return []


def plan_level(progress: Any) -> str:
    """The aggregate figure and verdict with the citation: no unit, no name, no missing list."""
    target = progress.target
    where = f" tại {progress.area}" if progress.area else ""
    head = f"Chỉ tiêu “{target.subject or target.text}” ({target.figure()}){where}, {progress.period}: "
    if progress.aggregate is None:
        body = "chưa có số liệu báo cáo."
    else:
        verdict = "đạt" if progress.on_track else "chưa đạt"
        body = f"{progress.method} {figure(round(progress.aggregate, 1), target.unit)} — {verdict}."
    return f"{head}{body} {progress.citation}"


def describe_progress(progress: Any, period: str) -> str:
    """The data layer's summary (figure, đạt/chưa đạt, who has not reported, citation), then
    each unit's latest figure."""
    lines = [progress.summary()]
    unit = progress.target.unit
    for row in progress.units[:15]:
        verdict = {True: " — đạt", False: " — chưa đạt"}.get(row.on_track, "")
        again = f", lần sửa {row.revision}" if row.revision > 1 else ""
        lines.append(f"• {row.unit}: {figure(row.value, unit)}{verdict} ({row.author}{again})")
    if len(progress.units) > 15:
        lines.append(f"… và {len(progress.units) - 15} đơn vị khác.")
    if progress.aggregate is not None:
        lines.append("Đánh giá: " + ("đạt chỉ tiêu, đúng tiến độ." if progress.on_track else "chậm so với chỉ tiêu."))
    return "\n".join(lines)


class ActionAnswerMissingReports(OffLoop, Action):
    """Signed-in staff only, and only the units of their own area."""

    def name(self) -> str:
        return "action_answer_missing_reports"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        period, rest = find_period(text)
        period = period or current_period_label()
        area = area_words(rest)
        plan = plan_words(rest)
        try:
            staff = current_staff(tracker)
            if staff is None:
                dispatcher.utter_message(text=STAFF_ONLY)
                return []
            missing = [row for row in reporting().missing_reports(area or staff.area, period, plan=plan)
                       if staff.sees_area(reporting().area_key(row.area))]
        except reporting_error() as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        except Exception:  # noqa: BLE001
            logger.exception("missing_reports failed")
            dispatcher.utter_message(text=DATA_ERROR)
            return []
        where = f" ở {area}" if area else ""
        if not missing:
            dispatcher.utter_message(text=f"Tất cả đơn vị{where} đã báo cáo {period}.")
            return []
        lines = [f"Các đơn vị{where} chưa báo cáo {period} ({len(missing)}):"]
        for row in missing[:30]:
            lines.append(f"• {row.unit} ({row.area}) — thiếu {len(row.missing)}/{row.total} chỉ tiêu "
                         f"của {row.plan_name}")
        if len(missing) > 30:
            lines.append(f"… và {len(missing) - 30} đơn vị khác.")
        dispatcher.utter_message(text="\n".join(lines))
        return []


def plan_words(text: str) -> Optional[str]:
    """"kế hoạch 148" / "KH 3381" / "kế hoạch Mường Tè" → "148" / "3381" / "Mường Tè"; None otherwise."""
    match = re.search(r"\b(?:k[eế]\s*ho[aạ]ch|kh)\s+(?:s[oố]\s+)?(\d+[\w/.-]*)", nfc(text), re.I)
    if match:
        return match[1]
    match = re.search(r"\b(?:k[eế]\s*ho[aạ]ch|kh)\s+(?:c[uủ]a\s+)?([^\W\d_][^,.?!]*)", nfc(text), re.I)
    if match:
        words = [w for w in match[1].split() if fold(w).lower() not in QUESTION_WORDS]
        return " ".join(words[:4]) or None
    return None


def export_format(text: str) -> str:
    folded = fold(text).lower()
    if "csv" in folded:
        return "csv"
    return "xlsx"


class ActionExportReport(OffLoop, Action):
    """Signed-in staff of the plan's Sở/Phòng only: the file is written under ``$EXPORTS_DIR``
    (out/exports) with an unguessable name and linked on the web server (``$EXPORTS_URL``),
    which serves it only to a signed-in staff session and only for ``EXPORT_TTL`` seconds."""

    def name(self) -> str:
        return "action_export_report"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        period, rest = find_period(text)
        period = period or current_period_label()
        plan = plan_words(rest)
        fmt = export_format(text)
        from knowledge import queries, report_exports

        try:
            staff = current_staff(tracker)
            if staff is None:
                dispatcher.utter_message(text=STAFF_ONLY)
                return []
            if not plan:
                dispatcher.utter_message(text="Thầy/cô muốn xuất báo cáo của kế hoạch nào? Ví dụ: "
                                              "\"xuất báo cáo kế hoạch 148 năm 2024\".")
                return []

            plan_area = reporting().area_key(queries.document_info(plan).issuer)
            if not staff.sees_area(plan_area):
                dispatcher.utter_message(text=f"Kế hoạch này không thuộc phạm vi của {staff.unit}, "
                                              "nên không xuất được báo cáo các đơn vị.")
                return []
            path = Path(report_exports.export_report(plan, period, fmt, exports_dir(), area=staff.scope(plan_area),
                                                     token=secrets.token_urlsafe(18)))
        except (reporting_error(), queries.PlanNotFound, queries.AmbiguousPlan) as exc:
            dispatcher.utter_message(text=f"Chưa xuất được: {exc}")
            return []
        except Exception:  # noqa: BLE001
            logger.exception("export_report failed")
            dispatcher.utter_message(text=DATA_ERROR)
            return []
        link = f"{exports_url()}/{path.name}"
        dispatcher.utter_message(text=f"Đã xuất báo cáo {('kế hoạch ' + plan + ' ') if plan else ''}{period} "
                                      f"({fmt.upper()}): {link} (tải được khi đã đăng nhập, trong 1 giờ)")
        return []


__all__ = ["ActionRegisterReporter", "ActionStartReport", "ActionEditReport", "ActionReportSummary",
           "ActionSubmitReport", "ActionCancelReport", "ActionAnswerProgress", "ActionAnswerMissingReports",
           "ActionExportReport", "idempotency_key", "plan_level"]
