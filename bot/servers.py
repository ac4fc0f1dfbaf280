"""Start the real action server, Rasa server and web-chat page as subprocesses, and stop them.

Used by ``make run`` (bot/serve.py), ``make eval``, tests/test_bot_*.py and bench/chat.py, so
all of them run the same commands:

* ``python -m bot.action_server --actions actions`` (health: ``GET /health``; every other call
  needs the ``X-Action-Token`` header, which Rasa sends from endpoints.yml),
* ``python -m bot.rasa_server`` (``rasa run --enable-api`` with the API token from
  ``RASA_AUTH_TOKEN`` and CORS limited to the web page's origin; channels from credentials.yml),
* ``python -m bot.servers web`` over bot/web (the chat page and its vendored socket.io client,
  the signed session cookie, staff sign-in), also serving report exports (``out/exports/``) at
  ``/exports/<file>`` to signed-in staff only,
* ``python -m dashboard`` (with the web page): the staff dashboard under ``/dashboard``, sharing the
  web page's session secret, the knowledge base and the channels' settings (reminders).

Secrets come from the environment: ``RASA_AUTH_TOKEN``, ``ACTION_SERVER_TOKEN``,
``WEB_SESSION_SECRET`` and (REST channel, off when unset) ``REST_TOKEN``.  Whatever is unset is
generated for this run (:func:`run_secrets`); ``rest=True`` (tests, ``make eval``, benches)
also generates a REST token.

Everything listens on loopback (``host``, default 127.0.0.1).  Only the web page server and
Rasa's socket.io endpoint face users' browsers: to publish them, put a TLS reverse proxy
(nginx) in front and keep the action server and the Rasa API private.
"""
from __future__ import annotations

import json
import os
import secrets
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

from bot.train import ROOT, rasa_env

WEB_ROOT = ROOT / "bot" / "web"
EXPORTS_DIR = ROOT / "out" / "exports"
DASHBOARD_PREFIX = "/dashboard"  # the same path behind a reverse proxy (same origin as the chat)


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


SECRET_VARS = ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "WEB_SESSION_SECRET")
# Request body limits (bytes): Sanic reads SANIC_REQUEST_MAX_SIZE from the environment. The action
# server receives whole trackers, so it gets more room; only Rasa can reach it anyway.
RASA_MAX_BODY = int(os.environ.get("RASA_MAX_BODY", 64 * 1024))
ACTION_MAX_BODY = int(os.environ.get("ACTION_MAX_BODY", 16 * 1024 * 1024))

_rest_tokens: dict[str, str] = {}  # Rasa base URL -> REST token, for ask()
_api_tokens: dict[str, str] = {}  # Rasa base URL -> HTTP API token, for api_token()


def api_token(rasa_url: str) -> str:
    """The HTTP API token of the servers this process started at ``rasa_url`` (tests read trackers)."""
    return _api_tokens.get(rasa_url.rstrip("/")) or os.environ.get("RASA_AUTH_TOKEN", "")


def run_secrets(env: dict, rest: bool) -> dict[str, str]:
    """The secrets of one run: taken from ``env`` / the environment, else generated."""
    out = {}
    for name in SECRET_VARS + (("REST_TOKEN",) if rest else ()):
        out[name] = env.get(name) or os.environ.get(name) or secrets.token_urlsafe(32)
    if not rest and (env.get("REST_TOKEN") or os.environ.get("REST_TOKEN")):
        out["REST_TOKEN"] = env.get("REST_TOKEN") or os.environ["REST_TOKEN"]
    return out


