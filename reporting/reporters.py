"""Reporters: the people who report for one unit, known by their chat channel and user id.

A reporter is tied to one existing unit and may report only once an administrator approved
them; approval vouches for "this person reports for this unit", so moving to another unit
withdraws it until approved again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Union

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from document_parsing.text_utils import clean_space
from knowledge.db import session_scope, write_transaction

from .errors import ReportingError
from .models import Reporter
from .units import resolve_unit


@dataclass
class ReporterInfo:
    id: int
    name: str
    unit: str
    unit_id: int
    area: str
    phone: str
    approved: bool
    channel: str
    channel_user: str


_PHONE_HELP = "hãy nhập số di động 10 chữ số (ví dụ 0912 345 678 hoặc +84 912 345 678)"


def normalise_phone(phone: str) -> str:
    """A Vietnamese phone number as 10 (mobile) or 11 (landline 02x) digits starting with 0:
    "+84 912.345.678" → "0912345678".  Raises :class:`ReportingError`."""
    raw = clean_space(phone or "")
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isdigit() or not (re.fullmatch(r"0[35789]\d{8}", digits) or re.fullmatch(r"02\d{9}", digits)):
        raise ReportingError(f"Số điện thoại “{raw}” không hợp lệ: {_PHONE_HELP}.")
    return digits


def _reporter_info(r: Reporter) -> ReporterInfo:
    return ReporterInfo(id=r.id, name=r.name, unit=r.unit.name, unit_id=r.unit_id, area=r.unit.area, phone=r.phone,
                        approved=r.approved, channel=r.channel, channel_user=r.channel_user)


def register_reporter(channel: str, channel_user: str, name: str, unit_name: str, phone: str, *,
                      session: Optional[Session] = None) -> ReporterInfo:
    """Register (or update) the reporter behind one chat user.  The unit must exist (fuzzy
    match; ambiguity or no match raises with the candidates); the phone must be Vietnamese.
    Re-registering keeps the approval only if the unit is unchanged."""
    name = clean_space(name or "")
    if not name:
        raise ReportingError("Bạn chưa cho biết họ tên.")
    if not clean_space(channel or "") or not clean_space(str(channel_user or "")):
        raise ReportingError("Không xác định được tài khoản trò chuyện của bạn; hãy thử lại.")
    phone = normalise_phone(phone)
    for attempt in range(2):
        try:
            with write_transaction(session) as s:
                unit = resolve_unit(s, unit_name)
                reporter = s.execute(select(Reporter).where(Reporter.channel == channel,
                                                            Reporter.channel_user == str(channel_user))
                                     ).scalar_one_or_none()
                now = datetime.utcnow()
                if reporter is None:
                    reporter = Reporter(channel=channel, channel_user=str(channel_user), approved=False,
                                        created_at=now)
                    s.add(reporter)
                elif reporter.unit_id != unit.id:
                    reporter.approved, reporter.approved_at = False, None
                reporter.name, reporter.unit, reporter.phone, reporter.updated_at = name, unit, phone, now
                s.flush()
                return _reporter_info(reporter)
        except IntegrityError:  # the same user registering twice at once: update the winner's row
            if attempt:
                raise
    raise AssertionError("unreachable")


def get_reporter(channel: str, channel_user: str, *, session: Optional[Session] = None) -> Optional[ReporterInfo]:
    """The reporter behind a chat user, or None if they never registered."""
    with session_scope(session) as s:
        reporter = s.execute(select(Reporter).where(Reporter.channel == channel,
                                                    Reporter.channel_user == str(channel_user))).scalar_one_or_none()
        return _reporter_info(reporter) if reporter else None


def approve_reporter(reporter_id_or_phone: Union[int, str], *, session: Optional[Session] = None) -> ReporterInfo:
    """Approve a reporter by id ("12") or phone ("0912 345 678"); a phone shared by several
    registrations is refused with their ids, so an administrator approves exactly whom they mean."""
    key = clean_space(str(reporter_id_or_phone))
    with write_transaction(session) as s:
        if key.isdigit() and len(key) < 9:
            found = s.execute(select(Reporter).where(Reporter.id == int(key))).scalars().all()
        else:
            found = s.execute(select(Reporter).where(Reporter.phone == normalise_phone(key))).scalars().all()
        if not found:
            raise ReportingError(f"Không tìm thấy người báo cáo “{key}”.")
        if len(found) > 1:
            ids = [f"{r.id} ({r.name}, {r.unit.name}, {r.channel})" for r in found]
            raise ReportingError(f"Số {key} có {len(found)} đăng ký: {'; '.join(ids)}. Hãy duyệt theo mã số.", ids)
        reporter = found[0]
        if not reporter.approved:
            reporter.approved, reporter.approved_at = True, datetime.utcnow()
        s.flush()
        return _reporter_info(reporter)


def list_reporters(pending_only: bool = False, *, session: Optional[Session] = None) -> list[ReporterInfo]:
    """Reporters (only those awaiting approval with ``pending_only``), oldest first."""
    with session_scope(session) as s:
        query = select(Reporter).order_by(Reporter.id)
        if pending_only:
            query = query.where(Reporter.approved.is_(False))
        return [_reporter_info(r) for r in s.execute(query).scalars()]


__all__ = ["ReporterInfo", "normalise_phone", "register_reporter", "get_reporter", "approve_reporter",
           "list_reporters"]
