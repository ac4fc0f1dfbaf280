"""deploy/: the compose file, its nginx and endpoints, the Helm values — parsed with PyYAML and
checked against each other and against ``make prod`` (bot/prod.py): every process of make prod is
a service, every secret comes from the environment (or a Kubernetes Secret), the ports agree."""
from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
import yaml

from bot.prod import REPLICAS, ProdStack, Ports

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HELM = DEPLOY / "helm"
SECRET_NAME = re.compile(r"(_TOKEN|_SECRET|_PASSWORD|_KEY)$|^(TOKEN|PASSWORD|password|token|postgresqlPassword)$")
ENV_REF = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(:[-?][^}]*)?\}$")
# the services of make prod (bot/prod.py), by the names of their pid files
PROD_PROCESSES = {"postgres", "redis", *REPLICAS, "actions", "worker", "web", "dashboard", "nginx"}
SECRETS = {"RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "WEB_SESSION_SECRET", "POSTGRES_PASSWORD", "REDIS_PASSWORD"}


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return load(DEPLOY / "docker-compose.yml")


def walk(node, key: str = ""):
    """(key, value) of every scalar in a parsed YAML tree, lists under their parent's key."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from walk(item, key)
    else:
        yield key, node


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def port_of(service: dict) -> int:
    """The port a service's command listens on (``--port N``; the web page server: positional)."""
    cmd = service["command"]
    if "--port" in cmd:
        return int(option(cmd, "--port"))
    return int(cmd[cmd.index("web") + 1])


def nginx_routes(conf: str) -> dict[str, str]:
    """location → the upstream (or 'return') it goes to; blocks found by counting braces."""
    routes = {}
    for match in re.finditer(r"location\s+([^{]+?)\s*\{", conf):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(conf[i], 0)
            i += 1
        body = conf[match.end():i]
        target = re.search(r"proxy_pass\s+http://([\w.:-]+)", body)
        routes[match.group(1).strip()] = target.group(1) if target else "return"
    return routes


# ---------------------------------------------------------------------------- compose


def test_every_process_of_make_prod_is_a_service(compose):
    services = set(compose["services"])
    assert PROD_PROCESSES <= services, PROD_PROCESSES - services
    assert {"migrate", "worker"} <= services  # migrations once; ingestion workers on the RQ queue
    assert compose["services"]["worker"]["command"] == ["python", "-m", "knowledge", "worker"]
    assert compose["services"]["actions"]["deploy"]["replicas"] >= 2
    # the project's own entry points exist (the dashboard and the worker come from their packages)
    for name in ("rasa-1", "rasa-2", "actions", "web", "migrate"):
        module = option(compose["services"][name]["command"], "-m")
        assert importlib.util.find_spec(module) is not None, (name, module)
    assert compose["services"]["migrate"]["command"][-1] == "migrate"


def test_every_secret_comes_from_the_environment(compose):
    checked = 0
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        assert isinstance(env, dict), name
        for key, value in env.items():
            value = "" if value is None else str(value)
            if SECRET_NAME.search(key):
                assert ENV_REF.match(value), f"{name}.{key} = {value!r} is not ${{…}} from the environment"
                checked += 1
            for userinfo in re.findall(r"://([^@/]*)@", value):  # credentials inside URLs
                password = userinfo.split(":", 1)[-1]
                assert ENV_REF.match(password), f"{name}.{key}: a literal password in {value!r}"
    assert checked >= 10
    # the five secrets are required: compose refuses to start without them
    text = (DEPLOY / "docker-compose.yml").read_text()
    for secret in SECRETS:
        assert re.search(r"\$\{" + secret + r":\?", text), secret
    assert "requirepass" in text and "$$REDIS_PASSWORD" in text


def test_ports_agree_with_make_prod_and_nginx(compose):
    prod = Ports.from_base(8088)
    if "PROD_PORT" not in os.environ:
        assert ProdStack().ports.front == prod.front  # make prod's default
    assert compose["services"]["nginx"]["ports"] == [f"${{PROD_PORT:-{prod.front}}}:{prod.front}"]
    conf = (DEPLOY / "nginx.conf").read_text()
    assert re.search(rf"listen\s+{prod.front};", conf)
    # every upstream server is a service, on the port its command listens on
    for host, port in re.findall(r"server\s+([a-z][\w-]*):(\d+)", conf):
        assert host in compose["services"], host
        assert port_of(compose["services"][host]) == int(port), (host, port)
    for replica in REPLICAS:
        assert f"server {replica}:" in conf


def test_nginx_routes_are_those_of_make_prod(monkeypatch, tmp_path):
    monkeypatch.setattr(ProdStack, "with_dashboard", property(lambda self: True))
    stack = ProdStack(run_dir=tmp_path, ports=Ports.from_base(8088))
    local = nginx_routes(stack.nginx_conf())
    deployed = nginx_routes((DEPLOY / "nginx.conf").read_text())
    assert set(local) == set(deployed), (local, deployed)
    assert set(deployed) == {"= /nginx-health", "/socket.io/", "/webhooks/", "/dashboard", "= /", "/"}
    roles = {"rasa": "rasa", "rasa_socketio": "rasa_socketio", "web": "web", "return": "return",
             f"127.0.0.1:{stack.ports.dashboard}": "dashboard", "dashboard": "dashboard"}
    assert {k: roles[v] for k, v in local.items()} == {k: roles[v] for k, v in deployed.items()}
    # the same failover and stickiness rules in both
    for conf in (stack.nginx_conf(), (DEPLOY / "nginx.conf").read_text()):
        assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in conf
        assert "hash $remote_addr consistent;" in conf and "least_conn;" in conf


def test_endpoints_match_make_prod_and_hold_no_secret(tmp_path):
    deployed = load(DEPLOY / "endpoints.yml")
    stack = ProdStack(run_dir=tmp_path, ports=Ports.from_base(8088))
    stack.secrets = {"POSTGRES_PASSWORD": "x" * 20}
    local = load(stack.endpoints())
    for section in ("tracker_store", "lock_store"):
        for key in ("type", "dialect", "db", "key_prefix", "username"):
            assert deployed[section].get(key) == local[section].get(key), (section, key)
    assert deployed["tracker_store"]["db"] == "rasa" and deployed["lock_store"]["type"] == "bot.lock_store.LeasedRedisLockStore"
    for data in (deployed, local):
        for key, value in walk(data):
            if SECRET_NAME.search(key):
                assert ENV_REF.match(str(value)), (key, value)
    # Rasa substitutes ${VAR} only (os.path.expandvars): no shell-style defaults
    assert ":-" not in (DEPLOY / "endpoints.yml").read_text()
    credentials = (DEPLOY / "postgres-init.sql").read_text()
    assert "CREATE DATABASE rasa" in credentials


# ---------------------------------------------------------------------------- Helm


@pytest.fixture(scope="module")
def helm() -> dict[str, dict]:
    return {path.stem: load(path) for path in sorted(HELM.glob("*.yaml"))}


def test_helm_values_name_every_piece(helm, compose):
    assert set(helm) == {"rasa-values", "worker-values", "web-values", "dashboard-values"}
    rasa = helm["rasa-values"]
    assert rasa["replicaCount"] >= 2
    stores = rasa["applicationSettings"]["endpoints"]
    assert stores["trackerStore"]["enabled"] and stores["trackerStore"]["dialect"] == "postgresql"
    assert stores["trackerStore"]["db"] == "rasa"
    assert stores["lockStore"]["enabled"] and stores["lockStore"]["type"] == "bot.lock_store.LeasedRedisLockStore"
    assert rasa["postgresql"]["install"] and rasa["redis"]["install"]
    actions = rasa["rasa-action-server"]
    assert actions["install"] and actions["replicaCount"] >= 2
    assert helm["worker-values"]["command"] + helm["worker-values"]["args"] == ["python", "-m", "knowledge", "worker"]
    # the same commands and ports as the compose file
    pairs = {"rasa-1": rasa, "actions": actions, "web": helm["web-values"], "dashboard": helm["dashboard-values"]}
    for service, values in pairs.items():
        command = values["command"] + values["args"]
        assert command == compose["services"][service]["command"], service
        if service != "rasa-1":
            assert values["applicationSettings"]["port"] == port_of(compose["services"][service]), service
    assert rasa["applicationSettings"]["port"] == port_of(compose["services"]["rasa-1"])
    assert rasa["ingress"]["path"] == "/webhooks/"
    assert {p["path"] for p in rasa["ingress"]["extraPaths"]} == {"/socket.io/"}
    assert helm["web-values"]["ingress"]["path"] == "/" and helm["dashboard-values"]["ingress"]["path"] == "/dashboard"


def test_helm_secrets_come_from_a_kubernetes_secret(helm):
    for name, values in helm.items():
        for key, value in walk(values):
            if SECRET_NAME.search(key) and isinstance(value, str) and value:
                assert ENV_REF.match(value) or key.startswith("existingSecret"), (name, key, value)
        envs = [e for path in ("extraEnv",) for e in values.get(path, [])]
        envs += values.get("rasa-action-server", {}).get("extraEnv", [])
        for env in envs:
            if SECRET_NAME.search(env["name"]) or env["name"] == "KB_URL":
                assert "value" not in env, (name, env)
                assert env["valueFrom"]["secretKeyRef"]["name"] == "planbot-secrets", (name, env)
    rasa_env = {e["name"] for e in helm["rasa-values"]["extraEnv"]}
    assert SECRETS <= rasa_env
