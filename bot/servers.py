"""Start the real action server, Rasa server and web-chat page as subprocesses, and stop them.

Used by ``make run`` (bot/serve.py), ``make eval``, tests/test_bot_*.py and bench/chat.py, so
all of them run the same commands:

* ``rasa run actions --actions actions`` (health: ``GET /health``),
* ``rasa run --enable-api --cors "*"`` with credentials.yml (REST + socket.io; ``GET /status``),
* ``python -m bot.servers web`` over bot/web (the chat page and its vendored socket.io client),
  also serving the action server's report exports (``out/exports/``) at ``/exports/<file>``.

Everything listens on loopback only.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from bot.train import RASA, ROOT, rasa_env

WEB_ROOT = ROOT / "bot" / "web"
EXPORTS_DIR = ROOT / "out" / "exports"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _get(url: str, timeout: float = 2.0) -> Optional[bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read()
    except (urllib.error.URLError, OSError, ValueError):
        return None


def ask(base_url: str, text: str, sender: str, timeout: float = 60) -> list[dict]:
    """One message over the REST channel; the bot's replies."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(base_url.rstrip("/") + "/webhooks/rest/webhook", body,
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


class BotServers:
    """Context manager: ``with BotServers(model) as s: s.rasa_url ...``."""

    def __init__(self, model: Path, rasa_port: Optional[int] = None, action_port: Optional[int] = None,
                 web_port: Optional[int] = None, with_web: bool = False, log_dir: Optional[Path] = None,
                 quiet: bool = True, host: str = "127.0.0.1", env: Optional[dict] = None,
                 actions_module: Optional[str] = None):
        self.model = Path(model)
        self.host = host
        self.rasa_port = rasa_port or free_port()
        self.action_port = action_port or free_port()
        self.web_port = (web_port or free_port()) if with_web else None
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="bot-servers-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = dict(env or {})  # e.g. KB_URL for the action server
        # report exports: written by the action server, served by the web page server
        self.exports_dir = Path(self.env.get("EXPORTS_DIR") or EXPORTS_DIR)
        if self.web_port is not None:
            self.env.setdefault("EXPORTS_URL", f"http://{self.host}:{self.web_port}/exports")
        self.env.setdefault("EXPORTS_DIR", str(self.exports_dir))
        # BOT_ACTIONS: another actions package (only to try the Rasa side before actions/ is ready)
        self.actions_module = actions_module or os.environ.get("BOT_ACTIONS", "actions")

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def web_url(self) -> Optional[str]:
        if self.web_port is None:
            return None
        return f"http://{self.host}:{self.web_port}/?server={self.rasa_url}"

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        out = open(self.log_dir / f"{name}.log", "wb") if self.quiet else None
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**rasa_env(), **self.env}, stdout=out,
                                stderr=subprocess.STDOUT if self.quiet else None,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(không có nhật ký)"

    def _wait(self, name: str, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            if _get(url) is not None:
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name} not ready at {url} after {timeout:.0f}s:\n{self.log_tail(name)}")

    def start(self, timeout: float = 240) -> "BotServers":
        for port in filter(None, (self.rasa_port, self.action_port, self.web_port)):
            if port_in_use(port):
                raise RuntimeError(f"Cổng {port} đang bận (đặt RASA_PORT / ACTION_PORT / WEB_PORT khác).")
        endpoints = self.log_dir / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "{self.action_url}/webhook"\n', encoding="utf-8")
        try:
            self._spawn("actions", [RASA, "run", "actions", "--actions", self.actions_module,
                                    "--port", str(self.action_port)])
            self._spawn("rasa", [RASA, "run", "--enable-api", "--cors", "*", "-i", self.host,
                                 "--port", str(self.rasa_port), "--model", str(self.model),
                                 "--credentials", str(ROOT / "credentials.yml"),
                                 "--endpoints", str(endpoints)])
            if self.web_port is not None:
                self._spawn("web", [sys.executable, "-m", "bot.servers", "web", str(self.web_port),
                                    "--bind", self.host, "--exports", str(self.exports_dir)])
            self._wait("actions", f"{self.action_url}/health", timeout)
            self._wait("rasa", f"{self.rasa_url}/status", timeout)
            if self.web_port is not None:
                self._wait("web", f"http://{self.host}:{self.web_port}/", 30)
            # the first parse builds TensorFlow's graph: do it before anyone measures anything
            ask(self.rasa_url, "xin chào", "warm-up")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def __enter__(self) -> "BotServers":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_web(port: int, bind: str = "127.0.0.1", exports: Path = EXPORTS_DIR) -> None:
    """The chat page (bot/web) and, under ``/exports/``, the report files the bot exported."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import unquote, urlsplit

    exports = Path(exports).resolve()
    exports.mkdir(parents=True, exist_ok=True)

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            route = unquote(urlsplit(path).path)
            if route.startswith("/exports/"):
                name = Path(route[len("/exports/"):]).name  # one file name, no folders
                return str(exports / name) if name else str(exports / ".none")
            return super().translate_path(path)

        def list_directory(self, path):  # never list the exports folder
            self.send_error(404)
            return None

    handler = functools.partial(Handler, directory=str(WEB_ROOT))
    with ThreadingHTTPServer((bind, port), handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="web chat page + report exports")
    parser.add_argument("command", choices=["web"])
    parser.add_argument("port", type=int)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--exports", type=Path, default=EXPORTS_DIR)
    args = parser.parse_args()
    try:
        serve_web(args.port, args.bind, args.exports)
    except KeyboardInterrupt:
        pass
