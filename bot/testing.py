"""Shared, once-per-process bot servers for tests/test_bot_e2e.py and tests/test_bot_browser.py.

The model is trained once (cached in models/ by the hash of its inputs, bot/train.py); the
knowledge base is a fresh SQLite file with the sample plans and procedures, given to the action
server as KB_URL. The servers stop when the test process exits (and their process groups are
killed, so nothing outlives pytest).
"""
from __future__ import annotations

import atexit
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from bot.servers import BotServers, free_port
from bot.train import ROOT, ensure_model, rasa_env

PLANS = sorted((ROOT / "tests" / "data" / "plans").glob("*.txt"))
PROCEDURES = ROOT / "samples" / "procedures.yml"

_servers: Optional[BotServers] = None
_extra_env: dict[str, str] = {}


def add_server_env(env: dict[str, str]) -> None:
    """Environment for the shared servers, given before they start: the channel tests
    (tests/test_channels_*.py) point the Telegram and Zalo channels at their fake APIs this
    way when their module is imported, i.e. before any test starts the servers."""
    if _servers is not None and any(_servers.env.get(k) != v for k, v in env.items()):
        raise RuntimeError("The shared bot servers already run without this environment: "
                           f"{', '.join(sorted(env))}")
    _extra_env.update(env)


# A second loopback "site" that embeds the standard rasa-webchat widget (tests/test_webchat_widget.py):
# its origin is allowed to open the socket.io channel, like a real embedding site listed in WEB_ORIGINS.
EMBED_PORT = free_port()
EMBED_ORIGIN = f"http://127.0.0.1:{EMBED_PORT}"


def build_kb(folder: Path) -> str:
    """A SQLite knowledge base with the sample plans (text renderings) and procedures."""
    url = f"sqlite:///{folder / 'kb.sqlite3'}"
    env = {**rasa_env(), "KB_URL": url}
    steps = [[sys.executable, "-m", "knowledge", "--kb", url, "ingest", *map(str, PLANS)],
             [sys.executable, "-m", "knowledge.procedures", "load", str(PROCEDURES)]]
    for cmd in steps:
        out = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True)
        if out.returncode != 0:
            # a plan the extraction refuses is reported, the others are still answered from
            if "ingest" in cmd and re.search(r"Đã nhập [1-9]\d*/", out.stdout):
                print(f"Cảnh báo: {out.stdout.strip().splitlines()[-1]}\n{out.stderr.strip()[-1000:]}",
                      file=sys.stderr, flush=True)
                continue
            raise RuntimeError(f"{' '.join(cmd[1:4])} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return url


def shared_servers() -> BotServers:
    """Action server + Rasa + web page + staff dashboard (``dashboard_url``), started on free
    loopback ports at the first call."""
    global _servers
    if _servers is None:
        model, _ = ensure_model(quiet=True)
        work = Path(tempfile.mkdtemp(prefix="bot-test-"))
        kb_url = build_kb(work)
        servers = BotServers(model, with_web=True, log_dir=work / "logs", env={**_extra_env, "KB_URL": kb_url},
                             extra_origins=(EMBED_ORIGIN,))
        servers.start()
        atexit.register(servers.stop)
        _servers = servers
    return _servers
