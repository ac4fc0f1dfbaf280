"""The action server as the project runs it: ``python -m bot.action_server --actions actions``.

rasa_sdk 3.6 has no credential of its own and binds 0.0.0.0 by default: anyone who reached
port 5055 could run ``action_submit_report`` with a forged tracker.  Here every request except
``GET /health`` must carry ``X-Action-Token: $ACTION_SERVER_TOKEN`` (Rasa sends it: endpoints.yml
``action_endpoint.headers``), compared in constant time; the server binds 127.0.0.1 unless
``--host`` says otherwise, and refuses to start without a token.

Each server process builds the chatbot's search index of every current plan as soon as it
listens (:func:`build_search_index`), in a thread beside the event loop: built at the first
question instead, it made that question wait about a second for the sample plans and about two
minutes for a thousand.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import sys
import time

from bot.env_secrets import SecretMissing, env_secret

TOKEN_ENV = "ACTION_SERVER_TOKEN"
HEADER = "X-Action-Token"

logger = logging.getLogger(__name__)


def build_search_index() -> None:
    """Build this process's search index now (knowledge.search keeps it and rebuilds only the
    plans that change).  A knowledge base that cannot be read is only logged here: the first
    question then says so in Vietnamese, as it did before."""
    start = time.monotonic()
    try:
        from knowledge import search

        plans = len(search.plan_infos())
    except Exception:  # noqa: BLE001 — any failure is the first question's to report
        logger.exception("Không dựng được chỉ mục tìm kiếm lúc khởi động")
        return
    logger.info("Chỉ mục tìm kiếm: %d kế hoạch, dựng trong %.1f s", plans, time.monotonic() - start)


def create_app(actions: str, token: str):
    from rasa_sdk.endpoint import create_app as sdk_app
    from sanic import response

    app = sdk_app(actions, cors_origins=None)
    expected = token.encode()

    @app.middleware("request")
    async def require_token(request):
        if request.path == "/health":
            return None
        if not hmac.compare_digest(request.headers.get(HEADER, "").encode(), expected):
            return response.json({"error": "Thiếu hoặc sai mã truy cập máy chủ hành động."}, status=403)
        return None

    @app.listener("after_server_start")
    async def search_index_in_background(_app, loop):
        loop.run_in_executor(None, build_search_index)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="action server with a shared-secret header")
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        token = env_secret(TOKEN_ENV)
    except SecretMissing as exc:
        print(f"{exc}: máy chủ hành động không chạy khi không có mã truy cập.", file=sys.stderr)
        return 2
    from rasa_sdk import utils

    utils.configure_colored_logging("INFO")
    app = create_app(args.actions, token)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
