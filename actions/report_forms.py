"""Forms of the progress-reporting conversation: registration and the report itself.

Rasa asks each slot of ``registration_form`` / ``report_form`` (bot/domain/reports.yml) in
turn, fills it from the user's text and calls the ``validate_<slot>`` methods below; a method
returning ``{slot: None}`` makes the form ask again, after the Vietnamese explanation it sent.
The ``action_ask_*`` classes ask the slots whose question depends on the data (candidate units
and targets as buttons, the target's unit of measure).

Data comes from the package :mod:`reporting` only, called through
:func:`actions.report_data.fetch` where it touches the database.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import reporting
from document_parsing.text_utils import fold, nfc
from reporting.values import parse_period, parse_value

from .off_loop import OffLoop
from .report_data import DATA_ERROR, fetch

logger = logging.getLogger(__name__)

MAX_OPTIONS = 5
NO_COMMENT = {"khong", "ko", "k", "kg", "khong co", "khong co gi", "khong co ghi chu", "bo qua", "-", ".",
              "khong can", "khong a", "da khong", "khong co y kien", "khong co ghi chu gi"}
# Words of "tôi muốn báo cáo tiến độ chỉ tiêu …" that say what the user does, not which target.
REQUEST_WORDS = set("""
bao cao tien do ket qua chi tieu thuc hien cap nhat nhap gui nop so lieu toi em minh thay co
muon can cho xin duoc de la cua ve truong phong so don vi nam nay bat dau da dat nhu sau
""".split())


# ---------------------------------------------------------------------------- helpers


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def current_staff(tracker: Tracker):
    """The signed-in Sở/Phòng staff member behind this chat, or None.

    Only the web chat can say so: its channel (bot/channels/socketio.py) puts a short-lived
    claim, signed from the web server's verified session, in the message metadata.  The token is verified again here (signature,
    age, freshness of the sign-in) and the account is looked up in the database, so neither a
    client's metadata nor an old sign-in is believed."""
    if channel_of(tracker) != "socketio":
        return None
    token = (tracker.latest_message.get("metadata") or {}).get("web_claim")
    from bot import sessions

    try:
        session = sessions.verify_claim(token)
    except sessions.SessionSecretMissing:
        logger.error("WEB_SESSION_SECRET is not set on the action server: nobody is staff")
        return None
    username = session.staff_now() if session else None
    if not username:
        return None
    from knowledge.staff import get_staff

    return get_staff(username)


def current_reporter(tracker: Tracker):
    """The reporter registered for this chat user (channel + sender id), or None."""
    return reporting.get_reporter(channel_of(tracker), tracker.sender_id)


def payload(text: Any) -> Optional[tuple[str, dict]]:
    """``/choose_target{"target_id":"12"}`` → ("choose_target", {"target_id": "12"})."""
    match = re.fullmatch(r"\s*/(\w+)\s*(\{.*\})?\s*", str(text or ""), re.S)
    if not match:
        return None
    try:
        entities = json.loads(match[2]) if match[2] else {}
    except ValueError:
        entities = {}
    return match[1], entities if isinstance(entities, dict) else {}


def entity(tracker: Tracker, name: str) -> Optional[str]:
    for ent in tracker.latest_message.get("entities") or []:
        if ent.get("entity") == name and ent.get("value") not in (None, ""):
            return str(ent["value"])
    return None


def chosen(value: Any, tracker: Tracker, intent: str, key: str, options: Optional[list]) -> Optional[str]:
    """The id the user picked: a button's payload (or its parsed entity), or "2" for the second
    option shown; None when the text is something else."""
    parsed = payload(value)
    if parsed and parsed[0] == intent and parsed[1].get(key) not in (None, ""):
        return str(parsed[1][key])
    if (tracker.latest_message.get("intent") or {}).get("name") == intent and entity(tracker, key):
        return entity(tracker, key)
    text = nfc(value).rstrip(".)")
    if options and re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= len(options):
        return str(options[int(text) - 1])
    return None


def content_words(text: str, drop: set[str] = REQUEST_WORDS) -> str:
    """The words of ``text`` that may name a target or a unit (request words dropped)."""
    if payload(text):
        return ""
    words = re.findall(r"[^\W_]+%?|\d+(?:[.,/]\d+)*%?", nfc(text))
    return " ".join(w for w in words if fold(w).lower() not in drop)


def attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return default


def format_number(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.2f}".rstrip("0").rstrip(".").replace(",", " ").replace(".", ",").replace(" ", ".")


def figure(value: Any, unit: Optional[str]) -> str:
    shown = format_number(value)
    if not unit:
        return shown
    return f"{shown}%" if unit == "%" else f"{shown} {unit}"


def describe_target(option: Any, width: int = 160) -> str:
    """"Tỷ lệ cuộc họp trực tuyến ≥ 70% (năm 2020) — Kế hoạch 148/KH-UBND, mục III.2.a"."""
    text = nfc(attr(option, "text", default=""))
    if len(text) > width:
        text = text[: width - 1].rsplit(" ", 1)[0] + "…"
    value, unit = attr(option, "value"), attr(option, "unit")
    shown = option.figure() if hasattr(option, "figure") else figure(value, unit)
    goal = f" — chỉ tiêu: {shown}" if value is not None else ""
    year = attr(option, "year")
    return f"{text}{goal}{f' (năm {year})' if year else ''}"


def target_button_title(option: Any, index: int) -> str:
    section = attr(option, "section")
    plan = attr(option, "plan_number", "plan", default="")
    head = f"{index}. {describe_target(option, width=70)}"
    return f"{head} [{plan}{', mục ' + str(section) if section else ''}]"


def citation(option: Any) -> str:
    """"Kế hoạch số 148/KH-UBND của …, mục III.2.a" (without the data layer's parentheses)."""
    cited = attr(option, "citation")
    if cited:
        cited = nfc(cited)
        return cited[1:-1] if cited.startswith("(") and cited.endswith(")") else cited
    plan = attr(option, "plan_number", "plan", default="")
    section = attr(option, "section")
    return f"Kế hoạch {plan}" + (f", mục {section}" if section else "")


def safe_target(target_id: Any):
    try:
        return reporting.target_option(int(target_id))
    except Exception:  # noqa: BLE001 - unknown id, data layer down: the caller asks again
        logger.exception("target_option(%s) failed", target_id)
        return None


# ---------------------------------------------------------------------------- registration


def normalise_phone(text: str) -> Optional[str]:
    """"0912 345 678", "+84 912.345.678", "84912345678" → "0912345678" (:func:`reporting.normalise_phone`);
    None if not a Vietnamese number."""
    try:
        return reporting.normalise_phone(nfc(text))
    except reporting.ReportingError:
        return None


def unit_label(unit: Any) -> str:
    name = nfc(attr(unit, "name", default=str(unit)))
    area = nfc(attr(unit, "area", default=""))
    return f"{name} ({area})" if area and fold(area).lower() not in fold(name).lower() else name


def unit_value(unit: Any) -> str:
    """What the reporter_unit slot keeps and register_reporter receives: the unit's name and
    area ("Trường THCS Lê Quý Đôn thành phố Cần Thơ"), which names exactly one unit."""
    return " ".join(p for p in (nfc(attr(unit, "name", default=str(unit))), nfc(attr(unit, "area", default=""))) if p)


