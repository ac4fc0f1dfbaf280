"""`make run`: train if needed, start the action server, Rasa (socket.io; REST only with a
token) and the web chat.

Ports: RASA_PORT (5005), ACTION_PORT (5055), WEB_PORT (8080), DASHBOARD_PORT (8090, the staff
dashboard under /dashboard); everything on 127.0.0.1 (publish the web
page and Rasa's /socket.io through a TLS reverse proxy; keep the action server and the Rasa API
private).  Secrets from the environment:
RASA_AUTH_TOKEN, ACTION_SERVER_TOKEN, WEB_SESSION_SECRET (each generated for this run when
unset: sessions and sign-ins then end when the servers stop); REST_TOKEN switches the REST
channel on (off otherwise).  A server that crashes is restarted (at most MAX_RESTARTS times in
a row within a minute); the other two keep serving.  Ctrl-C stops them all.  Logs: out/logs/.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from bot.servers import BotServers
from bot.train import ROOT, ensure_model

MAX_RESTARTS = int(os.environ.get("MAX_RESTARTS", "3"))


def main() -> int:
    model, seconds = ensure_model()
    print(f"Mô hình: {model.relative_to(ROOT)}" + (f" (huấn luyện {seconds:.0f} giây)" if seconds else " (dùng lại)"))
    servers = BotServers(
        model,
        rasa_port=int(os.environ.get("RASA_PORT", 5005)),
        action_port=int(os.environ.get("ACTION_PORT", 5055)),
        web_port=int(os.environ.get("WEB_PORT", 8080)),
        dashboard_port=int(os.environ.get("DASHBOARD_PORT", 8090)),
        with_web=True,
        log_dir=Path(os.environ.get("LOG_DIR") or ROOT / "out" / "logs"),
        rest=False,  # on only when REST_TOKEN is set in the environment
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print("Đang khởi động máy chủ hành động, Rasa, trang trò chuyện và bảng theo dõi…", flush=True)
    try:
        servers.start()
        print(f"\nTrò chuyện tại: {servers.web_url}")
        print(f"Cán bộ đăng nhập: http://{servers.host}:{servers.web_port}/login "
              "(tài khoản: python -m knowledge staff add …)")
        print(f"Bảng theo dõi của cán bộ: {servers.dashboard_url}")
        rest = (f"{servers.rasa_url}/webhooks/rest/webhook (cần Authorization: Bearer $REST_TOKEN)"
                if servers.rest else "tắt (đặt REST_TOKEN để bật)")
        print(f"Kênh REST: {rest} · nhật ký: {servers.log_dir}/")
        generated = [n for n in ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "WEB_SESSION_SECRET") if not os.environ.get(n)]
        if generated:
            print(f"Đã tạo ngẫu nhiên cho lần chạy này: {', '.join(generated)} (đặt trong môi trường để giữ cố định).")
        print("Nhấn Ctrl-C để dừng.", flush=True)
        crashes: dict[str, list[float]] = {}
        while True:
            time.sleep(1)
            for name, proc in list(servers.procs.items()):
                if proc.poll() is None:
                    continue
                now = time.monotonic()
                recent = [t for t in crashes.get(name, []) if now - t < 60] + [now]
                crashes[name] = recent
                print(f"Tiến trình {name} đã dừng (mã {proc.returncode}):\n{servers.log_tail(name)}", file=sys.stderr)
                if len(recent) > MAX_RESTARTS:
                    print(f"{name} dừng {len(recent)} lần trong một phút: dừng tất cả.", file=sys.stderr)
                    return 1
                print(f"Khởi động lại {name}…", file=sys.stderr, flush=True)
                servers.restart(name)
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
