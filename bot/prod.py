"""The production set-up on one machine: ``make prod`` / ``make prod-stop``.

On loopback, from Debian packages (postgresql-15, redis-server, nginx) and the project's venv:

* **PostgreSQL** (own cluster in ``run/prod/pgdata``, initialised as the ``postgres`` user because
  initdb refuses root) with two databases: ``kb`` (the knowledge base, ``KB_URL``) and ``rasa``
  (Rasa's ``SQLTrackerStore``: a conversation survives the replica that served it);
* **Redis** (no persistence) for the conversations' lock (``bot.lock_store.LeasedRedisLockStore``,
  Rasa's ``RedisLockStore`` with renewed leases), so two replicas never handle two messages of one
  conversation at once, and a killed replica's ticket lapses within one lease;
* **two Rasa replicas** (``rasa-1``, ``rasa-2``, ``python -m bot.rasa_server``) sharing both;
* **the action server** with several Sanic workers (``ACTION_SERVER_SANIC_WORKERS``, read by
  rasa_sdk; the workers are forked from one process group, so ``actions.pid`` stops them all);
* **the web page server** (bot/web_server.py) and, when the ``dashboard`` package exists, the
  staff dashboard under ``/dashboard``;
* **nginx** on ``PROD_PORT`` (default 8088) in front of all of it: ``/`` the chat page,
  ``/socket.io/`` and ``/webhooks/…`` (REST, Telegram, Zalo) to the replicas, ``/dashboard/``.
  A replica that dies is skipped (``proxy_next_upstream``); the message it was handling is
  retried on the other one, which reads the conversation from the tracker store.

Socket.io across replicas: the chat page connects with ``transports: ["websocket"]``
(bot/web/chat.js), so one connection lives on one replica from handshake to close and needs no
stickiness; when that replica dies the page reconnects, lands on the other and resumes the
same conversation (its signed session, bot/sessions.py, names it; the tracker store has it).
Clients that start with long-polling (the standard rasa-webchat widget) need every request of
one engine.io session on the same node: ``/socket.io/`` is therefore hashed by client address
(``hash $remote_addr consistent``) — sticky for them, harmless for websockets — while REST and
webhook calls are spread by ``least_conn``.  A proactive push from one replica reaches only
sockets on that replica (Rasa's AsyncServer has no Redis manager).

Every process writes ``run/prod/<name>.pid`` and ``run/prod/<name>.log``; ``make prod-stop``
stops them and keeps the data (``pgdata``).  Secrets come only from the environment:
``RASA_AUTH_TOKEN``, ``ACTION_SERVER_TOKEN``, ``WEB_SESSION_SECRET``, ``POSTGRES_PASSWORD``,
``REDIS_PASSWORD`` (and, to turn the channels on, ``REST_TOKEN``, ``TELEGRAM_*``, ``ZALO_*``).
For a local trial, what is unset is generated once into ``run/prod/secrets.env`` (mode 0600)
and read back on the next start (the PostgreSQL password is fixed when the cluster is created).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from bot.servers import ACTION_MAX_BODY, RASA_MAX_BODY, SECRET_VARS, free_port, port_in_use
from bot.train import ROOT, ensure_model, rasa_env

RUN_DIR = ROOT / "run" / "prod"
SAMPLE_PLANS = ROOT / "samples" / "plans"
PROD_SECRETS = (*SECRET_VARS, "POSTGRES_PASSWORD", "REDIS_PASSWORD")
KB_DB, TRACKER_DB = "kb", "rasa"
REPLICAS = ("rasa-1", "rasa-2")
# the lease of a conversation's lock ticket, renewed by the replica handling the message: a ticket of
# a replica killed mid-message blocks its conversation this long at most (bot/lock_store.py)
LOCK_LIFETIME = int(os.environ.get("TICKET_LOCK_LIFETIME", "6"))
ACTION_WORKERS = int(os.environ.get("ACTION_SERVER_SANIC_WORKERS", "2"))
# processes per Rasa replica (Rasa's SANIC_WORKERS, allowed with a Redis lock store).  One by
# default: 2 did not raise the throughput measured by bench/prod.py (11.7 against 14.2 turns/s at
# 100 reporters), doubles the memory (0.8 GB a process) and would split a long-polling socket.io
# client's requests over two processes of one replica.
RASA_WORKERS = int(os.environ.get("RASA_SANIC_WORKERS", "1"))
DASHBOARD_MODULE = "dashboard"


@dataclass(frozen=True)
class Ports:
    """Every loopback port of one set-up; only ``front`` (nginx) faces users."""

    front: int
    postgres: int
    redis: int
    rasa: tuple[int, ...]
    actions: int
    web: int
    dashboard: int

    @classmethod
    def from_base(cls, base: int) -> "Ports":
        """``make prod``: PROD_PORT and the seven ports after it."""
        return cls(front=base, postgres=base + 1, redis=base + 2, rasa=(base + 3, base + 4), actions=base + 5,
                   web=base + 6, dashboard=base + 7)

    @classmethod
    def free(cls) -> "Ports":
        """Tests and benches: any free loopback ports."""
        return cls(front=free_port(), postgres=free_port(), redis=free_port(), rasa=(free_port(), free_port()),
                   actions=free_port(), web=free_port(), dashboard=free_port())


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(không có {path.name})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _reachable(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
            return True
    except OSError:
        return False


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and pg_ctl refuse root: run them as the ``postgres`` system user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def require_tools() -> None:
    """Fail with the Debian package to install, never half-start."""
    missing = [pkg for tool, pkg in (("initdb", "postgresql-15"), ("pg_ctl", "postgresql-15"),
                                     ("redis-server", "redis-server"), ("nginx", "nginx"))
               if shutil.which(tool) is None]
    if missing:
        raise RuntimeError("Thiếu gói Debian: " + ", ".join(sorted(set(missing)))
                           + f" (cài: apt-get install -y {' '.join(sorted(set(missing)))}).")


def prepare_kb(kb_url: str, plans: tuple[Path, ...], env: dict[str, str], log=None) -> None:
    """Migrations (Alembic, knowledge/migrations) on every start; into an empty knowledge base the
    plans, the sample procedures and units, once.  ``python -m bot.prod migrate`` runs it alone
    (the compose file's and the Helm values' one-shot job)."""
    from sqlalchemy import create_engine, func, select

    from knowledge import models
    from knowledge.db import upgrade_schema

    engine = create_engine(kb_url, future=True)
    try:
        upgrade_schema(engine)
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(models.Document)).scalar_one()
    finally:
        engine.dispose()
    if count:
        return
    env = {**env, "KB_URL": kb_url}
    steps = [[sys.executable, "-m", "knowledge", "--kb", kb_url, "ingest", *map(str, plans)],
             [sys.executable, "-m", "knowledge.procedures", "load", str(ROOT / "samples" / "procedures.yml")],
             [sys.executable, "-m", "knowledge", "--kb", kb_url, "units", "import", str(ROOT / "samples" / "units.csv")]]
    for cmd in steps:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
                              timeout=1800)
        if done.returncode != 0 and "ingest" not in cmd:  # a refused plan is reported, not fatal
            raise RuntimeError(f"{' '.join(cmd[1:5])} thoát mã {done.returncode}")


@dataclass
class ProdStack:
    """One production set-up: ``ProdStack(run_dir, ports).start()`` … ``.stop()``.

    ``env`` adds to (and wins over) the environment for every process (channel settings,
    ``REST_TOKEN``); ``plans`` are ingested when the knowledge base has no plan yet.
    """

    run_dir: Path = RUN_DIR
    ports: Ports = field(default_factory=lambda: Ports.from_base(int(os.environ.get("PROD_PORT", "8088"))))
    env: dict[str, str] = field(default_factory=dict)
    plans: tuple[Path, ...] = (SAMPLE_PLANS,)
    model: Optional[Path] = None
    action_workers: int = ACTION_WORKERS
    rasa_workers: int = RASA_WORKERS
    origins: tuple[str, ...] = ()
    fast_disk: bool = False  # tests: PostgreSQL without fsync
    secrets: dict[str, str] = field(default_factory=dict, init=False)

    # ------------------------------------------------------------------ paths and settings
    def path(self, name: str) -> Path:
        return self.run_dir / name

    @property
    def pgdata(self) -> Path:
        return self.path("pgdata")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.front}"

    def rasa_url(self, replica: str) -> str:
        return f"http://127.0.0.1:{self.ports.rasa[REPLICAS.index(replica)]}"

    def db_url(self, database: str) -> str:
        return (f"postgresql+psycopg2://postgres:{self.secrets['POSTGRES_PASSWORD']}"
                f"@127.0.0.1:{self.ports.postgres}/{database}")

    @property
    def kb_url(self) -> str:
        return self.db_url(KB_DB)

    @property
    def with_dashboard(self) -> bool:
        return importlib.util.find_spec(DASHBOARD_MODULE) is not None

    def load_secrets(self) -> dict[str, str]:
        """Each secret from ``env``, else the environment, else ``secrets.env`` (generated there
        once, mode 0600, for a local trial)."""
        stored: dict[str, str] = {}
        file = self.path("secrets.env")
        if file.exists():
            for line in file.read_text().splitlines():
                name, _, value = line.partition("=")
                if name and value:
                    stored[name.strip()] = value.strip()
        out, generated = {}, {}
        for name in PROD_SECRETS:
            value = self.env.get(name) or os.environ.get(name) or stored.get(name)
            if not value:
                value = generated[name] = secrets.token_urlsafe(32)
            out[name] = value
        if generated:
            stored.update(generated)
            file.touch(mode=0o600)
            os.chmod(file, 0o600)
            file.write_text("".join(f"{k}={v}\n" for k, v in stored.items()))
        for name in ("REST_TOKEN",):  # channels that stay off unless a secret is given
            if self.env.get(name) or os.environ.get(name):
                out[name] = self.env.get(name) or os.environ[name]
        self.secrets = out
        return out

    @property
    def queue_url(self) -> str:
        """The ingestion queue (RQ, :mod:`knowledge.jobs`): database 1 of the Redis that holds Rasa's
        locks in database 0; the password stays in the environment, never on a command line."""
        return f"redis://:{self.secrets['REDIS_PASSWORD']}@127.0.0.1:{self.ports.redis}/1"

    def process_env(self) -> dict[str, str]:
        origins = [self.url, f"http://localhost:{self.ports.front}", *self.origins,
                   *filter(None, os.environ.get("WEB_ORIGINS", "").split(","))]
        return {**rasa_env(), **self.env, **self.secrets, "KB_URL": self.kb_url,
                "WEB_ORIGINS": ",".join(dict.fromkeys(o.strip().rstrip("/") for o in origins)),
                "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME),
                "EXPORTS_DIR": str(self.path("exports")), "EXPORTS_URL": f"{self.url}/exports"}

    # ------------------------------------------------------------------ processes
    def pid(self, name: str) -> Optional[int]:
        try:
            return int(self.path(f"{name}.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self, name: str) -> bool:
        pid = self.pid(name)
        return pid is not None and _alive(pid)

    def spawn(self, name: str, cmd: list[str], extra_env: Optional[dict] = None) -> int:
        """A detached process (its own session and process group): pid and log under run_dir."""
        log = open(self.path(f"{name}.log"), "ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**self.process_env(), **(extra_env or {})}, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.path(f"{name}.pid").write_text(f"{proc.pid}\n")
        self.path(f"{name}.cmd").write_text(json.dumps({"cmd": cmd, "env": extra_env or {}}))
        return proc.pid

    def wait_ready(self, name: str, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running(name):
                raise RuntimeError(f"{name} dừng khi khởi động:\n{tail(self.path(f'{name}.log'))}")
            if _reachable(url):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name} chưa sẵn sàng sau {timeout:.0f} s ({url}):\n{tail(self.path(f'{name}.log'))}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process's whole group (a Sanic master and its workers together)."""
        pid = self.pid(name)
        if pid is None:
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)

    def stop_process(self, name: str, timeout: float = 20) -> None:
        if not self.running(name):
            self.path(f"{name}.pid").unlink(missing_ok=True)
            return
        pid = self.pid(name)
        self.kill(name, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            self.kill(name, signal.SIGKILL)
        self.path(f"{name}.pid").unlink(missing_ok=True)

    def restart(self, name: str, timeout: float = 240) -> None:
        """Start ``name`` again with its recorded command (after a crash or a kill)."""
        self.stop_process(name, timeout=5)
        recorded = json.loads(self.path(f"{name}.cmd").read_text())
        self.spawn(name, recorded["cmd"], recorded["env"])
        self.wait_ready(name, self.health_url(name), timeout)

    def health_url(self, name: str) -> str:
        if name in REPLICAS:
            return f"{self.rasa_url(name)}/status?token={self.secrets['RASA_AUTH_TOKEN']}"
        return {"actions": f"http://127.0.0.1:{self.ports.actions}/health",
                "web": f"http://127.0.0.1:{self.ports.web}/",
                "dashboard": f"http://127.0.0.1:{self.ports.dashboard}/dashboard/health",
                "nginx": f"{self.url}/nginx-health"}[name]

    # ------------------------------------------------------------------ PostgreSQL
    def start_postgres(self) -> None:
        user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        socket_dir = self.path("pgsocket")
        socket_dir.mkdir(exist_ok=True)
        if user:
            os.chown(socket_dir, user.pw_uid, user.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            pwfile = self.path("pgpass.init")
            pwfile.touch(mode=0o600)
            os.chmod(pwfile, 0o600)  # never readable by others, even for a moment
            pwfile.write_text(self.secrets["POSTGRES_PASSWORD"] + "\n")
            if user:
                os.chown(self.pgdata, user.pw_uid, user.pw_gid)
                os.chown(pwfile, user.pw_uid, user.pw_gid)
            try:
                self._pg(["initdb", "-D", str(self.pgdata), "-U", "postgres", "-A", "scram-sha-256",
                          f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8",
                          *(["--no-sync"] if self.fast_disk else [])])
            finally:
                pwfile.unlink(missing_ok=True)
        if self.running("postgres"):
            return
        options = (f"-p {self.ports.postgres} -k {socket_dir} -c listen_addresses=127.0.0.1 "
                   f"-c max_connections=200" + (" -c fsync=off -c synchronous_commit=off" if self.fast_disk else ""))
        log = self.path("postgres.log")
        if user:
            log.touch()
            os.chown(log, user.pw_uid, user.pw_gid)
        self._pg(["pg_ctl", "-D", str(self.pgdata), "-l", str(log), "-w", "-t", "60", "-o", options, "start"])
        pid = (self.pgdata / "postmaster.pid").read_text().split()[0]
        self.path("postgres.pid").write_text(f"{pid}\n")
        self._create_databases()

    def _pg(self, cmd: list[str]) -> None:
        done = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL: {cmd[0]} thoát mã {done.returncode}:\n{done.stdout[-1500:]}\n"
                               f"{done.stderr[-1500:]}\n{tail(self.path('postgres.log'))}")

    def _create_databases(self) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.ports.postgres, user="postgres",
                                password=self.secrets["POSTGRES_PASSWORD"], dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in (KB_DB, TRACKER_DB):
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def stop_postgres(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run(_as_postgres(["pg_ctl", "-D", str(self.pgdata), "stop", "-m", "fast", "-w"]),
                           capture_output=True, timeout=120)
        self.path("postgres.pid").unlink(missing_ok=True)

    # ------------------------------------------------------------------ Redis, nginx
    def start_redis(self) -> None:
        if self.running("redis"):
            return
        conf = self.path("redis.conf")
        conf.touch(mode=0o600)
        os.chmod(conf, 0o600)
        # the password goes in a 0600 file, never on a command line (ps shows those)
        conf.write_text(f"port {self.ports.redis}\nbind 127.0.0.1\nprotected-mode yes\nsave \"\"\n"
                        f"appendonly no\ndaemonize no\nrequirepass {self.secrets['REDIS_PASSWORD']}\n"
                        f"dir {self.run_dir}\n")
        self.spawn("redis", ["redis-server", str(conf)])
        deadline = time.monotonic() + 30
        while not port_in_use(self.ports.redis):
            if not self.running("redis") or time.monotonic() > deadline:
                raise RuntimeError(f"Redis không khởi động được:\n{tail(self.path('redis.log'))}")
            time.sleep(0.2)

    def nginx_conf(self) -> str:
        p = self.ports
        rasa = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in p.rasa)
        tmp = self.path("nginx-tmp")
        dashboard = ""
        if self.with_dashboard:
            dashboard = (f"        location /dashboard {{\n            proxy_pass http://127.0.0.1:{p.dashboard};\n"
                         "            proxy_set_header Host $http_host;\n"
                         "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                         "            proxy_set_header X-Forwarded-Prefix /dashboard;\n        }\n")
        return f"""# generated by bot/prod.py: the one port users reach; everything else stays on loopback
worker_processes 2;
pid {self.path('nginx.pid')};
error_log {self.path('nginx.log')} warn;
daemon off;
{"user www-data;" if os.geteuid() == 0 else ""}
events {{ worker_connections 4096; }}
http {{
    access_log {self.path('nginx-access.log')} combined buffer=64k flush=5s;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server_tokens off;
    client_max_body_size {max(RASA_MAX_BODY, 64 * 1024)};
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
    # REST and webhooks: any replica (the conversation is in the tracker store)
    upstream rasa {{
        least_conn;
{rasa}
        keepalive 64;
    }}
    # socket.io: websocket-only clients need nothing; long-polling ones need one node per client
    upstream rasa_socketio {{
        hash $remote_addr consistent;
{rasa}
    }}
    upstream web {{ server 127.0.0.1:{p.web}; }}
    server {{
        listen 127.0.0.1:{p.front};
        add_header X-Served-By $upstream_addr always;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        location = /nginx-health {{ return 200 "ok\\n"; }}
        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
            proxy_next_upstream error timeout;
        }}
        location /webhooks/ {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_read_timeout 180s;
            # a replica that dies mid-message: the message goes to the other one, which reads
            # the conversation from the tracker store (a POST, hence non_idempotent)
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
        }}
{dashboard}        location = / {{
            # the chat page talks to the socket.io endpoint of this same origin
            if ($arg_server = "") {{ return 302 "/?server=$scheme://$http_host"; }}
            proxy_pass http://web;
            proxy_set_header Host $http_host;
        }}
        location / {{
            proxy_pass http://web;
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""

    def start_nginx(self) -> None:
        if self.running("nginx"):
            return
        tmp = self.path("nginx-tmp")
        tmp.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            www = pwd.getpwnam("www-data")
            os.chown(tmp, www.pw_uid, www.pw_gid)
        conf = self.path("nginx.conf")
        conf.write_text(self.nginx_conf())
        check = subprocess.run(["nginx", "-t", "-q", "-c", str(conf), "-p", str(self.run_dir)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"Cấu hình nginx sai:\n{check.stderr[-2000:]}")
        self.spawn("nginx", ["nginx", "-c", str(conf), "-p", str(self.run_dir)])
        self.wait_ready("nginx", self.health_url("nginx"), 30)

    # ------------------------------------------------------------------ the knowledge base
    def prepare_kb(self) -> None:
        with open(self.path("kb.log"), "ab") as log:
            prepare_kb(self.kb_url, self.plans, self.process_env(), log)

    # ------------------------------------------------------------------ the whole set-up
    def endpoints(self) -> Path:
        path = self.path("endpoints.yml")
        path.write_text(f"""# generated by bot/prod.py; the ${{…}} values come from the environment
action_endpoint:
  url: "http://127.0.0.1:{self.ports.actions}/webhook"
  headers:
    X-Action-Token: ${{ACTION_SERVER_TOKEN}}
tracker_store:
  type: SQL
  dialect: "postgresql"
  url: "127.0.0.1"
  port: {self.ports.postgres}
  db: "{TRACKER_DB}"
  username: "postgres"
  password: ${{POSTGRES_PASSWORD}}
lock_store:
  # Rasa's RedisLockStore with tickets renewed by the live replica (bot/lock_store.py)
  type: "bot.lock_store.LeasedRedisLockStore"
  url: "127.0.0.1"
  port: {self.ports.redis}
  password: ${{REDIS_PASSWORD}}
  db: 1
  key_prefix: "rasa"
""")
        return path

    def start(self, timeout: float = 600) -> "ProdStack":
        require_tools()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o755)  # the postgres user must reach its data folder
        self.load_secrets()
        busy = [f"{name} {port}" for name, port in self.port_names()
                if port_in_use(port) and not self.running(name.split()[0])]
        if busy:
            raise RuntimeError("Cổng đang bận: " + ", ".join(busy) + " (đặt PROD_PORT khác).")
        model = Path(self.model or ensure_model(quiet=True)[0])
        try:
            self.start_postgres()
            self.start_redis()
            self.prepare_kb()
            endpoints = self.endpoints()
            if not self.running("actions"):
                self.spawn("actions", [sys.executable, "-m", "bot.action_server", "--actions", "actions",
                                       "--host", "127.0.0.1", "--port", str(self.ports.actions)],
                           {"SANIC_REQUEST_MAX_SIZE": str(ACTION_MAX_BODY),
                            "ACTION_SERVER_SANIC_WORKERS": str(self.action_workers)})
            for replica, port in zip(REPLICAS, self.ports.rasa):
                if not self.running(replica):
                    self.spawn(replica, [sys.executable, "-m", "bot.rasa_server", "--host", "127.0.0.1",
                                         "--port", str(port), "--model", str(model),
                                         "--credentials", str(ROOT / "credentials.yml"),
                                         "--endpoints", str(endpoints)],
                               {"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_BODY),
                                "SANIC_WEBSOCKET_MAX_SIZE": str(RASA_MAX_BODY),
                                "SANIC_WORKERS": str(self.rasa_workers)})
            if not self.running("worker"):  # ingestion jobs from `python -m knowledge ingest --queue`
                self.spawn("worker", [sys.executable, "-m", "knowledge", "worker", "--name", "prod-1"],
                           {"REDIS_URL": self.queue_url})
            if not self.running("web"):
                self.spawn("web", [sys.executable, "-m", "bot.servers", "web", str(self.ports.web),
                                   "--bind", "127.0.0.1", "--exports", str(self.path("exports"))])
            if self.with_dashboard and not self.running("dashboard"):
                self.spawn("dashboard", [sys.executable, "-m", DASHBOARD_MODULE, "--host", "127.0.0.1",
                                         "--port", str(self.ports.dashboard), "--prefix", "/dashboard"])
            for name in ("actions", *REPLICAS, "web", *(["dashboard"] if self.with_dashboard else [])):
                self.wait_ready(name, self.health_url(name), timeout)
            self.start_nginx()
            self.warm_up()
        except BaseException:
            self.stop()
            raise
        return self

    def port_names(self) -> list[tuple[str, int]]:
        p = self.ports
        return [("nginx", p.front), ("postgres", p.postgres), ("redis", p.redis), ("rasa-1", p.rasa[0]),
                ("rasa-2", p.rasa[1]), ("actions", p.actions), ("web", p.web)]

    def warm_up(self) -> None:
        """One parse per replica: the first builds TensorFlow's graph."""
        for replica in REPLICAS:
            req = urllib.request.Request(f"{self.rasa_url(replica)}/model/parse?token={self.secrets['RASA_AUTH_TOKEN']}",
                                         json.dumps({"text": "xin chào"}).encode(),
                                         {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                resp.read()

    def stop(self, timeout: float = 15) -> None:
        """Everything stops (TERM to all, KILL to what is left after ``timeout``); the data
        (pgdata, secrets.env) stays."""
        if not self.secrets and self.path("secrets.env").exists():
            self.load_secrets()
        names = [n for n in ("nginx", "dashboard", "web", *REPLICAS, "actions", "worker", "redis") if self.running(n)]
        pids = {n: self.pid(n) for n in names}
        for name in names:
            self.kill(name, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(p) for p in pids.values()):
            time.sleep(0.2)
        for name, pid in pids.items():
            if _alive(pid):
                self.kill(name, signal.SIGKILL)
        for name in ("nginx", "dashboard", "web", *REPLICAS, "actions", "worker", "redis"):
            self.path(f"{name}.pid").unlink(missing_ok=True)
        self.stop_postgres()

    def status(self) -> dict[str, Optional[int]]:
        names = ("postgres", "redis", "actions", "worker", *REPLICAS, "web", "dashboard", "nginx")
        return {name: self.pid(name) for name in names if self.running(name)}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="bản triển khai một máy: PostgreSQL, Redis, 2 Rasa, nginx")
    parser.add_argument("command", choices=["start", "stop", "status", "config", "migrate"])
    args = parser.parse_args(argv)
    if args.command == "migrate":  # containers: KB_URL from the environment, plans from PLANS_DIR
        kb_url = os.environ.get("KB_URL", "")
        if not kb_url:
            print("KB_URL chưa được đặt.", file=sys.stderr)
            return 2
        prepare_kb(kb_url, (Path(os.environ.get("PLANS_DIR", SAMPLE_PLANS)),), rasa_env())
        return 0
    stack = ProdStack()
    if args.command == "stop":
        stack.stop()
        print(f"Đã dừng; dữ liệu vẫn ở {stack.run_dir}.")
        return 0
    if args.command == "status":
        print(json.dumps(stack.status(), indent=2))
        return 0
    if args.command == "config":
        print(json.dumps(asdict(stack.ports), indent=2))
        return 0
    try:
        stack.start()
    except RuntimeError as exc:
        print(f"Không khởi động được: {exc}", file=sys.stderr)
        return 1
    print(f"Đang chạy: {stack.url}/ (trò chuyện), {stack.url}/webhooks/…"
          + (f", {stack.url}/dashboard/" if stack.with_dashboard else ""))
    print(f"Tiến trình: {json.dumps(stack.status())}; nhật ký và pid trong {stack.run_dir}; dừng: make prod-stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
