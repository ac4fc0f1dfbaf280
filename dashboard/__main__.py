"""``python -m dashboard [--host 127.0.0.1] [--port 8090] [--prefix /dashboard]``.

Loopback by default (publish it through the same reverse proxy as the web chat, so the session
cookie is shared).  Needs ``WEB_SESSION_SECRET`` (the web-chat server's) and ``KB_URL``; the
channels' variables (``TELEGRAM_*``, ``ZALO_*``) for reminders.  Defaults from ``DASHBOARD_HOST``,
``DASHBOARD_PORT``, ``DASHBOARD_PREFIX``.
"""
from __future__ import annotations

import argparse
import os
import sys

from bot import sessions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Bảng theo dõi kế hoạch cho cán bộ Sở/Phòng")
    parser.add_argument("--host", default=os.environ.get("DASHBOARD_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DASHBOARD_PORT", "8090")))
    parser.add_argument("--prefix", default=os.environ.get("DASHBOARD_PREFIX", "/dashboard"))
    args = parser.parse_args(argv)
    try:
        sessions.secret()
    except sessions.SessionSecretMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    from dashboard.app import create_app

    app = create_app(args.prefix)
    app.run(host=args.host, port=args.port, access_log=False, motd=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
