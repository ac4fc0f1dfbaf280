"""`make run`: train if needed, start the action server, Rasa (REST + socket.io) and the web chat.

Ports: RASA_PORT (5005), ACTION_PORT (5055), WEB_PORT (8080); everything on 127.0.0.1.
Ctrl-C stops all three. Server logs go to out/logs/.
"""
from __future__ import annotations

import os
import signal
import sys
import time

from bot.servers import BotServers
from bot.train import ROOT, ensure_model


def main() -> int:
    model, seconds = ensure_model()
    print(f"Mô hình: {model.relative_to(ROOT)}" + (f" (huấn luyện {seconds:.0f} giây)" if seconds else " (dùng lại)"))
    servers = BotServers(
        model,
        rasa_port=int(os.environ.get("RASA_PORT", 5005)),
        action_port=int(os.environ.get("ACTION_PORT", 5055)),
        web_port=int(os.environ.get("WEB_PORT", 8080)),
        with_web=True,
        log_dir=ROOT / "out" / "logs",
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print("Đang khởi động máy chủ hành động, Rasa và trang trò chuyện…", flush=True)
    try:
        servers.start()
        print(f"\nTrò chuyện tại: {servers.web_url}")
        print(f"API Rasa (REST): {servers.rasa_url}/webhooks/rest/webhook · nhật ký: {servers.log_dir.relative_to(ROOT)}/")
        print("Nhấn Ctrl-C để dừng.", flush=True)
        while all(p.poll() is None for p in servers.procs.values()):
            time.sleep(1)
        dead = [n for n, p in servers.procs.items() if p.poll() is not None]
        print(f"Tiến trình đã dừng: {', '.join(dead)}\n{servers.log_tail(dead[0])}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nĐang dừng…")
        return 0
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
