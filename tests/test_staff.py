"""Staff accounts (knowledge/staff.py) through the command line a Sở administrator uses: the
password is read from stdin (never argv), stored as an argon2 hash, and checked; a staff member
belongs to a Sở or Phòng, never a school; who may see which plan's per-unit data."""
from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from conftest import PROJECT_ROOT, run_cli
from knowledge import staff
from knowledge.db import make_session_factory
from reporting.models import Staff

PASSWORD = "mot-mat-khau-dai-2024"


def _cli(kb: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "knowledge", "--kb", kb, "staff", *args], input=password + "\n",
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
                          env={"PYTHONPATH": str(PROJECT_ROOT), "PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"})


def test_staff_cli_add_passwd_list(sqlite_kb_url: str) -> None:
    kb = sqlite_kb_url
    assert run_cli("units", "import", str(PROJECT_ROOT / "samples" / "units.csv"), kb=kb).returncode == 0
    done = _cli(kb, "add", "Lan.So", "--name", "Nguyễn Thị Lan", "--unit", "Sở GD&ĐT Cần Thơ")
    assert done.returncode == 0 and "Đã thêm cán bộ Nguyễn Thị Lan" in done.stdout, done.stdout + done.stderr
    again = _cli(kb, "add", "lan.so", "--name", "Khác", "--unit", "Sở GD&ĐT Cần Thơ")
    assert again.returncode == 1 and "đã có" in again.stderr
    school = _cli(kb, "add", "gv.chau", "--name", "Giáo Viên", "--unit", "Trường THPT Châu Văn Liêm")
    assert school.returncode == 1 and "Sở hoặc Phòng" in school.stderr, school.stderr
    short = _cli(kb, "add", "ngan", "--name", "Ngắn", "--unit", "Sở GD&ĐT Cần Thơ", password="123")
    assert short.returncode == 1 and "ít nhất" in short.stderr
    listed = _cli(kb, "list")
    assert "lan.so" in listed.stdout and "Cần Thơ" in listed.stdout and PASSWORD not in listed.stdout
    factory = make_session_factory(kb)
    with factory() as s:
        stored = s.execute(select(Staff.password_hash)).scalar_one()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert staff.authenticate("lan.so", PASSWORD, session=s).unit.startswith("Sở Giáo dục")
        assert staff.authenticate("LAN.SO ", PASSWORD, session=s) is not None
        assert staff.authenticate("lan.so", PASSWORD + "x", session=s) is None
        assert staff.authenticate("khong.co", PASSWORD, session=s) is None
    assert _cli(kb, "passwd", "lan.so", password="mat-khau-moi-2025").returncode == 0
    with factory() as s:
        assert staff.authenticate("lan.so", PASSWORD, session=s) is None
        assert staff.authenticate("lan.so", "mat-khau-moi-2025", session=s) is not None
    factory.kw["bind"].dispose()


def test_who_sees_which_plan() -> None:
    so = staff.StaffInfo(1, "a", "A", "Sở GD&ĐT Lai Châu", "sở", "tỉnh Lai Châu", True)
    phong = staff.StaffInfo(2, "b", "B", "Phòng GD&ĐT Mường Tè", "phòng", "huyện Mường Tè", True)
    other = staff.StaffInfo(3, "c", "C", "Sở GD&ĐT Cần Thơ", "sở", "thành phố Cần Thơ", True)
    assert so.sees_area("lai chau") and so.scope("lai chau") is None
    assert so.sees_area("muong te") and so.scope("muong te") is None  # a district plan of the province
    assert phong.sees_area("muong te") and phong.scope("muong te") is None
    assert phong.sees_area("lai chau") and phong.scope("lai chau") == "huyện Mường Tè"  # only its district
    assert not other.sees_area("lai chau") and not other.sees_area("muong te")
