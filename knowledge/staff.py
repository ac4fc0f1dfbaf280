"""Staff of a Sở or Phòng GD&ĐT: accounts with argon2-hashed passwords, and what they may see.

Who may see per-unit figures: a signed-in staff member whose unit's area covers the plan's
area or lies inside it (a Sở of Cần Thơ sees Cần Thơ plans; a Phòng of huyện Mường Tè sees
its own district's plan and, for the Lai Châu province plan, only its district's units).
Citizens, schools and reporters get the plan-level figure at most.

Accounts are managed from the command line (``python -m knowledge staff add|passwd|list``);
the web server (bot/servers.py) signs staff in with :func:`authenticate`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from document_parsing.text_utils import clean_space, fold
from reporting import ReportingError, find_units
from reporting.models import Staff, Unit
from . import geography
from .db import session_scope
from .db import write_transaction as _writing
from .geography import area_key

STAFF_KINDS = ("sở", "phòng")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# A hash to verify against when the username is unknown: the answer then takes as long as a
# wrong password, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("không-có-tài-khoản-này")


@dataclass(frozen=True)
class StaffInfo:
    id: int
    username: str
    name: str
    unit: str
    unit_kind: str
    area: str
    active: bool

    def area_key(self) -> str:
        return area_key(self.area)

    def sees_area(self, plan_area_key: str) -> bool:
        """May this staff member see per-unit data of a plan issued for ``plan_area_key``?"""
        mine = self.area_key()
        return bool(mine) and (mine == plan_area_key or plan_area_key in geography.ancestors(self.area)
                               or mine in geography.ancestors(plan_area_key))

    def scope(self, plan_area_key: str) -> Optional[str]:
        """The area to restrict a plan's per-unit data to: None (the whole plan) when the staff
        member's area is the plan's or contains it, else their own (narrower) area."""
        mine = self.area_key()
        return None if mine == plan_area_key or mine in geography.ancestors(plan_area_key) else self.area


def _info(staff: Staff) -> StaffInfo:
    return StaffInfo(staff.id, staff.username, staff.name, staff.unit.name, staff.unit.kind, staff.unit.area,
                     staff.active)


def _check_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9._-]{3,100}", username):
        raise ReportingError("Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang (3–100 ký tự).")
    return username


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ReportingError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > 1000:
        raise ReportingError("Mật khẩu quá dài.")
    return password


def _staff_unit(s: Session, unit_words: str) -> Unit:
    found = find_units(unit_words, session=s)
    units = [u for u in found if fold(u.kind).lower() in {"so", "phong"}]
    if not units:
        raise ReportingError(f"Không có Sở/Phòng GD&ĐT nào khớp với “{clean_space(unit_words)}” "
                             "(cán bộ phải thuộc một Sở hoặc Phòng).")
    if len(units) > 1 and fold(units[0].name).lower() != fold(clean_space(unit_words)).lower():
        names = "; ".join(u.label() for u in units[:5])
        raise ReportingError(f"“{clean_space(unit_words)}” khớp với nhiều đơn vị: {names}. Hãy ghi rõ hơn.")
    return s.get(Unit, units[0].id)


def add_staff(username: str, name: str, unit_words: str, password: str, *,
              session: Optional[Session] = None) -> StaffInfo:
    username, password = _check_username(username), _check_password(password)
    name = clean_space(name or "")
    if not name:
        raise ReportingError("Thiếu họ tên cán bộ.")
    with _writing(session) as s:
        if s.execute(select(Staff).where(Staff.username == username)).scalar_one_or_none():
            raise ReportingError(f"Tên đăng nhập “{username}” đã có.")
        now = datetime.utcnow()
        staff = Staff(username=username, name=name, unit=_staff_unit(s, unit_words),
                      password_hash=_hasher.hash(password), active=True, created_at=now, updated_at=now)
        s.add(staff)
        s.flush()
        return _info(staff)


def set_password(username: str, password: str, *, session: Optional[Session] = None) -> StaffInfo:
    username, password = _check_username(username), _check_password(password)
    with _writing(session) as s:
        staff = s.execute(select(Staff).where(Staff.username == username)).scalar_one_or_none()
        if staff is None:
            raise ReportingError(f"Không có cán bộ “{username}”.")
        staff.password_hash, staff.updated_at = _hasher.hash(password), datetime.utcnow()
        s.flush()
        return _info(staff)


def list_staff(*, session: Optional[Session] = None) -> list[StaffInfo]:
    with session_scope(session) as s:
        return [_info(x) for x in s.execute(select(Staff).order_by(Staff.username)).scalars()]


def get_staff(username: str, *, session: Optional[Session] = None) -> Optional[StaffInfo]:
    """The active staff member with this username, or None (checked again on every use)."""
    with session_scope(session) as s:
        staff = s.execute(select(Staff).where(Staff.username == (username or "").strip().lower())
                          ).scalar_one_or_none()
        return _info(staff) if staff is not None and staff.active else None


def authenticate(username: str, password: str, *, session: Optional[Session] = None) -> Optional[StaffInfo]:
    """The staff member if the password is right (and the account active), else None."""
    username = (username or "").strip().lower()
    if len(password or "") > 1000:
        return None
    with session_scope(session) as s:
        staff = s.execute(select(Staff).where(Staff.username == username)).scalar_one_or_none()
        try:
            _hasher.verify(staff.password_hash if staff is not None else _DUMMY_HASH, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if staff is None or not staff.active:
            return None
        if _hasher.check_needs_rehash(staff.password_hash):
            with _writing(s):
                staff.password_hash = _hasher.hash(password)
        return _info(staff)


__all__ = ["StaffInfo", "add_staff", "set_password", "list_staff", "get_staff", "authenticate", "STAFF_KINDS"]
