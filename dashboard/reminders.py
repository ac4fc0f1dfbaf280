"""Reminders to the reporters of a unit that has not reported: composed, sent through the
channel each reporter registered on, and recorded.

* Telegram: the Bot API ``sendMessage`` through the project's Telegram output
  (``TELEGRAM_TOKEN``, ``TELEGRAM_API_BASE``), private chat id = the reporter's Telegram user id;
* Zalo OA: the OA customer-service message API through the project's Zalo output (access token
  kept fresh with the single-use refresh token; ``ZALO_*`` variables);
* web chat / REST: a server cannot start a conversation there, so the reminder is recorded as
  "không gửi được" with the reporter's phone number for the staff member to call.

Every reminder is written to the ``reminders`` table *before* it is sent (see
:func:`dashboard.data.claim_reminder`): a second click on the same unit within
``REMINDER_WINDOW_MINUTES`` (default 30) sends nothing and shows the first one.

Command line, for the administrator::

    python -m dashboard.reminders --period "năm 2024" [--plan cantho-148-2017] [--dry-run]
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

from dashboard import data

logger = logging.getLogger(__name__)

PUSHABLE = ("telegram", "zalo")
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "trang trò chuyện web", "rest": "REST"}
MAX_LISTED = 10  # targets named in one reminder; the rest are counted


def window() -> timedelta:
    try:
        minutes = float(os.environ.get("REMINDER_WINDOW_MINUTES", "30"))
    except ValueError:
        minutes = 30.0
    return timedelta(minutes=max(minutes, 0.0))


def reminder_text(missing: data.MissingReport, period: data.Period, sender_unit: Optional[str]) -> str:
    """The Vietnamese reminder: who asks, which plan and period, which targets are owed."""
    owed = missing.missing[:MAX_LISTED]
    lines = [f"Nhắc báo cáo{f' từ {sender_unit}' if sender_unit else ''}:",
             f"{missing.unit} chưa báo cáo kỳ {period.label} theo {missing.plan_name} "
             f"({len(missing.missing)}/{missing.total} chỉ tiêu còn thiếu):"]
    lines += [f"- {item}" for item in owed]
    if len(missing.missing) > len(owed):
        lines.append(f"- … và {len(missing.missing) - len(owed)} chỉ tiêu khác")
    lines.append("Để báo cáo, hãy nhắn “báo cáo tiến độ” cho trợ lý và làm theo hướng dẫn.")
    return "\n".join(lines)


class ChannelSender:
    """Sends one text to one reporter; the channel outputs are made once and closed by :meth:`close`.
    The channel modules (and Rasa with them) are imported only when a reminder is sent."""

    def __init__(self) -> None:
        self._telegram: Any = None
        self._zalo: Any = None

    async def send(self, reporter: data.ReporterInfo, text: str) -> tuple[str, Optional[str]]:
        """(status, detail): ``sent``, or ``failed`` with the reason."""
        try:
            if reporter.channel == "telegram":
                return await self._send_telegram(reporter.channel_user, text)
            if reporter.channel == "zalo":
                return await self._send_zalo(reporter.channel_user, text)
        except Exception as exc:  # noqa: BLE001 - a network or API failure is recorded, not raised
            logger.warning("Không gửi được lời nhắc qua %s: %s", reporter.channel, exc)
            return "failed", f"Lỗi khi gửi: {type(exc).__name__}"
        return "failed", f"Kênh “{reporter.channel}” không gửi tin chủ động được."

    async def _send_telegram(self, chat_id: str, text: str) -> tuple[str, Optional[str]]:
        from bot.channels.messages import split_text
        from bot.channels.telegram import TEXT_LIMIT, TelegramOutput, TelegramSettings

        if self._telegram is None:
            settings = TelegramSettings.from_env()
            if not settings.enabled:
                return "failed", "Chưa cấu hình Telegram (TELEGRAM_TOKEN)."
            self._telegram = TelegramOutput(settings.token, settings.api_base)
        out = self._telegram
        for part in split_text(text, TEXT_LIMIT):
            if await out.safely(out.send_message, chat_id, part) is None:
                return "failed", "Telegram từ chối tin nhắn (người dùng đã chặn bot hoặc mã bot sai)."
        return "sent", None

    async def _send_zalo(self, user_id: str, text: str) -> tuple[str, Optional[str]]:
        from bot.channels.messages import split_text
        from bot.channels.zalo import TEXT_LIMIT, ZaloOutput, ZaloSettings

        if self._zalo is None:
            settings = ZaloSettings.from_env()
            if settings.missing:
                return "failed", f"Chưa cấu hình Zalo OA ({', '.join(settings.missing)})."
            self._zalo = ZaloOutput(settings)
        for part in split_text(text, TEXT_LIMIT):
            if not await self._zalo.send(user_id, {"text": part}):
                return "failed", "Zalo OA từ chối tin nhắn (người dùng chưa quan tâm OA hoặc quá hạn trả lời)."
        return "sent", None

    async def close(self) -> None:
        if self._telegram is not None:
            await self._telegram.close()
        if self._zalo is not None:
            await self._zalo.close()


@dataclass
class Outcome:
    """What one click did: ``records`` are the reminders written now, or — ``repeated`` — the
    ones made within the window, which this click did not repeat."""

    unit: str
    records: list[data.ReminderRecord] = field(default_factory=list)
    repeated: bool = False

    def summary(self) -> str:
        if self.repeated:
            first = self.records[0]
            return f"{self.unit}: đã nhắc lúc {first.when}, không gửi lại trong {int(window().total_seconds() // 60)} phút."
        parts = [describe(r) for r in self.records]
        return f"{self.unit}: " + "; ".join(parts)


def describe(record: data.ReminderRecord) -> str:
    """One reminder as the dashboard shows it."""
    channel = CHANNEL_NAMES.get(record.channel or "", record.channel or "")
    if record.status == "sent":
        return f"đã nhắc lúc {record.when} qua {channel}"
    if record.status == "sending":
        return f"đang gửi lời nhắc (lúc {record.when}) qua {channel}"
    if record.status == "no_reporter":
        return f"chưa có người báo cáo được duyệt để nhắc ({record.when})"
    if record.status == "not_pushable":
        return f"không nhắc tự động được qua {channel} ({record.when}): {record.detail}"
    return f"nhắc lúc {record.when} qua {channel} không thành công: {record.detail}"


def _messages(missing: data.MissingReport, reporters: list[data.ReporterInfo], text: str):
    if not reporters:
        return [(None, text, "no_reporter", "Đơn vị chưa có người báo cáo được duyệt.")]
    out = []
    for r in reporters:
        if r.channel in PUSHABLE:
            out.append((r, text, "sending", None))
        else:
            where = CHANNEL_NAMES.get(r.channel, r.channel)
            out.append((r, text, "not_pushable",
                        f"{r.name} dùng {where}, không gửi tin chủ động được; hãy gọi số {r.phone}."))
    return out


def prepare(plan: data.PlanSummary, period: data.Period, unit_id: int, sent_by: str,
            sender_unit: Optional[str]) -> tuple[Outcome, list[tuple[data.ReminderRecord, data.ReporterInfo, str]]]:
    """Blocking part (database): check the unit owes reports within the plan's scope, claim the
    reminder rows.  Returns the outcome so far and what is left to send."""
    owed = next((m for m in data.missing(plan, period) if m.unit_id == unit_id), None)
    if owed is None:
        raise data.ReportingError("Đơn vị này đã báo cáo đủ kỳ này hoặc không thuộc phạm vi của bạn.")
    reporters = data.approved_reporters({unit_id}).get(unit_id, [])
    text = reminder_text(owed, period, sender_unit)
    claim = data.claim_reminder(plan.plan, period.label, unit_id, sent_by, _messages(owed, reporters, text), window())
    if claim.recent:
        return Outcome(owed.unit, claim.recent, repeated=True), []
    by_id = {r.id: r for r in reporters}
    todo = [(rec, by_id[rec.reporter_id], text) for rec in claim.rows if rec.status == "sending"]
    return Outcome(owed.unit, claim.rows), todo


async def remind_unit(sender: ChannelSender, plan: data.PlanSummary, period: data.Period, unit_id: int,
                      sent_by: str, sender_unit: Optional[str]) -> Outcome:
    """Remind one late unit's reporters (database work in a thread, sending on the loop)."""
    outcome, todo = await asyncio.to_thread(prepare, plan, period, unit_id, sent_by, sender_unit)
    finished = {}
    for record, reporter, text in todo:
        status, detail = await sender.send(reporter, text)
        await asyncio.to_thread(data.finish_reminder, record.id, status, detail)
        finished[record.id] = status, detail
    outcome.records = [data.ReminderRecord(r.id, r.unit_id, r.reporter_id, r.channel, r.sent_by,
                                           *finished.get(r.id, (r.status, r.detail)), r.created_at)
                       for r in outcome.records]
    return outcome


