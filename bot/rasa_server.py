"""The Rasa server as the project runs it: ``python -m bot.rasa_server --model M …``.

Like ``rasa run --enable-api``, with what the command line cannot say safely:

* the HTTP API's token comes from ``RASA_AUTH_TOKEN`` (never on the command line, where ``ps``
  shows it); the server refuses to start without one, so ``PUT /model``, event injection and
  tracker reads always need ``?token=…``;
* CORS allows only the web page's origins (``WEB_ORIGINS``), never ``*``;
* a request body over ``SANIC_REQUEST_MAX_SIZE`` (set by bot/servers.py; Sanic reads it from
  the environment) is answered 413 with a Vietnamese message before it is read;
* it binds 127.0.0.1 unless ``--host`` says otherwise;
* per action call (bot/rasa_tuning.py): the response is validated against a schema checked once,
  not re-checked every time (that was most of a report turn's CPU), and a call that cannot
  connect (the action server restarting) is made again for a while instead of failing the turn.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.env_secrets import SecretMissing, env_secret

TOKEN_ENV = "RASA_AUTH_TOKEN"


async def _vietnamese_errors(app, _loop) -> None:
    """413 and 400 in Vietnamese (Sanic's default texts are English)."""
    from sanic import response
    from sanic.exceptions import PayloadTooLarge

    async def too_large(request, exception):
        return response.json({"error": "Yêu cầu quá lớn: tin nhắn hoặc dữ liệu gửi lên vượt giới hạn cho phép."},
                             status=413)

    app.error_handler.add(PayloadTooLarge, too_large)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rasa server (API with a token, CORS limited)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--endpoints", required=True)
    args = parser.parse_args(argv)
    try:
        token = env_secret(TOKEN_ENV)
    except SecretMissing as exc:
        print(f"{exc}: API của Rasa không được mở khi không có mã truy cập.", file=sys.stderr)
        return 2
    origins = [o.strip().rstrip("/") for o in os.environ.get("WEB_ORIGINS", "").split(",") if o.strip()]

    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.INFO)
    # `rasa run` configures structlog in rasa/__main__.py; unconfigured, structlog prints every
    # debug event (whole trackers and slot dumps on every turn), which costs CPU under load
    configure_structlog(logging.INFO)
    from bot import rasa_tuning

    rasa_tuning.install()  # schema checked once; calls retried while the action server restarts
    rasa.core.run.serve_application(
        model_path=args.model, interface=args.host, port=args.port, credentials=args.credentials,
        cors=origins or None, auth_token=token, enable_api=True,
        endpoints=AvailableEndpoints.read_endpoints(args.endpoints),
        server_listeners=[(_vietnamese_errors, "before_server_start")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