class ValidateRegistrationForm(OffLoop, FormValidationAction):
    """Name (two words or more), unit (one of the known units; buttons when several fit),
    phone (a Vietnamese mobile or landline number)."""

    def name(self) -> str:
        return "validate_registration_form"

    def validate_reporter_name(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"reporter_name": None}
        name = " ".join(nfc(slot_value).split())
        if payload(name) or len(name) > 100 or not re.fullmatch(r"[^\W\d_]+(?:[ .'-]+[^\W\d_]+)+", name):
            dispatcher.utter_message(text="Xin nhập đầy đủ họ và tên (chỉ gồm chữ, ví dụ: Nguyễn Thị Lan).")
            return {"reporter_name": None}
        return {"reporter_name": name.title() if name == name.lower() else name}

    def validate_reporter_unit(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"reporter_unit": None}
        options = [str(o).split("\t", 1) for o in tracker.get_slot("reporter_unit_options") or []]
        picked = chosen(slot_value, tracker, "choose_unit", "unit_id", [o[0] for o in options])
        named = {o[0]: o[1] for o in options if len(o) == 2}
        if picked and picked in named:
            return {"reporter_unit": named[picked], "reporter_unit_options": None}
        got = fetch(dispatcher, "find_units",
                    lambda: reporting.find_units(content_words(str(slot_value), drop=set())))
        if not got.ok:
            return {"reporter_unit": None}
        typed_label = fold(nfc(slot_value)).lower()
        units = [u for u in got.value if fold(unit_value(u)).lower() == typed_label] or got.value
        typed = fold(nfc(slot_value)).lower()
        exact = [u for u in units if fold(nfc(attr(u, "name", default=""))).lower() == typed]
        if len(exact) == 1 or len(units) == 1:
            unit = (exact or units)[0]
            return {"reporter_unit": unit_value(unit), "reporter_unit_options": None}
        if not units:
            dispatcher.utter_message(text=f"Không tìm thấy đơn vị “{nfc(slot_value)}”. Hãy nhập tên trường, "
                                          "phòng hoặc sở kèm địa bàn, ví dụ: Trường THCS Lê Lợi Cần Thơ.")
            return {"reporter_unit": None, "reporter_unit_options": None}
        shown = units[:MAX_OPTIONS]
        dispatcher.utter_message(
            text="Có nhiều đơn vị trùng tên, thầy/cô chọn đúng đơn vị (hoặc gõ số thứ tự):",
            buttons=[{"title": f"{i}. {unit_label(u)}", "payload": '/choose_unit{"unit_id":"%s"}' % attr(u, "id")}
                     for i, u in enumerate(shown, 1)])
        return {"reporter_unit": None,
                "reporter_unit_options": [f"{attr(u, 'id')}\t{unit_value(u)}" for u in shown]}

    def validate_reporter_phone(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"reporter_phone": None}
        try:
            return {"reporter_phone": reporting.normalise_phone(nfc(slot_value))}
        except reporting.ReportingError as exc:
            dispatcher.utter_message(text=str(exc))
            return {"reporter_phone": None}


class AskReporterUnit(OffLoop, Action):
    def name(self) -> str:
        return "action_ask_reporter_unit"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("reporter_unit_options"):  # the buttons were just shown otherwise
            dispatcher.utter_message(text="Thầy/cô báo cáo cho đơn vị nào? Nhập tên trường, phòng hoặc sở "
                                          "(ví dụ: Phòng GD&ĐT Ninh Kiều, Trường THCS Lê Lợi).")
        return []


# ---------------------------------------------------------------------------- report


def target_options(tracker: Tracker, text: str) -> list:
    reporter = current_reporter(tracker)
    if reporter is None:
        return []
    return list(reporting.candidate_targets(reporter, content_words(text), limit=MAX_OPTIONS))


def target_buttons(options: list) -> list[dict]:
    return [{"title": target_button_title(o, i), "payload": '/choose_target{"target_id":"%s"}' % attr(o, "target_id")}
            for i, o in enumerate(options, 1)]


def outside_unit(tracker: Tracker, option: Any) -> Optional[str]:
    """Why the reporter may not report on this target (its plan does not cover their unit),
    or None.  save_report checks it again; asking here spares typing a whole report first."""
    try:
        reporter = current_reporter(tracker)
        if reporter is None:
            return None
        if reporting.unit_covered(option.issuer or "", reporter.area):
            return None
    except Exception:  # noqa: BLE001 - save_report decides then
        logger.exception("coverage check failed")
        return None
    return (f"Thầy/cô chỉ được báo cáo cho đơn vị của mình: {reporter.unit} ({reporter.area}) không thuộc phạm vi "
            f"{citation(option).split(', mục')[0].strip('()')}. Hãy chọn chỉ tiêu trong danh sách.")


class AskReportTarget(OffLoop, Action):
    """The targets that best fit the user's words (their first message, or what they typed
    since) as buttons; "2" or a button picks one."""

    def name(self) -> str:
        return "action_ask_report_target"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        got = fetch(dispatcher, "candidate_targets",
                    lambda: target_options(tracker, text) or (target_options(tracker, "") if content_words(text) else []),
                    data_error=DATA_ERROR + " Gõ \"hủy\" để dừng.")
        if not got.ok:
            return [SlotSet("report_target_options", None)]
        options = got.value
        if not options:
            dispatcher.utter_message(text="Không tìm thấy chỉ tiêu nào của đơn vị thầy/cô trong các kế hoạch. "
                                          "Gõ vài từ của chỉ tiêu (ví dụ \"họp trực tuyến\") hoặc \"hủy\" để dừng.")
            return [SlotSet("report_target_options", None)]
        dispatcher.utter_message(text="Thầy/cô báo cáo chỉ tiêu nào? Chọn một nút (hoặc gõ số thứ tự, "
                                      "hay vài từ khác để tìm chỉ tiêu khác):",
                                 buttons=target_buttons(options))
        return [SlotSet("report_target_options", [str(attr(o, "target_id")) for o in options])]


