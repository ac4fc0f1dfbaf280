"""``python -m knowledge`` as a user runs it (subprocess): ingest with good and bad files,
list, show, lookups, export for the scorer, Vietnamese errors and exit codes."""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GOLD, PLAN_NAMES, PLANS, SCORER, run_cli

VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)


@pytest.fixture(scope="module")
def cli_kb(tmp_path_factory) -> str:
    """A KB with the four text renderings ingested through the CLI."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'kb.sqlite3'}"
    done = run_cli("ingest", *(str(PLANS / f"{n}.txt") for n in PLAN_NAMES), kb=url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã nhập 4/4 tệp" in done.stdout
    return url


def test_list_shows_every_plan(cli_kb: str) -> None:
    done = run_cli("list", kb=cli_kb)
    assert done.returncode == 0, done.stderr
    for name in PLAN_NAMES:
        assert name in done.stdout
    assert "3381/KH-UBND" in done.stdout and "(không số)" in done.stdout


def test_show_is_a_vietnamese_summary(cli_kb: str) -> None:
    done = run_cli("show", "lam dong", kb=cli_kb)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Kế hoạch số 3381/KH-UBND của Ủy ban nhân dân tỉnh Lâm Đồng" in out
    assert "Ngày ban hành: 08/06/2017" in out and "Giai đoạn: 2016–2025" in out
    assert "Chỉ tiêu (" in out and "Sở Tài chính" in out


def test_targets_and_who(cli_kb: str) -> None:
    done = run_cli("targets", "--plan", "lamdong-3381-2017", "--year", "2020", "hop", "truc", "tuyen", kb=cli_kb)
    assert done.returncode == 0, done.stderr
    assert "70%" in done.stdout and "mục I.2.a" in done.stdout
    done = run_cli("who", "Sở TC", kb=cli_kb)
    assert done.returncode == 0, done.stderr
    assert "Sở Tài chính" in done.stdout and "148/KH-UBND" in done.stdout


def test_unknown_plan_is_a_vietnamese_error(cli_kb: str) -> None:
    done = run_cli("show", "Hà Nội", kb=cli_kb)
    assert done.returncode == 1
    assert "Không tìm thấy kế hoạch “Hà Nội”" in done.stderr
    assert "Traceback" not in done.stderr


def test_export_json_is_readable_by_the_scorer(cli_kb: str, tmp_path: Path) -> None:
    out = tmp_path / "export"
    done = run_cli("export-json", str(out), kb=cli_kb)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.glob("*.json")) == [f"{n}.json" for n in PLAN_NAMES]
    data = json.loads((out / "lamdong-3381-2017.json").read_text(encoding="utf-8"))
    assert set(data) == {"plan", "document", "targets", "tasks", "responsibilities", "appendix_projects", "deadlines"}
    assert data["document"]["number"] == "3381/KH-UBND" and data["document"]["period"] == [2016, 2025]
    gold = tmp_path / "gold"  # the gold of the plans ingested here
    gold.mkdir()
    for name in PLAN_NAMES:
        shutil.copy(GOLD / f"{name}.json", gold / f"{name}.json")
    scored = subprocess.run([sys.executable, str(SCORER), "extraction", str(gold), str(out)],
                            capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0, scored.stderr
    assert "no prediction file" not in scored.stdout
    last = scored.stdout.strip().splitlines()[-1]
    assert last.startswith("SCORE document_fields=")
    assert float(re.search(r"targets_f1=([\d.]+)", last).group(1)) > 0.5


def test_export_uses_the_plan_name_without_rendering_suffix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    assert run_cli("ingest", "--no-progress", str(PLANS / "muongte-2022.autonum.docx"), kb=url).returncode == 0
    assert run_cli("export-json", str(tmp_path / "out"), kb=url).returncode == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["muongte-2022.json"]


def _bad_files(folder: Path) -> dict[str, Path]:
    """One file per way a user's file can be wrong."""
    import docx

    folder.mkdir()
    files = {}
    source = (PLANS / "lamdong-3381-2017.docx").read_bytes()
    files["truncated"] = folder / "cat-ngang.docx"
    files["truncated"].write_bytes(source[: len(source) // 3])
    files["random"] = folder / "ngau-nhien.pdf"
    files["random"].write_bytes(random.Random(7).randbytes(8192))
    files["empty"] = folder / "rong.txt"
    files["empty"].write_bytes(b"")
    menu = docx.Document()
    for line in ["THỰC ĐƠN TUẦN", "Thứ hai: cơm, canh chua, cá kho.", "Thứ ba: phở bò.", "Giá có thể thay đổi."]:
        menu.add_paragraph(line)
    files["menu"] = folder / "thuc-don.docx"
    menu.save(files["menu"])
    notice = docx.Document()
    for line in ["ỦY BAN NHÂN DÂN XÃ A", "THÔNG BÁO", "Về lịch nghỉ Tết", "I. NỘI DUNG",
                 "1. Cơ quan nghỉ Tết từ ngày 20 đến hết ngày 26 tháng 01.", "2. Lịch trực do Văn phòng bố trí.",
                 "II. GHI CHÚ", "1. Mọi người nghỉ Tết vui vẻ."]:
        notice.add_paragraph(line)
    files["notice"] = folder / "thong-bao.docx"
    notice.save(files["notice"])
    return files


@pytest.mark.parametrize("progress", [True, False], ids=["progress", "no-progress"])
def test_bad_files_fail_one_line_each_and_good_files_still_land(tmp_path: Path, progress: bool) -> None:
    bad = _bad_files(tmp_path / "bad")
    good = tmp_path / "good"
    good.mkdir()
    for name in ("daklak-4575-2018.txt", "muongte-2022.docx"):
        shutil.copy(PLANS / name, good / name)
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    args = ["ingest", str(tmp_path / "bad"), str(good)] + ([] if progress else ["--no-progress"])
    done = run_cli(*args, kb=url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    error_lines = [line for line in done.stderr.splitlines() if line.strip()]
    for path in bad.values():
        mine = [line for line in error_lines if path.name in line]
        assert len(mine) == 1, (path.name, done.stderr)
        assert mine[0].startswith("Lỗi: ") and VIETNAMESE.search(mine[0].split(path.name, 1)[1]), mine[0]
    assert "rỗng" in next(line for line in error_lines if "rong.txt" in line)
    assert "không phải kế hoạch" in next(line for line in error_lines if "thong-bao.docx" in line)
    assert "Đã nhập 2/7 tệp; 5 tệp lỗi." in done.stdout
    listed = run_cli("list", kb=url)
    assert "daklak-4575-2018" in listed.stdout and "muongte-2022" in listed.stdout


def test_unreachable_database_is_a_vietnamese_error(tmp_path: Path) -> None:
    done = run_cli("list", kb="postgresql+psycopg2://nobody@127.0.0.1:1/none")
    assert done.returncode == 1
    assert done.stderr.startswith("Lỗi: không mở được cơ sở tri thức") and "Traceback" not in done.stderr
