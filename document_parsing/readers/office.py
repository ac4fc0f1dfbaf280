"""Reader for Word 97–2003 (.doc) and OpenDocument (.odt) renderings of a plan.

Neither format has a maintained pure-Python reader that keeps Word's numbering and tables, so
LibreOffice converts the file to .docx and :mod:`.docx` reads that, with everything it knows
(auto-numbering, merged cells, legacy fonts).  Each conversion runs in its own temporary
directory with its own LibreOffice profile (``-env:UserInstallation``): two conversions at once
would otherwise fight over the one profile lock and the second would silently do nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Union

from ..errors import ParseError
from ..model import Block
from .docx import read_docx

TIMEOUT_SECONDS = 120
SOFFICE_NAMES = ("soffice", "libreoffice")
MISSING = ("cần LibreOffice để đọc tệp {suffix}: hãy cài gói Debian libreoffice-writer-nogui "
           "(sudo apt-get install libreoffice-writer-nogui) hoặc lưu tệp thành .docx")


def find_soffice() -> Optional[str]:
    """The LibreOffice command on PATH (``SOFFICE`` in the environment overrides), or ``None``."""
    override = os.environ.get("SOFFICE")
    if override:
        return shutil.which(override)
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def convert_to_docx(path: Path, workdir: Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """Convert ``path`` with headless LibreOffice into ``workdir``; the .docx it wrote."""
    soffice = find_soffice()
    if soffice is None:
        raise ParseError(MISSING.format(suffix=path.suffix.lower()))
    profile = workdir / "profile"
    outdir = workdir / "out"
    outdir.mkdir()
    # The input is copied under a plain name: LibreOffice reads some characters in a path as
    # options or URL escapes, and the output name follows the input's.
    source = workdir / f"input{path.suffix.lower()}"
    shutil.copyfile(path, source)
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(source)]
    env = {**os.environ, "HOME": str(workdir)}  # nothing written to the user's own home
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                                env=env, start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        raise ParseError(f"LibreOffice không chuyển đổi xong tệp trong {timeout:.0f} giây") from exc
    except OSError as exc:
        raise ParseError(f"không chạy được LibreOffice ({exc.strerror or exc})") from exc
    output = outdir / "input.docx"
    if result.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        detail = (result.stderr or result.stdout).decode("utf-8", "replace").strip().splitlines()
        reason = f" ({detail[-1]})" if detail else ""
        raise ParseError(f"tệp {path.suffix.lower()} hỏng hoặc LibreOffice không đọc được{reason}")
    return output


def read_office(path: Union[str, Path]) -> tuple[list[Block], None]:
    """Blocks of a .doc / .odt file, read as the .docx LibreOffice makes of it."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="kehoach-soffice-") as tmp:
        converted = convert_to_docx(path, Path(tmp))
        return read_docx(converted)