class AskReportValue(OffLoop, Action):
    """"Kết quả đạt được (tỷ lệ %, từ 0 đến 100)?" with the chosen target's unit."""

    def name(self) -> str:
        return "action_ask_report_value"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        option = safe_target(tracker.get_slot("report_target"))
        unit = attr(option, "unit") if option is not None else None
        if unit == "%":
            how = "tỷ lệ phần trăm, từ 0 đến 100, ví dụ 72,5"
        elif unit:
            how = f"số {unit}, số nguyên, ví dụ 12"
        else:
            how = "một số, ví dụ 12"
        goal = f" Chỉ tiêu kế hoạch: {figure(attr(option, 'value'), unit)}." if option is not None and \
            attr(option, "value") is not None else ""
        period = tracker.get_slot("report_period")
        dispatcher.utter_message(text=f"Kết quả đạt được {period or ''} là bao nhiêu ({how})?{goal}".replace("  ", " "))
        return []


class ValidateReportForm(OffLoop, FormValidationAction):
    """Target (a button, a number or words to search again), period (parse_period), value
    (parse_value with the target's unit), comment (optional: "không" skips)."""

    def name(self) -> str:
        return "validate_report_form"

    def validate_report_target(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"report_target": None}
        options = tracker.get_slot("report_target_options") or []
        picked = chosen(slot_value, tracker, "choose_target", "target_id", options)
        if picked is None and not options and re.fullmatch(r"\d+", nfc(slot_value).strip()):
            picked = nfc(slot_value).strip()  # the id kept from before ("Sửa" restarts the form with the target)
        if picked is None:
            # words: search again; one clear match is taken, several are shown by the ask action
            try:
                found = target_options(tracker, str(slot_value)) if content_words(str(slot_value)) else []
            except Exception:  # noqa: BLE001
                logger.exception("candidate_targets failed")
                found = []
            if len(found) == 1:
                picked = str(attr(found[0], "target_id"))
            else:
                if not found:
                    dispatcher.utter_message(text=f"Không thấy chỉ tiêu nào khớp “{nfc(slot_value)}”.")
                return {"report_target": None}
        option = safe_target(picked)
        if option is None:
            dispatcher.utter_message(text="Chỉ tiêu này không còn trong cơ sở dữ liệu. Thầy/cô chọn chỉ tiêu khác.")
            return {"report_target": None}
        refusal = outside_unit(tracker, option)
        if refusal:
            dispatcher.utter_message(text=refusal)
            return {"report_target": None}
        dispatcher.utter_message(text=f"Chỉ tiêu: {describe_target(option)} ({citation(option)}).")
        return {"report_target": str(attr(option, "target_id")), "report_target_options": None}

    def validate_report_period(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"report_period": None}
        try:
            period = parse_period(nfc(slot_value))
        except ValueError as exc:
            dispatcher.utter_message(text=str(exc))
            return {"report_period": None}
        return {"report_period": period.label}

    def validate_report_value(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"report_value": None}
        option = safe_target(tracker.get_slot("report_target"))
        unit = attr(option, "unit") if option is not None else None
        try:
            value = parse_value(nfc(slot_value), unit)
        except ValueError as exc:
            dispatcher.utter_message(text=str(exc))
            return {"report_value": None}
        return {"report_value": value}

    def validate_report_comment(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if slot_value is None:  # cleared when the form (re)started: nothing to check
            return {"report_comment": None}
        text = " ".join(nfc(slot_value).split())
        if fold(text).lower().strip(" .!") in NO_COMMENT or payload(text):
            return {"report_comment": ""}
        if len(text) > 1000:
            dispatcher.utter_message(text="Ghi chú dài quá 1000 ký tự, xin viết ngắn lại.")
            return {"report_comment": None}
        return {"report_comment": text}


__all__ = ["ValidateRegistrationForm", "ValidateReportForm", "AskReporterUnit", "AskReportTarget",
           "AskReportValue"]