# ---------------------------------------------------------------------------- command line


async def _remind_all(plans: list[data.PlanSummary], period: data.Period, dry_run: bool) -> int:
    sender = ChannelSender()
    who = f"cli:{getpass.getuser()}"
    count = 0
    try:
        for plan in plans:
            for owed in data.missing(plan, period):
                reporters = data.approved_reporters({owed.unit_id}).get(owed.unit_id, [])
                if dry_run:
                    names = ", ".join(f"{r.name} ({CHANNEL_NAMES.get(r.channel, r.channel)})" for r in reporters)
                    print(f"{plan.plan} · {owed.unit}: thiếu {len(owed.missing)}/{owed.total} chỉ tiêu; "
                          f"sẽ nhắc: {names or 'chưa có người báo cáo được duyệt'}")
                    continue
                outcome = await remind_unit(sender, plan, period, owed.unit_id, who, None)
                print(f"{plan.plan} · {outcome.summary()}")
                count += 1
    finally:
        await sender.close()
    return count


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.reminders",
                                     description="Nhắc các đơn vị chưa báo cáo một kỳ (qua kênh họ đã đăng ký).")
    parser.add_argument("--period", required=True, help="kỳ báo cáo, ví dụ “năm 2024”, “quý 2/2024”")
    parser.add_argument("--plan", help="tên kế hoạch (ví dụ cantho-148-2017); mặc định: mọi kế hoạch")
    parser.add_argument("--dry-run", action="store_true", help="chỉ liệt kê, không gửi")
    args = parser.parse_args(argv)
    try:
        period = data.parse_period(args.period)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    plans = data.all_plans()
    if args.plan:
        plans = [p for p in plans if p.plan == args.plan]
        if not plans:
            print(f"Không có kế hoạch “{args.plan}”.", file=sys.stderr)
            return 2
    try:
        asyncio.run(_remind_all(plans, period, args.dry_run))
    except data.ReportingError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
