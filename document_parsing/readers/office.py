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
import signal
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


# What a .doc / .odt can start with: an OLE2 compound file (Word 97–2003), and what Word itself
# also opens under that name — RTF, HTML/XML and a zipped package (.docx or .odt renamed).
SIGNATURES = {".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf", b"PK\x03\x04", b"<"),
              ".odt": (b"PK\x03\x04",)}


def looks_valid(path: Path) -> bool:
    """Whether the file starts as its format must: a quick refusal of a corrupt or mislabelled
    file before LibreOffice imports it as plain text."""
    with path.open("rb") as handle:
        head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(SIGNATURES.get(path.suffix.lower(), (b"",)))


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
        # Its own process group: on timeout the whole LibreOffice tree (soffice → oosplash →
        # soffice.bin) is killed, not just the shell script at its top.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, start_new_session=True)
    except OSError as exc:
        raise ParseError(f"không chạy được LibreOffice ({exc.strerror or exc})") from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        raise ParseError(f"LibreOffice không chuyển đổi xong tệp trong {timeout:g} giây") from exc
    finally:
        _kill_group(process)  # a helper process left behind would hold the profile
    output = outdir / "input.docx"
    if process.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        detail = (stderr or stdout).decode("utf-8", "replace").strip().splitlines()
        reason = f" ({detail[-1]})" if detail else ""
        raise ParseError(f"tệp {path.suffix.lower()} hỏng hoặc LibreOffice không đọc được{reason}")
    return output


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the process group LibreOffice runs in (ours alone: ``start_new_session``) and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass


def read_office(path: Union[str, Path]) -> tuple[list[Block], None]:
    """Blocks of a .doc / .odt file, read as the .docx LibreOffice makes of it."""
    path = Path(path)
    if not looks_valid(path):
        kind = "tài liệu Word 97–2003" if path.suffix.lower() == ".doc" else "tài liệu OpenDocument"
        raise ParseError(f"tệp {path.suffix.lower()} hỏng hoặc không phải {kind}")
    with tempfile.TemporaryDirectory(prefix="kehoach-soffice-") as tmp:
        converted = convert_to_docx(path, Path(tmp))
        return read_docx(converted)
