"""End to end: the real action server and Rasa server (REST channel) on free loopback ports,
a knowledge base with the sample plans and procedures, and the conversation tests in bot/tests/.

Servers are started once per test process (bot/testing.py) and stopped when it exits.
"""
from __future__ import annotations

import subprocess
import uuid

import pytest

from bot.servers import ask
from bot.train import DOMAIN, RASA, ROOT, ensure_model, rasa_env


def reply_text(bot, message: str) -> str:
    replies = ask(bot.rasa_url, message, f"test-{uuid.uuid4().hex[:10]}")
    return "\n".join(r.get("text", "") for r in replies)


def test_servers_are_healthy(bot):
    import urllib.request

    with urllib.request.urlopen(bot.action_url + "/health", timeout=5) as resp:
        assert resp.status == 200
    with urllib.request.urlopen(f"{bot.rasa_url}/status?token={bot.rasa_token}", timeout=5) as resp:
        assert b"model_file" in resp.read()


def test_search_index_is_built_when_the_action_server_starts(bot):
    """The first question does not wait for the index: the server builds it over every current
    plan of its knowledge base as soon as it listens (other tests may add plans later)."""
    import re
    import time

    from knowledge import queries
    from knowledge.db import make_session_factory

    log = bot.log_dir / "actions.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "Chỉ mục tìm kiếm:" not in log.read_text(errors="replace"):
        time.sleep(0.5)
    built = re.search(r"Chỉ mục tìm kiếm: (\d+) kế hoạch", log.read_text(errors="replace"))
    assert built, bot.log_tail("actions")
    factory = make_session_factory(bot.env["KB_URL"])
    with factory() as session:
        plans = len(queries.find_plans(session=session))
    assert 8 <= int(built.group(1)) <= plans


@pytest.mark.parametrize("greeting", ["Xin chào", "xin chao"])
def test_greeting_gets_a_vietnamese_greeting(bot, greeting):
    assert "Xin chào" in reply_text(bot, greeting)


@pytest.mark.parametrize("question", [
    "đến năm 2020 lâm đồng bao nhiêu phần trăm cuộc họp trực tuyến",
    "den nam 2020 lam dong bao nhieu phan tram cuoc hop truc tuyen",
])
def test_target_question_is_answered_with_its_section(bot, question):
    text = reply_text(bot, question)
    assert "70%" in text and "mục I.2.a" in text, text


def test_out_of_scope_is_declined(bot):
    assert "ngoài phạm vi" in reply_text(bot, "giá vàng hôm nay bao nhiêu")


def test_conversation_test_stories_pass(tmp_path):
    model, _ = ensure_model(quiet=True)
    out = subprocess.run(
        [RASA, "test", "core", "--model", str(model), "--stories", str(ROOT / "bot" / "tests"),
         "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot"],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=900,
    )
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:] + detail