def ask(base_url: str, text: str, sender: str, timeout: float = 60, token: Optional[str] = None) -> list[dict]:
    """One message over the REST channel (with the run's REST token); the bot's replies."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    token = token or _rest_tokens.get(base_url.rstrip("/")) or os.environ.get("REST_TOKEN", "")
    req = urllib.request.Request(base_url.rstrip("/") + "/webhooks/rest/webhook", body,
                                 {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


class BotServers:
    """Context manager: ``with BotServers(model) as s: s.rasa_url ...``."""

    def __init__(self, model: Path, rasa_port: Optional[int] = None, action_port: Optional[int] = None,
                 web_port: Optional[int] = None, with_web: bool = False, log_dir: Optional[Path] = None,
                 quiet: bool = True, host: str = "127.0.0.1", env: Optional[dict] = None,
                 actions_module: Optional[str] = None, rest: bool = True,
                 extra_origins: tuple[str, ...] = (), dashboard_port: Optional[int] = None):
        self.model = Path(model)
        self.host = host
        self.rasa_port = rasa_port or free_port()
        self.action_port = action_port or free_port()
        self.web_port = (web_port or free_port()) if with_web else None
        self.dashboard_port = (dashboard_port or free_port()) if with_web else None
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="bot-servers-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        self.procs: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, tuple[list[str], Optional[dict]]] = {}  # to restart a crashed one
        self.env = dict(env or {})  # e.g. KB_URL for the action server
        self.secrets = run_secrets(self.env, rest)
        self.env.update(self.secrets)
        self.rest = "REST_TOKEN" in self.secrets
        # the origins whose pages may open the socket.io channel and call the API from a browser:
        # the chat page, plus sites embedding a widget (WEB_ORIGINS in the environment adds more)
        origins = [self.web_origin] if self.web_port is not None else []
        origins += [*extra_origins, *filter(None, os.environ.get("WEB_ORIGINS", "").split(","))]
        self.env.setdefault("WEB_ORIGINS", ",".join(dict.fromkeys(o.strip().rstrip("/") for o in origins)))
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
    def web_origin(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def dashboard_url(self) -> Optional[str]:
        """The staff dashboard's front page (its own port; the same host, so the session cookie
        set by the web page's /login counts there too)."""
        if self.dashboard_port is None:
            return None
        return f"http://{self.host}:{self.dashboard_port}{DASHBOARD_PREFIX}/"

    @property
    def rasa_token(self) -> str:
        return self.secrets["RASA_AUTH_TOKEN"]

    @property
    def rest_token(self) -> Optional[str]:
        return self.secrets.get("REST_TOKEN")

    @property
    def web_url(self) -> Optional[str]:
        if self.web_port is None:
            return None
        return f"http://{self.host}:{self.web_port}/?server={self.rasa_url}"

    @property
    def dashboard_health(self) -> str:
        return f"http://{self.host}:{self.dashboard_port}{DASHBOARD_PREFIX}/health"

    def _spawn(self, name: str, cmd: list[str], extra_env: Optional[dict] = None) -> subprocess.Popen:
        self.commands[name] = (cmd, extra_env)
        out = open(self.log_dir / f"{name}.log", "ab") if self.quiet else None
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**rasa_env(), **self.env, **(extra_env or {})}, stdout=out,
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
        for port in filter(None, (self.rasa_port, self.action_port, self.web_port, self.dashboard_port)):
            if port_in_use(port):
                raise RuntimeError(f"Cổng {port} đang bận (đặt RASA_PORT / ACTION_PORT / WEB_PORT / DASHBOARD_PORT khác).")
        endpoints = self.log_dir / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "{self.action_url}/webhook"\n'
                             '  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n', encoding="utf-8")
        _api_tokens[self.rasa_url] = self.rasa_token
        if self.rest:
            _rest_tokens[self.rasa_url] = self.secrets["REST_TOKEN"]
        try:
            self._spawn("actions", [sys.executable, "-m", "bot.action_server", "--actions", self.actions_module,
                                    "--host", self.host, "--port", str(self.action_port)],
                        {"SANIC_REQUEST_MAX_SIZE": str(ACTION_MAX_BODY)})
            self._spawn("rasa", [sys.executable, "-m", "bot.rasa_server", "--host", self.host,
                                 "--port", str(self.rasa_port), "--model", str(self.model),
                                 "--credentials", str(ROOT / "credentials.yml"),
                                 "--endpoints", str(endpoints)],
                        {"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_BODY),
                         "SANIC_WEBSOCKET_MAX_SIZE": str(RASA_MAX_BODY)})
            if self.web_port is not None:
                self._spawn("web", [sys.executable, "-m", "bot.servers", "web", str(self.web_port),
                                    "--bind", self.host, "--exports", str(self.exports_dir)])
            if self.dashboard_port is not None:
                self._spawn("dashboard", [sys.executable, "-m", "dashboard", "--host", self.host,
                                          "--port", str(self.dashboard_port), "--prefix", DASHBOARD_PREFIX])
            self._wait("actions", f"{self.action_url}/health", timeout)
            self._wait("rasa", f"{self.rasa_url}/status?token={self.rasa_token}", timeout)
            if self.web_port is not None:
                self._wait("web", f"http://{self.host}:{self.web_port}/", 30)
            if self.dashboard_port is not None:
                self._wait("dashboard", self.dashboard_health, 120)
            # the first parse builds TensorFlow's graph: do it before anyone measures anything
            self.warm_up()
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, name: str, timeout: float = 240) -> None:
        """Start a crashed server again with the same command, ports and secrets; the others
        keep serving meanwhile."""
        cmd, extra_env = self.commands[name]
        self._spawn(name, cmd, extra_env)
        health = {"actions": f"{self.action_url}/health",
                  "rasa": f"{self.rasa_url}/status?token={self.rasa_token}",
                  "web": f"http://{self.host}:{self.web_port}/",
                  "dashboard": self.dashboard_health}[name]
        self._wait(name, health, timeout)

    def warm_up(self) -> None:
        """One parse through the token-protected API (works with REST off too)."""
        body = json.dumps({"text": "xin chào"}).encode()
        req = urllib.request.Request(f"{self.rasa_url}/model/parse?token={self.rasa_token}", body,
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            resp.read()

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
    """The chat page, sessions, staff sign-in and exports (bot/web_server.py)."""
    from bot.web_server import serve_web as serve

    serve(port, bind, exports)


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
