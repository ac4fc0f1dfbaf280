"""``make run``'s supervisor (bot/serve.py) as a user starts it: REST is off unless REST_TOKEN
is set, secrets are generated when unset, and a crashed server is restarted while the others
keep serving (a crash used to stop all three)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.servers import free_port
from bot.testing import build_kb
from bot.train import ROOT, rasa_env


def _pids(module: str, port: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if module.encode() in argv and str(port).encode() in argv:
            found.append(int(proc.name))
    return found


def _status(url: str, body: bytes | None = None) -> int:
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0  # nothing listening (yet)


def test_make_run_rest_off_and_a_crashed_server_is_restarted():
    work = Path(tempfile.mkdtemp(prefix="serve-test-"))
    ports = {"RASA_PORT": free_port(), "ACTION_PORT": free_port(), "WEB_PORT": free_port(),
             "DASHBOARD_PORT": free_port()}
    env = {**rasa_env(), **{k: str(v) for k, v in ports.items()}, "KB_URL": build_kb(work),
           "LOG_DIR": str(work / "logs"), "EXPORTS_DIR": str(work / "exports")}
    for name in ("REST_TOKEN", "RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "WEB_SESSION_SECRET", "WEB_ORIGINS"):
        env.pop(name, None)
    out = open(work / "serve.out", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "bot.serve"], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while "Nhấn Ctrl-C" not in (work / "serve.out").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (work / "serve.out").read_text()[-3000:]
            time.sleep(1)
        text = (work / "serve.out").read_text()
        assert "Kênh REST: tắt" in text and "Đã tạo ngẫu nhiên" in text, text
        assert f"Bảng theo dõi của cán bộ: http://127.0.0.1:{ports['DASHBOARD_PORT']}/dashboard/" in text, text
        assert _status(f"http://127.0.0.1:{ports['DASHBOARD_PORT']}/dashboard/health") == 200
        rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"
        message = json.dumps({"sender": "x", "message": "xin chào"}).encode()
        assert _status(f"{rasa}/webhooks/rest/webhook", message) == 403
        (action_pid,) = _pids("bot.action_server", ports["ACTION_PORT"])
        os.kill(action_pid, signal.SIGKILL)
        time.sleep(2)
        assert _status(f"http://127.0.0.1:{ports['WEB_PORT']}/") == 200  # the others keep serving
        deadline = time.monotonic() + 300
        while _status(f"http://127.0.0.1:{ports['ACTION_PORT']}/health") != 200:
            assert proc.poll() is None, (work / "serve.out").read_text()[-3000:]
            assert time.monotonic() < deadline, "the action server was not restarted"
            time.sleep(2)
        assert "Khởi động lại actions" in (work / "serve.out").read_text()
        assert _pids("bot.action_server", ports["ACTION_PORT"]) != [action_pid]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
